"""Resource guard: refuse work that would not fit in memory or on disk before allocating it.

The per-citizen cost was measured with ``make bench`` (peak resident memory of a national
run: 747 MB for 2.26 M adults, of which ~190 MB is Python and its libraries), and is kept a
little above it so the estimate errs on the safe side.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import psutil

BYTES_PER_CITIZEN = 300
"""Peak memory per adult during a run (columns, ties, transactions, tallies)."""
BASE_BYTES = 250 * 2**20
"""Interpreter, numpy, scipy, pandas, Mesa."""
BYTES_PER_VALUE_STORED = 24
"""Per stored number: a run's Parquet file, the consolidated Parquet and the CSV export."""
HEADROOM = 0.9
"""Use at most this share of what is available."""


class ResourceError(Exception):
    """Refused before anything was allocated; ``str()`` is the one-line message."""


def available_memory() -> int:
    """Bytes of memory available now, on any platform (psutil)."""
    return int(psutil.virtual_memory().available)


def free_disk(path: Path) -> int:
    """Bytes free on the file system that will hold ``path`` (its nearest existing parent)."""
    for folder in (Path(path), *Path(path).parents):
        if folder.exists():
            return shutil.disk_usage(folder).free
    return shutil.disk_usage(".").free


BYTES_PER_EXTRA_TIE = 36
"""Peak memory per adult for each local tie above the default six (measured: peak resident
memory at 100,000 and 400,000 adults rose by 167 bytes an adult with 6 local ties and by
1,600 with 50, about 33 bytes a tie, kept a little above)."""
DEFAULT_LOCAL_TIES = 6


def run_memory(citizens: int, local_ties: int = DEFAULT_LOCAL_TIES) -> int:
    """Peak memory of one run: grows with the local tie count (the network is the largest
    structure above the default)."""
    extra = BYTES_PER_EXTRA_TIE * max(0, local_ties - DEFAULT_LOCAL_TIES)
    return BASE_BYTES + (BYTES_PER_CITIZEN + extra) * citizens


def _gb(n: float) -> str:
    """``2.4 GB``, or ``35 MB`` below a gigabyte (never "0.0 GB")."""
    if n < 2**30:
        return f"{max(1, round(n / 2**20))} MB"
    return f"{n / 2**30:.1f} GB"


def check_memory(
    citizens: int,
    workers: int = 1,
    what: str = "citizens",
    local_ties: int = DEFAULT_LOCAL_TIES,
) -> None:
    """Refuse ``workers`` simultaneous runs of ``citizens`` adults that would not fit."""
    one = run_memory(citizens, local_ties)
    need = one * workers
    have = available_memory()
    if need > HEADROOM * have:
        per = f" ({workers} workers at {_gb(one)} each)" if workers > 1 else ""
        raise ResourceError(
            f"{what}: {citizens:,} adults need about {_gb(need)} of memory{per}, but only "
            f"{_gb(have)} is available (allowed: up to {HEADROOM:.0%} of it); use fewer "
            "citizens or workers"
        )


def check_disk(out: Path, values: int, what: str = "design") -> None:
    """Refuse a batch whose stored results (``values`` numbers) would not fit on disk."""
    need = values * BYTES_PER_VALUE_STORED
    have = free_disk(out)
    if need > HEADROOM * have:
        raise ResourceError(
            f"{what}: the results would take about {_gb(need)} on disk ({values:,} numbers), "
            f"but {out} has {_gb(have)} free (allowed: up to {HEADROOM:.0%} of it); keep fewer "
            "metrics or months ([output]), or fewer runs"
        )
