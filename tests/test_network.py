import numpy as np
import scipy.sparse as sp

from sim.model.network import build_ties, degrees
from sim.model.streams import Streams
from sim.model.synth import build_population
from sim.params import Network
from sim.scenario import Scenario


def _ties(n=20_000, **net):
    pop = build_population(Scenario(name="t").params, n, Streams(5))
    return pop, build_ties(pop.locality, pop.household, Network(**net), Streams(6))


def _clustering(ties: sp.csr_array) -> float:
    a = ties.astype(np.float64)
    triangles = (a @ a).multiply(a).sum(axis=1)
    k = degrees(ties).astype(float)
    pairs = k * (k - 1)
    return float(np.mean(np.divide(triangles, pairs, out=np.zeros_like(k), where=pairs > 0)))


def test_symmetric_simple_graph():
    _, ties = _ties()
    assert (ties != ties.T).nnz == 0
    assert ties.diagonal().sum() == 0
    assert set(np.unique(ties.data)) == {1.0}


def test_household_members_are_tied():
    pop, ties = _ties()
    same = np.flatnonzero(pop.household[1:] == pop.household[:-1])
    assert np.all(ties[same, same + 1] == 1)


def test_small_world_clustered_with_expected_degree():
    _, ties = _ties()
    k = degrees(ties)
    assert 6 <= k.mean() <= 9  # 6 local ties plus household members, minus overlaps
    clustered = _clustering(ties)
    density = k.mean() / len(k)
    assert clustered > 0.3 and clustered > 50 * density  # far above a random graph


def test_rewiring_adds_long_range_ties():
    pop, lattice = _ties(p_long_range=0.0)
    _, rewired = _ties(p_long_range=0.2)

    def cross_locality(t):
        coo = t.tocoo()
        return np.mean(pop.locality[coo.row] != pop.locality[coo.col])

    assert cross_locality(lattice) == 0
    assert cross_locality(rewired) > 0.05


def _edges(ties: sp.csr_array) -> set[tuple[int, int]]:
    coo = ties.tocoo()
    return set(zip(coo.row.tolist(), coo.col.tolist(), strict=True))


def test_each_ring_distance_draws_its_own_rewiring():
    """Stream ``ties.rewiring`` is keyed by the ring distance: more local ties add ties and
    keep the others (same rewiring, same targets)."""
    _, two = _ties(n_local_ties=2, p_long_range=0.1)
    _, six = _ties(n_local_ties=6, p_long_range=0.1)
    assert _edges(two) < _edges(six)


def test_a_higher_rewiring_chance_keeps_every_rewired_tie_and_its_target():
    """One uniform and one target per potential tie: a tie rewired at 5% is rewired to the
    same adult at 20%."""
    _, lattice = _ties(p_long_range=0.0)
    _, low = _ties(p_long_range=0.05)
    _, high = _ties(p_long_range=0.2)
    long_low = _edges(low) - _edges(lattice)
    assert len(long_low) > 1000
    assert long_low < _edges(high)
