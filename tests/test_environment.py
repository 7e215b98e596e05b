"""Environment variables the program or its libraries read are checked up front (one line
per bad variable, exit 2) or neutralised (matplotlib's backend, the output encoding), and the
library refuses a bad thread count naming the variable instead of numba's traceback."""

import os
import subprocess
import sys

import pytest

from sim import environment
from sim.environment import check_environment, thread_limit
from sim.errors import InputError
from tests.conftest import ROOT

LIMIT = thread_limit()
WHOLE = f"(allowed: a whole number from 1 to {LIMIT})"
VARIABLES = ("NUMBA_NUM_THREADS", "EGOV_SIM_THREADS", "NUMBA_THREADING_LAYER", "MPLBACKEND")


@pytest.fixture
def env(monkeypatch):
    """A clean slate of the checked variables; ``env(NAME=value)`` sets some."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def set_(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(name, value)

    return set_


BAD = [
    ("NUMBA_NUM_THREADS", "0", f"NUMBA_NUM_THREADS: '0' is not allowed {WHOLE}"),
    ("NUMBA_NUM_THREADS", "abc", f"NUMBA_NUM_THREADS: 'abc' is not allowed {WHOLE}"),
    ("NUMBA_NUM_THREADS", "-1", f"NUMBA_NUM_THREADS: '-1' is not allowed {WHOLE}"),
    ("NUMBA_NUM_THREADS", "", f"NUMBA_NUM_THREADS: '' is not allowed {WHOLE}"),
    ("NUMBA_NUM_THREADS", str(LIMIT + 1), f"NUMBA_NUM_THREADS: '{LIMIT + 1}' is not allowed "
                                          f"{WHOLE}"),
    ("NUMBA_NUM_THREADS", "9" * 5000, f"NUMBA_NUM_THREADS: '{'9' * 36}... is not allowed "
                                      f"{WHOLE}"),
    ("NUMBA_NUM_THREADS", "２", f"NUMBA_NUM_THREADS: '２' is not allowed {WHOLE}"),
    ("EGOV_SIM_THREADS", "0", f"EGOV_SIM_THREADS: '0' is not allowed {WHOLE}"),
    ("EGOV_SIM_THREADS", "-1", f"EGOV_SIM_THREADS: '-1' is not allowed {WHOLE}"),
    ("EGOV_SIM_THREADS", "abc", f"EGOV_SIM_THREADS: 'abc' is not allowed {WHOLE}"),
    ("EGOV_SIM_THREADS", "1.5", f"EGOV_SIM_THREADS: '1.5' is not allowed {WHOLE}"),
    ("EGOV_SIM_THREADS", "99999999999", f"EGOV_SIM_THREADS: '99999999999' is not allowed "
                                        f"{WHOLE}"),
    ("EGOV_SIM_THREADS", "\x1b[2J", f"EGOV_SIM_THREADS: '\\x1b[2J' is not allowed {WHOLE}"),
    ("NUMBA_THREADING_LAYER", "bogus", "NUMBA_THREADING_LAYER: 'bogus' is not allowed "
     "(allowed: one of default, safe, forksafe, threadsafe, tbb, omp, workqueue; unset, a "
     "fork-safe layer is chosen)"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "value", "line"), BAD, ids=[f"{n}={v[:8]!r}" for n, v, _ in BAD])
def test_a_bad_variable_is_one_line_naming_it(env, name, value, line):
    env(**{name: value})
    with pytest.raises(InputError) as error:
        check_environment()
    assert str(error.value) == line


def test_every_bad_variable_is_reported_at_once(env):
    env(NUMBA_NUM_THREADS="0", EGOV_SIM_THREADS="abc", NUMBA_THREADING_LAYER="x")
    assert environment.problems() == [
        f"NUMBA_NUM_THREADS: '0' is not allowed {WHOLE}",
        f"EGOV_SIM_THREADS: 'abc' is not allowed {WHOLE}",
        "NUMBA_THREADING_LAYER: 'x' is not allowed (allowed: one of default, safe, forksafe, "
        "threadsafe, tbb, omp, workqueue; unset, a fork-safe layer is chosen)",
    ]


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"NUMBA_NUM_THREADS": "1", "EGOV_SIM_THREADS": " 2 "},
        {"NUMBA_NUM_THREADS": str(LIMIT)},
        {"EGOV_SIM_THREADS": ""},  # empty is unset, as the kernels read it
        {"NUMBA_THREADING_LAYER": "TBB"},  # numba lowercases it
        {"NUMBA_THREADING_LAYER": "workqueue"},
    ],
)
def test_good_or_unset_variables_pass(env, values):
    env(**values)
    check_environment()


def run_python(code: str, **variables: str) -> subprocess.CompletedProcess:
    """``code`` in a fresh interpreter with ``variables`` set (the others as in this process)."""
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**clean, **variables},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.system
def test_the_check_is_cheap_and_imports_no_heavy_library():
    done = run_python(
        "import sys; from sim.environment import check_environment; check_environment(); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'numba', 'numpy', 'matplotlib', 'pandas', 'pydantic', 'psutil'}))"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


@pytest.mark.system
def test_an_unusable_matplotlib_backend_is_replaced_by_agg():
    """The command only saves figures: whatever MPLBACKEND says, Agg is used."""
    done = run_python(
        "from sim.environment import check_environment; check_environment(); "
        "import matplotlib; print(matplotlib.get_backend())",
        MPLBACKEND="nonexistent",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().lower() == "agg"


@pytest.mark.system
def test_an_ascii_only_output_escapes_instead_of_failing():
    done = run_python(
        "import sys; from sim.environment import check_environment; check_environment(); "
        "print('r\\u00e9sultats'); print('\\u202e', file=sys.stderr)",
        PYTHONIOENCODING="ascii",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "r\\xe9sultats\n" and done.stderr == "\\u202e\n"


@pytest.mark.system
@pytest.mark.parametrize(
    ("name", "value"), [("NUMBA_NUM_THREADS", "0"), ("EGOV_SIM_THREADS", "abc")]
)
def test_the_library_refuses_a_bad_thread_count_naming_the_variable(name, value):
    """From Python, without the command's check: the kernels' import raises InputError
    with the same line, not numba's 'Number of threads specified must be > 0' or int()'s."""
    done = run_python("import sim.model.kernels", **{name: value})
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == f"sim.errors.InputError: {name}: {value!r} is not allowed {WHOLE}"


# ---------------------------------------------------------------------- through the command


def egov_sim(tmp_path, out: str = "out", **variables: str) -> subprocess.CompletedProcess:
    """``egov-sim run status_quo --citizens 300`` into ``tmp_path/out`` with ``variables``
    (not quiet: the summary names the folder)."""
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    command = [sys.executable, "-m", "sim", "run", "status_quo", "--citizens", "300",
               "--out", str(tmp_path / out)]  # fmt: skip
    return subprocess.run(
        command, cwd=ROOT, env={**clean, **variables}, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip


@pytest.mark.system
@pytest.mark.parametrize(
    ("name", "value"),
    [("NUMBA_NUM_THREADS", "0"), ("NUMBA_NUM_THREADS", "abc"), ("NUMBA_NUM_THREADS", "9" * 30),
     ("EGOV_SIM_THREADS", "0"), ("EGOV_SIM_THREADS", "-1"), ("EGOV_SIM_THREADS", "abc"),
     ("EGOV_SIM_THREADS", "9" * 30), ("NUMBA_THREADING_LAYER", "bogus")],
)  # fmt: skip
def test_the_command_refuses_a_bad_variable_with_one_line(tmp_path, name, value):
    done = egov_sim(tmp_path, **{name: value})
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"{name}: ")
    assert done.stderr.endswith(f"is not allowed {WHOLE}\n") or name == "NUMBA_THREADING_LAYER"
    assert not (tmp_path / "out").exists()


@pytest.mark.system
def test_the_command_draws_its_figure_whatever_mplbackend_says(tmp_path):
    done = egov_sim(tmp_path, MPLBACKEND="nonexistent")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "adoption.png").stat().st_size > 0


@pytest.mark.system
def test_the_command_prints_a_non_ascii_folder_on_an_ascii_output(tmp_path):
    done = egov_sim(tmp_path, out="r\u00e9sultats", PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr
    assert "r\\xe9sultats" in done.stdout + done.stderr
