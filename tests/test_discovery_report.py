"""How a discovery box reads (sim.analysis.discovery_report): ``egov-sim discover``'s summary
and the short form robustness.md quotes."""

from __future__ import annotations

from dataclasses import replace

from sim.analysis.discovery import Box
from sim.analysis.discovery_report import box_lines, by_role, describe, discovery_text

LEVER = {
    "parameter": "levers.ministry.at", "role": "lever", "kind": "month",
    "min": "2025-03", "max": "2030-12", "quasi_p": 0.0012,
    "text": "central ministry from 2025-03 or later",
}  # fmt: skip
TRUST = {"parameter": "params.choice.coef_trust", "kind": "number", "min": 0.5, "max": 1.25,
         "quasi_p": 0.21}  # fmt: skip
BOX = Box(
    scenario="reform", metric="end_to_end_share", threshold=0.4, miss_when="below",
    date="2030-12", window=2, months=["2030-06", "2030-12"], every=6, runs=60,
    cases_of_interest=12, box_index=5, last_box=5, alpha=0.05, keep_insignificant=False,
    coverage=0.75, density=0.9, mass=1 / 6, restricted_dimensions=1, restrictions=[LEVER],
    dropped=[TRUST], peeled_box={}, factors={}, roles={}, names={}, excluded={},
)  # fmt: skip


def test_the_summary_lists_restrictions_by_role_and_the_dropped_ones():
    assert discovery_text(BOX).splitlines() == [
        "reform misses (end_to_end_share below 0.4, mean of 2030-06..2030-12) in 12 of 60 runs.",
        "PRIM box 5 of 0..5 (the last): coverage 75.0%, density 90.0%, mass 16.7%, "
        "1 restriction(s)",
        "  levers (what the policy maker sets):",
        "    central ministry from 2025-03 or later  (quasi-p 0.0012)  [levers.ministry.at]",
        "dropped (quasi-p above 0.05):",
        "    0.5 .. 1.25  (quasi-p 0.21)  [params.choice.coef_trust]",
    ]


def test_the_short_form_and_the_ranges():
    assert box_lines(BOX) == [
        "PRIM box: coverage 75.0%, density 90.0%, mass 16.7% over 60 runs; restrictions:",
        "  levers (what the policy maker sets):",
        "    central ministry from 2025-03 or later  (quasi-p 0.0012)  [levers.ministry.at]",
    ]
    assert box_lines(replace(BOX, restrictions=[]))[1:] == ["  none"]
    assert by_role([LEVER, TRUST]) == {"lever": [LEVER], "uncertainty": [TRUST]}
    assert describe({"min": True, "max": True, "kind": "bool"}) == "true"
    assert describe({"min": False, "max": True, "kind": "bool"}) == "false .. true"
    assert describe({"min": "2023-07", "max": "2024-12", "kind": "month"}) == "2023-07 .. 2024-12"
