"""Input files (sim/files.py): every problem of a file at once, one exact line each, strict
types and finite numbers everywhere, per-area ranges, interventions named in their own file."""

import pytest

from sim import cli
from sim.errors import MAX_REPORTED, ScenarioError
from sim.experiment.inputs import check_input
from sim.files import load_scenario
from tests.conftest import ROOT

EVERY_KIND = """name = "a"
seed = true
[params.choice]
coef_trust = nan
[params.internet.share_initial]
rural = 1.7
[[interventions]]
type = "lockdown"
at = "2021-01"
until = "2021-03"
strength = "1.5"
"""


def _lines(path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return str(info.value).splitlines()


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    path = tmp_path / "a.toml"
    path.write_text(EVERY_KIND)
    assert _lines(path) == [
        f"{path}: seed: Input should be a valid integer (got True) (allowed: 0..)",
        f"{path}: params.internet.share_initial.rural: 1.7 is out of range (allowed: 0..1)",
        f"{path}: params.choice.coef_trust: must be a finite number, not nan or inf (got nan) "
        "(allowed: -50..50)",
        f"{path}: interventions[0].strength: Input should be a valid number (got '1.5') "
        "(allowed: 0..5)",
    ]


def test_at_most_twenty_problems_then_a_count(tmp_path):
    path = tmp_path / "many.toml"
    path.write_text('name = "many"\n[params.choice]\n' + "".join(f"k{i} = 1\n" for i in range(25)))
    lines = _lines(path)
    assert len(lines) == MAX_REPORTED + 1 == 21
    assert lines[0].startswith(f"{path}: params.choice.k0: unknown key (allowed: ")
    assert lines[-1] == f"{path}: (+5 more problems)"


@pytest.mark.parametrize(
    ("table", "line"),
    [
        (
            "[params.traits.mean_skill]\nold = -0.1",
            "params.traits.mean_skill.old: -0.1 is out of range (allowed: 0.01..0.99)",
        ),
        (
            "[params.population]\nshare_age_band = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, "
            "0.1, 0.1, 1.5]",
            "params.population.share_age_band[10]: 1.5 is out of range (allowed: 0..1)",
        ),
        (
            "[params.needs.rate_needs_per_year]\nyoung = 1000.0",
            "params.needs.rate_needs_per_year.young: 1000.0 is out of range (allowed: 0..120)",
        ),
        (
            "[params.choice]\ncoef_trust = inf",
            "params.choice.coef_trust: must be a finite number, not nan or inf (got inf) "
            "(allowed: -50..50)",
        ),
    ],
)
def test_tables_and_lists_have_ranges_and_finite_numbers(tmp_path, table, line):
    path = tmp_path / "t.toml"
    path.write_text(f'name = "t"\n{table}\n')
    assert _lines(path) == [f"{path}: {line}"]


@pytest.mark.parametrize(
    ("entry", "line"),
    [
        (
            'strength = "2"',
            "interventions[0].strength: Input should be a valid number (got '2') (allowed: 0..5)",
        ),
        (
            "strength = true",
            "interventions[0].strength: Input should be a valid number (got True) (allowed: 0..5)",
        ),
        ("note = 3", "interventions[0].note: Input should be a valid string (got 3)"),
    ],
)
def test_levers_are_as_strict_as_parameters(tmp_path, entry, line):
    path = tmp_path / "l.toml"
    path.write_text(
        f'name = "l"\n[[interventions]]\ntype = "lockdown"\nat = "2021-01"\nuntil = "2021-02"\n'
        f"{entry}\n"
    )
    assert _lines(path) == [f"{path}: {line}"]


def test_an_intervention_is_named_in_the_file_that_declares_it(tmp_path):
    parent, child = tmp_path / "parent.toml", tmp_path / "child.toml"
    parent.write_text(
        'name = "parent"\n[[interventions]]\ntype = "lockdown"\nat = "2021-01"\n'
        'until = "2021-03"\n[[interventions]]\ntype = "central_ministry"\nat = "2022-01"\n'
        "coordination_rate = 2.0\n"
    )
    child.write_text(
        'name = "child"\nextends = "parent.toml"\n[[interventions]]\ntype = "connectivity"\n'
        'at = "2023-01"\nceiling = 1.5\n'
    )
    assert _lines(child) == [
        f"{parent}: interventions[1].coordination_rate: Input should be less than or equal to 1 "
        "(got 2.0) (allowed: 0..1)",
        f"{child}: interventions[0].ceiling: Input should be less than or equal to 1 (got 1.5) "
        "(allowed: 0..1)",
    ]


def test_a_missing_parent_names_the_folder_searched(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('name = "c"\nextends = "gone.toml"\n')
    assert _lines(path) == [
        f"{path}: extends: parent file 'gone.toml' not found (searched in {tmp_path})"
    ]


def test_files_that_are_not_regular_are_refused(tmp_path):
    assert _lines(tmp_path) == [f"{tmp_path}: is a directory, not an input file"]
    assert _lines("/dev/zero") == ["/dev/zero: is not a regular file (a device, pipe or socket)"]
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    assert _lines(loop)[0].startswith(f"{loop}: cannot be read (")


def test_validate_and_list_recognise_every_kind_of_file(capsys):
    kinds = {
        name: check_input(ROOT / "experiments" / f"{name}.toml")[0]
        for name in ("policy_comparison", "ministry_timing", "morris", "calibrate")
    }
    assert kinds == {
        "policy_comparison": "experiment",
        "ministry_timing": "experiment",  # policies only, no scenarios
        "morris": "sensitivity",
        "calibrate": "calibration",
    }
    assert cli.main(["validate", str(ROOT / "experiments" / "policy_comparison.toml")]) == 0
    assert capsys.readouterr().out == (
        f"{ROOT / 'experiments' / 'policy_comparison.toml'}: ok (experiment policy_comparison: "
        "7 scenarios x 1 design points x 30 replications = 210 runs)\n"
    )
    assert cli.main(["list", str(ROOT / "experiments")]) == 0
    listing = capsys.readouterr().out
    assert "INVALID" not in listing
    assert "policy_comparison  [experiment] " in listing
    assert "morris             [sensitivity] " in listing


def test_a_name_with_a_trailing_newline_is_refused(tmp_path):
    path = tmp_path / "n.toml"
    path.write_text('name = "a\\n"\n')
    assert _lines(path) == [
        f"{path}: name: 'a\\n' is not a usable name (allowed: 1-64 ASCII letters, digits, "
        "'_', '-', '.', starting with a letter or digit)"
    ]


def test_a_name_too_long_or_a_symlink_loop_is_one_line(tmp_path, capsys):
    """Exit 2 with one line, whether the path is looked up in the library or read."""
    loop = tmp_path / "loop.toml"
    loop.symlink_to(loop)
    for ref, problem in ((str(tmp_path / ("x" * 5000 + ".toml")), "cannot be read ("),
                         (str(loop), "cannot be read (")):  # fmt: skip
        assert cli.main(["validate", ref]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and problem in err[0]
        assert cli.main(["run", ref, "-q"]) == 2
        assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_problem_inherited_through_extends_is_named_in_the_file_that_made_it(tmp_path):
    (tmp_path / "gp.toml").write_text(
        'name = "gp"\nstart = "2021-09"\nend = "2021-06"\n[params.choice]\ncoef_trust = "high"\n'
    )
    (tmp_path / "mid.toml").write_text('extends = "gp.toml"\nname = "mid"\n')
    child = tmp_path / "child.toml"
    child.write_text('extends = "mid.toml"\nname = "child"\n[params.choice]\ncoef_peer = true\n')
    gp = tmp_path / "gp.toml"
    assert _lines(child) == [
        f"{gp}: params.choice.coef_trust: Input should be a valid number (got 'high') "
        "(allowed: -50..50)",
        f"{child}: params.choice.coef_peer: Input should be a valid number (got True) "
        "(allowed: -50..50)",
    ]
    (tmp_path / "gp.toml").write_text('name = "gp"\nstart = "2021-09"\nend = "2021-06"\n')
    child.write_text('extends = "mid.toml"\nname = "child"\n')
    assert _lines(child) == [f"{gp}: end: 2021-06 is before start 2021-09"]
