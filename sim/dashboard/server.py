"""Start the dashboard's Solara server (``egov-sim dashboard``) as a child process."""

from __future__ import annotations

import os
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


def serve(scenario: str, host: str, port: int) -> int:
    """Run ``solara run`` on the app until it stops or Ctrl-C; its exit status."""
    app = Path(__file__).resolve().parent / "app.py"
    env = {**os.environ, "EGOV_SIM_SCENARIO": scenario}
    cmd = [sys.executable, "-m", "solara", "run", str(app), "--host", host, "--port", str(port)]
    try:
        return subprocess.call([*cmd, "--no-open", "--production"], env=env)
    except KeyboardInterrupt:
        return 0
