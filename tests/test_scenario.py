"""Scenario files: loading, extends, and one clear line for each kind of mistake."""

import json

import pytest
from pydantic import ValidationError

from sim import library
from sim.errors import InvalidScenario
from sim.files import load_scenario
from sim.scenario import (
    InputError,
    Scenario,
    keyword_paths,
    lever_keyword,
    scenario_json_schema,
)
from tests.conftest import SCENARIOS


def _write(tmp_path, name, text, mode="w"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def test_every_library_scenario_is_valid():
    files = sorted(p for p in SCENARIOS.glob("*.toml") if p.stem not in library.NOT_SCENARIOS)
    assert files
    for path in files:
        scenario = load_scenario(path)
        assert scenario.description, f"{path.name} needs a description"
        assert scenario.name == path.stem


def test_status_quo_defaults():
    scenario = load_scenario(SCENARIOS / "status_quo.toml")
    assert (scenario.start, scenario.end, scenario.n_months) == ("2020-10", "2030-12", 123)
    assert scenario.n_citizens == 20_000
    national = load_scenario(SCENARIOS / "status_quo.toml", citizens="national")
    assert national.n_citizens == 2_260_000


def test_extends_merges_tables_and_concatenates_levers(tmp_path):
    _write(
        tmp_path,
        "base.toml",
        """
name = "base"
description = "parent"
citizens = 1000
[params.choice]
coef_trust = 1.5
coef_skill = 2.5
[[levers]]
type = "lockdown"
at = "2021-01"
until = "2021-03"
""",
    )
    child = _write(
        tmp_path,
        "child.toml",
        """
extends = "base.toml"
name = "child"
[params.choice]
coef_trust = 3.0
[[levers]]
type = "security_breach"
at = "2022-04"
""",
    )
    scenario = load_scenario(child)
    assert scenario.name == "child" and scenario.description == ""
    assert scenario.citizens == 1000
    assert scenario.params.choice.coef_trust == 3.0  # child wins
    assert scenario.params.choice.coef_skill == 2.5  # parent kept
    assert [i.type for i in scenario.levers] == ["lockdown", "security_breach"]


BAD = {
    "typo.toml": (
        'name="a"\n[params.choice]\ncoef_trsut=1\n',
        "params.choice.coef_trsut: unknown key; did you mean 'coef_trust'?",
    ),
    "type.toml": (
        'name="a"\n[params.choice]\ncoef_trust="high"\n',
        "params.choice.coef_trust: Input should be a valid number",
    ),
    "range.toml": (
        'name="a"\n[params.learning]\nrate_trust_gain=3\n',
        "params.learning.rate_trust_gain: Input should be less than or equal to 1 "
        "(got 3) (allowed: 0..1)",
    ),
    "horizon.toml": (
        'name="a"\n[[levers]]\ntype="lockdown"\nat="2035-01"\nuntil="2035-03"\n',
        "levers[0].at: 2035-01 is outside the horizon (allowed: 2020-10 to 2030-12)",
    ),
    "tag.toml": (
        'name="a"\n[[levers]]\ntype="lockdwn"\nat="2021-01"\n',
        "levers[0].type: unknown lever type 'lockdwn'; did you mean 'lockdown'?",
    ),
    "key.toml": (
        'name="a"\n[[levers]]\ntype="lockdown"\nat="2021-01"\nuntil="2021-02"\nstrenght=2\n',
        "levers[0].strenght: unknown key; did you mean 'strength'?",
    ),
    "empty.toml": ("", "the file is empty"),
    "binary.toml": (b"\xff\xfe\x00\x01", "not UTF-8 text"),
    "syntax.toml": ('name = "a\n', "TOML syntax error"),
    "small.toml": ('name="a"\ncitizens=10\n', "citizens: 10 adults is out of range"),
    "date.toml": ('name="a"\nstart="2020-13"\n', "start: '2020-13' has month 13"),
    "end.toml": ('name="a"\nend="2019-01"\n', "end: 2019-01 is before start 2020-10"),
    "name.toml": ('name="../x"\n', "name: '../x' is not a usable name"),
    "missing.toml": ('description="no name"\n', "name: required key is missing"),
    "parent.toml": (
        'name="a"\nextends="nope.toml"\n',
        "extends: parent file 'nope.toml' not found",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_get_one_clear_line(tmp_path, name):
    text, expected = BAD[name]
    path = _write(tmp_path, name, text)
    with pytest.raises(InputError) as info:
        load_scenario(path)
    lines = str(info.value).splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines)
    assert any(expected in line for line in lines)


def test_extends_cycle(tmp_path):
    _write(tmp_path, "a.toml", 'name="a"\nextends="b.toml"\n')
    _write(tmp_path, "b.toml", 'name="b"\nextends="a.toml"\n')
    with pytest.raises(InputError, match=r"extends: cycle a.toml -> b.toml -> a.toml"):
        load_scenario(tmp_path / "a.toml")


def test_json_schema_describes_the_format():
    schema = scenario_json_schema()
    json.dumps(schema)
    assert {"name", "start", "end", "citizens", "params", "levers", "extends"} <= set(
        schema["properties"]
    )
    assert schema["additionalProperties"] is False


def test_partial_parameter_tables_keep_other_defaults(tmp_path):
    path = _write(tmp_path, "p.toml", 'name="p"\n[params.internet.share_initial]\nrural = 0.4\n')
    scenario = load_scenario(path)
    assert scenario.params.internet.share_initial["rural"] == 0.4
    assert scenario.params.internet.share_initial["ulaanbaatar"] == 0.82  # default kept
    assert scenario.params.internet.rate_growth == 0.013


def test_lever_keywords_become_lever_paths():
    assert lever_keyword("levers__ministry__at") == "levers.ministry.at"
    assert lever_keyword("levers__my__law__enabled") == "levers.my__law.enabled"
    for bad in ("levers__ministry", "levers____at", "levers__x__"):
        with pytest.raises(ValueError, match="not a lever keyword"):
            lever_keyword(bad)
    paths = keyword_paths(("capital", "rural"))
    assert "internet__share_initial__rural" not in keyword_paths()  # areas are a country's
    assert paths["choice__coef_trust"] == "params.choice.coef_trust"
    assert paths["internet__share_initial__rural"] == "params.internet.share_initial.rural"
    assert not any(k.startswith("levers") for k in paths)


def test_a_scenario_by_hand_is_checked_but_validation_inside_keeps_pydantic_errors():
    with pytest.raises(InvalidScenario) as info:
        Scenario(
            name="x",
            levers=[{"type": "lockdown", "at": "2021-01", "until": "2020-12"}],
        )
    assert str(info.value) == "Scenario arguments: levers[0].until: 2020-12 is before at 2021-01"
    assert isinstance(info.value, ValueError) and isinstance(info.value, InputError)
    with pytest.raises(ValidationError):  # what sim.files turns into lines naming the file
        Scenario.model_validate({"name": "x", "end": "2040-13"})
    good = Scenario(name="x", citizens=500)
    assert good.with_overrides(end="2021-12").n_months == 15
    with pytest.raises(InvalidScenario, match="^Scenario arguments: end: '2040-13'"):
        good.with_overrides(end="2040-13")  # a copy changed by hand: one line, as by hand
