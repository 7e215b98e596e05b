"""Replicated runs with common random numbers: replicate k of every scenario uses seed k."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from sim.experiment.executors import completed, executor, window_for
from sim.model.model import AdoptionModel
from sim.scenario import Scenario


def paired_seeds(root: int, n: int) -> list[int]:
    """``n`` independent model seeds spawned from ``root`` (numpy ``SeedSequence``)."""
    children = np.random.SeedSequence(root).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


def run_one(scenario: Scenario, seed: int) -> pd.DataFrame:
    """One run's monthly time series (the model is closed afterwards)."""
    model = AdoptionModel(scenario, seed=seed, agent_views=False)
    try:
        return model.run().timeseries()
    finally:
        model.close()


def run_replicates(
    scenarios: Sequence[Scenario],
    seeds: Sequence[int],
    *,
    workers: int = 1,
    progress: Callable[[], None] | None = None,
) -> pd.DataFrame:
    """All scenario x seed runs as one long frame (``scenario``, ``replicate``, ``seed`` and
    the metrics), ordered by scenario then replicate whatever the number of workers."""
    jobs = [(i, k, sc, seed) for i, sc in enumerate(scenarios) for k, seed in enumerate(seeds)]
    frames: dict[tuple[int, int], pd.DataFrame] = {}
    tasks = [((i, k), (sc, seed)) for i, k, sc, seed in jobs]
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
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)
