import pytest

from sim.calendar import format_month, months_between, parse_month


def test_round_trip_and_arithmetic():
    for text in ("2020-10", "2021-01", "2030-12", "1999-12"):
        assert format_month(parse_month(text)) == text
    assert parse_month("2021-01") - parse_month("2020-12") == 1
    assert months_between("2020-10", "2030-12") == 123


@pytest.mark.parametrize("bad", ["2020-13", "2020-00", "2020-1", "20-10", "2020/10", "", "abcd-ef"])
def test_malformed_dates_are_refused(bad):
    with pytest.raises(ValueError):
        parse_month(bad)


@pytest.mark.parametrize("text", ["2021-01\n", "２０２１-01", " 2021-01", "2021-01 "])
def test_dates_are_exactly_ascii_yyyy_mm(text):
    """A trailing newline or non-ASCII digits once passed the pattern (``$``, ``\\d``)."""
    with pytest.raises(ValueError, match="is not a date of the form YYYY-MM"):
        parse_month(text)
