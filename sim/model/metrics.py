"""Monthly metrics: pure functions of the columns and the month's outcomes.

Each metric is computed once per step from the population's tallies, which the month's
second pass over the citizens counts as it goes (``kernels.tally_one``), and handed to
Mesa's ``DataCollector`` as a model reporter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model import kernels
from sim.model.behaviour import Outcomes, Tally
from sim.model.population import Population
from sim.params import URBAN_AREAS, Params

METRICS: dict[str, str] = {
    "internet_share": "share of adults with internet access",
    "aware_share": "share of adults aware of online services",
    "online_users_share": "share of adults who completed an online service in the last 12 months",
    "online_tried_share": "share of adults who tried an online service in the last 12 months",
    "online_ever_share": "share of adults who have ever tried an online service (cf. registered "
    "E-Mongolia users)",
    "end_to_end_share": "share of this month's transactions completed fully online",
    "online_attempt_share": "share of this month's transactions attempted online",
    "assisted_share": "share of this month's transactions at kiosks or one-stop centres",
    "in_person_visits_per_1000": "in-person visits this month per 1,000 adults",
    "paper_documents_per_1000": "paper certificates obtained this month per 1,000 adults",
    "round_trips_per_1000": "online attempts sent back for paper this month per 1,000 adults",
    "mean_trust": "mean trust in digital government",
    "mean_paper_habit": "mean paper habit",
    "esignature_share": "share of adults holding an e-signature",
    "agencies_accepting_digital_share": "share of agencies accepting digital documents",
    "agencies_on_khur_share": "share of agencies connected to Khur",
    "mean_paper_demand": "mean habit of agencies to ask for paper",
    "coordination_capacity": "coordination capacity (standards, certificate authority, "
    "data-sharing agreements), 0..1",
    "online_users_urban": "online_users_share in Ulaanbaatar and aimag centres",
    "online_users_rural": "online_users_share in soum centres and rural areas",
    "urban_rural_gap": "online_users_urban minus online_users_rural",
    "internet_urban": "internet_share in Ulaanbaatar and aimag centres",
    "internet_rural": "internet_share in soum centres and rural areas",
    "online_users_urban_internet": "online_users_share among urban adults with internet access",
    "online_users_rural_internet": "online_users_share among rural adults with internet access",
    "online_users_young": "online_users_share aged 15-34",
    "online_users_old": "online_users_share aged 55+",
    "age_gap": "online_users_young minus online_users_old",
    "locked_out_share": "share of adults locked out of online services by a security tightening",
    "locked_out_young": "locked_out_share aged 15-34",
    "locked_out_old": "locked_out_share aged 55+",
    "locked_out_urban": "locked_out_share in Ulaanbaatar and aimag centres",
    "locked_out_rural": "locked_out_share in soum centres and rural areas",
    "breaches": "security breaches this month",
    "hours_saved_per_1000": "citizen hours saved this month by online use, per 1,000 adults",
}
"""Every column of the time series, with its meaning (also documented in docs/ODD.md)."""

FLOW_METRICS = (
    "end_to_end_share",
    "online_attempt_share",
    "assisted_share",
    "in_person_visits_per_1000",
    "paper_documents_per_1000",
    "round_trips_per_1000",
    "hours_saved_per_1000",
)
"""Metrics about a month's transactions: empty (NaN) in the initial row."""


@dataclass(frozen=True)
class Groups:
    """Sizes of the fixed groups of the population (areas and ages do not change)."""

    n_urban: int
    n_young: int
    n_old: int

    @classmethod
    def of(cls, pop: Population) -> Groups:
        urban = np.isin(pop.area, URBAN_AREAS)
        young, old = pop.age_group == 0, pop.age_group == 2
        return cls(int(urban.sum()), int(young.sum()), int(old.sum()))


def _share(count: int, size: int) -> float:
    return count / size if size else float("nan")


def compute(
    tally: Tally,
    out: Outcomes | None,
    agencies_digital: float,
    agencies_khur: float,
    paper_demand: float,
    capacity: float,
    breaches: int,
    groups: Groups,
    params: Params,
) -> dict[str, float]:
    """All metrics of :data:`METRICS` from the population's ``tally`` after a month and
    the month's outcomes (``out`` None: the initial state, no flows)."""
    n = tally.n
    c = tally.count
    n_users, n_locked = c(kernels.P_USERS), c(kernels.P_LOCKED)
    n_rural = max(n - groups.n_urban, 1)
    urban = _share(c(kernels.P_USERS_URBAN), groups.n_urban)
    rural = (n_users - c(kernels.P_USERS_URBAN)) / n_rural
    young = _share(c(kernels.P_USERS_YOUNG), groups.n_young)
    old = _share(c(kernels.P_USERS_OLD), groups.n_old)
    net_urban = c(kernels.P_INTERNET_URBAN)
    net_rural = c(kernels.P_INTERNET) - net_urban
    users_net_urban = c(kernels.P_USERS_INTERNET_URBAN)
    users_net_rural = c(kernels.P_USERS_INTERNET) - users_net_urban
    m = {
        "internet_share": c(kernels.P_INTERNET) / n,
        "aware_share": c(kernels.P_AWARE) / n,
        "online_users_share": n_users / n,
        "online_tried_share": c(kernels.P_TRIED) / n,
        "online_ever_share": c(kernels.P_EVER) / n,
        "mean_trust": float(tally.sums[kernels.F_TRUST]) / n,
        "mean_paper_habit": float(tally.sums[kernels.F_HABIT]) / n,
        "esignature_share": c(kernels.P_ESIGNATURE) / n,
        "agencies_accepting_digital_share": agencies_digital,
        "agencies_on_khur_share": agencies_khur,
        "mean_paper_demand": paper_demand,
        "coordination_capacity": capacity,
        "online_users_urban": urban,
        "online_users_rural": rural,
        "urban_rural_gap": urban - rural,
        "internet_urban": _share(net_urban, groups.n_urban),
        "internet_rural": net_rural / n_rural,
        "online_users_urban_internet": _share(users_net_urban, net_urban),
        "online_users_rural_internet": _share(users_net_rural, net_rural),
        "online_users_young": young,
        "online_users_old": old,
        "age_gap": young - old,
        "locked_out_share": n_locked / n,
        "locked_out_young": _share(c(kernels.P_LOCKED_YOUNG), groups.n_young),
        "locked_out_old": _share(c(kernels.P_LOCKED_OLD), groups.n_old),
        "locked_out_urban": _share(c(kernels.P_LOCKED_URBAN), groups.n_urban),
        "locked_out_rural": (n_locked - c(kernels.P_LOCKED_URBAN)) / n_rural,
        "breaches": float(breaches),
    }
    if out is None:
        m.update(dict.fromkeys(FLOW_METRICS, float("nan")))
    else:
        per_1000 = 1000.0 / n
        total = max(out.n_transactions, 1)
        cost = params.costs
        # against doing the same transactions at the counter: a success saves a visit, a
        # round trip costs the online time and one visit more than going in person directly
        saved = out.n_success * (cost.hours_visit - cost.hours_online)
        saved -= (out.n_online - out.n_success) * (cost.hours_online + cost.hours_visit)
        m.update(
            {
                "end_to_end_share": out.n_success / total,
                "online_attempt_share": out.n_online / total,
                "assisted_share": out.n_assisted / total,
                "in_person_visits_per_1000": out.n_visits * per_1000,
                "paper_documents_per_1000": out.n_paper * per_1000,
                "round_trips_per_1000": (out.n_online - out.n_success) * per_1000,
                "hours_saved_per_1000": saved * per_1000,
            }
        )
    return {name: m[name] for name in METRICS}
