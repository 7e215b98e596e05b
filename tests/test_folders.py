"""A command owns its output folder (sim/folders.py): it writes only in a folder it made or
one its own manifest marks as its kind; locks, staging files and subfolders never follow a
symlink; a reader proves what it reads; publishing is all or nothing; signals and closed
pipes at any moment leave nothing partial."""

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from sim.errors import InputError
from sim.folders import LOCK, MANIFEST, OutputFolder, owned, read_manifest
from tests.conftest import ROOT, SCENARIOS, egov_sim, stop_at
from tests.conftest import tiny_experiment as _experiment

RUN = ["run", str(SCENARIOS / "status_quo.toml"), "--citizens", "300", "-q"]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(egov_sim(*args), cwd=ROOT, capture_output=True, text=True)


def _snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry under ``folder`` (hidden ones too) with its bytes or link target."""
    found = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            found[key] = "-> " + os.readlink(path)
        elif path.is_file():
            found[key] = path.read_bytes()
        else:
            found[key] = "folder"
    return found


def _one_line(result: subprocess.CompletedProcess, status: int = 2) -> str:
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    return result.stderr.strip()


@pytest.fixture(scope="module")
def batch_folder(tmp_path_factory):
    """A finished batch (8 runs of 300 adults) and its experiment file."""
    folder = tmp_path_factory.mktemp("owned")
    path = _experiment(folder, reps=2, citizens=300)
    result = _run("batch", str(path), "--out", str(folder / "batch"), "-q")
    assert result.returncode == 0, result.stderr
    return path, folder / "batch"


def _copy(folder: Path, tmp_path: Path) -> Path:
    """A copy of a results folder, links and modes kept, to disturb in one test."""
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(folder), str(copy)], check=True)
    return copy


# --------------------------------------------------------------------------- whose folder


@pytest.mark.system
def test_run_refuses_a_folder_holding_the_users_files(tmp_path):
    mine = tmp_path / "userdir"
    mine.mkdir()
    (mine / MANIFEST).write_text('{"mine": 1}')
    before = _snapshot(tmp_path)
    line = _one_line(_run(*RUN, "--out", str(mine)))
    assert line == (
        f"--out: {mine} holds files egov-sim did not write (manifest.json); choose a new or "
        "empty folder"
    )
    assert _snapshot(tmp_path) == before  # no lock, no staging folder, nothing replaced


@pytest.mark.system
@pytest.mark.parametrize("command", ["run", "compare"])
def test_a_batch_folder_is_refused_by_every_other_writer(batch_folder, tmp_path, command):
    _, out = batch_folder
    before = _snapshot(out)
    args = {"run": RUN, "compare": ["compare", "status_quo", "central_ministry", "--seeds", "1",
                                    "--citizens", "300", "-q"]}[command]  # fmt: skip
    kind = {"run": "a single run's results (egov-sim run)",
            "compare": "a comparison (egov-sim compare)"}[command]  # fmt: skip
    line = _one_line(_run(*args, "--out", str(out)))
    assert line == (
        f"--out: {out} holds a batch's results (egov-sim batch), not {kind}; choose another --out"
    )
    assert _snapshot(out) == before


@pytest.mark.system
def test_a_refused_batch_leaves_no_lock_behind(tmp_path):
    run_folder = tmp_path / "one"
    assert _run(*RUN, "--out", str(run_folder)).returncode == 0
    before = _snapshot(run_folder)
    line = _one_line(_run("batch", str(_experiment(tmp_path)), "--out", str(run_folder), "-q"))
    assert "holds a single run's results (egov-sim run), not a batch's results" in line
    assert _snapshot(run_folder) == before and not (run_folder / LOCK).exists()


@pytest.mark.system
def test_a_run_replaces_its_own_earlier_results(tmp_path):
    out = tmp_path / "out"
    assert _run(*RUN, "--out", str(out), "--panel", "5").returncode == 0
    assert (out / "panel.csv").is_file()
    (out / "notes.txt").write_text("the user's own")
    assert _run(*RUN, "--out", str(out), "--seed", "3").returncode == 0
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["kind"] == "run" and manifest["seed"] == 3
    assert sorted(manifest["files"]) == ["adoption.png", "timeseries.csv"]
    assert not (out / "panel.csv").exists()  # listed by the earlier manifest only: removed
    assert (out / "notes.txt").read_text() == "the user's own"  # never listed: kept
    assert sorted(p.name for p in out.iterdir()) == [
        "adoption.png", "manifest.json", "notes.txt", "timeseries.csv"]  # fmt: skip


# --------------------------------------------------------------------------- symlinks


@pytest.mark.system
@pytest.mark.parametrize("lock", [LOCK, ".batch.lock"])
def test_a_symlinked_lock_is_never_followed(tmp_path, lock):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "R"
    out.mkdir()
    (out / lock).symlink_to("../victim.txt")
    experiment = _experiment(tmp_path)
    for args in (RUN, ["batch", str(experiment), "-q"], ["batch", str(experiment), "-q",
                                                          "--resume"]):  # fmt: skip
        line = _one_line(_run(*args, "--out", str(out)))
        assert line.startswith(f"--out: {out} holds ")
        assert victim.read_text() == "precious\n"
    assert sorted(p.name for p in out.iterdir()) == [lock]


@pytest.mark.system
def test_a_pipe_as_the_lock_is_one_line(tmp_path):
    out = tmp_path / "out"
    assert _run(*RUN, "--out", str(out)).returncode == 0
    os.mkfifo(out / LOCK)
    line = _one_line(_run(*RUN, "--out", str(out)))
    assert line == f"--out: {out} holds a pipe named {LOCK}; remove it"


@pytest.mark.system
def test_a_symlinked_runs_folder_is_refused_and_its_target_untouched(batch_folder, tmp_path):
    path, reference = batch_folder
    out = _copy(reference, tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / ".keep.tmp").write_text("someone else's")
    (out / "runs").rename(tmp_path / "runs.bak")
    (out / "runs").symlink_to(other)
    line = _one_line(_run("batch", str(path), "--out", str(out), "--resume", "-q"))
    assert line == (
        f"--out: {out} cannot take these results: runs is a symlink, not a folder; remove it first"
    )
    assert (other / ".keep.tmp").read_text() == "someone else's"


@pytest.mark.system
def test_a_symlinked_manifest_is_not_read(batch_folder, tmp_path):
    _, reference = batch_folder
    out = _copy(reference, tmp_path)
    (out / MANIFEST).rename(tmp_path / "elsewhere.json")
    (out / MANIFEST).symlink_to(tmp_path / "elsewhere.json")
    line = _one_line(_run("report", str(out), "-q"))
    assert line == f"{out / MANIFEST}: a symlink, not the manifest egov-sim writes"


# --------------------------------------------------------------------------- readers prove


@pytest.mark.system
def test_a_results_table_copied_in_is_refused(batch_folder, tmp_path):
    path, reference = batch_folder
    out = _copy(reference, tmp_path)
    table = out / "results.parquet"
    import pandas as pd

    frame = pd.read_parquet(table)
    frame.loc[0, "online_users_share"] = 0.99  # another batch's numbers, as a file
    frame.to_parquet(table)
    commands = [
        ["report", str(out)],
        ["robustness", str(out), "--metric", "mean_trust"],
        ["discover", str(out), "--metric", "mean_trust", "--threshold", "0.5"],
    ]
    for command in commands:
        line = _one_line(_run(*command, "-q"))
        assert line == (
            f"{table}: does not match manifest.json (its SHA-256 differs: changed or copied in "
            "after egov-sim wrote it); rerun the command that made it"
        )
    assert not (out / "report").exists()
    assert _run("batch", str(path), "--out", str(out), "--resume", "-q").returncode == 0
    assert _run("report", str(out), "-q").returncode == 0  # the batch rebuilt its tables


@pytest.mark.system
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "not a manifest egov-sim wrote (nested too deeply)"),
        ("[1, 2]", "not a manifest egov-sim wrote (not a JSON object)"),
        (None, "design: 5 is not allowed (allowed: a table); not a manifest egov-sim wrote"),
        (b"\xff\xfe", "not a manifest egov-sim wrote ("),
    ],
    ids=["deep", "list", "design-5", "binary"],
)
def test_a_malformed_manifest_is_one_line(batch_folder, tmp_path, content, message):
    path, reference = batch_folder
    out = _copy(reference, tmp_path)
    manifest = out / MANIFEST
    if content is None:
        data = json.loads(manifest.read_text())
        data["design"] = 5
        manifest.write_text(json.dumps(data))
    elif isinstance(content, bytes):
        manifest.write_bytes(content)
    else:
        manifest.write_text(content)
    line = _one_line(_run("report", str(out), "-q"))
    assert line.startswith(f"{manifest}: {message}")
    resumed = _run("batch", str(path), "--out", str(out), "--resume", "-q")  # rebuilt, not trusted
    assert resumed.returncode == 0, resumed.stderr
    assert "unreadable, so rebuilt from the verified run files" in resumed.stderr


@pytest.mark.system
def test_a_folder_being_written_is_not_read_or_written(batch_folder, tmp_path):
    """Another command holds the folder (its lock): report and run are refused, naming it."""
    import fcntl

    _, out = batch_folder
    with open(out / LOCK, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("4242\n")
        held.flush()
        assert _one_line(_run("report", str(out), "-q")) == (
            f"{out}: being written by another egov-sim command (pid 4242); wait for it to finish"
        )
        assert _one_line(_run(*RUN, "--out", str(out))) == (
            f"--out: {out} is in use by another egov-sim command (pid 4242); wait for it to "
            "finish or choose another --out"
        )
    (out / LOCK).unlink()


def test_one_writer_at_a_time_within_a_process_too(tmp_path):
    with owned(tmp_path / "out", "run"):
        with pytest.raises(InputError, match="is in use by another egov-sim command"):
            with owned(tmp_path / "out", "run"):
                pass
    assert not (tmp_path / "out").exists()  # made for an output that never came: removed


# --------------------------------------------------------------------------- all or nothing


@pytest.mark.system
def test_a_folder_where_a_file_goes_is_refused_before_the_run(tmp_path):
    out = tmp_path / "out"
    assert _run(*RUN, "--out", str(out)).returncode == 0
    (out / "adoption.png").unlink()
    (out / "adoption.png").mkdir()
    before = _snapshot(out)
    line = _one_line(_run(*RUN, "--out", str(out)))
    assert line == (
        f"--out: {out} cannot take these results: adoption.png is a folder, not a file; remove "
        "it first"
    )
    assert _snapshot(out) == before


def test_publishing_is_all_or_nothing(tmp_path, monkeypatch):
    """A file that cannot be replaced (a folder put there after the claim) stops the publish
    before any rename, with a message that says so; a failure between renames puts the earlier
    set back."""
    from sim.atomic import OutputError

    out = tmp_path / "out"
    with owned(out, "run") as folder, folder.stage() as stage:
        for name in ("a.csv", "b.csv"):
            stage.file(name).write_text(f"first {name}\n")
    before = _snapshot(out)
    with owned(out, "run") as folder:
        (out / "b.csv").unlink()
        (out / "b.csv").mkdir()
        with pytest.raises(OutputError, match=r"b.csv is a folder, not a file; nothing was publ"):
            with folder.stage() as stage:
                for name in ("a.csv", "b.csv"):
                    stage.file(name).write_text(f"second {name}\n")
        assert (out / "a.csv").read_text() == "first a.csv\n"
        (out / "b.csv").rmdir()
        (out / "b.csv").write_text("first b.csv\n")
    assert _snapshot(out) == before

    calls = []
    real = os.replace

    def failing(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    with owned(out, "run") as folder:
        with monkeypatch.context() as patched:
            patched.setattr(os, "replace", failing)
            with pytest.raises(OSError), folder.stage() as stage:
                for name in ("a.csv", "b.csv"):
                    stage.file(name).write_text(f"third {name}\n")
    assert _snapshot(out) == before  # a.csv was moved back


# --------------------------------------------------------------------------- signals, pipes


RUN_POINTS = ["imports", "build", "month", "publish"]


@pytest.mark.system
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("point", RUN_POINTS)
def test_a_signal_at_any_point_of_a_run_leaves_nothing(tmp_path, point, sig):
    out = tmp_path / "out"
    status, err = stop_at(egov_sim(*RUN, "--out", str(out)), point, sig)
    assert status == {signal.SIGINT: 130, signal.SIGTERM: 143}[sig], err
    word = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}[sig]
    assert err.startswith(f"egov-sim: {word};") and err.count("\n") == 1, err
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.system
def test_a_signal_while_publishing_keeps_the_earlier_results(tmp_path):
    out = tmp_path / "out"
    assert _run(*RUN, "--out", str(out)).returncode == 0
    before = _snapshot(out)
    status, err = stop_at(egov_sim(*RUN, "--out", str(out), "--seed", "5"), "publish")
    assert status == 130, err
    assert _snapshot(out) == before  # the first file renamed was put back; no lock, no staging


@pytest.mark.system
def test_a_signal_while_a_batch_stores_runs_marks_it_interrupted(tmp_path):
    out = tmp_path / "out"
    command = egov_sim("batch", str(_experiment(tmp_path)), "--out", str(out), "-q")
    status, err = stop_at(command, "run-stored", signal.SIGTERM)
    assert status == 143 and "Traceback" not in err, err
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["status"] == "interrupted" and manifest["files"] == {}
    assert not (out / LOCK).exists() and not list(out.glob(".staging-*"))
    assert _one_line(_run("report", str(out), "-q")).startswith(
        f"{out / 'results.parquet'}: not recorded in manifest.json (the batch is interrupted)"
    )


@pytest.mark.system
def test_a_signal_while_reporting_leaves_no_report(batch_folder):
    _, out = batch_folder
    status, err = stop_at(egov_sim("report", str(out), "-q"), "publish")
    assert status == 130, err
    assert not (out / "report").exists()


def _closed_pipe_run(command: list[str], stream: str) -> subprocess.CompletedProcess:
    """``command`` with ``stream`` (stdout or stderr) a pipe whose reader has gone, as after
    ``| head``: every write to it fails."""
    read, write = os.pipe()
    os.close(read)
    other = subprocess.PIPE
    streams = {"stdout": write, "stderr": other} if stream == "stdout" else {
        "stdout": other, "stderr": write}  # fmt: skip
    try:
        return subprocess.run(command, cwd=ROOT, text=True, **streams)
    finally:
        os.close(write)


@pytest.mark.system
def test_a_closed_stderr_stops_a_batch_which_says_interrupted(tmp_path):
    out = tmp_path / "out"
    command = egov_sim("batch", str(_experiment(tmp_path)), "--out", str(out))  # with its bar
    result = _closed_pipe_run(command, "stderr")
    assert result.returncode == 141 and result.stdout == "", result
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["status"] == "interrupted" and manifest["files"] == {}
    assert not (out / LOCK).exists()


@pytest.mark.system
def test_a_closed_stdout_is_not_success(tmp_path):
    result = _closed_pipe_run(egov_sim("list"), "stdout")
    assert result.returncode == 141
    assert result.stderr == "egov-sim: output closed (broken pipe); stopped, finished outputs " \
        "are kept\n"  # fmt: skip


def test_read_manifest_checks_the_kind(tmp_path):
    (tmp_path / MANIFEST).write_text(json.dumps({"kind": "run"}))
    with pytest.raises(InputError, match="holds a single run's results .*, not a batch's"):
        read_manifest(tmp_path)
    assert OutputFolder(tmp_path, "run", "--out").path == tmp_path
