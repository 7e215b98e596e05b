"""``AdoptionModel``: a Mesa model of digital public-service adoption, one step a month."""

from __future__ import annotations

from collections import defaultdict
from functools import partial
from pathlib import Path
from typing import Any

import mesa
import numpy as np
from mesa.datacollection import DataCollector

from sim.model import behaviour, metrics
from sim.model.agencies import Agency, Regime, build_agencies, service_probabilities
from sim.model.interventions import Lever
from sim.model.network import build_ties, degrees
from sim.model.population import Citizen, Population
from sim.model.synth import build_population
from sim.scenario import Scenario, load_scenario

CITIZEN_AGENT_LIMIT = 50_000
"""Largest population for which every citizen is also registered as a ``Citizen`` agent in
``model.agents``. Views cost ~1 KB and ~5 us each to build; above this size the model runs
on its columns alone and ``model.citizen(i)`` makes a view on demand."""


def _metric(model: AdoptionModel, name: str) -> float:
    """DataCollector model reporter: one entry of ``model.metrics`` (computed once a step)."""
    return model.metrics[name]


class AdoptionModel(mesa.Model):
    """Citizens (numpy columns with ``Citizen`` views) and agencies (Mesa agents).

    One step is one calendar month, in this order (MODEL.md):

    1. interventions and events dated this month change the regime, agencies or citizens;
    2. agencies adapt (``Agency.adapt``), then the data-access rules give each agency's
       chances of paper demands and of end-to-end online service;
    3. security: each agency suffers a breach with a chance set by its security level;
       a breach lowers trust, more for those exposed;
    4. citizens meet service needs and choose a channel (online, assisted, in person);
    5. outcomes: online success end to end or a paper round trip; trust, paper habit and
       skill learn from them; word of mouth spreads awareness, social proof and trust;
    6. internet access and e-signature holdings follow their trends;
    7. metrics are computed and collected by the ``DataCollector``.

    Build from a file with :meth:`from_scenario`; ``seed`` and ``citizens`` override the
    scenario's values. The same scenario and seed give bit-identical results.
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        seed: int | None = None,
        citizens: int | str | None = None,
        agent_views: bool | None = None,
        panel: int = 0,
    ) -> None:
        scenario = scenario if scenario is not None else Scenario(name="default")
        changes = {k: v for k, v in {"seed": seed, "citizens": citizens}.items() if v is not None}
        if changes:
            scenario = scenario.with_overrides(**changes)
        super().__init__(seed=scenario.seed)
        self.scenario = scenario
        self.params = scenario.params
        self.n_citizens = scenario.n_citizens
        self.n_months = scenario.n_months
        self.month = -1
        """Step index of the last simulated month (-1: the initial state)."""

        params, rng, n = self.params, self.rng, self.n_citizens
        self.population: Population = build_population(params, n, rng)
        pop = self.population
        self.ties = build_ties(pop.locality, pop.household, params.network, rng)
        self.degree = degrees(self.ties)
        if agent_views is None:
            agent_views = n <= CITIZEN_AGENT_LIMIT
        self._views = [Citizen(self, i) for i in range(n)] if agent_views else None

        self.regime = Regime()
        self.agency_list, self.registries = build_agencies(self)
        self._agency_by_name = {a.name: a for a in self.agency_list}
        self.groups = metrics.Groups.of(pop)
        self.tie_weights = behaviour.TieWeights.of(self.degree)
        self.area_size = np.bincount(pop.area, minlength=4)
        self.internet_ceiling = np.asarray(params.internet.share_ceiling.array())
        self.internet_rate = np.full(4, params.internet.rate_growth)
        self.assisted_reach = np.asarray(params.choice.share_assisted_reach.array())
        self.esignature_rate = params.trends.rate_esignature_uptake
        self.online_traffic = np.array([a.traffic for a in self.agency_list])
        traffic_cdf = np.cumsum(self.online_traffic) / self.online_traffic.sum()
        self.needs = behaviour.NeedsSampler(pop, params, traffic_cdf)
        self.breaches_this_month = 0

        self._begins: dict[int, list[Lever]] = defaultdict(list)
        self._ends: dict[int, list[Lever]] = defaultdict(list)
        self._active: list[tuple[int, Lever]] = []
        for lever in scenario.interventions:
            self._begins[scenario.month_index(lever.at)].append(lever)
            if lever.until_date is not None:
                self._ends[scenario.month_index(lever.until_date) + 1].append(lever)

        # A tracked panel: rows sampled by their own generator, so asking for a panel never
        # changes the model's random stream or its results.
        panel_rng = np.random.default_rng([scenario.seed, PANEL_STREAM])
        size = min(int(panel), n)
        self.panel_rows = np.sort(panel_rng.choice(n, size=size, replace=False)) if size else None
        self._panel: list = []

        self._update_peer_share()
        self.services = service_probabilities(
            self.agency_list, self.registries, self.regime, params
        )
        self.metrics = self._compute_metrics(None)
        reporters: dict[str, Any] = {"date": _date_reporter}
        reporters.update({name: partial(_metric, name=name) for name in metrics.METRICS})
        self.datacollector = DataCollector(model_reporters=reporters)
        self.datacollector.collect(self)
        self._record_panel()
        self.running = True

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_scenario(
        cls,
        path: str | Path,
        *,
        seed: int | None = None,
        citizens: int | str | None = None,
        agent_views: bool | None = None,
    ) -> AdoptionModel:
        """Load and validate a scenario file, then build the model."""
        return cls(load_scenario(path), seed=seed, citizens=citizens, agent_views=agent_views)

    # ------------------------------------------------------------------ the step

    def step(self) -> None:
        """One month; see the class docstring for the order."""
        self.month = k = self.steps - 1
        params, rng, pop = self.params, self.rng, self.population
        self.breaches_this_month = 0

        # 1. Interventions and events.
        self._run_interventions(k)

        # 2. Agencies adapt; data-access rules give this month's service probabilities.
        for agency in self.agency_list:
            agency.adapt()
        self.services = service_probabilities(
            self.agency_list, self.registries, self.regime, params
        )

        # 3. Security breaches.
        p_breach = params.security.rate_breach_max * self.regime.breach_factor
        p_breach = p_breach * self.services.insecurity**2
        for a in np.flatnonzero(rng.random(len(self.agency_list)) < p_breach):
            severity = min(1.0, params.security.mean_severity * 2.0 * float(rng.random()))
            self.breach(int(a), severity)

        # 4-5. Needs, channel choice, outcomes, learning, word of mouth.
        tx = behaviour.draw_transactions(self.needs, rng)
        channel = behaviour.choose_channels(
            pop, tx, self.services, self.regime, params, rng, self.assisted_reach
        )
        out = behaviour.serve(pop, tx, channel, self.services, self.regime, rng)
        behaviour.learn(pop, out, params, k)
        behaviour.reassure(pop, self.regime.trust_recovery, k)
        behaviour.word_of_mouth(pop, self.ties, self.tie_weights, params, rng, k)
        for agency, online, total in zip(
            self.agency_list, out.online_by_agency, out.transactions_by_agency, strict=True
        ):
            agency.online_demand = online / total if total else 0.0
        if out.n_online:
            self.online_traffic = out.online_by_agency / out.n_online

        # 6. Trends.
        behaviour.grow_internet(
            pop, self.internet_ceiling, self.internet_rate, params, rng, self.area_size
        )
        behaviour.take_up_esignatures(pop, self.esignature_rate, rng)

        # 7. Metrics.
        self.metrics = self._compute_metrics(out)
        self.datacollector.collect(self)
        self._record_panel()
        if self.steps >= self.n_months:
            self.running = False

    def run(self, progress: Any = None) -> AdoptionModel:
        """Step to the scenario's last month. ``progress`` is called with the step count."""
        while self.running:
            self.step()
            if progress is not None:
                progress(self.steps)
        return self

    # ------------------------------------------------------------------ mechanisms

    def _run_interventions(self, k: int) -> None:
        for lever in self._ends.pop(k, []):
            lever.end(self)
            self._active = [(s, item) for s, item in self._active if item is not lever]
        for lever in self._begins.pop(k, []):
            lever.begin(self)
            self._active.append((k, lever))
        for started, lever in self._active:
            lever.each_month(self, k - started)

    def agency(self, name: str) -> Agency:
        """The agency called ``name`` (see ``sim.model.agencies.agency_names``)."""
        try:
            return self._agency_by_name[name]
        except KeyError:
            known = ", ".join(self._agency_by_name)
            raise KeyError(f"no agency {name!r}; agencies: {known}") from None

    def breach(self, agency: str | int, severity: float) -> None:
        """A breach: every aware adult loses trust with the news; recent online users of the
        agency (all of them for "portal") are exposed with chance ``severity`` and lose more."""
        sp_, pop = self.params.security, self.population
        if agency == "portal":
            exposure = 1.0
        else:
            index = agency if isinstance(agency, int) else self.agency(agency).index
            exposure = float(self.online_traffic[index])
        harm = self.regime.breach_harm
        pop.trust[pop.aware] *= np.float32(1.0 - harm * sp_.rate_trust_loss_news * severity)
        recent = pop.last_tried > self.month - 12
        draws = self.rng.random(pop.n, dtype=np.float32)
        exposed = recent & (draws < severity * exposure)
        pop.trust[exposed] *= np.float32(1.0 - harm * sp_.rate_trust_loss_affected)
        self.breaches_this_month += 1

    def share_agencies_accepting_digital(self) -> float:
        return float(np.mean([a.accepts_digital for a in self.agency_list]))

    def _update_peer_share(self) -> None:
        users = behaviour.recent_users(self.population, self.month)
        self.population.peer_online[:] = behaviour.neighbour_share(
            self.ties, users, self.tie_weights.per_tie, self.params.network.mixing
        )

    def _compute_metrics(self, out: behaviour.Outcomes | None) -> dict[str, float]:
        agencies = self.agency_list
        return metrics.compute(
            self.population,
            self.month,
            out,
            agencies_digital=self.share_agencies_accepting_digital(),
            agencies_khur=float(np.mean([a.on_khur for a in agencies])),
            paper_demand=float(np.mean([a.paper_demand for a in agencies])),
            breaches=self.breaches_this_month,
            groups=self.groups,
            params=self.params,
        )

    # ------------------------------------------------------------------ access

    @property
    def date(self) -> str:
        """The "YYYY-MM" of the last simulated month (the month before the start, initially)."""
        return self.scenario.date_of(self.month)

    def citizen(self, row: int) -> Citizen:
        """The ``Citizen`` view of ``row``: the registered agent when views are registered,
        otherwise a fresh unregistered view (national scale)."""
        if not 0 <= row < self.n_citizens:
            raise IndexError(f"citizen {row} out of range 0..{self.n_citizens - 1}")
        if self._views is not None:
            return self._views[row]
        return Citizen(self, row, register=False)

    def _record_panel(self) -> None:
        if self.panel_rows is None:
            return
        rows = self.panel_rows
        frame = self.population.frame(rows)[list(PANEL_COLUMNS)]
        frame.insert(0, "row", rows)
        frame.insert(0, "date", self.date)
        frame.insert(0, "step", self.steps)
        frame["recent_user"] = behaviour.recent_users(self.population, self.month)[rows]
        self._panel.append(frame)

    def panel(self):
        """The tracked panel as a long DataFrame (one row per sampled citizen per month), or
        None without a panel."""
        import pandas as pd

        return pd.concat(self._panel, ignore_index=True) if self._panel else None

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
        mesa.Agent._ids.pop(self, None)


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


def _date_reporter(model: AdoptionModel) -> str:
    return model.date
