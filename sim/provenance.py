"""What a manifest records about the code and machine that produced a result."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ("egov-sim", "mesa", "numpy", "scipy", "pandas", "pydantic", "matplotlib")


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def git_state(where: Path | None = None) -> dict[str, object]:
    """The commit of the checkout holding the code, and whether it has uncommitted changes."""
    where = where or Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        status = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit.stdout.strip(), "dirty": bool(status.stdout.strip())}


def machine() -> dict[str, object]:
    import os

    return {"platform": platform.platform(), "cpus": os.cpu_count()}


def run_record() -> dict[str, object]:
    """The provenance every results manifest carries: the command, versions, git, machine."""
    import sys

    return {
        "command": " ".join(sys.argv),
        "versions": versions(),
        "git": git_state(),
        "machine": machine(),
    }
