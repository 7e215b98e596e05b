"""The Mesa conventions of ``AdoptionModel``: construction, seeds, keyword parameters, the
horizon, the DataCollector (model and panel variables) and ``mesa.batch_run``, on every Mesa 3
the project supports (3.3 and 3.5)."""

import inspect
import warnings

import mesa
import numpy as np
import pandas as pd
import pytest

from sim import AdoptionModel, InputError, Scenario
from sim.model.metrics import FLOW_METRICS
from sim.model.model import PANEL_COLUMNS, PANEL_FIELDS
from tests.conftest import SCENARIOS, make_scenario

SHORT = {"citizens": 500, "end": "2021-03"}
"""status_quo, 500 adults, October 2020 to March 2021 (6 months)."""


def short(scenario="status_quo", **kwargs) -> AdoptionModel:
    return AdoptionModel(scenario, **{**SHORT, **kwargs})


def series(model: AdoptionModel) -> pd.DataFrame:
    return model.run().timeseries()


# ---------------------------------------------------------------------- construction


def test_spec_holds_our_scenario_and_mesa_keeps_its_own():
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # Mesa 3.5 deprecates seed=
        warnings.simplefilter("error", DeprecationWarning)
        model = short(seed=1)
    assert isinstance(model.spec, Scenario)
    assert model.spec.name == "status_quo" and model.spec.seed == model.seed == 1
    assert not isinstance(getattr(model, "scenario", None), Scenario)
    if hasattr(mesa.Model, "scenario"):  # Mesa >= 3.5: its experimental Scenario, our seed
        assert model.scenario.rng == 1 and model.scenario.model is model


def test_scenario_by_name_path_or_object_gives_the_same_run():
    path = SCENARIOS / "status_quo.toml"
    by_name = series(short("status_quo", seed=3))
    for ref in (path, str(path)):
        pd.testing.assert_frame_equal(series(short(ref, seed=3)), by_name, check_exact=True)
    loaded = AdoptionModel(path, seed=3).spec
    assert loaded.citizens != 500  # the file's size, overridden below
    pd.testing.assert_frame_equal(series(short(loaded, seed=3)), by_name, check_exact=True)
    from_file = AdoptionModel.from_scenario(path, seed=3, **SHORT)
    pd.testing.assert_frame_equal(series(from_file), by_name, check_exact=True)


def test_default_scenario_is_the_status_quo():
    model = AdoptionModel(seed=1, citizens=300)
    assert model.spec.name == "status_quo" and model.n_citizens == 300


def test_unknown_scenario_name():
    with pytest.raises(InputError, match=r"^no_such: no such file, and no library scenario"):
        AdoptionModel("no_such")


def test_none_is_the_parameters_built_in_defaults():
    """As documented: None is not refused, it is the scenario of every parameter's default."""
    model = AdoptionModel(None, seed=1, citizens=300)
    assert model.spec.name == "default" and model.spec.params == Scenario(name="x").params


SCENARIO_ALLOWED = (
    "(allowed: a Scenario, a library name (egov-sim list), a scenario file's path, or None)"
)
RNG_ALLOWED = (
    "(allowed: None, a whole number 0..2**63-1, a numpy Generator, BitGenerator or "
    "SeedSequence, or a sequence of non-negative whole numbers)"
)
BAD_ARGUMENTS = [
    ({"scenario": 42}, f"scenario: 42 is not allowed {SCENARIO_ALLOWED}"),
    ({"scenario": b"status_quo"}, f"scenario: b'status_quo' is not allowed {SCENARIO_ALLOWED}"),
    ({"scenario": ""}, f"scenario: '' is not allowed {SCENARIO_ALLOWED}"),
    ({"scenario": "a\0b"}, f"scenario: 'a\\x00b' is not allowed {SCENARIO_ALLOWED}"),
    ({"panel": "3"}, "panel: '3' is not allowed (allowed: a whole number from 0 to the run's "
                     "citizens)"),
    ({"panel": -1}, "panel: -1 is not allowed (allowed: a whole number from 0 to the run's "
                    "citizens)"),
    ({"panel": True}, "panel: True is not allowed (allowed: a whole number from 0 to the run's "
                      "citizens)"),
    ({"panel": 2.0}, "panel: 2.0 is not allowed (allowed: a whole number from 0 to the run's "
                     "citizens)"),
    ({"panel": 501}, "panel: 501 is not allowed (allowed: a whole number from 0 to 500, the "
                     "run's citizens)"),
    ({"agent_views": "x"}, "agent_views: 'x' is not allowed (allowed: True, False or None, for "
                           "views up to 50,000 citizens)"),
    ({"agent_views": 1}, "agent_views: 1 is not allowed (allowed: True, False or None, for "
                         "views up to 50,000 citizens)"),
    ({"rng": "abc"}, f"rng: 'abc' is not allowed {RNG_ALLOWED}"),
    ({"rng": -1}, f"rng: -1 is not allowed {RNG_ALLOWED}"),
    ({"rng": True}, f"rng: True is not allowed {RNG_ALLOWED}"),
    ({"rng": 1.5}, f"rng: 1.5 is not allowed {RNG_ALLOWED}"),
    ({"rng": 2**63}, f"rng: 9223372036854775808 is not allowed {RNG_ALLOWED}"),
    ({"rng": [1, -2]}, f"rng: [1, -2] is not allowed {RNG_ALLOWED}"),
    ({"rng": object}, f"rng: <class 'object'> is not allowed {RNG_ALLOWED}"),
    ({"seed": True}, "seed: Input should be a valid integer (got True) (allowed: 0..)"),
    ({"seed": "3"}, "seed: Input should be a valid integer (got '3') (allowed: 0..)"),
    ({"citizens": True}, 'citizens: True is not a population size (allowed: a whole number '
                         '100..5,000,000 or "national")'),
    ({"citizens": "300"}, "citizens: '300' is not a population size (allowed: a whole number "
                          '100..5,000,000 or "national")'),
    ({"params": "x"}, "params: 'x' is not allowed (allowed: None or a dict of parameter tables, "
                      "as a file's [params])"),
]  # fmt: skip


@pytest.mark.parametrize(("kwargs", "message"), BAD_ARGUMENTS, ids=[m for _, m in BAD_ARGUMENTS])
def test_every_keyword_is_checked_and_named(kwargs, message):
    """A wrong type or value of any keyword is one line naming it and what is allowed, raised
    before anything is built; bool is no whole number (True is not 1 citizen or 1 row)."""
    kwargs = {**SHORT, **kwargs}
    with pytest.raises(InputError) as error:
        AdoptionModel(kwargs.pop("scenario", "status_quo"), **kwargs)
    assert str(error.value) == f"AdoptionModel arguments: {message}"


def test_good_arguments_of_every_kind_are_accepted():
    assert short(seed=np.int64(3), panel=np.int32(500), agent_views=np.bool_(False)).seed == 3
    assert len(short(seed=1, panel=500).panel_rows) == 500  # the whole run may be tracked
    assert short(rng=[1, 2]).seed == int(np.random.default_rng([1, 2]).integers(2**63))
    assert short(rng=np.random.PCG64(5)).seed == short(rng=np.random.default_rng(5)).seed


# ---------------------------------------------------------------------- seeds


def test_exact_values_for_a_seed():
    frame = series(short(seed=1))
    assert list(frame["date"]) == ["2020-09", "2020-10", "2020-11", "2020-12", "2021-01",
                                   "2021-02", "2021-03"]  # fmt: skip
    assert frame["online_users_share"].iloc[-1] == 0.11  # 55 of 500 adults
    assert frame["mean_trust"].iloc[-1] == pytest.approx(0.4282643204, rel=1e-7)


def test_a_fresh_seed_is_asked_for_and_recorded():
    a, b = short(rng=np.random.SeedSequence()), short(rng=np.random.SeedSequence())
    assert a.seed != b.seed
    for model in (a, b):
        assert 0 <= model.seed < 2**63 and model.spec.seed == model.seed
    pd.testing.assert_frame_equal(series(short(seed=a.seed)), series(a), check_exact=True)


def test_the_seed_is_the_scenarios_unless_the_run_is_given_one():
    """One source of truth: a run without ``seed``/``rng`` is the run its scenario describes
    (as ``citizens`` and ``end`` are), a file's ``seed`` included."""
    spec = make_scenario(citizens=300, end="2020-12", seed=11)
    assert AdoptionModel(spec).seed == 11
    assert AdoptionModel(spec, seed=12).seed == 12 and AdoptionModel(spec, rng=13).seed == 13
    pd.testing.assert_frame_equal(
        series(AdoptionModel(spec)), series(AdoptionModel(spec, seed=11)), check_exact=True
    )
    assert AdoptionModel("status_quo", citizens=300, end="2020-12").seed == 20201001
    assert AdoptionModel(None, citizens=300, end="2020-12").seed == 0  # built-in defaults


def test_rng_as_in_mesa():
    assert short(rng=5).seed == 5
    assert short(rng=np.int64(5)).seed == 5
    pd.testing.assert_frame_equal(series(short(rng=5)), series(short(seed=5)), check_exact=True)
    expected = int(np.random.default_rng(5).integers(2**63))
    assert short(rng=np.random.default_rng(5)).seed == expected == 7424841456459477716
    assert short(rng=np.random.SeedSequence(5)).seed == expected


def test_seed_and_rng_together_or_bad_seeds():
    with pytest.raises(
        InputError,
        match=r"^AdoptionModel arguments: seed, rng: both given \(allowed: one of them, as in "
        r"Mesa\)$",
    ):
        short(seed=1, rng=1)
    with pytest.raises(InputError) as error:
        short(seed=-1)
    assert str(error.value) == (
        "AdoptionModel arguments: seed: Input should be greater than or equal to 0 (got -1) "
        "(allowed: 0..)"
    )


# ---------------------------------------------------------------------- parameters


def test_keyword_and_table_parameters_are_validated_and_merged():
    model = short(seed=1, choice__coef_trust=3.0, internet__share_initial__rural=0.4)
    choice = model.spec.params.choice
    assert choice.coef_trust == 3.0
    assert model.spec.params.internet.share_initial["rural"] == 0.4
    default = short(seed=1).spec.params
    assert choice.coef_skill == default.choice.coef_skill  # the rest of the table is kept
    assert (
        model.spec.params.internet.share_initial["ulaanbaatar"]
        == (default.internet.share_initial["ulaanbaatar"])
    )
    tables = short(seed=1, params={"choice": {"coef_trust": 3.0}}).spec
    assert tables.params.choice == choice
    assert short(seed=1, learning__awareness_rule="threshold").params.learning.awareness_rule == (
        "threshold"
    )


def test_top_level_keywords():
    model = short(seed=1, end="2021-12", name="longer")
    assert model.spec.end == "2021-12" and model.n_months == 15 and model.spec.name == "longer"


def test_parameters_change_results_in_the_expected_direction():
    low = series(short(seed=2, choice__coef_trust=1.0))
    high = series(short(seed=2, choice__coef_trust=3.0))
    assert high["online_attempt_share"].iloc[-1] > low["online_attempt_share"].iloc[-1]


def test_unknown_parameter_names_the_keyword_and_suggests():
    with pytest.raises(InputError) as error:
        short(choice__coef_trst=3.0)
    assert str(error.value) == (
        "AdoptionModel arguments: choice__coef_trst: unknown parameter; did you mean "
        "'choice__coef_trust'? (a parameter is group__name, e.g. choice__coef_trust; see "
        "docs/parameters.md; a lever's field is levers__<id>__<field>)"
    )
    with pytest.raises(InputError) as error:
        short(params={"choice": {"coef_trst": 3.0}})
    assert str(error.value).startswith(
        "AdoptionModel arguments: params.choice.coef_trst: unknown key; did you mean "
        "'coef_trust'? (allowed: "
    )


def test_bad_values_read_like_scenario_file_errors():
    cases = {
        "choice__coef_trust": (
            "high",
            "params.choice.coef_trust: Input should be a valid number (got 'high') "
            "(allowed: -50..50)",
        ),
        "internet__share_initial__rural": (
            1.5,
            "params.internet.share_initial.rural: 1.5 is out of range (allowed: 0..1)",
        ),
        "learning__awareness_rule": (
            "magic",
            "params.learning.awareness_rule: Input should be 'bass' or 'threshold' (got 'magic')",
        ),
    }
    for key, (value, message) in cases.items():
        with pytest.raises(InputError) as error:
            short(**{key: value})
        assert str(error.value) == f"AdoptionModel arguments: {message}"
    with pytest.raises(InputError, match=r"^AdoptionModel arguments: citizens: 5 adults"):
        short(citizens=5)


# ---------------------------------------------------------------------- steps and the horizon


def test_step_past_the_horizon_is_an_error():
    model = short(seed=1)
    model.run()
    assert not model.running and model.steps == model.n_months == 6
    with pytest.raises(RuntimeError) as error:
        model.step()
    assert str(error.value) == (
        "the model of 'status_quo' has reached its last month 2021-03; build a new model or "
        "extend `end`"
    )
    assert model.steps == 6 and len(model.timeseries()) == 7  # nothing happened


def test_run_model_stops_at_the_horizon():
    model = short(seed=1)
    model.run_model()  # Mesa's own loop
    assert model.steps == 6 and model.date == "2021-03"


# ---------------------------------------------------------------------- the DataCollector


def test_first_row_is_the_state_before_the_first_month():
    model = short(seed=1)
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 1 and frame["date"].iloc[0] == "2020-09"
    assert frame[list(FLOW_METRICS)].isna().all(axis=None)
    model.run()
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == model.n_months + 1 and frame["date"].iloc[1] == "2020-10"


@pytest.mark.parametrize("views", [True, False])
def test_agent_variables_for_the_panel(views):
    model = short(seed=1, panel=20, agent_views=views)
    model.run()
    agents = model.datacollector.get_agent_vars_dataframe()
    assert agents.index.names == ["Step", "AgentID"]
    assert list(agents.columns) == list(PANEL_FIELDS)
    assert len(agents) == 20 * 7
    assert sorted(agents.index.get_level_values("Step").unique()) == list(range(7))
    last = agents.xs(6, level="Step")
    rows = np.asarray(last.index) - 1  # AgentID is the row plus 1
    assert list(rows) == list(model.panel_rows)
    for name in PANEL_COLUMNS:
        np.testing.assert_array_equal(last[name], getattr(model.population, name)[rows])
    assert set(last["area"]) <= {0, 1, 2, 3}
    if views:
        assert model.citizen(int(rows[0])).unique_id == last.index[0]
    panel = model.panel()
    assert list(panel.columns) == ["step", "date", "row", *PANEL_FIELDS]
    assert len(panel) == len(agents) and panel["date"].iloc[-1] == "2021-03"


def test_no_panel_no_agent_variables():
    model = short(seed=1)
    model.run()
    agents = model.datacollector.get_agent_vars_dataframe()
    assert agents.empty and list(agents.columns) == list(PANEL_FIELDS)
    assert agents.index.names == ["Step", "AgentID"]
    assert model.panel() is None


# ---------------------------------------------------------------------- batch_run


def test_batch_run_sweeps_parameters_and_seeds():
    """Seeds are swept explicitly: ``rng=[...]`` where batch_run has it (Mesa >= 3.5, which
    overwrites a ``seed`` parameter), else a ``seed`` parameter (Mesa 3.3)."""
    parameters = {"choice__coef_trust": [1.0, 2.0, 3.0], "citizens": 2000}
    options = {"max_steps": 6, "number_processes": 1, "display_progress": False}
    if "rng" in inspect.signature(mesa.batch_run).parameters:
        results = mesa.batch_run(AdoptionModel, parameters, rng=[1, 2], **options)
    else:
        results = mesa.batch_run(AdoptionModel, {**parameters, "seed": [1, 2]}, **options)
    frame = pd.DataFrame(results)
    assert len(frame) == 6 and set(frame["Step"]) == {6} and set(frame["date"]) == {"2021-03"}
    frame = frame.set_index(["seed", "choice__coef_trust"]).sort_index()
    assert frame.index.is_unique and set(frame.index) == {
        (s, c) for s in (1, 2) for c in (1.0, 2.0, 3.0)
    }
    for seed in (1, 2):
        attempts = frame.loc[seed, "online_attempt_share"]
        assert attempts.is_monotonic_increasing and attempts.nunique() == 3
    # each run is the model with that seed and parameter, 6 months in
    direct = short(seed=2, citizens=2000, choice__coef_trust=3.0)
    for _ in range(6):
        direct.step()
    row = frame.loc[(2, 3.0)]
    assert row["online_attempt_share"] == direct.metrics["online_attempt_share"]
    assert row["mean_trust"] == direct.metrics["mean_trust"]


def test_batch_run_sweeps_lever_keywords():
    """A lever of a library scenario is a keyword like any parameter (docs/api.md)."""
    parameters = {
        "scenario": "reform_levers",
        "citizens": 500,
        "end": "2024-06",
        "levers__law__enabled": [True, False],
    }
    options = {"max_steps": 45, "number_processes": 1, "display_progress": False}
    if "rng" in inspect.signature(mesa.batch_run).parameters:
        results = mesa.batch_run(AdoptionModel, parameters, rng=[1, 2], **options)
    else:
        results = mesa.batch_run(AdoptionModel, {**parameters, "seed": [1, 2]}, **options)
    frame = pd.DataFrame(results).set_index(["seed", "levers__law__enabled"]).sort_index()
    assert len(frame) == 4
    for seed in (1, 2):  # free certificates come with the law
        assert (
            frame.loc[(seed, False), "esignature_share"]
            < frame.loc[(seed, True), "esignature_share"]
        )
