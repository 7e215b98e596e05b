"""Resource guard: refuse work that would not fit in memory or on disk before allocating it.

The per-citizen cost was measured with ``make bench`` (peak resident memory of a national
run: 747 MB for 2.26 M adults, of which ~190 MB is Python and its libraries), and is kept a
little above it so the estimate errs on the safe side.
"""

from __future__ import annotations

import resource
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


LIBRARY_ADDRESS_SPACE = 800 * 2**20
"""Address space of this process once numpy, pandas, numba (LLVM) and its threads are loaded
(measured: 727 MB of VMS after a 300-adult run, 2 threads, with ~340 MB resident); a process
under ``ulimit -v`` needs it besides the run's own data."""
CGROUP_ROOT = Path("/sys/fs/cgroup")
"""Where the cgroup file systems are mounted (v2 at the root, v1 under ``memory/``)."""
PROC_CGROUP = Path("/proc/self/cgroup")
"""This process's cgroups, one ``id:controllers:path`` line each."""
_SMALL_FILE = 4096
"""Bytes read of a cgroup file at most (they hold one number, or a short table)."""
NO_LIMIT = 2**62
"""A cgroup v1 limit at or above this is "no limit" (the kernel writes 2**63 less a page)."""


def _read_text(path: Path) -> str:
    """The start of a small kernel file; empty if it is absent or unreadable."""
    try:
        with open(path, "rb") as file:
            return file.read(_SMALL_FILE).decode("ascii", "replace")
    except OSError:
        return ""


def _read_number(path: Path) -> int | None:
    """The whole number a cgroup file holds; None if absent, ``max`` (no limit) or garbage."""
    text = _read_text(path).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 20 else None


def _read_stat(path: Path, key: str) -> int:
    """The value of ``key`` in a ``memory.stat`` table (0 if absent or garbage)."""
    for line in _read_text(path).splitlines():
        name, _, value = line.partition(" ")
        if name == key and value.strip().isdigit():
            return int(value.strip())
    return 0


def _cgroup_dirs() -> list[tuple[Path, str, str, str]]:
    """Each cgroup folder that may limit this process's memory, innermost first, with the
    names of its limit, usage and reclaimable-cache entries (v2 and v1)."""
    v2 = ("memory.max", "memory.current", "inactive_file")
    v1 = ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")
    found: list[tuple[Path, str, str, str]] = []
    for line in _read_text(PROC_CGROUP).splitlines():
        number, _, rest = line.partition(":")
        controllers, _, relative = rest.partition(":")
        if number == "0" and controllers == "":
            root, names = CGROUP_ROOT, v2
        elif "memory" in controllers.split(","):
            root, names = CGROUP_ROOT / "memory", v1
        else:
            continue
        folder = root / relative.strip().lstrip("/")
        if ".." in Path(relative).parts or not folder.is_dir():
            folder = root  # a container sees its own cgroup at the root
        for each in (folder, *folder.parents):
            found.append((each, *names))
            if each == root:
                break
    return found


def cgroup_memory() -> int | None:
    """Bytes the process's cgroups (v2 ``memory.max``, v1 ``memory.limit_in_bytes``, and
    their parents') still allow: the smallest limit minus usage, the reclaimable page cache
    not counted as used; None where no cgroup sets a limit."""
    left = []
    for folder, limit_name, usage_name, cache_name in _cgroup_dirs():
        limit = _read_number(folder / limit_name)
        usage = _read_number(folder / usage_name)
        if limit is None or usage is None or limit >= NO_LIMIT:
            continue
        used = max(0, usage - _read_stat(folder / "memory.stat", cache_name))
        left.append(max(0, limit - used))
    return min(left) if left else None


def address_space() -> int | None:
    """Bytes a run may still map under this process's address-space limit (``ulimit -v``,
    ``RLIMIT_AS``): the limit minus what the process maps now, or minus the libraries' share
    once loaded (:data:`LIBRARY_ADDRESS_SPACE`) if more, their resident part given back as it
    is in :data:`BASE_BYTES`; None without a limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY or soft < 0:
        return None
    mapped = max(psutil.Process().memory_info().vms, LIBRARY_ADDRESS_SPACE)
    return max(0, soft - mapped + BASE_BYTES)


def memory_limits() -> dict[str, int]:
    """What bounds a run's memory now, by name: the machine's available memory (psutil),
    the cgroup's limit and the address-space limit where they are set."""
    limits = {"available": int(psutil.virtual_memory().available)}
    cgroup = cgroup_memory()
    if cgroup is not None:
        limits["under the cgroup's memory limit"] = cgroup
    space = address_space()
    if space is not None:
        limits["under the address-space limit (ulimit -v)"] = space
    return limits


def available_memory() -> int:
    """Bytes of memory a run may use now: the smallest of :func:`memory_limits`."""
    return min(memory_limits().values())


def _tightest() -> tuple[int, str]:
    """The smallest of :func:`memory_limits` and, for a message, what sets it."""
    name, have = min(memory_limits().items(), key=lambda item: item[1])
    return have, "" if name == "available" else f" {name}"


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
    """Refuse ``workers`` simultaneous runs of ``citizens`` adults that would not fit in the
    tightest of :func:`memory_limits` (the workers' need is summed against each, which errs
    on the safe side for the address-space limit, a per-process one)."""
    one = run_memory(citizens, local_ties)
    need = one * workers
    have, under = _tightest()
    if need > HEADROOM * have:
        per = f" ({workers} workers at {_gb(one)} each)" if workers > 1 else ""
        raise ResourceError(
            f"{what}: {citizens:,} adults need about {_gb(need)} of memory{per}, but only "
            f"{_gb(have)} is available{under} (allowed: up to {HEADROOM:.0%} of it); use "
            "fewer citizens or workers"
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
