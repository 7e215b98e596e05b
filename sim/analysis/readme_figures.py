"""The README's figures and the numbers it quotes, taken from the folders the ordinary commands
write (``make figures``), so that what the README shows is what a user gets:

- ``policy_comparison.png``: the ``adoption`` figure of ``egov-sim report`` on ``make run``'s
  batch (``experiments/policy_comparison.toml``);
- ``status_quo.png``: the figure of ``egov-sim run scenarios/mongolia/status_quo.toml``;
- ``policy_comparison.csv``: the README's effects table and the levels its captions quote:
  for each scenario and metric of :data:`METRICS` at the horizon, the mean with its 95% CI and
  the range of 90% of the runs, and the paired difference from the reference with its 95% CI
  and the range of 90% of the runs; computed by the code of ``egov-sim report`` from the
  batch (``parameters = "posterior"``) and, when given, from an ``egov-sim compare`` of the
  same scenarios on the scenarios' own parameters (``parameters = "defaults"``).

Each input is checked against the manifest of the command that wrote it (a figure or table
copied in from elsewhere is refused), and the report against the batch it was made from.
Only these three files are written, each atomically.

    python -m sim.analysis.readme_figures [--batch DIR] [--run DIR] [--defaults DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import pandas as pd

from sim.analysis.effects import effects_at
from sim.analysis.names import scenario_titles
from sim.analysis.plots import SPREAD
from sim.analysis.results import load_results
from sim.atomic import write_atomic
from sim.errors import InputError, shown
from sim.folders import check_not_busy, read_manifest, verified

METRICS = ("online_users_share", "internet_share", "end_to_end_share")
"""The metrics of the table: the README quotes online use and internet access."""
FIGURES = {"policy_comparison.png": "report", "status_quo.png": "run"}
"""The README's figures and the kind of folder each is copied from."""
TABLE = "policy_comparison.csv"
COLUMNS = (
    "parameters",
    "scenario",
    "title",
    "metric",
    "date",
    "n",
    "mean",
    "ci_low",
    "ci_high",
    "q05",
    "q95",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "difference_q05",
    "difference_q95",
)
"""The table's columns: ``q05``/``q95`` the range of 90% of the runs' values (5%-95%
quantiles), ``difference_q05``/``_q95`` that of the runs' paired differences."""


def levels_table(
    long: pd.DataFrame, date: str, reference: str, titles: dict[str, str], parameters: str
) -> pd.DataFrame:
    """Each scenario's value of :data:`METRICS` at ``date``: mean with 95% CI, the range of
    90% of the runs, and the paired difference from ``reference`` (``effects_at``)."""
    metrics = [m for m in METRICS if m in long]
    table = effects_at(long, date, reference, metrics)
    at = long[long["date"] == date].melt(
        id_vars=["scenario"], value_vars=metrics, var_name="metric"
    )
    grouped = at.groupby(["scenario", "metric"])["value"]
    spread = pd.DataFrame(
        {"q05": grouped.quantile(SPREAD[0]), "q95": grouped.quantile(SPREAD[1])}
    ).reset_index()
    table = table.merge(spread, on=["scenario", "metric"], how="left")
    table["parameters"] = parameters
    table["title"] = table["scenario"].map(lambda s: titles.get(s, s))
    return table[list(COLUMNS)]


def _batch_table(batch: Path) -> tuple[pd.DataFrame, dict]:
    long, manifest = load_results(batch)
    table = levels_table(
        long, long["date"].max(), manifest["reference"], scenario_titles(manifest), "posterior"
    )
    if not manifest["design"].get("posterior"):
        table["parameters"] = "defaults"
    return table, manifest


def _compare_table(folder: Path) -> pd.DataFrame:
    """The same table from an ``egov-sim compare`` folder (its runs.csv, checked)."""
    check_not_busy(folder)
    manifest = read_manifest(folder, ("compare",))
    long = pd.read_csv(io.BytesIO(verified(folder, manifest, "runs.csv")))
    names = manifest.get("scenarios") or list(dict.fromkeys(long["scenario"]))
    titles = manifest.get("titles") or {}
    parameters = "posterior" if manifest.get("posterior_draws") else "defaults"
    return levels_table(long, long["date"].max(), names[0], titles, parameters)


def _report_figure(batch: Path, batch_manifest: dict) -> bytes:
    folder = batch / "report"
    check_not_busy(folder)
    manifest = read_manifest(folder, ("report",))
    if manifest.get("results_sha256") != batch_manifest["files"]["results.parquet"]["sha256"]:
        raise InputError(
            f"{shown(folder)}: made from other results than {shown(batch)}'s; run egov-sim "
            f"report {shown(batch)} again"
        )
    return verified(folder, manifest, "adoption.png")


def _run_figure(run: Path) -> bytes:
    check_not_busy(run)
    return verified(run, read_manifest(run, ("run",)), "adoption.png")


def readme_figures(batch: Path, run: Path, out: Path, defaults: Path | None = None) -> list[Path]:
    """Write the README's two figures and its table into ``out`` (see the module's
    docstring); every input is read and checked before anything is written."""
    batch, run, out = Path(batch), Path(run), Path(out)
    table, manifest = _batch_table(batch)
    if defaults is not None:
        table = pd.concat([_compare_table(Path(defaults)), table], ignore_index=True)
    files = {
        "policy_comparison.png": _report_figure(batch, manifest),
        "status_quo.png": _run_figure(run),
    }
    written = []
    for name, data in files.items():
        write_atomic(out / name, lambda tmp, data=data: tmp.write_bytes(data))
        written.append(out / name)
    text = table.to_csv(index=False, float_format="%.6g")
    write_atomic(out / TABLE, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return [*written, out / TABLE]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sim.analysis.readme_figures",
        description="Copy the README's figures from make run's report and a status_quo run "
        "(each checked against its manifest) and write the table of the numbers the README "
        "quotes (make figures runs the commands that make the inputs, then this).",
    )
    parser.add_argument("--batch", default="results/policy_comparison", help="make run's batch")
    parser.add_argument("--run", default="results/status_quo", help="a status_quo run")
    parser.add_argument(
        "--defaults",
        default=None,
        help="an egov-sim compare of the same scenarios without --posterior (optional)",
    )
    parser.add_argument("--out", default="docs/figures", help="where the README's figures are")
    args = parser.parse_args(argv)
    try:
        written = readme_figures(args.batch, args.run, args.out, args.defaults)
    except InputError as exc:
        print(f"readme_figures: {exc}", file=sys.stderr)
        return 2
    print("wrote " + ", ".join(shown(p) for p in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
