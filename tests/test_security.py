"""Exposure: files are data only; names from files cannot write outside the results folder;
file names reach the terminal escaped."""

import ast
import os
import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import cli
from sim.atomic import toml_text
from sim.errors import printable_lines, shown
from sim.files import load_scenario, validate_scenario
from sim.scenario import InputError
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


OTHER_LOADERS = {"yaml", "ruamel", "toml", "tomlkit", "jsonpickle", "configparser"}


def test_files_are_read_as_toml_and_nothing_else(tmp_path):
    """A YAML document with a Python object tag is refused as a TOML syntax error (a YAML
    loader would run the command), and no module of the package imports another format's
    loader."""
    path = tmp_path / "evil.toml"
    path.write_text(f'!!python/object/apply:os.system ["touch {tmp_path / "ran"}"]\n')
    with pytest.raises(InputError, match="evil.toml: TOML syntax error"):
        load_scenario(path)
    assert not (tmp_path / "ran").exists()
    imported = set()
    for source in _sources():
        for node in ast.walk(ast.parse(source.read_text(), filename=str(source))):
            if isinstance(node, ast.Import):
                imported |= {(source.name, a.name.split(".")[0]) for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add((source.name, node.module.split(".")[0]))
    assert not {(f, m) for f, m in imported if m in OTHER_LOADERS}


@pytest.mark.parametrize(
    "name", ["../x", "..", "a/b", "/etc", "a\\b", ".hidden", "", "a" * 65, "x\x00y", "~root"]
)
def test_names_cannot_leave_the_results_folder(name):
    with pytest.raises(InputError, match="not a usable name"):
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


# ---------------------------------------------------------------- names reach the terminal escaped


def test_shown_escapes_controls_and_bidi_but_keeps_letters_of_every_script():
    assert shown("x\x1b[2J.toml") == "x\\x1b[2J.toml"
    assert shown("a\nb\rc\td") == "a\\nb\\rc\\td"
    assert shown("\x00\x7f\x85\x9b") == "\\x00\\x7f\\x85\\x9b"  # NUL, DEL, C1 (NEL, CSI)
    bidi = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    assert shown(bidi) == "".join(f"\\u{ord(c):04x}" for c in bidi)
    assert shown("a\u200bb\ufeffc\u2028d\u00a0e") == "a\\u200bb\\ufeffc\\u2028d\\xa0e"
    assert shown("Улаанбаатар Өлгий ᠮᠣᠩᠭᠣᠯ café") == "Улаанбаатар Өлгий ᠮᠣᠩᠭᠣᠯ café"
    assert shown("cafe\u0301") == "cafe\u0301"  # a combining accent is a letter's part
    assert shown(os.fsdecode(b"x\xff.toml")) == "x\\udcff.toml"  # an undecodable byte
    assert shown(b"x\x1b.toml") == "x\\x1b.toml"
    assert shown(Path("dir") / "a\x1bb") == "dir/a\\x1bb"
    assert shown("\U000e0001") == "\\U000e0001"  # a tag character, invisible


@given(st.text())
def test_shown_is_one_printable_line_and_idempotent(text):
    once = shown(text)
    assert once.isprintable() and "\n" not in once
    assert shown(once) == once
    assert printable_lines(text) == "\n".join(shown(line) for line in text.split("\n"))


def test_printable_lines_keeps_the_lines_between_problems():
    message = "a.toml: x: bad\x1b[2J\nb\u202eelif.toml: y: worse\r"
    assert printable_lines(message) == "a.toml: x: bad\\x1b[2J\nb\\u202eelif.toml: y: worse\\r"


HOSTILE = ["x\x1b[2J.toml", "line\nbreak.toml", "evil\u202elmot.toml", "tab\there.toml"]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_name_is_printed_escaped_on_one_line(tmp_path, capsys, name):
    bad = tmp_path / name
    bad.write_text("name = 3\n")
    shown_name = shown(bad)
    assert "\\" in shown_name and shown_name.isprintable()
    assert cli.main(["validate", str(bad)]) == 2
    assert capsys.readouterr().err == (
        f"{shown_name}: name: Input should be a valid string (got 3)\n"
    )
    missing = tmp_path / ("gone" + name)
    for command in ("validate", "run"):
        assert cli.main([command, str(missing)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"{shown(missing)}: no such file, and no library scenario")
        assert err.count("\n") == 1 and err[:-1].isprintable()
    child = tmp_path / "child.toml"
    child.write_text(f'name = "child"\nextends = {tomli_w.dumps({"x": name})[4:].strip()}\n')
    (tmp_path / name).unlink()
    with pytest.raises(InputError) as info:
        load_scenario(child)
    assert str(info.value).startswith(
        f"{child}: extends: parent file {name!r} not found (searched in {tmp_path}; library "
        "scenarios: "
    )
    assert "\n" not in str(info.value)


def test_a_hostile_folder_name_is_escaped_in_every_line(tmp_path):
    folder = tmp_path / "a\x1b]0;title\x07\nb"
    folder.mkdir()
    path = folder / "s.toml"
    path.write_text('name = "s"\nseed = -1\ncitizens = 1\n')
    with pytest.raises(InputError) as info:
        load_scenario(path)
    lines = str(info.value).split("\n")
    assert len(lines) == 2
    assert all(line.startswith(f"{shown(path)}: ") and line.isprintable() for line in lines)
