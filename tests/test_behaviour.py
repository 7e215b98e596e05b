"""Each rule moves the model in the documented direction (paired random numbers: the same
stream keys before and after a change), and the kernels' building blocks are exact."""

import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest

from sim.model import behaviour, kernels
from sim.model.model import AdoptionModel
from sim.model.population import Population
from sim.model.streams import Streams
from tests.conftest import ROOT, make_scenario

MONTH = 3


@pytest.fixture
def model():
    return AdoptionModel(make_scenario(citizens=5000), seed=0, agent_views=False)


def _first_pass(model, services=None, month=MONTH):
    """The first pass (needs, choice, outcomes, learning) on the model's state, with fixed
    stream keys; returns the outcomes (the state is changed as in a step)."""
    keys = Streams(11).keys(month, behaviour.CITIZEN_STREAMS)
    return model.rules.citizens(
        model.population,
        month,
        keys,
        services or model.services,
        model.regime,
        model.assisted_reach,
    )


def _online_share(model, **state):
    """Share of transactions attempted online from a copy of the state with ``state`` set."""
    pop = model.population
    saved = {name: col.copy() for name, col in pop.columns.items()}
    for name, value in state.items():
        getattr(pop, name)[:] = value
    out = _first_pass(model)
    for name, col in saved.items():
        getattr(pop, name)[:] = col
    return out.n_online / out.n_transactions


def test_more_trust_more_online_attempts(model):
    assert _online_share(model, trust=0.8) > 1.2 * _online_share(model, trust=0.2)


def test_paper_habit_keeps_people_at_the_counter(model):
    assert _online_share(model, paper_habit=1.0) < _online_share(model)


def test_no_internet_no_online(model):
    assert _online_share(model, internet=False) == 0.0


def test_paper_demand_means_round_trip_and_less_trust(model):
    pop = model.population
    trust0, habit0, fail0 = pop.trust.copy(), pop.paper_habit.copy(), pop.n_fail.copy()
    n_agencies = len(model.services.p_paper)
    out = _first_pass(model, dataclasses.replace(model.services, p_end_to_end=np.zeros(n_agencies)))
    assert out.n_online > 0 and out.n_success == 0
    assert out.n_paper >= out.n_online  # every online attempt came back for a paper certificate
    failed = pop.n_fail > fail0
    assert np.count_nonzero(failed) > 0
    assert np.all(pop.trust[failed] < trust0[failed])
    assert np.all(pop.paper_habit[failed] > habit0[failed])
    assert np.all(pop.last_tried[failed] == MONTH)


def test_end_to_end_success_builds_trust_and_breaks_habit(model):
    pop = model.population
    trust0, habit0, ok0 = pop.trust.copy(), pop.paper_habit.copy(), pop.n_success.copy()
    n_agencies = len(model.services.p_paper)
    services = dataclasses.replace(
        model.services, p_end_to_end=np.ones(n_agencies), p_paper=np.zeros(n_agencies)
    )
    out = _first_pass(model, services)
    assert out.n_success == out.n_online > 0
    ok = pop.n_success > ok0
    assert np.all(pop.trust[ok] > trust0[ok])
    assert np.all(pop.paper_habit[ok] < habit0[ok])
    assert np.all(pop.last_online[ok] == MONTH)


def test_counter_paper_demand_counts_documents_and_visits(model):
    n_agencies = len(model.services.p_paper)
    out = _first_pass(model, dataclasses.replace(model.services, p_paper=np.ones(n_agencies)))
    counter = out.n_transactions - out.n_online
    assert out.n_assisted + out.n_in_person == counter
    assert out.n_paper == counter + (out.n_online - out.n_success)
    assert out.n_visits == 2 * counter + 2 * (out.n_online - out.n_success)
    assert out.transactions_by_agency.sum() == out.n_transactions
    assert out.online_by_agency.sum() == out.n_online


def _social(model, month=MONTH):
    out = _first_pass(model, month=month)
    keys = Streams(11).keys(month, behaviour.SOCIAL_STREAMS)
    return model.rules.social(
        model.population, month, keys, out, np.zeros(4), 0.0, model.credential_access
    )


def test_word_of_mouth_spreads_awareness_from_users(model):
    pop = model.population
    saved = {name: col.copy() for name, col in pop.columns.items()}
    aware0 = pop.aware.copy()
    pop.last_online[:] = MONTH  # everyone a recent user: every tie passes the word
    _social(model)
    with_users = np.mean(pop.aware & ~aware0)
    assert np.all(pop.peer_online[model.rules.ties.degree > 0] == 1.0)
    for name, col in saved.items():
        getattr(pop, name)[:] = col
    pop.last_online[:] = -100  # nobody: only the media
    _social(model)
    media_only = np.mean(pop.aware & ~aware0)
    assert with_users > 3 * media_only > 0
    # social proof is the share of ties who are recent users (here: this month's successes)
    recent = (pop.last_online > MONTH - 12).astype(np.int8)
    degree = np.maximum(np.diff(model.ties.indptr), 1)
    expected = ((model.ties @ recent) / degree).astype(np.float32)
    assert np.array_equal(pop.peer_online, expected) and 0 < expected.mean() < 0.1


def test_tallies_match_the_columns(model):
    """The population tallies the metrics are made of equal plain numpy counts."""
    pop = model.population
    for _ in range(3):
        model.step()
    tally = model.rules.tally(pop, model.month)
    users = pop.last_online > model.month - 12
    urban = model.rules.urban
    expected = {
        kernels.P_INTERNET: pop.internet.sum(),
        kernels.P_AWARE: pop.aware.sum(),
        kernels.P_USERS: users.sum(),
        kernels.P_TRIED: (pop.last_tried > model.month - 12).sum(),
        kernels.P_ESIGNATURE: pop.esignature.sum(),
        kernels.P_USERS_URBAN: (users & urban).sum(),
        kernels.P_USERS_OLD: (users & (pop.age_group == 2)).sum(),
        kernels.P_INTERNET_URBAN: (pop.internet & urban).sum(),
        kernels.P_USERS_INTERNET: (users & pop.internet).sum(),
        kernels.P_USERS_INTERNET_URBAN: (users & pop.internet & urban).sum(),
    }
    for column, value in expected.items():
        assert tally.count(column) == value
    assert tally.sums[kernels.F_TRUST] == pytest.approx(pop.trust.sum(dtype=np.float64))
    assert model.metrics["online_users_share"] == users.mean()


def test_internet_grows_towards_the_ceiling(model):
    pop = model.population
    share0 = pop.internet.mean()
    size = model.area_size
    for month in range(300):
        by_area = np.bincount(pop.area, weights=pop.internet, minlength=4)
        p = behaviour.internet_chances(by_area, size, model.internet_ceiling, model.internet_rate)
        out = _first_pass(model, month=month)
        keys = Streams(5).keys(month, behaviour.SOCIAL_STREAMS)
        model.rules.social(pop, month, keys, out, p, 0.0, model.credential_access)
    by_area = np.bincount(pop.area, weights=pop.internet, minlength=4) / size
    assert pop.internet.mean() > share0
    assert np.all(by_area <= model.internet_ceiling + 0.02)
    assert np.all(by_area >= model.internet_ceiling - 0.05)


def test_breach_lowers_trust_most_for_the_exposed(model):
    pop = model.population
    model.month = 0
    pop.last_tried[: pop.n // 2] = 0  # half are recent online users
    trust0 = pop.trust.copy()
    model.breach("portal", severity=1.0, rng=np.random.default_rng(3))
    recent = np.arange(pop.n) < pop.n // 2
    drop = trust0 - pop.trust
    assert np.all(drop >= 0)
    assert drop[recent & pop.aware].mean() > 2 * drop[~recent & pop.aware].mean() > 0
    assert model.breaches_this_month == 1


def test_needs_are_poisson_by_age_group(model):
    pop = model.population
    counts = np.zeros(pop.n)
    months = 200
    streams = Streams(0)
    for month in range(months):
        counts += kernels.need_counts(
            streams.key("needs", month), pop.age_group, model.rules.needs_cdf
        )
    rates = np.array(model.params.needs.rate_needs_per_year.array()) / 12
    for group in range(3):
        in_group = pop.age_group == group
        mean = counts[in_group].mean() / months
        assert abs(mean - rates[group]) < 0.02 * rates[group]
        # Poisson: variance of a sum of months equals its mean
        assert abs(counts[in_group].var() / counts[in_group].mean() - 1) < 0.1


def test_needs_table_is_the_poisson_cdf(model):
    from scipy.stats import poisson

    table = model.rules.needs_cdf
    rates = np.array(model.params.needs.rate_needs_per_year.array()) / 12
    expected = poisson.cdf(np.arange(table.shape[1])[None, :], rates[:, None])
    np.testing.assert_allclose(table, expected, rtol=0, atol=1e-7)
    assert np.all(1 - table[:, -1] < behaviour.NEEDS_TAIL)


def test_category_pick_equals_searchsorted():
    rng = np.random.default_rng(3)
    cdf = np.cumsum(rng.dirichlet(np.ones(52))).astype(np.float32)
    u = rng.random(200_000, dtype=np.float32)
    u[:4] = [0.0, np.nextafter(np.float32(1), np.float32(0)), cdf[3], cdf[10]]
    expected = np.minimum(np.searchsorted(cdf, u, side="right"), 51)
    table = kernels.category_table(cdf)

    @kernels.njit
    def pick_all(u, cdf, table):
        return np.array([kernels.pick_category(x, cdf, table) for x in u])

    assert np.array_equal(pick_all(u, cdf, table), expected)


def test_uniforms_are_uniform_and_independent():
    """The counter-based generator: mean, variance and a chi-square over 64 bins, and no
    correlation between neighbouring slots or between two streams' same slots."""
    from scipy.stats import chisquare

    n = 1_000_000
    a, b = kernels.uniforms(12345, n), kernels.uniforms(12346, n)
    assert a.dtype == np.float32 and a.min() >= 0.0 and a.max() < 1.0
    assert abs(a.mean() - 0.5) < 5 * np.sqrt(1 / 12 / n)
    assert abs(a.var() - 1 / 12) < 0.002
    assert chisquare(np.bincount((a * 64).astype(int), minlength=64)).pvalue > 1e-4
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < 5 / np.sqrt(n)
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(n)


def test_packed_words_sum_fields_without_carries():
    @kernels.njit
    def roundtrip(trust, recent, aware):
        total = np.uint64(0)
        for i in range(len(trust)):
            total += kernels.pack(trust[i], recent[i], aware[i])
        return kernels.unpack(total)

    rng = np.random.default_rng(1)
    trust = np.ones(127, dtype=np.float32)  # the extremes: 127 ties, all at trust 1
    recent = np.ones(127, dtype=np.bool_)
    assert roundtrip(trust, recent, recent) == (127, 127, 127 * kernels.TRUST_SCALE)
    trust = rng.random(100, dtype=np.float32)
    recent, aware = rng.random(100) < 0.3, rng.random(100) < 0.6
    n_recent, n_aware, total = roundtrip(trust, recent, aware)
    assert (n_recent, n_aware) == (recent.sum(), aware.sum())
    assert abs(total / kernels.TRUST_SCALE - trust.sum()) <= 100 * 0.5 / kernels.TRUST_SCALE


def test_tie_table_keeps_every_tie(model):
    """Near ties (padded) and far ties together are exactly the adjacency matrix."""
    table, ties = model.rules.ties, model.ties
    n = model.n_citizens
    rows, cols = [], []
    for i in range(n):
        near = table.near_idx[table.near_ptr[i] : table.near_ptr[i + 1]]
        near = near[near < n]
        rows.append(np.full(len(near), i))
        cols.append(near)
    rows.append(table.far_row)
    cols.append(table.far_col)
    got = sorted(zip(np.concatenate(rows).tolist(), np.concatenate(cols).tolist(), strict=True))
    coo = ties.tocoo()
    assert got == sorted(zip(coo.row.tolist(), coo.col.tolist(), strict=True))
    assert np.all(np.diff(table.near_ptr) % kernels.PAD == 0)
    assert np.array_equal(table.degree, np.diff(ties.indptr))


THREADS_SCRIPT = """
import hashlib, sys
from sim.model import kernels
from sim.model.model import AdoptionModel
from sim.model.population import Population
kernels.set_threads(int(sys.argv[1]))
model = AdoptionModel("history", seed=3, citizens=40_000, end="2024-06", agent_views=False)
frame = model.run().timeseries()
print(kernels.threads(), hashlib.sha256(frame.to_csv().encode()).hexdigest())
"""


@pytest.mark.system
def test_results_do_not_depend_on_the_thread_count():
    """NUMBA_NUM_THREADS=1 and =2 (five chunks of adults, so both threads work) give the
    same time series, bit for bit, in separate processes."""
    digests = {}
    for threads in (1, 2):
        env = {**os.environ, "NUMBA_NUM_THREADS": str(threads)}
        done = subprocess.run(
            [sys.executable, "-c", THREADS_SCRIPT, str(threads)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        used, digest = done.stdout.split()
        assert int(used) == threads
        digests[threads] = digest
    assert digests[1] == digests[2]


def test_failed_attempts_split_by_channel_sum_to_the_failures(model):
    """Each failed online attempt has one channel, from the outcome's own draw: the counts
    add up to the failures, and a channel that takes all of the failure probability takes
    every failure."""
    out = _first_pass(model)
    failed = out.n_online - out.n_success
    assert out.n_fail_legal + out.n_fail_data + out.n_fail_demand == failed > 0
    assert min(out.n_fail_legal, out.n_fail_data, out.n_fail_demand) > 0
    services = model.services
    nothing = np.zeros_like(services.p_refused)
    for refused, demanded, channel in (
        (1.0 - services.p_end_to_end, nothing, "n_fail_legal"),
        (nothing, 1.0 - services.p_end_to_end, "n_fail_demand"),
        (nothing, nothing, "n_fail_data"),
    ):
        fresh = AdoptionModel(make_scenario(citizens=5000), seed=0, agent_views=False)
        out = _first_pass(
            fresh, dataclasses.replace(services, p_refused=refused, p_demanded=demanded)
        )
        assert getattr(out, channel) == out.n_online - out.n_success > 0, channel


def test_channel_probabilities_add_up_to_the_failure_probability(model):
    services = model.services
    p_data = 1.0 - services.p_end_to_end - services.p_refused - services.p_demanded
    assert np.all(services.p_refused >= 0) and np.all(services.p_demanded >= 0)
    assert np.all(p_data >= -1e-12)


def _household_of_four():
    """Two households of two adults in Ulaanbaatar (area 0) and the rural area (3): row 0 is
    online and skilled and holds an e-signature, row 1 is offline; rows 2 and 3 are offline."""
    pop = Population(4)
    pop.household[:] = [0, 0, 1, 1]
    pop.area[:] = [0, 0, 3, 3]
    pop.age_group[:] = [0, 2, 1, 2]
    pop.internet[:] = [True, False, False, False]
    pop.skill[:] = [0.8, 0.2, 0.9, 0.5]
    pop.esignature[:] = [True, False, False, False]
    pop.locked_out[:] = [False, True, True, True]
    return pop


def test_household_helpers_need_another_member_online_with_the_credential_or_skill():
    pop = _household_of_four()
    assert behaviour.household_helpers(pop, 0.7).tolist() == [False, True, False, False]
    pop.internet[2] = True  # skilled and online: helps the other member, not themself
    assert behaviour.household_helpers(pop, 0.7).tolist() == [False, True, False, True]
    assert behaviour.household_helpers(pop, 0.95).tolist() == [False, True, False, False]
    pop.locked_out[0] = True  # a locked-out holder cannot help; skill 0.8 still can
    assert behaviour.household_helpers(pop, 0.7).tolist() == [False, True, False, True]
    assert behaviour.household_helpers(pop, 0.85).tolist() == [False, False, False, True]


def test_regain_routes_exact_chances():
    params = make_scenario().params
    cp = params.credentials
    pop = _household_of_four()
    routes = behaviour.regain_routes(pop, params)
    # remote: only the adult online, p_remote x skill
    assert routes.remote.tolist() == pytest.approx([cp.p_remote * 0.8, 0, 0, 0], rel=1e-6)
    # in person: exp(-hours / scale) by area (Ulaanbaatar 1 hour, rural 6)
    near = cp.p_in_person * np.exp(-cp.hours_travel["ulaanbaatar"] / cp.hours_scale)
    far = cp.p_in_person * np.exp(-cp.hours_travel["rural"] / cp.hours_scale)
    assert routes.in_person.tolist() == pytest.approx([near, near, far, far], rel=1e-6)
    assert far < near
    # household: row 1 has a helper at home
    assert routes.household.tolist() == pytest.approx([0, cp.p_household, 0, 0], rel=1e-6)
    # an in-person identity check: only the trip
    only = behaviour.regain_routes(pop, params, in_person_only=True)
    assert not only.remote.any() and not only.household.any()
    assert np.array_equal(only.in_person, routes.in_person)
    # the group knobs scale every route (1 by default: no group constant)
    assert cp.age_factor.array() == [1.0, 1.0, 1.0] and set(cp.area_factor.array()) == {1.0}
    knob = make_scenario(
        params={"credentials": {"age_factor": {"young": 1.0, "middle": 1.0, "old": 0.5}}}
    ).params
    halved = behaviour.regain_routes(pop, knob)
    assert halved.in_person.tolist() == pytest.approx([near, near / 2, far, far / 2], rel=1e-6)
