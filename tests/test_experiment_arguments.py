"""A refusal names the caller's argument: a Python keyword from Python, the option from the
command line (whose messages stay as they were)."""

import pytest

from sim.cli._common import OPTIONS
from sim.cli.app import build_parser
from sim.experiment.arguments import KEYWORDS
from sim.experiment.batch import run_batch
from sim.experiment.executors import check_dask_address
from sim.experiment.plan import load_experiment
from sim.scenario import InputError
from tests.conftest import tiny_experiment

ALLOWED = "(allowed: local, or a scheduler address such as tcp://host:8786)"


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (KEYWORDS, f"dask: 'x' is not a scheduler address {ALLOWED}"),
        (OPTIONS, f"--dask: 'x' is not a scheduler address {ALLOWED}"),
    ],
)
def test_a_malformed_address_names_the_argument(names, message):
    with pytest.raises(InputError) as err:
        check_dask_address("x", names)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("names", "start", "end"),
    [
        (KEYWORDS, "dask: no scheduler answers at tcp://127.0.0.1:9 (", 'use dask="local"'),
        (OPTIONS, "--dask: no scheduler answers at tcp://127.0.0.1:9 (", "use --dask local"),
    ],
)
def test_an_address_nobody_answers_names_the_way_to_a_local_cluster(names, start, end):
    with pytest.raises(InputError) as err:
        check_dask_address("tcp://127.0.0.1:9", names)
    assert str(err.value).startswith(start) and str(err.value).endswith(end)


@pytest.mark.parametrize(("names", "prefix"), [(KEYWORDS, "out: "), (OPTIONS, "--out: ")])
def test_a_folder_the_batch_may_not_write_names_the_argument(tmp_path, names, prefix):
    plan = load_experiment(tiny_experiment(tmp_path))
    out = tmp_path / "mine"
    out.mkdir()
    (out / "manifest.json").write_text('{"mine": 1}')
    with pytest.raises(InputError) as err:
        run_batch(plan, out, quiet=True, names=names)
    assert str(err.value) == (
        f"{prefix}{out} holds files egov-sim did not write (manifest.json); choose a new or "
        "empty folder"
    )
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json"]


def test_the_options_are_the_commands_own():
    """OPTIONS spells what `egov-sim batch` and `sensitivity` accept."""
    commands = build_parser()._subparsers._group_actions[0].choices
    for command in ("batch", "sensitivity"):
        flags = {f for action in commands[command]._actions for f in action.option_strings}
        assert {OPTIONS.out, OPTIONS.resume, OPTIONS.dask} <= flags
    assert OPTIONS.dask_local == f"{OPTIONS.dask} local"
