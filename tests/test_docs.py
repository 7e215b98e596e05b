"""Docs that are generated from code stay in step with it."""

from sim.params import iter_parameters, parameters_markdown
from tests.conftest import ROOT


def test_parameters_doc_is_current():
    doc = (ROOT / "docs" / "parameters.md").read_text()
    generated = parameters_markdown()
    assert generated in doc, "regenerate the table: egov-sim params --markdown"


def test_every_parameter_has_a_source_and_assumptions_a_range():
    for path, info, _ in iter_parameters():
        extra = info.json_schema_extra or {}
        assert extra.get("source"), path
        assert info.description, path
        if "assumption" in extra["source"]:
            assert extra.get("sa_range"), f"{path}: assumption without a sensitivity range"
