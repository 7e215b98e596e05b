"""Lever tables: the validated ``[[levers]]`` entries of a scenario file, one class per
``type``.

These are pure data (pydantic models): what each field means, its unit and its bounds, its
title for readers and which of the scenario's names it must find. What a lever does to a model
lives in :mod:`sim.model.actions`, registered against the lever class, so the schema of
scenario files never depends on the model.

The registry is :data:`LEVER_CLASSES`: the ``AnyLever`` union and the
:data:`LEVER_TYPES` lookup by ``type`` are built from it. A lever defined elsewhere (a test, a
study's own module) joins with :func:`register_lever` and leaves with :func:`unregister_lever`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from sim.calendar import Month
from sim.params_fields import AREA_NAME

LEVER_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


def _check_id(value: str) -> str:
    if not LEVER_ID.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a usable lever id (allowed: 1-64 ASCII letters, digits, '_' or '-', "
            "starting with a letter)"
        )
    return value


LeverId = Annotated[str, AfterValidator(_check_id)]
"""A lever's name in experiment files: ``levers.<id>.<field>``."""

AreaName = Annotated[str, StringConstraints(pattern=f"^{AREA_NAME.pattern}$")]
"""An area of the scenario's country, by name (checked against the country's areas)."""
AgeGroup = Literal["young", "middle", "old"]


@dataclass(frozen=True)
class ScenarioNames:
    """The names a scenario's levers may refer to: its country's areas, its agencies and its
    registries (all in model order)."""

    areas: tuple[str, ...]
    agencies: tuple[str, ...]
    registries: tuple[str, ...]


@dataclass(frozen=True)
class UnknownName:
    """A name a lever refers to that the scenario does not have: where (``key``, relative to
    the lever's entry, e.g. ``areas[1]``), what kind of name, the name, and the allowed ones."""

    key: str
    kind: str
    name: str
    allowed: tuple[str, ...]


class Lever(BaseModel):
    """Fields shared by every lever."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    at: Month = Field(description="month the lever starts, YYYY-MM")
    note: str = Field("", description="free text, e.g. the source of the date")
    id: LeverId | None = Field(
        None,
        description="name by which experiment files set or sweep this lever's fields "
        '("levers.<id>.<field>"); also keys its random stream',
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

    @classmethod
    def type_name(cls) -> str:
        """The ``type`` that selects this lever in scenario files."""
        return cls.model_fields["type"].default

    def unknown_names(self, names: ScenarioNames) -> list[UnknownName]:
        """The names this lever refers to that the scenario lacks: by default its ``areas``, if
        it has that field; a lever naming agencies or registries checks them here."""
        areas = getattr(self, "areas", None) or []
        return [
            UnknownName(f"areas[{j}]", "area", name, names.areas)
            for j, name in enumerate(areas)
            if name not in names.areas
        ]


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

    def unknown_names(self, names: ScenarioNames) -> list[UnknownName]:
        """Each listed registry must be one of the scenario's (unless ``"all"``)."""
        if self.registries == "all":
            return []
        allowed = ("all", *names.registries)
        return [
            UnknownName(f"registries[{j}]", "registry", name, allowed)
            for j, name in enumerate(self.registries)
            if name not in names.registries
        ]


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


class EndogenousReform(Lever):
    """What makes a reform endogenous: it is not dated but arises. From ``at`` on, each month
    it is adopted with chance ``base_rate + capacity_rate x max(0, capacity -
    capacity_needed) / (1 - capacity_needed)`` (``capacity``: the coordination capacity, which
    a central ministry builds fast); once adopted it acts exactly as the dated lever would from
    that month. ``base_rate`` is a reform's path without any coordination (a ministry or the
    capacity it builds): the source study's claim "no ministry, therefore no law" is the case
    where that path is closed. Not a lever itself: the endogenous law and open databases are."""

    base_rate: float = Field(
        0.005,
        ge=0,
        le=1,
        description="per month: chance the reform is adopted whatever the coordination "
        "capacity (its path without a ministry; an assumption, swept over 0-0.02)",
    )
    capacity_rate: float = Field(
        0.02,
        ge=0,
        le=1,
        description="per month: chance added at full coordination capacity (an assumption, 0-0.05)",
    )
    capacity_needed: float = Field(
        0.0,
        ge=0,
        le=0.95,
        description="coordination capacity below which capacity adds nothing to the chance "
        "(0: the chance grows with any capacity; an assumption, 0-0.7)",
    )

    def hazard(self, capacity: float) -> float:
        """Chance a month that the reform is adopted, at coordination ``capacity``."""
        excess = max(0.0, capacity - self.capacity_needed) / (1.0 - self.capacity_needed)
        return min(1.0, self.base_rate + self.capacity_rate * excess)


class EndogenousLegalEsignature(EndogenousReform, LegalEsignature):
    """The e-signature law, not dated but arising with a chance that grows with the
    coordination capacity (see the endogenous reform's fields); once adopted it acts as the
    dated law."""

    title: ClassVar[str] = "e-signature law (endogenous)"

    type: Literal["endogenous_legal_esignature"] = "endogenous_legal_esignature"


class EndogenousOpenDatabases(EndogenousReform, OpenDatabases):
    """The opening of databases, not dated but arising with a chance that grows with the
    coordination capacity; once adopted it acts as the dated lever."""

    title: ClassVar[str] = "open databases (endogenous)"

    type: Literal["endogenous_open_databases"] = "endogenous_open_databases"


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

    def unknown_names(self, names: ScenarioNames) -> list[UnknownName]:
        """The agency must be ``"portal"`` or one of the scenario's agencies."""
        allowed = ("portal", *names.agencies)
        if self.agency in allowed:
            return []
        return [UnknownName("agency", "agency", self.agency, allowed)]


class SecurityTightening(Lever):
    """A sudden security tightening: online use now needs a credential (an e-signature) or an
    in-person identity check that some adults lack; they are locked out and lose trust until
    they obtain it (or until ``until``, when the requirement is lifted). How fast each regains
    it follows from ``params.credentials``: demand, and the routes open to them (remote
    renewal, a trip, household help; an in-person check only by a trip)."""

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
    trust_loss: float = Field(
        0.1, ge=0, le=1, description="share of trust lost by those locked out"
    )
    until: Month | None = Field(None, description="month the requirement is lifted (optional)")


LEVER_CLASSES: tuple[type[Lever], ...] = (
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
    EndogenousLegalEsignature,
    EndogenousOpenDatabases,
)
"""Every lever, in the order of the reference (docs/scenarios.md) and of the union: the one
list a new lever is added to."""


def _union(classes: tuple[type[Lever], ...]) -> Any:
    return Annotated[reduce(or_, classes), Field(discriminator="type")]


LEVER_TYPES: dict[str, type[Lever]] = {cls.type_name(): cls for cls in LEVER_CLASSES}
"""Each lever class by its ``type``: the built-in ones and any registered since."""
AnyLever = _union(LEVER_CLASSES)
"""One entry of a scenario's ``levers`` list: any lever, told apart by ``type``."""

_ON_CHANGE: list[Callable[[], None]] = []


def on_registry_change(callback: Callable[[], None]) -> None:
    """Call ``callback`` after every registration (a model whose field holds
    :data:`AnyLever` rebuilds it then)."""
    _ON_CHANGE.append(callback)


def _rebuild() -> None:
    global AnyLever
    AnyLever = _union(tuple(LEVER_TYPES.values()))
    for callback in _ON_CHANGE:
        callback()


def register_lever(cls: type[Lever]) -> type[Lever]:
    """Add a lever class defined outside this module to the registry (scenario files then
    accept its ``type``); its action registers with
    :func:`sim.model.actions.acts_for`. Returns ``cls``, so it serves as a decorator."""
    if not (isinstance(cls, type) and issubclass(cls, Lever)) or "type" not in cls.model_fields:
        raise TypeError(f"{cls!r} is not a lever class (a Lever with a `type` field)")
    name = cls.type_name()
    if name in LEVER_TYPES:
        raise ValueError(f"lever type {name!r} is already registered")
    LEVER_TYPES[name] = cls
    _rebuild()
    return cls


def unregister_lever(cls: type[Lever]) -> None:
    """Remove a lever added by :func:`register_lever` (the built-in ones stay)."""
    if cls in LEVER_CLASSES:
        raise ValueError(f"{cls.__name__} is built in and cannot be unregistered")
    if LEVER_TYPES.get(cls.type_name()) is cls:
        del LEVER_TYPES[cls.type_name()]
        _rebuild()
