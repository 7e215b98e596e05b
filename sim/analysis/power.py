"""The power of a held-out check: does it tell the fitted model from what it should not be?

A held-out check that the calibration's *prior* passes as often as its posterior does says
nothing about the calibration; a check of an input that a plausible *other* input passes as
often says nothing about that input. So every held-out check is also run under the prior
and under each alternative input it declares (same seeds, common random numbers), and each
run is checked on its own: a **pass rate** is the share of draws whose run passes. The rule
(:class:`PowerRule`) decides whether the check has power against each of them; a check counts
as validation only if it has power against all of them (docs/validation.md, section 2).
Pure functions of counts: the runs are made by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

VALIDATES, FAILS, NO_POWER = "validates", "fails", "no power"
"""The verdicts of a held-out check: it has power and passes, has power and fails, or has no
power against the prior or one of its alternatives (then it is not counted, pass or fail)."""


@dataclass(frozen=True)
class Rate:
    """How many of ``draws`` runs passed a check."""

    passes: int
    draws: int

    @property
    def share(self) -> float:
        return self.passes / self.draws if self.draws else 0.0

    def __str__(self) -> str:
        return f"{self.passes} of {self.draws} ({self.share:.0%})"


@dataclass(frozen=True)
class PowerRule:
    """When a check has power against a comparison (the prior, or an alternative input): its
    pass rate under the model as run (posterior draws, or the scenarios' own parameters) is
    at least ``ratio`` times the comparison's, that rate is above 0, and both were measured
    over at least ``min_draws`` draws. With ``ratio`` 2 the comparison must fail the check
    clearly more often; with fewer than ``min_draws`` draws a rate is too rough to say."""

    ratio: float = 2.0
    min_draws: int = 30

    def has_power(self, model: Rate, other: Rate) -> bool:
        return (
            min(model.draws, other.draws) >= self.min_draws
            and model.passes > 0
            # model.share >= ratio * other.share, in whole numbers (no rounding at equality)
            and model.passes * other.draws >= self.ratio * other.passes * model.draws
        )

    def why_not(self, model: Rate, other: Rate) -> str:
        """Why :meth:`has_power` is false, as printed ("" when it is true)."""
        if min(model.draws, other.draws) < self.min_draws:
            return f"fewer than {self.min_draws} draws"
        if model.passes == 0:
            return "the model never passes"
        if not self.has_power(model, other):
            return f"the comparison passes more than 1/{self.ratio:g} as often"
        return ""

    def __str__(self) -> str:
        return (
            f"power: pass rate at least {self.ratio:g} times the comparison's, "
            f"both over {self.min_draws} or more draws"
        )


RULE = PowerRule()
"""The rule ``validate-model`` applies (docs/validation.md)."""


@dataclass(frozen=True)
class Comparison:
    """One held-out check's pass rates under the model and under one comparison."""

    against: str
    """What the comparison runs: "the prior (FILE)" or an alternative's label."""
    model: Rate
    other: Rate
    power: bool
    why: str
    """Why it has no power ("" if it has)."""


@dataclass(frozen=True)
class Power:
    """A held-out check's power against everything it was run under, and its verdict."""

    id: str
    pattern: str
    passed: bool
    """The check itself, on all the model's runs together."""
    comparisons: tuple[Comparison, ...]

    @property
    def counted(self) -> bool:
        return bool(self.comparisons) and all(c.power for c in self.comparisons)

    @property
    def verdict(self) -> str:
        if not self.counted:
            return NO_POWER
        return VALIDATES if self.passed else FAILS

    def lines(self, model: str) -> list[str]:
        """The lines printed under the check: one per comparison, then the verdict."""
        out = [
            f"power: passes under {model} {c.model}, under {c.against} {c.other}: "
            + ("power" if c.power else f"no power ({c.why})")
            for c in self.comparisons
        ]
        return [*out, f"verdict: {self.verdict}"]


def power_of(
    fact_id: str,
    pattern: str,
    passed: bool,
    model: Rate,
    others: dict[str, Rate],
    rule: PowerRule = RULE,
) -> Power:
    """A check's :class:`Power` from its pass rate under the ``model`` and under each of
    ``others`` (what it was run under -> its pass rate)."""
    return Power(
        fact_id,
        pattern,
        passed,
        tuple(
            Comparison(name, model, rate, rule.has_power(model, rate), rule.why_not(model, rate))
            for name, rate in others.items()
        ),
    )


POWER_COLUMNS = [
    "check", "pattern", "passed", "against", "model_passes", "model_draws", "model_rate",
    "other_passes", "other_draws", "other_rate", "power", "why_not", "verdict",
]  # fmt: skip
"""The columns of ``power.csv``."""


def power_rows(powers: list[Power]) -> list[dict[str, object]]:
    """The table written as ``power.csv``: one row per check and comparison."""
    return [
        {
            "check": p.id,
            "pattern": p.pattern,
            "passed": p.passed,
            "against": c.against,
            "model_passes": c.model.passes,
            "model_draws": c.model.draws,
            "model_rate": round(c.model.share, 4),
            "other_passes": c.other.passes,
            "other_draws": c.other.draws,
            "other_rate": round(c.other.share, 4),
            "power": c.power,
            "why_not": c.why,
            "verdict": p.verdict,
        }
        for p in powers
        for c in p.comparisons
    ]
