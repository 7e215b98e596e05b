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

Compiled code is cached on disk (``cache=True``): the first use on a machine compiles for
about 12 s on 2 cores (docs/performance.md); later processes load it in a fraction of that.

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
from contextlib import contextmanager

from sim import environment

# numba reads NUMBA_NUM_THREADS when imported, and a bad value is its traceback
if environment.NUMBA_THREADS_ENV in os.environ:
    environment.thread_count(
        environment.NUMBA_THREADS_ENV, os.environ[environment.NUMBA_THREADS_ENV]
    )

import numba  # noqa: E402
import numpy as np  # noqa: E402
from numba import njit, prange  # noqa: E402


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
    T_INTERNET_AREA,  # four columns, one per area
) = range(11)
N_MONTH_TALLIES = T_INTERNET_AREA + 4

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
    """UTAUT-like utility of the online channel relative to going in person. ``coef``:
    intercept, trust, skill, peer, experience, paper habit, risk (``behaviour.CHOICE_COEFS``)."""
    experience = (n_success - n_fail) / (n_success + n_fail + 2.0)
    return (
        coef[0]
        + coef[1] * trust
        + coef[2] * skill
        + coef[3] * peer
        + coef[4] * experience
        + coef[5] * habit
        + coef[6] * (1.0 - trust) * insecurity
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

    @property
    def arrays(self) -> tuple[np.ndarray, ...]:
        return self.degree, self.near_ptr, self.near_idx, self.far_ptr, self.far_row, self.far_col


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
    _, near_ptr, near_idx, far_ptr, far_row, far_col = ties
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
def tally_rows(start, stop, k, internet, aware, esignature, locked_out, last_online,
               last_tried, trust, habit, urban, age_group, counts, sums):  # fmt: skip
    """Add the state of rows ``start..stop-1`` after month ``k`` to the population tallies
    (in row order)."""
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
def citizens_month(
    k, keys, age_group, area, internet, aware, locked_out, esignature, trust, skill, habit,
    peer_online, n_success, n_fail, last_online, last_tried,
    needs_cdf, agency_cdf, agency_table, share_online, p_paper, p_end_to_end, insecurity,
    assisted_reach,
    p_needs_esignature, coef, coef_assisted, push, counters_closed, powers, trust_recovery,
    neighbours, tallies, by_agency, sums,
):  # fmt: skip
    """Needs, agencies, channel choice, outcomes, learning and reassurance of month ``k``,
    one adult at a time. Writes what ties read of each adult (:func:`pack`: trust after
    learning, recent user, aware) to ``neighbours``, which word of mouth reads next;
    tallies per chunk into ``tallies``, ``by_agency`` (attempts online, transactions) and
    ``sums`` (trust after learning).

    ``keys``: the streams of needs, agency, the four choice draws (service online, needs an
    e-signature, assisted reach, pick) and the two outcome draws (end to end or paper,
    turned away). ``powers[r, m]`` is ``(1 - rate_r) ** m`` for the learning rates (trust
    gain, trust loss, habit loss, habit gain, skill gain)."""
    n = age_group.shape[0]
    closed = np.float32(min(counters_closed, 1.0))
    for c in prange(n_chunks(n)):
        start, stop = c * CHUNK, min(n, (c + 1) * CHUNK)
        agc = by_agency[c]
        total_trust = 0.0
        sum_tx = sum_online = sum_success = sum_fail = sum_paper = 0
        sum_counter = sum_assisted = sum_in_person = sum_recent = sum_aware = 0
        net0 = net1 = net2 = net3 = 0
        # 1. needs: the rows with at least one, and how many (branch-free)
        needy = np.empty(stop - start, dtype=np.int32)
        needs = np.empty(stop - start, dtype=np.int32)
        q = 0
        for i in range(start, stop):
            m = n_needs(uniform(keys[0], i), needs_cdf[age_group[i]])
            needy[q] = i
            needs[q] = m
            q += m > 0
            net = np.int64(internet[i])
            where = area[i]
            net0 += net & (where == 0)
            net1 += net & (where == 1)
            net2 += net & (where == 2)
            net3 += net & (where == 3)
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
            e_assisted_open = np.exp(coef_assisted + coef[1] * t0)
            base = online_utility(t0, skill[i], peer_online[i], n_success[i], n_fail[i],
                                  habit[i], 0.0, coef, push)  # fmt: skip
            risk = coef[6] * (1.0 - t0)
            for j in range(m):
                # every draw is made, branch-free: random branches mispredict half the
                # time, and a draw costs a nanosecond
                slot = i * SLOTS_PER_ADULT + j
                a = pick_category(uniform(keys[1], slot), agency_cdf, agency_table)
                service_online = uniform(keys[2], slot) < share_online[a]
                esig_ok = has_esig | (uniform(keys[3], slot) >= p_needs_esignature)
                can_online = can_base & service_online & esig_ok
                can_assisted = service_online & (uniform(keys[4], slot) < reach)
                e_online = np.exp(base + risk * insecurity[a]) if can_online else 0.0
                e_assisted = e_assisted_open if can_assisted else 0.0
                pick = uniform(keys[5], slot) * (e_online + e_assisted + 1.0)
                u_outcome = uniform(keys[6], slot)
                online = np.int64(pick < e_online)
                assisted = np.int64(pick < e_online + e_assisted)
                served = (1 - online) & np.int64(uniform(keys[7], slot) >= closed)
                success = online & np.int64(u_outcome < p_end_to_end[a])
                s += success
                f += online - success
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
            t = 1.0 - (1.0 - t0) * powers[0, s]
            trust[i] = t * powers[1, f]
            h = habit[i] * powers[2, s]
            habit[i] = 1.0 - (1.0 - h) * powers[3, f + p]
            skill[i] = 1.0 - (1.0 - skill[i]) * powers[4, s + f]
            n_success[i] = min(n_success[i] + s, 32767)
            n_fail[i] = min(n_fail[i] + f, 32767)
            last_online[i] = k if s > 0 else last_online[i]
            last_tried[i] = k if s + f > 0 else last_tried[i]
        # 3. everyone: reassurance, what ties will read, tallies
        recovery = np.float32(trust_recovery)
        for i in range(start, stop):
            t = trust[i]
            t = t + recovery * (np.float32(1.0) - t) * np.float32(last_tried[i] > k - 12)
            trust[i] = t
            total_trust += t
            recent = last_online[i] > k - 12
            neighbours[i] = pack(t, recent, aware[i])
            sum_recent += recent
            sum_aware += aware[i]
        tal = tallies[c]
        tal[T_TX] = sum_tx
        tal[T_ONLINE] = sum_online
        tal[T_SUCCESS] = sum_success
        tal[T_FAIL] = sum_fail
        tal[T_PAPER_COUNTER] = sum_paper
        tal[T_COUNTER] = sum_counter
        tal[T_ASSISTED] = sum_assisted
        tal[T_IN_PERSON] = sum_in_person
        tal[T_RECENT] = sum_recent
        tal[T_AWARE] = sum_aware
        tal[T_INTERNET_AREA] = net0
        tal[T_INTERNET_AREA + 1] = net1
        tal[T_INTERNET_AREA + 2] = net2
        tal[T_INTERNET_AREA + 3] = net3
        sums[c] = total_trust


@njit(parallel=True, cache=True)
def social_month(
    k, keys, ties, full_mixing, from_aware, threshold_rule,
    p_media, p_peer, rate_social, shares, neighbours,
    age_group, area, urban, internet, aware, esignature, locked_out, trust, habit,
    peer_online, threshold, last_online, last_tried, p_internet, age_factor,
    rate_esignature, credential_access, counts, sums,
):  # fmt: skip
    """Word of mouth, then internet and e-signature uptake, then the population tallies of
    month ``k``, one adult at a time. Ties are read from the month's packed words
    ``neighbours`` (written by :func:`citizens_month`), never from the columns being
    written, so the order in which adults are visited does not matter.

    ``keys``: awareness, internet, e-signature. ``shares``: with full mixing, the
    population's share of recent users, share aware and mean trust."""
    n = age_group.shape[0]
    growth = np.exp(p_media + p_peer)
    social = np.float32(rate_social)
    rate_esig = np.float32(rate_esignature)
    degree = ties[0]
    for c in prange(n_chunks(n)):
        start = c * CHUNK
        acc = np.empty(CHUNK, dtype=np.uint64)
        if not full_mixing:
            gather_chunk(c, n, ties, neighbours, acc)
        for i in range(start, min(n, start + CHUNK)):
            t = trust[i]  # after learning; ties read the packed copy
            if full_mixing:
                peer = np.float32(shares[0])
                spreading = np.float32(shares[1]) if from_aware else peer
                peer_trust = np.float32(shares[2])
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
                    aware[i] = uniform(keys[0], i) < hazard
            trust[i] = t + social * (peer_trust - t)
            p_online = np.float32(p_internet[area[i]] * age_factor[age_group[i]])
            internet[i] = internet[i] | (uniform(keys[1], i) < p_online)
            esig_draw = uniform(keys[2], i)
            esignature[i] = esignature[i] | (esig_draw < rate_esig * credential_access[i])
        tally_rows(c * CHUNK, min(n, (c + 1) * CHUNK), k, internet, aware, esignature,
                   locked_out, last_online, last_tried, trust, habit, urban, age_group,
                   counts[c], sums[c])  # fmt: skip


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
def _tally_population(k, internet, aware, esignature, locked_out, last_online, last_tried,
                      trust, habit, urban, age_group, counts, sums):  # fmt: skip
    n = age_group.shape[0]
    for c in prange(n_chunks(n)):
        tally_rows(c * CHUNK, min(n, (c + 1) * CHUNK), k, internet, aware, esignature,
                   locked_out, last_online, last_tried, trust, habit, urban, age_group,
                   counts[c], sums[c])  # fmt: skip


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


def tally_population(k, pop, urban) -> tuple[np.ndarray, np.ndarray]:
    """Population tallies (counts, float sums) after month ``k``, summed in chunk order."""
    chunks = n_chunks(pop.n)
    counts = np.zeros((chunks, N_POP_TALLIES), dtype=np.int64)
    sums = np.zeros((chunks, 2), dtype=np.float64)
    with parallel(pop.n):
        _tally_population(
            k, pop.internet, pop.aware, pop.esignature, pop.locked_out, pop.last_online,
            pop.last_tried, pop.trust, pop.paper_habit, urban, pop.age_group, counts, sums,
        )  # fmt: skip
    return counts.sum(axis=0), sums.sum(axis=0)


THREADS_ENV = environment.THREADS_ENV
"""Environment variable capping the kernels' threads in a process (read at import; Dask
workers started by ``--dask local`` get 1). Unlike ``NUMBA_NUM_THREADS`` it may differ
between a parent process and its workers without upsetting numba."""


def _cap(n: int) -> int:
    return max(1, min(int(n), numba.config.NUMBA_NUM_THREADS))


def _threads_from_environment() -> int:
    """:data:`THREADS_ENV` capped at numba's threads (unset or empty: numba's threads); a
    value that is not a whole number from 1 to ``environment.thread_limit()`` is a
    :class:`~sim.errors.ScenarioError` naming the variable."""
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
