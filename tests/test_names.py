"""What readers see is named, not coded: reports, printed tables and help texts use the metric
registry's labels and units (with its notes), scenarios' titles and levers' names; the
identifiers stay beside them in the machine-readable tables; the names a parameter set gives
its registries and agencies, and how an identifier reads (:mod:`sim.names`)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sim.cli import main as cli_main
from sim.cli.app import build_parser
from sim.experiment.batch import run_batch
from sim.experiment.plan import load_experiment
from sim.names import agency_names, display_name, registry_names
from sim.outputs import REGISTRY
from sim.params import Agencies, Params
from tests.conftest import SCENARIOS

HOURS = REGISTRY["hours_saved_per_1000"]

EXPERIMENT = """
name = "named"
description = "a tiny lever sweep for the names test"
scenarios = ["{sq}"]
replications = 2
root_seed = 5
citizens = 300

[[policies]]
name = "ministry_law"
title = "ministry and law"
scenario = "{levers}"
set = {{ "levers.open.enabled" = false }}

[sweep]
method = "grid"
[sweep.parameters]
"levers.law.enabled" = [false, true]

[output]
metrics = ["online_users_share", "end_to_end_share", "paper_documents_per_1000",
           "hours_saved_per_1000"]
every = 12
"""


def _subcommands() -> list[str]:
    parser = build_parser()
    return list(parser._subparsers._group_actions[0].choices)  # the registered sub-commands


@pytest.mark.parametrize("command", _subcommands())
def test_help_shows_percent_signs_once(command, capsys):
    """argparse %-formats ``help=`` strings but not ``description=``: a "95%%" written in a
    description reaches the reader doubled."""
    with pytest.raises(SystemExit) as done:
        cli_main([command, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "usage:" in text and "%%" not in text
    if command in ("compare", "report", "robustness", "sensitivity"):
        assert "95% CI" in text


@pytest.fixture(scope="module")
def named_report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("named")
    path = tmp / "named.toml"
    path.write_text(
        EXPERIMENT.format(sq=SCENARIOS / "status_quo.toml", levers=SCENARIOS / "reform_levers.toml")
    )
    out = tmp / "out"
    run_batch(load_experiment(path), out, quiet=True)
    assert cli_main(["report", str(out), "-q"]) == 0
    return out


def _tables_before_glossary(text: str) -> list[str]:
    body = text.split("\n## Metrics\n")[0]
    return [line for line in body.splitlines() if line.startswith("|")]


def test_report_md_names_metrics_with_units_and_notes(named_report):
    text = (named_report / "report" / "report.md").read_text()
    for name in ("online_users_share", "end_to_end_share", "paper_documents_per_1000"):
        m = REGISTRY[name]
        assert f"| {m.label}, {m.unit} |" in text  # a row of the effects table
    assert f"| {HOURS.label}, {HOURS.unit} |" in text
    assert HOURS.note in text  # why the status quo's hours saved are negative
    rows = _tables_before_glossary(text)
    assert rows
    for line in rows:  # no bare identifier of a metric in any table a reader reads
        assert not any(name in line for name in REGISTRY), line
    glossary = text.split("\n## Metrics\n")[1]
    assert f"| {HOURS.label} | {HOURS.unit} | `hours_saved_per_1000` |" in glossary


def test_report_md_names_scenarios_by_title_and_levers_by_name(named_report):
    text = (named_report / "report" / "report.md").read_text()
    manifest = json.loads((named_report / "manifest.json").read_text())
    assert manifest["scenarios"]["status_quo"]["title"] == "status quo"
    assert manifest["scenarios"]["ministry_law"]["title"] == "ministry and law"  # the policy's
    assert "| status quo (reference) |" in text and "| ministry and law |" in text
    assert (
        "- scenarios: status quo (`status_quo`, reference), ministry and law (`ministry_law`)"
        in text
    )
    assert "### Point 0: e-signature law off" in text and "### Point 1: e-signature law on" in text
    assert "e-signature law (`levers.law.enabled`, bool)" in text


def test_robustness_md_names_the_metric_and_the_policies(named_report):
    argv = ["robustness", str(named_report), "--metric", "end_to_end_share", "-q"]
    assert cli_main(argv) == 0
    text = (named_report / "robustness" / "robustness.md").read_text()
    assert text.startswith(
        "# Robustness of the policies: Completed end to end online (`end_to_end_share`)"
    )
    rows = [
        line for line in text.splitlines() if line.startswith("| 1 |") or line.startswith("| 2 |")
    ]
    assert sorted(row.split(" | ")[1].strip("*") for row in rows) == [
        "ministry and law (`ministry_law`)",
        "status quo (`status_quo`)",
    ]


def test_effects_csv_keeps_identifiers_beside_names(named_report):
    effects = pd.read_csv(named_report / "report" / "effects.csv")
    columns = list(effects.columns)
    assert columns.index("title") == columns.index("scenario") + 1
    assert columns[columns.index("metric") + 1 : columns.index("metric") + 3] == ["label", "unit"]
    hours = effects[effects.metric == "hours_saved_per_1000"]
    assert set(hours["label"]) == {HOURS.label} and set(hours["unit"]) == {HOURS.unit}
    assert dict(zip(effects.scenario, effects.title, strict=True)) == {
        "status_quo": "status quo",
        "ministry_law": "ministry and law",
    }


def test_run_summary_speaks_in_labels_with_units():
    from pathlib import Path

    from sim.experiment.runner import SUMMARY_METRICS, summary_text

    values = {m: -1.5 if m == "hours_saved_per_1000" else 0.25 for m in SUMMARY_METRICS}
    frame = pd.DataFrame([{"date": d, **values} for d in ("2020-10", "2020-11", "2030-12")])
    manifest = {"scenario": "paper_recommendations", "title": "full package", "citizens": 500,
                "months": 2, "seed": 1, "wall_seconds": 0.1, "files": {}}  # fmt: skip
    text = summary_text(frame, manifest, Path("out"))
    assert text.startswith("full package (paper_recommendations): 500 adults")
    for name in SUMMARY_METRICS:
        assert REGISTRY[name].label in text and name not in text.split("results in")[0]
    assert f"{HOURS.label}" in text and HOURS.unit in text and HOURS.note in text
    assert "0.250" in text and "-1.5" in text


def test_registries_and_agencies_are_named_in_model_order():
    params = Params(agencies=Agencies(n_registries=13, n_public=14, n_private=5))
    registries = registry_names(params)
    assert registries[:3] == ["civil_registration", "property", "tax"]
    assert registries[11:] == ["pensions", "registry_13"]  # past the named ones, numbered
    assert agency_names(params) == [f"{name}_agency" for name in registries] + [
        "public_agency_14",
        "bank_1",
        "notary_1",
        "insurer_1",
        "telecom_1",
        "bank_2",
    ]
    defaults = Params()
    assert len(agency_names(defaults)) == defaults.agencies.n_public + defaults.agencies.n_private


def test_an_identifier_reads_as_words():
    assert display_name("civil_registration_agency") == "Civil registration agency"
    assert display_name("bank_2") == "Bank 2"
    assert display_name("soum_centre") == "Soum centre"
    assert display_name("") == ""


# --------------------------------------------------------------------------- sim.analysis.names

MANIFEST = {
    "scenarios": {
        "status_quo": {"title": "Status quo", "resolved": {"levers": []}},
        "reform": {
            "resolved": {
                "title": "The reform",
                "levers": [
                    {"id": "ministry", "type": "central_ministry"},
                    {"id": "law", "type": "legal_esignature"},
                ],
            }
        },
        "other": {  # a later scenario naming the same id does not change its type
            "resolved": {"levers": [{"id": "ministry", "type": "once_only"}]}
        },
    }
}


def test_factor_values_read_as_on_off_months_and_numbers():
    from sim.analysis.names import format_value, runs_text, short_key

    assert [format_value(v, "bool") for v in (True, False, 1, 0)] == ["on", "off", "on", "off"]
    assert format_value("2025-03", "month") == "2025-03"
    assert format_value(12, "integer") == "12" and format_value(0.123456, "number") == "0.1235"
    assert short_key("params.choice.coef_trust") == "choice.coef_trust"
    assert short_key("levers.law.at") == "law.at"
    assert runs_text(pd.Series([5, 5])) == "n=5" and runs_text(pd.Series([8, 10])) == "n=8-10"


def test_levers_are_named_by_their_title_and_field():
    from sim.analysis.names import factor_names, lever_types, scenario_titles

    assert lever_types(MANIFEST) == {"ministry": "central_ministry", "law": "legal_esignature"}
    keys = [
        "levers.ministry.at",
        "levers.law.enabled",
        "levers.ministry.rate_coordination",
        "levers.unknown.at",
        "params.choice.coef_trust",
    ]
    assert factor_names(keys, MANIFEST) == {
        "levers.ministry.at": "central ministry from",
        "levers.law.enabled": "e-signature law",
        "levers.ministry.rate_coordination": "central ministry: rate coordination",
        "levers.unknown.at": "unknown.at",
        "params.choice.coef_trust": "choice.coef_trust",
    }
    assert scenario_titles(MANIFEST) == {
        "status_quo": "Status quo",
        "reform": "The reform",
        "other": "other",
    }


def test_tables_get_names_beside_their_identifiers():
    from sim.analysis.names import metric_heading, with_names

    table = pd.DataFrame({"scenario": ["reform", "x"], "metric": ["gap", "mystery"], "n": [3, 4]})
    named = with_names(table, {"reform": "The reform"})
    assert list(named.columns) == ["scenario", "title", "metric", "label", "unit", "n"]
    assert named["title"].tolist() == ["The reform", "x"]
    assert named["label"].tolist() == ["Internet access minus online use", "mystery"]
    assert named["unit"].tolist() == ["difference of shares", ""]
    assert metric_heading("gap") == "Internet access minus online use, difference of shares"
    info = REGISTRY["online_users_share"]
    assert metric_heading("online_users_share") == f"{info.label}, {info.unit}"
    assert metric_heading("mystery") == "mystery"
