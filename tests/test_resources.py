"""The resource guard refuses what would not fit, before anything is allocated or written."""

import os
import resource
import shlex
import subprocess
import sys

import pytest

from sim import cli, resources
from tests.conftest import SCENARIOS
from tests.conftest import tiny_experiment as _experiment


def test_run_too_big_for_memory_is_refused_with_the_estimate(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    a_512_mb_machine = {"available": 512 * 2**20}
    monkeypatch.setattr(resources, "memory_limits", lambda: a_512_mb_machine)
    status = cli.main(
        ["run", str(SCENARIOS / "status_quo.toml"), "--citizens", "national", "--out", str(out)]
    )
    err = capsys.readouterr().err.strip()
    assert status == 2 and "\n" not in err
    assert "citizens: 2,260,000 adults need about 897 MB of memory, but only 512 MB" in err
    assert not out.exists()


def test_sweep_too_big_for_the_disk_is_refused(tmp_path, monkeypatch, capsys):
    path = _experiment(tmp_path, reps=50)
    monkeypatch.setattr(resources, "free_disk", lambda _: 100_000)  # 100 kB free
    out = tmp_path / "out"
    status = cli.main(["batch", str(path), "--out", str(out), "-q"])
    err = capsys.readouterr().err.strip()
    assert status == 2
    assert "design: the results would take about" in err and "on disk" in err
    assert not out.exists()


def test_workers_multiply_the_memory_estimate(monkeypatch):
    monkeypatch.setattr(resources, "memory_limits", lambda: {"available": 4 * 2**30})
    resources.check_memory(1_000_000, 1)
    with pytest.raises(resources.ResourceError, match=r"16 workers at 536 MB each"):
        resources.check_memory(1_000_000, 16)


def test_sizes_below_a_gigabyte_are_in_megabytes():
    assert resources._gb(35 * 2**20) == "35 MB"
    assert resources._gb(1000) == "1 MB"  # never "0.0 GB"
    assert resources._gb(2.4 * 2**30) == "2.4 GB"


def test_written_files_get_the_usual_mode(tmp_path):
    """Atomic writes do not leave mkstemp's private 0600 behind."""

    from sim.atomic import FILE_MODE, write_text_atomic

    plain = tmp_path / "plain.txt"
    plain.write_text("x")  # what any other file of this process gets
    write_text_atomic(tmp_path / "a.txt", "x")
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == plain.stat().st_mode & 0o777
    assert FILE_MODE == plain.stat().st_mode & 0o777 and FILE_MODE != 0o600


def test_the_memory_estimate_grows_with_the_local_ties(monkeypatch):
    """At the largest local tie count (50) an adult needs about 1,600 bytes (measured), not
    the default's 300: a run that fits at 6 ties is refused at 50."""
    assert resources.run_memory(1_000_000, 50) - resources.BASE_BYTES >= 1_600 * 1_000_000
    monkeypatch.setattr(resources, "memory_limits", lambda: {"available": 2 * 2**30})
    resources.check_memory(2_000_000, 1, local_ties=6)
    with pytest.raises(resources.ResourceError, match="2,000,000 adults need about 3.8 GB"):
        resources.check_memory(2_000_000, 1, local_ties=50)


def test_a_design_of_ten_million_runs_is_checked_in_little_memory(tmp_path):
    """Runs, seeds and posterior draws are made when asked for: the plan of 100 points x
    100,000 replications holds 100 cells, not 10 million runs."""
    import tracemalloc

    import numpy as np

    from sim.experiment.plan import load_experiment
    from sim.experiment.replicates import PairedSeeds

    values = ", ".join(f"{1 + i / 100:.2f}" for i in range(100))
    path = tmp_path / "big.toml"
    path.write_text(
        f'name = "big"\nscenarios = ["{SCENARIOS / "status_quo.toml"}"]\nreplications = 100000\n'
        f'citizens = 300\n[sweep.parameters]\n"params.choice.coef_trust" = [{values}]\n'
    )
    tracemalloc.start()
    try:
        plan = load_experiment(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(plan.runs) == 10_000_000 and peak < 100 * 2**20, peak
    last = plan.runs[-1]
    assert (last.run_id, last.point, last.replicate) == ("status_quo__p0099__r99999", 99, 99_999)
    assert last.seed == plan.seeds[99_999] == plan.runs[99_999].seed  # seed k at every point
    spawned = np.random.SeedSequence(7).spawn(50)
    assert list(PairedSeeds(7, 50)) == [
        int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in spawned
    ]


# ---------------------------------------------------------------------- memory limits


def cgroups(tmp_path, monkeypatch, proc: str, files: dict[str, str]) -> None:
    """A fake ``/proc/self/cgroup`` (``proc``) and cgroup tree (``files``, by relative path)."""
    root = tmp_path / "cgroup"
    root.mkdir()
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    (tmp_path / "self_cgroup").write_text(proc)
    monkeypatch.setattr(resources, "CGROUP_ROOT", root)
    monkeypatch.setattr(resources, "PROC_CGROUP", tmp_path / "self_cgroup")


def test_cgroup_v2_limit_minus_use_innermost_or_parent(tmp_path, monkeypatch):
    """memory.max minus memory.current (reclaimable page cache not counted as used), the
    smallest over the process's cgroup and its parents."""
    cgroups(tmp_path, monkeypatch, "0::/app/job\n", {
        "app/memory.max": str(3 * 2**30), "app/memory.current": str(2**30),
        "app/memory.stat": "anon 1\ninactive_file 0\n",
        "app/job/memory.max": str(2 * 2**30), "app/job/memory.current": str(2**30),
        "app/job/memory.stat": f"anon 1\ninactive_file {2**29}\n",
    })  # fmt: skip
    assert resources.cgroup_memory() == 2 * 2**30 - 2**29  # 2 GB less 0.5 GB really used
    (tmp_path / "cgroup/app/memory.current").write_text(str(int(2.9 * 2**30)))
    assert resources.cgroup_memory() == int(0.1 * 2**30) + 1  # the parent binds now


def test_cgroup_v1_limit_minus_usage(tmp_path, monkeypatch):
    cgroups(tmp_path, monkeypatch, "4:memory:/docker/abc\n1:cpu:/\n", {
        "memory/docker/abc/memory.limit_in_bytes": str(2**30),
        "memory/docker/abc/memory.usage_in_bytes": str(2**28),
        "memory/memory.limit_in_bytes": "9223372036854771712",  # v1's "no limit"
        "memory/memory.usage_in_bytes": str(2**33),
    })  # fmt: skip
    assert resources.cgroup_memory() == 2**30 - 2**28


@pytest.mark.parametrize("limit", ["max\n", "", "garbage", "-5", "1e9", "9" * 4000, "\x00"])
def test_cgroup_files_without_a_usable_limit_are_ignored(tmp_path, monkeypatch, limit):
    cgroups(tmp_path, monkeypatch, "0::/\n", {"memory.max": limit, "memory.current": "100"})
    assert resources.cgroup_memory() is None
    assert "under the cgroup's memory limit" not in resources.memory_limits()


def test_no_cgroup_files_at_all(tmp_path, monkeypatch):
    monkeypatch.setattr(resources, "PROC_CGROUP", tmp_path / "absent")
    assert resources.cgroup_memory() is None


def test_a_cgroup_path_out_of_the_tree_is_not_followed(tmp_path, monkeypatch):
    cgroups(tmp_path, monkeypatch, "0::/../outside\n", {})
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/memory.max").write_text("1000")
    (tmp_path / "outside/memory.current").write_text("10")
    assert resources.cgroup_memory() is None


def test_address_space_limit_minus_what_the_process_maps(monkeypatch):
    """ulimit -v: the limit less what is mapped now, or less the libraries' share once
    loaded if that is more (their resident part is in BASE_BYTES)."""
    mapped = resources.psutil.Process().memory_info().vms  # more once the suite loaded more
    limit = max(mapped, resources.LIBRARY_ADDRESS_SPACE) + 3 * 2**30
    monkeypatch.setattr(resource, "getrlimit", lambda _: (limit, resource.RLIM_INFINITY))
    expected = limit - max(mapped, resources.LIBRARY_ADDRESS_SPACE) + resources.BASE_BYTES
    assert abs(resources.address_space() - expected) < 64 * 2**20  # the process may map more
    monkeypatch.setattr(resource, "getrlimit", lambda _: (2**20, resource.RLIM_INFINITY))
    assert resources.address_space() == 0  # less room than is mapped already: none
    monkeypatch.setattr(resource, "getrlimit", lambda _: (resource.RLIM_INFINITY,) * 2)
    assert resources.address_space() is None


def test_the_tightest_limit_is_used_and_named(monkeypatch):
    limits = {"available": 8 * 2**30, "under the address-space limit (ulimit -v)": 2**30}
    monkeypatch.setattr(resources, "memory_limits", lambda: limits)
    assert resources.available_memory() == 2**30
    with pytest.raises(resources.ResourceError) as error:
        resources.check_memory(5_000_000, 1, "x.toml: citizens")
    assert str(error.value) == (
        "x.toml: citizens: 5,000,000 adults need about 1.6 GB of memory, but only 1.0 GB is "
        "available under the address-space limit (ulimit -v) (allowed: up to 90% of it); use "
        "fewer citizens or workers"
    )


@pytest.mark.system
def test_run_under_ulimit_v_is_refused_with_one_line(tmp_path):
    """A real ``ulimit -v`` of about 1.4 GB: 5 million adults are refused (exit 2, one line
    naming the limit) before anything is written."""
    out = tmp_path / "out"
    command = shlex.join([sys.executable, "-m", "sim", "run", "status_quo", "--citizens",
                          "5000000", "--out", str(out), "-q"])  # fmt: skip
    done = subprocess.run(
        ["bash", "-c", f"ulimit -v 1500000 && exec {command}"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONWARNINGS": ""},
    )  # fmt: skip
    err = done.stderr.strip()
    assert done.returncode == 2, err
    assert "\n" not in err and "under the address-space limit (ulimit -v)" in err, err
    assert not out.exists()
