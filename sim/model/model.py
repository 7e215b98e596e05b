"""``AdoptionModel``: a Mesa model of digital public-service adoption, one step a month."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from difflib import get_close_matches
from functools import partial
from os import PathLike, fspath
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from mesa.datacollection import DataCollector
from pydantic import ValidationError

from sim.errors import InputError
from sim.factors import check_values
from sim.files import error_text, load_scenario, short_repr, validate
from sim.model import behaviour, metrics
from sim.model.actions import Action, action_for
from sim.model.agencies import Agency, Regime, build_agencies, service_probabilities
from sim.model.network import build_ties
from sim.model.population import COLUMNS, Citizen, Population
from sim.model.streams import Streams
from sim.model.synth import build_population
from sim.renamed import current_path
from sim.scenario import (
    LEVER_KEYWORD,
    Scenario,
    keyword_paths,
    lever_keyword,
    merge_tables,
    with_values,
)

ADAPT_DRAWS = 5
"""Uniforms per agency per month for its adaptation (``Agency.adapt``)."""
CITIZEN_AGENT_LIMIT = 50_000
"""Largest population for which every citizen is also registered as a ``Citizen`` agent in
``model.agents``. Views cost ~1 KB and ~5 us each to build; above this size the model runs
on its columns alone and ``model.citizen(i)`` makes a view on demand."""


def _metric(model: AdoptionModel, name: str) -> float:
    """DataCollector model reporter: one entry of ``model.metrics`` (computed once a step)."""
    return model.metrics[name]


@dataclass(frozen=True)
class Stage:
    """One stage of a month: its name (docs/ODD.md, section 3, names the same), the method of
    :class:`AdoptionModel` that runs it, and what it does."""

    name: str
    method: str
    does: str


STAGES: tuple[Stage, ...] = (
    Stage("levers", "_stage_levers",
          "levers ending last month end, levers dated this month begin, active levers act"),
    Stage("agencies", "_stage_agencies",
          "coordination capacity grows, agencies adapt one by one, the data-access rules give "
          "this month's service table"),
    Stage("security", "_stage_security",
          "each agency may suffer a breach; a breach lowers trust"),
    Stage("citizens", "_stage_citizens",
          "needs, channel choice, outcomes and learning (the first fused pass over the adults)"),
    Stage("social", "_stage_social",
          "word of mouth, internet access and e-signature trends (the second fused pass)"),
    Stage("metrics", "_stage_metrics",
          "the month's metrics, collected by the DataCollector"),
)  # fmt: skip
"""The month, in order: :meth:`AdoptionModel.step` runs these and nothing else."""


class AdoptionModel(mesa.Model):
    """Citizens (numpy columns with ``Citizen`` views) and agencies (Mesa agents).

    One step is one calendar month: the stages of ``STAGES``, in that order
    (levers, agencies, security, citizens, social, metrics; docs/ODD.md, section 3).
    Set ``model.stage_seconds = {}`` to have each step add every stage's wall time to it
    (``make bench`` does).

    ``scenario`` is a :class:`~sim.scenario.Scenario`, a library name (``"status_quo"``), a
    scenario file, or None for the parameters' built-in defaults; ``params`` (tables as in a
    file's ``[params]``) and ``**overrides`` (``choice__coef_trust=3.0``, or
    ``end="2025-12"``) are validated like a file; a lever with an id is set by the path an
    experiment file uses, with ``__`` for the dots (``levers__ministry__at="2024-01"``,
    ``levers__law__enabled=False``; ``sim.lever_fields(scenario)`` lists them). The
    validated scenario, with the seed actually used, is ``model.spec`` (``model.scenario``
    belongs to Mesa). The seed is the run's: ``seed`` or ``rng`` when given, else the
    scenario's own ``seed`` (as ``citizens`` and ``end`` are), so ``AdoptionModel("status_quo")``
    is the run the file describes; ``rng=numpy.random.SeedSequence()`` asks for a fresh one.
    The same scenario and seed give bit-identical results. Every argument is checked before
    anything is built: a wrong type or value is a :class:`InputError` naming it and what
    is allowed (as a file's errors are).
    """

    def __init__(
        self,
        scenario: Scenario | str | PathLike[str] | None = "status_quo",
        *,
        seed: int | None = None,
        rng: Any = None,
        citizens: int | str | None = None,
        params: dict[str, Any] | None = None,
        agent_views: bool | None = None,
        panel: int = 0,
        **overrides: Any,
    ) -> None:
        check_view_and_panel(agent_views, panel)
        resolved = resolve_scenario(scenario)
        spec = configure(
            resolved,
            seed=choose_seed(seed, rng, default=resolved.seed),
            citizens=citizens,
            params=params,
            overrides=overrides,
        )
        check_view_and_panel(agent_views, panel, spec.n_citizens)
        super().__init__(rng=spec.seed)  # an int: the same streams as seed= on every Mesa 3
        self.streams = Streams(spec.seed)
        """The run's random streams: one per part of the build, per mechanism and per lever
        (``sim.model.streams``); nothing draws from Mesa's ``model.rng``."""
        self._mesa_step = self.step
        self.step = self._checked_step
        self.spec = scenario = spec
        """The validated scenario of this run, with the seed actually used."""
        self.params = scenario.params
        self.n_citizens = scenario.n_citizens
        self.n_months = scenario.n_months
        self.month = -1
        """Step index of the last simulated month (-1: the initial state)."""

        params, n = self.params, self.n_citizens
        self.country = scenario.country_data
        """The scenario's country: its areas (``country.areas``, ``country.urban``) and words."""
        self.population: Population = build_population(params, n, self.streams)
        pop = self.population
        pop.urban_areas = np.array(self.country.urban, dtype=np.int8)
        self.ties = build_ties(pop.locality, pop.household, params.network, self.streams)
        if agent_views is None:
            agent_views = n <= CITIZEN_AGENT_LIMIT
        self._views = [Citizen(self, i) for i in range(n)] if agent_views else None

        self.regime = Regime(
            capacity=params.coordination.capacity_initial,
            capacity_rate=params.coordination.rate_capacity,
        )
        self.agency_list, self.registries = build_agencies(self)
        self._agency_by_name = {a.name: a for a in self.agency_list}
        self.groups = metrics.Groups.of(pop)
        n_areas = len(self.country.areas)
        self.area_size = np.bincount(pop.area, minlength=n_areas)
        self.internet_ceiling = np.asarray(params.internet.share_ceiling.array())
        self.internet_rate = np.full(n_areas, params.internet.rate_growth)
        self.assisted_reach = np.asarray(params.choice.share_assisted_reach.array())
        self.esignature_rate = params.trends.rate_esignature_uptake
        self.credential_access = behaviour.credential_access(pop, params)
        """Relative chance of obtaining a credential in the background trend, per adult (mean
        1); regaining one after a tightening follows `behaviour.regain_routes`."""
        self.online_traffic = np.array([a.traffic for a in self.agency_list])
        self.rules = behaviour.Rules(pop, self.ties, params, self.online_traffic)
        """The tables and buffers of the citizens' two monthly passes (fixed for the run)."""
        self.breaches_this_month = 0
        self.stage_seconds: dict[str, float] | None = None
        """Each stage's total wall time, when set to a dict (profiling)."""

        self._begins: dict[int, list[Action]] = defaultdict(list)
        self._ends: dict[int, list[Action]] = defaultdict(list)
        self._active: list[tuple[int, Action]] = []
        copies: dict[str, int] = defaultdict(int)  # identical levers get streams of their own
        for lever in scenario.levers:
            if not lever.enabled:
                continue
            action = action_for(lever, copies[lever.stream_name])
            copies[lever.stream_name] += 1
            self._begins[scenario.month_index(lever.at)].append(action)
            if lever.until_date is not None:
                self._ends[scenario.month_index(lever.until_date) + 1].append(action)

        # A tracked panel: rows sampled by their own generator, so asking for a panel never
        # changes the model's random stream or its results.
        panel_rng = np.random.default_rng([scenario.seed, PANEL_STREAM])
        size = min(int(panel), n)
        self.panel_rows = np.sort(panel_rng.choice(n, size=size, replace=False)) if size else None

        self.rules.peer_share(pop, self.month)
        self.services = service_probabilities(
            self.agency_list, self.registries, self.regime, params
        )
        self.metrics = self._compute_metrics(self.rules.tally(pop, self.month), None)
        reporters: dict[str, Any] = {"date": _date_reporter}
        reporters.update({name: partial(_metric, name=name) for name in metrics.METRICS})
        self.datacollector = PanelCollector(
            model_reporters=reporters, agent_reporters={name: name for name in PANEL_FIELDS}
        )
        self.datacollector.collect(self)
        self.running = True

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_scenario(cls, path: str | PathLike[str], **kwargs: Any) -> AdoptionModel:
        """Load and validate a scenario file, then build the model (the same as
        ``AdoptionModel(path, **kwargs)``)."""
        return cls(Path(path), **kwargs)

    @property
    def seed(self) -> int:
        """The seed of this run (also ``model.spec.seed``): the ``seed``/``rng`` argument, or
        the scenario's own."""
        return self.spec.seed

    # ------------------------------------------------------------------ the step

    def _checked_step(self) -> None:
        """``model.step()``: refuse to go past the horizon before Mesa counts a step."""
        if self.steps >= self.n_months:
            raise self._horizon_error()
        self._mesa_step()

    def _horizon_error(self) -> RuntimeError:
        return RuntimeError(
            f"the model of {self.spec.name!r} has reached its last month {self.spec.end}; "
            "build a new model or extend `end`"
        )

    def step(self) -> None:
        """One month: the stages of ``STAGES``, in order (docs/ODD.md, section 3)."""
        if self.steps > self.n_months:  # stepped by other means than model.step()
            raise self._horizon_error()
        self.month = self.steps - 1
        self.breaches_this_month = 0
        seconds = self.stage_seconds
        for stage in STAGES:
            if seconds is None:
                getattr(self, stage.method)()
            else:
                started = time.perf_counter()
                getattr(self, stage.method)()
                seconds[stage.name] = seconds.get(stage.name, 0.0) + time.perf_counter() - started
        if self.steps >= self.n_months:
            self.running = False

    # ------------------------------------------------------------------ the stages

    def _stage_levers(self) -> None:
        self._run_levers(self.month)

    def _stage_agencies(self) -> None:
        regime = self.regime
        regime.capacity += regime.capacity_rate * (1.0 - regime.capacity)
        draws = self.streams.get("adapt", self.month).random((len(self.agency_list), ADAPT_DRAWS))
        n_digital = sum(a.accepts_digital for a in self.agency_list)
        for agency, u in zip(self.agency_list, draws, strict=True):
            before = agency.accepts_digital
            agency.adapt(u, n_digital / len(self.agency_list))
            n_digital += agency.accepts_digital - before
        self.services = service_probabilities(
            self.agency_list, self.registries, self.regime, self.params
        )

    def _stage_security(self) -> None:
        k, streams, params = self.month, self.streams, self.params
        p_breach = params.security.rate_breach_max * self.regime.breach_factor
        p_breach = p_breach * self.services.insecurity**2
        u = streams.get("breach", k).random((2, len(self.agency_list)))
        for a in np.flatnonzero(u[0] < p_breach):
            severity = min(1.0, params.security.mean_severity * 2.0 * float(u[1, a]))
            self.breach(int(a), severity, streams.get("exposure", k, int(a)))

    def _stage_citizens(self) -> None:
        k = self.month
        out = self.rules.citizens(
            self.population,
            k,
            self.streams.keys(k, behaviour.CITIZEN_STREAMS),
            self.services,
            self.regime,
            self.assisted_reach,
        )
        for agency, online, total in zip(
            self.agency_list, out.online_by_agency, out.transactions_by_agency, strict=True
        ):
            agency.online_demand = online / total if total else 0.0
        if out.n_online:
            self.online_traffic = out.online_by_agency / out.n_online
        self._outcomes = out

    def _stage_social(self) -> None:
        k, out = self.month, self._outcomes
        p_internet = behaviour.internet_chances(
            out.internet_by_area, self.area_size, self.internet_ceiling, self.internet_rate
        )
        self._tally = self.rules.social(
            self.population,
            k,
            self.streams.keys(k, behaviour.SOCIAL_STREAMS),
            out,
            p_internet,
            self.esignature_rate,
            self.credential_access,
        )

    def _stage_metrics(self) -> None:
        self.metrics = self._compute_metrics(self._tally, self._outcomes)
        self.datacollector.collect(self)

    def run(self, progress: Any = None) -> AdoptionModel:
        """Step to the scenario's last month. ``progress`` is called with the step count."""
        while self.running:
            self.step()
            if progress is not None:
                progress(self.steps)
        return self

    # ------------------------------------------------------------------ mechanisms

    def _run_levers(self, k: int) -> None:
        for action in self._ends.pop(k, []):
            action.end(self)
            self._active = [(s, item) for s, item in self._active if item is not action]
        for action in self._begins.pop(k, []):
            action.begin(self)
            self._active.append((k, action))
        for started, action in self._active:
            action.each_month(self, k - started)

    def agency(self, name: str) -> Agency:
        """The agency called ``name`` (see ``sim.model.agencies.agency_names``)."""
        try:
            return self._agency_by_name[name]
        except KeyError:
            known = ", ".join(self._agency_by_name)
            raise KeyError(f"no agency {name!r}; agencies: {known}") from None

    def breach(self, agency: str | int, severity: float, rng: np.random.Generator) -> None:
        """A breach: every aware adult loses trust with the news; recent online users of the
        agency (all of them for "portal") are exposed with chance ``severity`` and lose more.
        ``rng`` is the breach's own stream (one draw per adult)."""
        sp_, pop = self.params.security, self.population
        if agency == "portal":
            exposure = 1.0
        else:
            index = agency if isinstance(agency, int) else self.agency(agency).index
            exposure = float(self.online_traffic[index])
        harm = self.regime.breach_harm
        pop.trust[pop.aware] *= np.float32(1.0 - harm * sp_.rate_trust_loss_news * severity)
        recent = pop.last_tried > self.month - 12
        draws = rng.random(pop.n, dtype=np.float32)
        exposed = recent & (draws < severity * exposure)
        pop.trust[exposed] *= np.float32(1.0 - harm * sp_.rate_trust_loss_affected)
        self.breaches_this_month += 1

    def share_agencies_accepting_digital(self) -> float:
        """Share of the agencies, public and private, that accept digital documents now."""
        return float(np.mean([a.accepts_digital for a in self.agency_list]))

    def _compute_metrics(
        self, tally: behaviour.Tally, out: behaviour.Outcomes | None
    ) -> dict[str, float]:
        agencies = self.agency_list
        return metrics.compute(
            tally,
            out,
            agencies_digital=self.share_agencies_accepting_digital(),
            agencies_khur=float(np.mean([a.on_khur for a in agencies])),
            paper_demand=float(np.mean([a.paper_demand for a in agencies])),
            capacity=self.regime.capacity,
            reforms_adopted=self.regime.reforms_adopted,
            breaches=self.breaches_this_month,
            groups=self.groups,
            params=self.params,
        )

    # ------------------------------------------------------------------ access

    @property
    def date(self) -> str:
        """The "YYYY-MM" of the last simulated month (the month before the start, initially)."""
        return self.spec.date_of(self.month)

    def citizen(self, row: int) -> Citizen:
        """The ``Citizen`` view of ``row``: the registered agent when views are registered,
        otherwise a fresh unregistered view (national scale)."""
        if not 0 <= row < self.n_citizens:
            raise IndexError(f"citizen {row} out of range 0..{self.n_citizens - 1}")
        if self._views is not None:
            return self._views[row]
        return Citizen(self, row, register=False)

    def panel(self):
        """The tracked panel as a long DataFrame (one row per sampled citizen per month:
        ``step``, ``date``, ``row`` and ``PANEL_FIELDS``), or None without a panel. The
        same records as ``model.datacollector.get_agent_vars_dataframe()``."""
        if self.panel_rows is None:
            return None
        frame = self.datacollector.get_agent_vars_dataframe().reset_index()
        steps = frame.pop("Step").astype(np.int64)
        dates = self.datacollector.model_vars["date"]
        frame.insert(0, "row", frame.pop("AgentID").astype(np.int64) - 1)
        frame.insert(0, "date", [dates[i] for i in steps])
        frame.insert(0, "step", steps)
        for name in PANEL_COLUMNS:
            frame[name] = frame[name].astype(COLUMNS[name].dtype)
        frame["recent_user"] = frame["recent_user"].astype(bool)
        return frame

    def timeseries(self):
        """The collected metrics as a DataFrame, one row a month (the initial state first)."""
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        frame.insert(0, "step", np.arange(len(frame)))
        return frame

    def close(self) -> None:
        """Release the model: deregister agents and drop Mesa's class-level id counter, which
        otherwise keeps every model alive for the life of the process (mesa issue 3179)."""
        self.remove_all_agents()
        self._views = None
        ids = getattr(mesa.Agent, "_ids", None)  # Mesa 3.3's class-level id counters
        if ids is not None:
            ids.pop(self, None)


def warm_up() -> None:
    """Compile the model's kernels (``sim.model.kernels``) into numba's on-disk cache by
    running a tiny model through a few months with levers: the first use on a machine then
    costs nothing extra (``make`` does this once after installing)."""
    model = AdoptionModel("history", seed=0, citizens=300, end="2024-12", agent_views=False)
    model.run()
    model.close()


PANEL_STREAM = 0x9A4E1
"""Second entropy word of the panel's own generator."""
PANEL_COLUMNS = (
    "age",
    "area",
    "internet",
    "skill",
    "trust",
    "paper_habit",
    "esignature",
    "aware",
    "locked_out",
    "n_success",
    "n_fail",
)

PANEL_FIELDS = (*PANEL_COLUMNS, "recent_user")
"""The agent variables collected for the panel (``recent_user``: completed an online service
in the last 12 months)."""


def _date_reporter(model: AdoptionModel) -> str:
    return model.date


class PanelCollector(DataCollector):
    """Mesa's DataCollector, with agent variables recorded for the tracked panel only.

    Mesa records agent reporters for every agent in ``model.agents`` (tens of thousands of
    citizen views, or none at national scale); here they cover the panel's rows
    (``AdoptionModel(panel=N)``), read from the columns at once, so ``panel=0`` costs
    nothing and ``get_agent_vars_dataframe()`` works at any scale. ``AgentID`` is the row
    plus 1 (the citizen's ``unique_id``); ``Step`` is ``model.steps`` (0 is the initial
    state). A reporter added under another name is called on each panel citizen's view.
    """

    def _record_agents(self, model: AdoptionModel) -> list[tuple]:
        rows = model.panel_rows
        if rows is None:
            return []
        pop = model.population
        values = []
        for name, reporter in self.agent_reporters.items():
            if name in PANEL_COLUMNS:
                values.append(getattr(pop, name)[rows].tolist())
            elif name == "recent_user":
                values.append(behaviour.recent_users(pop, model.month)[rows].tolist())
            else:
                values.append([reporter(model.citizen(int(row))) for row in rows])
        ids = (rows + 1).tolist()
        records = zip(ids, zip(*values, strict=True), strict=True)
        return [(model.steps, uid, *entry) for uid, entry in records]

    def get_agent_vars_dataframe(self):
        """The panel's variables indexed by ``Step`` and ``AgentID`` (empty without a panel)."""
        if any(self._agent_records.values()):
            return super().get_agent_vars_dataframe()
        import pandas as pd

        index = pd.MultiIndex.from_arrays([[], []], names=["Step", "AgentID"])
        return pd.DataFrame(columns=list(self.agent_reporters), index=index)


# --------------------------------------------------------------------------- construction

TOP_LEVEL_KEYWORDS = ("name", "description", "start", "end")
"""Scenario fields that ``AdoptionModel(**overrides)`` may set besides parameters."""
SOURCE = "AdoptionModel arguments"
"""How errors in keyword arguments name their source (like a file name)."""


SCENARIO_ALLOWED = "a Scenario, a library name (egov-sim list), a scenario file's path, or None"
RNG_ALLOWED = (
    "None, a whole number 0..2**63-1, a numpy Generator, BitGenerator or SeedSequence, "
    "or a sequence of non-negative whole numbers"
)


def refusal(name: str, value: Any, allowed: str) -> InputError:
    """The one-line error for a bad keyword argument ``name``."""
    return InputError(f"{SOURCE}: {name}: {short_repr(value)} is not allowed (allowed: {allowed})")


def whole(value: Any) -> bool:
    """An int or numpy integer, and not a bool (``True`` is no population or row count)."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def check_view_and_panel(agent_views: Any, panel: Any, citizens: int | None = None) -> None:
    """``agent_views`` is None or a bool; ``panel`` a whole number, at most ``citizens`` once
    the run's size is known (a panel samples distinct citizens)."""
    if agent_views is not None and not isinstance(agent_views, bool | np.bool_):
        allowed = f"True, False or None, for views up to {CITIZEN_AGENT_LIMIT:,} citizens"
        raise refusal("agent_views", agent_views, allowed)
    limit = "the run's citizens" if citizens is None else f"{citizens:,}, the run's citizens"
    if not whole(panel) or panel < 0 or (citizens is not None and panel > citizens):
        raise refusal("panel", panel, f"a whole number from 0 to {limit}")


def resolve_scenario(scenario: Scenario | str | PathLike[str] | None) -> Scenario:
    """A Scenario as is; a library name (``"status_quo"``, ``"docking/bass"``) or a path
    loaded and validated; None: the built-in defaults (the parameters' default values)."""
    if scenario is None:
        return Scenario(name="default")
    if isinstance(scenario, Scenario):
        return scenario
    name = fspath(scenario) if isinstance(scenario, str | PathLike) else None
    if not isinstance(name, str) or not name.strip() or "\0" in name:
        raise refusal("scenario", scenario, SCENARIO_ALLOWED)
    return load_scenario(scenario)


def choose_seed(seed: Any = None, rng: Any = None, *, default: int | None = None) -> int:
    """The seed of a run, as Mesa reads ``seed``/``rng``: an int is used as is; any other
    ``rng`` (a ``numpy.random.Generator``, ``SeedSequence``, ...) gives one deterministically
    (a Generator is advanced by one draw; a ``SeedSequence()`` made without entropy gives a
    fresh seed); neither: ``default`` (the scenario's seed), or fresh entropy without one.
    Always below 2**63. A bad ``rng`` is a :class:`InputError` naming it (a bad ``seed`` is
    one from validation)."""
    if seed is not None and rng is not None:
        raise InputError(f"{SOURCE}: seed, rng: both given (allowed: one of them, as in Mesa)")
    if rng is not None:
        if whole(rng):
            if not 0 <= rng < 2**63:
                raise refusal("rng", rng, RNG_ALLOWED)
            return int(rng)
        if isinstance(rng, bool | np.bool_ | str | bytes | float):
            raise refusal("rng", rng, RNG_ALLOWED)
        try:
            generator = np.random.default_rng(rng)
        except (TypeError, ValueError, OverflowError):
            raise refusal("rng", rng, RNG_ALLOWED) from None
        return int(generator.integers(2**63))
    if seed is None:
        if default is not None:
            return default
        return int(np.random.SeedSequence().entropy) % 2**63
    return int(seed) if isinstance(seed, np.integer) else seed


def configure(
    spec: Scenario,
    *,
    seed: int,
    citizens: int | str | None = None,
    params: dict[str, Any] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Scenario:
    """``spec`` with the seed, size, parameter tables and keyword overrides applied, each
    validated as in a scenario file (:class:`InputError` naming the key otherwise). Lever
    keywords (``levers__ministry__at``) are checked as an experiment file's
    ``levers.<id>.<field>`` values are, against the scenario once its horizon is set."""
    overrides = {current_path(key, SOURCE): value for key, value in (overrides or {}).items()}
    top = {key: overrides.pop(key) for key in TOP_LEVEL_KEYWORDS if key in overrides}
    levers = {key: overrides.pop(key) for key in list(overrides) if key.startswith(LEVER_KEYWORD)}
    known = keyword_paths(spec.areas)  # per-area entries of the scenario's country
    for key in overrides:
        if key not in known:
            close = get_close_matches(key, [*known, *TOP_LEVEL_KEYWORDS], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"{SOURCE}: {key}: unknown parameter{hint} (a parameter is group__name, "
                "e.g. choice__coef_trust; see docs/parameters.md; a lever's field is "
                "levers__<id>__<field>)"
            )
    top["seed"] = seed
    if citizens is not None:
        top["citizens"] = citizens
    if params is not None and not isinstance(params, dict):
        raise refusal("params", params, "None or a dict of parameter tables, as a file's [params]")
    if params or any(spec.model_dump(include=set(top)).get(k) != v for k, v in top.items()):
        data = spec.model_dump(mode="python")
        data.update(top)
        if params:
            data["params"] = merge_tables(data["params"], params)
        spec = validate(data, Scenario, SOURCE)
    values = {known[key]: value for key, value in overrides.items()}
    for key, value in levers.items():
        try:
            path = lever_keyword(key)
        except ValueError as exc:
            raise InputError(f"{SOURCE}: {key}: {exc}") from None
        try:
            check_values(path, [value], [spec])
        except ValueError as exc:  # says what the experiment file's value would get
            raise InputError(f"{SOURCE}: {key}: {str(exc).removeprefix(path + ': ')}") from None
        values[path] = value
    if values:
        try:
            spec = with_values(spec, values)
        except ValidationError as exc:
            if not levers:
                raise InputError(error_text(exc, SOURCE, Scenario)) from None
            given = ", ".join(levers)  # a rule across fields: a lever's until before its at
            raise InputError(
                "\n".join(
                    f"{SOURCE}: {given}: makes the scenario invalid: {line.removeprefix(': ')}"
                    for line in error_text(exc, "", Scenario).splitlines()
                )
            ) from None
    return spec
