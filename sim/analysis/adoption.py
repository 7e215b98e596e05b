"""When endogenous reforms arose: from a results table holding the ``reforms_adopted``
metric (0 until a run's reform arises, then 1), the share of runs in which it had arisen by a
date, the median month it arose in those runs, and another metric's mean at that date, per
scenario and design point. The table behind "no ministry, therefore no law"
(``experiments/endogenous_law.toml``, docs/validation.md)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sim.analysis.effects import mean_ci
from sim.calendar import format_month, parse_month

ADOPTED = "reforms_adopted"


def adoption_months(frame: pd.DataFrame) -> pd.Series:
    """Each run's month of adoption (the first month ``reforms_adopted`` is positive), or
    None where the reform never arose; indexed by scenario, point and replicate. Exact when
    the results are recorded every month (``[output] every = 1``), else the first recorded
    month after it."""
    runs = ["scenario", "point", "replicate"]
    adopted = frame[frame[ADOPTED] > 0].groupby(runs)["date"].min()
    every = frame.groupby(runs).size().index
    return adopted.reindex(every)


def adoption_table(
    frame: pd.DataFrame, at: str, by: Sequence[str] = (), metric: str = "end_to_end_share"
) -> pd.DataFrame:
    """Per scenario (and the columns ``by``, e.g. swept factors): ``runs``; ``share_adopted``,
    the share of runs whose reform had arisen by ``at``; ``median_month``, the (lower) median month
    it arose among those runs (None if in none); and ``metric``'s mean at ``at`` with its 95% CI
    (``<metric>``, ``<metric>_low``, ``<metric>_high``)."""
    if ADOPTED not in frame:
        raise KeyError(f"the results hold no {ADOPTED!r} column (add it to [output] metrics)")
    months = adoption_months(frame).rename("adopted")
    keys = ["scenario", *by]
    final = frame[frame["date"] == at]
    if final.empty:
        raise KeyError(f"the results hold no month {at} (allowed: {frame['date'].min()} to "
                       f"{frame['date'].max()})")  # fmt: skip
    final = final.join(months, on=["scenario", "point", "replicate"])
    rows = []
    for key, group in final.groupby(keys, sort=True):
        arose = group["adopted"].dropna()
        arose = arose[arose <= at]
        index = sorted(parse_month(m) for m in arose)
        median = format_month(index[(len(index) - 1) // 2]) if index else None
        mean, low, high = mean_ci(group[metric].to_numpy())
        rows.append({**dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True)),
                     "runs": len(group), "share_adopted": len(arose) / len(group),
                     "median_month": median, metric: mean, f"{metric}_low": low,
                     f"{metric}_high": high})  # fmt: skip
    return pd.DataFrame(rows)
