"""Dated policy levers and events: one class per ``type`` of a scenario's ``[[interventions]]``.

Each class is the validated table of a scenario file *and* the code that acts on the model, so
what a lever's parameters mean is written in one place. A lever acts only through the model's
mechanisms (the regime, agency state, citizen columns, trend rates), never on outputs.

Life cycle, driven by ``AdoptionModel`` (dates become step numbers at build time):
``begin(model)`` in the month ``at``; ``each_month(model, k)`` every month from ``at`` on
(``k`` = months since ``at``) while active; ``end(model)`` in the month after ``until``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from sim.calendar import Month

if TYPE_CHECKING:
    from sim.model.model import AdoptionModel



class Lever(BaseModel):
    """Fields and life cycle shared by every intervention."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: Month = Field(description="month the intervention starts, YYYY-MM")
    note: str = Field("", description="free text, e.g. the source of the date")

    has_duration: ClassVar[bool] = False

    @property
    def until_date(self) -> str | None:
        return getattr(self, "until", None)

    def begin(self, model: AdoptionModel) -> None:
        """Called once, in the month ``at``."""

    def each_month(self, model: AdoptionModel, k: int) -> None:
        """Called every month while active (``k`` = months since ``at``, from 0)."""

    def end(self, model: AdoptionModel) -> None:
        """Called in the month after ``until`` (levers with a duration only)."""


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
    has_duration: ClassVar[bool] = True

    def begin(self, model: AdoptionModel) -> None:
        model.regime.online_push += self.strength
        model.regime.counters_closed = max(model.regime.counters_closed, self.share_counters_closed)

    def end(self, model: AdoptionModel) -> None:
        model.regime.online_push -= self.strength
        model.regime.counters_closed = 0.0


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


INTERVENTION_CLASSES: tuple[type[Lever], ...] = (Lockdown, SecurityBreach)
INTERVENTIONS: dict[str, type[Lever]] = {
    cls.model_fields["type"].default: cls for cls in INTERVENTION_CLASSES
}
Intervention = Annotated[
    Lockdown | SecurityBreach,
    Field(discriminator="type"),
]


def describe(item: Any) -> str:
    """One line about an intervention, for logs and listings."""
    span = f"{item.at}..{item.until_date}" if item.until_date else item.at
    return f"{item.type} {span}"
