"""The resource guard refuses what would not fit, before anything is allocated or written."""

import pytest

from sim import cli, resources
from tests.conftest import SCENARIOS
from tests.test_batch import _experiment


def test_run_too_big_for_memory_is_refused_with_the_estimate(tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    monkeypatch.setattr(resources, "available_memory", lambda: 512 * 2**20)  # a 512 MB machine
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
    monkeypatch.setattr(resources, "available_memory", lambda: 4 * 2**30)
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
    monkeypatch.setattr(resources, "available_memory", lambda: 2 * 2**30)
    resources.check_memory(2_000_000, 1, local_ties=6)
    with pytest.raises(resources.ResourceError, match="2,000,000 adults need about 3.8 GB"):
        resources.check_memory(2_000_000, 1, local_ties=50)


def test_a_design_of_ten_million_runs_is_checked_in_little_memory(tmp_path):
    """Runs, seeds and posterior draws are made when asked for: the plan of 100 points x
    100,000 replications holds 100 cells, not 10 million runs."""
    import tracemalloc

    import numpy as np

    from sim.experiment.replicates import PairedSeeds
    from sim.experiment.spec import load_experiment

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
