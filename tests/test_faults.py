"""Faults lose no finished run and leave no corrupt file: a full disk mid-batch, SIGINT on run
and batch, a killed Dask worker; and what the tool starts listens on 127.0.0.1 only."""

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.atomic import OutputError
from sim.experiment import batch as batch_mod
from sim.experiment.batch import run_batch
from sim.experiment.executors import start_dask
from sim.experiment.plan import load_experiment
from tests.conftest import ROOT, SCENARIOS, batch_command, default_sigint, wait_for_runs
from tests.conftest import tiny_experiment as _experiment

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted batch to compare interrupted ones with."""
    folder = tmp_path_factory.mktemp("ref")
    path = _experiment(folder, reps=4, citizens=4000)
    run_batch(load_experiment(path), folder / "out", workers=1, quiet=True)
    return path, folder / "out"


def test_full_disk_mid_batch_keeps_finished_runs_and_resumes(reference, tmp_path, monkeypatch):
    path, ref_out = reference
    plan = load_experiment(path)
    out = tmp_path / "out"
    real_write = batch_mod.Store.write_run
    calls = {"n": 0}

    def failing(self, run, frame):
        calls["n"] += 1
        if calls["n"] > 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(self, run, frame)

    monkeypatch.setattr(batch_mod.Store, "write_run", failing)
    with pytest.raises(OutputError, match="No space left on device.*3 runs already stored are "
                       "intact.*rerun with resume=True"):  # fmt: skip
        run_batch(plan, out, workers=2, quiet=True)
    stored = list((out / "runs").glob("*.parquet"))
    assert len(stored) == 3 and all(len(pd.read_parquet(f)) > 0 for f in stored)
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    assert not list(out.rglob(".*.tmp"))

    monkeypatch.setattr(batch_mod.Store, "write_run", real_write)  # space freed
    summary = run_batch(plan, out, workers=2, resume=True, quiet=True)
    assert summary.skipped == 3 and summary.failed == 0
    assert (out / "results.csv").read_bytes() == (ref_out / "results.csv").read_bytes()


def test_unwritable_output_is_one_clear_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = subprocess.run([sys.executable, "-m", "sim", "run", str(SCENARIOS / "status_quo.toml"),
                             "--citizens", "300", "--out", str(blocker / "sub"), "-q"], cwd=ROOT,
                            capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert f"--out: {blocker} is a file, not a folder" in result.stderr


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs Linux's /proc")
def test_an_output_folder_nothing_can_be_written_in_is_refused_before_the_run(tmp_path):
    # root ignores permission bits, so the folder is one in /proc, where nobody can create one
    result = subprocess.run([sys.executable, "-m", "sim", "run", str(SCENARIOS / "status_quo.toml"),
                             "--citizens", "300", "--out", "/proc/egov-sim-test/out", "-q"],
                            cwd=ROOT, capture_output=True, text=True)  # fmt: skip
    assert result.returncode == 2
    assert (
        result.stderr
        == "--out: cannot create /proc/egov-sim-test (No such file or directory); choose another "
        "folder\n"
    )
    assert result.stdout == ""


def test_sigint_on_batch_stops_cleanly_and_resumes_identically(reference, tmp_path):
    path, ref_out = reference
    out = tmp_path / "out"
    cmd = batch_command(path, out)
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True, preexec_fn=default_sigint
    )
    wait_for_runs(out, 2, proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted; finished outputs are kept" in err and "Traceback" not in err
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"
    for f in (out / "runs").glob("*.parquet"):
        pd.read_parquet(f)
    resumed = subprocess.run([*cmd, "--resume"], cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert (out / "results.csv").read_bytes() == (ref_out / "results.csv").read_bytes()


def test_killed_dask_worker_mid_batch_completes_identically(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    path, ref_out = reference
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)  # fmt: skip
    client = distributed.Client(cluster)
    out = tmp_path / "out"
    errors = []

    def go():
        try:
            run_batch(load_experiment(path), out, workers=2, dask=cluster.scheduler_address,
                      quiet=True)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=go)
    thread.start()
    deadline = time.time() + 120
    while time.time() < deadline and len(list((out / "runs").glob("*.parquet"))) < 2:
        time.sleep(0.05)
    pids = client.run(os.getpid)
    victim = next(iter(pids.values()))
    os.kill(victim, signal.SIGKILL)  # its nanny restarts it; its task is rerun elsewhere
    thread.join(timeout=300)
    client.close()
    cluster.close()
    assert not errors, errors
    assert (out / "results.csv").read_bytes() == (ref_out / "results.csv").read_bytes()


def test_local_dask_cluster_listens_on_loopback():
    pytest.importorskip("distributed")
    client, cluster = start_dask("local", 1)
    try:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        assert all(w.startswith("tcp://127.0.0.1:") for w in client.nthreads())
    finally:
        client.close()
        cluster.close()
