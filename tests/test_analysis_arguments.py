"""A bad argument of an analysis function (sim.analysis.arguments) reads with the argument's
name from Python and with the option's name on the command line (sim.cli.analysis_options)."""

from __future__ import annotations

import pickle

import pytest

from sim.analysis.arguments import ArgumentError, mention
from sim.cli.analysis_options import as_options, option
from sim.errors import InputError


def test_the_argument_and_those_it_mentions_are_named_once_each_way():
    error = ArgumentError("criterion", f"satisficing needs {mention('target')} (allowed: mean)")
    assert isinstance(error, InputError)
    assert str(error) == "criterion: satisficing needs target (allowed: mean)"
    assert error.spelled(option) == "--criterion: satisficing needs --target (allowed: mean)"
    assert option("keep_insignificant") == "--keep-insignificant"
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and again.argument == "criterion"


def test_braces_in_a_value_are_kept():
    error = ArgumentError("metric", "unknown metric '{date}' (allowed: a)")
    assert error.spelled(option) == "--metric: unknown metric '{date}' (allowed: a)"


def test_the_command_line_reports_the_option():
    with pytest.raises(InputError) as info, as_options():
        raise ArgumentError("window", "9 months is not within the 3 stored months")
    assert str(info.value) == "--window: 9 months is not within the 3 stored months"
    assert not isinstance(info.value, ArgumentError)
    with pytest.raises(InputError, match="^results: no rows$"), as_options():
        raise InputError("results: no rows")  # other input errors pass unchanged
