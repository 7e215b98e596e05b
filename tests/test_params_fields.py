"""The parameter machinery: what a field records, and what a group refuses."""

import pytest
from pydantic import Field, ValidationError

from sim.params_fields import (
    AREA_NAME,
    SCOPES,
    AreaCounts,
    AreaValues,
    ParameterGroup,
    allowed_range,
    entry_range,
    field_extra,
    param,
)


class Demo(ParameterGroup):
    """A group declared the way sim.params declares its own."""

    level: float = param(
        0.5, ge=0, le=1, unit="share", scope="shared", source="sources.md x", doc="a level"
    )
    shares: list[float] = param(
        [0.5, 0.5],
        ge=0,
        le=1,
        unit="share",
        scope="country",
        source="assumption",
        sa=(0.8, 1.2),
        weights=True,
        doc="weights, normalised",
    )
    by_area: AreaValues = param(
        AreaValues({}), ge=0, le=2, unit="x", scope="country", source="sources.md y", doc="areas"
    )


def _problems(**values) -> list[tuple[str, str]]:
    """The (key, message) problems a Demo with these values is refused with."""
    with pytest.raises(ValidationError) as refused:
        Demo(**values)
    return refused.value.errors()[0]["ctx"]["error"].problems


def test_a_parameter_must_declare_one_of_the_two_scopes():
    with pytest.raises(TypeError, match="scope"):
        param(1.0, unit="x", source="sources.md x", doc="no scope")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="shared, country"):
        param(1.0, unit="x", scope="global", source="sources.md x", doc="bad scope")  # type: ignore[arg-type]
    field = param(1.0, unit="x", scope="shared", judgement=True, source="sources.md x", doc="ok")
    assert field.json_schema_extra["scope"] == "shared" and field.json_schema_extra["judgement"]
    assert SCOPES == ("shared", "country")


def test_an_assumption_needs_a_sensitivity_range():
    with pytest.raises(ValueError, match="assumption without a sensitivity range: a guess"):
        param(1.0, unit="x", scope="shared", source="assumption", doc="a guess")


def test_a_field_records_its_unit_scope_source_and_ranges():
    fields = Demo.model_fields
    assert field_extra(fields["level"]) == {
        "unit": "share",
        "scope": "shared",
        "source": "sources.md x",
    }
    assert field_extra(fields["shares"]) == {
        "unit": "share",
        "scope": "country",
        "source": "assumption",
        "weights": True,
        "sa_range": [0.8, 1.2],
        "entry_range": [0, 1],
    }
    # a scalar's bounds are pydantic's own; a table's or list's hold for each entry
    assert entry_range(fields["level"]) == (None, None)
    assert entry_range(fields["shares"]) == (0, 1)
    assert entry_range(fields["by_area"]) == (0, 2)
    assert field_extra(Field(0.5, description="a plain field")) == {}
    assert allowed_range(0, 1) == "0..1"
    assert allowed_range(0.5, None) == "0.5.."
    assert allowed_range(None, 1_000) == "..1000"
    assert allowed_range(None, None) == ""


def test_a_group_names_every_entry_out_of_its_bounds():
    assert _problems(shares=[1.5, -0.1], by_area=AreaValues({"north": 3.0, "south": 1.0})) == [
        ("shares[0]", "1.5 is out of range (allowed: 0..1)"),
        ("shares[1]", "-0.1 is out of range (allowed: 0..1)"),
        ("by_area.north", "3.0 is out of range (allowed: 0..2)"),
    ]
    assert _problems(shares=[0.0, 0.0]) == [
        ("shares", "every entry is 0 (allowed: at least one above 0; they are normalised)")
    ]
    assert Demo(shares=[0.0, 1.0]).shares == [0.0, 1.0]


def test_a_group_is_strict_closed_and_frozen():
    with pytest.raises(ValidationError, match="level"):
        Demo(level="0.5")  # a string is not read as a number
    with pytest.raises(ValidationError, match="level"):
        Demo(level=float("nan"))
    with pytest.raises(ValidationError, match="less than or equal to 1"):
        Demo(level=1.5)
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Demo(levle=0.5)
    with pytest.raises(ValidationError, match="frozen"):
        Demo().level = 0.2


def test_area_tables_keep_the_countrys_order():
    values = AreaValues({"capital": 0.8, "rural": 0.5, "towns": 0.6})
    assert values.array() == [0.8, 0.5, 0.6] and values["rural"] == 0.5
    counts = AreaCounts({"capital": 12, "rural": 300})
    assert counts.array() == [12, 300] and counts["capital"] == 12
    with pytest.raises(ValidationError):
        AreaCounts({"capital": 1.5})
    assert AREA_NAME.fullmatch("soum_centres") and not AREA_NAME.fullmatch("Soum")
