"""The citizens' monthly rules: the tables they need, prepared once per model, and the two
fused passes over the population (``sim.model.kernels``) that apply them.

:class:`Rules` holds what is fixed for a run (the needs and traffic tables, the ties in CSR
form, the learning rates as power tables, scratch buffers); :meth:`Rules.citizens` runs
needs, channel choice, outcomes and learning; :meth:`Rules.social` runs word of mouth and
the trends and returns the population tallies the metrics are made of.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from sim.model import kernels
from sim.model.agencies import Regime, ServiceTable
from sim.model.kernels import SLOTS_PER_ADULT
from sim.model.population import Population
from sim.params import Params

CITIZEN_KEYS = kernels.CitizenKeys(
    needs=("needs",),  # how many needs each adult has
    agency=("agency",),  # which agency each need goes to
    service_online=("choice", 0),  # the service is online
    needs_esignature=("choice", 1),  # the need requires an e-signature
    reach=("choice", 2),  # an assisted centre is within reach
    pick=("choice", 3),  # the channel picked by the logit
    outcome=("outcome", 0),  # end to end, or a paper certificate demanded
    closed=("outcome", 1),  # turned away at a closed counter
)
"""The stream of each of :meth:`Rules.citizens`' keys, by the kernel's name for it."""
CITIZEN_STREAMS = tuple(CITIZEN_KEYS)
"""The streams of :meth:`Rules.citizens`, in the order of :data:`CITIZEN_KEYS`."""
SOCIAL_KEYS = kernels.SocialKeys(
    awareness=("awareness",), internet=("internet",), esignature=("esignature",)
)
"""The stream of each of :meth:`Rules.social`'s keys, by the kernel's name for it."""
SOCIAL_STREAMS = tuple(SOCIAL_KEYS)
"""The streams of :meth:`Rules.social`, in the order of :data:`SOCIAL_KEYS`."""


@dataclass
class Outcomes:
    """What happened to this month's transactions, in total and per agency."""

    n_transactions: int
    n_online: int
    n_success: int
    n_assisted: int
    n_in_person: int
    n_visits: int
    n_paper: int
    n_fail_legal: int
    """Failed online attempts: a legally valid document needed, not accepted digitally."""
    n_fail_data: int
    """Failed online attempts: data the agency could not fetch, brought on paper."""
    n_fail_demand: int
    """Failed online attempts: data the agency could fetch, paper demanded anyway."""
    online_by_agency: np.ndarray
    transactions_by_agency: np.ndarray
    internet_by_area: np.ndarray
    """Adults with internet access per area at the start of the month."""
    shares: np.ndarray
    """Share of recent users, share aware and mean trust after learning (full mixing)."""


@dataclass
class Tally:
    """Counts and sums over the population after a month (``kernels.P_*``, ``F_*``)."""

    n: int
    counts: np.ndarray
    sums: np.ndarray

    def count(self, column: int) -> int:
        return int(self.counts[column])


NEEDS_TAIL = 1e-9
"""Needs beyond the point where the Poisson tail falls below this are not drawn."""


def needs_table(params: Params) -> np.ndarray:
    """Per age group, the Poisson CDF of a month's number of needs (float32), from 0 needs
    up to where the tail of the largest rate falls below :data:`NEEDS_TAIL`, and never
    beyond :data:`~sim.model.kernels.SLOTS_PER_ADULT` entries."""
    rate = np.asarray(params.needs.rate_needs_per_year.array(), dtype=np.float64) / 12.0
    pmf = [np.exp(-rate)]
    cdf = [pmf[0]]
    while len(cdf) < SLOTS_PER_ADULT and 1.0 - cdf[-1].min() >= NEEDS_TAIL:
        pmf.append(pmf[-1] * rate / len(pmf))
        cdf.append(cdf[-1] + pmf[-1])
    return np.minimum(np.stack(cdf, axis=1), 1.0).astype(np.float32)


LEARNING_RATES = kernels.Learning(
    trust_gain="rate_trust_gain",
    trust_loss="rate_trust_loss",
    habit_loss="rate_habit_loss",
    habit_gain="rate_habit_gain",
    skill_gain="rate_skill_gain",
)
"""The parameter (of ``params.learning``) behind each of the kernel's power tables."""


def _keys(cls: type, keys: np.ndarray):
    """The stream ``keys`` (in the order of ``cls``'s fields) as the kernel's named group."""
    if len(keys) != len(cls._fields):
        raise ValueError(f"{cls.__name__}: {len(cls._fields)} keys expected, got {len(keys)}")
    return kernels.group(cls, 0, **dict(zip(cls._fields, keys.tolist(), strict=True)))


def _areas(codes: tuple[int, int], name: str, per_area: np.ndarray) -> int:
    """The number of areas of a per-area array, checked against the population's area
    codes (``codes``: their lowest and highest, read once: areas never change after the
    build; the kernels index per-area arrays and tallies by code, unchecked)."""
    n_areas = len(per_area)
    if not (0 <= codes[0] and codes[1] < n_areas):
        raise ValueError(
            f"{name} has {n_areas} areas, but the population has area codes "
            f"{codes[0]} to {codes[1]}"
        )
    return n_areas


class Rules:
    """Everything the citizens' rules need that is fixed for a run, and their two passes."""

    def __init__(self, pop: Population, ties: sp.csr_array, params: Params, traffic) -> None:
        self.params = params
        self.needs_cdf = needs_table(params)
        traffic = np.asarray(traffic, dtype=np.float64)
        self.agency_cdf = (np.cumsum(traffic) / traffic.sum()).astype(np.float32)
        self.agency_table = kernels.category_table(self.agency_cdf)
        self.n_agencies = len(traffic)
        self.ties = kernels.TieTable(ties.indptr, ties.indices)
        self.area_codes = (int(pop.area.min()), int(pop.area.max())) if pop.n else (0, -1)
        """The lowest and highest area code (fixed after the build)."""
        self.urban = np.isin(pop.area, pop.urban_areas)
        cp, lp = params.choice, params.learning
        self.coef = kernels.group(
            kernels.Coefs, pop.n, **{f: getattr(cp, f"coef_{f}") for f in kernels.Coefs._fields}
        )
        steps = np.arange(2 * SLOTS_PER_ADULT + 1, dtype=np.float32)
        self.learning = kernels.group(
            kernels.Learning,
            pop.n,
            **{
                # (1 - rate) ** m, float32
                table: (np.float32(1.0) - np.float32(getattr(lp, rate))) ** steps
                for table, rate in LEARNING_RATES._asdict().items()
            },
        )
        self.age_factor = np.asarray(params.internet.age_factor.array(), dtype=np.float64)
        n = pop.n
        self._neighbours = np.zeros(n + 1, dtype=np.uint64)  # what ties read; row n: 0
        self.chunks = kernels.n_chunks(n)

    def citizens(
        self,
        pop: Population,
        month: int,
        keys: np.ndarray,
        services: ServiceTable,
        regime: Regime,
        assisted_reach: np.ndarray,
    ) -> Outcomes:
        """Needs, channel choice, outcomes, learning and reassurance of ``month`` (the first
        pass). ``keys``: the streams of :data:`CITIZEN_STREAMS`."""
        n_areas = _areas(self.area_codes, "assisted_reach", assisted_reach)
        out = kernels.group(
            kernels.CitizenOut,
            pop.n,
            neighbours=self._neighbours,
            tallies=np.zeros((self.chunks, kernels.month_tallies(n_areas)), dtype=np.int64),
            by_agency=np.zeros((self.chunks, 2, self.n_agencies), dtype=np.int64),
            sums=np.zeros(self.chunks, dtype=np.float64),
        )
        month_inputs = kernels.group(
            kernels.CitizenMonth,
            pop.n,
            needs_cdf=self.needs_cdf,
            p_needs_esignature=self.params.needs.p_needs_esignature,
            online_push=regime.online_push,
            counters_closed=regime.counters_closed,
            trust_recovery=regime.trust_recovery,
            assisted_reach=assisted_reach,
        )
        agencies = kernels.group(
            kernels.Agencies,
            pop.n,
            cdf=self.agency_cdf,
            table=self.agency_table,
            share_online=services.share_online,
            p_paper=services.p_paper,
            p_end_to_end=services.p_end_to_end,
            p_refused=services.p_refused,
            p_demanded=services.p_demanded,
            insecurity=services.insecurity,
        )
        with kernels.parallel(pop.n):
            kernels.citizens_month(
                month,
                _keys(kernels.CitizenKeys, keys),
                kernels.state(pop),
                month_inputs,
                self.coef,
                self.learning,
                agencies,
                out,
            )
        t = out.tallies.sum(axis=0)
        by_agency = out.by_agency.sum(axis=0)
        n = max(pop.n, 1)
        n_fail = int(t[kernels.T_FAIL])
        n_paper_counter = int(t[kernels.T_PAPER_COUNTER])
        return Outcomes(
            n_transactions=int(t[kernels.T_TX]),
            n_online=int(t[kernels.T_ONLINE]),
            n_success=int(t[kernels.T_SUCCESS]),
            n_assisted=int(t[kernels.T_ASSISTED]),
            n_in_person=int(t[kernels.T_IN_PERSON]),
            n_visits=int(t[kernels.T_COUNTER]) + n_paper_counter + 2 * n_fail,
            n_paper=n_paper_counter + n_fail,
            n_fail_legal=int(t[kernels.T_FAIL_LEGAL]),
            n_fail_data=int(t[kernels.T_FAIL_DATA]),
            n_fail_demand=int(t[kernels.T_FAIL_DEMAND]),
            online_by_agency=by_agency[0],
            transactions_by_agency=by_agency[1],
            internet_by_area=t[kernels.T_INTERNET_AREA : kernels.month_tallies(n_areas)],
            shares=np.array(
                [t[kernels.T_RECENT] / n, t[kernels.T_AWARE] / n, out.sums.sum() / n],
                dtype=np.float64,
            ),
        )

    def social(
        self,
        pop: Population,
        month: int,
        keys: np.ndarray,
        out: Outcomes,
        p_internet: np.ndarray,
        rate_esignature: float,
        credential_access: np.ndarray,
    ) -> Tally:
        """Word of mouth, internet and e-signature uptake of ``month`` (the second pass), on
        the buffers the first pass left; returns the population's tallies. ``keys``: the
        streams of :data:`SOCIAL_STREAMS`; ``p_internet``: each area's monthly chance of
        going online (:func:`internet_chances`)."""
        lp = self.params.learning
        _areas(self.area_codes, "p_internet", p_internet)
        month_inputs = kernels.group(
            kernels.SocialMonth,
            pop.n,
            full_mixing=self.params.network.mixing == "full",
            from_aware=lp.awareness_from == "aware",
            threshold_rule=lp.awareness_rule == "threshold",
            p_aware_media=lp.p_aware_media,
            p_aware_peer=lp.p_aware_peer,
            rate_trust_social=lp.rate_trust_social,
            share_recent=out.shares[0],
            share_aware=out.shares[1],
            mean_trust=out.shares[2],
            p_internet=p_internet,
            age_factor=self.age_factor,
            rate_esignature=rate_esignature,
        )
        adults = kernels.group(
            kernels.Adults, pop.n, urban=self.urban, credential_access=credential_access
        )
        tallies = kernels.group(
            kernels.Tallies,
            pop.n,
            counts=np.zeros((self.chunks, kernels.N_POP_TALLIES), dtype=np.int64),
            sums=np.zeros((self.chunks, 2), dtype=np.float64),
        )
        with kernels.parallel(pop.n):
            kernels.social_month(
                month,
                _keys(kernels.SocialKeys, keys),
                kernels.state(pop),
                month_inputs,
                adults,
                self.ties.arrays,
                self._neighbours,
                tallies,
            )
        return Tally(pop.n, tallies.counts.sum(axis=0), tallies.sums.sum(axis=0))

    def tally(self, pop: Population, month: int) -> Tally:
        """The population's tallies as they stand (the same rule as the second pass)."""
        counts, sums = kernels.tally_population(month, pop, self.urban)
        return Tally(pop.n, counts, sums)

    def peer_share(self, pop: Population, month: int) -> None:
        """Set ``peer_online`` (share of ties who are recent users) as word of mouth does."""
        users = recent_users(pop, month)
        if self.params.network.mixing == "full":
            pop.peer_online[:] = np.float32(np.count_nonzero(users) / max(pop.n, 1))
        else:
            counts = kernels.peer_counts(self.ties, users)
            pop.peer_online[:] = counts / np.maximum(self.ties.degree, 1)  # as the kernel


def internet_chances(
    internet_by_area: np.ndarray, area_size: np.ndarray, ceiling: np.ndarray, rate: np.ndarray
) -> np.ndarray:
    """Each area's monthly chance of going online for an adult without access: the area
    closes a share ``rate`` of its gap to ``ceiling`` a month (before the age factor)."""
    share = internet_by_area / np.maximum(area_size, 1)
    gap = np.clip(ceiling - share, 0.0, None)
    return np.where(share < 1.0, rate * gap / np.maximum(1.0 - share, 1e-9), 0.0)


def recent_users(pop: Population, step: int) -> np.ndarray:
    """Adults who completed an online service in the 12 months up to ``step``."""
    return pop.last_online > step - 12


def credential_knob(pop: Population, params: Params) -> np.ndarray:
    """Each adult's calibration knob on credentials, ``params.credentials`` age factor x area
    factor (float32; 1 everywhere by default: no group constant)."""
    cp = params.credentials
    age = np.asarray(cp.age_factor.array(), dtype=np.float32)[pop.age_group]
    return age * np.asarray(cp.area_factor.array(), dtype=np.float32)[pop.area]


def trip_factor(params: Params, area: np.ndarray) -> np.ndarray:
    """The chance of making the trip to a point that issues a credential, relative to no
    travel: exp(-hours_travel[area] / hours_scale) (float32, ``params.credentials``)."""
    cp = params.credentials
    hours = np.asarray(cp.hours_travel.array(), dtype=np.float32)[area]
    return np.exp(-hours / np.float32(cp.hours_scale)).astype(np.float32)


def credential_access(pop: Population, params: Params) -> np.ndarray:
    """Each adult's relative chance of obtaining a credential in the background trend: a trip
    to a registration point (:func:`trip_factor`), skill, and the group knobs of
    ``params.credentials`` (1 by default), normalised to a mean of 1 (float32)."""
    cp = params.credentials
    skill = 1.0 + np.float32(cp.coef_skill) * (pop.skill - np.float32(0.5))
    access = credential_knob(pop, params) * trip_factor(params, pop.area) * skill
    mean = float(access.mean(dtype=np.float64)) if len(access) else 1.0
    return (access / mean if mean > 0 else np.ones_like(access)).astype(np.float32)


def household_helpers(pop: Population, skill_helper: float) -> np.ndarray:
    """Adults with another adult in their household who can help renew a credential: one with
    internet access who holds the credential (an e-signature, not locked out) or has digital
    skill of at least ``skill_helper``. Households are numbered 0, 1, ... (contiguous rows)."""
    helps = pop.internet & (
        (pop.esignature & ~pop.locked_out) | (pop.skill >= np.float32(skill_helper))
    )
    n_households = int(pop.household.max()) + 1 if pop.n else 0
    per_household = np.bincount(pop.household[helps], minlength=n_households)
    return per_household[pop.household] - helps > 0


@dataclass
class RegainRoutes:
    """Each adult's chance, per attempt, of regaining a credential by each route (float32)."""

    remote: np.ndarray
    """Renewed online: internet access, ``p_remote`` x skill."""
    in_person: np.ndarray
    """A trip to a registration point: ``p_in_person`` x exp(-hours_travel / hours_scale)."""
    household: np.ndarray
    """Help from a household member (:func:`household_helpers`): ``p_household``."""


def regain_routes(pop: Population, params: Params, *, in_person_only: bool = False) -> RegainRoutes:
    """The routes to regaining a credential after a security tightening, per adult, each
    scaled by the group knob (:func:`credential_knob`) and capped at 1; ``in_person_only``
    (an in-person identity check) closes the remote and household routes."""
    cp = params.credentials
    knob = credential_knob(pop, params)
    trip = np.float32(cp.p_in_person) * trip_factor(params, pop.area)
    if in_person_only:
        remote = household = np.zeros(pop.n, dtype=np.float32)
    else:
        remote = np.float32(cp.p_remote) * pop.skill * pop.internet
        helped = household_helpers(pop, cp.skill_helper)
        household = np.where(helped, np.float32(cp.p_household), np.float32(0.0))
    capped = (
        np.minimum(r * knob, np.float32(1.0)).astype(np.float32) for r in (remote, trip, household)
    )
    return RegainRoutes(*capped)
