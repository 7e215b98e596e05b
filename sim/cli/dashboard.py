"""``egov-sim dashboard``: the interactive dashboard (Mesa SolaraViz) on 127.0.0.1."""

from __future__ import annotations

import argparse

from sim.cli import _common as c


def add(sub) -> None:
    p = sub.add_parser(
        "dashboard",
        help="the interactive dashboard (Mesa SolaraViz) on 127.0.0.1",
        description="Start the dashboard for students: sliders and switches, live plots, an "
        "agency table, a network picture and a scenario export. Listens on 127.0.0.1 unless "
        "--host says otherwise.",
    )
    p.add_argument("scenario", nargs="?", help="scenario of the library to start from")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    p.add_argument("--port", type=c.positive, default=8765, help="port (8765)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from sim.dashboard.server import check_scenario, serve

    name = check_scenario(args.scenario)
    print(f"egov-sim dashboard: http://{args.host}:{args.port}/ (Ctrl-C to stop)", flush=True)
    return serve(name, args.host, args.port)
