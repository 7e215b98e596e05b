"""Bad input: a corpus of malformed files, each with the exact line it must produce, and a
property-based test that only the project's own validation error ever comes out."""

import string
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import cli
from sim.experiment.plan import load_experiment
from sim.files import load_scenario
from sim.scenario import InputError
from tests.conftest import ROOT

BAD = Path("tests") / "data" / "bad"
CASES = [line.split("\t", 1) for line in (ROOT / BAD / "expected.tsv").read_text().splitlines()
         if line and not line.startswith("#")]  # fmt: skip


def _command(name: str) -> str:
    """The command a corpus file is given to, by its prefix."""
    prefixes = {"exp_": "batch", "sens_": "sensitivity", "cal_": "calibrate"}
    return next((cmd for prefix, cmd in prefixes.items() if name.startswith(prefix)), "run")


def test_corpus_is_large_and_covers_every_file_kind():
    assert len(CASES) >= 40
    assert sum(name.startswith("exp_") for name, _ in CASES) >= 10
    assert sum(name.startswith(("sens_", "cal_")) for name, _ in CASES) >= 5


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_bad_file_gets_its_exact_line(name, expected, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(ROOT)
    path = str(BAD / name)
    out = tmp_path / "out"
    status = cli.main([_command(name), path, "--out", str(out), "-q"])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.strip() == expected.replace("\t", "\n")  # one line per problem
    assert captured.out == ""
    assert not out.exists()  # nothing written


# ---------------------------------------------------------------- property-based

KEYS = [
    "name",
    "nmae",
    "description",
    "start",
    "end",
    "seed",
    "citizens",
    "params",
    "levers",
    "extends",
    "choice",
    "coef_trust",
    "learning",
    "rate_trust_gain",
    "type",
    "at",
    "until",
    "lockdown",
    "strength",
    "network",
    "mixing",
    "internet",
    "share_initial",
    "rural",
    "sweep",
    "scenarios",
    "replications",
    "output",
    "metrics",
]
SCALARS = st.one_of(
    st.booleans(), st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),  # nan and inf included: TOML writes them as `nan` and `inf`
    st.text(max_size=12),
    st.sampled_from(["2021-01", "2035-13", "national", "lockdown", "status_quo", "full", ""]),
    st.sampled_from(["a\n", "2021-01\n", " 2021-01", "２０２１-01", "ölgii", "../x", "\x00",
                     '"', "a\tb", "x" * 65, "1e999", "nan", "true", "７"]),  # odd strings
)  # fmt: skip
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=4),
    ),
    max_leaves=12,
)
DOCUMENTS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(DOCUMENTS)
def test_generated_scenarios_raise_only_our_error(tmp_path, document):
    path = tmp_path / "fuzz.toml"
    try:
        path.write_text(tomli_w.dumps(document))
    except (TypeError, ValueError):  # not representable in TOML (e.g. mixed-type arrays)
        return
    try:
        load_scenario(path)
    except InputError as exc:
        lines = str(exc).splitlines()
        assert 1 <= len(lines) <= 21 and all(line.startswith(str(path)) for line in lines)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(DOCUMENTS)
def test_generated_experiments_raise_only_our_error(tmp_path, document):
    path = tmp_path / "fuzz.toml"
    try:
        path.write_text(tomli_w.dumps(document))
    except (TypeError, ValueError):
        return
    try:
        load_experiment(path, max_runs=1000)
    except InputError as exc:
        lines = str(exc).splitlines()
        assert 1 <= len(lines) <= 21 and all(": " in line for line in lines)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=200) | st.text(alphabet=string.printable, max_size=200))
def test_arbitrary_bytes_raise_only_our_error(tmp_path, blob):
    path = tmp_path / "fuzz.toml"
    if isinstance(blob, str):
        path.write_text(blob)
    else:
        path.write_bytes(blob)
    try:
        load_scenario(path)
    except InputError:
        pass


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(depth=st.integers(2, 5000), kind=st.sampled_from(["array", "table"]),
       where=st.sampled_from(["x", "params", "levers"]))  # fmt: skip
def test_nesting_at_any_depth_is_one_line(tmp_path, depth, kind, where):
    """Arrays or inline tables nested to any depth (from 2: `levers = []` is valid): one
    line naming the file, never a RecursionError (tomllib recurses once per level)."""
    inner = "[" * depth + "]" * depth if kind == "array" else "{a = " * depth + "1" + "}" * depth
    path = tmp_path / "deep.toml"
    path.write_text(f'name = "a"\n{where} = {inner}\n')
    with pytest.raises(InputError) as caught:
        load_scenario(path)
    lines = str(caught.value).splitlines()
    assert 1 <= len(lines) <= 21 and all(line.startswith(str(path)) for line in lines)
