"""Replicated runs with common random numbers: replicate k of every scenario uses seed k."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from sim.experiment.executors import completed, executor, window_for
from sim.model.model import AdoptionModel
from sim.scenario import Scenario, with_values


class PairedSeeds(Sequence[int]):
    """``n`` independent model seeds spawned from ``root``, each made when asked for: seed k
    is the first 63 bits of the state of ``SeedSequence(root).spawn(n)[k]`` (the child with
    spawn key ``(k,)``), so a design of ten million runs needs no list of ten million."""

    def __init__(self, root: int, n: int) -> None:
        self.root, self.n = root, n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, k):  # type: ignore[override]
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(self.n))]
        if k < 0:
            k += self.n
        if not 0 <= k < self.n:
            raise IndexError(k)
        child = np.random.SeedSequence(self.root, spawn_key=(k,))
        return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def paired_seeds(root: int, n: int) -> list[int]:
    """``n`` independent model seeds spawned from ``root`` (numpy ``SeedSequence``)."""
    return list(PairedSeeds(root, n))


def run_one(scenario: Scenario, seed: int, until: str | None = None) -> pd.DataFrame:
    """One run's monthly time series, to the scenario's end or to the month ``until`` (the
    model is closed afterwards)."""
    model = AdoptionModel(scenario, seed=seed, agent_views=False)
    try:
        if until is None:
            return model.run().timeseries()
        for _ in range(scenario.month_index(until) + 1):
            model.step()
        return model.timeseries()
    finally:
        model.close()


def run_replicates(
    scenarios: Sequence[Scenario],
    seeds: Sequence[int],
    *,
    draws: Sequence[dict[str, float]] | None = None,
    until: str | None = None,
    workers: int = 1,
    progress: Callable[[], None] | None = None,
) -> pd.DataFrame:
    """All scenario x seed runs as one long frame (``scenario``, ``replicate``, ``seed`` and
    the metrics), ordered by scenario then replicate whatever the number of workers, to the
    scenarios' end or to the month ``until``. With
    ``draws`` (parameter sets, one per seed), replicate k of every scenario runs with draw k
    (paired parameter uncertainty; the frame then also has the drawn values as columns)."""
    if draws is not None and len(draws) != len(seeds):
        raise ValueError(f"{len(draws)} parameter draws for {len(seeds)} seeds")
    jobs = [
        (i, k, with_values(sc, draws[k]) if draws else sc, seed)
        for i, sc in enumerate(scenarios)
        for k, seed in enumerate(seeds)
    ]
    frames: dict[tuple[int, int], pd.DataFrame] = {}
    tasks = [((i, k), (sc, seed, until)) for i, k, sc, seed in jobs]
    with executor(workers) as pool:
        for key, frame in completed(pool, run_one, tasks, window_for(pool, workers)):
            frames[key] = frame
            if progress:
                progress()
    parts = []
    for i, k, sc, seed in jobs:
        frame = frames[i, k]
        frame.insert(0, "seed", seed)
        frame.insert(0, "replicate", k)
        frame.insert(0, "scenario", sc.name)
        for j, (key, value) in enumerate((draws[k] if draws else {}).items()):
            frame.insert(3 + j, key, value)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)
