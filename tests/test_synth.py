import numpy as np
import pytest

from sim.model.streams import Streams
from sim.model.synth import age_group_shares, build_population
from sim.params import AGE_BANDS
from sim.scenario import Scenario

N = 200_000


@pytest.fixture(scope="module")
def pop():
    return build_population(Scenario(name="t").params, N, Streams(3))


def test_area_shares_match_the_census(pop):
    shares = np.bincount(pop.area, minlength=4) / N
    expected = np.array(Scenario(name="t").params.population.share_area.array())
    # households are drawn by area, so shares of adults vary a little more than binomially
    assert np.allclose(shares, expected / expected.sum(), atol=0.01)
    assert abs(shares[0] - 0.46) < 0.01  # sources.md census-2020-ub: 46% live in Ulaanbaatar
    assert abs(shares[:2].sum() - 0.69) < 0.01  # sources.md urban-2023: urban share 69.1%


def test_age_structure(pop):
    assert pop.age.min() >= 15 and pop.age.max() <= AGE_BANDS[-1][1]
    share_65 = np.mean(pop.age >= 65)
    assert (
        abs(share_65 - 4.1 / 68.5) < 0.005
    )  # sources.md census-2020-age: 65+ are 4.1% of 68.5% adults
    assert np.allclose(
        np.bincount(pop.age_group, minlength=3) / N,
        age_group_shares(Scenario(name="t").params),
        atol=0.005,
    )


def test_households_have_about_two_and_a_half_adults(pop):
    sizes = np.bincount(pop.household)
    assert 1 <= sizes.min() and sizes.max() <= 5
    assert (
        abs(sizes.mean() - 2.26e6 / 897_427) < 0.1
    )  # sources.md census-2020-population: 897,427 households
    # members of a household live in one place
    assert np.all(np.diff(pop.household) >= 0)
    same = pop.household[1:] == pop.household[:-1]
    assert np.all(pop.locality[1:][same] == pop.locality[:-1][same])


def test_internet_by_area_and_age(pop):
    params = Scenario(name="t").params
    by_area = np.bincount(pop.area, weights=pop.internet, minlength=4) / np.bincount(pop.area)
    assert np.allclose(by_area, params.internet.share_initial.array(), atol=0.015)
    by_age = np.bincount(pop.age_group, weights=pop.internet) / np.bincount(pop.age_group)
    assert by_age[0] > by_age[1] > by_age[2]
    assert (
        0.625 <= pop.internet.mean() <= 0.78
    )  # sources.md internet-itu, study-internet-2022: 62.5% (2020) .. 78.2% (Jan 2022)


def test_traits_in_range_and_graded_by_age(pop):
    for col in (pop.skill, pop.trust, pop.paper_habit):
        assert col.min() >= 0 and col.max() <= 1
    skill = [pop.skill[pop.age_group == g].mean() for g in range(3)]
    habit = [pop.paper_habit[pop.age_group == g].mean() for g in range(3)]
    assert skill[0] > skill[1] > skill[2]
    assert habit[0] < habit[1] < habit[2]
    assert 0.005 < pop.esignature.mean() < 0.02  # ~1% before the 2021 figure of 1.7%


def test_same_seed_same_population():
    a = build_population(Scenario(name="t").params, 5000, Streams(11))
    b = build_population(Scenario(name="t").params, 5000, Streams(11))
    c = build_population(Scenario(name="t").params, 5000, Streams(12))
    for name, col in a.columns.items():
        assert np.array_equal(col, b.columns[name]), name
    assert not np.array_equal(a.trust, c.trust)
