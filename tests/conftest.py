from __future__ import annotations

from pathlib import Path

import pytest

from sim.scenario import Scenario, validate_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


def make_scenario(**fields) -> Scenario:
    """A validated scenario from keyword fields (defaults: a small, short run)."""
    data = {"name": "test", "citizens": 3000, "start": "2020-10", "end": "2022-12", "seed": 7}
    data.update(fields)
    return validate_scenario(data, "<test>")


@pytest.fixture
def small_scenario() -> Scenario:
    return make_scenario()
