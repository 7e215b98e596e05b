"""What each lever does to a model: one action class per lever class of :mod:`sim.levers`,
registered against it with ``@acts_for(levers.X)``.

A lever's table (its validated fields) is data; its action here is the code that acts on the
model, so the scenario schema never depends on the model. A lever acts only through the
model's mechanisms (the regime, agency state, citizen columns, trend rates), never on outputs.

Life cycle, driven by ``AdoptionModel`` (dates become step numbers at build time):
``begin(model)`` in the month ``at``; ``each_month(model, k)`` every month from ``at`` on
(``k`` = months since ``at``) while active; ``end(model)`` in the month after ``until``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from sim import levers
from sim.calendar import parse_month
from sim.model import behaviour, kernels
from sim.params import AGE_GROUPS

if TYPE_CHECKING:
    from sim.model.model import AdoptionModel


class Action:
    """The behaviour of one lever of a scenario within one model.

    Each lever draws from its own random stream, named by its ``id`` if it has one, else by
    its content (and by ``instance`` when a scenario holds identical copies), so adding or
    moving a lever never changes the numbers any other mechanism or lever draws, and a lever
    with an id keeps its draws when an experiment sweeps its date or strength."""

    lever: levers.Lever

    def __init__(self, lever: levers.Lever, instance: int = 0) -> None:
        self.lever = lever
        self.stream = f"lever:{lever.stream_name}:{instance}"

    def rng(self, model: AdoptionModel, phase: int) -> np.random.Generator:
        """This lever's stream in the current month; ``phase`` 0 in ``begin``, 1 in
        ``each_month``, 2 in ``end``."""
        return model.streams.get(self.stream, model.month, phase)

    def uniform(self, model: AdoptionModel, phase: int, n: int) -> np.ndarray:
        """One float32 uniform per adult from this lever's counter-based stream (slot i is
        adult i's, whichever adults the lever reaches)."""
        return model.streams.uniform(self.stream, model.month, n, phase)

    def begin(self, model: AdoptionModel) -> None:
        """Called once, in the month ``at``."""

    def each_month(self, model: AdoptionModel, k: int) -> None:
        """Called every month while active (``k`` = months since ``at``, from 0)."""

    def end(self, model: AdoptionModel) -> None:
        """Called in the month after ``until`` (levers with a duration only)."""


ACTIONS: dict[type[levers.Lever], type[Action]] = {}
"""The action class of each lever class; a lever without one only carries data."""

A = TypeVar("A", bound=type[Action])


def acts_for(lever: type[levers.Lever]) -> Callable[[A], A]:
    """Register the decorated action class as what ``lever`` (a class of :mod:`sim.levers`, or
    one added with :func:`sim.levers.register_lever`) does to a model; undo with
    :func:`withdraw_action`."""

    def register(action: A) -> A:
        if lever in ACTIONS:
            raise ValueError(f"{lever.__name__} already acts through {ACTIONS[lever].__name__}")
        ACTIONS[lever] = action
        return action

    return register


def withdraw_action(lever: type[levers.Lever]) -> None:
    """Forget the action registered for ``lever`` (a test's or a study's own lever)."""
    ACTIONS.pop(lever, None)


def _area_mask(model: AdoptionModel, areas: list[str] | None, *, rural: bool = False) -> np.ndarray:
    """Which of the country's areas a lever covers: the named ones, or by default every area
    (every area that is not urban, if ``rural``)."""
    names = model.country.areas
    if areas is None:
        urban = np.isin(np.arange(len(names)), model.country.urban)
        return ~urban if rural else np.ones(len(names), dtype=bool)
    return np.isin(np.arange(len(names)), [names.index(a) for a in areas])


@acts_for(levers.CentralMinistry)
class CentralMinistry(Action):
    lever: levers.CentralMinistry

    def begin(self, model: AdoptionModel) -> None:
        model.regime.central_ministry = True
        model.regime.capacity_rate = max(
            model.regime.capacity_rate, model.params.coordination.rate_capacity_ministry
        )
        model.regime.coordination_rate = max(
            model.regime.coordination_rate, self.lever.coordination_rate
        )
        for agency in model.agency_list:
            agency.inertia *= 1.0 - self.lever.inertia_cut


@acts_for(levers.OpenDatabases)
class OpenDatabases(Action):
    lever: levers.OpenDatabases

    def _rows(self, model: AdoptionModel) -> np.ndarray:
        names = model.registries.names
        chosen = names if self.lever.registries == "all" else self.lever.registries
        return np.array([names.index(r) for r in chosen], dtype=int)

    def begin(self, model: AdoptionModel) -> None:
        rows = self._rows(model)
        if self.lever.connect_to_khur:
            for agency in model.agency_list:
                agency.on_khur = True
        if self.lever.citizen_access:
            model.registries.citizen_pull[rows] = True

    def each_month(self, model: AdoptionModel, k: int) -> None:
        """Registries open towards ``share`` over the ramp, as far as the data-sharing
        agreements of the coordination capacity reach (``share x ramp x capacity``)."""
        ramp = min(1.0, (k + 1) / self.lever.ramp_months)
        target = self.lever.share * ramp * model.regime.capacity
        shared = model.registries.shared
        draws = self.rng(model, 1).random(shared.shape)
        for r in self._rows(model):
            now = shared[r].mean()
            if now >= target:
                continue
            p_open = (target - now) / (1.0 - now)
            shared[r] |= draws[r] < p_open


@acts_for(levers.OnceOnly)
class OnceOnly(Action):
    lever: levers.OnceOnly

    def each_month(self, model: AdoptionModel, k: int) -> None:
        """Agencies come under the rule until ``compliance x capacity`` of them comply (the
        rule needs the standards and agreements that say which data the state holds)."""
        bound = np.array([a.once_only for a in model.agency_list])
        target = self.lever.compliance * model.regime.capacity
        now = bound.mean()
        if now >= target:
            return
        p_comply = (target - now) / (1.0 - now)
        draws = self.rng(model, 1).random(len(bound))
        for agency, u in zip(model.agency_list, draws, strict=True):
            if not agency.once_only and u < p_comply:
                agency.once_only = True


@acts_for(levers.LegalEsignature)
class LegalEsignature(Action):
    lever: levers.LegalEsignature

    def begin(self, model: AdoptionModel) -> None:
        model.regime.digital_documents_legal = True

    def each_month(self, model: AdoptionModel, k: int) -> None:
        """Implementation follows the coordination capacity: the certificate authority issues
        free certificates at ``uptake_rate x capacity``, and an agency that refused digital
        documents accepts them with chance ``capacity / acceptance_lag_months`` a month."""
        capacity = model.regime.capacity
        if self.lever.free_certificates:
            model.esignature_rate = max(model.esignature_rate, self.lever.uptake_rate * capacity)
        lag = max(self.lever.acceptance_lag_months, 1.0)
        p_accept = capacity / lag
        draws = self.rng(model, 1).random(len(model.agency_list))
        for agency, u in zip(model.agency_list, draws, strict=True):
            if not agency.accepts_digital and u < p_accept:
                agency.accepts_digital = True


def _raise_security(model: AdoptionModel, gain: float) -> None:
    for agency in model.agency_list:
        agency.security += gain * (1.0 - agency.security)


@acts_for(levers.DataProtection)
class DataProtection(Action):
    lever: levers.DataProtection

    def begin(self, model: AdoptionModel) -> None:
        _raise_security(model, self.lever.security_gain)
        model.regime.breach_harm *= 1.0 - self.lever.harm_cut
        model.regime.trust_recovery = max(model.regime.trust_recovery, self.lever.trust_recovery)


@acts_for(levers.Cybersecurity)
class Cybersecurity(Action):
    lever: levers.Cybersecurity

    def begin(self, model: AdoptionModel) -> None:
        _raise_security(model, self.lever.security_gain)
        model.regime.breach_factor *= self.lever.breach_rate_factor


@acts_for(levers.Connectivity)
class Connectivity(Action):
    lever: levers.Connectivity

    def begin(self, model: AdoptionModel) -> None:
        mask = _area_mask(model, self.lever.areas, rural=True)
        model.internet_ceiling[mask] = np.maximum(model.internet_ceiling[mask], self.lever.ceiling)
        model.internet_rate[mask] = np.maximum(model.internet_rate[mask], self.lever.rate)


@acts_for(levers.DigitalSkills)
class DigitalSkills(Action):
    lever: levers.DigitalSkills

    def each_month(self, model: AdoptionModel, k: int) -> None:
        pop = model.population
        ages = [AGE_GROUPS.index(a) for a in self.lever.ages]
        target = _area_mask(model, self.lever.areas)[pop.area] & np.isin(pop.age_group, ages)
        u = self.uniform(model, 1, pop.n)
        trained = target & (u < self.lever.reach_per_month)
        pop.skill[trained] += np.float32(self.lever.skill_gain) * (1.0 - pop.skill[trained])
        pop.aware[trained] = True


@acts_for(levers.AssistedChannels)
class AssistedChannels(Action):
    lever: levers.AssistedChannels

    def begin(self, model: AdoptionModel) -> None:
        mask = _area_mask(model, self.lever.areas)
        model.assisted_reach[mask] = np.maximum(model.assisted_reach[mask], self.lever.reach)


@acts_for(levers.DigitiseServices)
class DigitiseServices(Action):
    lever: levers.DigitiseServices

    def each_month(self, model: AdoptionModel, k: int) -> None:
        left = parse_month(self.lever.until) - parse_month(model.date)
        for agency in model.agency_list:
            if agency.share_online < self.lever.target_share:
                agency.share_online += (self.lever.target_share - agency.share_online) / (left + 1)


@acts_for(levers.Lockdown)
class Lockdown(Action):
    lever: levers.Lockdown

    def begin(self, model: AdoptionModel) -> None:
        model.regime.online_push += self.lever.strength
        model.regime.counters_closed += self.lever.share_counters_closed

    def each_month(self, model: AdoptionModel, k: int) -> None:
        pop = model.population
        pop.aware |= self.uniform(model, 1, pop.n) < self.lever.p_aware

    def end(self, model: AdoptionModel) -> None:
        model.regime.online_push -= self.lever.strength
        model.regime.counters_closed -= self.lever.share_counters_closed


@acts_for(levers.SecurityBreach)
class SecurityBreach(Action):
    lever: levers.SecurityBreach

    def begin(self, model: AdoptionModel) -> None:
        model.breach(self.lever.agency, self.lever.severity, self.rng(model, 0))


TRY_PHASE, REMOTE_PHASE, TRIP_PHASE, HELP_PHASE = 4, 5, 6, 7
"""The phases of a security tightening's stream from which, each month, a locked-out adult
draws whether to try without a need, and each route's outcome: one draw per adult and
mechanism, so switching one route off leaves every other route's numbers as they were."""


@acts_for(levers.SecurityTightening)
class SecurityTightening(Action):
    """Locks out adults without the credential; from the next month each regains it through
    the mechanisms of ``params.credentials`` (docs/ODD.md 7.10): an attempt in a month a need
    arrives (the month's own need draws), then a remote renewal, a trip to a registration
    point or a household member's help, each from its own draw."""

    lever: levers.SecurityTightening

    def begin(self, model: AdoptionModel) -> None:
        pop = model.population
        if self.lever.requires == "esignature":
            locked = ~pop.esignature
        else:
            locked = self.uniform(model, 0, pop.n) < self.lever.share
        pop.locked_out |= locked
        pop.trust[locked] *= np.float32(1.0 - self.lever.trust_loss)

    def attempts(self, model: AdoptionModel) -> np.ndarray:
        """Locked-out adults who try to regain the credential this month: those with a service
        need this month (the citizens' own need draws), and others with chance
        ``p_try_without_need``."""
        pop = model.population
        need_key = model.streams.key(behaviour.CITIZEN_KEYS.needs[0], model.month)
        needs = kernels.need_counts(need_key, pop.age_group, model.rules.needs_cdf) > 0
        p_try = np.float32(model.params.credentials.p_try_without_need)
        return pop.locked_out & (needs | (self.uniform(model, TRY_PHASE, pop.n) < p_try))

    def each_month(self, model: AdoptionModel, k: int) -> None:
        pop = model.population
        if k == 0 or not pop.locked_out.any():
            return
        routes = behaviour.regain_routes(
            pop, model.params, in_person_only=self.lever.requires == "in_person_check"
        )
        regain = self.attempts(model) & (
            (self.uniform(model, REMOTE_PHASE, pop.n) < routes.remote)
            | (self.uniform(model, TRIP_PHASE, pop.n) < routes.in_person)
            | (self.uniform(model, HELP_PHASE, pop.n) < routes.household)
        )
        if self.lever.requires == "esignature":
            pop.esignature |= regain
            regain |= pop.locked_out & pop.esignature
        pop.locked_out &= ~regain

    def end(self, model: AdoptionModel) -> None:
        model.population.locked_out[:] = False


ADOPTION_PHASE = 3
"""The phase of a lever's stream from which an endogenous reform draws its adoption (0-2 are
its reform's ``begin``, ``each_month`` and ``end``)."""


class EndogenousReform(Action):
    """A reform that arises: each month from ``at`` until adopted, one draw from this lever's
    own stream against :meth:`sim.levers.EndogenousReform.hazard` at the coordination capacity;
    from the month of adoption on, the dated reform's action (with this lever's stream), as if
    dated then. With a hazard of 1 it is the dated lever, draw for draw."""

    lever: levers.EndogenousReform
    dated: type[levers.Lever]
    """The dated lever class whose action this reform takes once adopted."""

    def __init__(self, lever: levers.Lever, instance: int = 0) -> None:
        super().__init__(lever, instance)
        self.reform = ACTIONS[self.dated](lever, instance)
        self.adopted_after: int | None = None
        """Months from ``at`` to adoption (None: not adopted yet)."""

    def each_month(self, model: AdoptionModel, k: int) -> None:
        if self.adopted_after is None:
            u = self.rng(model, ADOPTION_PHASE).random()
            if u >= self.lever.hazard(model.regime.capacity):
                return
            self.adopted_after = k
            model.regime.reforms_adopted += 1
            self.reform.begin(model)
        self.reform.each_month(model, k - self.adopted_after)


@acts_for(levers.EndogenousLegalEsignature)
class EndogenousLegalEsignature(EndogenousReform):
    dated = levers.LegalEsignature


@acts_for(levers.EndogenousOpenDatabases)
class EndogenousOpenDatabases(EndogenousReform):
    dated = levers.OpenDatabases


def action_for(lever: levers.Lever, instance: int = 0) -> Action:
    """A fresh action for one lever of a scenario (``instance``: how many identical levers
    come before it in the scenario)."""
    return ACTIONS.get(type(lever), Action)(lever, instance)
