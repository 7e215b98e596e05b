"""A model run leaves ``multiprocessing`` usable with every start method: the kernels' threads
are numba's fork-safe layer (TBB or its work queue, never GNU OpenMP, whose pool made each
forked child abort with "fork() called from a process already using GNU OpenMP" and the pool
hang). Each pool has a generous deadline, so a regression fails instead of hanging."""

import multiprocessing
import os
import subprocess
import sys

import numba
import pytest

from sim import AdoptionModel
from sim.model import kernels
from tests.conftest import ROOT

CITIZENS = 20_000
"""Three chunks of adults: the kernels run on more than one thread."""
DEADLINE = 300
"""Seconds a pool of two may take (a spawned worker loads the compiled kernels afresh)."""


def final_share(seed: int) -> float:
    """Online users after a short run of ``seed`` (module level: spawned workers import it)."""
    model = AdoptionModel("status_quo", citizens=CITIZENS, seed=seed, end="2021-03").run()
    return float(model.timeseries()["online_users_share"].iloc[-1])


def pool_results(method: str, seeds: list[int]) -> list[float]:
    """``final_share`` of each seed on a pool of 2 started with ``method``."""
    pool = multiprocessing.get_context(method).Pool(2)
    try:
        return pool.map_async(final_share, seeds).get(timeout=DEADLINE)
    finally:
        pool.terminate()  # after a missed deadline too: no worker outlives the test
        pool.join()


@pytest.mark.system
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
@pytest.mark.parametrize("method", ["fork", "forkserver", "spawn"])
def test_pools_work_after_a_run_in_this_process(method):
    expected = [final_share(seed) for seed in (1, 2, 3)]  # the parent has run the kernels
    assert numba.threading_layer() in ("tbb", "workqueue")
    assert pool_results(method, [1, 2, 3]) == expected  # bit-identical in every child


@pytest.mark.skipif("NUMBA_THREADING_LAYER" in os.environ, reason="the user chose a layer")
def test_threading_layer_is_chosen_before_the_first_kernel():
    assert numba.config.THREADING_LAYER == "forksafe"
    kernels.use_fork_safe_threads()  # idempotent


WORKQUEUE = f"""
import multiprocessing, numba
from tests.test_fork import final_share
print(final_share(1), numba.threading_layer())
with multiprocessing.get_context("fork").Pool(2) as pool:
    print(*pool.map_async(final_share, [1, 2]).get(timeout={DEADLINE}))
"""


@pytest.mark.system
def test_without_tbb_the_work_queue_forks_and_gives_the_same_numbers():
    """Where the ``tbb`` wheel does not exist (ARM Linux), numba's work queue is chosen:
    forced here, it too survives a fork and gives the same numbers as TBB."""
    env = {**os.environ, "NUMBA_THREADING_LAYER": "workqueue"}
    done = subprocess.run(
        [sys.executable, "-c", WORKQUEUE], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=DEADLINE + 60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    first, pool = done.stdout.splitlines()
    assert first == f"{final_share(1)} workqueue"
    assert pool == f"{final_share(1)} {final_share(2)}"
