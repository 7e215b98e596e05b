"""The layer contract (``[tool.importlinter]`` in pyproject.toml): imports point down the flow
scenario file -> schema -> model -> experiment -> analysis -> command line, never back."""

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT


def test_import_linter_contract_is_kept(monkeypatch, capsys):
    cli = pytest.importorskip("importlinter.cli")
    monkeypatch.chdir(ROOT)
    assert cli.lint_imports() == 0, capsys.readouterr().out
    assert "0 broken" in capsys.readouterr().out


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_schema_and_model_never_import_the_layers_above():
    """The same contract read straight from the source (no tool needed), for the two rules
    that broke before: the schema importing the model, analysis importing experiment."""
    schema = [
        "scenario.py",
        "levers.py",
        "params.py",
        "params_fields.py",
        "params_docs.py",
        "names.py",
        "files.py",
    ]
    for name in schema:
        assert not {m for m in _imports(ROOT / "sim" / name) if m.startswith("sim.model")}, name
    for path in (ROOT / "sim" / "analysis").glob("*.py"):
        assert not {m for m in _imports(path) if m.startswith("sim.experiment")}, path.name
    for path in (ROOT / "sim" / "model").glob("*.py"):
        bad = {m for m in _imports(path) if m.startswith(("sim.experiment", "sim.analysis"))}
        assert not bad, path.name
