"""The ``egov-sim`` command: thin sub-commands over the package.

Exit status: 0 success, 1 an unexpected failure, 2 bad input (a file, a key or an option),
130 interrupted. Bad input is reported as one line on stderr, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from sim.experiment.store import OutputError
from sim.resources import check_memory
from sim.scenario import ScenarioError, load_scenario


def default_workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


SCENARIO_DIR = Path("scenarios")
RESULTS_DIR = Path("results")
EXIT_BAD_INPUT = 2


def _check_out(out: Path, option: str = "--out") -> Path:
    """An output folder must be a folder or creatable: refuse a path through a file."""
    for folder in (out, *out.parents):
        if folder.exists():
            if not folder.is_dir():
                raise ScenarioError(f"{option}: {folder} is a file, not a folder")
            break
    return out


def _guard(check) -> None:
    """Run a resource check; a refusal is bad input (exit 2), nothing allocated yet."""
    from sim.resources import ResourceError

    try:
        check()
    except ResourceError as exc:
        raise ScenarioError(str(exc)) from None


def _guard_plan(plan, out: Path, workers: int, source: str) -> None:
    """Memory for the largest run times the workers, and disk for the stored results."""
    from sim.resources import check_disk

    largest = max(sc.n_citizens for sc in plan.scenarios)
    months = max(sc.n_months for sc in plan.scenarios)
    kept = months // plan.experiment.output.every + 1
    columns = len(plan.experiment.output.metric_names()) + 6 + len(plan.swept)
    _guard(lambda: check_memory(largest, min(workers, len(plan.runs)), f"{source}: citizens"))
    _guard(lambda: check_disk(out, len(plan.runs) * kept * columns, f"{source}: design"))


def _citizens(text: str) -> int | str:
    if text == "national":
        return text
    try:
        return int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not a whole number or "national"') from None


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{value} is outside 0..2**63-1")
    return value


def cmd_run(args: argparse.Namespace) -> int:
    from sim.experiment.runner import run_scenario

    scenario = load_scenario(args.scenario, seed=args.seed, citizens=args.citizens)
    out = _check_out(Path(args.out) if args.out else RESULTS_DIR / scenario.name)
    _guard(lambda: check_memory(scenario.n_citizens, 1, f"{args.scenario}: citizens"))
    frame, manifest = run_scenario(
        scenario, out, source=str(args.scenario), quiet=args.quiet, panel=args.panel
    )
    if not args.quiet:
        print(_summary(frame, manifest, out))
    return 0


def _summary(frame, manifest, out: Path) -> str:
    first, last = frame.iloc[1], frame.iloc[-1]
    rows = [
        ("internet access", "internet_share"),
        ("completed online (12 months)", "online_users_share"),
        ("transactions end to end", "end_to_end_share"),
        ("mean trust", "mean_trust"),
        ("mean paper habit", "mean_paper_habit"),
        ("urban - rural gap", "urban_rural_gap"),
        ("young - old gap", "age_gap"),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [
        f"{manifest['scenario']}: {manifest['citizens']:,} adults, {manifest['months']} months, "
        f"seed {manifest['seed']}, {manifest['wall_seconds']:.1f} s",
        f"{'':{width}}  {first['date']:>8}  {last['date']:>8}",
    ]
    lines += [f"{label:{width}}  {first[key]:8.3f}  {last[key]:8.3f}" for label, key in rows]
    lines.append(f"results in {out}/ ({', '.join(manifest['files'])})")
    return "\n".join(lines)


def cmd_validate(args: argparse.Namespace) -> int:
    status = 0
    for path in args.files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            print(exc, file=sys.stderr)
            status = EXIT_BAD_INPUT
            continue
        if not args.quiet:
            print(
                f"{path}: ok ({scenario.name}: {scenario.start} to {scenario.end}, "
                f"{scenario.n_citizens:,} adults, {len(scenario.interventions)} interventions)"
            )
    return status


def cmd_schema(args: argparse.Namespace) -> int:
    from sim.scenario import scenario_json_schema, scenario_reference_markdown

    if args.markdown:
        sys.stdout.write(scenario_reference_markdown())
        return 0
    print(json.dumps(scenario_json_schema(), indent=2))
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    from sim.params import iter_parameters, parameters_markdown

    if args.markdown:
        sys.stdout.write(parameters_markdown())
        return 0
    for path, info, default in iter_parameters():
        value = default.model_dump() if hasattr(default, "model_dump") else default
        print(f"{path} = {value}  # {info.description}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise ScenarioError(f"{folder}: no scenario files (*.toml)")
    width = max(len(f.stem) for f in files)
    status = 0
    for path in files:
        try:
            scenario = load_scenario(path)
            print(f"{path.stem:{width}}  {scenario.description}")
        except ScenarioError as exc:
            print(f"{path.stem:{width}}  INVALID: {exc}")
            status = EXIT_BAD_INPUT
    return status


def cmd_compare(args: argparse.Namespace) -> int:
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    from sim.analysis.effects import HEADLINE, effects_at
    from sim.analysis.plots import comparison_figure
    from sim.experiment.replicates import paired_seeds, run_replicates
    from sim.experiment.store import StagedDir

    scenarios = [load_scenario(path, citizens=args.citizens) for path in args.scenarios]
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ScenarioError(
            f"{args.scenarios[0]}: scenarios to compare need distinct names "
            f"(got {', '.join(names)})"
        )
    horizons = {(s.start, s.end) for s in scenarios}
    if len(horizons) != 1:
        raise ScenarioError(
            f"{args.scenarios[-1]}: start/end differ between the scenarios "
            "(allowed: one common horizon)"
        )
    out = _check_out(
        Path(args.out) if args.out else RESULTS_DIR / ("compare_" + "_".join(names))[:120]
    )
    seeds = paired_seeds(args.seed, args.seeds)
    with tqdm(
        total=len(scenarios) * len(seeds),
        unit="run",
        disable=args.quiet,
        file=sys.stderr,
        desc="compare",
    ) as bar:
        long = run_replicates(scenarios, seeds, workers=args.workers, progress=bar.update)
    horizon = scenarios[0].end
    table = effects_at(long, horizon, reference=names[0], metrics=HEADLINE)

    staged = StagedDir(out)
    try:
        table.to_csv(staged.file("comparison.csv"), index=False, float_format="%.6g")
        long.to_csv(staged.file("runs.csv"), index=False, float_format="%.6g")
        fig = comparison_figure(
            long, title=f"{' vs '.join(names)}: mean of {len(seeds)} paired seeds, 5-95% band"
        )
        fig.savefig(staged.file("comparison.png"), dpi=120)
        plt.close(fig)
        staged.publish()
    except BaseException:
        staged.discard()
        raise
    if not args.quiet:
        print(_effect_text(table, names[0], horizon, len(seeds)))
        print(f"results in {out}/ (comparison.csv, comparison.png, runs.csv)")
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from sim.experiment.batch import run_batch
    from sim.experiment.spec import load_experiment

    plan = load_experiment(args.experiment)
    out = _check_out(Path(args.out) if args.out else RESULTS_DIR / plan.experiment.name)
    _guard_plan(plan, out, args.workers if not args.dask else 1, args.experiment)
    summary = run_batch(
        plan, out, workers=args.workers, dask=args.dask, resume=args.resume, quiet=args.quiet
    )
    if not args.quiet:
        print(
            f"{plan.experiment.name}: {summary.total} runs ({summary.skipped} already done, "
            f"{summary.done} run now, {summary.failed} failed) in {summary.seconds:.1f} s"
        )
        for run_id, error in list(summary.failures.items())[:5]:
            print(f"  failed {run_id}: {error}")
        print(
            f"results in {out}/ (results.parquet, results.csv, manifest.json, runs/); "
            f"next: egov-sim report {out}"
        )
    return 1 if summary.failed else 0


def cmd_report(args: argparse.Namespace) -> int:
    from sim.analysis.report import write_report

    written = write_report(Path(args.results), quiet=args.quiet)
    if not args.quiet:
        print(
            f"wrote {len(written)} files in {Path(args.results) / 'report'}/ "
            "(report.md, figures as PNG and SVG)"
        )
    return 0


def cmd_validate_model(args: argparse.Namespace) -> int:
    import matplotlib.pyplot as plt
    import pandas as pd
    from tqdm import tqdm

    from sim.analysis.validation import stylised_facts, validation_figure
    from sim.experiment.replicates import paired_seeds, run_replicates
    from sim.experiment.store import StagedDir

    names = ("history", "status_quo", "security_shock")
    scenarios = [load_scenario(SCENARIO_DIR / f"{n}.toml", citizens=args.citizens) for n in names]
    seeds = paired_seeds(args.seed, args.seeds)
    with tqdm(
        total=len(scenarios) * len(seeds),
        unit="run",
        disable=args.quiet,
        file=sys.stderr,
        desc="validate-model",
    ) as bar:
        long = run_replicates(scenarios, seeds, workers=args.workers, progress=bar.update)
    checks = stylised_facts(long)
    table = pd.DataFrame([c.__dict__ for c in checks])
    out = Path(args.out) if args.out else RESULTS_DIR / "validation"
    staged = StagedDir(out)
    try:
        table.to_csv(staged.file("validation.csv"), index=False)
        fig = validation_figure(long)
        fig.savefig(staged.file("validation.png"), dpi=120)
        plt.close(fig)
        for name, fig in _docking_figures().items():
            fig.savefig(staged.file(f"{name}.png"), dpi=120)
            plt.close(fig)
        staged.publish()
    except BaseException:
        staged.discard()
        raise
    if not args.quiet:
        for c in checks:
            print(
                f"{'PASS' if c.passed else 'FAIL'}  {c.pattern}\n      {c.figure}\n"
                f"      source: {c.source}"
            )
        print(
            f"{sum(c.passed for c in checks)} of {len(checks)} patterns reproduced "
            f"({len(seeds)} seeds each); results in {out}/"
        )
    return 0 if all(c.passed for c in checks) else 1


def cmd_sensitivity(args: argparse.Namespace) -> int:
    import matplotlib.pyplot as plt
    import pandas as pd

    from sim.analysis.sensitivity import indices, indices_figure
    from sim.experiment.batch import run_batch
    from sim.experiment.sensitivity import load_sensitivity
    from sim.experiment.store import write_text_atomic

    sens = load_sensitivity(args.file)
    spec = sens.spec
    out = Path(args.out) if args.out else RESULTS_DIR / spec.name
    summary = run_batch(
        sens.plan, out, workers=args.workers, dask=args.dask, resume=args.resume, quiet=args.quiet
    )
    if summary.failed:
        raise ScenarioError(
            f"{args.file}: {summary.failed} runs failed (see {out}/runs/*.error); "
            "fix and rerun with --resume"
        )
    results = pd.read_parquet(out / "results.parquet")
    table = indices(
        spec.method,
        sens.problem,
        sens.sample,
        sens.outputs(results),
        levels=spec.morris.levels,
        seed=spec.root_seed % 2**32,
    )
    table.to_csv(out / "sensitivity.csv", index=False, float_format="%.6g")
    fig = indices_figure(table, spec.method)
    for ext in ("png", "svg"):
        fig.savefig(out / f"sensitivity.{ext}", dpi=120)
    plt.close(fig)
    key = "mu_star" if spec.method == "morris" else "ST"
    text = [
        f"# {spec.name}: {spec.method} sensitivity",
        "",
        spec.description,
        "",
        f"{len(sens.plan.runs)} runs ({len(sens.sample)} sample points x "
        f"{spec.replications} seeds) of `{spec.scenario}`.",
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
    write_text_atomic(out / "sensitivity.md", "\n".join(text) + "\n")
    if not args.quiet:
        for (metric, date), rows in table.groupby(["metric", "date"], sort=False):
            print(f"{metric} at {date}: most influential by {key}")
            for row in rows.head(8).itertuples():
                conf = getattr(row, f"{key}_conf")
                print(f"  {row.parameter:48} {getattr(row, key):8.4f} +- {conf:.4f}")
        print(f"results in {out}/ (sensitivity.csv, sensitivity.png, sensitivity.md)")
    return 0


def cmd_discover(args: argparse.Namespace) -> int:
    import json

    import matplotlib.pyplot as plt

    from sim.analysis.discovery import cases, discover, discovery_figure
    from sim.analysis.report import load_results

    folder = Path(args.results)
    results, manifest = load_results(folder)
    points = manifest["design"]["points"]
    swept = list(points[0]) if points and points[0] else []
    if not swept:
        raise ScenarioError(f"{folder}: the batch has no parameter sweep to discover boxes in")
    if args.metric not in results.columns:
        allowed = [c for c in results.columns if c not in ("scenario", "date", "step", *swept)]
        raise ScenarioError(
            f"--metric: {args.metric!r} is not in the results (allowed: {', '.join(allowed)})"
        )
    scenarios = list(dict.fromkeys(results["scenario"]))
    scenario = args.scenario or next(
        (s for s in scenarios if s != manifest["reference"]), scenarios[0]
    )
    if scenario not in scenarios:
        raise ScenarioError(
            f"--scenario: {scenario!r} is not in the results (allowed: {', '.join(scenarios)})"
        )
    x, miss, date = cases(
        results,
        swept,
        scenario,
        args.metric,
        args.threshold,
        below=args.direction == "below",
        date=args.date,
    )
    if miss.sum() == 0 or miss.all():
        raise ScenarioError(
            f"--threshold: {'no' if miss.sum() == 0 else 'every'} run of "
            f"{scenario} is {args.direction} {args.threshold} for {args.metric} "
            f"at {date}; choose a threshold inside the results' range "
            f"({results[args.metric].min():.4g} to {results[args.metric].max():.4g})"
        )
    limits, stats, trajectory = discover(x, miss)
    out = Path(args.out) if args.out else folder / "discovery"
    out.mkdir(parents=True, exist_ok=True)
    limits.to_csv(out / "box.csv", float_format="%.6g")
    trajectory.to_csv(out / "peeling_trajectory.csv", index=False, float_format="%.6g")
    (out / "box.json").write_text(
        json.dumps(
            {
                "scenario": scenario,
                "metric": args.metric,
                "date": date,
                "threshold": args.threshold,
                "miss_when": args.direction,
                **stats,
                "limits": limits.reset_index().to_dict("records"),
            },
            indent=2,
        )
        + "\n"
    )
    title = (
        f"{scenario}: {args.metric} at {date} {args.direction} {args.threshold} "
        f"(coverage {stats['coverage']:.0%}, density {stats['density']:.0%})"
    )
    fig = discovery_figure(x, miss, limits, trajectory, title)
    for ext in ("png", "svg"):
        fig.savefig(out / f"discovery.{ext}", dpi=120)
    plt.close(fig)
    if not args.quiet:
        print(
            f"{scenario} misses ({args.metric} {args.direction} {args.threshold} at {date}) in "
            f"{stats['cases_of_interest']} of {stats['runs']} runs."
        )
        print(
            f"PRIM box: coverage {stats['coverage']:.1%}, density {stats['density']:.1%}, "
            f"mass {stats['mass']:.1%}, {stats['restricted_dimensions']} restricted dimensions"
        )
        for name, row in limits.iterrows():
            print(
                f"  {name:48} {row['min']:.4g} .. {row['max']:.4g}  (quasi-p {row['quasi_p']:.2g})"
            )
        print(f"results in {out}/ (box.csv, box.json, peeling_trajectory.csv, discovery.png)")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.experiment.calibrate import load_calibration, run_calibration

    spec, _ = load_calibration(args.file)  # validate before anything runs
    out = Path(args.out) if args.out else RESULTS_DIR / spec.name
    info = run_calibration(
        Path(args.file), out, workers=args.workers, dask=args.dask, quiet=args.quiet
    )
    if not args.quiet:
        print(
            f"{spec.name}: {info['generations']} generations, {info['evaluations']} runs, "
            f"final distance threshold {info['final_epsilon']:.4g}"
        )
        for key, value in info["posterior_mean"].items():
            print(f"  {key:48} posterior mean {value:.4g}")
        print(
            f"results in {out}/ (posterior.csv, posterior_summary.csv, posterior.png, "
            "calibrated.toml, calibration.md, abc.db)"
        )
    return 0


def _docking_figures() -> dict:
    """Run the docking configurations of scenarios/docking/ and draw them."""
    from sim.analysis.validation import bass_figure, granovetter_figure
    from sim.model.model import AdoptionModel

    def with_learning(name: str, **learning):
        data = load_scenario(SCENARIO_DIR / "docking" / f"{name}.toml").model_dump(mode="python")
        data["params"]["learning"].update(learning)
        return type(load_scenario(SCENARIO_DIR / "status_quo.toml")).model_validate(data)

    def aware(scenario):
        model = AdoptionModel(scenario, seed=1, agent_views=False)
        frame = model.run().timeseries()
        model.close()
        return frame["aware_share"].to_numpy()

    pairs = [(0.01, 0.1), (0.003, 0.3), (0.02, 0.05), (0.05, 0.5)]
    curves = {
        (p, q): aware(with_learning("bass", p_aware_media=p, p_aware_peer=q)) for p, q in pairs
    }
    spreads = [0.05, 0.08, 0.10, 0.11, 0.12, 0.13, 0.14, 0.16, 0.20, 0.30]
    final = [aware(with_learning("granovetter", threshold_sd=s))[-1] for s in spreads]
    return {
        "docking_bass": bass_figure(curves),
        "docking_granovetter": granovetter_figure(spreads, final, 0.25),
    }


def cmd_dashboard(args: argparse.Namespace) -> int:
    import subprocess

    name = Path(args.scenario).stem if args.scenario else "status_quo"
    if name not in {p.stem for p in SCENARIO_DIR.glob("*.toml")}:
        raise ScenarioError(
            f"{args.scenario}: not in the scenario library (allowed: "
            f"{', '.join(sorted(p.stem for p in SCENARIO_DIR.glob('*.toml')))})"
        )
    load_scenario(SCENARIO_DIR / f"{name}.toml")  # refuse an invalid file before starting
    app = Path(__file__).resolve().parent / "dashboard" / "app.py"
    env = {**os.environ, "EGOV_SIM_SCENARIO": name}
    print(f"egov-sim dashboard: http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    cmd = [
        sys.executable,
        "-m",
        "solara",
        "run",
        str(app),
        "--host",
        args.host,
        "--port",
        str(args.port),
        "--no-open",
        "--production",
    ]
    try:
        return subprocess.call(cmd, env=env)
    except Exception as exc:
        from sim.experiment.batch import OutputError

        if not isinstance(exc, OutputError):
            raise
        print(f"egov-sim: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


def cmd_check_calibration(args: argparse.Namespace) -> int:
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    from sim.analysis.calibration import calibration_figure, check
    from sim.experiment.replicates import paired_seeds, run_replicates
    from sim.experiment.store import StagedDir

    scenario = load_scenario(args.scenario, citizens=args.citizens)
    seeds = paired_seeds(args.seed, args.seeds)
    with tqdm(
        total=len(seeds), unit="run", disable=args.quiet, file=sys.stderr, desc="calibration"
    ) as bar:
        long = run_replicates([scenario], seeds, workers=args.workers, progress=bar.update)
    table = check(long)
    out = Path(args.out) if args.out else RESULTS_DIR / f"calibration_{scenario.name}"
    staged = StagedDir(out)
    try:
        table.to_csv(staged.file("calibration.csv"), index=False, float_format="%.4g")
        fig = calibration_figure(long)
        fig.savefig(staged.file("calibration.png"), dpi=120)
        plt.close(fig)
        staged.publish()
    except BaseException:
        staged.discard()
        raise
    if not args.quiet:
        cols = ["metric", "months", "observed", "model_min", "model_max", "inside"]
        print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        print(f"results in {out}/ (calibration.csv, calibration.png)")
    return 0 if table["inside"].all() else 1


def _effect_text(table, reference: str, horizon: str, n: int) -> str:
    lines = [
        f"At {horizon}, mean of {n} paired seeds; difference from {reference} with 95% CI "
        "(* = CI excludes 0)"
    ]
    for metric, rows in table.groupby("metric", sort=False):
        lines.append(f"{metric}")
        for row in rows.itertuples():
            if row.scenario == reference:
                lines.append(f"  {row.scenario:28} {row.mean:10.4g}")
            else:
                star = "*" if row.significant else " "
                lines.append(
                    f"  {row.scenario:28} {row.mean:10.4g}  {row.difference:+10.4g} "
                    f"[{row.difference_ci_low:+.4g}, {row.difference_ci_high:+.4g}] {star}"
                )
    return "\n".join(lines)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def _replicate_options(parser: argparse.ArgumentParser, seeds: int, out: str) -> None:
    """Options shared by the commands that run scenarios over paired seeds."""
    parser.add_argument(
        "--seeds", type=_positive, default=seeds, help=f"paired replicates ({seeds})"
    )
    parser.add_argument("--seed", type=_seed, default=0, help="root seed of the replicates (0)")
    parser.add_argument(
        "--workers",
        type=_positive,
        default=default_workers(),
        help="worker processes (default: the number of cores)",
    )
    parser.add_argument("--citizens", type=_citizens, help='adults per run, or "national"')
    parser.add_argument("--out", help=f"output folder (default {out})")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or table")


def _executor_options(parser: argparse.ArgumentParser, out: str, resume: bool = True) -> None:
    """Options shared by the commands that run a design on processes or Dask."""
    parser.add_argument(
        "--workers",
        type=_positive,
        default=default_workers(),
        help="worker processes (default: the number of cores)",
    )
    parser.add_argument(
        "--dask",
        metavar="ADDRESS|local",
        help="run on Dask: 'local' starts a LocalCluster on 127.0.0.1, an "
        "address (tcp://host:8786) connects to an existing scheduler",
    )
    if resume:
        parser.add_argument("--resume", action="store_true", help="skip runs already finished")
    parser.add_argument("--out", help=f"output folder (default {out})")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="egov-sim",
        description="Agent-based model of digital public-service adoption in Mongolia.",
    )
    parser.add_argument("--version", action="version", version="%(prog)s 0.1.0")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run one scenario and write results/<name>/",
        description="Run one scenario; write timeseries.csv, adoption.png and "
        "manifest.json into results/<scenario name>/ (or --out).",
    )
    run.add_argument("scenario", help="scenario file (TOML)")
    run.add_argument("--seed", type=_seed, help="override the scenario's seed")
    run.add_argument("--citizens", type=_citizens, help='number of adults, or "national" (1:1)')
    run.add_argument("--out", help="output folder (default results/<scenario name>)")
    run.add_argument(
        "--panel",
        type=_positive,
        default=0,
        metavar="N",
        help="also track N sampled citizens month by month into panel.csv",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    run.set_defaults(func=cmd_run)

    val = sub.add_parser("validate", help="check scenario files without running them")
    val.add_argument("files", nargs="+", help="scenario files (TOML)")
    val.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    val.set_defaults(func=cmd_validate)

    schema = sub.add_parser("schema", help="print the JSON Schema of scenario files")
    schema.add_argument(
        "--markdown", action="store_true", help="the reference tables of docs/scenarios.md instead"
    )
    schema.set_defaults(func=cmd_schema)

    params = sub.add_parser("params", help="list every parameter with its default")
    params.add_argument("--markdown", action="store_true", help="the table of docs/parameters.md")
    params.set_defaults(func=cmd_params)

    cmp_ = sub.add_parser(
        "compare",
        help="run scenarios over paired seeds and compare them",
        description="Run each scenario over N paired seeds (replicate k of "
        "every scenario uses the same seed), print each headline metric at the "
        "horizon with its difference from the first scenario and a 95% CI, and "
        "write comparison.csv, comparison.png and runs.csv.",
    )
    cmp_.add_argument("scenarios", nargs="+", help="scenario files; the first is the reference")
    _replicate_options(cmp_, 10, "results/compare_<names>")
    cmp_.set_defaults(func=cmd_compare)

    bat = sub.add_parser(
        "batch",
        help="run an experiment file (scenarios x replicates x sweep)",
        description="Run an experiment's runs on local processes (default) or a "
        "Dask cluster, writing each run as it finishes into "
        "results/<experiment>/; --resume continues an interrupted batch.",
    )
    bat.add_argument("experiment", help="experiment file (TOML)")
    _executor_options(bat, "results/<experiment name>")
    bat.set_defaults(func=cmd_batch)

    rep = sub.add_parser(
        "report",
        help="figures and an effect table from a batch's results",
        description="Write RESULTS_DIR/report/: adoption curves with 90%% bands, "
        "gaps, sweep plots (PNG and SVG) and report.md with the effects against "
        "the reference scenario (95%% CIs, paired by seed).",
    )
    rep.add_argument("results", help="a batch's results folder")
    rep.add_argument("-q", "--quiet", action="store_true")
    rep.set_defaults(func=cmd_report)

    cal = sub.add_parser(
        "check-calibration",
        help="run a scenario over seeds against the observed ranges of DOMAIN.md",
        description="Run the scenario (default scenarios/history.toml) over "
        "paired seeds and check it against the observed ranges; exit 1 if any "
        "range is missed.",
    )
    cal.add_argument("scenario", nargs="?", default=str(SCENARIO_DIR / "history.toml"))
    _replicate_options(cal, 10, "results/calibration_<name>")
    cal.set_defaults(func=cmd_check_calibration)

    vm = sub.add_parser(
        "validate-model",
        help="check the stylised facts of DOMAIN.md (pattern-oriented validation)",
        description="Run history, status_quo and security_shock over paired "
        "seeds and check the stylised facts of shared/DOMAIN.md; print a "
        "pass/fail table with figures; exit 1 if a pattern is missed.",
    )
    _replicate_options(vm, 5, "results/validation")
    vm.set_defaults(func=cmd_validate_model)

    dash = sub.add_parser(
        "dashboard",
        help="the interactive dashboard (Mesa SolaraViz) on 127.0.0.1",
        description="Start the dashboard for students: sliders and switches, live plots, an "
        "agency table, a network picture and a scenario export. Listens on 127.0.0.1 unless "
        "--host says otherwise.",
    )
    dash.add_argument("scenario", nargs="?", help="scenario of the library to start from")
    dash.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    dash.add_argument("--port", type=_positive, default=8765, help="port (8765)")
    dash.set_defaults(func=cmd_dashboard)

    cab = sub.add_parser(
        "calibrate",
        help="ABC-SMC calibration against DOMAIN.md's ranges",
        description="Calibrate the parameters of a calibration file with ABC-SMC (pyabc) "
        "against the observed ranges; write the posterior, a figure and a calibrated scenario "
        "file.",
    )
    cab.add_argument("file", help="calibration file (TOML), e.g. experiments/calibrate.toml")
    cab.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="local processes (1: single core, reproducible for the root seed)",
    )
    cab.add_argument("--dask", metavar="ADDRESS|local", help="evaluate particles on Dask")
    cab.add_argument("--out", help="output folder (default results/<name>)")
    cab.add_argument("-q", "--quiet", action="store_true")
    cab.set_defaults(func=cmd_calibrate)

    sen = sub.add_parser(
        "sensitivity",
        help="Morris screening or Sobol indices (SALib)",
        description="Run a sensitivity file's SALib sample as a batch (local "
        "processes or Dask, resumable) and write indices with 95%% CIs and a "
        "bar chart.",
    )
    sen.add_argument("file", help="sensitivity file (TOML), e.g. experiments/morris.toml")
    _executor_options(sen, "results/<name>")
    sen.set_defaults(func=cmd_sensitivity)

    dis = sub.add_parser(
        "discover",
        help="scenario discovery with PRIM over a sweep's results",
        description="Find the box of swept parameters in which a scenario "
        "misses a threshold (PRIM), with coverage and density, and plot it.",
    )
    dis.add_argument("results", help="a batch results folder with a parameter sweep")
    dis.add_argument("--metric", required=True, help="metric to test, e.g. end_to_end_share")
    dis.add_argument("--threshold", type=float, required=True, help="target value")
    dis.add_argument(
        "--direction",
        choices=["below", "above"],
        default="below",
        help="a run misses when the metric is below (default) or above the target",
    )
    dis.add_argument("--scenario", help="scenario to study (default: the first non-reference)")
    dis.add_argument("--date", help="month to test (default: the last)")
    dis.add_argument("--out", help="output folder (default RESULTS/discovery)")
    dis.add_argument("-q", "--quiet", action="store_true")
    dis.set_defaults(func=cmd_discover)

    lst = sub.add_parser("list", help="list the scenario library with a line each")
    lst.add_argument("folder", nargs="?", default=str(SCENARIO_DIR), help="default: scenarios/")
    lst.set_defaults(func=cmd_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ScenarioError as exc:  # bad input: one line, nothing written
        print(exc, file=sys.stderr)
        return EXIT_BAD_INPUT
    except OutputError as exc:  # the results folder failed: finished runs are kept
        print(f"egov-sim: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into head and the like
        return 0
    except OSError as exc:  # the disk, not the input
        where = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        print(
            f"egov-sim: {where}{exc.strerror or exc}; nothing partial was written", file=sys.stderr
        )
        return 1
    except KeyboardInterrupt:
        print(
            "egov-sim: interrupted; finished outputs are kept, nothing partial was written",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
