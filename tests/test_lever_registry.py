"""The lever registry: one tuple of lever classes builds the scenario schema, each action is
registered against its lever class, each lever checks its own names, and a lever defined in
a test module alone is accepted end to end (file -> Scenario -> model run -> action called)."""

from typing import ClassVar, Literal

import numpy as np
import pytest
from pydantic import Field

from sim import levers
from sim.errors import InputError
from sim.files import load_scenario
from sim.levers import LEVER_CLASSES, LEVER_TYPES, Lever, ScenarioNames, UnknownName
from sim.model.actions import ACTIONS, Action, action_for, acts_for, withdraw_action
from sim.model.model import AdoptionModel
from sim.scenario import Scenario, scenario_json_schema
from tests.conftest import make_scenario


class AwarenessCampaign(Lever):
    """A campaign that tells adults in the named areas that services can be used online."""

    title: ClassVar[str] = "awareness campaign"

    type: Literal["awareness_campaign"] = "awareness_campaign"
    areas: list[str] | None = Field(None, min_length=1, description="areas covered")
    p_aware: float = Field(0.2, ge=0, le=1, description="per month: chance an adult hears")


class Campaign(Action):
    """Each month a share of the covered adults becomes aware; the calls are recorded."""

    lever: AwarenessCampaign
    calls: ClassVar[list[tuple[str, str, int]]] = []

    def begin(self, model: AdoptionModel) -> None:
        self.calls.append(("begin", model.date, -1))

    def each_month(self, model: AdoptionModel, k: int) -> None:
        self.calls.append(("each_month", model.date, k))
        pop = model.population
        names = model.country.areas
        covered = np.isin(pop.area, [names.index(a) for a in self.lever.areas or names])
        pop.aware |= covered & (self.uniform(model, 1, pop.n) < self.lever.p_aware)


@pytest.fixture
def campaign():
    """The test's lever and its action, registered for one test and withdrawn after it."""
    before = (dict(LEVER_TYPES), dict(ACTIONS), scenario_json_schema())
    levers.register_lever(AwarenessCampaign)
    acts_for(AwarenessCampaign)(Campaign)
    Campaign.calls.clear()
    try:
        yield AwarenessCampaign
    finally:
        withdraw_action(AwarenessCampaign)
        levers.unregister_lever(AwarenessCampaign)
    assert (dict(LEVER_TYPES), dict(ACTIONS), scenario_json_schema()) == before


ENTRY = '[[levers]]\ntype = "awareness_campaign"\nat = "2021-06"\n{extra}'


def _file(tmp_path, extra=""):
    path = tmp_path / "campaign.toml"
    path.write_text(
        'name = "campaign"\ncitizens = 2000\nstart = "2021-01"\nend = "2021-12"\nseed = 3\n'
        + ENTRY.format(extra=extra)
    )
    return path


def test_a_lever_defined_in_a_test_runs_end_to_end(tmp_path, campaign):
    scenario = load_scenario(_file(tmp_path, 'areas = ["rural"]\np_aware = 0.5\n'))
    (item,) = scenario.levers
    assert type(item) is campaign and item.areas == ["rural"] and item.p_aware == 0.5
    model = AdoptionModel(scenario, seed=3, agent_views=False).run()
    # begin in the month `at`, then every month from `at` to the end, k counting from 0
    months = [f"2021-{m:02d}" for m in range(6, 13)]
    assert Campaign.calls == [("begin", "2021-06", -1)] + [
        ("each_month", date, k) for k, date in enumerate(months)
    ]
    without = AdoptionModel(scenario.with_overrides(levers=[]), seed=3, agent_views=False)
    without.run()
    rural = model.country.areas.index("rural")
    in_area = model.population.area == rural
    aware, before = model.population.aware, without.population.aware
    assert aware[in_area].mean() > before[in_area].mean() + 0.3  # 7 months at 0.5 a month
    assert (aware[~in_area] == before[~in_area]).all()  # other areas untouched


def test_a_registered_lever_checks_its_area_names(tmp_path, campaign):
    with pytest.raises(InputError) as error:
        load_scenario(_file(tmp_path, 'areas = ["rurl"]\n'))
    assert str(error.value) == (
        f"{tmp_path / 'campaign.toml'}: levers[0].areas[0]: unknown area 'rurl'; did you "
        "mean 'rural'? (allowed: ulaanbaatar, aimag_centre, soum_centre, rural)"
    )


def test_a_registered_lever_is_in_the_schema_and_refused_once_withdrawn(tmp_path, campaign):
    schema = scenario_json_schema()
    assert "awareness_campaign" in str(schema)
    path = _file(tmp_path)
    assert load_scenario(path).levers[0].title == "awareness campaign"
    withdraw_action(campaign)
    levers.unregister_lever(campaign)
    try:
        with pytest.raises(InputError, match="unknown lever type 'awareness_campaign'"):
            load_scenario(path)
        assert "awareness_campaign" not in str(scenario_json_schema())
    finally:  # the fixture withdraws it again
        levers.register_lever(campaign)
        acts_for(campaign)(Campaign)


def test_registration_refuses_doubles_and_non_levers(campaign):
    with pytest.raises(ValueError, match="'awareness_campaign' is already registered"):
        levers.register_lever(campaign)
    with pytest.raises(ValueError, match="AwarenessCampaign already acts through Campaign"):
        acts_for(campaign)(Action)
    with pytest.raises(TypeError, match="is not a lever class"):
        levers.register_lever(int)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="built in"):
        levers.unregister_lever(levers.Lockdown)


def test_the_registry_is_one_tuple():
    """LEVER_TYPES, the union and the actions come from LEVER_CLASSES, in its order."""
    assert tuple(LEVER_TYPES.values()) == LEVER_CLASSES
    assert list(LEVER_TYPES) == [cls.type_name() for cls in LEVER_CLASSES]
    union = Scenario.model_fields["levers"].annotation.__args__[0]
    assert union.__args__[0].__args__ == LEVER_CLASSES
    assert set(ACTIONS) == set(LEVER_CLASSES)
    lever = levers.Lockdown(at="2021-01", until="2021-03")
    assert type(action_for(lever)) is ACTIONS[levers.Lockdown]


NAMES = ScenarioNames(
    areas=("city", "rural"), agencies=("tax_agency", "bank_1"), registries=("tax", "land")
)


@pytest.mark.parametrize(
    ("lever", "unknown"),
    [
        (levers.Connectivity(at="2021-01", areas=["rural", "moon"]),
         [UnknownName("areas[1]", "area", "moon", NAMES.areas)]),
        (levers.Connectivity(at="2021-01"), []),
        (levers.SecurityBreach(at="2021-01", agency="tax_agnecy"),
         [UnknownName("agency", "agency", "tax_agnecy", ("portal", *NAMES.agencies))]),
        (levers.SecurityBreach(at="2021-01", agency="portal"), []),
        (levers.OpenDatabases(at="2021-01", registries=["moon", "land", "all"]),
         [UnknownName("registries[0]", "registry", "moon", ("all", *NAMES.registries)),
          UnknownName("registries[2]", "registry", "all", ("all", *NAMES.registries))]),
        (levers.OpenDatabases(at="2021-01"), []),
        (levers.Lockdown(at="2021-01", until="2021-03"), []),
    ],
)  # fmt: skip
def test_each_lever_names_what_the_scenario_lacks(lever, unknown):
    assert lever.unknown_names(NAMES) == unknown


def test_the_scenario_reports_a_lever_unknown_names_with_its_index():
    with pytest.raises(InputError) as error:
        make_scenario(
            levers=[
                {"type": "lockdown", "at": "2021-01", "until": "2021-02"},
                {"type": "security_breach", "at": "2021-01", "agency": "tax_agnecy"},
            ]
        )
    assert "levers[1].agency: unknown agency 'tax_agnecy'; did you mean 'tax_agency'?" in (
        str(error.value)
    )
