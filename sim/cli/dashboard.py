"""``egov-sim dashboard``: the interactive dashboard (a Solara page) on 127.0.0.1."""

from __future__ import annotations

import argparse
import sys

from sim.cli import _common as c


def add(sub) -> None:
    p = sub.add_parser(
        "dashboard",
        help="the interactive dashboard (a Solara page) on 127.0.0.1",
        description="Start the dashboard for students: sliders and switches, live plots, an "
        "agency table, a network picture and a scenario export. Listens on 127.0.0.1 unless "
        "--host says otherwise; a port in use is refused (exit 2) before anything starts. "
        "Ctrl-C, SIGTERM or SIGHUP stops the dashboard and its server.",
    )
    p.add_argument(
        "scenario",
        nargs="?",
        help="the scenario to start from: a library name or a scenario file, e.g. one the "
        "dashboard exported (status_quo)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=c.positive, default=8765, help="port (8765)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.dashboard.server import ServerError, check_port, check_scenario, serve

    scenario = check_scenario(args.scenario)
    check_port(args.host, args.port)  # before anything is printed
    print(f"egov-sim dashboard: http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    try:
        return serve(scenario, args.host, args.port)
    except ServerError as exc:
        print(f"egov-sim dashboard: {exc}", file=sys.stderr)
        return c.EXIT_FAILED
