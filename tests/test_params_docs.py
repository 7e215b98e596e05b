"""The generated parameter table: one row per declared parameter, under its group, and a
country's own values and sources in place of the defaults it overrides."""

from types import SimpleNamespace

from sim.params import Params, iter_parameters
from sim.params_docs import parameters_markdown

TESTLAND = SimpleNamespace(
    title="Testland",
    params={
        "choice": {"coef_trust": 2.5},
        "internet": {"share_initial": {"north": 0.5, "south": 0.25}},
    },
    info=SimpleNamespace(sources={"choice.coef_trust": "sources.md test-row"}),
)


def _rows(table: str) -> dict[str, str]:
    """Each parameter's row, by ``<group>.<name>``, read back from the table."""
    rows, group = {}, None
    for line in table.splitlines():
        if line.startswith("## `"):
            group = line.split("`")[1]
        elif line.startswith("| `"):
            rows[f"{group}.{line.split('`')[1]}"] = line
    return rows


def test_one_row_per_parameter_under_its_group_in_declaration_order():
    table = parameters_markdown()
    headings = [line.split("`")[1] for line in table.splitlines() if line.startswith("## `")]
    assert headings == list(Params.model_fields)
    assert [f"params.{key}" for key in _rows(table)] == [p for p, _, _ in iter_parameters()]
    assert "## `costs`: Time costs used for citizen hours saved." in table
    assert table.endswith(" |\n") and "(Testland)" not in table


def test_a_row_gives_scope_default_unit_bounds_source_and_range():
    rows = _rows(parameters_markdown())
    assert rows["choice.coef_trust"] == (
        "| `coef_trust` | shared | 2.0 | utility per unit trust | -50..50 | trust lowers "
        "perceived risk (UTAUT + trust) | Venkatesh et al. 2003; Belanger and Carter 2008; size "
        "an assumption | 1 to 3 |"
    )
    assert rows["agencies.mean_inertia"].startswith(
        "| `mean_inertia` | country (judgement) | 0.8 |"
    )
    # a per-area table has no shared default and no scalar bounds
    assert rows["internet.share_initial"].startswith(
        "| `share_initial` | country | per country | share of adults |  | "
    )
    assert rows["costs.hours_visit"].split(" | ")[4] == "0..1000"


def test_a_countrys_values_and_sources_stand_in_the_table():
    table = parameters_markdown(TESTLAND)
    rows = _rows(table)
    assert rows["choice.coef_trust"].startswith("| `coef_trust` | shared | 2.5 (Testland) |")
    assert rows["choice.coef_trust"].endswith("| sources.md test-row | 1 to 3 |")
    assert "| north 0.5, south 0.25 (Testland) |" in rows["internet.share_initial"]
    # a value set without a source of its own keeps the declared source
    assert "| country file ([country.sources] of " in rows["internet.share_initial"]
    assert rows["traits.mean_trust"] == _rows(parameters_markdown())["traits.mean_trust"]
    assert 'Values marked\n"(Testland)" are those of the library\'s default country' in table
