"""Citizen views read and write the columns; Mesa's agent API works on them."""

import numpy as np

from sim import AdoptionModel, Agency, Citizen
from tests.conftest import make_scenario


def test_views_are_registered_mesa_agents_on_the_columns():
    model = AdoptionModel(make_scenario(citizens=500, end="2020-12"), seed=0)
    citizens = model.agents_by_type[Citizen]
    assert len(citizens) == 500
    assert len(model.agents_by_type[Agency]) == len(model.agency_list)
    ids = [a.unique_id for a in model.agents]
    assert len(set(ids)) == len(ids)
    # reading
    mean_trust = citizens.agg("trust", np.mean)
    assert np.isclose(mean_trust, model.population.trust.mean(dtype=np.float64))
    old = citizens.select(lambda c: c.age >= 55)
    assert len(old) == int(np.sum(model.population.age >= 55))
    # writing through a view changes the column
    c = model.citizen(10)
    c.trust = 0.99
    c.internet = False
    assert np.isclose(model.population.trust[10], 0.99)
    assert not model.population.internet[10]
    assert c.row == 10 and c.unique_id == 11


def test_large_models_run_on_columns_alone():
    model = AdoptionModel(make_scenario(citizens=2000, end="2020-12"), seed=0, agent_views=False)
    assert Citizen not in model.agents_by_type
    view = model.citizen(1999)
    assert view not in model.agents
    view.paper_habit = 0.0
    assert model.population.paper_habit[1999] == 0.0
    model.step()  # still steps without views


def test_views_do_not_change_results():
    a = AdoptionModel(make_scenario(citizens=1000), seed=0, agent_views=True).run().timeseries()
    b = AdoptionModel(make_scenario(citizens=1000), seed=0, agent_views=False).run().timeseries()
    assert a.equals(b)
