"""Start the dashboard's Solara server (``egov-sim dashboard``) as a child process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sim.errors import ScenarioError


def check_scenario(ref: str | None) -> str:
    """The library scenario the dashboard starts from (default ``status_quo``), validated."""
    from sim.files import load_scenario
    from sim.library import find_scenario, scenario_names

    name = Path(ref).stem if ref else "status_quo"
    names = scenario_names()
    if name not in names:
        raise ScenarioError(f"{ref}: not in the scenario library (allowed: {', '.join(names)})")
    load_scenario(find_scenario(name))  # refuse an invalid file before starting
    return name


def _die_with_parent() -> None:
    """In the child, before exec: on Linux, receive SIGTERM when the parent dies, even by
    SIGKILL, so no server is left orphaned (elsewhere the signal handlers below do it)."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def serve(scenario: str, host: str, port: int) -> int:
    """Run ``solara run`` on the app until it stops, Ctrl-C, or SIGTERM/SIGHUP to this
    process, which are passed on to the server; its exit status (0 when stopped)."""
    app = Path(__file__).resolve().parent / "app.py"
    env = {**os.environ, "EGOV_SIM_SCENARIO": scenario}
    cmd = [sys.executable, "-m", "solara", "run", str(app), "--host", host, "--port", str(port)]
    child = subprocess.Popen(
        [*cmd, "--no-open", "--production"], env=env, preexec_fn=_die_with_parent
    )

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return child.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
