"""Parameter declarations: every parameter's scope, shared by all countries or one country's
input, and the accessors a calibration across countries uses to split them."""

import pytest

from sim.cli.app import dispatch
from sim.params import (
    country_parameters,
    is_judgement,
    iter_parameters,
    judgement_parameters,
    scope_of,
    shared_parameters,
)


def test_the_split_covers_every_parameter_once_in_declaration_order():
    paths = [path for path, _, _ in iter_parameters()]
    shared, country = shared_parameters(), country_parameters()
    assert not set(shared) & set(country)
    assert sorted(shared + country) == sorted(paths)
    assert list(shared) == [p for p in paths if p in shared]  # declaration order kept
    assert shared and country
    assert set(judgement_parameters()) < set(paths)


def test_mechanisms_are_shared_and_a_countrys_inputs_are_its_own():
    for path in (
        "choice.coef_trust",
        "choice.coef_paper_habit",
        "learning.rate_trust_gain",
        "learning.p_aware_peer",
        "learning.rate_trust_social",
        "agencies.rate_adapt",
        "security.rate_trust_loss_news",
        "credentials.coef_skill",
        "credentials.p_remote",
        "credentials.hours_scale",
    ):
        assert scope_of(path) == "shared", path
    for path in (
        "internet.share_initial",
        "internet.share_ceiling",
        "population.n_adults_national",
        "population.share_area",
        "agencies.n_public",
        "agencies.n_registries",
        "credentials.age_factor",
        "credentials.area_factor",
        "credentials.hours_travel",
        "coordination.capacity_initial",
    ):
        assert scope_of(path) == "country", path
    # every channel-choice coefficient and every learning rate is behaviour, not an input
    for path in shared_parameters() + country_parameters():
        group, name = path.split(".")[1:]
        if group in ("choice", "learning") and name.startswith(("coef_", "rate_")):
            assert scope_of(path) == "shared", path
        if group in ("population", "internet"):
            assert scope_of(path) == "country", path


def test_scope_of_takes_paths_table_entries_and_keywords():
    assert scope_of("params.choice.coef_trust") == "shared"
    assert scope_of("internet.share_initial.rural") == "country"
    assert scope_of("params.internet.share_initial.rural") == "country"
    assert scope_of("internet__share_initial__rural") == "country"
    assert scope_of("choice__coef_trust") == "shared"
    assert is_judgement("agencies.mean_inertia") and not is_judgement("choice.coef_trust")
    with pytest.raises(KeyError, match="did you mean 'params.choice.coef_trust'"):
        scope_of("choice.coef_trsut")
    with pytest.raises(KeyError, match="unknown parameter"):
        scope_of("internet.share_initial.Mars")  # not an area name (lower case)
    with pytest.raises(KeyError, match="unknown parameter"):
        scope_of("choice.coef_trust.young")  # not a table


def test_params_command_shows_and_filters_by_scope(capsys):
    assert dispatch(["params"]) == 0
    out = capsys.readouterr().out
    assert "params.choice.coef_trust = 2.0  # [shared] " in out
    assert "params.agencies.mean_inertia = 0.8  # [country, judgement] " in out
    assert dispatch(["params", "--scope", "country"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" = ")[0] for line in lines] == list(country_parameters())
    assert dispatch(["params", "--scope", "shared"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" = ")[0] for line in lines] == list(shared_parameters())
    with pytest.raises(SystemExit) as bad:
        dispatch(["params", "--scope", "global"])
    assert bad.value.code == 2
    assert "invalid choice: 'global'" in capsys.readouterr().err
