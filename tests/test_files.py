"""Input files (sim/files.py): every problem of a file at once, one exact line each, strict
types and finite numbers everywhere, per-area ranges, levers named in their own file."""

import builtins
import os
import pathlib
import unicodedata

import pytest

from sim import cli, files
from sim.errors import MAX_REPORTED, InputError, lookalike
from sim.experiment.inputs import check_input
from sim.experiment.plan import load_experiment
from sim.experiment.posterior import load_posterior
from sim.files import load_scenario
from sim.scenario import LEVER_OVERHEAD, MAX_LEVERS, MAX_WORK
from tests.conftest import ROOT, make_scenario

LIBRARY = (
    "central_ministry, digital_skills, history, legal_esignature, open_databases, "
    "paper_recommendations, reform_levers, rural_connectivity, security_shock, status_quo"
)
"""The library scenarios, as a line for a missing scenario lists them."""

EVERY_KIND = """name = "a"
seed = true
[params.choice]
coef_trust = nan
[params.internet.share_initial]
rural = 1.7
[[levers]]
type = "lockdown"
at = "2021-01"
until = "2021-03"
strength = "1.5"
"""


def _lines(path) -> list[str]:
    with pytest.raises(InputError) as info:
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
        f"{path}: levers[0].strength: Input should be a valid number (got '1.5') (allowed: 0..5)",
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
            "levers[0].strength: Input should be a valid number (got '2') (allowed: 0..5)",
        ),
        (
            "strength = true",
            "levers[0].strength: Input should be a valid number (got True) (allowed: 0..5)",
        ),
        ("note = 3", "levers[0].note: Input should be a valid string (got 3)"),
    ],
)
def test_levers_are_as_strict_as_parameters(tmp_path, entry, line):
    path = tmp_path / "l.toml"
    path.write_text(
        f'name = "l"\n[[levers]]\ntype = "lockdown"\nat = "2021-01"\nuntil = "2021-02"\n{entry}\n'
    )
    assert _lines(path) == [f"{path}: {line}"]


def test_a_lever_is_named_in_the_file_that_declares_it(tmp_path):
    parent, child = tmp_path / "parent.toml", tmp_path / "child.toml"
    parent.write_text(
        'name = "parent"\n[[levers]]\ntype = "lockdown"\nat = "2021-01"\n'
        'until = "2021-03"\n[[levers]]\ntype = "central_ministry"\nat = "2022-01"\n'
        "coordination_rate = 2.0\n"
    )
    child.write_text(
        'name = "child"\nextends = "parent.toml"\n[[levers]]\ntype = "connectivity"\n'
        'at = "2023-01"\nceiling = 1.5\n'
    )
    assert _lines(child) == [
        f"{parent}: levers[1].coordination_rate: Input should be less than or equal to 1 "
        "(got 2.0) (allowed: 0..1)",
        f"{child}: levers[0].ceiling: Input should be less than or equal to 1 (got 1.5) "
        "(allowed: 0..1)",
    ]


def test_a_missing_parent_names_the_folder_searched(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('name = "c"\nextends = "gone.toml"\n')
    assert _lines(path) == [
        f"{path}: extends: parent file 'gone.toml' not found (searched in {tmp_path}; "
        f"library scenarios: {LIBRARY})"
    ]


def test_files_that_are_not_regular_are_refused(tmp_path):
    assert _lines(tmp_path) == [f"{tmp_path}: is a directory, not an input file"]
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)  # would block if it were opened
    assert _lines(fifo) == [f"{fifo}: is not a regular file (a device, pipe or socket)"]
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
    # one column of kinds, two spaces after the longest name
    rows = {line.split()[0]: line for line in listing.splitlines()}
    column = max(len(name) for name in rows) + 2
    assert rows["policy_comparison"].startswith("policy_comparison".ljust(column) + "[experiment] ")
    assert rows["morris"].startswith("morris".ljust(column) + "[sensitivity] ")


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


# ---------------------------------------------------------------- system files (/proc, /sys, /dev)

SYSTEM = [
    ("/proc/kmsg", "/proc"),  # "regular" by stat, blocks when read
    ("/proc/self/pagemap", "/proc"),  # "regular", fails when read
    ("/proc/self/status", "/proc"),
    ("/sys/kernel/notes", "/sys"),
    ("/dev/stdin", "/dev"),  # a link to /proc/self/fd/0
    ("/dev/zero", "/dev"),
    ("/dev/shm", "/dev"),
]


@pytest.fixture
def nothing_opened(monkeypatch):
    """Fail the test if any of the system files it names is opened (others, such as
    /proc/meminfo for the memory check, are the program's own business)."""
    watched = {ref for ref, _ in SYSTEM}
    opened: list[str] = []
    real_open = builtins.open

    def watching_open(file, *args, **kwargs):
        if isinstance(file, str | os.PathLike) and os.path.abspath(file) in watched:
            opened.append(os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", watching_open)
    monkeypatch.setattr(pathlib.Path, "read_bytes", lambda self: watching_open(self, "rb").read())
    yield opened
    assert opened == []


@pytest.mark.parametrize(("ref", "root"), SYSTEM)
def test_system_files_are_refused_before_opening_naming_the_file_and_key(
    tmp_path, nothing_opened, ref, root
):
    child = tmp_path / "child.toml"
    child.write_text(f'name = "child"\nextends = "{ref}"\n')
    assert _lines(child) == [
        f"{child}: extends: {ref!r} is a system file under {root}, not an input file"
    ]
    experiment = tmp_path / "exp.toml"
    experiment.write_text(f'name = "e"\nscenarios = ["{ref}"]\n')
    with pytest.raises(InputError) as info:
        load_experiment(experiment)
    assert str(info.value) == (
        f"{experiment}: scenarios[0]: {ref!r} is a system file under {root}, not an input file"
    )
    with pytest.raises(InputError) as info:
        load_posterior(ref)
    assert str(info.value) == f"{ref}: is a system file under {root}, not an input file"


def test_a_link_into_proc_or_a_path_that_climbs_into_it_is_refused(tmp_path, nothing_opened):
    (tmp_path / "status.toml").symlink_to("/proc/self/status")
    climb = "../" * (len(tmp_path.parts) + 2) + "proc/self/status"
    child = tmp_path / "child.toml"
    for ref in ("status.toml", climb):
        child.write_text(f'name = "child"\nextends = "{ref}"\n')
        assert _lines(child) == [
            f"{child}: extends: {ref!r} is a system file under /proc, not an input file"
        ]


@pytest.mark.parametrize(
    "command", ["run", "validate", "check-calibration", "batch", "sensitivity", "calibrate"]
)
def test_a_system_file_on_the_command_line_is_one_line(capsys, nothing_opened, command):
    assert cli.main([command, "/proc/self/status"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "/proc/self/status: is a system file under /proc, not an input file\n"
    assert captured.out == ""


def test_a_posterior_option_naming_a_system_file_is_one_line(capsys, nothing_opened, tmp_path):
    status = cli.main(
        ["compare", "status_quo", "--posterior", "/dev/stdin", "--out", str(tmp_path / "o")]
    )
    assert status == 2
    assert capsys.readouterr().err == (
        "/dev/stdin: is a system file under /dev, not an input file\n"
    )
    assert not (tmp_path / "o").exists()


def test_the_same_file_system_mounted_elsewhere_is_refused(tmp_path, monkeypatch):
    """A pseudo file system is also known by its device number (a bind mount of /proc
    elsewhere): here the test's own folder stands in for one."""
    path = tmp_path / "kmsg"
    path.write_text('name = "a"\n')
    monkeypatch.setattr(files, "_system_devices", lambda: {path.stat().st_dev: "/proc"})
    assert _lines(path) == [
        f"{path}: is a system file (on the file system of /proc), not an input file"
    ]


def test_devices_are_only_those_of_separate_mounts():
    """/proc, /sys and /dev count by device only where each is a mount of its own, so the
    root file system (a chroot's /dev) is never refused by its device."""
    top = os.stat("/").st_dev
    assert top not in files._system_devices()
    assert set(files._system_devices().values()) <= set(files.SYSTEM_ROOTS)


# ---------------------------------------------------------------- look-alike names


def _nfc_and_nfd(tmp_path) -> tuple[str, str]:
    nfc = unicodedata.normalize("NFC", "café_ölgii.toml")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    (tmp_path / nfc).write_text('name = "cafe"\n')
    if (tmp_path / nfd).exists():  # a file system that normalises names (macOS)
        pytest.skip("this file system treats NFC and NFD names as one")
    return nfc, nfd


def test_a_name_differing_only_in_unicode_normalisation_is_hinted(tmp_path, capsys):
    nfc, nfd = _nfc_and_nfd(tmp_path)
    hint = (
        f" (did you mean {nfc!r}? the names look the same but differ in their Unicode "
        "normalisation: that file's is NFC (accents composed), the one given NFD (accents "
        "decomposed))"
    )
    child = tmp_path / "child.toml"
    child.write_text(f'name = "child"\nextends = "{nfd}"\n')
    assert _lines(child) == [
        f"{child}: extends: parent file {nfd!r} not found (searched in {tmp_path}; library "
        f"scenarios: {LIBRARY}){hint}"
    ]
    experiment = tmp_path / "exp.toml"
    experiment.write_text(f'name = "e"\nscenarios = ["{nfd}"]\n')
    with pytest.raises(InputError) as info:
        load_experiment(experiment)
    assert str(info.value) == (
        f"{experiment}: scenarios[0]: file {nfd!r} not found (paths are relative to the "
        f"experiment file; library scenarios: {LIBRARY}){hint}"
    )
    with pytest.raises(InputError) as info:
        load_posterior(tmp_path / nfd)
    assert str(info.value) == f"{tmp_path / nfd}: no such file{hint}"
    assert cli.main(["validate", str(tmp_path / nfd)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{tmp_path / nfd}: no such file, and no library scenario")
    assert err.endswith(f"){hint}\n") and err.count("\n") == 1


def test_an_nfc_name_for_an_nfd_file_is_hinted_too(tmp_path):
    nfc = unicodedata.normalize("NFC", "Улаанбаатар_é.toml")  # Mongolian Cyrillic as is
    nfd = unicodedata.normalize("NFD", nfc)
    (tmp_path / nfd).write_text('name = "ub"\n')
    if (tmp_path / nfc).exists():
        pytest.skip("this file system treats NFC and NFD names as one")
    child = tmp_path / "child.toml"
    child.write_text(f'name = "child"\nextends = "{nfc}"\n')
    assert _lines(child) == [
        f"{child}: extends: parent file {nfc!r} not found (searched in {tmp_path}; library "
        f"scenarios: {LIBRARY}) (did you mean {nfd!r}? the names look the same but differ in "
        "their Unicode normalisation: "
        "that file's is NFD (accents decomposed), the one given NFC (accents composed))"
    ]


def test_a_name_differing_only_in_case_or_width_is_hinted(tmp_path):
    (tmp_path / "My_Base.toml").write_text('name = "a"\n')
    child = tmp_path / "child.toml"
    for ref in ("my_base.toml", "ｍｙ_base.toml"):  # full-width letters
        child.write_text(f'name = "child"\nextends = "{ref}"\n')
        assert _lines(child) == [
            f"{child}: extends: parent file {ref!r} not found (searched in {tmp_path}; library "
            f"scenarios: {LIBRARY}) (did you mean 'My_Base.toml'? the names differ only in case "
            "or in compatibility forms such as full-width letters)"
        ]


def test_no_hint_without_a_look_alike(tmp_path):
    (tmp_path / "other.toml").write_text('name = "a"\n')
    assert lookalike(tmp_path / "gone.toml") == ""
    assert lookalike(tmp_path / "no_folder" / "x.toml") == ""


# ---------------------------------------------------------------- caps on a run's work


def _levers(n: int, **fields) -> list[dict]:
    return [{"type": "once_only", "at": "2021-01", **fields} for _ in range(n)]


def test_a_scenario_holds_up_to_the_lever_cap(tmp_path):
    assert MAX_LEVERS == 1_000
    assert len(make_scenario(citizens=100, levers=_levers(1_000)).levers) == 1_000
    with pytest.raises(InputError) as info:
        make_scenario(citizens=100, levers=_levers(1_001))
    assert str(info.value) == (
        "<test>: levers: 1,001 levers is more than a scenario may hold (allowed: "
        "up to 1,000, its parents' included)"
    )


def test_the_work_of_a_run_is_counted_and_capped():
    """adults x months, plus (adults + overhead) for each month each enabled lever acts."""
    scenario = make_scenario(
        citizens=1_000,
        start="2021-01",
        end="2021-12",
        levers=[
            {"type": "once_only", "at": "2021-03"},  # 10 months
            {"type": "lockdown", "at": "2021-02", "until": "2021-04"},  # 3 months
            {"type": "once_only", "at": "2021-01", "enabled": False},  # none
        ],
    )
    assert scenario.lever_months == 13
    assert scenario.work == 1_000 * 12 + 13 * (1_000 + LEVER_OVERHEAD)
    # the largest population over the longest horizon is allowed; more levers on it are not
    longest = {"citizens": 5_000_000, "start": "1900-01", "end": "2200-12"}
    assert make_scenario(**longest).work == 5_000_000 * 3_612 <= MAX_WORK
    with pytest.raises(InputError) as info:
        make_scenario(**longest, levers=_levers(1, at="1900-01"))
    assert str(info.value).startswith("<test>: (top level): the run is 36,127,224,000 adult-")


def test_shipped_scenarios_are_far_below_the_caps():
    from sim.library import NOT_SCENARIOS, scenario_dir

    for path in sorted(scenario_dir().rglob("*.toml")):
        if path.stem in NOT_SCENARIOS:  # the library's settings, a country's file or facts
            continue
        scenario = load_scenario(path)
        national = scenario.with_overrides(citizens="national")
        assert len(scenario.levers) <= MAX_LEVERS // 100
        assert national.work <= MAX_WORK // 4, path


# ---------------------------------------------------------------- dates and library names


def test_a_toml_date_where_a_number_is_expected_is_named_as_a_date(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('name = "s"\n[params.choice]\ncoef_trust = 2021-01-01\n')
    assert _lines(path) == [
        f"{path}: params.choice.coef_trust: Input should be a valid number (got the TOML date "
        "2021-01-01) (allowed: -50..50)"
    ]
    path.write_text('name = "s"\nstart = 10:30:00\n')
    assert _lines(path) == [
        f'{path}: start: write months as "YYYY-MM" in quotes (got the TOML time 10:30:00)'
    ]


def test_a_sensitivity_file_names_its_scenario_by_library_name(tmp_path):
    from sim.experiment.sensitivity import load_sensitivity

    path = tmp_path / "sens.toml"
    path.write_text(
        'name = "m"\nscenario = "history"\nmethod = "morris"\nmetrics = ["mean_trust"]\n'
        'dates = ["2022-12"]\ncitizens = 500\n[parameters]\n'
        '"params.choice.coef_trust" = {low = 1.0, high = 3.0}\n'
        '"params.choice.coef_skill" = {low = 1.0, high = 3.0}\n'
    )
    plan = load_sensitivity(path)
    assert plan.plan.scenarios[0].name == "history" and plan.plan.scenarios[0].citizens == 500
