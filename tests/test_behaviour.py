"""Each rule moves the model in the documented direction (paired random numbers)."""

import dataclasses

import numpy as np
import pytest

from sim.model import behaviour
from sim.model.model import AdoptionModel
from tests.conftest import make_scenario


@pytest.fixture
def model():
    return AdoptionModel(make_scenario(citizens=5000), seed=0, agent_views=False)


def _channels(model, seed=1):
    rng = np.random.default_rng(seed)
    tx = behaviour.draw_transactions(model.needs, rng, rng)
    channel = behaviour.choose_channels(
        model.population, tx, model.services, model.regime, model.params, rng, model.assisted_reach
    )
    return tx, channel


def test_more_trust_more_online_attempts(model):
    model.population.trust[:] = 0.2
    _, before = _channels(model)
    model.population.trust[:] = 0.8
    _, after = _channels(model)
    assert np.mean(after == behaviour.ONLINE) > np.mean(before == behaviour.ONLINE) * 1.2


def test_paper_habit_keeps_people_at_the_counter(model):
    _, before = _channels(model)
    model.population.paper_habit[:] = 1.0
    _, after = _channels(model)
    assert np.mean(after == behaviour.ONLINE) < np.mean(before == behaviour.ONLINE)


def test_no_internet_no_online(model):
    model.population.internet[:] = False
    _, channel = _channels(model)
    assert not np.any(channel == behaviour.ONLINE)


def _serve(model, **table_changes):
    table = dataclasses.replace(model.services, **table_changes)
    rng = np.random.default_rng(2)
    tx = behaviour.draw_transactions(model.needs, rng, rng)
    channel = behaviour.choose_channels(
        model.population, tx, table, model.regime, model.params, rng, model.assisted_reach
    )
    out = behaviour.serve(model.population, tx, channel, table, model.regime, rng)
    return tx, channel, out


def test_paper_demand_means_round_trip_and_less_trust(model):
    n_agencies = len(model.services.p_paper)
    pop = model.population
    trust0, habit0 = pop.trust.copy(), pop.paper_habit.copy()
    _, channel, out = _serve(model, p_end_to_end=np.zeros(n_agencies))
    assert out.n_online > 0 and out.n_success == 0
    assert out.n_paper >= out.n_online  # every online attempt came back for a paper certificate
    behaviour.learn(pop, out, model.params, step=0)
    failed = out.fail > 0
    assert np.all(pop.trust[failed] < trust0[failed])
    assert np.all(pop.paper_habit[failed] > habit0[failed])
    assert np.all(pop.n_fail[failed] >= 1)


def test_end_to_end_success_builds_trust_and_breaks_habit(model):
    n_agencies = len(model.services.p_paper)
    pop = model.population
    trust0, habit0 = pop.trust.copy(), pop.paper_habit.copy()
    _, _, out = _serve(model, p_end_to_end=np.ones(n_agencies))
    assert out.n_success == out.n_online > 0
    behaviour.learn(pop, out, model.params, step=0)
    ok = (out.success > 0) & (out.paper == 0)
    assert np.all(pop.trust[ok] > trust0[ok])
    assert np.all(pop.paper_habit[ok] < habit0[ok])
    assert np.all(pop.last_online[ok] == 0)


def test_counter_paper_demand_counts_documents_and_visits(model):
    n_agencies = len(model.services.p_paper)
    _, channel, out = _serve(model, p_paper=np.ones(n_agencies))
    counter = np.count_nonzero(channel != behaviour.ONLINE)
    assert out.paper.sum() == counter
    assert out.n_visits == 2 * counter + 2 * (out.n_online - out.n_success)


def test_word_of_mouth_spreads_awareness_from_users(model):
    pop = model.population
    aware0 = pop.aware.copy()
    pop.last_online[:] = 0  # everyone a recent user: every tie passes the word
    behaviour.word_of_mouth(
        pop, model.ties, model.tie_weights, model.params, np.random.default_rng(4), step=0
    )
    with_users = np.mean(pop.aware & ~aware0)
    pop.aware[:] = aware0
    pop.last_online[:] = -100  # nobody: only the media
    behaviour.word_of_mouth(
        pop, model.ties, model.tie_weights, model.params, np.random.default_rng(4), step=0
    )
    media_only = np.mean(pop.aware & ~aware0)
    assert with_users > 3 * media_only
    assert np.all(pop.peer_online == 0)


def test_internet_grows_towards_the_ceiling(model):
    pop = model.population
    share0 = pop.internet.mean()
    rng = np.random.default_rng(9)
    for _ in range(300):
        behaviour.grow_internet(
            pop, model.internet_ceiling, model.internet_rate, model.params, rng, model.area_size
        )
    by_area = np.bincount(pop.area, weights=pop.internet, minlength=4) / model.area_size
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
    rng = np.random.default_rng(0)
    counts = np.zeros(model.population.n)
    months = 200
    for _ in range(months):
        rows, n_needs = model.needs.counts(rng)
        np.add.at(counts, rows, n_needs)
    rates = np.array(model.params.needs.rate_needs_per_year.array()) / 12
    for group in range(3):
        in_group = model.population.age_group == group
        mean = counts[in_group].mean() / months
        assert abs(mean - rates[group]) < 0.02 * rates[group]
        # Poisson: variance of a sum of months equals its mean
        assert abs(counts[in_group].var() / counts[in_group].mean() - 1) < 0.1


def test_category_lookup_equals_searchsorted():
    rng = np.random.default_rng(3)
    cdf = np.cumsum(rng.dirichlet(np.ones(52)))
    u = rng.random(200_000, dtype=np.float32)
    u[:4] = [0.0, np.nextafter(np.float32(1), np.float32(0)), cdf[3], cdf[10]]
    expected = np.minimum(np.searchsorted(cdf.astype(np.float32), u, side="right"), 51)
    assert np.array_equal(behaviour.CategoryLookup(cdf).pick(u), expected)
