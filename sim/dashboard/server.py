"""Start the dashboard's Solara server (``egov-sim dashboard``) as a child process.

Nothing the command starts outlives it: the server runs in a process group of its own, which
is stopped (SIGTERM, then SIGKILL after a grace period) whenever the command ends, however it
ends - the server stopping, Ctrl-C, SIGTERM or SIGHUP; on Linux even SIGKILL of the command
stops the server (parent-death signal)."""

from __future__ import annotations

import collections
import errno
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from sim.errors import InputError

GRACE = 5.0
"""Seconds the server has to stop after SIGTERM before its process group is killed."""

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class ServerError(RuntimeError):
    """The Solara server stopped by itself with an error; ``str(error)`` is one line."""


def check_scenario(ref: str | None) -> str:
    """The scenario the dashboard starts from (default ``status_quo``), validated: a library
    name, or a scenario file's absolute path (the dashboard's own exports included)."""
    from sim.dashboard.settings import library_file, scenario_choices
    from sim.files import load_scenario

    ref = ref or "status_quo"
    path = library_file(ref)  # InputError: neither a file nor a library name
    load_scenario(path)  # refuse an invalid file before starting
    return ref if ref in scenario_choices() else str(path)


def _port_in_use(host: str, port: int) -> InputError:
    return InputError(f"--port: {port} on {host} is in use (choose another with --port)")


def check_port(host: str, port: int) -> None:
    """Refuse, before anything starts, an address the server could not listen on: a port in
    use, one that needs privileges, or a host that is not this machine's. Binds every address
    the server would (as asyncio does: SO_REUSEADDR, IPv6 only on IPv6) and closes them."""
    if not 0 < port < 65536:
        raise InputError(f"--port: {port} is not a port (1-65535)")
    try:
        addresses = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise InputError(f"--host: {host!r} is not an address ({reason})") from None
    for family, kind, proto, _, address in addresses:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise _port_in_use(host, port) from None
                if exc.errno == errno.EACCES:
                    raise InputError(
                        f"--port: {port} on {host} needs privileges (choose another with --port)"
                    ) from None
                if exc.errno == errno.EADDRNOTAVAIL:
                    raise InputError(f"--host: {host} is not an address of this machine") from None
                raise InputError(f"--port: {port} on {host}: {exc.strerror or exc}") from None


def _die_with_parent(parent: int) -> None:
    """In the child, before exec: on Linux, receive SIGTERM when the parent dies, even by
    SIGKILL, so no server is left orphaned (elsewhere the signal handlers below do it)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != parent:  # the parent died before the line above: do not start
            os._exit(1)


class _Output:
    """The server's output, read from its pipe: kept back until the server listens (so that a
    server failing to start is reported in one line), then passed on to stderr as it comes."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.pending: list[str] = []  # not yet passed on
        self.tail: collections.deque[str] = collections.deque(maxlen=200)
        self.live = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, name="solara-output", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        for raw in iter(self.stream.readline, b""):
            line = raw.decode(errors="replace")
            with self.lock:
                self.tail.append(line)
                if self.live:
                    self._write(line)
                elif len(self.pending) < 1000:
                    self.pending.append(line)

    @staticmethod
    def _write(text: str) -> None:
        try:
            sys.stderr.write(text)
            sys.stderr.flush()
        except (OSError, ValueError):  # no terminal any more: keep draining the pipe
            pass

    def go_live(self) -> None:
        with self.lock:
            self._write("".join(self.pending))
            self.pending.clear()
            self.live = True

    def lines(self) -> list[str]:
        """The last lines, up to the pipe's end (the server has stopped)."""
        self.thread.join(timeout=2)
        with self.lock:
            return [line.strip() for line in self.tail if line.strip()]


def _listens(pid: int, port: int) -> bool:
    """Whether the server (not another program) listens on ``port``."""
    import psutil

    try:
        proc = psutil.Process(pid)
        found = getattr(proc, "net_connections", proc.connections)(kind="inet")
    except psutil.Error:
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port for c in found)


def _descendants(pid: int) -> list:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _stop(child: subprocess.Popen, grace: float = GRACE) -> None:
    """Stop the server and everything it started: SIGTERM to its process group (and to any
    descendant that left it), SIGKILL to what is left after ``grace`` seconds; a second
    Ctrl-C or SIGTERM skips the grace period."""
    import psutil

    others = _descendants(child.pid) if child.poll() is None else []  # not a reused pid's
    try:
        if child.poll() is None:
            _signal_group(child.pid, signal.SIGTERM)
            for proc in others:
                _signal(proc, signal.SIGTERM)
            child.wait(timeout=grace)
        psutil.wait_procs(others, timeout=max(0.5, grace / 5))
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        pass
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, *_STOP_SIGNALS})
    try:
        # what is left of the group, should the server have started processes: a group's id
        # is not given to a new process while any member lives, so this reaches no other
        _signal_group(child.pid, signal.SIGKILL)
        for proc in others:
            _signal(proc, signal.SIGKILL)
        child.wait()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):  # the group is empty
        pass


def _signal(proc, sig: int) -> None:
    import psutil

    try:
        proc.send_signal(sig)  # psutil: never a new process that reused the pid
    except psutil.Error:
        pass


def _raise(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(scenario: str, host: str, port: int, grace: float = GRACE) -> int:
    """Run ``solara run`` on the app until it stops, or Ctrl-C, SIGTERM or SIGHUP to this
    process; 0 when stopped. Raises ``InputError`` if the port was taken meanwhile and
    ``ServerError`` (one line) if the server stops with an error."""
    app = Path(__file__).resolve().parent / "app.py"
    # Solara warns on every page load that a cookie over plain http on 127.0.0.1 falls back
    # to samesite=lax, which is what a local server wants: keep that out of the log
    quiet = "ignore:Cookies with samesite=none require https:UserWarning"
    warnings = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), quiet]))
    env = {
        **os.environ,
        "EGOV_SIM_SCENARIO": scenario,
        "PYTHONUNBUFFERED": "1",
        "PYTHONWARNINGS": warnings,
        # no "This website runs on Solara" badge over the page's bottom right corner
        "SOLARA_THEME_SHOW_BANNER": "false",
    }
    cmd = [sys.executable, "-m", "solara", "run", str(app), "--host", host, "--port", str(port)]
    cmd += ["--no-open", "--production", "--no-check-version"]
    parent = os.getpid()
    previous = {sig: signal.signal(sig, _raise) for sig in _STOP_SIGNALS}
    child = output = None
    try:
        child = subprocess.Popen(
            cmd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            process_group=0,  # its own group: stopped as a whole, grandchildren included
            preexec_fn=lambda: _die_with_parent(parent),
        )
        output = _Output(child.stdout)
        listening = False
        while True:
            try:
                code = child.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if not listening and _listens(child.pid, port):
                    listening = True
                    output.go_live()
        if code == 0:
            return 0
        reason = f"killed by {signal.Signals(-code).name}" if code < 0 else f"status {code}"
        lines = output.lines()
        if any("address already in use" in line.lower() for line in lines):
            raise _port_in_use(host, port)  # taken since check_port
        if not listening:
            last = lines[-1] if lines else "no output"
            raise ServerError(f"the Solara server stopped ({reason}) before it listened: {last}")
        raise ServerError(f"the Solara server stopped ({reason}); its output is above")
    except KeyboardInterrupt:
        return 0
    finally:
        if child is not None:
            _stop(child, grace)
            if output is not None:
                output.thread.join(timeout=2)
            if output is None or not output.thread.is_alive():
                child.stdout.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
