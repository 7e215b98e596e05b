"""The command-line end shared by the benchmark scripts that print one table from a batch's
results folder (``flat_inputs``, ``lockout_mechanisms``)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from sim.analysis.results import load_results
from sim.errors import InputError


def print_batch_table(
    folder: str,
    build: Callable[[pd.DataFrame], pd.DataFrame],
    render: Callable[[pd.DataFrame], str],
    *,
    allowed: str,
    heading: Callable[[pd.DataFrame], str],
) -> int:
    """Read the batch in ``folder``, build its table and print ``heading`` and the markdown;
    exit status 2 with one line on stderr when the folder is not a batch or holds none of the
    runs the table needs (``allowed`` says which batch it takes)."""
    try:
        long, _ = load_results(Path(folder))
    except InputError as error:
        print(error, file=sys.stderr)
        return 2
    table = build(long)
    if table.empty:
        print(f"{folder}: no runs the table needs (allowed: {allowed})", file=sys.stderr)
        return 2
    print(heading(table))
    print(render(table))
    return 0
