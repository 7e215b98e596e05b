from __future__ import annotations

import json
import signal
import sys
import time
from pathlib import Path

import pytest

from sim.files import validate_scenario
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "scenarios"
SCENARIOS = LIBRARY / "mongolia"
"""The default country's scenarios (short library names such as status_quo mean these)."""


def default_sigint() -> None:
    """For ``preexec_fn``: Ctrl-C acts in the child even when the suite was started in the
    background by a shell without job control, which starts it with SIGINT ignored (an
    ignored SIGINT is inherited, and Python then installs no KeyboardInterrupt handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


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


def seal_results(folder: Path, manifest: dict) -> None:
    """Write ``manifest`` as a finished batch's (kind and the hash of results.parquet), as
    ``egov-sim batch`` would, for the synthetic results folders of the analysis tests."""
    from sim.atomic import file_record

    sealed = {"kind": "batch", **manifest}
    sealed["files"] = {"results.parquet": file_record(folder / "results.parquet")}
    (folder / "manifest.json").write_text(json.dumps(sealed))


def egov_sim(*args: str) -> list[str]:
    """The command line of ``egov-sim ARGS`` run from the repository as a subprocess."""
    return [sys.executable, "-m", "sim", *args]


def stop_at(command: list[str], point: str, sig: int = signal.SIGINT, timeout: float = 300):
    """Run ``command`` until it reaches checkpoint ``point`` (``sim.signals``: it prints
    ``checkpoint <point>`` and waits there), send ``sig``, and return ``(status, stderr
    after the checkpoint line)``. A readiness handshake, not a sleep: the signal lands at that
    point however busy the machine is."""
    import os
    import subprocess

    env = {**os.environ, "EGOV_SIM_TEST_CHECKPOINT": point}
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=default_sigint)  # fmt: skip
    try:
        first = proc.stderr.readline()
        assert first == f"checkpoint {point}\n", first + proc.stderr.read()
        proc.send_signal(sig)
        rest = proc.stderr.read()
        proc.wait(timeout=timeout)
    finally:
        proc.kill()
        proc.wait()
    return proc.returncode, rest
