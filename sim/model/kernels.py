"""The citizens' monthly rules as fused numba kernels: two passes over the population a month.

:func:`citizens_month` walks every adult once: service needs, the agency of each need,
channel choice, outcomes, learning and reassurance, with the month's tallies. Then
:func:`social_month` walks every adult once more: the neighbour gathers of word of mouth
(social proof, awareness, trust averaging), internet and e-signature uptake, and the tallies
the metrics are made of. Each rule is written once, as a small inlined function, so the
standalone kernels the tests and the model's set-up use (:func:`need_counts`,
:func:`peer_counts`, :func:`tally_population`) run the same code as the fused ones.

Both cores: adults are split into chunks of :data:`CHUNK` rows, a fixed size whatever the
thread count, and chunks run in parallel (``prange``). Every random number is a pure
function of a stream key and a slot (:func:`uniform`; a counter-based generator), never of
which thread draws it, and every sum is taken chunk by chunk in row order, the chunks' sums
then added in chunk order; so 1 or 8 threads, one process or another, give bit-identical
results.

Arguments come in named groups, namedtuples declared once below (:data:`GROUPS`; the
citizens' columns as :data:`State`, from ``population.COLUMNS``) and checked field by field
by :func:`group` before a kernel runs, so two swapped columns fail with the field's name.

Compiled code is cached on disk (``cache=True``): the first use on a machine compiles every
kernel, later processes load them from the cache (both timed in docs/performance.md).

The threads are numba's fork-safe layer (:func:`use_fork_safe_threads`, chosen at import,
before any kernel runs): TBB where the ``tbb`` package is installed, else numba's own work
queue, never GNU OpenMP, whose pool makes every process forked after a run abort or hang
(a ``multiprocessing`` pool with the fork start method, EMA Workbench's evaluator).
"""

from __future__ import annotations

import ctypes
import importlib.metadata
import os
import sys
import threading
from collections import namedtuple
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sim import environment

# numba reads NUMBA_NUM_THREADS when imported, and a bad value is its traceback
if environment.NUMBA_THREADS_ENV in os.environ:
    environment.thread_count(
        environment.NUMBA_THREADS_ENV, os.environ[environment.NUMBA_THREADS_ENV]
    )

import numba  # noqa: E402
import numpy as np  # noqa: E402
from numba import njit, prange  # noqa: E402

from sim.model.population import COLUMNS  # noqa: E402


def _load_pip_tbb() -> None:
    """Load the ``tbb`` wheel's ``libtbb.so.12`` by its full path: the wheel puts it in
    ``<prefix>/lib``, where the dynamic loader does not look, so numba would not find it
    (numba issue 6108); once loaded, numba's own load by name finds it."""
    if not sys.platform.startswith("linux"):
        return
    try:
        files = importlib.metadata.files("tbb") or []
    except importlib.metadata.PackageNotFoundError:
        return
    for file in files:
        if file.name == "libtbb.so.12":
            try:
                ctypes.CDLL(str(file.locate()), mode=ctypes.RTLD_GLOBAL)
            except OSError:
                pass  # numba then falls back to the work queue
            return


def use_fork_safe_threads() -> None:
    """Make numba pick a fork-safe threading layer ("forksafe": TBB, else its work queue;
    on Linux never GNU OpenMP), unless ``NUMBA_THREADING_LAYER`` names one. Must run before
    the first parallel kernel starts numba's threads; results are the same on every layer."""
    _load_pip_tbb()
    if not os.environ.get(environment.LAYER_ENV, "").strip():
        numba.config.THREADING_LAYER = "forksafe"  # else the user's choice (see docs)


use_fork_safe_threads()

CHUNK = 8192
"""Adults per chunk of the parallel loops (fixed, so results do not depend on threads)."""
SLOTS_PER_ADULT = 64
"""Transaction slots per adult and month: need ``j`` of adult ``i`` draws at slot
``i * SLOTS_PER_ADULT + j`` (needs are capped below this; see ``behaviour.needs_table``)."""
NEVER = -30000

# Tally columns of citizens_month (int64, per chunk)
(
    T_TX,
    T_ONLINE,
    T_SUCCESS,
    T_ASSISTED,
    T_IN_PERSON,
    T_COUNTER,
    T_PAPER_COUNTER,
    T_FAIL,
    T_RECENT,
    T_AWARE,
    T_FAIL_LEGAL,  # failed online attempts by channel (they sum to T_FAIL)
    T_FAIL_DATA,
    T_FAIL_DEMAND,
    T_INTERNET_AREA,  # then one column per area: adults with internet access
) = range(14)


def month_tallies(n_areas: int) -> int:
    """The number of tally columns of :func:`citizens_month` for ``n_areas`` areas."""
    return T_INTERNET_AREA + n_areas


# Tally columns of the population (int64, per chunk), then the float sums
(
    P_INTERNET,
    P_AWARE,
    P_USERS,
    P_TRIED,
    P_EVER,
    P_ESIGNATURE,
    P_USERS_URBAN,
    P_USERS_YOUNG,
    P_USERS_OLD,
    P_LOCKED,
    P_LOCKED_URBAN,
    P_LOCKED_YOUNG,
    P_LOCKED_OLD,
    P_INTERNET_URBAN,
    P_USERS_INTERNET,
    P_USERS_INTERNET_URBAN,
) = range(16)
N_POP_TALLIES = 16
F_TRUST, F_HABIT = 0, 1

_LOCK = threading.Lock()
"""Parallel kernels are called under this lock: numba's default thread pool must not be
entered from two Python threads at once (the dashboard and threaded Dask workers)."""


# --------------------------------------------------------------------------- argument groups


@dataclass(frozen=True)
class Field:
    """One field of an argument group: its dtype, 0 dimensions for a scalar, and for arrays
    whether the kernel writes it and how its rows are counted."""

    dtype: Any
    ndim: int = 0
    written: bool = False
    """The kernel writes it: the caller's own array of exactly this dtype, never a
    converted copy (which would swallow the writes)."""
    rows: str = ""
    """What the first dimension counts: "adults" (one row each), "adults+1" (and the
    padding row), "chunks" (:func:`n_chunks`), or "" (anything)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "dtype", np.dtype(self.dtype))


GROUPS: dict[type, dict[str, Field]] = {}
"""Every argument group of the kernels, with its fields (see :func:`group`)."""


def _group(name: str, doc: str, fields: dict[str, Field]) -> type:
    """A namedtuple class of these fields, registered in :data:`GROUPS`. numba compiles a
    namedtuple argument as a tuple whose fields the kernel reads by name (``state.trust``),
    binding each to a local name before its parallel loop (see :func:`citizens_month`)."""
    cls = namedtuple(name, tuple(fields), module=__name__)
    cls.__doc__ = doc
    GROUPS[cls] = fields
    return cls


_PER_ADULT = {"adults": 0, "adults+1": 1}

State = _group(
    "State",
    "The citizens' columns (``population.COLUMNS``), one row per adult, read and written in place.",
    {name: Field(col.dtype, 1, written=True, rows="adults") for name, col in COLUMNS.items()},
)
CitizenKeys = _group(
    "CitizenKeys",
    "The stream keys of :func:`citizens_month` (``behaviour.CITIZEN_STREAMS``).",
    dict.fromkeys(
        "needs agency service_online needs_esignature reach pick outcome closed".split(),
        Field(np.uint64),
    ),
)
SocialKeys = _group(
    "SocialKeys",
    "The stream keys of :func:`social_month` (``behaviour.SOCIAL_STREAMS``).",
    dict.fromkeys(("awareness", "internet", "esignature"), Field(np.uint64)),
)
Coefs = _group(
    "Coefs",
    "The coefficients of the channel choice (``params.choice``, ``coef_<field>``).",
    dict.fromkeys(
        "online_intercept trust skill peer experience paper_habit risk assisted_intercept".split(),
        Field(np.float64),
    ),
)
Learning = _group(
    "Learning",
    "Per learning rate, ``(1 - rate) ** m`` for m = 0, 1, 2, ... (float32): the change "
    "after m successes or failures in a month.",
    dict.fromkeys(
        ("trust_gain", "trust_loss", "habit_loss", "habit_gain", "skill_gain"),
        Field(np.float32, 1),
    ),
)
CitizenMonth = _group(
    "CitizenMonth",
    "What :func:`citizens_month` reads besides the columns: the needs table (Poisson CDF "
    "per age group), the chance a need requires an e-signature, the month's regime, and "
    "each area's chance that an assisted centre is within reach.",
    {
        "needs_cdf": Field(np.float32, 2),
        "p_needs_esignature": Field(np.float64),
        "online_push": Field(np.float64),
        "counters_closed": Field(np.float64),
        "trust_recovery": Field(np.float64),
        "assisted_reach": Field(np.float32, 1),
    },
)
Agencies = _group(
    "Agencies",
    "Per agency: the traffic CDF and its lookup table (:func:`category_table`), and this "
    "month's service probabilities (``agencies.ServiceTable``).",
    {
        "cdf": Field(np.float32, 1),
        "table": Field(np.int32, 2),
        "share_online": Field(np.float64, 1),
        "p_paper": Field(np.float64, 1),
        "p_end_to_end": Field(np.float64, 1),
        "p_refused": Field(np.float64, 1),
        "p_demanded": Field(np.float64, 1),
        "insecurity": Field(np.float64, 1),
    },
)
CitizenOut = _group(
    "CitizenOut",
    "What :func:`citizens_month` writes: the packed words ties read (:func:`pack`; row n "
    "the padding), and per chunk (zeroed by the caller) the tallies (``T_*``, then one "
    "internet count per area: :func:`month_tallies` columns), the attempts online and "
    "transactions per agency, and the trust sum.",
    {
        "neighbours": Field(np.uint64, 1, written=True, rows="adults+1"),
        "tallies": Field(np.int64, 2, written=True, rows="chunks"),
        "by_agency": Field(np.int64, 3, written=True, rows="chunks"),
        "sums": Field(np.float64, 1, written=True, rows="chunks"),
    },
)
SocialMonth = _group(
    "SocialMonth",
    "What :func:`social_month` reads besides the columns and ties: the rules of word of "
    "mouth, the full-mixing shares (recent users, aware, mean trust after learning), each "
    "area's monthly chance of going online, the age factors and the e-signature rate.",
    {
        "full_mixing": Field(np.bool_),
        "from_aware": Field(np.bool_),
        "threshold_rule": Field(np.bool_),
        "p_aware_media": Field(np.float64),
        "p_aware_peer": Field(np.float64),
        "rate_trust_social": Field(np.float64),
        "share_recent": Field(np.float64),
        "share_aware": Field(np.float64),
        "mean_trust": Field(np.float64),
        "p_internet": Field(np.float64, 1),
        "age_factor": Field(np.float64, 1),
        "rate_esignature": Field(np.float64),
    },
)
Adults = _group(
    "Adults",
    "Per adult, fixed for a run and not a column: lives in an urban area, and the relative "
    "chance of obtaining a credential (``behaviour.credential_access``).",
    {
        "urban": Field(np.bool_, 1, rows="adults"),
        "credential_access": Field(np.float32, 1, rows="adults"),
    },
)
Ties = _group(
    "Ties",
    "The ties laid out for the gathers (:class:`TieTable`).",
    {
        "degree": Field(np.int32, 1, rows="adults"),
        "near_ptr": Field(np.int64, 1, rows="adults+1"),
        "near_idx": Field(np.int32, 1),
        "far_ptr": Field(np.int64, 1),
        "far_row": Field(np.int32, 1),
        "far_col": Field(np.int32, 1),
    },
)
Tallies = _group(
    "Tallies",
    "What the population tallies write, per chunk: the counts (``P_*``) and the float sums "
    "(``F_*``).",
    {
        "counts": Field(np.int64, 2, written=True, rows="chunks"),
        "sums": Field(np.float64, 2, written=True, rows="chunks"),
    },
)


def _scalar(where: str, field: Field, value: Any) -> Any:
    kind = field.dtype.kind
    if kind == "b" and isinstance(value, bool | np.bool_):
        return bool(value)
    number = isinstance(value, int | float | np.integer | np.floating)
    if kind == "f" and number and not isinstance(value, bool | np.bool_):
        return float(value)
    if kind == "u" and isinstance(value, int | np.integer) and not isinstance(value, bool):
        if 0 <= int(value) < 2**64:
            return np.uint64(value)
    raise ValueError(f"{where}: a {field.dtype.name} scalar expected, got {value!r}")


def _array(where: str, field: Field, value: Any, n: int) -> np.ndarray:
    want = field.dtype
    if field.written:
        if not isinstance(value, np.ndarray) or value.dtype != want:
            got = value.dtype.name if isinstance(value, np.ndarray) else type(value).__name__
            raise ValueError(
                f"{where}: written in place, so it must be a {want.name} array (got {got})"
            )
        if not (value.flags.c_contiguous and value.flags.writeable):
            raise ValueError(f"{where}: written in place, so it must be contiguous and writeable")
        array = value
    else:
        array = value if isinstance(value, np.ndarray) else np.asarray(value)
        if array.dtype != want:
            if array.dtype.kind not in ("iu" if want.kind in "iu" else want.kind):
                raise ValueError(f"{where}: {want.name} expected, got {array.dtype.name}")
            array = array.astype(want)
        if not array.flags.c_contiguous:
            array = np.ascontiguousarray(array)
    if array.ndim != field.ndim:
        raise ValueError(f"{where}: {field.ndim} dimension(s) expected, got shape {array.shape}")
    if field.rows:
        expected = n_chunks(n) if field.rows == "chunks" else n + _PER_ADULT[field.rows]
        if array.shape[0] != expected:
            raise ValueError(
                f"{where}: {expected} rows expected ({field.rows}), got {array.shape[0]}"
            )
    return array


def group(cls: type, n: int, **values: Any):
    """The argument group ``cls`` (a namedtuple of :data:`GROUPS`) for ``n`` adults, each
    field checked against its declaration: every field given and no other, scalars of the
    declared kind, arrays of the declared dimensions and rows; arrays the kernel writes of
    exactly the declared dtype, others converted within their kind (float64 to float32, never
    a float into an int or a bool). A mismatch is a ValueError naming the group and field, so
    swapped or misshapen arguments fail before any kernel runs."""
    fields = GROUPS[cls]
    if len(values) != len(fields) or not all(name in values for name in fields):
        missing = [name for name in fields if name not in values]
        unknown = [name for name in values if name not in fields]
        raise ValueError(
            f"{cls.__name__}: missing {', '.join(missing) or 'none'}, unknown "
            f"{', '.join(unknown) or 'none'} (fields: {', '.join(fields)})"
        )
    where = cls.__name__
    return cls._make(
        _array(f"{where}.{name}", field, values[name], n)
        if field.ndim
        else _scalar(f"{where}.{name}", field, values[name])
        for name, field in fields.items()
    )


def state(pop) -> State:
    """The citizens' columns of ``pop`` (a ``population.Population``) as a :data:`State`,
    checked against ``population.COLUMNS``."""
    return group(State, pop.n, **pop.columns)


# --------------------------------------------------------------------------- random numbers

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@njit(inline="always", cache=True)
def uniform(key: np.uint64, slot: np.int64) -> np.float32:
    """The float32 uniform in [0, 1) at ``slot`` of the stream ``key``: SplitMix64's output
    function applied to ``key + (slot + 1) x golden ratio`` (Steele, Lea & Flood 2014), the
    top 24 bits scaled. A pure function of (key, slot): any slot can be drawn by any thread
    in any order."""
    z = key + (np.uint64(slot) + np.uint64(1)) * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    z = z ^ (z >> np.uint64(31))
    return np.float32(z >> np.uint64(40)) * np.float32(5.9604644775390625e-08)  # 2**-24


@njit(parallel=True, cache=True)
def _uniforms(key, n, out):
    for c in prange(n_chunks(n)):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            out[i] = uniform(key, i)


@njit(inline="always", cache=True)
def n_chunks(n):
    """Chunks of :data:`CHUNK` adults in a population of ``n`` (at least one)."""
    return max(1, (n + CHUNK - 1) // CHUNK)


def uniforms(key: int, n: int) -> np.ndarray:
    """Slots ``0..n-1`` of stream ``key`` as a float32 array."""
    out = np.empty(n, dtype=np.float32)
    with parallel(n):
        _uniforms(np.uint64(key), n, out)
    return out


# --------------------------------------------------------------------------- the rules


@njit(inline="always", cache=True)
def n_needs(u, cdf_row):
    """Poisson needs by inverse CDF: the number of CDF entries at or below ``u`` (counted
    without branches: the CDF is short, and a loop that stops early mispredicts)."""
    k = 0
    for j in range(cdf_row.shape[0]):
        k += u >= cdf_row[j]
    return k


LOOKUP_BINS = 4096


def category_table(cdf: np.ndarray) -> np.ndarray:
    """For :func:`pick_category`: per bin of width 1/LOOKUP_BINS, the categories the draws
    in that bin can fall in (first and last), so most draws need no search."""
    edges = np.arange(LOOKUP_BINS + 1, dtype=np.float32) / LOOKUP_BINS
    at_edge = np.searchsorted(cdf, edges, side="right").astype(np.int32)
    return np.stack([at_edge[:-1], at_edge[1:]])


@njit(inline="always", cache=True)
def pick_category(u, cdf, table):
    """``searchsorted(cdf, u, side="right")``, capped at the last category: read off the
    bin's table entry, searched only in the few bins that hold a category boundary."""
    b = min(np.int64(u * LOOKUP_BINS), LOOKUP_BINS - 1)
    lo, hi = table[0, b], table[1, b]
    while lo < hi:
        mid = (lo + hi) // 2
        if cdf[mid] <= u:
            lo = mid + 1
        else:
            hi = mid
    return min(lo, cdf.shape[0] - 1)


@njit(inline="always", cache=True)
def online_utility(trust, skill, peer, n_success, n_fail, habit, insecurity, coef, push):
    """UTAUT-like utility of the online channel relative to going in person (``coef``: the
    :data:`Coefs`)."""
    experience = (n_success - n_fail) / (n_success + n_fail + 2.0)
    return (
        coef.online_intercept
        + coef.trust * trust
        + coef.skill * skill
        + coef.peer * peer
        + coef.experience * experience
        + coef.paper_habit * habit
        + coef.risk * (1.0 - trust) * insecurity
        + push
    )


@njit(inline="always", cache=True)
def bass_hazard(p, q, growth, share):
    """Chance of becoming aware within a month with ``share`` of ties using: the Bass equation
    dF/dt = (p + qF)(1 - F) integrated over one month from F = share, h = (F' - F) / (1 - F)
    (docs/validation.md). Along the Bass trajectory (p + qF) / (1 - F) grows by
    ``growth = exp(p + q)`` a month."""
    if p + q <= 0.0:
        return 0.0
    f = min(float(share), 1.0 - 1e-12)
    ratio = (p + q * f) / (1.0 - f) * growth
    f_next = (ratio - p) / (ratio + q)
    return (f_next - f) / (1.0 - f)


TRUST_SCALE = 65536
"""Trust is passed to ties in units of 1/65536: a tie's sum of up to 127 ties fits 32 bits,
and the average is exact to 1e-5 (trust itself is float32)."""
_RECENT_SHIFT, _AWARE_SHIFT = np.uint64(32), np.uint64(48)
_FIELD = np.uint64(0xFFFF)
_TRUST_FIELD = np.uint64(0xFFFFFFFF)


@njit(inline="always", cache=True)
def pack(trust, recent, aware):
    """What an adult's ties read of them this month, in one uint64: trust in units of
    1/TRUST_SCALE (bits 0-31), recent user (bits 32-47), aware (bits 48-63). Summing the
    words of up to 127 ties sums each field without carries."""
    q = np.uint64(np.int64(trust * TRUST_SCALE + np.float32(0.5)))
    return q | (np.uint64(recent) << _RECENT_SHIFT) | (np.uint64(aware) << _AWARE_SHIFT)


PAD = 4
"""Rows of the near-tie table are padded to a multiple of PAD with a tie to row ``n``,
whose packed word is 0: the gather then runs a fixed four-tie step, and the loop's trip
count is the same for nearly every adult (a loop whose length varies mispredicts at every
exit)."""
NEAR = 4096
"""Ties between rows closer than this are near (households and the local ring: their
words are in cache); the others (long-range ties) are gathered apart, see
:class:`TieTable`."""


class TieTable:
    """The ties laid out for the gathers of word of mouth.

    Near ties (rows closer than :data:`NEAR`) are a CSR table padded to a multiple of
    :data:`PAD`. Far ties (the long-range ones, a few per cent) are flat (row, column) pairs
    in row order, split by chunk (``far_ptr``): a chunk gathers them first in one short
    loop, whose independent loads can all be in flight at once; inside the per-adult loop
    each would wait for memory in turn, and at national scale they cost more than all the
    near ties together (docs/performance.md)."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray) -> None:
        n = len(indptr) - 1
        indptr = indptr.astype(np.int64)
        self.degree = np.diff(indptr).astype(np.int32)
        near_degree = np.zeros(n, dtype=np.int64)
        n_far = _count_near(indptr, indices, near_degree)
        self.near_ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(-(-near_degree // PAD) * PAD, out=self.near_ptr[1:])
        self.near_idx = np.full(int(self.near_ptr[-1]), n, dtype=np.int32)
        self.far_row = np.empty(n_far, dtype=np.int32)
        self.far_col = np.empty(n_far, dtype=np.int32)
        _split_ties(indptr, indices, self.near_ptr, self.near_idx, self.far_row, self.far_col)
        starts = np.minimum(np.arange(n_chunks(n) + 1, dtype=np.int64) * CHUNK, n)
        self.far_ptr = np.searchsorted(self.far_row, starts).astype(np.int64)
        self.arrays: Ties = group(
            Ties, n, degree=self.degree, near_ptr=self.near_ptr,
            near_idx=self.near_idx, far_ptr=self.far_ptr, far_row=self.far_row,
            far_col=self.far_col,
        )  # fmt: skip
        """The table as the kernels take it."""


@njit(cache=True)
def _count_near(indptr, indices, near_degree):
    n_far = 0
    for i in range(len(indptr) - 1):
        for e in range(indptr[i], indptr[i + 1]):
            if abs(indices[e] - i) < NEAR:
                near_degree[i] += 1
            else:
                n_far += 1
    return n_far


@njit(cache=True)
def _split_ties(indptr, indices, near_ptr, near_idx, far_row, far_col):
    f = 0
    for i in range(len(indptr) - 1):
        e_near = near_ptr[i]
        for e in range(indptr[i], indptr[i + 1]):
            if abs(indices[e] - i) < NEAR:
                near_idx[e_near] = indices[e]
                e_near += 1
            else:
                far_row[f] = i
                far_col[f] = indices[e]
                f += 1


@njit(inline="always", cache=True)
def gather_chunk(c, n, ties, packed, acc):
    """For the rows of chunk ``c``: ``acc[i - start]`` is the sum of the packed words of
    row i's ties (the counts of recent users and aware ties and the trust sum, each in its
    own bits; see :func:`pack` and :func:`unpack`). One load and one add per tie."""
    near_ptr = ties.near_ptr
    near_idx = ties.near_idx
    far_ptr = ties.far_ptr
    far_row = ties.far_row
    far_col = ties.far_col
    start = c * CHUNK
    for i in range(start, min(n, start + CHUNK)):
        acc[i - start] = 0
    for e in range(far_ptr[c], far_ptr[c + 1]):
        acc[far_row[e] - start] += packed[far_col[e]]
    for i in range(start, min(n, start + CHUNK)):
        total = acc[i - start]
        for e in range(near_ptr[i], near_ptr[i + 1], PAD):
            total += packed[near_idx[e]] + packed[near_idx[e + 1]]
            total += packed[near_idx[e + 2]] + packed[near_idx[e + 3]]
        acc[i - start] = total


@njit(inline="always", cache=True)
def unpack(total):
    """The number of recent users, the number aware and the trust sum (in units of
    1/TRUST_SCALE) of a sum of packed words."""
    recent = np.int64((total >> _RECENT_SHIFT) & _FIELD)
    aware = np.int64((total >> _AWARE_SHIFT) & _FIELD)
    return recent, aware, np.int64(total & _TRUST_FIELD)


@njit(inline="always", cache=True)
def tally_rows(start, stop, k, state, urban, counts, sums):
    """Add the state of rows ``start..stop-1`` after month ``k`` to the population tallies
    (in row order): ``counts`` and ``sums`` are one chunk's rows of :data:`Tallies`."""
    internet = state.internet
    aware = state.aware
    esignature = state.esignature
    locked_out = state.locked_out
    last_online = state.last_online
    last_tried = state.last_tried
    trust = state.trust
    habit = state.paper_habit
    age_group = state.age_group
    n_internet = n_aware = n_users = n_tried = n_ever = n_esig = 0
    users_urban = users_young = users_old = 0
    n_locked = locked_urban = locked_young = locked_old = 0
    internet_urban = users_internet = users_internet_urban = 0
    sum_trust = 0.0
    sum_habit = 0.0
    for i in range(start, stop):
        user = np.int64(last_online[i] > k - 12)
        locked = np.int64(locked_out[i])
        young = np.int64(age_group[i] == 0)
        old = np.int64(age_group[i] == 2)
        city = np.int64(urban[i])
        online = np.int64(internet[i])
        n_internet += online
        n_aware += aware[i]
        n_users += user
        n_tried += last_tried[i] > k - 12
        n_ever += last_tried[i] != NEVER
        n_esig += esignature[i]
        users_urban += user & city
        users_young += user & young
        users_old += user & old
        n_locked += locked
        locked_urban += locked & city
        locked_young += locked & young
        locked_old += locked & old
        internet_urban += online & city
        users_internet += user & online
        users_internet_urban += user & online & city
        sum_trust += trust[i]
        sum_habit += habit[i]
    counts[P_INTERNET] += n_internet
    counts[P_AWARE] += n_aware
    counts[P_USERS] += n_users
    counts[P_TRIED] += n_tried
    counts[P_EVER] += n_ever
    counts[P_ESIGNATURE] += n_esig
    counts[P_USERS_URBAN] += users_urban
    counts[P_USERS_YOUNG] += users_young
    counts[P_USERS_OLD] += users_old
    counts[P_LOCKED] += n_locked
    counts[P_LOCKED_URBAN] += locked_urban
    counts[P_LOCKED_YOUNG] += locked_young
    counts[P_LOCKED_OLD] += locked_old
    counts[P_INTERNET_URBAN] += internet_urban
    counts[P_USERS_INTERNET] += users_internet
    counts[P_USERS_INTERNET_URBAN] += users_internet_urban
    sums[F_TRUST] += sum_trust
    sums[F_HABIT] += sum_habit


# --------------------------------------------------------------------------- fused kernels


@njit(parallel=True, cache=True)
def citizens_month(k, keys, state, month, coef, learning, agencies, out):
    """Needs, agencies, channel choice, outcomes, learning and reassurance of month ``k``,
    one adult at a time (``keys``: :data:`CitizenKeys`; ``state``: :data:`State`;
    ``month``: :data:`CitizenMonth`; ``coef``: :data:`Coefs`; ``learning``:
    :data:`Learning`; ``agencies``: :data:`Agencies`). Writes to ``out``
    (:data:`CitizenOut`) what ties read of each adult (:func:`pack`: trust after learning,
    recent user, aware), which word of mouth reads next, and adds per chunk the tallies (the
    last ones: adults with internet access in each area at the start of the month, one
    column per area code; ``out.tallies`` must have a column for every code in
    ``state.area``), the attempts online and transactions per agency, and the trust sum
    after learning."""
    # The groups' fields as local names, one a line: numba (0.68) silently drops a write
    # made inside a prange loop through a namedtuple's field (numba issues 5872, 7135), or
    # through a local unpacked with others in one statement (`a, b = t.a, t.b`); the tests
    # check every output (tests/test_kernels.py).
    age_group = state.age_group
    area = state.area
    internet = state.internet
    aware = state.aware
    locked_out = state.locked_out
    esignature = state.esignature
    trust = state.trust
    skill = state.skill
    peer_online = state.peer_online
    paper_habit = state.paper_habit
    n_success = state.n_success
    n_fail = state.n_fail
    last_online = state.last_online
    last_tried = state.last_tried
    needs_cdf = month.needs_cdf
    assisted_reach = month.assisted_reach
    agency_cdf = agencies.cdf
    agency_table = agencies.table
    share_online = agencies.share_online
    p_paper = agencies.p_paper
    p_end_to_end = agencies.p_end_to_end
    p_refused = agencies.p_refused
    p_demanded = agencies.p_demanded
    insecurity = agencies.insecurity
    trust_gain = learning.trust_gain
    trust_loss = learning.trust_loss
    habit_loss = learning.habit_loss
    habit_gain = learning.habit_gain
    skill_gain = learning.skill_gain
    neighbours = out.neighbours
    tallies = out.tallies
    by_agency = out.by_agency
    sums = out.sums
    online_push = month.online_push
    p_needs_esignature = month.p_needs_esignature
    recovery = np.float32(month.trust_recovery)
    n = age_group.shape[0]
    closed = np.float32(min(month.counters_closed, 1.0))
    for c in prange(n_chunks(n)):
        start, stop = c * CHUNK, min(n, (c + 1) * CHUNK)
        agc = by_agency[c]
        total_trust = 0.0
        sum_tx = sum_online = sum_success = sum_fail = sum_paper = 0
        sum_counter = sum_assisted = sum_in_person = sum_recent = sum_aware = 0
        sum_legal = sum_demand = 0
        # 1. needs: the rows with at least one, and how many (branch-free)
        needy = np.empty(stop - start, dtype=np.int32)
        needs = np.empty(stop - start, dtype=np.int32)
        q = 0
        tal = tallies[c]
        for i in range(start, stop):
            m = n_needs(uniform(keys.needs, i), needs_cdf[age_group[i]])
            needy[q] = i
            needs[q] = m
            q += m > 0
            # adults with internet access per area, at the start of the month
            tal[T_INTERNET_AREA + area[i]] += internet[i]
        # 2. their transactions: agency, channel, outcome; then what they learn
        for r in range(q):
            i = needy[r]
            m = needs[r]
            s = 0
            f = 0
            p = 0
            can_base = internet[i] and aware[i] and not locked_out[i]
            has_esig = esignature[i]
            reach = assisted_reach[area[i]]
            t0 = trust[i]
            e_assisted_open = np.exp(coef.assisted_intercept + coef.trust * t0)
            base = online_utility(t0, skill[i], peer_online[i], n_success[i], n_fail[i],
                                  paper_habit[i], 0.0, coef, online_push)  # fmt: skip
            risk = coef.risk * (1.0 - t0)
            for j in range(m):
                # every draw is made, branch-free: random branches mispredict half the
                # time, and a draw costs a nanosecond
                slot = i * SLOTS_PER_ADULT + j
                a = pick_category(uniform(keys.agency, slot), agency_cdf, agency_table)
                service_online = uniform(keys.service_online, slot) < share_online[a]
                esig_ok = has_esig | (uniform(keys.needs_esignature, slot) >= p_needs_esignature)
                can_online = can_base & service_online & esig_ok
                can_assisted = service_online & (uniform(keys.reach, slot) < reach)
                e_online = np.exp(base + risk * insecurity[a]) if can_online else 0.0
                e_assisted = e_assisted_open if can_assisted else 0.0
                pick = uniform(keys.pick, slot) * (e_online + e_assisted + 1.0)
                u_outcome = uniform(keys.outcome, slot)
                online = np.int64(pick < e_online)
                assisted = np.int64(pick < e_online + e_assisted)
                served = (1 - online) & np.int64(uniform(keys.closed, slot) >= closed)
                success = online & np.int64(u_outcome < p_end_to_end[a])
                s += success
                f += online - success
                # the failure's channel, from the same draw: the top of [0, 1) is the legal
                # refusal, just above success the paper demand, the data in between
                legal = (online - success) & np.int64(u_outcome >= 1.0 - p_refused[a])
                sum_legal += legal
                sum_demand += (online - success - legal) & np.int64(
                    u_outcome < p_end_to_end[a] + p_demanded[a]
                )
                p += served & np.int64(u_outcome < p_paper[a])
                agc[0, a] += online
                agc[1, a] += 1
                sum_counter += served
                sum_assisted += served & assisted
                sum_in_person += served & (1 - assisted)
            sum_tx += m
            sum_online += s + f
            sum_success += s
            sum_fail += f
            sum_paper += p
            # learning: successes first, then the bad news ((1 - rate) ** 0 is 1: no change)
            t = 1.0 - (1.0 - t0) * trust_gain[s]
            trust[i] = t * trust_loss[f]
            h = paper_habit[i] * habit_loss[s]
            paper_habit[i] = 1.0 - (1.0 - h) * habit_gain[f + p]
            skill[i] = 1.0 - (1.0 - skill[i]) * skill_gain[s + f]
            n_success[i] = min(n_success[i] + s, 32767)
            n_fail[i] = min(n_fail[i] + f, 32767)
            last_online[i] = k if s > 0 else last_online[i]
            last_tried[i] = k if s + f > 0 else last_tried[i]
        # 3. everyone: reassurance, what ties will read, tallies
        for i in range(start, stop):
            t = trust[i]
            t = t + recovery * (np.float32(1.0) - t) * np.float32(last_tried[i] > k - 12)
            trust[i] = t
            total_trust += t
            recent = last_online[i] > k - 12
            neighbours[i] = pack(t, recent, aware[i])
            sum_recent += recent
            sum_aware += aware[i]
        tal[T_TX] = sum_tx
        tal[T_ONLINE] = sum_online
        tal[T_SUCCESS] = sum_success
        tal[T_FAIL] = sum_fail
        tal[T_FAIL_LEGAL] = sum_legal
        tal[T_FAIL_DEMAND] = sum_demand
        tal[T_FAIL_DATA] = sum_fail - sum_legal - sum_demand
        tal[T_PAPER_COUNTER] = sum_paper
        tal[T_COUNTER] = sum_counter
        tal[T_ASSISTED] = sum_assisted
        tal[T_IN_PERSON] = sum_in_person
        tal[T_RECENT] = sum_recent
        tal[T_AWARE] = sum_aware
        sums[c] = total_trust


@njit(parallel=True, cache=True)
def social_month(k, keys, state, month, adults, ties, neighbours, out):
    """Word of mouth, then internet and e-signature uptake, then the population tallies of
    month ``k``, one adult at a time (``keys``: :data:`SocialKeys`; ``state``:
    :data:`State`; ``month``: :data:`SocialMonth`; ``adults``: :data:`Adults`; ``ties``:
    :data:`Ties`; ``out``: :data:`Tallies`). Ties are read from the month's packed words
    ``neighbours`` (written by :func:`citizens_month`), never from the columns being
    written, so the order in which adults are visited does not matter."""
    # the groups' fields as local names, one a line (see citizens_month)
    age_group = state.age_group
    area = state.area
    internet = state.internet
    aware = state.aware
    esignature = state.esignature
    trust = state.trust
    peer_online = state.peer_online
    threshold = state.threshold
    degree = ties.degree
    p_internet = month.p_internet
    age_factor = month.age_factor
    urban = adults.urban
    credential_access = adults.credential_access
    counts = out.counts
    sums = out.sums
    full_mixing = month.full_mixing
    from_aware = month.from_aware
    threshold_rule = month.threshold_rule
    share_recent = month.share_recent
    share_aware = month.share_aware
    mean_trust = month.mean_trust
    n = age_group.shape[0]
    p_media = month.p_aware_media
    p_peer = month.p_aware_peer
    growth = np.exp(p_media + p_peer)
    social = np.float32(month.rate_trust_social)
    rate_esig = np.float32(month.rate_esignature)
    for c in prange(n_chunks(n)):
        start = c * CHUNK
        acc = np.empty(CHUNK, dtype=np.uint64)
        if not full_mixing:
            gather_chunk(c, n, ties, neighbours, acc)
        for i in range(start, min(n, start + CHUNK)):
            t = trust[i]  # after learning; ties read the packed copy
            if full_mixing:
                peer = np.float32(share_recent)
                spreading = np.float32(share_aware) if from_aware else peer
                peer_trust = np.float32(mean_trust)
            else:
                n_recent, n_aware, trust_sum = unpack(acc[i - start])
                ties_i = max(degree[i], 1)
                peer = np.float32(n_recent / ties_i)
                spreading = np.float32(n_aware / ties_i) if from_aware else peer
                peer_trust = np.float32(trust_sum / (TRUST_SCALE * ties_i)) if degree[i] else t
            peer_online[i] = peer
            if not aware[i]:
                if threshold_rule:
                    aware[i] = spreading >= threshold[i]
                else:
                    hazard = np.float32(bass_hazard(p_media, p_peer, growth, spreading))
                    aware[i] = uniform(keys.awareness, i) < hazard
            trust[i] = t + social * (peer_trust - t)
            p_online = np.float32(p_internet[area[i]] * age_factor[age_group[i]])
            internet[i] = internet[i] | (uniform(keys.internet, i) < p_online)
            esig_draw = uniform(keys.esignature, i)
            esignature[i] = esignature[i] | (esig_draw < rate_esig * credential_access[i])
        tally_rows(c * CHUNK, min(n, (c + 1) * CHUNK), k, state, urban, counts[c], sums[c])


# --------------------------------------------------------------------------- standalone


@njit(parallel=True, cache=True)
def _need_counts(key, age_group, needs_cdf, out):
    n = age_group.shape[0]
    for c in prange(n_chunks(n)):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            out[i] = n_needs(uniform(key, i), needs_cdf[age_group[i]])


@njit(parallel=True, cache=True)
def _peer_counts(ties, neighbours, out):
    n = out.shape[0]
    for c in prange(n_chunks(n)):
        acc = np.empty(CHUNK, dtype=np.uint64)
        gather_chunk(c, n, ties, neighbours, acc)
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            out[i] = unpack(acc[i - c * CHUNK])[0]


@njit(parallel=True, cache=True)
def _tally_population(k, state, urban, out):
    n = state.age_group.shape[0]
    counts = out.counts
    sums = out.sums
    for c in prange(n_chunks(n)):
        tally_rows(c * CHUNK, min(n, (c + 1) * CHUNK), k, state, urban, counts[c], sums[c])


def need_counts(key: int, age_group: np.ndarray, needs_cdf: np.ndarray) -> np.ndarray:
    """Each adult's number of needs this month in stream ``key`` (the rule of
    :func:`citizens_month`)."""
    out = np.zeros(len(age_group), dtype=np.int32)
    with parallel(len(age_group)):
        _need_counts(np.uint64(key), age_group, needs_cdf, out)
    return out


def peer_counts(ties: TieTable, flags: np.ndarray) -> np.ndarray:
    """Number of each adult's ties for whom ``flags`` is set (the gather of word of mouth)."""
    neighbours = np.zeros(len(flags) + 1, dtype=np.uint64)  # row n: the padding
    neighbours[:-1] = flags.astype(np.uint64) << _RECENT_SHIFT
    out = np.zeros(len(flags), dtype=np.int64)
    with parallel(len(flags)):
        _peer_counts(ties.arrays, neighbours, out)
    return out


def tally_population(k: int, pop, urban: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Population tallies (counts, float sums) after month ``k``, summed in chunk order."""
    chunks = n_chunks(pop.n)
    out = group(
        Tallies, pop.n,
        counts=np.zeros((chunks, N_POP_TALLIES), dtype=np.int64),
        sums=np.zeros((chunks, 2), dtype=np.float64),
    )  # fmt: skip
    urban = _array("urban", GROUPS[Adults]["urban"], urban, pop.n)
    with parallel(pop.n):
        _tally_population(k, state(pop), urban, out)
    return out.counts.sum(axis=0), out.sums.sum(axis=0)


THREADS_ENV = environment.THREADS_ENV
"""Environment variable capping the kernels' threads in a process (read at import; Dask
workers started by ``--dask local`` get 1). Unlike ``NUMBA_NUM_THREADS`` it may differ
between a parent process and its workers without upsetting numba."""


def _cap(n: int) -> int:
    return max(1, min(int(n), numba.config.NUMBA_NUM_THREADS))


def _threads_from_environment() -> int:
    """:data:`THREADS_ENV` capped at numba's threads (unset or empty: numba's threads); a
    value that is not a whole number from 1 to ``environment.thread_limit()`` is a
    :class:`~sim.errors.InputError` naming the variable."""
    value = os.environ.get(THREADS_ENV, "")
    if not value.strip():
        return _cap(numba.config.NUMBA_NUM_THREADS)
    return _cap(environment.thread_count(THREADS_ENV, value))


_threads = [_threads_from_environment()]


def set_threads(n: int) -> None:
    """Run the kernels of this process on at most ``n`` threads (and at most the number
    numba started with: ``NUMBA_NUM_THREADS``, the number of cores by default). Results do
    not depend on it."""
    _threads[0] = _cap(n)


def threads() -> int:
    """The number of threads the kernels of this process may use."""
    return _threads[0]


@contextmanager
def parallel(n: int):
    """Hold the kernel lock and use as many threads as there are chunks of ``n`` adults,
    up to :func:`threads`: a model of one chunk runs on one thread (and wakes no other)."""
    with _LOCK:
        numba.set_num_threads(min(_threads[0], n_chunks(n)))
        yield
