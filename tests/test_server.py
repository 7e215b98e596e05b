"""``egov-sim dashboard`` never leaves its Solara server behind: SIGTERM or even SIGKILL of
the command stops the server too (no orphan listening on the port)."""

import signal
import socket
import subprocess
import sys
import time

import psutil
import pytest

from tests.conftest import ROOT

pytest.importorskip("solara")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_of(command: subprocess.Popen, timeout: float = 60) -> psutil.Process:
    """The command's ``solara run`` child, once it exists."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = psutil.Process(command.pid).children(recursive=True)
        if children:
            return children[0]
        time.sleep(0.2)
    raise AssertionError("the dashboard command started no server")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_stopping_the_command_stops_its_server(sig):
    command = subprocess.Popen(
        [sys.executable, "-m", "sim", "dashboard", "--port", str(_free_port())],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = _server_of(command)
    try:
        assert "solara" in " ".join(server.cmdline())
        command.send_signal(sig)
        command.wait(timeout=30)
        gone, alive = psutil.wait_procs([server], timeout=20)
        assert server in gone and not alive
    finally:
        for proc in (command, server):
            try:
                psutil.Process(proc.pid).kill()
            except psutil.NoSuchProcess:
                pass
