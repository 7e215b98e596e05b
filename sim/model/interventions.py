"""What each lever does to a model: one action class per ``type`` of :mod:`sim.levers`.

A lever's table (its validated fields) is data; its action here is the code that acts on the
model, so the scenario schema never depends on the model. A lever acts only through the
model's mechanisms (the regime, agency state, citizen columns, trend rates), never on outputs.

Life cycle, driven by ``AdoptionModel`` (dates become step numbers at build time):
``begin(model)`` in the month ``at``; ``each_month(model, k)`` every month from ``at`` on
(``k`` = months since ``at``) while active; ``end(model)`` in the month after ``until``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim import levers
from sim.calendar import parse_month
from sim.params import AGE_GROUPS, AREAS

if TYPE_CHECKING:
    from sim.model.model import AdoptionModel


class Action:
    """The behaviour of one lever of a scenario within one model."""

    lever: levers.Lever

    def __init__(self, lever: levers.Lever) -> None:
        self.lever = lever

    def begin(self, model: AdoptionModel) -> None:
        """Called once, in the month ``at``."""

    def each_month(self, model: AdoptionModel, k: int) -> None:
        """Called every month while active (``k`` = months since ``at``, from 0)."""

    def end(self, model: AdoptionModel) -> None:
        """Called in the month after ``until`` (levers with a duration only)."""


def _area_mask(areas: list[str]) -> np.ndarray:
    return np.isin(np.arange(len(AREAS)), [AREAS.index(a) for a in areas])


class CentralMinistry(Action):
    lever: levers.CentralMinistry

    def begin(self, model: AdoptionModel) -> None:
        model.regime.central_ministry = True
        model.regime.coordination_rate = max(
            model.regime.coordination_rate, self.lever.coordination_rate
        )
        for agency in model.agency_list:
            agency.inertia *= 1.0 - self.lever.inertia_cut


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
        if k >= self.lever.ramp_months:
            return
        target = self.lever.share * (k + 1) / self.lever.ramp_months
        shared = model.registries.shared
        for r in self._rows(model):
            now = shared[r].mean()
            if now >= target:
                continue
            p_open = (target - now) / (1.0 - now)
            shared[r] |= model.rng.random(shared.shape[1]) < p_open


class OnceOnly(Action):
    lever: levers.OnceOnly

    def begin(self, model: AdoptionModel) -> None:
        complies = model.rng.random(len(model.agency_list)) < self.lever.compliance
        for agency, yes in zip(model.agency_list, complies, strict=True):
            agency.once_only = agency.once_only or bool(yes)


class LegalEsignature(Action):
    lever: levers.LegalEsignature

    def begin(self, model: AdoptionModel) -> None:
        model.regime.digital_documents_legal = True
        if self.lever.free_certificates:
            model.esignature_rate = max(model.esignature_rate, self.lever.uptake_rate)

    def each_month(self, model: AdoptionModel, k: int) -> None:
        p_accept = (
            1.0 if self.lever.acceptance_lag_months <= 1 else 1.0 / self.lever.acceptance_lag_months
        )
        draws = model.rng.random(len(model.agency_list))
        for agency, u in zip(model.agency_list, draws, strict=True):
            if not agency.accepts_digital and u < p_accept:
                agency.accepts_digital = True


def _raise_security(model: AdoptionModel, gain: float) -> None:
    for agency in model.agency_list:
        agency.security += gain * (1.0 - agency.security)


class DataProtection(Action):
    lever: levers.DataProtection

    def begin(self, model: AdoptionModel) -> None:
        _raise_security(model, self.lever.security_gain)
        model.regime.breach_harm *= 1.0 - self.lever.harm_cut
        model.regime.trust_recovery = max(model.regime.trust_recovery, self.lever.trust_recovery)


class Cybersecurity(Action):
    lever: levers.Cybersecurity

    def begin(self, model: AdoptionModel) -> None:
        _raise_security(model, self.lever.security_gain)
        model.regime.breach_factor *= self.lever.breach_rate_factor


class Connectivity(Action):
    lever: levers.Connectivity

    def begin(self, model: AdoptionModel) -> None:
        mask = _area_mask(self.lever.areas)
        model.internet_ceiling[mask] = np.maximum(model.internet_ceiling[mask], self.lever.ceiling)
        model.internet_rate[mask] = np.maximum(model.internet_rate[mask], self.lever.rate)


class DigitalSkills(Action):
    lever: levers.DigitalSkills

    def each_month(self, model: AdoptionModel, k: int) -> None:
        pop = model.population
        ages = [AGE_GROUPS.index(a) for a in self.lever.ages]
        target = _area_mask(self.lever.areas)[pop.area] & np.isin(pop.age_group, ages)
        trained = target & (model.rng.random(pop.n, dtype=np.float32) < self.lever.reach_per_month)
        pop.skill[trained] += np.float32(self.lever.skill_gain) * (1.0 - pop.skill[trained])
        pop.aware[trained] = True


class AssistedChannels(Action):
    lever: levers.AssistedChannels

    def begin(self, model: AdoptionModel) -> None:
        mask = _area_mask(self.lever.areas)
        model.assisted_reach[mask] = np.maximum(model.assisted_reach[mask], self.lever.reach)


class DigitiseServices(Action):
    lever: levers.DigitiseServices

    def each_month(self, model: AdoptionModel, k: int) -> None:
        left = parse_month(self.lever.until) - parse_month(model.date)
        for agency in model.agency_list:
            if agency.share_online < self.lever.target_share:
                agency.share_online += (self.lever.target_share - agency.share_online) / (left + 1)


class Lockdown(Action):
    lever: levers.Lockdown

    def begin(self, model: AdoptionModel) -> None:
        model.regime.online_push += self.lever.strength
        model.regime.counters_closed += self.lever.share_counters_closed

    def each_month(self, model: AdoptionModel, k: int) -> None:
        pop = model.population
        pop.aware |= model.rng.random(pop.n, dtype=np.float32) < self.lever.p_aware

    def end(self, model: AdoptionModel) -> None:
        model.regime.online_push -= self.lever.strength
        model.regime.counters_closed -= self.lever.share_counters_closed


class SecurityBreach(Action):
    lever: levers.SecurityBreach

    def begin(self, model: AdoptionModel) -> None:
        model.breach(self.lever.agency, self.lever.severity)


class SecurityTightening(Action):
    lever: levers.SecurityTightening

    def begin(self, model: AdoptionModel) -> None:
        pop = model.population
        if self.lever.requires == "esignature":
            locked = ~pop.esignature
        else:
            locked = model.rng.random(pop.n, dtype=np.float32) < self.lever.share
        pop.locked_out |= locked
        pop.trust[locked] *= np.float32(1.0 - self.lever.trust_loss)

    def each_month(self, model: AdoptionModel, k: int) -> None:
        pop = model.population
        if k == 0:
            return
        regain = pop.locked_out & (
            model.rng.random(pop.n, dtype=np.float32) < self.lever.rate_recovery
        )
        if self.lever.requires == "esignature":
            pop.esignature |= regain
            regain |= pop.locked_out & pop.esignature
        pop.locked_out &= ~regain

    def end(self, model: AdoptionModel) -> None:
        model.population.locked_out[:] = False


ACTIONS: dict[str, type[Action]] = {
    levers.CentralMinistry.model_fields["type"].default: CentralMinistry,
    levers.OpenDatabases.model_fields["type"].default: OpenDatabases,
    levers.OnceOnly.model_fields["type"].default: OnceOnly,
    levers.LegalEsignature.model_fields["type"].default: LegalEsignature,
    levers.DataProtection.model_fields["type"].default: DataProtection,
    levers.Cybersecurity.model_fields["type"].default: Cybersecurity,
    levers.Connectivity.model_fields["type"].default: Connectivity,
    levers.DigitalSkills.model_fields["type"].default: DigitalSkills,
    levers.AssistedChannels.model_fields["type"].default: AssistedChannels,
    levers.DigitiseServices.model_fields["type"].default: DigitiseServices,
    levers.Lockdown.model_fields["type"].default: Lockdown,
    levers.SecurityBreach.model_fields["type"].default: SecurityBreach,
    levers.SecurityTightening.model_fields["type"].default: SecurityTightening,
}
"""The action class of each lever type; levers without one (none today) only carry data."""


def action_for(lever: levers.Lever) -> Action:
    """A fresh action for one lever of a scenario."""
    return ACTIONS.get(lever.type, Action)(lever)
