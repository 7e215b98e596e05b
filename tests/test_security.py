"""Exposure: files are data only; names from files cannot write outside the results folder."""

import ast
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.atomic import toml_text
from sim.files import validate_scenario
from sim.scenario import ScenarioError
from tests.conftest import ROOT

FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_MODULES = {"pickle", "marshal", "shelve", "dill", "cloudpickle"}


def _sources():
    return sorted((ROOT / "sim").rglob("*.py"))


def test_no_eval_exec_or_pickle_in_the_package():
    """Scenario, experiment, sensitivity and calibration files are parsed by tomllib and
    validated by pydantic into plain values; nothing in the package evaluates code or
    unpickles data (Dask and process pools pickle our own objects, never a user's file)."""
    offences = []
    for path in _sources():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                if node.func.id in FORBIDDEN_CALLS:
                    offences.append(f"{path.name}:{node.lineno} {node.func.id}()")
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
                if any(n.split(".")[0] in FORBIDDEN_MODULES for n in names):
                    offences.append(f"{path.name}:{node.lineno} imports {names}")
    assert not offences, offences


def test_yaml_or_other_loaders_are_not_used():
    text = "\n".join(p.read_text() for p in _sources())
    assert "yaml.load" not in text and "tomllib.loads" in text


@pytest.mark.parametrize(
    "name", ["../x", "..", "a/b", "/etc", "a\\b", ".hidden", "", "a" * 65, "x\x00y", "~root"]
)
def test_names_cannot_leave_the_results_folder(name):
    with pytest.raises(ScenarioError, match="not a usable name"):
        validate_scenario({"name": name})


def test_accepted_names_stay_one_folder_deep():
    for name in ("status_quo", "a.b", "run-2", "A1"):
        scenario = validate_scenario({"name": name})
        target = (Path("results") / scenario.name).resolve()
        assert target.parent == (Path("results")).resolve()


@settings(max_examples=100, deadline=None)
@given(
    data=st.dictionaries(st.text(max_size=8), st.text(max_size=20) | st.floats(), max_size=4),
    header=st.text(max_size=40),
)
def test_toml_the_tool_writes_reads_back_whatever_the_strings(data, header):
    """Files the tool writes (calibrated.toml, dashboard exports) go through tomli-w: quotes,
    backslashes, newlines and NUL in names, paths or the comment header cannot break them."""
    text = toml_text({"scenario": data}, header)
    back = tomllib.loads(text)["scenario"]
    assert back.keys() == data.keys()
    for key, value in data.items():
        assert back[key] == value or (value != value and back[key] != back[key])  # NaN
