"""Dated policy levers and events: one class per ``type`` of a scenario's ``[[interventions]]``.

Each class is the validated table of a scenario file *and* the code that acts on the model, so
what a lever's parameters mean is written in one place. A lever acts only through the model's
mechanisms (the regime, agency state, citizen columns, trend rates), never on outputs.

Life cycle, driven by ``AdoptionModel`` (dates become step numbers at build time):
``begin(model)`` in the month ``at``; ``each_month(model, k)`` every month from ``at`` on
(``k`` = months since ``at``) while active; ``end(model)`` in the month after ``until``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from sim.calendar import Month
from sim.params import AGE_GROUPS, AREAS

if TYPE_CHECKING:
    from sim.model.model import AdoptionModel


class Lever(BaseModel):
    """Fields and life cycle shared by every intervention."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: Month = Field(description="month the intervention starts, YYYY-MM")
    note: str = Field("", description="free text, e.g. the source of the date")

    @property
    def until_date(self) -> str | None:
        return getattr(self, "until", None)

    def begin(self, model: AdoptionModel) -> None:
        """Called once, in the month ``at``."""

    def each_month(self, model: AdoptionModel, k: int) -> None:
        """Called every month while active (``k`` = months since ``at``, from 0)."""

    def end(self, model: AdoptionModel) -> None:
        """Called in the month after ``until`` (levers with a duration only)."""


AreaName = Literal["ulaanbaatar", "aimag_centre", "soum_centre", "rural"]
AgeGroup = Literal["young", "middle", "old"]


def _area_mask(areas: list[str]) -> np.ndarray:
    return np.isin(np.arange(len(AREAS)), [AREAS.index(a) for a in areas])


class CentralMinistry(Lever):
    """A central ministry coordinates agencies: each converges on common standards (accept
    digital documents, join Khur, open registries, ask less for paper, move services online)
    at the coordination rate, whatever the pressure on it, and every agency's inertia falls."""

    type: Literal["central_ministry"] = "central_ministry"
    coordination_rate: float = Field(
        0.05, ge=0, le=1, description="per month: chance a coordinated agency takes a step"
    )
    inertia_cut: float = Field(
        0.5, ge=0, le=1, description="share by which every agency's inertia falls"
    )

    def begin(self, model: AdoptionModel) -> None:
        model.regime.central_ministry = True
        model.regime.coordination_rate = max(model.regime.coordination_rate, self.coordination_rate)
        for agency in model.agency_list:
            agency.inertia *= 1.0 - self.inertia_cut


class OpenDatabases(Lever):
    """Registries are opened to other agencies through Khur (a share of agencies, over a ramp),
    agencies are connected to Khur, and citizens may pull their own records as digital
    documents."""

    type: Literal["open_databases"] = "open_databases"
    registries: list[str] | Literal["all"] = Field(
        "all", description='"all" or a list of registry names (see docs/scenarios.md)'
    )
    share: float = Field(
        1.0, ge=0, le=1, description="share of agencies each registry is opened to"
    )
    ramp_months: int = Field(
        12, ge=1, le=240, description="months over which the opening reaches `share`"
    )
    connect_to_khur: bool = Field(True, description="connect every agency to Khur")
    citizen_access: bool = Field(
        True, description="citizens can pull their own records as digital documents"
    )

    def _rows(self, model: AdoptionModel) -> np.ndarray:
        names = model.registries.names
        chosen = names if self.registries == "all" else self.registries
        return np.array([names.index(r) for r in chosen], dtype=int)

    def begin(self, model: AdoptionModel) -> None:
        rows = self._rows(model)
        if self.connect_to_khur:
            for agency in model.agency_list:
                agency.on_khur = True
        if self.citizen_access:
            model.registries.citizen_pull[rows] = True

    def each_month(self, model: AdoptionModel, k: int) -> None:
        if k >= self.ramp_months:
            return
        target = self.share * (k + 1) / self.ramp_months
        shared = model.registries.shared
        for r in self._rows(model):
            now = shared[r].mean()
            if now >= target:
                continue
            p_open = (target - now) / (1.0 - now)
            shared[r] |= model.rng.random(shared.shape[1]) < p_open


class OnceOnly(Lever):
    """Agencies may no longer ask for paper for data a registry they can query holds."""

    type: Literal["once_only"] = "once_only"
    compliance: float = Field(1.0, ge=0, le=1, description="share of agencies that comply")

    def begin(self, model: AdoptionModel) -> None:
        complies = model.rng.random(len(model.agency_list)) < self.compliance
        for agency, yes in zip(model.agency_list, complies, strict=True):
            agency.once_only = agency.once_only or bool(yes)


class LegalEsignature(Lever):
    """Digital documents and signatures become legally equal to paper; free certificates raise
    e-signature uptake; agencies that refused digital documents must accept them, with a lag."""

    type: Literal["legal_esignature"] = "legal_esignature"
    free_certificates: bool = Field(True, description="one free certificate per adult")
    uptake_rate: float = Field(
        0.02,
        ge=0,
        le=1,
        description="per month: chance an adult without one takes a free certificate",
    )
    acceptance_lag_months: float = Field(
        6.0,
        ge=0,
        le=120,
        description="mean months until an agency that refused digital documents accepts them",
    )

    def begin(self, model: AdoptionModel) -> None:
        model.regime.digital_documents_legal = True
        if self.free_certificates:
            model.esignature_rate = max(model.esignature_rate, self.uptake_rate)

    def each_month(self, model: AdoptionModel, k: int) -> None:
        p_accept = 1.0 if self.acceptance_lag_months <= 1 else 1.0 / self.acceptance_lag_months
        draws = model.rng.random(len(model.agency_list))
        for agency, u in zip(model.agency_list, draws, strict=True):
            if not agency.accepts_digital and u < p_accept:
                agency.accepts_digital = True


def _raise_security(model: AdoptionModel, gain: float) -> None:
    for agency in model.agency_list:
        agency.security += gain * (1.0 - agency.security)


class DataProtection(Lever):
    """A personal-data protection programme: agencies' security rises, breaches hurt trust
    less (notification and redress), and online users regain trust as they see who reads
    their data."""

    type: Literal["data_protection"] = "data_protection"
    security_gain: float = Field(
        0.2, ge=0, le=1, description="share of each agency's security gap closed"
    )
    harm_cut: float = Field(
        0.5, ge=0, le=1, description="share by which a breach's trust losses shrink"
    )
    trust_recovery: float = Field(
        0.01,
        ge=0,
        le=1,
        description="per month: recent online users' trust moves this share towards 1",
    )

    def begin(self, model: AdoptionModel) -> None:
        _raise_security(model, self.security_gain)
        model.regime.breach_harm *= 1.0 - self.harm_cut
        model.regime.trust_recovery = max(model.regime.trust_recovery, self.trust_recovery)


class Cybersecurity(Lever):
    """A cyber-security programme: agencies' security rises and breach rates fall."""

    type: Literal["cybersecurity"] = "cybersecurity"
    security_gain: float = Field(
        0.4, ge=0, le=1, description="share of each agency's security gap closed"
    )
    breach_rate_factor: float = Field(
        0.5, ge=0, le=1, description="multiplier of every agency's breach rate"
    )

    def begin(self, model: AdoptionModel) -> None:
        _raise_security(model, self.security_gain)
        model.regime.breach_factor *= self.breach_rate_factor


class Connectivity(Lever):
    """Internet access grows in the named areas: a higher ceiling and a faster approach."""

    type: Literal["connectivity"] = "connectivity"
    areas: list[AreaName] = Field(
        ["soum_centre", "rural"], min_length=1, description="areas covered"
    )
    ceiling: float = Field(0.92, ge=0, le=1, description="new long-run share with access")
    rate: float = Field(
        0.04, ge=0, le=1, description="per month: share of the gap to the ceiling closed"
    )

    def begin(self, model: AdoptionModel) -> None:
        mask = _area_mask(self.areas)
        model.internet_ceiling[mask] = np.maximum(model.internet_ceiling[mask], self.ceiling)
        model.internet_rate[mask] = np.maximum(model.internet_rate[mask], self.rate)


class DigitalSkills(Lever):
    """Digital-skills training for target groups: each month a share of the group is trained,
    gaining skill and learning that services can be used online."""

    type: Literal["digital_skills"] = "digital_skills"
    until: Month = Field(description="last month of the programme, YYYY-MM")
    ages: list[AgeGroup] = Field(["middle", "old"], min_length=1, description="age groups")
    areas: list[AreaName] = Field(list(AREAS), min_length=1, description="areas covered")
    reach_per_month: float = Field(
        0.02, ge=0, le=1, description="share of the target group trained each month"
    )
    skill_gain: float = Field(0.3, ge=0, le=1, description="share of a trainee's skill gap closed")

    def each_month(self, model: AdoptionModel, k: int) -> None:
        pop = model.population
        ages = [AGE_GROUPS.index(a) for a in self.ages]
        target = _area_mask(self.areas)[pop.area] & np.isin(pop.age_group, ages)
        trained = target & (model.rng.random(pop.n, dtype=np.float32) < self.reach_per_month)
        pop.skill[trained] += np.float32(self.skill_gain) * (1.0 - pop.skill[trained])
        pop.aware[trained] = True


class AssistedChannels(Lever):
    """Kiosks and one-stop centres within reach of more people in the named areas."""

    type: Literal["assisted_channels"] = "assisted_channels"
    areas: list[AreaName] = Field(list(AREAS), min_length=1, description="areas covered")
    reach: float = Field(0.8, ge=0, le=1, description="chance an assisted channel is within reach")

    def begin(self, model: AdoptionModel) -> None:
        mask = _area_mask(self.areas)
        model.assisted_reach[mask] = np.maximum(model.assisted_reach[mask], self.reach)


class DigitiseServices(Lever):
    """A schedule of services moved online: from ``at`` to ``until`` each agency's share of
    services online rises in equal monthly steps to ``target_share``."""

    type: Literal["digitise_services"] = "digitise_services"
    until: Month = Field(description="month by which the target is reached, YYYY-MM")
    target_share: float = Field(
        0.9, ge=0, le=1, description="share of each agency's services online at `until`"
    )

    def each_month(self, model: AdoptionModel, k: int) -> None:
        left = model.scenario.month_index(self.until) - model.month
        for agency in model.agency_list:
            if agency.share_online < self.target_share:
                agency.share_online += (self.target_share - agency.share_online) / (left + 1)


class Lockdown(Lever):
    """A demand shock (COVID-19 lockdowns): counters close or are avoided, pushing people online."""

    type: Literal["lockdown"] = "lockdown"
    until: Month = Field(description="last month of the lockdown, YYYY-MM")
    strength: float = Field(
        1.5, ge=0, le=5, description="utility added to the online channel (logit units)"
    )
    share_counters_closed: float = Field(
        0.5, ge=0, le=1, description="share of in-person and assisted visits turned away"
    )
    p_aware: float = Field(
        0.1,
        ge=0,
        le=1,
        description="per month: chance an unaware adult hears of online services (campaigns)",
    )

    def begin(self, model: AdoptionModel) -> None:
        model.regime.online_push += self.strength
        model.regime.counters_closed += self.share_counters_closed

    def each_month(self, model: AdoptionModel, k: int) -> None:
        pop = model.population
        pop.aware |= model.rng.random(pop.n, dtype=np.float32) < self.p_aware

    def end(self, model: AdoptionModel) -> None:
        model.regime.online_push -= self.strength
        model.regime.counters_closed -= self.share_counters_closed


class SecurityBreach(Lever):
    """A breach at a named agency (or the citizen portal): trust falls, more for those affected."""

    type: Literal["security_breach"] = "security_breach"
    severity: float = Field(
        0.5, ge=0, le=1, description="share of the agency's recent online users whose data leak"
    )
    agency: str = Field(
        "portal",
        description='"portal" (E-Mongolia: every recent online user is exposed) or an agency name',
    )

    def begin(self, model: AdoptionModel) -> None:
        model.breach(self.agency, self.severity)


class SecurityTightening(Lever):
    """A sudden security tightening: online use now needs a credential (an e-signature) or an
    in-person identity check that some adults lack; they are locked out and lose trust until
    they obtain it (or until ``until``, when the requirement is lifted)."""

    type: Literal["security_tightening"] = "security_tightening"
    requires: Literal["esignature", "in_person_check"] = Field(
        "esignature", description="what online use suddenly requires"
    )
    share: float = Field(
        0.3,
        ge=0,
        le=1,
        description="for in_person_check: share of adults who must re-verify in person",
    )
    rate_recovery: float = Field(
        0.1, ge=0, le=1, description="per month: chance a locked-out adult regains access"
    )
    trust_loss: float = Field(
        0.1, ge=0, le=1, description="share of trust lost by those locked out"
    )
    until: Month | None = Field(None, description="month the requirement is lifted (optional)")

    def begin(self, model: AdoptionModel) -> None:
        pop = model.population
        if self.requires == "esignature":
            locked = ~pop.esignature
        else:
            locked = model.rng.random(pop.n, dtype=np.float32) < self.share
        pop.locked_out |= locked
        pop.trust[locked] *= np.float32(1.0 - self.trust_loss)

    def each_month(self, model: AdoptionModel, k: int) -> None:
        pop = model.population
        if k == 0:
            return
        regain = pop.locked_out & (model.rng.random(pop.n, dtype=np.float32) < self.rate_recovery)
        if self.requires == "esignature":
            pop.esignature |= regain
            regain |= pop.locked_out & pop.esignature
        pop.locked_out &= ~regain

    def end(self, model: AdoptionModel) -> None:
        model.population.locked_out[:] = False


INTERVENTION_CLASSES: tuple[type[Lever], ...] = (
    CentralMinistry,
    OpenDatabases,
    OnceOnly,
    LegalEsignature,
    DataProtection,
    Cybersecurity,
    Connectivity,
    DigitalSkills,
    AssistedChannels,
    DigitiseServices,
    Lockdown,
    SecurityBreach,
    SecurityTightening,
)
INTERVENTIONS: dict[str, type[Lever]] = {
    cls.model_fields["type"].default: cls for cls in INTERVENTION_CLASSES
}
Intervention = Annotated[
    CentralMinistry
    | OpenDatabases
    | OnceOnly
    | LegalEsignature
    | DataProtection
    | Cybersecurity
    | Connectivity
    | DigitalSkills
    | AssistedChannels
    | DigitiseServices
    | Lockdown
    | SecurityBreach
    | SecurityTightening,
    Field(discriminator="type"),
]
