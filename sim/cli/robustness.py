"""``egov-sim robustness``: regret and satisficing of a batch's policies across its futures."""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli import _common as c
from sim.outputs import REGISTRY


def add(sub) -> None:
    p = sub.add_parser(
        "robustness",
        help="regret and satisficing of a batch's policies across its futures",
        description="Robust decision making over a batch's results: each scenario (policy) "
        "across the futures (design point x replicate, common seeds) by its mean with 95% CI, "
        "10th-percentile outcome, regret against the best policy of each future and, with "
        "--target, the share of futures meeting it (Wilson 95% CI); ranks the policies, and "
        "runs scenario discovery (PRIM) on the futures where the preferred one misses the "
        "target. Writes robustness.csv, regret.csv, robustness.md and robustness.png/.svg.",
    )
    p.add_argument("results", help="a batch results folder")
    p.add_argument("--metric", required=True, help="metric to judge, e.g. end_to_end_share")
    p.add_argument("--target", type=float, help="value a policy should reach (satisficing)")
    p.add_argument(
        "--direction",
        choices=["higher", "lower"],
        help="higher or lower values of the metric are better (default: the way the metric "
        "declares, e.g. lower for paper_documents_per_1000; needed for a metric that "
        "declares neither: "
        f"{', '.join(m.name for m in REGISTRY.values() if m.direction == 'none')})",
    )
    p.add_argument(
        "--criterion",
        choices=["regret", "satisficing", "mean", "p10"],
        help="rank policies by lowest maximum regret, largest satisficing share, best mean or "
        "best 10th percentile (default: satisficing with --target, else regret)",
    )
    p.add_argument("--date", help="month to read the outcome at (default: the last stored)")
    p.add_argument(
        "--window",
        type=c.positive,
        default=1,
        help="average over the last N stored months up to --date (default 1)",
    )
    p.add_argument("--out", help="output folder (default RESULTS/robustness)")
    c.quiet_option(p, "no summary")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.analysis.robustness import CRITERIA, box_lines, robustness_in_results, tail_label

    folder = Path(args.results)
    out = c.out_dir(args.out, folder / "robustness", "robustness")
    result = robustness_in_results(
        folder,
        args.metric,
        target=args.target,
        direction=args.direction,
        criterion=args.criterion,
        date=args.date,
        window=args.window,
        out=out,
    )
    if args.quiet:
        return c.EXIT_OK
    table = result["table"]
    target = result["target"]
    higher = result["direction"] == "higher"
    source = " (the metric's own)" if result.get("direction_source") == "registry" else ""
    print(
        f"{result['when'].replace('`', '')}, {result['direction']} is better{source}: "
        f"{result['description']}"
    )
    print(
        f"{len(table)} policies x {result['futures']} futures"
        + (f" (of {result['futures_total']})" if result["dropped"] else "")
    )
    for note in result["notes"]:
        print(f"note: {note}")
    width = max(len("policy"), *(len(p) for p in table["policy"])) + 2
    tail = tail_label(higher).split()[0]
    header = f"{'policy':{width}} {'mean [95% CI]':28} {tail:>9} {'max regret':>11}"
    if target is not None:
        header += f"  satisficing ({'>=' if higher else '<='} {target:g})"
    print(header)
    for row in table.itertuples():
        name = row.policy + (" *" if row.preferred else "")
        ci = f"{row.mean:.4g} [{row.mean_ci_low:.4g}, {row.mean_ci_high:.4g}]"
        line = f"{name:{width}} {ci:28} {row.p10:>9.4g} {row.max_regret:>11.4g}"
        if target is not None:
            line += (
                f"  {row.satisficing_share:6.1%} [{row.satisficing_ci_low:.0%}, "
                f"{row.satisficing_ci_high:.0%}]"
            )
        print(line)
    print(
        f"preferred: {result['preferred']} (criterion {result['criterion']}: "
        f"{CRITERIA[result['criterion']]})"
    )
    if result["discovery_note"] is not None:
        if result["discovery"] is not None:
            print(
                f"discovery: {result['preferred']} misses the target in {result['misses']} of "
                f"{result['futures']} futures"
            )
            for line in box_lines(result["discovery"]):
                print(f"  {line}")
        else:
            print(f"discovery {result['discovery_note']}")
    print(f"results in {out}/ (robustness.csv, regret.csv, robustness.md, robustness.png)")
    return c.EXIT_OK
