"""Global sensitivity analysis files: Morris screening or Sobol indices (SALib) of a scenario.

The SALib sample becomes the design points of an ordinary batch, so the runs use the same
executors (local processes or Dask), the same atomic results store, and resume alike.
Replicate k of every sample point uses seed k (common random numbers), so differences
between points come from the parameters, not from the noise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, field_validator, model_validator
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from sim.calendar import Month
from sim.country import Country, default_country
from sim.errors import KeyedError
from sim.experiment.arguments import KEYWORDS, ArgumentNames
from sim.experiment.plan import Plan, build_plan, resolve_factors
from sim.experiment.schema import (
    MAX_POINTS,
    Citizens,
    ExperimentFile,
    Output,
    Range,
    check_metric_names,
    check_ranges,
)
from sim.files import load_file, load_scenario, referenced_file
from sim.scenario import MAX_CITIZENS, STRICT, InputError, Name


class MorrisOptions(BaseModel):
    model_config = STRICT
    trajectories: int = Field(10, ge=2, le=1000, description="Morris trajectories (r)")
    levels: int = Field(4, ge=2, le=20, description="grid levels (p)")


class SobolOptions(BaseModel):
    model_config = STRICT
    n: int = Field(64, ge=8, le=1_000_000, description="base samples (a power of 2)")

    @field_validator("n")
    @classmethod
    def _power_of_two(cls, value: int) -> int:
        if value & (value - 1):
            raise ValueError(f"{value} is not a power of 2 (Sobol sequences need one)")
        return value


class SensitivityFile(BaseModel):
    """A sensitivity analysis file."""

    model_config = STRICT
    name: Name = Field(description="results folder name")
    description: str = Field("", description="one line saying what is asked")
    scenario: str = Field(description="scenario file, relative to this file")
    method: Literal["morris", "sobol"] = Field("morris", description='"morris" or "sobol"')
    parameters: dict[str, Range] | Literal["assumptions"] = Field(
        "assumptions",
        description="factor path -> {low, high} (parameters, or numeric and month fields of "
        'levers with an id, e.g. "levers.ministry.at"), or "assumptions": every scalar '
        "parameter whose source is an assumption, over its sensitivity range",
    )
    metrics: list[str] = Field(
        ["online_users_share", "end_to_end_share"], min_length=1, description="outputs"
    )
    dates: list[Month] = Field(
        default_factory=list, description='months to analyse ("YYYY-MM"; default: the end)'
    )
    replications: int = Field(1, ge=1, le=1000, description="paired seeds per sample point")
    root_seed: int = Field(0, ge=0, lt=2**63, description="root of the seeds and the sample")
    citizens: Citizens = Field(
        None, description=f'adults per run (100..{MAX_CITIZENS:,}) or "national"'
    )
    morris: MorrisOptions = Field(default_factory=MorrisOptions)
    sobol: SobolOptions = Field(default_factory=SobolOptions)

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, value: list[str]) -> list[str]:
        check_metric_names(value)
        return value

    @model_validator(mode="after")
    def _sample_size(self) -> SensitivityFile:
        """The sample's size from the method's formula, before SALib draws it."""
        k = len(self.ranges())
        if self.method == "morris":
            n_points, formula = self.morris.trajectories * (k + 1), "trajectories x (factors + 1)"
        else:
            n_points, formula = self.sobol.n * (k + 2), "n x (factors + 2)"
        if n_points > MAX_POINTS:
            key = "morris.trajectories" if self.method == "morris" else "sobol.n"
            message = (
                f"the {self.method} sample would have {n_points:,} points ({formula}; allowed: "
                f"up to {MAX_POINTS:,})"
            )
            raise KeyedError([(key, message)])
        return self

    @field_validator("parameters")
    @classmethod
    def _parameters(cls, value):
        return check_ranges(value, minimum=2, levers=True) if isinstance(value, dict) else value

    def ranges(self, country: Country | None = None) -> dict[str, tuple[Any, Any]]:
        """The factors and their ranges: the file's, or every assumption of ``country`` (the
        scenario's; the sample-size check before it is read uses the default country's)."""
        if isinstance(self.parameters, dict):
            return {k: (r.low, r.high) for k, r in self.parameters.items()}
        return assumption_ranges(country)


def assumption_ranges(country: Country | None = None) -> dict[str, tuple[float, float]]:
    """Every parameter marked "assumption", over its sensitivity range: the shared scalar
    ones and the country's per-area entries (:meth:`sim.country.Country.assumption_ranges`;
    default: the library's default country)."""
    return (country or default_country()).assumption_ranges()


class SensitivityPlan:
    """A SALib problem, its sample and the batch plan that runs it."""

    def __init__(self, file: SensitivityFile, path: Path) -> None:
        self.file = file
        """The sensitivity file, validated."""
        self.path = path
        source = referenced_file(path, "scenario", file.scenario, "sensitivity", library=True)
        scenario = load_scenario(source, citizens=file.citizens)
        ranges = file.ranges(scenario.country_data)
        self.factors = resolve_factors(
            {k: list(v) for k, v in ranges.items()},
            [scenario],
            f"{path}: parameters",
            bound=True,
        )
        self.problem = {
            "num_vars": len(ranges),
            "names": list(ranges),
            "bounds": [[self.factors[k].encode(v) for v in b] for k, b in ranges.items()],
        }
        if file.method == "morris":
            self.sample = morris_sample.sample(
                self.problem,
                file.morris.trajectories,
                num_levels=file.morris.levels,
                seed=file.root_seed % 2**32,
            )
        else:
            self.sample = sobol_sample.sample(
                self.problem, file.sobol.n, calc_second_order=False, seed=file.root_seed % 2**32
            )
        points = [
            {key: self.factors[key].decode(value) for key, value in zip(ranges, row, strict=True)}
            for row in self.sample
        ]
        experiment = ExperimentFile(
            name=file.name,
            description=file.description,
            scenarios=[file.scenario],
            replications=file.replications,
            root_seed=file.root_seed,
            citizens=file.citizens,
            output=Output(metrics=file.metrics, every=1),
        )
        self.plan: Plan = build_plan(experiment, path, points, factors=self.factors)
        scenario = self.plan.scenarios[0]
        self.dates = file.dates or [scenario.end]
        for date in self.dates:
            if not scenario.start <= date <= scenario.end:
                raise InputError(
                    f"{path}: dates: {date} is outside the scenario's horizon "
                    f"(allowed: {scenario.start} to {scenario.end})"
                )

    def outputs(self, results) -> dict[tuple[str, str], np.ndarray]:
        """Model outputs in sample order (mean over replicates) for each (metric, date)."""
        out = {}
        for date in self.dates:
            at = results[results["date"] == date].groupby("point").mean(numeric_only=True)
            at = at.reindex(range(len(self.sample)))
            for metric in self.file.metrics:
                out[metric, date] = at[metric].to_numpy()
        return out


def load_sensitivity(path: str | Path) -> SensitivityPlan:
    path = Path(path)
    return SensitivityPlan(load_file(path, SensitivityFile), path)


def run_sensitivity(
    sens: SensitivityPlan,
    out: Path,
    *,
    workers: int = 1,
    dask: str | None = None,
    resume: bool = False,
    quiet: bool = False,
    names: ArgumentNames = KEYWORDS,
):
    """Run the sample as a batch into ``out`` (resumable), then write the indices with their
    95% CIs (sensitivity.csv), a bar chart (PNG and SVG) and sensitivity.md. Returns the
    indices table. ``names``: how a refusal names the arguments."""
    import io

    import pandas as pd

    from sim.analysis.sensitivity import indices, indices_figure
    from sim.experiment.batch import run_batch
    from sim.folders import owned, read_manifest, verified

    sensitivity = sens.file
    summary = run_batch(
        sens.plan,
        out,
        workers=workers,
        dask=dask,
        resume=resume,
        quiet=quiet,
        kind="sensitivity",
        names=names,
    )
    if summary.failed:
        raise InputError(
            f"{sens.path}: {summary.failed} runs failed (see {out}/runs/*.error); "
            f"fix and rerun with {names.resume}"
        )
    with (
        owned(out, "sensitivity", resume=True, option=names.out) as folder,
        folder.stage() as stage,
    ):
        stage.manifest = None  # the files are added to the batch's manifest
        table = verified(out, read_manifest(out), "results.parquet")
        results = pd.read_parquet(io.BytesIO(table))
        table = indices(
            sensitivity.method,
            sens.problem,
            sens.sample,
            sens.outputs(results),
            levels=sensitivity.morris.levels,
            seed=sensitivity.root_seed % 2**32,
        )
        table.to_csv(stage.file("sensitivity.csv"), index=False, float_format="%.6g")
        stage.figure(indices_figure(table, sensitivity.method), "sensitivity", ("png", "svg"))
        stage.file("sensitivity.md").write_text(_markdown(sens, table), encoding="utf-8")
    return table


def _markdown(sens: SensitivityPlan, table) -> str:
    sensitivity = sens.file
    text = [
        f"# {sensitivity.name}: {sensitivity.method} sensitivity",
        "",
        sensitivity.description,
        "",
        f"{len(sens.plan.runs)} runs ({len(sens.sample)} sample points x "
        f"{sensitivity.replications} seeds) of `{sensitivity.scenario}`.",
        "",
    ]
    for (metric, date), rows in table.groupby(["metric", "date"], sort=False):
        cols = list(rows.columns[2:])
        text += [f"## {metric} at {date}", "", "| " + " | ".join(cols) + " |"]
        text.append("|" + "---|" * len(cols))
        for row in rows[cols].head(10).itertuples(index=False):
            cells = [f"{v:.4g}" if isinstance(v, float) else f"`{v}`" for v in row]
            text.append("| " + " | ".join(cells) + " |")
        text.append("")
    return "\n".join(text) + "\n"
