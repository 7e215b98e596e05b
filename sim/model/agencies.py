"""Agencies (ordinary Mesa agents), registries with Khur data-access rules, and the regime.

An agency offers services (a share of them online), accepts digital documents or not, asks
for paper certificates with some habit, may be connected to Khur and may query the
registries whose owners opened them to it. Each month it adapts (``Agency.adapt``); the
model then turns all agencies' state into per-agency service probabilities with
:func:`service_probabilities`, the only place where the data-access rules are applied.

The build draws each agency trait, the needs table and each registry's sharing row from a
build stream of its own (``agencies.*`` and ``registries.shared`` in
:data:`sim.model.streams.MECHANISMS`), keyed by the agency or registry: moving one trait's
parameter, the number of private parties or anything outside the agencies leaves every
other trait of every agency bit-identical.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim.names import agency_names, registry_names
from sim.params import Params

if TYPE_CHECKING:
    from sim.model.model import AdoptionModel


@dataclass
class Regime:
    """The legal and institutional setting; levers change it, rules read it."""

    digital_documents_legal: bool = False
    """Digital documents and signatures are legally equal to paper ones."""
    central_ministry: bool = False
    """A central ministry coordinates agencies towards common standards."""
    coordination_rate: float = 0.0
    """Per month: chance a coordinated agency takes a step towards the standards."""
    capacity: float = 0.0
    """Coordination capacity, 0..1: the standards, certificate authority and data-sharing
    agreements that the law, open databases and once-only need to take effect."""
    capacity_rate: float = 0.0
    """Per month: share of the remaining capacity gap closed (faster with a ministry)."""
    online_push: float = 0.0
    """Utility added to the online channel (demand shocks such as lockdowns)."""
    counters_closed: float = 0.0
    """Share of in-person and assisted visits turned away (lockdowns; overlapping ones add up,
    capped at 1 where used)."""
    breach_factor: float = 1.0
    """Multiplier of breach rates (cyber-security programmes lower it)."""
    breach_harm: float = 1.0
    """Multiplier of the trust lost in a breach (data-protection programmes lower it)."""
    trust_recovery: float = 0.0
    """Per month: recent online users' trust moves this share towards 1 (data protection)."""
    reforms_adopted: int = 0
    """Endogenous reforms adopted so far (they arise with a chance that grows with
    ``capacity``; dated levers are not counted)."""


@dataclass
class Registries:
    """State registries and who may query them through Khur."""

    names: list[str]
    owner: np.ndarray
    """Index of the public agency that owns each registry."""
    shared: np.ndarray
    """``shared[r, a]``: the owner of registry r lets agency a query it."""
    citizen_pull: np.ndarray
    """``citizen_pull[r]``: citizens can pull their own record of r as a digital document."""


class Agency(mesa.Agent):
    """A public agency or private relying party."""

    def __init__(
        self,
        model: AdoptionModel,
        index: int,
        name: str,
        public: bool,
        *,
        share_online: float,
        accepts_digital: bool,
        on_khur: bool,
        paper_demand: float,
        security: float,
        inertia: float,
        needs: np.ndarray,
        traffic: float,
    ) -> None:
        super().__init__(model)
        self.unique_id = model.n_citizens + 1 + index  # citizens are 1..n
        self.index = index
        self.name = name
        self.public = public
        self.share_online = share_online
        self.accepts_digital = accepts_digital
        self.on_khur = on_khur
        self.paper_demand = paper_demand
        self.security = security
        self.inertia = inertia
        self.needs = needs
        """Chance that a data need of this agency's services concerns each registry."""
        self.traffic = traffic
        """Share of all transactions that go to this agency."""
        self.online_demand = 0.0
        """Share of last month's transactions that citizens attempted online."""
        self.once_only = False
        """Bound by the once-only rule: no paper for data it can query."""

    def __repr__(self) -> str:
        return (
            f"Agency({self.name!r}, online={self.share_online:.2f}, "
            f"digital={self.accepts_digital}, khur={self.on_khur}, "
            f"paper={self.paper_demand:.2f})"
        )

    def adapt(self, draws: np.ndarray, peers_digital: float) -> None:
        """One month of adaptation (docs/ODD.md, process step 2).

        Without a central ministry an agency moves towards digital standards with chance
        ``rate_adapt x (1 - inertia) x pressure`` (pressure from citizens' online demand and
        from peer agencies that accept digital documents). With one, it also moves with the
        ministry's coordination rate, whatever its pressure. ``draws`` are this agency's five
        uniforms of the month (its slot in the "adapt" stream); ``peers_digital`` is the share
        of agencies accepting digital documents, as the agencies before it in the month's
        order have left it.
        """
        model = self.model
        ap = model.params.agencies
        pressure = ap.coef_pressure_demand * self.online_demand
        pressure += ap.coef_pressure_peers * peers_digital
        p_step = ap.rate_adapt * (1.0 - self.inertia) * min(pressure, 1.0)
        if model.regime.central_ministry:
            p_step = 1.0 - (1.0 - p_step) * (1.0 - model.regime.coordination_rate)
        if draws[0] >= p_step:
            return
        self.share_online += ap.step_online * (1.0 - self.share_online)
        self.paper_demand *= 1.0 - ap.step_paper
        if not self.accepts_digital and draws[1] < ap.p_accept_per_step:
            self.accepts_digital = True
        if not self.on_khur and draws[2] < ap.p_join_khur_per_step:
            self.on_khur = True
        owned = np.flatnonzero(model.registries.owner == self.index)
        if len(owned) and draws[3] < ap.p_share_per_step:
            closed = np.flatnonzero(~model.registries.shared[owned[0]])
            if len(closed):
                pick = closed[min(int(draws[4] * len(closed)), len(closed) - 1)]
                model.registries.shared[owned[0], pick] = True


def build_agencies(model: AdoptionModel) -> tuple[list[Agency], Registries]:
    """Create the agencies (as Mesa agents of ``model``) and the registries, from the build's
    agency and registry streams of ``model.streams``."""
    params, streams = model.params, model.streams
    ap = params.agencies
    names = agency_names(params)
    n_public, n_all = ap.n_public, ap.n_public + ap.n_private
    n_reg = ap.n_registries

    # Traffic: public agencies by a Zipf-like law, private parties share the rest equally.
    rank = np.arange(1, n_public + 1)
    zipf = 1.0 / rank**ap.traffic_exponent
    public_w = zipf / zipf.sum() * (1.0 - params.needs.share_private)
    private_w = np.full(ap.n_private, params.needs.share_private / max(ap.n_private, 1))
    traffic = np.concatenate([public_w, private_w])
    traffic /= traffic.sum()

    # Which registries each agency's services need: 2..n_registries_needed_max, Dirichlet weights.
    needs = np.zeros((n_all, n_reg))
    top = ap.n_registries_needed_max  # 2..n_registries, checked by the schema
    for a in range(n_all):
        rng = streams.get("agencies.needs", -1, a)
        k = int(rng.integers(2, top + 1))
        chosen = rng.choice(n_reg, size=k, replace=False)
        needs[a, chosen] = rng.dirichlet(np.ones(k))

    def beta(trait: str, a: int, mean: float) -> float:
        mean = min(max(mean, 1e-3), 1 - 1e-3)
        rng = streams.get(f"agencies.{trait}", -1, a)
        return float(rng.beta(mean * ap.concentration, (1 - mean) * ap.concentration))

    def chance(trait: str, a: int, p: float) -> bool:
        return bool(streams.get(f"agencies.{trait}", -1, a).random() < p)

    agencies = []
    for a in range(n_all):
        public = a < n_public
        agencies.append(
            Agency(
                model,
                a,
                names[a],
                public,
                share_online=beta("share_online", a, ap.share_online),
                accepts_digital=chance("accepts_digital", a, ap.p_accepts_digital),
                on_khur=chance("on_khur", a, ap.p_on_khur if public else ap.p_private_on_khur),
                paper_demand=beta("paper_demand", a, ap.mean_paper_demand),
                security=beta("security", a, ap.mean_security),
                inertia=beta("inertia", a, ap.mean_inertia if public else ap.mean_inertia_private),
                needs=needs[a],
                traffic=float(traffic[a]),
            )
        )

    owner = np.arange(n_reg) % n_public
    # Registry r's row: one uniform per agency, so more private parties add columns only.
    draws = [streams.get("registries.shared", -1, r).random(n_all) for r in range(n_reg)]
    shared = np.array(draws).reshape(n_reg, n_all) < ap.p_registry_shared
    shared[np.arange(n_reg), owner] = True
    registries = Registries(registry_names(params), owner, shared, np.zeros(n_reg, dtype=bool))
    return agencies, registries


@dataclass
class ServiceTable:
    """Per-agency probabilities for this month's transactions (arrays over agencies)."""

    share_online: np.ndarray
    p_paper: np.ndarray
    """A transaction needs a paper certificate (in person, or a round trip if online)."""
    p_end_to_end: np.ndarray
    """An online attempt is completed end to end."""
    insecurity: np.ndarray
    p_refused: np.ndarray
    """An online attempt fails because it needs a legally valid document the agency cannot
    take digitally (the legal-acceptance channel)."""
    p_demanded: np.ndarray
    """An online attempt fails, the document accepted, because the agency could fetch the
    data but asks for paper anyway (the paper-demand channel); the rest of the failures,
    ``1 - p_end_to_end - p_refused - p_demanded``, are data it cannot fetch (the
    data-fetch channel)."""


def service_probabilities(
    agencies: list[Agency], registries: Registries, regime: Regime, params: Params
) -> ServiceTable:
    """Apply the data-access rules to every agency at once.

    An agency can fetch registry r itself if it owns r, or if both it and the owner are on
    Khur and the owner opened r to it (data no registry holds always comes on paper).
    Otherwise the data comes on paper, unless the citizen
    can pull it as a digital document that the agency accepts and the law recognises. Where
    it can fetch, the agency still asks for paper with its ``paper_demand`` habit, unless the
    once-only rule forbids it. An online attempt then succeeds end to end unless paper is
    needed, or the service needs a legally valid document and the agency does not accept
    digital documents or the law does not recognise them.
    """
    on_khur = np.array([a.on_khur for a in agencies])
    accepts = np.array([a.accepts_digital for a in agencies])
    demand = np.array([a.paper_demand for a in agencies])
    needs = np.stack([a.needs for a in agencies])  # agencies x registries

    owner_on_khur = on_khur[registries.owner]  # per registry
    access = registries.shared.T & on_khur[:, None] & owner_on_khur[None, :]
    access[registries.owner, np.arange(len(registries.owner))] = True
    pull = registries.citizen_pull[None, :] & (accepts & regime.digital_documents_legal)[:, None]
    registered = 1.0 - params.needs.share_data_unregistered
    fetchable = registered * (needs * access).sum(axis=1)
    pullable = registered * (needs * (~access & pull)).sum(axis=1)
    asked_anyway = np.where([a.once_only for a in agencies], 0.0, demand)
    p_paper_given_need = (1.0 - fetchable - pullable) + fetchable * asked_anyway
    p_paper = params.needs.p_needs_data * np.clip(p_paper_given_need, 0.0, 1.0)

    signed_ok = accepts & regime.digital_documents_legal
    p_refused = params.needs.p_needs_legal_document * ~signed_ok
    p_e2e = (1.0 - p_refused) * (1.0 - p_paper)
    # the paper needed for data the agency cannot fetch; the rest it asks for anyway
    p_data = params.needs.p_needs_data * np.clip(1.0 - fetchable - pullable, 0.0, 1.0)
    p_demanded = (1.0 - p_refused) * np.clip(p_paper - p_data, 0.0, 1.0)
    return ServiceTable(
        share_online=np.array([a.share_online for a in agencies]),
        p_paper=p_paper,
        p_end_to_end=p_e2e,
        insecurity=1.0 - np.array([a.security for a in agencies]),
        p_refused=p_refused,
        p_demanded=p_demanded,
    )
