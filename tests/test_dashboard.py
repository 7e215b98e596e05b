"""The dashboard: settings -> scenario -> model, the export round trip, and the page itself in
a real headless Chromium (Debian's, driven by Playwright; screenshots in results/)."""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import mesa
import pandas as pd
import pytest

pytest.importorskip("solara")
from sim.dashboard.settings import DashboardModel  # noqa: E402
from sim.files import load_scenario  # noqa: E402
from sim.model.model import AdoptionModel  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

ARTIFACTS = ROOT / "results" / "test-artifacts"
SHOT_TAG = f"mesa{mesa.__version__}"
"""Screenshots are named by Mesa version: each supported version's page gets its own."""
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip


def test_export_round_trip_reproduces_the_dashboard_run(tmp_path):
    settings = {"base": "status_quo", "seed": "7", "citizens": 2000, "coef_trust": 3.0,
                "legal_esignature": True, "legal_esignature_year": 2021,
                "legal_esignature_strength": 0.05, "central_ministry": True}  # fmt: skip
    dashboard = DashboardModel(**settings)
    for _ in range(6):
        dashboard.step()
    path = tmp_path / "exported.toml"
    path.write_text(dashboard.export())
    checked = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    scenario = load_scenario(path)
    assert scenario.seed == 7 and scenario.params.choice.coef_trust == 3.0
    assert {i.type for i in scenario.interventions} == {"legal_esignature", "central_ministry"}
    replay = AdoptionModel(scenario, seed=scenario.seed)
    for _ in range(6):
        replay.step()
    pd.testing.assert_frame_equal(dashboard.timeseries(), replay.timeseries(), check_exact=True)


def test_lever_switch_changes_the_model():
    off = DashboardModel(citizens=2000, seed=3)
    on = DashboardModel(citizens=2000, seed=3, open_databases=True, open_databases_year=2021)
    for model in (off, on):
        for _ in range(12):
            model.step()
    assert on.metrics["paper_documents_per_1000"] < off.metrics["paper_documents_per_1000"]
    with pytest.raises(TypeError, match="unknown dashboard settings"):
        DashboardModel(citizens=2000, ministry=True)


# Mesa 3.3's own ComponentsView breaks Solara's rules of hooks (fixed in Mesa 3.5)
@pytest.mark.filterwarnings("ignore:.*ComponentsView. .use_state. found despite early return")
def test_page_model_takes_what_mesa_reset_passes():
    """Reset rebuilds ``type(model)(**kwargs)``; Mesa 3.5 adds ``scenario=`` (a Mesa Scenario)
    to the controls, Mesa 3.3 passes the controls only. Both must give the chosen run."""
    from mesa.visualization import solara_viz

    from sim.dashboard import app

    controls = {name: spec["value"] for name, spec in app.model_params().items()}
    controls.update(base="status_quo", seed="5", citizens=1000, coef_trust=3.0)
    build = getattr(solara_viz, "_build_model_init_kwargs", None)  # Mesa >= 3.5
    kwargs = (
        build(
            app.model, controls, add_scenario_when_empty=True, require_model_accepts_scenario=True
        )
        if build
        else controls
    )
    assert ("scenario" in kwargs) == (build is not None)
    rebuilt = type(app.model)(**kwargs)
    assert rebuilt.spec.seed == 5 and rebuilt.n_citizens == 1000
    assert rebuilt.params.choice.coef_trust == 3.0 and len(rebuilt.dashboard_rows) > 0
    with pytest.raises(TypeError, match="`base`"):  # the old name of ``base`` is refused
        type(app.model)(scenario="digital_push", citizens=1000)


def _plot_image(page) -> bytes:
    """Screenshot of the first plot; plots re-render while the page settles, so retry."""
    for _ in range(20):
        try:
            return page.locator("img").first.screenshot(timeout=5_000)
        except Exception:  # noqa: BLE001 - detached mid-render: wait and try again
            page.wait_for_timeout(500)
    raise AssertionError("could not capture the plot")


def _steps(page) -> int:
    """Steps done, from Mesa's Information card: "Step: 4" (Mesa 3.3), "Time: 4.0" (3.5)."""
    found = re.search(r"(?:Step|Time): (\d+)", page.inner_text("body"))
    return int(found.group(1)) if found else 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (make test installs it)")
    pytest.importorskip("playwright")
    export_dir = tmp_path_factory.mktemp("exports")
    log = tmp_path_factory.mktemp("server") / "dashboard.log"
    port = _free_port()
    env = {**os.environ, "EGOV_SIM_EXPORT_DIR": str(export_dir)}
    # its own process group: the Solara server is a child of `egov-sim dashboard`, and the
    # teardown stops both (nothing the test starts may outlive it)
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "sim", "dashboard", "--port", str(port)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        _stop(proc)
        pytest.fail(f"the dashboard did not start:\n{log.read_text()[-3000:]}")
    try:
        yield url, export_dir, proc
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen) -> None:
    """Stop the dashboard and its Solara server (the whole process group)."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        deadline = time.time() + wait  # the parent is gone; wait for the rest of its group
        while time.time() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


def _listening_addresses(port: int) -> list[str]:
    """Local addresses listening on ``port`` (from /proc/net/tcp and tcp6, no tools needed)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, hex_port = fields[1].rsplit(":", 1)
            if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.append(address)
    return found


def test_dashboard_listens_on_loopback_and_prints_its_address(server):
    url, _, proc = server
    assert url.startswith("http://127.0.0.1:")
    addresses = _listening_addresses(int(url.rsplit(":", 1)[1].strip("/")))
    # 0100007F is 127.0.0.1 in /proc/net/tcp's little-endian hex
    assert addresses and all(a == "0100007F" for a in addresses), addresses


def test_page_loads_steps_and_exports(server):
    from playwright.sync_api import sync_playwright

    url, export_dir, _ = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1300})
        page.goto(url, timeout=60_000)
        page.get_by_text("Model Parameters").wait_for(timeout=60_000)
        # the agency table (not the "Agencies' paper demand" slider) and a plot are drawn
        page.get_by_text(re.compile(r"Agencies \(\d{4}-\d{2}\)")).first.wait_for(timeout=60_000)
        page.locator("img").first.wait_for(timeout=60_000)
        page.wait_for_timeout(2000)
        page.screenshot(path=str(ARTIFACTS / f"dashboard_loaded_{SHOT_TAG}.png"))
        before = _plot_image(page)

        # move a slider with the keyboard: the model is rebuilt with the new value
        trust = page.locator(".v-input", has_text="Weight of trust in choice")
        trust.locator(".v-slider__thumb").first.click()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.wait_for_timeout(500)
        page.get_by_role("button", name="Reset").click()  # SolaraViz applies parameters on reset
        page.wait_for_timeout(2000)
        step = page.get_by_role("button", name="Step")
        deadline = time.time() + 90
        while _steps(page) < 4 and time.time() < deadline:  # a click during a rebuild is lost
            step.click()
            page.wait_for_timeout(800)
        assert _steps(page) >= 4
        page.wait_for_timeout(1500)
        after = _plot_image(page)
        assert after != before, "the adoption plot did not change after stepping"
        agencies = re.search(r"Agencies \((\d{4}-\d{2})\)", page.inner_text("body"))
        assert agencies and agencies.group(1) > "2020-09"  # the agency table moved on too
        page.screenshot(path=str(ARTIFACTS / f"dashboard_after_steps_{SHOT_TAG}.png"),
                        full_page=True)  # fmt: skip

        page.get_by_role("button", name="Export scenario").click()
        deadline = time.time() + 30
        while time.time() < deadline and not list(export_dir.glob("*.toml")):
            time.sleep(0.2)
        browser.close()
    exported = list(export_dir.glob("*.toml"))
    assert len(exported) == 1
    checked = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(exported[0])],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    scenario = load_scenario(exported[0])
    assert scenario.params.choice.coef_trust == 2.75  # the slider moved 3 steps of 0.25
