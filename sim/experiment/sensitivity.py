"""Global sensitivity analysis files: Morris screening or Sobol indices (SALib) of a scenario.

The SALib sample becomes the design points of an ordinary batch, so the runs use the same
executors (local processes or Dask), the same atomic results store and ``--resume``.
Replicate k of every sample point uses seed k (common random numbers), so differences
between points come from the parameters, not from the noise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from sim.experiment.spec import (
    Experiment,
    Output,
    Plan,
    Range,
    build_plan,
    check_ranges,
    parameter_field,
)
from sim.model.metrics import METRICS
from sim.params import iter_parameters
from sim.scenario import MAX_CITIZENS, Name, ScenarioError, format_validation_error, read_toml


class MorrisOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    trajectories: int = Field(10, ge=2, le=1000, description="Morris trajectories (r)")
    levels: int = Field(4, ge=2, le=20, description="grid levels (p)")


class SobolOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    n: int = Field(64, ge=8, le=1_000_000, description="base samples (a power of 2)")

    @field_validator("n")
    @classmethod
    def _power_of_two(cls, value: int) -> int:
        if value & (value - 1):
            raise ValueError(f"{value} is not a power of 2 (Sobol sequences need one)")
        return value


class SensitivityFile(BaseModel):
    """A sensitivity analysis file."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: Name = Field(description="results folder name")
    description: str = Field("", description="one line saying what is asked")
    scenario: str = Field(description="scenario file, relative to this file")
    method: Literal["morris", "sobol"] = Field("morris", description='"morris" or "sobol"')
    parameters: dict[str, Range] | Literal["assumptions"] = Field(
        "assumptions",
        description='parameter path -> {low, high}, or "assumptions": every scalar parameter '
        "whose source is an assumption, over its sensitivity range",
    )
    metrics: list[str] = Field(
        ["online_users_share", "end_to_end_share"], min_length=1, description="outputs"
    )
    dates: list[str] = Field(
        default_factory=list, description='months to analyse ("YYYY-MM"; default: the end)'
    )
    replications: int = Field(1, ge=1, le=1000, description="paired seeds per sample point")
    root_seed: int = Field(0, ge=0, lt=2**63, description="root of the seeds and the sample")
    citizens: int | Literal["national"] | None = Field(
        None, description=f'adults per run (100..{MAX_CITIZENS:,}) or "national"'
    )
    morris: MorrisOptions = Field(default_factory=MorrisOptions)
    sobol: SobolOptions = Field(default_factory=SobolOptions)

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, value: list[str]) -> list[str]:
        for m in value:
            if m not in METRICS:
                raise ValueError(f"unknown metric {m!r} (allowed: {', '.join(METRICS)})")
        return value

    @field_validator("parameters")
    @classmethod
    def _parameters(cls, value):
        return check_ranges(value, minimum=2) if isinstance(value, dict) else value

    def ranges(self) -> dict[str, tuple[float, float]]:
        if isinstance(self.parameters, dict):
            return {k: (r.low, r.high) for k, r in self.parameters.items()}
        return assumption_ranges()


def assumption_ranges() -> dict[str, tuple[float, float]]:
    """Every scalar numeric parameter marked "assumption", over its sensitivity range."""
    ranges = {}
    for path, info, _ in iter_parameters():
        extra = info.json_schema_extra or {}
        if info.annotation in (int, float) and "assumption" in extra.get("source", ""):
            low, high = extra["sa_range"]
            ranges[path] = (float(low), float(high))
    return ranges


class SensitivityPlan:
    """A SALib problem, its sample and the batch plan that runs it."""

    def __init__(self, spec: SensitivityFile, path: Path) -> None:
        self.spec = spec
        ranges = spec.ranges()
        self.problem = {
            "num_vars": len(ranges),
            "names": list(ranges),
            "bounds": [list(b) for b in ranges.values()],
        }
        if spec.method == "morris":
            self.sample = morris_sample.sample(
                self.problem,
                spec.morris.trajectories,
                num_levels=spec.morris.levels,
                seed=spec.root_seed % 2**32,
            )
        else:
            self.sample = sobol_sample.sample(
                self.problem, spec.sobol.n, calc_second_order=False, seed=spec.root_seed % 2**32
            )
        points = []
        for row in self.sample:
            point = {}
            for key, value in zip(ranges, row, strict=True):
                point[key] = (
                    int(round(value)) if parameter_field(key).annotation is int else float(value)
                )
            points.append(point)
        experiment = Experiment(
            name=spec.name,
            description=spec.description,
            scenarios=[spec.scenario],
            replications=spec.replications,
            root_seed=spec.root_seed,
            citizens=spec.citizens,
            output=Output(metrics=spec.metrics, every=1),
        )
        self.plan: Plan = build_plan(experiment, path, points)
        scenario = self.plan.scenarios[0]
        self.dates = spec.dates or [scenario.end]
        for date in self.dates:
            if not scenario.start <= date <= scenario.end:
                raise ScenarioError(
                    f"{path}: dates: {date} is outside the scenario's horizon "
                    f"(allowed: {scenario.start} to {scenario.end})"
                )

    def outputs(self, results) -> dict[tuple[str, str], np.ndarray]:
        """Model outputs in sample order (mean over replicates) for each (metric, date)."""
        out = {}
        for date in self.dates:
            at = results[results["date"] == date].groupby("point").mean(numeric_only=True)
            at = at.reindex(range(len(self.sample)))
            for metric in self.spec.metrics:
                out[metric, date] = at[metric].to_numpy()
        return out


def load_sensitivity(path: str | Path) -> SensitivityPlan:
    path = Path(path)
    data = read_toml(path)
    try:
        spec = SensitivityFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, path, SensitivityFile)) from None
    except ValueError as exc:  # from parameter_field inside a validator
        raise ScenarioError(f"{path}: parameters: {exc}") from None
    return SensitivityPlan(spec, path)
