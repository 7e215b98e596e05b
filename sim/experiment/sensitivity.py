"""Global sensitivity analysis files: Morris screening or Sobol indices (SALib) of a scenario,
or of named contrasts between scenarios.

The SALib sample becomes the design points of an ordinary batch, so the runs use the same
executors (local processes or Dask), the same atomic results store, and resume alike.
Replicate k of every sample point and every scenario uses seed k (common random numbers),
so differences between points come from the parameters, not from the noise, and a contrast
between two scenarios at one point (``plus - minus``, or ``plus`` minus the best of several)
compares the same people under the same draws. Factors may be pooled in SALib groups (one
index per group), so a Sobol run over ~70 factors costs a few individual ones and a group.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field, field_validator, model_validator
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from sim.calendar import Month
from sim.country import Country, default_country
from sim.errors import KeyedError, shown
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
    quoted_path,
)
from sim.files import load_file, load_scenario, referenced_file
from sim.scenario import LEVER_PREFIX, MAX_CITIZENS, STRICT, InputError, Name


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


MAX_SCENARIOS = 20
"""Scenarios of one sensitivity file at most."""
MAX_CONTRASTS = 50
"""Contrasts of one sensitivity file at most."""


class Contrast(BaseModel):
    """A difference between scenarios at the same sample point and seed: ``plus`` minus
    ``minus``, or ``plus`` minus the best (the largest value) of a list of scenarios."""

    model_config = STRICT
    plus: str = Field(min_length=1, description="scenario name (its `name`) counted positive")
    minus: str | list[str] = Field(
        description="scenario name subtracted, or a list of names: the largest of them at each "
        "point is subtracted (the best of several levers)"
    )

    @field_validator("minus")
    @classmethod
    def _minus(cls, value: str | list[str]) -> str | list[str]:
        names = [value] if isinstance(value, str) else value
        if not names or any(not name for name in names):
            raise ValueError("give a scenario name or a non-empty list of names")
        return value

    @property
    def minus_names(self) -> list[str]:
        """The names subtracted, as a list (one name, or the list whose best is taken)."""
        return [self.minus] if isinstance(self.minus, str) else list(self.minus)


class SensitivityFile(BaseModel):
    """A sensitivity analysis file."""

    model_config = STRICT
    name: Name = Field(description="results folder name")
    description: str = Field("", description="one line saying what is asked")
    scenario: str | None = Field(
        None, description="scenario file, relative to this file (or give `scenarios`)"
    )
    scenarios: list[str] = Field(
        default_factory=list,
        max_length=MAX_SCENARIOS,
        description="scenario files run on the same sample points and seeds, compared by "
        "`contrasts` (instead of `scenario`)",
    )
    contrasts: dict[str, Contrast] = Field(
        default_factory=dict,
        max_length=MAX_CONTRASTS,
        description="name -> {plus, minus}: the outputs analysed with `scenarios`, each the "
        "difference of a metric between scenarios named by their `name`",
    )
    method: Literal["morris", "sobol"] = Field("morris", description='"morris" or "sobol"')
    parameters: dict[str, Range] | Literal["assumptions"] = Field(
        "assumptions",
        description="factor path -> {low, high} (parameters, or numeric and month fields of "
        'levers with an id, e.g. "levers.ministry.at"), or "assumptions": every scalar '
        "parameter whose source is an assumption, over its sensitivity range",
    )
    levers: dict[str, Range] = Field(
        default_factory=dict,
        description='lever field path ("levers.<id>.<field>") -> {low, high}: added to the '
        "factors (with `parameters`), applied to every scenario holding a lever of that id",
    )
    groups: dict[Name, list[str]] = Field(
        default_factory=dict,
        description="group name -> factor paths: SALib groups, one index per group (a factor "
        "in no group is its own)",
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
    def _scenarios_and_contrasts(self) -> SensitivityFile:
        """One scenario, or several compared by contrasts."""
        if (self.scenario is None) == (not self.scenarios):
            raise KeyedError(
                [("scenarios", "give either `scenario` (one file) or `scenarios` (a list)")]
            )
        if self.scenarios and not self.contrasts:
            raise KeyedError(
                [("contrasts", "`scenarios` needs at least one contrast (name = {plus, minus})")]
            )
        if self.scenario is not None and self.contrasts:
            raise KeyedError([("contrasts", "contrasts compare `scenarios`, not one `scenario`")])
        if isinstance(self.parameters, dict):
            both = [key for key in self.levers if key in self.parameters]
            if both:
                raise KeyedError(
                    [(f"levers.{both[0]}", "also in `parameters` (allowed: each factor once)")]
                )
        seen: dict[str, str] = {}
        for group, paths in self.groups.items():
            if not paths:
                raise KeyedError([(f"groups.{group}", "a group needs at least one factor path")])
            for key in paths:
                if key in seen:
                    raise KeyedError(
                        [
                            (
                                f"groups.{group}",
                                f"{key!r} is already in group {seen[key]!r} (allowed: each "
                                "factor in one group)",
                            )
                        ]
                    )
                seen[key] = group
        return self

    @property
    def scenario_files(self) -> list[str]:
        """The scenario files, in order (one for a single-scenario file)."""
        return [self.scenario] if self.scenario is not None else list(self.scenarios)

    def n_groups(self, names: list[str]) -> int:
        """Indices the method estimates over factors ``names``: one per group, one per
        factor in no group."""
        grouped = {key for paths in self.groups.values() for key in paths}
        return len(self.groups) + sum(1 for key in names if key not in grouped)

    @model_validator(mode="after")
    def _sample_size(self) -> SensitivityFile:
        """The sample's size from the method's formula, before SALib draws it."""
        k = self.n_groups(list(self.ranges()))
        what = "groups" if self.groups else "factors"
        if self.method == "morris":
            n_points, formula = self.morris.trajectories * (k + 1), f"trajectories x ({what} + 1)"
        else:
            n_points, formula = self.sobol.n * (k + 2), f"n x ({what} + 2)"
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

    @field_validator("levers")
    @classmethod
    def _levers(cls, value: dict[str, Range]) -> dict[str, Range]:
        for key in value:
            if not key.startswith(LEVER_PREFIX):
                raise ValueError(
                    f"{key!r} is not a lever field (allowed: paths like "
                    '"levers.<id>.<field>"; parameters go in `parameters`)'
                )
        return check_ranges(value, minimum=0, levers=True)

    def ranges(self, country: Country | None = None) -> dict[str, tuple[Any, Any]]:
        """The factors and their ranges: the file's, or every assumption of ``country`` (the
        scenario's; the sample-size check before it is read uses the default country's),
        then the `levers` table's."""
        if isinstance(self.parameters, dict):
            out = {k: (r.low, r.high) for k, r in self.parameters.items()}
        else:
            out = dict(assumption_ranges(country))
        for key, r in self.levers.items():
            out.setdefault(key, (r.low, r.high))
        return out


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
        files = file.scenario_files
        where = (
            ["scenario"]
            if file.scenario is not None
            else [f"scenarios[{i}]" for i in range(len(files))]
        )
        loaded = [
            load_scenario(
                referenced_file(path, key, name, "sensitivity", library=True),
                citizens=file.citizens,
            )
            for key, name in zip(where, files, strict=True)
        ]
        ranges = file.ranges(loaded[0].country_data)
        self.factors = resolve_factors(
            {k: list(v) for k, v in ranges.items()},
            loaded,
            f"{path}: parameters",
            bound=True,
        )
        self.groups = _groups(file, path, list(ranges))
        """Each factor's SALib group (its own path when it is in no group)."""
        self.problem = {
            "num_vars": len(ranges),
            "names": list(ranges),
            "bounds": [[self.factors[k].encode(v) for v in b] for k, b in ranges.items()],
        }
        if file.groups:
            self.problem["groups"] = [self.groups[k] for k in ranges]
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
            scenarios=files,
            replications=file.replications,
            root_seed=file.root_seed,
            citizens=file.citizens,
            output=Output(metrics=file.metrics, every=1),
        )
        self.plan: Plan = build_plan(experiment, path, points, factors=self.factors)
        _check_contrasts(file, path, [sc.name for sc in self.plan.scenarios])
        scenario = self.plan.scenarios[0]
        self.dates = file.dates or [scenario.end]
        for date in self.dates:
            if not scenario.start <= date <= scenario.end:
                raise InputError(
                    f"{path}: dates: {date} is outside the scenario's horizon "
                    f"(allowed: {scenario.start} to {scenario.end})"
                )

    @property
    def key_names(self) -> tuple[str, ...]:
        """What names one output: (metric, date), or (contrast, metric, date)."""
        return ("contrast", "metric", "date") if self.file.contrasts else ("metric", "date")

    @property
    def n_groups(self) -> int:
        """Indices estimated: one per group and per factor in no group."""
        return len(dict.fromkeys(self.groups.values()))

    def outputs(self, results) -> dict[tuple[str, ...], np.ndarray]:
        """Model outputs in sample order (mean over replicates) for each (metric, date), or
        each contrast's for each (contrast, metric, date): ``plus`` minus ``minus`` at every
        point, or minus the largest of a list (each scenario's mean over replicates first)."""
        out = {}
        n = len(self.sample)
        for date in self.dates:
            rows = results[results["date"] == date]
            if not self.file.contrasts:
                at = rows.groupby("point").mean(numeric_only=True).reindex(range(n))
                for metric in self.file.metrics:
                    out[metric, date] = at[metric].to_numpy()
                continue
            means = rows.groupby(["scenario", "point"])[self.file.metrics].mean()
            for name, contrast in self.file.contrasts.items():
                for metric in self.file.metrics:
                    out[name, metric, date] = contrast_values(
                        {
                            sc: means[metric].xs(sc).reindex(range(n)).to_numpy()
                            for sc in {contrast.plus, *contrast.minus_names}
                            if sc in means.index.get_level_values(0)
                        },
                        contrast,
                        n,
                    )
        return out

    def share_rows(self) -> np.ndarray:
        """Rows of the sample on which the share of positive contrasts is counted: the
        Saltelli base sample A (every (groups + 2)-th row, a quasi-random sample of the
        factor space) for Sobol; every point of the trajectories for Morris."""
        if self.file.method == "sobol":
            return np.arange(0, len(self.sample), self.n_groups + 2)
        return np.arange(len(self.sample))


def contrast_values(values: dict[str, np.ndarray], contrast: Contrast, n: int) -> np.ndarray:
    """``plus`` minus ``minus`` at each point, or minus the elementwise largest of a list
    (a scenario missing from ``values`` gives NaN)."""
    missing = np.full(n, np.nan)
    minus = np.max(np.vstack([values.get(name, missing) for name in contrast.minus_names]), axis=0)
    return values.get(contrast.plus, missing) - minus


def _groups(file: SensitivityFile, path: Path, names: list[str]) -> dict[str, str]:
    """Each factor's group; a group naming a path that is not a factor is refused."""
    problems = []
    group_of = {key: key for key in names}
    for group, paths in file.groups.items():
        if group in group_of:
            problems.append(
                f"{shown(path)}: groups.{group}: the name is also a factor's path (allowed: "
                "another name)"
            )
        for key in paths:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.append(
                    f"{shown(path)}: groups.{group}: {quoted_path(key)} is not one of the "
                    f"factors{hint} (allowed: the paths of `parameters` and `levers`)"
                )
            else:
                group_of[key] = group
    if problems:
        raise InputError("\n".join(problems))
    return group_of


def _check_contrasts(file: SensitivityFile, path: Path, names: list[str]) -> None:
    """Every scenario a contrast names is one of the file's."""
    problems = [
        f"{shown(path)}: contrasts.{quoted_path(label)}.{key}: {name!r} is not one of the "
        f"scenarios (allowed: {', '.join(names)})"
        for label, contrast in file.contrasts.items()
        for key, name in [("plus", contrast.plus)] + [("minus", m) for m in contrast.minus_names]
        if name not in names
    ]
    if problems:
        raise InputError("\n".join(problems))


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
    95% CIs (sensitivity.csv), a bar chart (PNG and SVG) and sensitivity.md; with contrasts,
    also each contrast's spread and share of the sample above zero (contrasts.csv). Returns
    the indices table. ``names``: how a refusal names the arguments."""
    import io

    import pandas as pd

    from sim.analysis.sensitivity import indices, indices_figure, share_positive
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
        outputs = sens.outputs(results)
        table = indices(
            sensitivity.method,
            sens.problem,
            sens.sample,
            outputs,
            levels=sensitivity.morris.levels,
            seed=sensitivity.root_seed % 2**32,
            key_names=sens.key_names,
        )
        table.to_csv(stage.file("sensitivity.csv"), index=False, float_format="%.6g")
        shares = None
        if sensitivity.contrasts:
            shares = share_positive(outputs, sens.share_rows(), key_names=sens.key_names)
            shares.to_csv(stage.file("contrasts.csv"), index=False, float_format="%.6g")
        stage.figure(indices_figure(table, sensitivity.method), "sensitivity", ("png", "svg"))
        stage.file("sensitivity.md").write_text(_markdown(sens, table, shares), encoding="utf-8")
    return table


def _markdown(sens: SensitivityPlan, table, shares=None) -> str:
    sensitivity = sens.file
    files = ", ".join(f"`{f}`" for f in sensitivity.scenario_files)
    text = [
        f"# {sensitivity.name}: {sensitivity.method} sensitivity",
        "",
        sensitivity.description,
        "",
        f"{len(sens.plan.runs)} runs ({len(sens.sample)} sample points x "
        f"{len(sens.plan.scenarios)} scenarios x {sensitivity.replications} seeds) of {files}; "
        f"{len(sens.factors)} factors"
        + (f" in {sens.n_groups} groups." if sensitivity.groups else "."),
        "",
    ]
    if sensitivity.groups:
        text += ["Groups:", ""]
        text += [
            f"- `{g}`: {', '.join(f'`{k}`' for k in keys)}"
            for g, keys in sensitivity.groups.items()
        ]
        text.append("")
    if shares is not None:
        where = (
            "the Saltelli base sample A" if sensitivity.method == "sobol" else "every sample point"
        )
        text += [
            f"## Contrasts: spread and share above zero (on {where}; 95% Wilson interval)",
            "",
            "| contrast | metric | date | n | mean | 5% | 95% | share > 0 | 95% CI |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for row in shares.itertuples(index=False):
            text.append(
                f"| {row.contrast} | `{row.metric}` | {row.date} | {row.n} | {row.mean:+.4f} | "
                f"{row.q05:+.4f} | {row.q95:+.4f} | {row.share_positive:.3f} | "
                f"{row.share_low:.3f}-{row.share_high:.3f} |"
            )
        text.append("")
    for key, rows in table.groupby(list(sens.key_names), sort=False):
        *what, date = key
        cols = list(rows.columns[len(sens.key_names) :])
        text += [f"## {': '.join(what)} at {date}", "", "| " + " | ".join(cols) + " |"]
        text.append("|" + "---|" * len(cols))
        for row in rows[cols].head(10).itertuples(index=False):
            cells = [f"{v:.4g}" if isinstance(v, float) else f"`{v}`" for v in row]
            text.append("| " + " | ".join(cells) + " |")
        text.append("")
    return "\n".join(text) + "\n"
