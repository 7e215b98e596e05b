"""The dashboard: settings -> scenario -> model, the export round trip, and the page itself in
a real headless Chromium (Debian's, driven by Playwright; screenshots in results/)."""

import html
import io
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
from sim.dashboard.settings import (  # noqa: E402
    LEVERS,
    DashboardModel,
    changes,
    controls_for,
    lever_label,
    start_label,
)
from sim.files import load_scenario  # noqa: E402
from sim.model.model import AdoptionModel  # noqa: E402
from sim.outputs import REGISTRY  # noqa: E402
from sim.scenario import InputError  # noqa: E402
from tests.conftest import ROOT  # noqa: E402

ARTIFACTS = ROOT / "results" / "test-artifacts"
SHOT_TAG = f"mesa{mesa.__version__}"
"""Screenshots are named by Mesa version: each supported version's page gets its own."""
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]  # fmt: skip


@pytest.mark.system
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
    assert {i.type for i in scenario.levers} == {"legal_esignature", "central_ministry"}
    replay = AdoptionModel(scenario)
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


@pytest.mark.parametrize("seed", ["abc", "-1", "1.5", "", str(2**63), True])
def test_a_bad_seed_is_refused_not_replaced(seed):
    with pytest.raises(InputError, match="seed: .* is not a whole number 0..9223372036854775807"):
        DashboardModel(citizens=1000, seed=seed)
    assert DashboardModel(citizens=1000, seed=str(2**63 - 1)).spec.seed == 2**63 - 1


def test_levers_start_as_the_scenario_holds_them():
    settings = controls_for("history")
    assert settings["central_ministry"] and settings["legal_esignature"]
    assert settings["cybersecurity"] and not settings["open_databases"]
    assert (settings["legal_esignature_year"], settings["legal_esignature_month"]) == (2022, 5)
    assert settings["seed"] == "20201001" and settings["citizens"] == 20_000
    kinds = [i.type for i in DashboardModel(**{**settings, "citizens": 1000}).spec.levers]
    assert kinds.count("central_ministry") == 1  # ticked and in the file: never a duplicate
    edited = {**settings, "citizens": 1000, "central_ministry": False,
              "legal_esignature_year": 2024, "legal_esignature_strength": 0.05}  # fmt: skip
    scenario = DashboardModel(**edited).spec
    assert "central_ministry" not in [i.type for i in scenario.levers]
    (law,) = [i for i in scenario.levers if i.type == "legal_esignature"]
    assert (law.at, law.uptake_rate, law.note) == ("2024-05", 0.05, law.note)
    assert len(scenario.levers) == len(kinds) - 1


def test_an_exported_file_gives_back_its_settings(tmp_path):
    settings = {**controls_for("status_quo"), "seed": "9", "citizens": 2000, "coef_trust": 2.5,
                "once_only": True, "once_only_year": 2024, "once_only_month": 3}  # fmt: skip
    path = tmp_path / "mine.toml"
    path.write_text(DashboardModel(**settings).export())
    again = controls_for(str(path))
    assert again == {**settings, "base": str(path)}
    assert start_label(str(path)) == "mine"


def test_plots_and_monitors_take_their_words_from_the_registry():
    from sim.dashboard import components, figures, state

    for plot in figures.PLOTS:
        assert set(plot["series"]) <= set(REGISTRY), plot["title"]
    assert set(components.MONITORS) <= set(REGISTRY)
    settings = {**controls_for("history"), "citizens": 1000}
    model = state.build(settings)
    page = figures.plot_html(figures.PLOTS[0], model, state.reference_for(settings))
    assert "Adults online" in page and ">share of adults<" in page
    for key in figures.PLOTS[0]["series"]:  # the legend: the registry's label, its meaning on hover
        assert f"{REGISTRY[key].label}</span>" in page
        assert html.escape(REGISTRY[key].description) in page
    assert "status quo, same seed and size" in page
    svg = page[page.index("<svg") : page.index("</svg>")]
    head = svg[: svg.index(">")]
    assert "viewBox=" in head and "width=" not in head  # scales to its column
    assert ">2021<" in svg and ">100%<" in svg  # dated; shares in per cent
    assert components._fmt(0.714, "share of adults") == "71%"
    assert components._fmt(0.4512, "mean, 0 to 1") == "0.45"
    assert components._fmt(1234.4, "per 1,000 adults a month") == "1,234"


def test_the_page_names_agencies_levers_and_parameters_in_words():
    from sim.country import default_country
    from sim.dashboard import components, state
    from sim.dashboard.about import about_html
    from sim.levers import LEVER_TYPES

    model = state.build({**controls_for("status_quo"), "citizens": 1000})
    rows = components.agency_rows(model)
    assert rows[0]["Agency"] == "Civil registration agency"
    for row in rows:
        assert "_" not in row["Agency"]
        assert {row["Accepts digital documents"], row["On Khur"]} <= {"yes", "no"}
    assert [r["Accepts digital documents"] == "yes" for r in rows] == [
        a.accepts_digital for a in model.agency_list
    ]
    assert {lever_label(k) for k in LEVERS} >= {"E-signature law", "Central ministry"}
    assert lever_label("once_only") == LEVER_TYPES["once_only"].title.capitalize()
    about = about_html(default_country())
    # a parameter's path appears only in small type, after what it means
    for path in re.findall(r"params\.[a-z_]+\.[a-z_]+", about):
        assert f'<span class="egov-path">({path})</span>' in about, path
    assert "<i>share of the remaining gap closed each month once a central ministry exists</i>" in (
        about
    )
    for word, meaning in (("khoroos", "urban sub-districts"), ("aimags", "provinces"),
                          ("soums", "rural districts")):  # fmt: skip
        assert f"<i>{word}</i> ({meaning}" in about
    assert "<b>E-signature law</b>" in about and "<b>Security breach</b>" in about


def test_the_month_monitor_names_what_the_settings_change():
    from sim.dashboard.components import settings_html

    start = controls_for("status_quo")
    assert changes(start) == []
    ticked = {**start, "legal_esignature": True, "coef_trust": 3.0, "seed": "8"}
    assert changes(ticked) == ["+ e-signature law", "weight of trust in choice 3", "seed 8"]
    history = controls_for("history")
    edited = {**history, "central_ministry": False, "legal_esignature_year": 2024}
    assert changes(edited) == ["\u2212 central ministry", "e-signature law from 2024-05"]
    # the running settings, and what Reset would run when the controls differ
    text = settings_html(start, start)
    assert "status quo" in text and "changed" not in text and "on Reset" not in text
    text = settings_html(start, ticked)
    assert "on Reset: + e-signature law, weight of trust in choice 3, seed 8" in text
    assert "on Reset" not in settings_html(start, {**start, "once_only_year": 2025})  # off
    text = settings_html(ticked, ticked)
    assert "changed from status quo: + e-signature law" in text and "on Reset" not in text
    # an export is titled by what it changes
    assert DashboardModel(**{**ticked, "citizens": 1000}).spec.title == (
        "status quo: + e-signature law; weight of trust in choice 3; seed 8; 1,000 adults"
    )


def test_step_play_and_the_exports_act_on_the_running_model(tmp_path, monkeypatch):
    """Step is one month; Play runs month by month to the scenario's end and stops itself; the
    export is the running model's scenario file and the CSV its series."""
    from sim.dashboard import state

    short = tmp_path / "short.toml"
    short.write_text('name = "short"\ncitizens = 1000\nseed = 4\nend = "2021-01"\n')
    monkeypatch.setattr(state, "EXPORT_DIR", tmp_path / "out")
    monkeypatch.setattr(state, "PLAY_PAUSE", 0.0)
    before = state.model.value
    model = state.build(controls_for(str(short)))
    state.model.set(model)
    try:
        redraws = state.update_counter.value
        state.step_month()
        assert (model.steps, model.date) == (1, "2020-10")
        assert state.update_counter.value == redraws + 1
        state.playing.set(True)
        state.play_months()
        assert not state.playing.value and not model.running
        assert (model.steps, model.date) == (4, "2021-01")
        path = state.export_scenario(model)
        assert path == tmp_path / "out" / "dashboard_short_seed4.toml"
        assert load_scenario(path).seed == 4 and not list(path.parent.glob("*.tmp"))
        frame = pd.read_csv(io.StringIO(state.series_csv(model)))
        assert list(frame["date"]) == ["2020-09", "2020-10", "2020-11", "2020-12", "2021-01"]
    finally:
        state.playing.set(False)
        state.model.set(before)
        model.close()


def test_the_page_styles_ship_as_a_file():
    from importlib.resources import files

    from sim.dashboard import app

    css = files("sim.dashboard").joinpath("style.css").read_text(encoding="utf-8")
    assert app.CSS == css and ".egov-layout {" in css and "@media (max-width: 600px)" in css


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CLASSROOM = {"base": "status_quo", "seed": "7", "citizens": 3000, "coef_trust": 3.0,
             "legal_esignature": True, "legal_esignature_year": 2021,
             "legal_esignature_month": 6}  # fmt: skip
"""The settings of the exported file the page is started with."""


def start_dashboard(args: list[str], log, env: dict | None = None):
    """``egov-sim dashboard ARGS`` in its own process group (the Solara server is its child;
    :func:`_stop` ends both) and its address, once it answers."""
    from sim.dashboard.server import _die_with_parent

    port = _free_port()
    tester = os.getpid()  # the command gets SIGTERM if this process dies (even by SIGKILL)
    proc = subprocess.Popen([sys.executable, "-m", "sim", "dashboard", *args, "--port", str(port)],
                            cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=lambda: _die_with_parent(tester))  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:  # Ctrl-C or an error while waiting must not leave the server behind
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return proc, url
            except OSError:  # not answering yet: wait on the process, not a blind sleep
                try:
                    proc.wait(timeout=0.5)
                    break  # it exited: it will never answer
                except subprocess.TimeoutExpired:
                    pass
    except BaseException:
        _stop(proc)
        raise
    _stop(proc)
    return None, url


def _browser_missing() -> str | None:
    """What the page tests lack to drive a browser, or None."""
    if not os.path.exists(CHROMIUM):
        return f"Debian's chromium is not installed ({CHROMIUM} not found)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    return None


def need_browser() -> None:
    """Skip the calling test if the browser is missing, or fail it under ``make test``
    (EGOV_SIM_REQUIRE_BROWSER=1), where a skipped page test would pass unseen."""
    if missing := _browser_missing():
        if os.environ.get("EGOV_SIM_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{missing}: make test requires it for the dashboard page tests")
        pytest.skip(f"{missing} (make test installs it, and fails without it)")


def test_a_missing_browser_fails_under_make_test_and_skips_otherwise(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.setenv("EGOV_SIM_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="chromium is not installed .* requires it"):
        need_browser()
    monkeypatch.delenv("EGOV_SIM_REQUIRE_BROWSER")
    with pytest.raises(pytest.skip.Exception, match="/nonexistent/chromium not found"):
        need_browser()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The dashboard started with an exported scenario file (``egov-sim dashboard FILE``)."""
    need_browser()
    export_dir = tmp_path_factory.mktemp("exports")
    folder = tmp_path_factory.mktemp("server")
    start = folder / "classroom.toml"
    start.write_text(DashboardModel(**CLASSROOM).export())
    log = folder / "dashboard.log"
    with log.open("w") as out:
        proc, url = start_dashboard([str(start)], out, {"EGOV_SIM_EXPORT_DIR": str(export_dir)})
    if proc is None:
        pytest.fail(f"the dashboard did not start:\n{log.read_text()[-3000:]}")
    try:
        yield url, export_dir, proc, log
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


@pytest.mark.system
def test_dashboard_listens_on_loopback_and_prints_its_address(server):
    url, _, proc, _ = server
    assert url.startswith("http://127.0.0.1:")
    addresses = _listening_addresses(int(url.rsplit(":", 1)[1].strip("/")))
    # 0100007F is 127.0.0.1 in /proc/net/tcp's little-endian hex
    assert addresses and all(a == "0100007F" for a in addresses), addresses


NO_MOTION = "*, *::before, *::after { transition: none !important; animation: none !important; }"
"""CSS that stops transitions and animations in the pages tests measure."""


def open_page(browser, url: str, width: int, height: int = 900):
    """A page of the dashboard, loaded, and the list its console errors go to."""
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    errors: list[str] = []
    page.on(
        "console", lambda m: errors.append(f"{m.type}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    page.goto(url, timeout=60_000)
    page.locator(".egov-plot svg").first.wait_for(timeout=60_000)
    # tabs slide; a test measures where things end up, not where they pass on the way
    page.add_style_tag(content=NO_MOTION)
    return page, errors


def _month(page) -> str:
    return page.locator("[data-monitor=month]").inner_text().strip()


def _wait_month(page, month: str, timeout: float = 20) -> None:
    deadline = time.time() + timeout
    while _month(page) != month and time.time() < deadline:
        page.wait_for_timeout(100)
    assert _month(page) == month


def launch(p):
    return p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@pytest.mark.system
def test_page_shows_the_file_steps_by_month_and_exports(server):
    from playwright.sync_api import expect, sync_playwright

    url, export_dir, _, log = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch(p)
        page, errors = open_page(browser, url, 1440)
        # the start file's settings: its name in the picker, seed, size, lever and month
        expect(page.get_by_text("classroom (file)")).to_be_visible()
        expect(page.get_by_label("Seed (a whole number)")).to_have_value("7")
        expect(page.get_by_text("3,000", exact=True)).to_be_visible()
        expect(page.get_by_role("checkbox", name="E-signature law")).to_be_checked()
        expect(page.locator(".egov-control", has_text="Starts")).to_contain_text("2021-06")
        # titled plots with dates, monitors with the month and figures
        plots = page.locator(".egov-plot")
        expect(plots.filter(has_text="Adults online")).to_have_count(1)
        expect(plots.first.locator("text", has_text="2021").first).to_be_attached()
        expect(plots.first.locator(".egov-unit")).to_have_text("share of adults")
        assert _month(page) == "2020-09"
        internet = page.locator("[data-monitor=internet_share]").inner_text()
        assert re.fullmatch(r"\d+%", internet), internet
        page.wait_for_timeout(500)
        page.screenshot(path=str(ARTIFACTS / f"dashboard_loaded_{SHOT_TAG}.png"))

        # Step is one month, exactly
        page.get_by_role("button", name="Step").click()
        _wait_month(page, "2020-10")
        page.wait_for_timeout(1500)
        assert _month(page) == "2020-10"
        assert re.fullmatch(r"[\d,]+", page.locator("[data-monitor=paper_documents_per_1000]")
                            .inner_text().strip())  # fmt: skip

        # a moved slider says "press Reset" until Reset applies it
        changed = page.locator(".egov-changed")
        expect(changed).to_have_count(0)
        trust = page.locator(".egov-control", has_text="Weight of trust in choice")
        trust.locator(".v-slider__thumb").first.click()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        expect(changed).to_contain_text("press Reset")
        expect(trust).to_contain_text("3.75")
        page.get_by_role("button", name="Reset").click()
        expect(changed).to_have_count(0)
        _wait_month(page, "2020-09")

        # a bad seed: a visible error and no Reset
        seed = page.get_by_label("Seed (a whole number)")
        seed.fill("abc")
        expect(page.get_by_text("is not a whole number").first).to_be_visible()
        expect(page.get_by_role("button", name="Reset")).to_be_disabled()
        seed.fill("7")
        expect(page.get_by_role("button", name="Reset")).to_be_enabled()

        for _ in range(2):
            page.get_by_role("button", name="Step").click()
            page.wait_for_timeout(300)
        _wait_month(page, "2020-11")
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / f"dashboard_after_steps_{SHOT_TAG}.png"))

        # the plotted series as CSV
        with page.expect_download() as download:
            page.get_by_text("Download the series (CSV)").click()
        frame = pd.read_csv(download.value.path())
        assert "date" in frame.columns and list(frame["date"]) == ["2020-09", "2020-10", "2020-11"]

        page.get_by_role("button", name="Export scenario").click()
        deadline = time.time() + 30
        while time.time() < deadline and not list(export_dir.glob("*.toml")):
            time.sleep(0.2)
        page.get_by_role("tab", name="About").click()
        expect(page.get_by_text("no central ministry coordinating")).to_be_visible()
        expect(page.get_by_text("docs/ODD.md").first).to_be_visible()
        browser.close()
    assert errors == [], errors
    assert "Could not load URL" not in log.read_text()  # nothing fetched from a CDN
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
    assert scenario.params.choice.coef_trust == 3.75  # the slider moved 3 steps of 0.25
    assert scenario.seed == 7 and scenario.citizens == 3000
    (law,) = scenario.levers
    assert (law.type, law.at) == ("legal_esignature", "2021-06")


LAYOUT = """(main) => {
  const width = window.innerWidth, found = {outside: [], overlaps: [], text: []};
  const named = (el) => (el.getAttribute('class') || el.tagName).split(' ')[0] + ' "' +
                        (el.innerText || '').trim().slice(0, 25) + '"';
  const boxes = [];
  for (const el of document.querySelectorAll(main)) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;  // in a hidden tab
    if (r.left < -0.5 || r.right > width + 0.5) found.outside.push([named(el), r.left, r.right]);
    boxes.push([el, r]);
  }
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, p] = boxes[i], [b, q] = boxes[j];
    if (a.contains(b) || b.contains(a)) continue;
    const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (w > 1 && h > 1) found.overlaps.push([named(a), named(b)]);
  }
  for (const svg of document.querySelectorAll('.egov-plot svg')) {  // ticks inside the figure
    const s = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll('text')) {
      const r = t.getBoundingClientRect();
      if (r.left < s.left - 0.5 || r.right > s.right + 0.5 || r.top < s.top - 0.5 ||
          r.bottom > s.bottom + 0.5) found.text.push(t.textContent);
    }
  }
  found.scroll = document.documentElement.scrollWidth;
  found.width = width;
  found.badge = document.body.innerText.includes('runs on Solara');
  return found;
}"""
"""Where the page's main elements are, in the browser: any outside the viewport's width, any
two overlapping, plot text outside its figure, the page scrolling sideways, Solara's badge."""

MAIN = (".egov-monitor, .egov-plot, .egov-plot svg, .egov-legend, .egov-controls .v-card, "
        ".egov-main .v-tabs, .egov-table, .egov-network img, .egov-help")  # fmt: skip


def _settled_layout(page) -> dict:
    """The layout measured once it stops moving: a tab slides in (transitions are off in these
    pages, but a busy machine can still draw a frame mid-change), so two reads 100 ms apart
    must agree (at most 5 s)."""
    page.wait_for_function("!document.querySelector('.v-window__container--is-active')")
    found = page.evaluate(LAYOUT, MAIN)
    for _ in range(50):
        page.wait_for_timeout(100)
        again = page.evaluate(LAYOUT, MAIN)
        if again == found:
            break
        found = again
    return found


def _check_layout(page, where: str) -> None:
    found = _settled_layout(page)
    assert found["scroll"] <= found["width"], (where, "the page scrolls sideways", found)
    assert not found["outside"], (where, "outside the viewport", found["outside"])
    assert not found["overlaps"], (where, "overlapping", found["overlaps"])
    assert not found["text"], (where, "text outside its plot", found["text"])
    assert not found["badge"], (where, "Solara's badge is on the page")


@pytest.mark.system
@pytest.mark.parametrize("width", [390, 800, 1440])
def test_page_fits_a_phone_and_a_desktop(server, width):
    """Nothing cut, overlapped or off the edge on a phone (390 px), a tablet and a desktop."""
    from playwright.sync_api import expect, sync_playwright

    url = server[0]
    with sync_playwright() as p:
        browser = launch(p)
        page, errors = open_page(browser, url, width)
        expect(page.locator(".egov-plot")).to_have_count(5)
        for name in ("Reset", "Play", "Step"):
            expect(page.get_by_role("button", name=name)).to_be_visible()
        _check_layout(page, f"{width} px, plots")
        page.screenshot(path=str(ARTIFACTS / f"dashboard_{width}px_{SHOT_TAG}.png"))
        page.get_by_role("tab", name="Agencies").click()
        expect(page.locator(".egov-table td").first).to_have_text("Civil registration agency")
        _check_layout(page, f"{width} px, agencies")
        page.get_by_role("tab", name="Network").click()
        expect(page.locator(".egov-network img")).to_be_visible()
        expect(page.get_by_text("urban sub-districts of Ulaanbaatar")).to_be_visible()
        _check_layout(page, f"{width} px, network")
        if width == 1440:
            # the month monitor names the settings, and what Reset would change in them
            month = page.locator(".egov-month")
            expect(month).not_to_contain_text("on Reset")
            page.locator("label", has_text=re.compile("^Open databases$")).click()
            expect(month).to_contain_text("on Reset: + open databases")
            page.get_by_role("button", name="Reset").click()
            expect(month).to_contain_text("+ open databases")
            expect(month).not_to_contain_text("on Reset")
            expect(month.locator("[data-monitor=changes]")).to_contain_text("changed from")
        browser.close()
    assert errors == [], errors


def screenshot(path=ROOT / "docs" / "figures" / "dashboard.png", until: str = "2026-01") -> None:
    """The README's picture: the dashboard on ``history``, played to ``until``, at 1440x900
    (``make screenshot``). The server is stopped afterwards, whatever happens."""
    from playwright.sync_api import sync_playwright

    log = ARTIFACTS / "screenshot_server.log"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        proc, url = start_dashboard(["history"], out)
    if proc is None:
        raise SystemExit(f"the dashboard did not start:\n{log.read_text()[-3000:]}")
    try:
        with sync_playwright() as p:
            browser = launch(p)
            page, errors = open_page(browser, url, 1440)
            page.get_by_role("button", name="Play").click()
            deadline = time.time() + 180
            while _month(page) < until and time.time() < deadline:
                page.wait_for_timeout(250)
            page.get_by_role("button", name="Pause").click()
            page.wait_for_timeout(2500)
            page.screenshot(path=str(path))
            browser.close()
        if errors:
            print("browser console errors:", *errors, sep="\n  ")
        print(f"wrote {path}")
    finally:
        _stop(proc)


if __name__ == "__main__":
    screenshot()
