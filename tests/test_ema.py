"""The EMA Workbench adapter (sim.ema): the mapping of uncertainties, levers and outcomes
(plain Python, every Python), and experiments end to end through EMA's perform_experiments
(where ema-workbench is installed: Python 3.12 or later)."""

import pickle
import sys

import numpy as np
import pytest

from sim import ema
from sim.experiment.sensitivity import assumption_ranges
from sim.factors import sweepable_fields
from sim.model.model import AdoptionModel, resolve_scenario
from sim.outputs import HEADLINE
from sim.scenario import Scenario, with_values

pytestmark = pytest.mark.filterwarnings("ignore:ipyparallel not installed:UserWarning")

CITIZENS = 300
DATE = "2024-06"  # 18 months after the levers of reform_levers (2023-01)


@pytest.fixture(scope="module")
def reform():
    return resolve_scenario("reform_levers").with_overrides(citizens=CITIZENS)


# --------------------------------------------------------------------------- the mapping


def test_names_are_the_model_keywords_and_read_back():
    assert ema.keyword("params.choice.coef_trust") == "choice__coef_trust"
    assert ema.keyword("levers.once_only.at") == "levers__once_only__at"
    for path in ("params.choice.coef_trust", "levers.once_only.at"):
        assert ema.path_of(ema.keyword(path)) == path
        assert ema.path_of(path) == path


def test_default_uncertainties_are_the_assumptions_over_their_sensitivity_ranges(reform):
    found = ema.uncertainties(reform)
    expected = assumption_ranges()
    assert len(found) == len(expected) == 70
    assert [v.path for v in found] == list(expected)
    for v in found:
        low, high = expected[v.path]
        assert (v.low, v.high) == (low, high), v.path
        assert v.name == ema.keyword(v.path)
    kinds = {v.path: v for v in found}
    n_ub = kinds["params.population.n_localities.ulaanbaatar"]
    assert (n_ub.kind, n_ub.low, n_ub.high, n_ub.ema_class) == (
        "integer",
        100,
        200,
        "IntegerParameter",
    )
    growth = kinds["params.internet.rate_growth"]
    assert (growth.kind, growth.low, growth.high) == ("number", 0.005, 0.03)
    assert growth.ema_class == "RealParameter"
    whole = {v.path for v in found if v.kind == "integer"}
    assert whole == {
        "params.population.n_localities.ulaanbaatar",
        "params.network.n_local_ties",
        "params.agencies.n_private",
        "params.agencies.n_registries_needed_max",
    }


def test_default_levers_are_every_settable_field_of_the_named_levers(reform):
    found = ema.levers(reform, date=DATE)
    expected = sum(len(sweepable_fields(type(item))) for item in reform.levers if item.id)
    assert len(found) == expected == 27
    by_path = {v.path: v for v in found}
    at = by_path["levers.ministry.at"]
    # months since the start (2020-10), up to the outcome month
    assert (at.kind, at.low, at.high, at.ema_class) == ("month", 0, 44, "IntegerParameter")
    assert at.value(27, reform) == "2023-01"
    assert by_path["levers.law.enabled"].ema_class == "BooleanParameter"
    rate = by_path["levers.law.uptake_rate"]
    assert (rate.kind, rate.low, rate.high) == ("number", 0.0, 1.0)
    assert by_path["levers.open.ramp_months"].kind == "integer"


def test_levers_with_ranges_or_listed_values(reform):
    found = ema.levers(
        reform,
        {
            "levers__ministry__at": ("2022-01", "2024-01"),
            "levers.law.at": ["2022-01", "2023-07"],
            "levers.law.uptake_rate": (0.01, 0.05),
            "levers.open.ramp_months": [6, 24],
        },
    )
    ministry, law_at, uptake, ramp = found
    assert (ministry.low, ministry.high) == (15, 39)
    assert law_at.categories == ("2022-01", "2023-07")
    assert law_at.ema_class == "CategoricalParameter"
    assert law_at.value("2023-07", reform) == "2023-07"
    assert (uptake.low, uptake.high) == (0.01, 0.05)
    assert ramp.categories == (6, 24)


def test_a_lever_with_an_end_keeps_its_start_before_it():
    data = resolve_scenario("digital_skills").model_dump(mode="python")
    item = next(i for i in data["levers"] if i["type"] == "digital_skills")
    item["id"] = "skills"  # 2023-01 to 2025-12
    scenario = Scenario.model_validate(data)
    at, until = ema.levers(scenario, ["levers.skills.at", "levers.skills.until"])
    assert (at.low, at.high) == (0, scenario.month_index("2025-12"))
    assert (until.low, until.high) == (scenario.month_index("2023-01"), scenario.n_months - 1)
    assert "levers.skills.until" not in ema.lever_paths(scenario)
    assert "levers.skills.at" in ema.lever_paths(scenario)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"params.choice.coef_trus": (1, 2)}, "did you mean 'params.choice.coef_trust'"),
        ({"params.traits.mean_trust": (0.5, 2.0)}, "out of range (allowed: 0.01..0.99)"),
        ({"params.traits.mean_trust": (0.6, 0.3)}, "must be below high"),
        ({"params.traits.mean_trust": 0.5}, "is not a range"),
        ({"params.traits.mean_trust": (0.3, 0.4, 0.5)}, "is not a range"),  # a list is values
        (["params.internet.share_initial.rural"], "no sensitivity range"),
        ({"levers.law.enabled": (0, 1)}, "true/false has no range"),
        ({"levers.law.at": ("2019-01", "2024-01")}, "outside the horizon"),
        ({"levers.nope.at": ("2022-01", "2024-01")}, "unknown lever id 'nope'"),
        ("params.traits.mean_trust", "is one name"),
        ({"params.network.n_local_ties": (2.2, 2.8)}, "fewer than 2 whole numbers"),
        (["params.traits.mean_trust", "traits__mean_trust"], "listed twice"),
    ],
)
def test_bad_variables_are_one_line_naming_the_key(reform, spec, message):
    with pytest.raises(ValueError, match="^uncertainties: ") as caught:
        ema.uncertainties(reform, spec)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_outcomes_come_from_the_registry_with_their_direction():
    assert [m.name for m in ema.outcomes()] == list(HEADLINE)
    kinds = {m.name: ema.outcome_kind(m) for m in ema.outcomes(
        ["esignature_share", "in_person_visits_per_1000", "assisted_share"]
    )}  # fmt: skip
    assert kinds == {
        "esignature_share": "maximize",
        "in_person_visits_per_1000": "minimize",
        "assisted_share": "info",
    }
    with pytest.raises(ValueError, match="did you mean 'esignature_share'"):
        ema.outcomes(["esignature_shar"])
    with pytest.raises(ValueError, match="outside reform_levers's horizon"):
        ema.uncertainties("reform_levers", date="2040-01")


def test_the_runner_runs_one_experiment_as_the_model_would(reform):
    variables = ema.uncertainties(reform, {"traits__mean_trust": (0.3, 0.6)}) + ema.levers(
        reform, ["levers.law.enabled"]
    )
    runner = ema.Runner(reform, variables, ["esignature_share", "mean_trust"], DATE)
    runner = pickle.loads(pickle.dumps(runner))  # EMA's process pool sends it to workers
    got = runner(seed=3, traits__mean_trust=np.float64(0.5), levers__law__enabled=False)
    scenario = with_values(reform, {"params.traits.mean_trust": 0.5, "levers.law.enabled": False})
    model = AdoptionModel(scenario, seed=3, agent_views=False)
    for _ in range(scenario.month_index(DATE) + 1):
        model.step()
    assert got == {m: model.metrics[m] for m in ("esignature_share", "mean_trust")}
    series = ema.Runner(reform, variables, ["mean_trust"], DATE, series=True)(seed=3)
    assert series["mean_trust"].shape == (scenario.month_index(DATE) + 2,)  # initial + months
    with pytest.raises(TypeError, match="neither an uncertainty nor a lever"):
        runner(seed=0, traits__mean_trus=0.5)
    with pytest.raises(ValueError, match="refused the experiment") as caught:
        runner(seed=0, traits__mean_trust=1.5)
    assert "params.traits.mean_trust: " in str(caught.value)
    assert "(allowed: 0.01..0.99)" in str(caught.value)


def test_a_missing_ema_workbench_is_one_clear_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "ema_workbench", None)
    with pytest.raises(ImportError, match=r"pip install 'egov-sim\[ema\]'"):
        ema.ema_model("reform_levers")


# --------------------------------------------------------------------------- through EMA


@pytest.mark.slow
def test_twenty_experiments_by_two_replications_through_perform_experiments(reform):
    wb = pytest.importorskip("ema_workbench")
    model = ema.ema_model(
        reform,
        uncertainties={"params.traits.mean_trust": (0.3, 0.6), "needs__p_needs_data": (0.3, 0.8)},
        levers=["levers.law.enabled"],
        outcomes=["esignature_share", "online_users_share"],
        replications=2,
        date=DATE,
    )
    assert isinstance(model, wb.ReplicatorModel)
    assert [r["seed"] for r in model.replications] == [0, 1]
    policies = [
        wb.Sample("law", levers__law__enabled=True),
        wb.Sample("no_law", levers__law__enabled=False),
    ]
    with wb.SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(
            scenarios=10, policies=policies, uncertainty_sampling_kwargs={"rng": 42}
        )
    assert len(experiments) == 20
    for name in ("esignature_share", "online_users_share"):
        assert outcomes[name].shape == (20, 2)  # experiments x replicates
    assert experiments["traits__mean_trust"].between(0.3, 0.6).all()

    # replicate k runs with seed k: experiment 0 again, by the model function and by hand
    row = experiments.iloc[0]
    values = {
        "traits__mean_trust": row["traits__mean_trust"],
        "needs__p_needs_data": row["needs__p_needs_data"],
        "levers__law__enabled": bool(row["levers__law__enabled"]),
    }
    for k in (0, 1):
        again = model.function(seed=k, **values)
        assert again["esignature_share"] == outcomes["esignature_share"][0, k]
        by_hand = AdoptionModel(model.function.scenario_for(values), seed=k, agent_views=False)
        for _ in range(reform.month_index(DATE) + 1):
            by_hand.step()
        assert by_hand.metrics["online_users_share"] == outcomes["online_users_share"][0, k]
    assert not np.array_equal(
        outcomes["online_users_share"][:, 0], outcomes["online_users_share"][:, 1]
    )

    # the e-signature law raises e-signature holdings in every future and on every seed
    law = experiments["policy"].astype(str).to_numpy() == "law"
    order_on = np.argsort(experiments["scenario"].astype(str).to_numpy()[law])
    order_off = np.argsort(experiments["scenario"].astype(str).to_numpy()[~law])
    on = outcomes["esignature_share"][law][order_on]
    off = outcomes["esignature_share"][~law][order_off]
    assert (on > off + 0.1).all()


def test_one_replication_aggregates_and_series_through_ema(reform):
    wb = pytest.importorskip("ema_workbench")
    single = ema.ema_model(reform, uncertainties=[], levers=[], replications=1, date="2021-03")
    assert isinstance(single, wb.Model) and not isinstance(single, wb.ReplicatorModel)
    kinds = {o.name: o.kind for o in single.outcomes}
    assert kinds["esignature_share"] == wb.ScalarOutcome.MAXIMIZE
    assert kinds["in_person_visits_per_1000"] == wb.ScalarOutcome.MINIMIZE
    assert len(single.uncertainties) == 0 and len(single.levers) == 0

    with pytest.raises(ValueError, match="both an uncertainty and a lever"):
        ema.ema_model(reform, uncertainties=["levers.law.at"], levers=["levers.law.at"])
    with pytest.raises(ValueError, match="replications: 0"):
        ema.ema_model(reform, replications=0)
    with pytest.raises(ValueError, match=r"^citizens: 5 adults is out of range \(allowed: "):
        ema.ema_model(reform, citizens=5)

    default = ema.ema_model(reform, date=DATE)
    assert len(default.uncertainties) == 70 and len(default.levers) == 27
    n_ub = default.uncertainties["population__n_localities__ulaanbaatar"]
    assert isinstance(n_ub, wb.IntegerParameter)
    assert (n_ub.lower_bound, n_ub.upper_bound) == (100, 200)
    growth = default.uncertainties["internet__rate_growth"]
    assert isinstance(growth, wb.RealParameter)
    assert (growth.lower_bound, growth.upper_bound) == (0.005, 0.03)

    averaged = ema.ema_model(
        reform,
        uncertainties={"traits__mean_trust": (0.3, 0.6)},
        levers=[],
        outcomes=["mean_trust"],
        seeds=[5, 6],
        aggregate=np.mean,
        series=True,
        date="2021-03",
    )
    with wb.SequentialEvaluator(averaged) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=2)
    assert outcomes["mean_trust"].shape == (2, 7)  # initial state + 6 months, mean of 2 seeds
    trust = experiments["traits__mean_trust"].iloc[1]
    by_seed = [averaged.function(seed=s, traits__mean_trust=trust)["mean_trust"] for s in (5, 6)]
    np.testing.assert_allclose(outcomes["mean_trust"][1], np.mean(by_seed, axis=0))

    scalar = ema.ema_model(reform, levers=[], outcomes=["mean_trust"], aggregate=np.mean)
    (outcome,) = scalar.outcomes
    assert isinstance(outcome, wb.ScalarOutcome) and outcome.kind == wb.ScalarOutcome.MAXIMIZE
