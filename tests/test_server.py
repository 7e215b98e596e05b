"""``egov-sim dashboard`` never leaves its Solara server behind: SIGTERM, Ctrl-C or even
SIGKILL of the command frees its port within seconds and stops every process it started; a
port in use or a bad scenario is refused (exit 2, one line) before anything starts.

Every test kills what it started in ``finally``, on failure too, and the commands started
here get SIGTERM if pytest itself dies (parent-death signal), so nothing outlives the tests."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from sim.dashboard.server import _die_with_parent
from tests.conftest import ROOT, SCENARIOS, default_sigint

pytestmark = pytest.mark.system

pytest.importorskip("solara")

FREED_WITHIN = 5.0  # seconds, from the signal until nothing listens on the port


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    """Whether anything listens on ``port`` (from /proc/net/tcp and tcp6)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # LISTEN
                return True
    return False


class Dashboard:
    """A running ``egov-sim dashboard`` and every process it started (seen so far)."""

    def __init__(self, proc: subprocess.Popen, port: int, log: Path) -> None:
        self.proc, self.port, self.log = proc, port, log
        self.seen: dict[int, psutil.Process] = {}

    def processes(self) -> list[psutil.Process]:
        """The command's processes now, recursively; remembered, for the clean-up."""
        try:
            found = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            found = []
        self.seen.update((p.pid, p) for p in found)
        return found

    def wait_listening(self, timeout: float = 60) -> psutil.Process:
        """The Solara server, once it listens on the port."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            servers = self.processes()
            if self.proc.poll() is not None:
                raise AssertionError(f"the dashboard ended early:\n{self.log.read_text()[-3000:]}")
            if servers and _listening(self.port):
                return servers[0]
            time.sleep(0.1)
        raise AssertionError(f"the dashboard did not listen:\n{self.log.read_text()[-3000:]}")

    def seconds_until_free(self, limit: float = 20) -> float:
        start = time.monotonic()
        while _listening(self.port) and time.monotonic() - start < limit:
            time.sleep(0.02)
        return time.monotonic() - start

    def kill_all(self) -> None:
        self.processes()
        if self.proc.poll() is None:
            self.proc.kill()
        for proc in self.seen.values():
            try:
                proc.kill()  # psutil: never a new process that reused the pid
            except psutil.Error:
                pass
        self.proc.wait(timeout=10)
        psutil.wait_procs(list(self.seen.values()), timeout=10)


@contextmanager
def dashboard(tmp_path: Path, *args: str):
    port = _free_port()
    log = tmp_path / "dashboard.log"
    pytest_pid = os.getpid()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim", "dashboard", *args, "--port", str(port)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            # Ctrl-C acts, and SIGTERM comes if pytest dies
            preexec_fn=lambda: (default_sigint(), _die_with_parent(pytest_pid)),
        )
    running = Dashboard(proc, port, log)
    try:
        yield running
    finally:
        running.kill_all()


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stopping_the_command_frees_its_port_and_stops_its_server(tmp_path, sig):
    with dashboard(tmp_path) as running:
        server = running.wait_listening()
        assert "solara" in " ".join(server.cmdline())
        assert server.pid == os.getpgid(server.pid)  # a process group of its own
        running.proc.send_signal(sig)
        seconds = running.seconds_until_free()
        print(f"{signal.Signals(sig).name}: port free after {seconds:.2f} s")
        assert seconds < FREED_WITHIN, f"still listening {seconds:.1f} s after the signal"
        assert running.proc.wait(timeout=15) == 0
        gone, alive = psutil.wait_procs(list(running.seen.values()), timeout=5)
        assert not alive, alive
        assert _group_gone(server.pid)
        assert "Traceback" not in running.log.read_text()


def test_sigkill_of_the_command_stops_its_server(tmp_path):
    """Linux only: the server gets SIGTERM when its parent dies (parent-death signal)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the parent-death signal is Linux's")
    with dashboard(tmp_path) as running:
        server = running.wait_listening()
        running.proc.kill()
        seconds = running.seconds_until_free()
        print(f"SIGKILL: port free after {seconds:.2f} s")
        assert seconds < FREED_WITHIN, f"still listening {seconds:.1f} s after SIGKILL"
        gone, alive = psutil.wait_procs([server], timeout=10)
        assert server in gone and not alive


def test_a_scenario_file_and_the_page_settings_are_passed_to_the_server(tmp_path):
    for name in ("history.toml", "status_quo.toml"):  # history extends status_quo
        shutil.copy(SCENARIOS / name, tmp_path / name)
    mine = tmp_path / "history.toml"
    with dashboard(tmp_path, str(mine)) as running:
        server = running.wait_listening()
        assert server.environ()["EGOV_SIM_SCENARIO"] == str(mine.resolve())
        # Solara's "runs on Solara" badge would cover the page's bottom right corner
        assert server.environ()["SOLARA_THEME_SHOW_BANNER"] == "false"
        running.proc.send_signal(signal.SIGTERM)
        assert running.seconds_until_free() < FREED_WITHIN
        assert running.proc.wait(timeout=15) == 0
        assert not psutil.wait_procs([server], timeout=5)[1]


def test_a_busy_port_is_refused_before_anything_is_printed():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        start = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "sim", "dashboard", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert time.monotonic() - start < 15
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and str(port) in lines[0] and "--port" in lines[0], lines


@pytest.mark.parametrize("scenario", ["nope", "x.toml"])
def test_a_bad_scenario_is_refused_in_one_line(tmp_path, scenario):
    ref = scenario if scenario == "nope" else str(tmp_path / scenario)  # x.toml: missing
    done = subprocess.run(
        [sys.executable, "-m", "sim", "dashboard", ref, "--port", str(_free_port())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(ref), lines


def test_a_server_failing_to_start_is_one_line(tmp_path, monkeypatch, capsys):
    """A server that exits with a traceback before it listens: one line, exit 1."""
    from sim.cli import main

    fake = tmp_path / "python"
    fake.write_text(
        "#!/bin/sh\necho 'Traceback (most recent call last):'\n"
        "echo '  File \"x.py\", line 1'\necho 'RuntimeError: boom' >&2\nexit 1\n"
    )
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))
    assert main(["dashboard", "--port", str(_free_port())]) == 1
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "egov-sim dashboard: the Solara server stopped (status 1) before it listened: "
        "RuntimeError: boom"
    ]
    assert "Traceback" not in out
