"""A reference implementation of the core citizen rules in idiomatic per-agent Mesa.

One ``mesa.Agent`` per citizen with a ``step()`` method, neighbours from
``mesa.discrete_space.Network``: the way most Mesa models are written. It implements the
core rules of ``sim.model.behaviour`` one agent at a time, with the same parameters:

- service needs (Poisson by age group), each at an agency drawn by traffic;
- channel choice (the same gated multinomial logit over online, assisted, in person);
- outcome (online success end to end or a paper round trip; paper at the counter);
- learning (trust, paper habit, skill, experience; successes before failures);
- word of mouth (awareness by Bass, social proof, DeGroot trust averaging).

Agencies are held fixed (``CORE_PARAMS`` switches off adaptation, breaches and trends), so
both implementations face the same service table. It starts from the vectorised model's
initial population, ties and agencies for the same seed; only the month-to-month randomness
differs, so the two must agree on aggregate curves within sampling error (the docking test,
``tests/test_reference.py``), and their speeds can be compared (``benchmarks/bench.py``).
"""

from __future__ import annotations

import bisect
import inspect
import math

import mesa
import networkx as nx
import numpy as np
from mesa.datacollection import DataCollector
from mesa.discrete_space import FixedAgent, Network

from sim.files import validate_scenario
from sim.model.model import AdoptionModel
from sim.scenario import Scenario

CORE_PARAMS = {
    "agencies": {"rate_adapt": 0.0},
    "security": {"rate_breach_max": 0.0},
    "internet": {"rate_growth": 0.0},
    "trends": {"rate_esignature_uptake": 0.0},
}
"""Parameters that switch off everything but the core citizen rules."""


def core_scenario(citizens: int, months: int = 24, seed: int = 0) -> Scenario:
    """The core-rules scenario used by both implementations."""
    end_year, end_month = divmod(2020 * 12 + 9 + months - 1, 12)
    return validate_scenario(
        {
            "name": "core",
            "citizens": citizens,
            "seed": seed,
            "start": "2020-10",
            "end": f"{end_year}-{end_month + 1:02d}",
            "params": CORE_PARAMS,
        },
        "<core>",
    )


class RefCitizen(FixedAgent):
    """A citizen as a Mesa agent with its state in attributes."""

    def __init__(self, model: ReferenceModel, row: int, cell) -> None:
        super().__init__(model)
        pop = model.source.population
        self.age_group = int(pop.age_group[row])
        self.area = int(pop.area[row])
        self.internet = bool(pop.internet[row])
        self.aware = bool(pop.aware[row])
        self.esignature = bool(pop.esignature[row])
        self.trust = float(pop.trust[row])
        self.paper_habit = float(pop.paper_habit[row])
        self.skill = float(pop.skill[row])
        self.n_success = int(pop.n_success[row])
        self.n_fail = int(pop.n_fail[row])
        self.last_online = int(pop.last_online[row])
        self.peer_online = float(pop.peer_online[row])
        self.cell = cell
        self.month_success = self.month_fail = self.month_tx = 0

    def step(self) -> None:
        """This month's needs: choose a channel for each, see the outcome, then learn."""
        m = self.model
        p = m.params
        rng = self.random
        self.month_success = self.month_fail = self.month_tx = 0
        paper = 0
        for _ in range(_poisson(rng, m.need_rate[self.age_group])):
            self.month_tx += 1
            a = min(bisect.bisect_right(m.traffic_cdf, rng.random()), m.n_agencies - 1)
            service_online = rng.random() < m.share_online[a]
            needs_esig = rng.random() < p.needs.p_needs_esignature
            can_online = (
                self.internet
                and self.aware
                and service_online
                and (self.esignature or not needs_esig)
            )
            can_assisted = service_online and rng.random() < m.assisted_reach[self.area]
            e_online = math.exp(self.online_utility(m.insecurity[a])) if can_online else 0.0
            e_assisted = (
                math.exp(p.choice.coef_assisted_intercept + p.choice.coef_trust * self.trust)
                if can_assisted
                else 0.0
            )
            pick = rng.random() * (e_online + e_assisted + 1.0)
            if pick < e_online:
                if rng.random() < m.p_end_to_end[a]:
                    self.month_success += 1
                else:
                    self.month_fail += 1
            elif rng.random() < m.p_paper[a]:
                paper += 1
        self.learn(paper)

    def online_utility(self, insecurity: float) -> float:
        cp = self.model.params.choice
        n_exp = self.n_success + self.n_fail
        experience = (self.n_success - self.n_fail) / (n_exp + 2.0)
        return (
            cp.coef_online_intercept
            + cp.coef_trust * self.trust
            + cp.coef_skill * self.skill
            + cp.coef_peer * self.peer_online
            + cp.coef_experience * experience
            + cp.coef_paper_habit * self.paper_habit
            + cp.coef_risk * (1.0 - self.trust) * insecurity
        )

    def learn(self, paper: int) -> None:
        lp = self.model.params.learning
        s, f = self.month_success, self.month_fail
        self.trust = 1.0 - (1.0 - self.trust) * (1.0 - lp.rate_trust_gain) ** s
        self.trust *= (1.0 - lp.rate_trust_loss) ** f
        self.paper_habit *= (1.0 - lp.rate_habit_loss) ** s
        self.paper_habit = 1.0 - (1.0 - self.paper_habit) * (1.0 - lp.rate_habit_gain) ** (
            f + paper
        )
        self.skill = 1.0 - (1.0 - self.skill) * (1.0 - lp.rate_skill_gain) ** (s + f)
        self.n_success += s
        self.n_fail += f
        if s:
            self.last_online = self.model.month

    def recent(self) -> bool:
        return self.last_online > self.model.month - 12

    def listen(self) -> tuple[float, float]:
        """Word of mouth, read phase: share of ties who are recent users, and their trust."""
        neighbours = list(self.cell.neighborhood.agents)
        if not neighbours:
            return 0.0, self.trust
        users = sum(1 for other in neighbours if other.recent())
        return users / len(neighbours), sum(o.trust for o in neighbours) / len(neighbours)

    def update(self, peer_online: float, peer_trust: float) -> None:
        """Word of mouth, write phase."""
        lp = self.model.params.learning
        self.peer_online = peer_online
        hazard = _bass_hazard(lp.p_aware_media, lp.p_aware_peer, peer_online)
        if not self.aware and self.random.random() < hazard:
            self.aware = True
        self.trust += lp.rate_trust_social * (peer_trust - self.trust)


def _bass_hazard(p: float, q: float, share: float) -> float:
    """The Bass equation integrated over a month from ``share`` (as sim.model.behaviour)."""
    if p + q <= 0:
        return 0.0
    f = min(share, 1.0 - 1e-12)
    ratio = (p + q * f) / (1.0 - f) * math.exp(p + q)
    return ((ratio - p) / (ratio + q) - f) / (1.0 - f)


def _poisson(rng, lam: float) -> int:
    """Knuth's Poisson sampler (small means)."""
    limit, k, product = math.exp(-lam), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


class ReferenceModel(mesa.Model):
    """Per-agent Mesa version of the core rules, starting from the vectorised model's state."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        super().__init__(rng=seed + 1)  # its own month-to-month randomness (an int: as seed=)
        self.source = AdoptionModel(scenario, seed=seed, agent_views=False)
        self.params = scenario.params
        self.n_months = scenario.n_months
        self.month = -1
        services = self.source.services
        traffic = np.array([a.traffic for a in self.source.agency_list])
        self.traffic_cdf = list(np.cumsum(traffic) / traffic.sum())  # agencies drawn by traffic
        self.share_online = list(services.share_online)
        self.p_paper = list(services.p_paper)
        self.p_end_to_end = list(services.p_end_to_end)
        self.insecurity = list(services.insecurity)
        self.n_agencies = len(self.share_online)
        self.assisted_reach = list(self.source.assisted_reach)
        self.need_rate = [r / 12.0 for r in self.params.needs.rate_needs_per_year.array()]

        graph = nx.from_scipy_sparse_array(self.source.ties)
        # Mesa 3.5 lays a Network out for drawing (a spring layout, O(n^2)); not needed here
        layout = {"layout": None} if "layout" in inspect.signature(Network).parameters else {}
        self.space = Network(graph, random=self.random, **layout)
        self.citizens = [
            RefCitizen(self, row, self.space[row]) for row in range(scenario.n_citizens)
        ]
        self.source.close()
        self.datacollector = DataCollector(
            model_reporters={
                "online_users_share": lambda m: (
                    sum(c.recent() for c in m.citizens) / len(m.citizens)
                ),
                "mean_trust": lambda m: sum(c.trust for c in m.citizens) / len(m.citizens),
                "mean_paper_habit": lambda m: (
                    sum(c.paper_habit for c in m.citizens) / len(m.citizens)
                ),
                "aware_share": lambda m: sum(c.aware for c in m.citizens) / len(m.citizens),
                "end_to_end_share": lambda m: m.end_to_end,
            }
        )
        self.end_to_end = float("nan")

    def step(self) -> None:
        self.month = self.steps - 1
        self.agents.shuffle_do("step")
        heard = [c.listen() for c in self.citizens]
        for citizen, (peer_online, peer_trust) in zip(self.citizens, heard, strict=True):
            citizen.update(peer_online, peer_trust)
        tx = sum(c.month_tx for c in self.citizens)
        self.end_to_end = sum(c.month_success for c in self.citizens) / max(tx, 1)
        self.datacollector.collect(self)
        if self.steps >= self.n_months:
            self.running = False

    def run(self) -> ReferenceModel:
        while self.running:
            self.step()
        return self

    def timeseries(self):
        return self.datacollector.get_model_vars_dataframe().reset_index(drop=True)

    def close(self) -> None:
        self.remove_all_agents()
        ids = getattr(mesa.Agent, "_ids", None)  # Mesa 3.3's class-level id counters
        if ids is not None:
            ids.pop(self, None)


def vectorised_timeseries(scenario: Scenario, seed: int):
    """The vectorised model's curves for the same scenario and seed (months only)."""
    model = AdoptionModel(scenario, seed=seed, agent_views=False)
    frame = model.run().timeseries()
    model.close()
    return frame[frame["step"] > 0].reset_index(drop=True)
