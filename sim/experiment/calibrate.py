"""Likelihood-free calibration (ABC-SMC with pyabc) against dated observations, with a
posterior predictive check of the held-out ones.

A calibration file names a scenario, uniform priors for the parameters it lists and the
ABC-SMC settings. A particle's distance is how far the model lies from each observation used
for fitting (``sim.analysis.calibration.FIT_TARGETS``: up to mid 2022), in half-widths of the
observation's band. After the last generation, parameter sets drawn from the posterior are run
to ``predict_until`` and compared with every observation, fitted and held out (posterior
predictive). The posterior (a file ``compare``, ``batch`` and ``validate-model`` can draw
from), its summaries and figures, and a calibrated scenario file with the posterior means are
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

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field, field_validator

from sim.analysis.calibration import (
    FIT_TARGETS,
    TARGETS,
    Target,
    country_targets,
    means_by_date,
    window_problems,
)
from sim.atomic import toml_text
from sim.calendar import Month
from sim.errors import shown
from sim.experiment.arguments import KEYWORDS, ArgumentNames
from sim.experiment.plan import scenario_at
from sim.experiment.replicates import paired_seeds, run_one, run_replicates
from sim.experiment.schema import Citizens, Range, check_ranges
from sim.files import load_file, load_scenario, referenced_file
from sim.folders import owned
from sim.library import default_country, observations_file
from sim.provenance import run_record
from sim.scenario import (
    MAX_CITIZENS,
    STRICT,
    InputError,
    Name,
    Scenario,
    round_to_field,
    with_values,
)


class CalibrationFile(BaseModel):
    """A calibration file."""

    model_config = STRICT
    name: Name = Field(description="results folder name")
    description: str = Field("", description="one line saying what is calibrated")
    scenario: str = Field(description="scenario file, relative to this file")
    end: Month = Field(
        description="last month of the fitting runs (the observations up to it are fitted)"
    )
    citizens: Citizens = Field(
        None, description=f'adults per run (100..{MAX_CITIZENS:,}) or "national"'
    )
    parameters: dict[str, Range] = Field(description="parameter path -> uniform prior {low, high}")

    targets: list[str] | None = Field(
        None,
        description="names of the observations to fit (default: every observation up to mid "
        "2022, sim.analysis.calibration.FIT_TARGETS)",
    )
    population_size: int = Field(50, ge=5, le=100_000, description="particles per generation")
    generations: int = Field(4, ge=1, le=100, description="ABC-SMC generations at most")
    min_epsilon: float = Field(0.0, ge=0, description="stop when the distance threshold is this")
    min_eps_diff: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="stop when the threshold falls by less than this fraction in a generation",
    )
    predictive: int = Field(
        40, ge=2, le=10_000, description="posterior predictive runs (parameter sets x seeds)"
    )
    predict_until: Month = Field(
        "2024-12", description="last month of the posterior predictive runs"
    )
    root_seed: int = Field(0, ge=0, lt=2**32, description="seed of the sampler")

    @field_validator("parameters")
    @classmethod
    def _parameters(cls, value: dict[str, Range]) -> dict[str, Range]:
        return check_ranges(value, minimum=1)

    def targets_problem(self, observations: tuple[Target, ...]) -> str | None:
        """What is wrong with ``targets`` given the country's ``observations``, or None."""
        if self.targets is None:
            return None
        allowed = [t.name for t in observations if t.use == "fit"]
        if not self.targets:
            return f"needs at least one observation (allowed: {', '.join(allowed)})"
        why = {
            "held-out": " (held out: never fitted)",
            "input": " (an input: it set an input, so it is neither fitted nor a test)",
        }
        uses = {t.name: t.use for t in observations}
        for name in self.targets:
            if name not in allowed:
                said = why.get(uses.get(name, ""), "")
                return f"{name!r} is not an observation to fit{said}; allowed: {', '.join(allowed)}"
        if len(set(self.targets)) != len(self.targets):
            return "lists an observation twice"
        return None

    def fit_targets(self, observations: tuple[Target, ...] = TARGETS) -> tuple[Target, ...]:
        """The observations this calibration fits, of a country's ``observations``."""
        fit = tuple(t for t in observations if t.use == "fit")
        if self.targets is None:
            return fit
        return tuple(t for t in fit if t.name in self.targets)


def target_distance(frame: pd.DataFrame, targets=FIT_TARGETS) -> dict[str, float]:
    """Per fitting target, the model's deviation from the observation in half-widths of its
    band (0 at the point, +-1 at the band's edges): what ABC's distance is made of."""
    means = frame.set_index("date")
    return {t.name: t.deviation(t.value(means)) for t in targets}


class CalibrationModel:
    """The model as pyabc sees it: parameters in, distances to the targets out (picklable)."""

    def __init__(self, scenario: Scenario, keys: list[str], until: str, targets) -> None:
        self.scenario = scenario
        self.keys = keys
        self.until = until
        self.targets = targets

    def scenario_for(self, values: dict[str, float]) -> Scenario:
        return with_values(self.scenario, {k: round_to_field(k, v) for k, v in values.items()})

    def __call__(self, particle: dict) -> dict[str, float]:
        values = {key: float(particle[f"p{i}"]) for i, key in enumerate(self.keys)}
        blob = json.dumps(values, sort_keys=True).encode()
        seed = int.from_bytes(hashlib.sha256(blob).digest()[:8], "little") >> 1
        return target_distance(run_one(self.scenario_for(values), seed, self.until), self.targets)


NOISE_SEEDS = 30
"""Seeds of the seed-noise diagnostic."""


def seed_noise(
    scenario: Scenario,
    calibration: CalibrationFile,
    workers: int = 1,
    observations: tuple[Target, ...] = TARGETS,
) -> float:
    """The distance seed noise alone gives: the scenario's own parameters on
    :data:`NOISE_SEEDS` seeds, each run's distance from the runs' mean in the units of ABC's
    distance (band half-widths, Euclidean norm), the median over runs. An acceptance threshold
    below it selects lucky seeds rather than better parameters."""
    long = run_replicates(
        [scenario],
        paired_seeds(calibration.root_seed + 1, NOISE_SEEDS),
        until=calibration.end,
        workers=workers,
    )
    targets = calibration.fit_targets(observations)
    runs = [means_by_date(run) for _, run in long.groupby("replicate", sort=True)]
    values = np.array([[t.value(run) for t in targets] for run in runs])
    halves = np.array([(t.high - t.low) / 2 for t in targets])
    distances = np.sqrt((((values - values.mean(axis=0)) / halves) ** 2).sum(axis=1))
    return float(np.median(distances))


def load_calibration(
    path: str | Path, country: str | None = None
) -> tuple[CalibrationFile, Scenario]:
    """A calibration file and its scenario, checked against the observations of ``country``
    (default: the scenario's country, else the library's default)."""
    path = Path(path)
    calibration = load_file(path, CalibrationFile)
    source = referenced_file(path, "scenario", calibration.scenario, "calibration", library=True)
    scenario = load_scenario(source, citizens=calibration.citizens)
    observations = country_targets(country or getattr(scenario, "country", None))
    if problem := calibration.targets_problem(observations):
        raise InputError(f"{shown(path)}: targets: {problem}")
    ranges = calibration.parameters
    corners = {
        "the priors' lows": {k: r.low for k, r in ranges.items()},
        "the priors' highs": {k: r.high for k, r in ranges.items()},
    }
    for key, r in ranges.items():
        corners |= {f"the prior's low of {key}": {key: r.low}}
        corners |= {f"the prior's high of {key}": {key: r.high}}
    for label, values in corners.items():  # what spans parameters, before any run
        rounded = {k: round_to_field(k, v) for k, v in values.items()}
        scenario_at(scenario, rounded, path, "parameters", label)
    source = observations_file(country or getattr(scenario, "country", None) or default_country())
    if lines := window_problems(
        observations, scenario.start, scenario.end, source, f"{scenario.name!r} runs"
    ):  # an observation the runs cannot hold: refused before any run
        raise InputError("\n".join(lines))
    last_target = max(t.last for t in calibration.fit_targets(observations))
    if not last_target <= calibration.end <= scenario.end:
        raise InputError(
            f"{path}: end: {calibration.end} is not between the last observation used for fitting "
            f"and the scenario's end (allowed: {last_target} to {scenario.end})"
        )
    last_shown = max(t.last for t in observations)
    if not last_shown <= calibration.predict_until <= scenario.end:
        raise InputError(
            f"{path}: predict_until: {calibration.predict_until} is not between the last "
            f"observation and the scenario's end (allowed: {last_shown} to {scenario.end})"
        )
    return calibration, scenario


def run_calibration(
    path: Path,
    out: Path,
    *,
    workers: int = 1,
    dask: str | None = None,
    quiet: bool = False,
    country: str | None = None,
    names: ArgumentNames = KEYWORDS,
) -> dict:
    """Run ABC-SMC on the observations of ``country`` (default: the scenario's, else the
    library's default) and the posterior predictive check; write abc.db, posterior.csv,
    posterior_summary.csv, generations.csv, predictive.csv, posterior.png, pairs.png,
    predictive.png, calibrated.toml and calibration.md into ``out``. Returns the summary.
    ``names``: how a refusal names the arguments (the command line passes its options)."""
    import logging
    import time

    try:
        import pyabc
        from pyabc.weighted_statistics import effective_sample_size
    except ImportError:
        raise InputError("calibrate needs pyabc: pip install 'egov-sim[abc]'") from None

    from sim.analysis.abc import pairs_figure, posterior_figure, weighted_summary
    from sim.analysis.calibration import calibration_figure
    from sim.experiment.executors import start_dask
    from sim.experiment.posterior import Posterior

    calibration, scenario = load_calibration(path, country)
    observations = country_targets(country or getattr(scenario, "country", None))
    fit = calibration.fit_targets(observations)
    keys = list(calibration.parameters)
    logging.getLogger("ABC").setLevel(logging.WARNING if quiet else logging.INFO)
    for name in ("Sampler", "Epsilon", "Distance", "Acceptor", "pyabc"):
        logging.getLogger(f"ABC.{name}").setLevel(logging.WARNING)
    np.random.seed(calibration.root_seed)  # noqa: NPY002 - pyabc draws from the legacy global generator
    prior = pyabc.Distribution(
        **{
            f"p{i}": pyabc.RV(
                "uniform",
                calibration.parameters[k].low,
                calibration.parameters[k].high - calibration.parameters[k].low,
            )
            for i, k in enumerate(keys)
        }
    )
    with owned(out, "calibration", option=names.out) as folder:  # claimed before the first run
        client = cluster = None
        if dask:
            client, cluster = start_dask(dask, workers, names)
            sampler = pyabc.sampler.DaskDistributedSampler(dask_client=client)
        elif workers > 1:
            sampler = pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers)
        else:
            sampler = pyabc.sampler.SingleCoreSampler()
        noise = seed_noise(scenario, calibration, 1 if dask else workers, observations)
        model = CalibrationModel(scenario, keys, calibration.end, fit)
        observed = {t.name: 0.0 for t in fit}
        started = time.perf_counter()
        with folder.stage() as stage:
            stage.manifest = {"calibration": calibration.name, "file": str(path), **run_record()}
            try:
                abc = pyabc.ABCSMC(
                    model,
                    prior,
                    pyabc.PNormDistance(p=2),
                    population_size=calibration.population_size,
                    sampler=sampler,
                )
                abc.new(f"sqlite:///{stage.file('abc.db')}", observed)
                history = abc.run(
                    minimum_epsilon=calibration.min_epsilon,
                    max_nr_populations=calibration.generations,
                    min_eps_diff=calibration.min_eps_diff,
                )
            finally:
                if client is not None:
                    client.close()
                if cluster is not None:
                    cluster.close()
            abc_seconds = time.perf_counter() - started
            generations = _generations(history, effective_sample_size)
            generations.to_csv(stage.file("generations.csv"), index=False, float_format="%.6g")
            frame, weights = history.get_distribution(m=0, t=history.max_t)
            frame = frame.rename(columns={f"p{i}": k for i, k in enumerate(keys)})[keys]
            posterior = frame.assign(weight=weights / weights.sum())
            posterior.to_csv(stage.file("posterior.csv"), index=False, float_format="%.6g")
            summary = weighted_summary(posterior, keys, calibration.parameters)
            summary.to_csv(stage.file("posterior_summary.csv"), float_format="%.6g")
            stage.figure(posterior_figure(posterior, keys, calibration.parameters), "posterior")
            stage.figure(pairs_figure(posterior, keys, calibration.parameters), "pairs")

            # posterior predictive: parameter set k with seed k, to predict_until
            drawn = Posterior.of(posterior, keys, out / "posterior.csv").draws(
                calibration.predictive, calibration.root_seed
            )
            long = run_replicates(
                [scenario],
                paired_seeds(calibration.root_seed, calibration.predictive),
                draws=drawn,
                until=calibration.predict_until,
                workers=1 if dask else workers,
            )
            predictive = predictive_check(long, fit, observations)
            predictive.to_csv(stage.file("predictive.csv"), index=False, float_format="%.4g")
            stage.figure(
                calibration_figure(
                    long,
                    observations,
                    title=f"posterior predictive: {calibration.predictive} runs drawn from the "
                    f"posterior (fitted to observations up to {calibration.end}), 5-95% band",
                    fitted={t.name for t in fit},
                ),
                "predictive",
            )
            best = {k: float(summary.loc[k, "mean"]) for k in keys}
            stage.file("calibrated.toml").write_text(_calibrated_toml(calibration, path, best, out))
            last = generations.iloc[-1]
            info = {
                "generations": len(generations),
                "final_epsilon": float(last["epsilon"]),
                "evaluations": int(generations["samples"].sum()),
                "effective_sample_size": float(last["effective_sample_size"]),
                "seed_noise": noise,
                "abc_seconds": abc_seconds,
                "seconds": time.perf_counter() - started,
                "posterior_mean": best,
            }
            stage.file("calibration.md").write_text(
                _report(calibration, info, summary, generations, predictive)
            )
    return info


def _generations(history, effective_sample_size) -> pd.DataFrame:
    """Per generation: threshold, model runs, acceptance rate and effective sample size."""
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0]
    rows = []
    for _, row in populations.iterrows():
        _, weights = history.get_distribution(m=0, t=int(row["t"]))
        rows.append(
            {
                "generation": int(row["t"]),
                "epsilon": float(row["epsilon"]),
                "samples": int(row["samples"]),
                "acceptance_rate": float(row["particles"]) / max(int(row["samples"]), 1),
                "effective_sample_size": float(effective_sample_size(weights)),
            }
        )
    return pd.DataFrame(rows)


def predictive_check(
    long: pd.DataFrame, fitted=FIT_TARGETS, observations: tuple[Target, ...] = TARGETS
) -> pd.DataFrame:
    """Every observation against the posterior predictive runs: their mean and 5-95%
    interval, and whether the interval overlaps the observation's band. ``use`` says whether
    the calibration fitted it, it is held out, or it was left out of this calibration."""
    names = {t.name for t in fitted}
    rows = []
    for t in observations:
        values = np.array(
            [t.value(means_by_date(run)) for _, run in long.groupby("replicate", sort=True)]
        )
        low, high = np.quantile(values, [0.05, 0.95])
        rows.append(
            {
                "target": t.name,
                "use": "fit" if t.name in names else (t.use if t.use != "fit" else "not fitted"),
                "months": t.when,
                "observed": t.point,
                "band_low": t.low,
                "band_high": t.high,
                "mean": float(values.mean()),
                "q05": float(low),
                "q95": float(high),
                "covers": bool(low <= t.high and high >= t.low),
            }
        )
    return pd.DataFrame(rows)


def _calibrated_toml(
    calibration: CalibrationFile, path: Path, values: dict[str, float], out: Path
) -> str:
    """A scenario file extending the calibrated one with the posterior means."""
    import os

    source = Path(os.path.relpath((path.parent / calibration.scenario).resolve(), out.resolve()))
    data: dict = {
        "name": f"{calibration.name}_calibrated",
        "description": f"{Path(calibration.scenario).stem} with posterior-mean parameters",
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


def _report(
    calibration: CalibrationFile,
    info: dict,
    summary: pd.DataFrame,
    generations: pd.DataFrame,
    predictive: pd.DataFrame,
) -> str:
    rows = _table(
        ["parameter", "prior", "posterior mean", "sd", "95% interval", "sd / prior sd", "narrowed"],
        [
            [
                f"`{key}`",
                f"{calibration.parameters[key].low:g}..{calibration.parameters[key].high:g}",
                f"{r['mean']:.4g}",
                f"{r['sd']:.3g}",
                f"{r['q025']:.4g}..{r['q975']:.4g}",
                f"{r['sd_ratio']:.2f}",
                "yes" if r["narrowed"] else "no",
            ]
            for key, r in summary.iterrows()
        ],
    )
    gens = _table(
        ["generation", "threshold", "model runs", "acceptance", "effective sample size"],
        [
            [
                f"{int(g['generation'])}",
                f"{g['epsilon']:.4g}",
                f"{int(g['samples'])}",
                f"{g['acceptance_rate']:.2f}",
                f"{g['effective_sample_size']:.0f}",
            ]
            for _, g in generations.iterrows()
        ],
    )
    pred = _table(
        ["observation", "use", "months", "observed band", "predictive 5-95%", "overlaps"],
        [
            [
                r["target"],
                r["use"],
                r["months"],
                f"{r['band_low']:.3f}-{r['band_high']:.3f}",
                f"{r['q05']:.3f}-{r['q95']:.3f}",
                "yes" if r["covers"] else "NO",
            ]
            for _, r in predictive.iterrows()
        ],
    )
    return "\n".join(
        [
            f"# {calibration.name}: ABC-SMC calibration",
            "",
            calibration.description,
            "",
            f"{info['generations']} generations of {calibration.population_size} particles, "
            f"{info['evaluations']} model runs in {info['abc_seconds']:.0f} s; final distance "
            f"threshold {info['final_epsilon']:.4g} (in band half-widths); final effective "
            f"sample size {info['effective_sample_size']:.0f}. Seed noise alone (the scenario's "
            f"own parameters on {NOISE_SEEDS} seeds) gives a median distance of "
            f"{info['seed_noise']:.3g}: a threshold below it selects lucky seeds.",
            "",
            *gens,
            "",
            "A parameter counts as narrowed by the data when its posterior sd is below 0.8 of "
            "its uniform prior's.",
            "",
            *rows,
            "",
            "![posterior](posterior.png)",
            "",
            "![pairs](pairs.png)",
            "",
            f"Posterior predictive ({calibration.predictive} runs, parameter set k with seed k):",
            "",
            *pred,
            "",
            "![posterior predictive](predictive.png)",
            "",
            "`posterior.csv` can be drawn from by `egov-sim compare --posterior` and by "
            "experiment files (`posterior = ...`); `calibrated.toml` sets the posterior means.",
            "",
        ]
    )


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Lines of a Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]
