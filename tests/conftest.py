from __future__ import annotations

import itertools
import json
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.files import validate_scenario
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "scenarios"
SCENARIOS = LIBRARY / "mongolia"
"""The default country's scenarios (short library names such as status_quo mean these)."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The soak stays out of every run that does not name it: a ``-m`` on the command line
    replaces pyproject's ``-m 'not soak'``, so ``pytest -m "not system"`` would run it."""
    if "soak" in (config.option.markexpr or ""):
        return
    kept = [item for item in items if item.get_closest_marker("soak") is None]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


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


TINY_EXPERIMENT = """
name = "tiny"
description = "a tiny sweep for tests"
scenarios = ["{sq}", "{law}"]
replications = {reps}
root_seed = 11
citizens = {citizens}

[sweep]
method = "grid"
[sweep.parameters]
"params.choice.coef_trust" = [1.5, 2.5]

[output]
metrics = ["online_users_share", "end_to_end_share", "mean_trust"]
every = 2
"""


def tiny_experiment(
    tmp_path: Path, reps: int = 2, citizens: int = 400, name: str = "tiny.toml"
) -> Path:
    """A tiny experiment file in ``tmp_path``: status_quo and legal_esignature, two trust
    coefficients, ``reps`` replications of ``citizens`` citizens (the batch tests' design)."""
    path = tmp_path / name
    path.write_text(
        TINY_EXPERIMENT.format(
            sq=SCENARIOS / "status_quo.toml",
            law=SCENARIOS / "legal_esignature.toml",
            reps=reps,
            citizens=citizens,
        )
    )
    return path


RESULT_DATES = [f"{y}-{m:02d}" for y in range(2020, 2028) for m in (1, 7)]
"""The months of :func:`make_folder`'s synthetic results (January and July, 2020 to 2027)."""


def make_folder(
    folder,
    points: list[dict],
    metric,
    *,
    scenarios=("status_quo", "reform"),
    reps: int = 5,
    factors: dict | None = None,
    role: str | None = None,
    interactions: list | None = None,
    seed: int = 0,
    extra: bool = True,
):
    """A results folder as a batch writes it: ``metric(scenario, point, values, t)`` gives
    each run's value at time index ``t`` (0..1) before paired noise (one draw per replicate
    and month, shared by the scenarios: common random numbers)."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0, 0.01, size=(len(points), reps, len(RESULT_DATES)))
    rows = []
    for (p, values), scenario, r in itertools.product(enumerate(points), scenarios, range(reps)):
        for step, date in enumerate(RESULT_DATES):
            t = step / (len(RESULT_DATES) - 1)
            base = metric(scenario, p, values, t) + noise[p, r, step]
            rows.append(
                {
                    "scenario": scenario,
                    "point": p,
                    "replicate": r,
                    "seed": 1000 + r,
                    **values,
                    "date": date,
                    "step": step,
                    "online_users_share": base,
                    "end_to_end_share": base / 2,
                    "paper_documents_per_1000": 300 - 200 * base,
                }
            )
            if extra:  # the columns of the gap and groups figures
                rows[-1] |= {
                    "internet_share": 0.7 + 0.1 * t + noise[p, r, step],
                    "urban_rural_gap": 0.05 + noise[p, r, step],
                    "age_gap": 0.1 + noise[p, r, step],
                }
    folder.mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(folder / "results.parquet")
    manifest = {
        "experiment": "synthetic",
        "reference": scenarios[0],
        "status": "complete",
        "file": "experiments/synthetic.toml",
        "experiment_sha256": "0" * 64,
        "git": {"commit": "abc", "dirty": False},
        "experiment_resolved": {
            "description": "a synthetic design",
            "interactions": interactions or [],
            "output": {"every": 6},
        },
        "design": {
            "points": points,
            "replications": reps,
            "runs": len(points) * len(scenarios) * reps,
            "seeds": [1000 + r for r in range(reps)],
            "posterior": None,
            "factors": factors,
            "role": role,
        },
    }
    seal_results(folder, manifest)
    return folder
