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
from sim.outputs import FLOW_METRICS, METRICS
from sim.params import Params


@dataclass(frozen=True)
class Groups:
    """Sizes of the fixed groups of the population (areas and ages do not change)."""

    n_urban: int
    n_young: int
    n_old: int

    @classmethod
    def of(cls, pop: Population) -> Groups:
        urban = np.isin(pop.area, pop.urban_areas)
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
    reforms_adopted: int = 0,
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
        "reforms_adopted": float(reforms_adopted),
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
        attempts = max(out.n_online, 1)
        m.update(
            {
                "end_to_end_share": out.n_success / total,
                "online_attempt_share": out.n_online / total,
                "assisted_share": out.n_assisted / total,
                "in_person_visits_per_1000": out.n_visits * per_1000,
                "paper_documents_per_1000": out.n_paper * per_1000,
                "round_trips_per_1000": (out.n_online - out.n_success) * per_1000,
                "hours_saved_per_1000": saved * per_1000,
                "failed_legal_share": out.n_fail_legal / attempts,
                "failed_data_share": out.n_fail_data / attempts,
                "failed_paper_demand_share": out.n_fail_demand / attempts,
            }
        )
    return {name: m[name] for name in METRICS}
