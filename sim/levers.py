"""Lever tables: the validated ``[[interventions]]`` entries of a scenario file, one class per
``type``.

These are pure data (pydantic models): what each field means, its unit and its bounds. What a
lever does to a model lives in :mod:`sim.model.interventions`, keyed by the same ``type``, so
the schema of scenario files never depends on the model.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from sim.calendar import Month

LEVER_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


def _check_id(value: str) -> str:
    if not LEVER_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a usable lever id (allowed: 1-64 ASCII letters, digits, '_' or '-', "
            "starting with a letter)"
        )
    return value


LeverId = Annotated[str, AfterValidator(_check_id)]
"""A lever's name in experiment files: ``interventions.<id>.<field>``."""

AreaName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
"""An area of the scenario's country, by name (checked against the country's areas)."""
AgeGroup = Literal["young", "middle", "old"]


class Lever(BaseModel):
    """Fields shared by every intervention."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    at: Month = Field(description="month the intervention starts, YYYY-MM")
    note: str = Field("", description="free text, e.g. the source of the date")
    id: LeverId | None = Field(
        None,
        description="name by which experiment files set or sweep this lever's fields "
        '("interventions.<id>.<field>"); also keys its random stream',
    )
    enabled: bool = Field(
        True, description="false: the lever is listed but does nothing (to switch it by sweep)"
    )

    title: ClassVar[str] = "lever"
    """What a reader calls this kind of lever (figures, reports, the dashboard)."""

    @property
    def display_name(self) -> str:
        """This lever as a reader names it: its kind's title."""
        return self.title

    @property
    def stream_name(self) -> str:
        """What names this lever's random stream: its id when it has one (so sweeping its date
        or strength keeps its draws), else its content."""
        if self.id is not None:
            return f"id:{self.id}"
        return self.model_dump_json(exclude={"id", "enabled"})

    @property
    def until_date(self) -> str | None:
        return getattr(self, "until", None)


class CentralMinistry(Lever):
    """A central ministry, the unified public management the source study finds missing. It
    builds coordination capacity (standards, the certificate authority, data-sharing
    agreements) at `params.coordination.rate_capacity_ministry` instead of the slow
    `rate_capacity`, on which the law, open databases and once-only depend; and it coordinates
    agencies: each converges on common standards (accept digital documents, join Khur, open
    registries, ask less for paper, move services online) at the coordination rate, whatever
    the pressure on it, and every agency's inertia falls."""

    title: ClassVar[str] = "central ministry"

    type: Literal["central_ministry"] = "central_ministry"
    coordination_rate: float = Field(
        0.05, ge=0, le=1, description="per month: chance a coordinated agency takes a step"
    )
    inertia_cut: float = Field(
        0.5, ge=0, le=1, description="share by which every agency's inertia falls"
    )


class OpenDatabases(Lever):
    """Registries are opened to other agencies through Khur (a share of agencies, over a ramp,
    as far as the coordination capacity's data-sharing agreements reach), agencies are
    connected to Khur, and citizens may pull their own records as digital documents."""

    title: ClassVar[str] = "open databases"

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


class OnceOnly(Lever):
    """Agencies may no longer ask for paper for data a registry they can query holds; they come
    under the rule as the coordination capacity grows (`compliance x capacity` of them)."""

    title: ClassVar[str] = "once-only rule"

    type: Literal["once_only"] = "once_only"
    compliance: float = Field(1.0, ge=0, le=1, description="share of agencies that comply")


class LegalEsignature(Lever):
    """Digital documents and signatures become legally equal to paper; free certificates raise
    e-signature uptake; agencies that refused digital documents must accept them, with a lag.
    Implementation follows the coordination capacity: certificates are issued at
    `uptake_rate x capacity`, refusing agencies accept at `capacity / acceptance_lag_months`."""

    title: ClassVar[str] = "e-signature law"

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


class DataProtection(Lever):
    """A personal-data protection programme: agencies' security rises, breaches hurt trust
    less (notification and redress), and online users regain trust as they see who reads
    their data."""

    title: ClassVar[str] = "data protection"

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


class Cybersecurity(Lever):
    """A cyber-security programme: agencies' security rises and breach rates fall."""

    title: ClassVar[str] = "cyber security"

    type: Literal["cybersecurity"] = "cybersecurity"
    security_gain: float = Field(
        0.4, ge=0, le=1, description="share of each agency's security gap closed"
    )
    breach_rate_factor: float = Field(
        0.5, ge=0, le=1, description="multiplier of every agency's breach rate"
    )


class Connectivity(Lever):
    """Internet access grows in the named areas: a higher ceiling and a faster approach."""

    title: ClassVar[str] = "connectivity"

    type: Literal["connectivity"] = "connectivity"
    areas: list[AreaName] | None = Field(
        None, min_length=1, description="areas covered (default: every area that is not urban)"
    )
    ceiling: float = Field(0.92, ge=0, le=1, description="new long-run share with access")
    rate: float = Field(
        0.04, ge=0, le=1, description="per month: share of the gap to the ceiling closed"
    )


class DigitalSkills(Lever):
    """Digital-skills training for target groups: each month a share of the group is trained,
    gaining skill and learning that services can be used online."""

    title: ClassVar[str] = "skills training"

    type: Literal["digital_skills"] = "digital_skills"
    until: Month = Field(description="last month of the programme, YYYY-MM")
    ages: list[AgeGroup] = Field(["middle", "old"], min_length=1, description="age groups")
    areas: list[AreaName] | None = Field(
        None, min_length=1, description="areas covered (default: every area)"
    )
    reach_per_month: float = Field(
        0.02, ge=0, le=1, description="share of the target group trained each month"
    )
    skill_gain: float = Field(0.3, ge=0, le=1, description="share of a trainee's skill gap closed")


class AssistedChannels(Lever):
    """Kiosks and one-stop centres within reach of more people in the named areas."""

    title: ClassVar[str] = "kiosks and one-stop centres"

    type: Literal["assisted_channels"] = "assisted_channels"
    areas: list[AreaName] | None = Field(
        None, min_length=1, description="areas covered (default: every area)"
    )
    reach: float = Field(0.8, ge=0, le=1, description="chance an assisted channel is within reach")


class DigitiseServices(Lever):
    """A schedule of services moved online: from ``at`` to ``until`` each agency's share of
    services online rises in equal monthly steps to ``target_share``."""

    title: ClassVar[str] = "services moved online"

    type: Literal["digitise_services"] = "digitise_services"
    until: Month = Field(description="month by which the target is reached, YYYY-MM")
    target_share: float = Field(
        0.9, ge=0, le=1, description="share of each agency's services online at `until`"
    )


class Lockdown(Lever):
    """A demand shock (COVID-19 lockdowns): counters close or are avoided, pushing people online."""

    title: ClassVar[str] = "lockdown"

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


class SecurityBreach(Lever):
    """A breach at a named agency (or the citizen portal): trust falls, more for those affected."""

    title: ClassVar[str] = "security breach"

    type: Literal["security_breach"] = "security_breach"
    severity: float = Field(
        0.5, ge=0, le=1, description="share of the agency's recent online users whose data leak"
    )
    agency: str = Field(
        "portal",
        description='"portal" (the national portal: every recent online user is exposed) or an '
        "agency name",
    )


class SecurityTightening(Lever):
    """A sudden security tightening: online use now needs a credential (an e-signature) or an
    in-person identity check that some adults lack; they are locked out and lose trust until
    they obtain it (or until ``until``, when the requirement is lifted)."""

    title: ClassVar[str] = "security tightening"

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
