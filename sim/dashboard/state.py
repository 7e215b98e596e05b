"""The dashboard's session state: the values a page reads (Solara reactives, one set per
browser session) and everything that changes them: building a model from the settings (Reset),
the start scenario, the picker and uploads, the run loop (Step, Play) and the export. A model
is built only through ``sim.dashboard.settings``, so it is always what a scenario file could say.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
import solara

from sim.country import Country, default_country
from sim.dashboard.settings import (
    LEVERS,
    PARAMETERS,
    DashboardModel,
    controls_for,
    library_file,
    parse_seed,
    scenario_choices,
    start_label,
)
from sim.files import load_scenario
from sim.scenario import InputError

EXPORT_DIR = Path(os.environ.get("EGOV_SIM_EXPORT_DIR", "results/dashboard"))
START_SCENARIO = os.environ.get("EGOV_SIM_SCENARIO", "status_quo")
SAMPLE = 120
"""Citizens drawn in the network picture."""
PLAY_PAUSE = 0.02
"""Seconds between months while playing."""

# Module-level reactives are per browser session (Solara keeps one value per kernel).

model = solara.reactive(cast(Any, None))
"""The running DashboardModel (built on the first render and on Reset)."""
pending = solara.reactive(cast(dict, {}))
"""The settings the controls show (applied by Reset)."""
applied = solara.reactive(cast(dict, {}))
"""The settings the running model was built from."""
choices = solara.reactive(cast(dict, {}))
"""Picker label -> start scenario (a library name or a .toml path)."""
problem = solara.reactive("")
"""Why the last Reset was refused (validation errors, one line each)."""
reference = solara.reactive(cast(Any, None))
"""The reference time series (status quo, same seed, size and parameters) or None."""
playing = solara.reactive(False)
redraw_every = solara.reactive(3)
upload_note = solara.reactive(("", ""))
"""The last upload: (kind, text), kind "error" or "success"."""
update_counter = solara.reactive(0)
"""Bumped after steps: every plot and monitor reads it, so each redraws (as Mesa's own)."""
_LOCK = threading.Lock()
_UPLOADS: list[Path] = []


def force_update() -> None:
    update_counter.value += 1


def current_country() -> Country:
    """The country of the running model (the library's default before one runs)."""
    running = model.value
    return running.country if running is not None else default_country()


def _library_choices() -> dict[str, str]:
    return {name: name for name in scenario_choices()}


def _file_label(ref: str) -> str:
    return f"{start_label(ref)} (file)"


def _add_choice(ref: str) -> str:
    """Put a start scenario in the picker; its label."""
    found = {v: k for k, v in choices.value.items()}
    if ref in found:
        return found[ref]
    label = ref if ref in scenario_choices() else _file_label(ref)
    choices.value = {**choices.value, label: ref}
    return label


def seed_problem(text: Any) -> str:
    try:
        parse_seed(text)
    except InputError as exc:
        return str(exc)
    return ""


@lru_cache(maxsize=16)
def _reference_run(base: str, seed: int, citizens: int, params: tuple) -> pd.DataFrame:
    ref = DashboardModel(base=base, seed=seed, citizens=citizens, **dict(params))
    ref.run()
    frame = ref.timeseries()
    ref.close()
    return frame


def _status_quo_of(base: str) -> str | None:
    """The status quo of the base scenario's country: the library's ``status_quo`` for the
    default country, else a ``status_quo.toml`` in the country's folder, else None."""
    country = load_scenario(library_file(base)).country_data
    if country.name == default_country().name:
        return "status_quo"
    path = country.folder / "status_quo.toml"
    return str(path) if path.is_file() else None


def reference_for(settings: dict[str, Any]) -> pd.DataFrame | None:
    """The status quo of the scenario's country, run with the same seed, size and slider
    parameters (cached); None when the run is that run already, or the country has none."""
    params = tuple((name, float(settings[name])) for name in PARAMETERS if name in settings)
    levers = any(settings.get(lever) for lever in LEVERS)
    status_quo = _status_quo_of(settings.get("base", "status_quo"))
    if status_quo is None or (settings.get("base") == status_quo and not levers):
        return None
    return _reference_run(
        status_quo, parse_seed(settings["seed"]), int(settings["citizens"]), params
    )


def _sample_rows(m: DashboardModel) -> np.ndarray:
    """The first adults of the country's first area (Mongolia's: Ulaanbaatar): rows are
    sorted by locality, so these are whole neighbouring localities."""
    rows = np.flatnonzero(m.population.area == 0)[:SAMPLE]
    return rows if len(rows) else np.arange(min(SAMPLE, m.n_citizens))


def build(settings: dict[str, Any]) -> DashboardModel:
    """``DashboardModel(**settings)`` plus the network sample (InputError if invalid)."""
    m = DashboardModel(**settings)
    m.dashboard_rows = _sample_rows(m)
    return m


def apply(settings: dict[str, Any]) -> bool:
    """Reset: build the model from ``settings``; on a validation error keep the running model
    and say why."""
    playing.set(False)
    try:
        built = build(settings)
        ref = reference_for(settings)
    except (InputError, TypeError, ValueError) as exc:
        problem.set(str(exc))
        return False
    with _LOCK:
        old = model.value
        model.set(built)
        if old is not None:
            old.close()
    applied.set(dict(settings))
    reference.set(ref)
    problem.set("")
    force_update()
    return True


def start(ref: str = START_SCENARIO) -> None:
    """A session's first state: the start scenario's settings, applied."""
    choices.set(_library_choices())
    _add_choice(ref)
    settings = controls_for(ref)
    pending.set(settings)
    apply(settings)


def set_setting(name: str, value: Any) -> None:
    pending.set({**pending.value, name: value})


def choose(label: str) -> None:
    ref = choices.value.get(label)
    if ref is not None:
        pending.set(controls_for(ref))


def upload(info: dict[str, Any]) -> None:
    """A dropped scenario file: validated like any file (``sim.files``); if valid it joins
    the picker and becomes the start scenario (applied at once)."""
    name = Path(str(info.get("name", "upload.toml"))).name
    data = info.get("data") or b""
    if not name.endswith(".toml"):
        upload_note.set(("error", f"{name}: not a scenario file (allowed: a .toml file)"))
        return
    if not _UPLOADS:
        _UPLOADS.append(Path(tempfile.mkdtemp(prefix="egov-sim-uploads-")))
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    path = _UPLOADS[0] / f"{len(list(_UPLOADS[0].iterdir()))}" / safe
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    try:
        load_scenario(path)
        settings = controls_for(str(path))
    except InputError as exc:
        upload_note.set(("error", str(exc).replace(str(path), name)))
        return
    label = _add_choice(str(path))
    pending.set(settings)
    if apply(settings):
        upload_note.set(("success", f"Loaded {name}: now the start scenario ({label})."))


def step_month() -> None:
    """Step: one month of the running model, then a redraw."""
    with _LOCK:
        if model.value.running:
            model.value.step()
    force_update()


def play_months() -> None:
    """Play: month by month while ``playing`` holds and the run has months left, redrawing
    every ``redraw_every`` months and once at the end."""
    done = 0
    while playing.value:
        current = model.value
        if current is None or not current.running:
            break
        with _LOCK:
            current.step()
        done += 1
        if done % max(1, redraw_every.value) == 0:
            force_update()
        time.sleep(PLAY_PAUSE)
    if done:
        playing.set(False)
        force_update()


def export_stem(m: DashboardModel) -> str:
    """The name the running model's files are saved under: ``<scenario>_seed<seed>``."""
    return f"{m.table['name']}_seed{m.table['seed']}"


def export_scenario(m: DashboardModel) -> Path:
    """Write the running model's settings as a scenario file into ``EXPORT_DIR``; its path."""
    EXPORT_DIR.mkdir(parents=True, exist_ok=True)
    path = EXPORT_DIR / f"{export_stem(m)}.toml"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(m.export())
    tmp.replace(path)
    return path


def series_csv(m: DashboardModel) -> str:
    """The running model's series as CSV (read under the lock: Play may be stepping it)."""
    with _LOCK:
        return m.timeseries().to_csv(index=False)
