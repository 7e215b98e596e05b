"""Docking: the vectorised rules and the per-agent Mesa reference give the same curves."""

import numpy as np
import pytest

pytest.importorskip("networkx")
from benchmarks.reference_mesa import (  # noqa: E402
    ReferenceModel,
    core_scenario,
    vectorised_timeseries,
)

METRICS = [
    "online_users_share",
    "mean_trust",
    "mean_paper_habit",
    "aware_share",
    "end_to_end_share",
]


def test_reference_and_vectorised_agree_within_sampling_error():
    scenario = core_scenario(1500, months=18)
    seeds = range(8)
    ref, vec = [], []
    for seed in seeds:  # paired: the same initial population, ties and agencies per seed
        model = ReferenceModel(scenario, seed)
        ref.append(model.run().timeseries()[METRICS].to_numpy())
        model.close()
        vec.append(vectorised_timeseries(scenario, seed)[METRICS].to_numpy())
    ref, vec = np.array(ref), np.array(vec)  # seeds x months x metrics
    assert ref.shape == vec.shape == (8, 18, len(METRICS))
    for month in (2, 8, 17):
        diff = ref[:, month].mean(axis=0) - vec[:, month].mean(axis=0)
        se = np.sqrt(ref[:, month].var(axis=0, ddof=1) / 8 + vec[:, month].var(axis=0, ddof=1) / 8)
        # within 4 standard errors (plus a floor for float32 and the int16 trust average)
        assert np.all(np.abs(diff) <= 4 * se + 0.003), dict(
            zip(METRICS, diff.round(4), strict=True)
        )
    # and the curves move: the comparison is not between two flat lines
    assert vec[:, -1, 0].mean() > vec[:, 0, 0].mean() + 0.05
