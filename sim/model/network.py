"""Social ties as a sparse adjacency matrix: a clustered small world built with numpy.

Citizens are stored household by household and locality by locality (see ``synth``), so:
- household ties join rows of the same household;
- local ties join each citizen to the ``n_local_ties / 2`` next rows on either side around a
  ring of the locality's adults (a ring lattice of neighbouring households: high clustering);
- each local tie is rewired to a random adult anywhere with chance ``p_long_range``
  (Watts-Strogatz long-range ties: short paths). The ``ties.rewiring`` build stream gives
  every potential tie of each ring distance one uniform (rewired or not) and one target, so
  ``p_long_range`` changes which ties are rewired but not where the others would go, and
  the ties of distance d are the same whatever ``n_local_ties``.
The result is symmetric, unweighted, without self-ties, in CSR form with int8 ones (a quarter
of float32's memory): neighbour counts of a boolean column are one int8 product.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from sim.model.streams import Streams
from sim.params import Network


def build_ties(
    locality: np.ndarray, household: np.ndarray, params: Network, streams: Streams
) -> sp.csr_array:
    """The adjacency matrix of all ties (int8 ones, symmetric), rewired from ``streams``."""
    n = len(locality)
    idx_type = np.int32 if n < 2**31 else np.int64
    src_parts, dst_parts = [], []

    # Household ties: every pair of members (households hold at most a few adults).
    d = 1
    while d < n:
        same = household[:-d] == household[d:]
        if not same.any():
            break
        src = np.flatnonzero(same).astype(idx_type)
        src_parts.append(src)
        dst_parts.append(src + d)
        d += 1

    # Local ties around each locality's ring, some rewired to random adults anywhere.
    # (rows of a locality are contiguous: see synth.build_population)
    starts = np.flatnonzero(np.r_[True, locality[1:] != locality[:-1]])
    sizes = np.diff(np.r_[starts, n])
    first = np.repeat(starts, sizes).astype(idx_type)
    size = np.repeat(sizes, sizes).astype(idx_type)
    position = np.arange(n, dtype=idx_type) - first
    for d in range(1, params.n_local_ties // 2 + 1):
        src = np.flatnonzero(size > d).astype(idx_type)
        dst = first[src] + (position[src] + d) % size[src]
        rng = streams.get("ties.rewiring", -1, d)
        rewire = rng.random(len(src)) < params.p_long_range
        target = rng.integers(0, n, size=len(src), dtype=idx_type)
        dst[rewire] = target[rewire]
        src_parts.append(src)
        dst_parts.append(dst)

    src = np.concatenate(src_parts) if src_parts else np.zeros(0, idx_type)
    dst = np.concatenate(dst_parts) if dst_parts else np.zeros(0, idx_type)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    rows = np.concatenate([src, dst])
    cols = np.concatenate([dst, src])
    ties = sp.csr_array((np.ones(len(rows), dtype=np.int16), (rows, cols)), shape=(n, n))
    ties.sum_duplicates()
    ties = ties.astype(np.int8)
    ties.data[:] = 1
    if len(ties.indptr) > 1 and np.diff(ties.indptr).max() > 127:
        raise ValueError("a citizen has more than 127 ties; neighbour counts would overflow int8")
    return ties


def degrees(ties: sp.csr_array) -> np.ndarray:
    """Number of ties of each citizen."""
    return np.diff(ties.indptr).astype(np.int32)
