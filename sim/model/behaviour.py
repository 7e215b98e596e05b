"""The citizens' rules, each written once and vectorised over the population's columns.

No function here loops over citizens: transactions are index arrays into the columns,
per-citizen tallies are ``np.bincount``s, neighbour sums are one sparse product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from sim.model.agencies import Regime, ServiceTable
from sim.model.population import Population
from sim.params import Params

IN_PERSON, ASSISTED, ONLINE = 0, 1, 2


@dataclass
class Transactions:
    """This month's service needs: one entry per transaction."""

    citizen: np.ndarray
    agency: np.ndarray


@dataclass
class Outcomes:
    """What happened to this month's transactions, tallied per citizen and in total."""

    success: np.ndarray
    """Per citizen: online transactions completed end to end."""
    fail: np.ndarray
    """Per citizen: online attempts sent back for paper (round trips)."""
    paper: np.ndarray
    """Per citizen: paper certificates demanded at a counter (in person or assisted)."""
    n_transactions: int
    n_online: int
    n_success: int
    n_assisted: int
    n_in_person: int
    n_visits: int
    n_paper: int
    online_by_agency: np.ndarray
    transactions_by_agency: np.ndarray


def draw_transactions(
    pop: Population, table: ServiceTable, params: Params, rng: np.random.Generator
) -> Transactions:
    """Each adult has a Poisson number of needs this month (rate by age group); each need
    goes to an agency drawn by traffic."""
    rate = np.asarray(params.needs.rate_needs_per_year.array()) / 12.0
    counts = rng.poisson(rate[pop.age_group])
    citizen = np.repeat(np.arange(pop.n, dtype=np.int32), counts)
    agency = np.searchsorted(table.traffic_cdf, rng.random(len(citizen)), side="right")
    agency = np.minimum(agency, len(table.traffic_cdf) - 1)
    return Transactions(citizen, agency.astype(np.int32))


def online_utility(
    pop: Population, c: np.ndarray, insecurity: np.ndarray, regime: Regime, params: Params
) -> np.ndarray:
    """UTAUT-like utility of the online channel relative to going in person."""
    cp = params.choice
    trust = pop.trust[c]
    n_exp = pop.n_success[c].astype(np.float32) + pop.n_fail[c]
    experience = (pop.n_success[c] - pop.n_fail[c].astype(np.float32)) / (n_exp + 2.0)
    return (
        cp.coef_online_intercept
        + cp.coef_trust * trust
        + cp.coef_skill * pop.skill[c]
        + cp.coef_peer * pop.peer_online[c]
        + cp.coef_experience * experience
        + cp.coef_paper_habit * pop.paper_habit[c]
        + cp.coef_risk * (1.0 - trust) * insecurity
        + regime.online_push
    )


def choose_channels(
    pop: Population,
    tx: Transactions,
    table: ServiceTable,
    regime: Regime,
    params: Params,
    rng: np.random.Generator,
    assisted_reach: np.ndarray,
) -> np.ndarray:
    """A multinomial logit over online, assisted and in person, with gates.

    Online needs internet access, awareness, no lock-out, the service being online and an
    e-signature where the service needs one. Assisted (kiosk, one-stop centre) needs the
    service online and a centre within reach. In person is always possible.
    """
    c, a = tx.citizen, tx.agency
    n = len(c)
    u = rng.random((4, n), dtype=np.float32)
    service_online = u[0] < table.share_online[a]
    needs_esig = u[1] < params.needs.p_needs_esignature
    can_online = (
        pop.internet[c] & pop.aware[c] & ~pop.locked_out[c] & service_online
        & (pop.esignature[c] | ~needs_esig)
    )  # fmt: skip
    can_assisted = service_online & (u[2] < assisted_reach.astype(np.float32)[pop.area[c]])

    e_online = np.where(can_online, np.exp(online_utility(pop, c, table.insecurity[a], regime,
                                                            params)), 0.0)  # fmt: skip
    u_assisted = params.choice.coef_assisted_intercept + params.choice.coef_trust * pop.trust[c]
    e_assisted = np.where(can_assisted, np.exp(u_assisted), 0.0)
    pick = u[3] * (e_online + e_assisted + 1.0)
    channel = np.full(n, IN_PERSON, dtype=np.int8)
    channel[pick < e_online + e_assisted] = ASSISTED
    channel[pick < e_online] = ONLINE
    return channel


def serve(
    pop: Population,
    tx: Transactions,
    channel: np.ndarray,
    table: ServiceTable,
    regime: Regime,
    rng: np.random.Generator,
) -> Outcomes:
    """Outcomes: an online attempt succeeds end to end or becomes a paper round trip (two
    visits: the certificate office, then the agency); a counter visit may need a paper
    certificate first (one more visit). Lockdowns turn some counter visits away."""
    c, a = tx.citizen, tx.agency
    n, n_agencies = pop.n, len(table.share_online)
    u = rng.random((2, len(c)), dtype=np.float32)
    online = channel == ONLINE
    counter = ~online
    success = online & (u[0] < table.p_end_to_end[a])
    fail = online & ~success
    paper_at_counter = counter & (u[0] < table.p_paper[a])
    turned_away = counter & (u[1] < min(regime.counters_closed, 1.0))
    served_counter = counter & ~turned_away
    paper_at_counter &= ~turned_away

    n_fail = int(fail.sum())
    n_counter = int(served_counter.sum())
    n_paper_counter = int(paper_at_counter.sum())
    return Outcomes(
        success=np.bincount(c[success], minlength=n),
        fail=np.bincount(c[fail], minlength=n),
        paper=np.bincount(c[paper_at_counter], minlength=n),
        n_transactions=len(c),
        n_online=int(online.sum()),
        n_success=int(success.sum()),
        n_assisted=int((served_counter & (channel == ASSISTED)).sum()),
        n_in_person=int((served_counter & (channel == IN_PERSON)).sum()),
        n_visits=n_counter + n_paper_counter + 2 * n_fail,
        n_paper=n_paper_counter + n_fail,
        online_by_agency=np.bincount(a[online], minlength=n_agencies),
        transactions_by_agency=np.bincount(a, minlength=n_agencies),
    )


def learn(pop: Population, out: Outcomes, params: Params, step: int) -> None:
    """Trust, paper habit, skill and experience after this month's outcomes.

    Successes come first, then failures and paper demands (a fixed order, so a citizen with
    both ends the month on the bad news). Each success moves trust a share ``rate_trust_gain``
    towards 1 and cuts paper habit by ``rate_habit_loss``; each round trip cuts trust by
    ``rate_trust_loss`` and, like each paper demand at a counter, moves paper habit towards 1.
    """
    lp = params.learning
    s, f = out.success, out.fail
    tried = s + f
    touched = np.flatnonzero(tried + out.paper)
    if len(touched) == 0:
        return
    s_t, f_t, p_t, tried_t = s[touched], f[touched], out.paper[touched], tried[touched]
    trust = pop.trust[touched]
    trust = 1.0 - (1.0 - trust) * (1.0 - lp.rate_trust_gain) ** s_t
    pop.trust[touched] = trust * (1.0 - lp.rate_trust_loss) ** f_t
    habit = pop.paper_habit[touched] * (1.0 - lp.rate_habit_loss) ** s_t
    pop.paper_habit[touched] = 1.0 - (1.0 - habit) * (1.0 - lp.rate_habit_gain) ** (f_t + p_t)
    skill = pop.skill[touched]
    pop.skill[touched] = 1.0 - (1.0 - skill) * (1.0 - lp.rate_skill_gain) ** tried_t
    pop.n_success[touched] = np.minimum(pop.n_success[touched] + s_t, np.iinfo(np.int16).max)
    pop.n_fail[touched] = np.minimum(pop.n_fail[touched] + f_t, np.iinfo(np.int16).max)
    pop.last_online[touched[s_t > 0]] = step
    pop.last_tried[touched[tried_t > 0]] = step


def recent_users(pop: Population, step: int) -> np.ndarray:
    """Adults who completed an online service in the 12 months up to ``step``."""
    return pop.last_online > step - 12


def word_of_mouth(
    pop: Population,
    ties: sp.csr_array,
    degree: np.ndarray,
    params: Params,
    rng: np.random.Generator,
    step: int,
) -> None:
    """Ties pass on awareness (Bass: media p plus imitation q x share of users among ties),
    social proof (``peer_online``, used in next month's choice) and trust (DeGroot)."""
    lp = params.learning
    signals = np.empty((pop.n, 2), dtype=np.float32)
    signals[:, 0] = recent_users(pop, step)
    signals[:, 1] = pop.trust
    sums = ties @ signals
    per_tie = 1.0 / np.maximum(degree, 1).astype(np.float32)
    pop.peer_online[:] = sums[:, 0] * per_tie
    peer_trust = np.where(degree > 0, sums[:, 1] * per_tie, pop.trust)
    p_aware = lp.p_aware_media + lp.p_aware_peer * pop.peer_online
    pop.aware |= rng.random(pop.n, dtype=np.float32) < p_aware
    pop.trust += lp.rate_trust_social * (peer_trust - pop.trust)


def grow_internet(
    pop: Population,
    ceiling: np.ndarray,
    rate: np.ndarray,
    params: Params,
    rng: np.random.Generator,
    area_size: np.ndarray,
) -> None:
    """Each area's access closes a share ``rate`` of its gap to ``ceiling`` a month, the new
    users drawn among non-users with the age factor."""
    share = np.bincount(pop.area, weights=pop.internet, minlength=4) / np.maximum(area_size, 1)
    gap = np.clip(ceiling - share, 0.0, None)
    p_area = np.where(share < 1.0, rate * gap / np.maximum(1.0 - share, 1e-9), 0.0)
    factor = np.asarray(params.internet.age_factor.array())
    p = (p_area[pop.area] * factor[pop.age_group]).astype(np.float32)
    pop.internet |= rng.random(pop.n, dtype=np.float32) < p


def reassure(pop: Population, rate: float, step: int) -> None:
    """Data-protection notifications: recent online users' trust moves ``rate`` towards 1."""
    if rate > 0:
        users = pop.last_tried > step - 12
        pop.trust[users] += np.float32(rate) * (1.0 - pop.trust[users])


def take_up_esignatures(pop: Population, rate: float, rng: np.random.Generator) -> None:
    """Adults without an e-signature get one with chance ``rate`` a month."""
    pop.esignature |= rng.random(pop.n, dtype=np.float32) < rate
