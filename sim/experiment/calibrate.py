"""Likelihood-free calibration (ABC-SMC with pyabc) against the observed ranges of docs/sources.md.

A calibration file names a scenario, uniform priors for the parameters it lists and the
ABC-SMC settings. A particle's distance is how far the model's curves lie outside the observed
ranges (``sim.analysis.calibration.TARGETS``), in units of each range's width, or from the
point estimate where the sources give one (E-Mongolia users in Apr 2021 and Nov 2023). The
posterior, a figure and a calibrated scenario file that other scenarios can ``extends`` are
written to the results folder.

Executors: one process (pyabc's SingleCoreSampler, reproducible for a root seed), local
processes (MulticoreEvalParallelSampler) or a Dask cluster (DaskDistributedSampler). With
parallel samplers pyabc accepts particles in completion order, so the posterior sample
differs between runs (not its distribution); each model run's seed is derived from its
parameter values, so a given particle always gives the same output.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, field_validator

from sim.analysis.calibration import TARGETS
from sim.atomic import staged, toml_text
from sim.calendar import Month
from sim.experiment.replicates import run_one
from sim.experiment.spec import Range, check_ranges
from sim.files import load_file, load_scenario
from sim.scenario import (
    MAX_CITIZENS,
    STRICT,
    Name,
    Scenario,
    ScenarioError,
    round_to_field,
    with_values,
)


class CalibrationFile(BaseModel):
    """A calibration file."""

    model_config = STRICT
    name: Name = Field(description="results folder name")
    description: str = Field("", description="one line saying what is calibrated")
    scenario: str = Field(description="scenario file, relative to this file")
    end: Month | None = Field(None, description="stop runs here (default: the scenario's end)")
    citizens: int | Literal["national"] | None = Field(
        None, description=f'adults per run (100..{MAX_CITIZENS:,}) or "national"'
    )
    parameters: dict[str, Range] = Field(description="parameter path -> uniform prior {low, high}")
    population_size: int = Field(50, ge=5, le=100_000, description="particles per generation")
    generations: int = Field(4, ge=1, le=100, description="ABC-SMC generations at most")
    min_epsilon: float = Field(0.0, ge=0, description="stop when the distance threshold is this")
    root_seed: int = Field(0, ge=0, lt=2**32, description="seed of the sampler")

    @field_validator("parameters")
    @classmethod
    def _parameters(cls, value: dict[str, Range]) -> dict[str, Range]:
        return check_ranges(value, minimum=1)


def target_distance(frame: pd.DataFrame) -> dict[str, float]:
    """Per target, in units of the range's width: the mean distance outside the observed range
    over its months, or, where the sources give a point estimate, the distance to it."""
    by_date = frame.set_index("date")
    out = {}
    for i, t in enumerate(TARGETS):
        values = by_date.loc[[str(p) for p in t.months()], t.metric].to_numpy(float)
        width = t.high - t.low
        if t.point is not None:
            off = np.abs(values - t.point) / width
        else:
            off = np.maximum(0.0, np.maximum(t.low - values, values - t.high)) / width
        out[f"t{i}"] = float(off.mean())
    return out


class CalibrationModel:
    """The model as pyabc sees it: parameters in, distances to the targets out (picklable)."""

    def __init__(self, scenario: Scenario, keys: list[str]) -> None:
        self.scenario = scenario
        self.keys = keys

    def scenario_for(self, values: dict[str, float]) -> Scenario:
        return with_values(self.scenario, {k: round_to_field(k, v) for k, v in values.items()})

    def __call__(self, particle: dict) -> dict[str, float]:
        values = {key: float(particle[f"p{i}"]) for i, key in enumerate(self.keys)}
        blob = json.dumps(values, sort_keys=True).encode()
        seed = int.from_bytes(hashlib.sha256(blob).digest()[:8], "little") >> 1
        return target_distance(run_one(self.scenario_for(values), seed))


def load_calibration(path: str | Path) -> tuple[CalibrationFile, Scenario]:
    path = Path(path)
    spec = load_file(path, CalibrationFile)
    source = path.parent / spec.scenario
    if not source.is_file():
        raise ScenarioError(f"{path}: scenario: file {spec.scenario!r} not found")
    overrides = {"citizens": spec.citizens}
    if spec.end is not None:
        overrides["end"] = spec.end
    scenario = load_scenario(source, **overrides)
    last_target = max(t.last for t in TARGETS)
    if scenario.end < last_target:
        raise ScenarioError(
            f"{path}: end: {scenario.end} ends before the last observed target "
            f"({last_target}); allowed: {last_target} or later"
        )
    return spec, scenario


def run_calibration(
    path: Path, out: Path, *, workers: int = 1, dask: str | None = None, quiet: bool = False
) -> dict:
    """Run ABC-SMC; write abc.db, posterior.csv, posterior_summary.csv, posterior.png,
    calibrated.toml and calibration.md into ``out``. Returns the summary."""
    import logging

    try:
        import pyabc
    except ImportError:
        raise ScenarioError("calibrate needs pyabc: pip install 'egov-sim[abc]'") from None

    from sim.analysis.abc import posterior_figure, weighted_summary
    from sim.experiment.executors import start_dask

    spec, scenario = load_calibration(path)
    keys = list(spec.parameters)
    logging.getLogger("ABC").setLevel(logging.WARNING if quiet else logging.INFO)
    for name in ("Sampler", "Epsilon", "Distance", "Acceptor", "pyabc"):
        logging.getLogger(f"ABC.{name}").setLevel(logging.WARNING)
    np.random.seed(spec.root_seed)  # noqa: NPY002 - pyabc draws from the legacy global generator
    prior = pyabc.Distribution(
        **{
            f"p{i}": pyabc.RV(
                "uniform", spec.parameters[k].low, spec.parameters[k].high - spec.parameters[k].low
            )
            for i, k in enumerate(keys)
        }
    )
    client = cluster = None
    if dask:
        client, cluster = start_dask(dask, workers)
        sampler = pyabc.sampler.DaskDistributedSampler(dask_client=client)
    elif workers > 1:
        sampler = pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers)
    else:
        sampler = pyabc.sampler.SingleCoreSampler()
    model = CalibrationModel(scenario, keys)
    observed = {f"t{i}": 0.0 for i in range(len(TARGETS))}
    with staged(out) as stage:
        try:
            abc = pyabc.ABCSMC(
                model,
                prior,
                pyabc.PNormDistance(p=1),
                population_size=spec.population_size,
                sampler=sampler,
            )
            abc.new(f"sqlite:///{stage.file('abc.db')}", observed)
            history = abc.run(minimum_epsilon=spec.min_epsilon, max_nr_populations=spec.generations)
        finally:
            if client is not None:
                client.close()
            if cluster is not None:
                cluster.close()
        frame, weights = history.get_distribution(m=0, t=history.max_t)
        frame = frame.rename(columns={f"p{i}": k for i, k in enumerate(keys)})[keys]
        posterior = frame.assign(weight=weights)
        posterior.to_csv(stage.file("posterior.csv"), index=False, float_format="%.6g")
        summary = weighted_summary(posterior, keys, spec.parameters)
        summary.to_csv(stage.file("posterior_summary.csv"), float_format="%.6g")
        stage.figure(posterior_figure(posterior, keys, spec.parameters), "posterior")
        populations = history.get_all_populations()
        best = {k: float(summary.loc[k, "mean"]) for k in keys}
        stage.file("calibrated.toml").write_text(_calibrated_toml(spec, path, best, out))
        info = {
            "generations": int(history.max_t) + 1,
            "final_epsilon": float(populations["epsilon"].iloc[-1]),
            "evaluations": int(populations["samples"].sum()),
            "posterior_mean": best,
        }
        stage.file("calibration.md").write_text(_report(spec, info, summary))
    return info


def _calibrated_toml(spec: CalibrationFile, path: Path, values: dict[str, float], out: Path) -> str:
    """A scenario file extending the calibrated one with the posterior means."""
    import os

    source = Path(os.path.relpath((path.parent / spec.scenario).resolve(), out.resolve()))
    data: dict = {
        "name": f"{spec.name}_calibrated",
        "description": f"{Path(spec.scenario).stem} with posterior-mean parameters",
        "extends": source.as_posix(),
    }
    for key, value in values.items():
        node = data
        *tables, last = key.split(".")
        for part in tables:
            node = node.setdefault(part, {})
        node[last] = round_to_field(key, value)
    return toml_text(
        data,
        f"Calibrated by `egov-sim calibrate {path}` (ABC-SMC, posterior means).\n"
        "Extend this file from a scenario to use the calibrated parameters.",
    )


def _report(spec: CalibrationFile, info: dict, summary: pd.DataFrame) -> str:
    rows = ["| parameter | prior | posterior mean | sd | 95% interval |", "|---|---|---|---|---|"]
    for key, r in summary.iterrows():
        rows.append(
            f"| `{key}` | {spec.parameters[key].low:g}..{spec.parameters[key].high:g} | "
            f"{r['mean']:.4g} | {r['sd']:.3g} | {r['q025']:.4g}..{r['q975']:.4g} |"
        )
    return "\n".join(
        [
            f"# {spec.name}: ABC-SMC calibration",
            "",
            spec.description,
            "",
            f"{info['generations']} generations of {spec.population_size} particles, "
            f"{info['evaluations']} model runs; final distance threshold "
            f"{info['final_epsilon']:.4g} (0 = every target met).",
            "",
            *rows,
            "",
            "![posterior](posterior.png)",
            "",
            "`calibrated.toml` sets the posterior means; scenarios can `extends` it.",
            "",
        ]
    )
