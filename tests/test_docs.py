"""Docs that are generated from code stay in step with it."""

from sim.country import default_country
from sim.params import iter_parameters
from sim.params_docs import parameters_markdown
from tests.conftest import ROOT


def test_parameters_doc_is_current():
    doc = (ROOT / "docs" / "parameters.md").read_text()
    generated = parameters_markdown(default_country())
    assert generated in doc, "regenerate the table: egov-sim params --markdown"


def test_every_parameter_has_a_source_and_assumptions_a_range():
    for path, info, _ in iter_parameters():
        extra = info.json_schema_extra or {}
        assert extra.get("source"), path
        assert info.description, path
        if "assumption" in extra["source"]:
            assert extra.get("sa_range"), f"{path}: assumption without a sensitivity range"


def test_scenarios_doc_is_current():
    from sim.scenario import scenario_reference_markdown

    doc = (ROOT / "docs" / "scenarios.md").read_text()
    assert scenario_reference_markdown() in doc, "regenerate: egov-sim schema --markdown"


def test_scenario_example_in_docs_is_valid(tmp_path):
    import re
    import shutil

    from sim.files import load_scenario

    doc = (ROOT / "docs" / "scenarios.md").read_text()
    example = re.search(r"```toml\n(.*?)```", doc, re.S).group(1)
    shutil.copy(ROOT / "scenarios" / "mongolia" / "status_quo.toml", tmp_path / "status_quo.toml")
    (tmp_path / "example.toml").write_text(example)
    scenario = load_scenario(tmp_path / "example.toml")
    assert [i.type for i in scenario.levers] == ["central_ministry", "legal_esignature"]


def test_odd_names_the_stages_the_step_runs_in_their_order():
    import re

    from sim.model.model import STAGES, AdoptionModel

    odd = (ROOT / "docs" / "ODD.md").read_text()
    section = odd[odd.index("## 3. Process overview") : odd.index("## 4. Design concepts")]
    named = re.findall(r"^\| (\d+) \| `([a-z_]+)` \|", section, flags=re.MULTILINE)
    assert [name for _, name in named] == [stage.name for stage in STAGES]
    assert [int(n) for n, _ in named] == list(range(1, len(STAGES) + 1))
    assert all(callable(getattr(AdoptionModel, stage.method, None)) for stage in STAGES)


def test_a_step_runs_every_stage_once_and_can_time_them():
    from sim.model.model import STAGES, AdoptionModel

    model = AdoptionModel("status_quo", citizens=300, end="2021-03", seed=1)
    model.stage_seconds = {}
    model.run()
    assert list(model.stage_seconds) == [stage.name for stage in STAGES]
    assert all(t > 0 for t in model.stage_seconds.values())
    model.close()


def test_every_parameter_has_a_scope():
    from sim.params_fields import SCOPES

    for path, info, _ in iter_parameters():
        extra = info.json_schema_extra or {}
        assert extra.get("scope") in SCOPES, f"{path}: scope must be one of {SCOPES}"


def test_odd_lists_the_parameters_whose_scope_is_a_judgement_call():
    import re

    from sim.params import judgement_parameters, scope_of

    odd = (ROOT / "docs" / "ODD.md").read_text()
    section = odd[odd.index("### Shared and country parameters") : odd.index("## 7. Submodels")]
    listed = re.findall(r"^- `([a-z_]+\.[a-z_]+)` \((shared|country)\): \S", section, re.M)
    assert [f"params.{path}" for path, _ in listed] == list(judgement_parameters())
    assert all(scope_of(path) == scope for path, scope in listed)
