"""Play speed of the dashboard: the months shown per second of wall time while Play runs
``status_quo`` at its default 20,000 adults in headless Chromium, redrawing every 3rd month
(the dashboard's default), after a 3 s warm-up; the window (10 s by default) must end before
the scenario's 123 months do. Needs Chromium (``make browser``).

    .venv/bin/python -m benchmarks.dashboard_speed [SECONDS] [RUNS]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time

from playwright.sync_api import sync_playwright

from tests.test_dashboard import _month, _stop, launch, open_page, start_dashboard


def _months(text: str) -> int:
    year, month = map(int, text.split("-"))
    return 12 * year + month


def play_speed(seconds: float = 10.0) -> tuple[float, int, float]:
    """(months a second, months shown, seconds) for one Play from a fresh page."""
    with tempfile.TemporaryFile("w+") as log:
        proc, url = start_dashboard(["status_quo"], log)
        try:
            with sync_playwright() as p:
                browser = launch(p)
                page, _errors = open_page(browser, url, 1440)
                page.wait_for_timeout(1000)
                page.get_by_role("button", name="Play").click()
                page.wait_for_timeout(3000)
                t0, m0 = time.monotonic(), _months(_month(page))
                page.wait_for_timeout(int(seconds * 1000))
                t1, m1 = time.monotonic(), _months(_month(page))
                browser.close()
        finally:
            _stop(proc)
    return (m1 - m0) / (t1 - t0), m1 - m0, t1 - t0


def main(seconds: float = 10.0, runs: int = 3) -> None:
    speeds = []
    for _ in range(runs):
        speed, shown, took = play_speed(seconds)
        speeds.append(speed)
        print(f"{speed:.2f} months/s ({shown} months in {took:.1f} s)")
    load = os.getloadavg()[0]
    print(f"median {statistics.median(speeds):.2f} months/s over {runs} runs "
          f"(load average {load:.2f} on {os.cpu_count()} cores)")  # fmt: skip


if __name__ == "__main__":
    main(*(float(a) if i == 0 else int(a) for i, a in enumerate(sys.argv[1:3])))
