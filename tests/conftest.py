from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from sim.files import validate_scenario
from sim.scenario import Scenario

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


def batch_command(experiment: Path, out: Path) -> list[str]:
    """``egov-sim batch`` on two workers, quietly, as a subprocess command."""
    return [sys.executable, "-m", "sim", "batch", str(experiment), "--out", str(out),
            "--workers", "2", "-q"]  # fmt: skip


def wait_for_runs(out: Path, n: int, proc, timeout: float = 120) -> None:
    """Wait until a running batch has stored ``n`` runs (fails if it ends first)."""
    deadline = time.time() + timeout
    while time.time() < deadline and len(list((out / "runs").glob("*.parquet"))) < n:
        assert proc.poll() is None, "the batch ended before it could be interrupted"
        time.sleep(0.05)
