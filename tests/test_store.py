"""The results store trusts nothing it did not verify: stored runs are checked on --resume
(truncated, emptied or swapped files are run again), a corrupt manifest is rebuilt, one
batch at a time holds a folder, and a folder holding something else is refused."""

import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from sim.experiment.batch import run_batch
from sim.experiment.plan import load_experiment
from sim.folders import LOCK as LOCK_NAME
from sim.scenario import InputError
from tests.conftest import ROOT
from tests.conftest import tiny_experiment as _experiment


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An undisturbed batch of the tiny experiment (8 runs) and its experiment file."""
    folder = tmp_path_factory.mktemp("store")
    path = _experiment(folder, reps=2, citizens=300)
    out = folder / "reference"
    run_batch(load_experiment(path), out, quiet=True)
    return path, out


def _copy(reference, tmp_path):
    path, out = reference
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    return path, copy


def _resume(path, out):
    return subprocess.run(
        [sys.executable, "-m", "sim", "batch", str(path), "--out", str(out), "--resume", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


@pytest.mark.system
def test_disturbed_run_files_are_run_again_and_the_results_are_identical(reference, tmp_path):
    path, out = _copy(reference, tmp_path)
    runs = sorted((out / "runs").glob("*.parquet"))
    truncated, emptied, swapped, source = runs[0], runs[1], runs[2], runs[5]
    truncated.write_bytes(truncated.read_bytes()[:-200])
    emptied.write_bytes(b"")
    shutil.copyfile(source, swapped)  # a valid file under another run's name
    result = _resume(path, out)
    assert result.returncode == 0, result.stderr
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 3 and all(w.endswith("it will be run again") for w in warnings)
    assert any(str(truncated) in w and "unreadable" in w for w in warnings)
    assert any(str(swapped) in w and f"holds {source.stem!r}" in w for w in warnings)
    assert (out / "results.csv").read_bytes() == (reference[1] / "results.csv").read_bytes()
    assert len(list((out / "runs").glob("*.rejected"))) == 3


@pytest.mark.system
def test_a_corrupt_manifest_is_rebuilt_from_the_verified_runs(reference, tmp_path):
    path, out = _copy(reference, tmp_path)
    manifest = out / "manifest.json"
    manifest.write_text(manifest.read_text()[:100])
    result = _resume(path, out)
    assert result.returncode == 0, result.stderr
    assert "unreadable" in result.stderr and "rebuilt from the verified run files" in result.stderr
    assert (out / "results.csv").read_bytes() == (reference[1] / "results.csv").read_bytes()
    assert json.loads(manifest.read_text())["status"] == "complete"


@pytest.mark.system
def test_run_files_of_another_experiment_are_not_trusted(reference, tmp_path):
    """The same run ids from a different experiment (another root seed) are run again."""
    path, out = _copy(reference, tmp_path)
    other = tmp_path / "other.toml"
    other.write_text(path.read_text().replace("root_seed = 11", "root_seed = 12"))
    (out / "manifest.json").unlink()
    (out / "results.csv").unlink()
    result = _resume(other, out)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("is not a run file of this batch") == 8


@pytest.mark.system
def test_one_batch_at_a_time_holds_a_folder(reference, tmp_path):
    path, out = _copy(reference, tmp_path)
    with open(out / LOCK_NAME, "a+") as held:  # another batch holds the folder
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.seek(0)
        held.truncate()
        held.write("4242\n")
        held.flush()
        before = sorted(p.name for p in out.rglob("*"))
        result = _resume(path, out)
        assert result.returncode == 2
        assert result.stderr.strip().splitlines() == [
            f"--out: {out} is in use by another egov-sim command (pid 4242); wait for it to "
            "finish or choose another --out"
        ]
        assert sorted(p.name for p in out.rglob("*")) == before  # nothing touched
    result = _resume(path, out)  # released: the batch may go on
    assert result.returncode == 0, result.stderr


def test_a_folder_holding_something_else_is_refused(reference, tmp_path):
    path, _ = reference
    out = tmp_path / "mine"
    out.mkdir()
    (out / "results.csv").write_text("my own data\n")
    with pytest.raises(InputError, match="holds files egov-sim did not write"):
        run_batch(load_experiment(path), out, quiet=True)
    assert (out / "results.csv").read_text() == "my own data\n"
    assert sorted(p.name for p in out.iterdir()) == ["results.csv"]


def _batch(path, out, *extra):
    command = [sys.executable, "-m", "sim", "batch", str(path), "--out", str(out), "-q", *extra]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)  # fmt: skip


def _in_use(out, pid):
    return (
        f"--out: {out} is in use by another egov-sim command (pid {pid}); wait for it to "
        "finish or choose another --out\n"
    )


def _held_batch(path, out, *extra):
    """A batch that stops after storing its first run, holding its folder, until SIGUSR1
    (the checkpoint of ``sim.signals``): the other command meets it there, however busy the
    machine is."""
    env = {**os.environ, "EGOV_SIM_TEST_CHECKPOINT": "run-stored"}
    command = [sys.executable, "-m", "sim", "batch", str(path), "--out", str(out), "-q", *extra]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


@pytest.mark.system
def test_two_batches_started_together_one_runs_and_the_other_is_refused(tmp_path):
    slow = _experiment(tmp_path, reps=2, citizens=2000, name="slow.toml")
    out = tmp_path / "both"
    first, second = _held_batch(slow, out), _held_batch(slow, out)
    try:
        deadline = time.monotonic() + 300
        while first.poll() is None and second.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # the winner waits at its checkpoint; the loser exits
        loser, winner = (first, second) if first.poll() is not None else (second, first)
        _, loser_err = loser.communicate(timeout=60)
        assert loser.returncode == 2 and loser_err == _in_use(out, winner.pid)
        assert winner.stderr.readline() == "checkpoint run-stored\n"
        winner.send_signal(signal.SIGUSR1)
        _, err = winner.communicate(timeout=600)
        assert winner.returncode == 0, err
    finally:
        for proc in (first, second):
            proc.kill()
            proc.wait()
    assert len(list((out / "runs").glob("*.parquet"))) == 8


@pytest.mark.system
def test_a_resume_while_the_batch_runs_is_refused_and_touches_nothing(tmp_path, reference):
    path, ref_out = reference
    out = tmp_path / "busy"
    running = _held_batch(path, out)
    try:
        assert running.stderr.readline() == "checkpoint run-stored\n"
        before = sorted(p.name for p in out.rglob("*"))
        resume = _batch(path, out, "--resume")
        _, err = resume.communicate(timeout=120)
        assert resume.returncode == 2 and err == _in_use(out, running.pid)
        assert sorted(p.name for p in out.rglob("*")) == before
        running.send_signal(signal.SIGUSR1)
        _, err = running.communicate(timeout=600)
        assert running.returncode == 0, err
    finally:
        running.kill()
        running.wait()
    assert (out / "results.csv").read_bytes() == (ref_out / "results.csv").read_bytes()
