"""The citizens' rules, each written once and vectorised over the population's columns.

No function here loops over citizens: transactions are index arrays into the columns,
per-citizen tallies are ``np.bincount``s, neighbour sums are one sparse product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from sim.model.agencies import Regime, ServiceTable
from sim.model.population import Population
from sim.params import Params

IN_PERSON, ASSISTED, ONLINE = 0, 1, 2


@dataclass
class Transactions:
    """This month's service needs: one entry per transaction."""

    citizen: np.ndarray
    agency: np.ndarray


@dataclass
class Outcomes:
    """What happened to this month's transactions, tallied per citizen and in total."""

    success: np.ndarray
    """Per citizen: online transactions completed end to end."""
    fail: np.ndarray
    """Per citizen: online attempts sent back for paper (round trips)."""
    paper: np.ndarray
    """Per citizen: paper certificates demanded at a counter (in person or assisted)."""
    n_transactions: int
    n_online: int
    n_success: int
    n_assisted: int
    n_in_person: int
    n_visits: int
    n_paper: int
    online_by_agency: np.ndarray
    transactions_by_agency: np.ndarray


class NeedsSampler:
    """Poisson service needs by inverse-CDF sampling: one float32 uniform per adult against a
    per-adult threshold for "at least one need", then the few with needs walk up the CDF.
    Exact Poisson up to float32 resolution and a tail truncated below 1e-9."""

    def __init__(self, pop: Population, params: Params, traffic_cdf: np.ndarray) -> None:
        from scipy.stats import poisson

        self.agencies = CategoryLookup(traffic_cdf)

        rate = np.asarray(params.needs.rate_needs_per_year.array()) / 12.0
        k_max = int(poisson.ppf(1 - 1e-9, rate.max())) + 1
        self.cdf = poisson.cdf(np.arange(k_max)[None, :], rate[:, None]).astype(np.float32)
        self.group = pop.age_group
        self.p_zero = self.cdf[:, 0][pop.age_group]  # per adult, fixed for the run

    def counts(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Rows of adults with needs this month and how many each has."""
        u = rng.random(len(self.p_zero), dtype=np.float32)
        rows = np.flatnonzero(u >= self.p_zero)
        n_needs = np.ones(len(rows), dtype=np.int32)
        active = np.arange(len(rows))  # rows still climbing the CDF; shrinks fast
        u_active, group = u[rows], self.group[rows]
        for k in range(1, self.cdf.shape[1]):
            more = u_active >= self.cdf[group, k]
            if not more.any():
                break
            active, u_active, group = active[more], u_active[more], group[more]
            n_needs[active] += 1
        return rows.astype(np.int32), n_needs


def draw_transactions(
    sampler: NeedsSampler, needs: np.random.Generator, agencies: np.random.Generator
) -> Transactions:
    """Each adult has a Poisson number of needs this month (rate by age group, one uniform per
    adult from the ``needs`` stream); each need goes to an agency drawn by traffic (one
    uniform per transaction from the ``agency`` stream)."""
    rows, n_needs = sampler.counts(needs)
    citizen = np.repeat(rows, n_needs)
    agency = sampler.agencies.pick(agencies.random(len(citizen), dtype=np.float32))
    return Transactions(citizen, agency)


LOOKUP_BINS = 4096


class CategoryLookup:
    """Draws from a fixed categorical distribution: ``searchsorted(cdf, u, side="right")``
    (capped at the last category), exactly, through a table of ``LOOKUP_BINS`` bins built
    once; only draws in the few bins that hold a category boundary are searched."""

    def __init__(self, cdf: np.ndarray) -> None:
        self.cdf = np.asarray(cdf).astype(np.float32)
        edges = np.arange(LOOKUP_BINS + 1, dtype=np.float32) / LOOKUP_BINS
        at_edge = np.searchsorted(self.cdf, edges, side="right")
        self.low, self.high = at_edge[:-1], at_edge[1:]

    def pick(self, u: np.ndarray) -> np.ndarray:
        bins = np.minimum((u * LOOKUP_BINS).astype(np.int32), LOOKUP_BINS - 1)
        picked = self.low[bins]
        unsure = np.flatnonzero(picked != self.high[bins])
        picked[unsure] = np.searchsorted(self.cdf, u[unsure], side="right")
        return np.minimum(picked, len(self.cdf) - 1).astype(np.int32)


def online_utility(
    pop: Population, c: np.ndarray, insecurity: np.ndarray, regime: Regime, params: Params
) -> np.ndarray:
    """UTAUT-like utility of the online channel relative to going in person."""
    cp = params.choice
    trust = pop.trust[c]
    n_exp = pop.n_success[c].astype(np.float32) + pop.n_fail[c]
    experience = (pop.n_success[c] - pop.n_fail[c].astype(np.float32)) / (n_exp + 2.0)
    return (
        cp.coef_online_intercept
        + cp.coef_trust * trust
        + cp.coef_skill * pop.skill[c]
        + cp.coef_peer * pop.peer_online[c]
        + cp.coef_experience * experience
        + cp.coef_paper_habit * pop.paper_habit[c]
        + cp.coef_risk * (1.0 - trust) * insecurity
        + regime.online_push
    )


def choose_channels(
    pop: Population,
    tx: Transactions,
    table: ServiceTable,
    regime: Regime,
    params: Params,
    rng: np.random.Generator,
    assisted_reach: np.ndarray,
) -> np.ndarray:
    """A multinomial logit over online, assisted and in person, with gates.

    Online needs internet access, awareness, no lock-out, the service being online and an
    e-signature where the service needs one. Assisted (kiosk, one-stop centre) needs the
    service online and a centre within reach. In person is always possible.
    """
    c, a = tx.citizen, tx.agency
    n = len(c)
    u = rng.random((4, n), dtype=np.float32)
    service_online = u[0] < table.share_online[a]
    needs_esig = u[1] < params.needs.p_needs_esignature
    can_online = (
        pop.internet[c]
        & pop.aware[c]
        & ~pop.locked_out[c]
        & service_online
        & (pop.esignature[c] | ~needs_esig)
    )
    can_assisted = service_online & (u[2] < assisted_reach.astype(np.float32)[pop.area[c]])

    # utilities only where the channel is open (the others weigh 0)
    e_online = np.zeros(n, dtype=np.float32)
    open_ = np.flatnonzero(can_online)
    e_online[open_] = np.exp(
        online_utility(pop, c[open_], table.insecurity[a[open_]], regime, params)
    )
    e_assisted = np.zeros(n, dtype=np.float32)
    helped = np.flatnonzero(can_assisted)
    e_assisted[helped] = np.exp(
        params.choice.coef_assisted_intercept + params.choice.coef_trust * pop.trust[c[helped]]
    )
    pick = u[3] * (e_online + e_assisted + 1.0)
    channel = np.full(n, IN_PERSON, dtype=np.int8)
    channel[pick < e_online + e_assisted] = ASSISTED
    channel[pick < e_online] = ONLINE
    return channel


def serve(
    pop: Population,
    tx: Transactions,
    channel: np.ndarray,
    table: ServiceTable,
    regime: Regime,
    rng: np.random.Generator,
) -> Outcomes:
    """Outcomes: an online attempt succeeds end to end or becomes a paper round trip (two
    visits: the certificate office, then the agency); a counter visit may need a paper
    certificate first (one more visit). Lockdowns turn some counter visits away."""
    c, a = tx.citizen, tx.agency
    n, n_agencies = pop.n, len(table.share_online)
    u = rng.random((2, len(c)), dtype=np.float32)
    online = channel == ONLINE
    counter = ~online
    success = online & (u[0] < table.p_end_to_end[a])
    fail = online & ~success
    paper_at_counter = counter & (u[0] < table.p_paper[a])
    turned_away = counter & (u[1] < min(regime.counters_closed, 1.0))
    served_counter = counter & ~turned_away
    paper_at_counter &= ~turned_away

    n_fail = int(fail.sum())
    n_counter = int(served_counter.sum())
    n_paper_counter = int(paper_at_counter.sum())
    return Outcomes(
        success=np.bincount(c[success], minlength=n),
        fail=np.bincount(c[fail], minlength=n),
        paper=np.bincount(c[paper_at_counter], minlength=n),
        n_transactions=len(c),
        n_online=int(online.sum()),
        n_success=int(success.sum()),
        n_assisted=int((served_counter & (channel == ASSISTED)).sum()),
        n_in_person=int((served_counter & (channel == IN_PERSON)).sum()),
        n_visits=n_counter + n_paper_counter + 2 * n_fail,
        n_paper=n_paper_counter + n_fail,
        online_by_agency=np.bincount(a[online], minlength=n_agencies),
        transactions_by_agency=np.bincount(a, minlength=n_agencies),
    )


def _powers(base: float, k: np.ndarray) -> np.ndarray:
    """``base ** k`` for small non-negative integers ``k``, by table lookup (float32)."""
    table = np.float32(base) ** np.arange(int(k.max()) + 1, dtype=np.float32)
    return table[k]


def learn(pop: Population, out: Outcomes, params: Params, step: int) -> None:
    """Trust, paper habit, skill and experience after this month's outcomes.

    Successes come first, then failures and paper demands (a fixed order, so a citizen with
    both ends the month on the bad news). Each success moves trust a share ``rate_trust_gain``
    towards 1 and cuts paper habit by ``rate_habit_loss``; each round trip cuts trust by
    ``rate_trust_loss`` and, like each paper demand at a counter, moves paper habit towards 1.
    """
    lp = params.learning
    touched = np.flatnonzero(out.success | out.fail | out.paper)
    if len(touched) == 0:
        return
    s_t, f_t, p_t = out.success[touched], out.fail[touched], out.paper[touched]
    tried_t = s_t + f_t
    trust = pop.trust[touched]
    trust = 1.0 - (1.0 - trust) * _powers(1.0 - lp.rate_trust_gain, s_t)
    pop.trust[touched] = trust * _powers(1.0 - lp.rate_trust_loss, f_t)
    habit = pop.paper_habit[touched] * _powers(1.0 - lp.rate_habit_loss, s_t)
    pop.paper_habit[touched] = 1.0 - (1.0 - habit) * _powers(1.0 - lp.rate_habit_gain, f_t + p_t)
    skill = pop.skill[touched]
    pop.skill[touched] = 1.0 - (1.0 - skill) * _powers(1.0 - lp.rate_skill_gain, tried_t)
    pop.n_success[touched] = np.minimum(pop.n_success[touched] + s_t, np.iinfo(np.int16).max)
    pop.n_fail[touched] = np.minimum(pop.n_fail[touched] + f_t, np.iinfo(np.int16).max)
    pop.last_online[touched[s_t > 0]] = step
    pop.last_tried[touched[tried_t > 0]] = step


def recent_users(pop: Population, step: int) -> np.ndarray:
    """Adults who completed an online service in the 12 months up to ``step``."""
    return pop.last_online > step - 12


@dataclass(frozen=True)
class TieWeights:
    """What the neighbour sums need from the degrees, computed once per model."""

    per_tie: np.ndarray
    """1 / number of ties (1 for adults without ties), float32."""
    has_ties: np.ndarray
    trust_scale: int
    """Thousandths, or less when some adult has more than 32 ties (int16 sums)."""

    @classmethod
    def of(cls, degree: np.ndarray) -> TieWeights:
        most = max(int(degree.max()), 1) if len(degree) else 1
        return cls(
            per_tie=1.0 / np.maximum(degree, 1).astype(np.float32),
            has_ties=degree > 0,
            trust_scale=min(TRUST_SCALE, np.iinfo(np.int16).max // most),
        )


TRUST_SCALE = 1000
"""Trust is summed over ties as int16 in thousandths (the tie average is exact to 0.0005);
with more than 32 ties the scale shrinks so the int16 sum cannot overflow."""


def neighbour_share(
    ties: sp.csr_array, flags: np.ndarray, per_tie: np.ndarray, mixing: str = "network"
) -> np.ndarray:
    """Share of each citizen's ties for whom ``flags`` is true (an int8 sparse product); with
    full mixing, the share of the whole population for everyone."""
    if mixing == "full":
        return np.full(len(flags), np.count_nonzero(flags) / len(flags), dtype=np.float32)
    return (ties @ flags.view(np.int8)) * per_tie


def bass_hazard(p: float, q: float, share: np.ndarray) -> np.ndarray:
    """Chance of becoming aware within a month for someone whose share of aware (or using)
    ties is ``share``: the Bass equation dF/dt = (p + qF)(1 - F) integrated over one month from
    F = share, h = (F' - F) / (1 - F). To first order this is p + q x share; on a fully mixed
    population it makes the expected curve equal the closed-form Bass curve at every month
    (docs/validation.md). ``p`` and ``q`` are rates per month."""
    if p + q <= 0:
        return np.zeros(len(share), dtype=np.float32)
    f = np.minimum(share.astype(np.float64), 1.0 - 1e-12)
    # (p + qF) / (1 - F) grows by exp(p + q) a month along the Bass trajectory
    ratio = (p + q * f) / (1.0 - f) * np.exp(p + q)
    f_next = (ratio - p) / (ratio + q)
    return ((f_next - f) / (1.0 - f)).astype(np.float32)


def word_of_mouth(
    pop: Population,
    ties: sp.csr_array,
    weights: TieWeights,
    params: Params,
    rng: np.random.Generator,
    step: int,
) -> None:
    """Ties pass on awareness (Bass: media p plus imitation q x share of users among ties, or a
    Granovetter threshold), social proof (``peer_online``, used in next month's choice) and
    trust (DeGroot averaging)."""
    lp, mixing = params.learning, params.network.mixing
    per_tie = weights.per_tie
    pop.peer_online[:] = neighbour_share(ties, recent_users(pop, step), per_tie, mixing)
    if lp.awareness_from == "aware":
        spreading = neighbour_share(ties, pop.aware, per_tie, mixing)
    else:
        spreading = pop.peer_online
    unaware = np.flatnonzero(~pop.aware)
    if lp.awareness_rule == "threshold":
        pop.aware[unaware[spreading[unaware] >= pop.threshold[unaware]]] = True
    else:
        u = rng.random(pop.n, dtype=np.float32)[unaware]  # one slot per adult
        p_aware = bass_hazard(lp.p_aware_media, lp.p_aware_peer, spreading[unaware])
        pop.aware[unaware[u < p_aware]] = True
    if lp.rate_trust_social > 0:
        if mixing == "full":
            peer_trust = np.float32(pop.trust.mean(dtype=np.float64))
        else:
            scale = weights.trust_scale
            trust_q = np.rint(pop.trust * scale).astype(np.int16)
            peer_sum = ties @ trust_q
            peer_trust = np.where(weights.has_ties, peer_sum * (per_tie / scale), pop.trust)
        pop.trust += np.float32(lp.rate_trust_social) * (peer_trust - pop.trust)


def grow_internet(
    pop: Population,
    ceiling: np.ndarray,
    rate: np.ndarray,
    params: Params,
    rng: np.random.Generator,
    area_size: np.ndarray,
) -> None:
    """Each area's access closes a share ``rate`` of its gap to ``ceiling`` a month, the new
    users drawn among non-users with the age factor."""
    share = np.bincount(pop.area, weights=pop.internet, minlength=4) / np.maximum(area_size, 1)
    gap = np.clip(ceiling - share, 0.0, None)
    p_area = np.where(share < 1.0, rate * gap / np.maximum(1.0 - share, 1e-9), 0.0)
    factor = np.asarray(params.internet.age_factor.array())
    u = rng.random(pop.n, dtype=np.float32)  # one slot per adult
    offline = np.flatnonzero(~pop.internet)
    p = (p_area[pop.area[offline]] * factor[pop.age_group[offline]]).astype(np.float32)
    pop.internet[offline[u[offline] < p]] = True


def reassure(pop: Population, rate: float, step: int) -> None:
    """Data-protection notifications: recent online users' trust moves ``rate`` towards 1."""
    if rate > 0:
        users = pop.last_tried > step - 12
        pop.trust += np.float32(rate) * (1.0 - pop.trust) * users


def credential_access(pop: Population, params: Params) -> np.ndarray:
    """Each adult's relative chance of obtaining or regaining a credential (age group, area,
    skill; ``params.credentials``), normalised to a mean of 1 (float32)."""
    cp = params.credentials
    age = np.asarray(cp.age_factor.array(), dtype=np.float32)[pop.age_group]
    area = np.asarray(cp.area_factor.array(), dtype=np.float32)[pop.area]
    access = age * area * (1.0 + np.float32(cp.coef_skill) * (pop.skill - np.float32(0.5)))
    mean = float(access.mean(dtype=np.float64)) if len(access) else 1.0
    return (access / mean if mean > 0 else np.ones_like(access)).astype(np.float32)


def take_up_esignatures(
    pop: Population, rate: float, rng: np.random.Generator, access: np.ndarray
) -> None:
    """Adults without an e-signature get one with chance ``rate x access`` a month."""
    u = rng.random(pop.n, dtype=np.float32)  # one slot per adult
    pop.esignature |= u < np.float32(rate) * access
