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
    assert "citizens: 2,260,000 adults need about 0.9 GB of memory, but only 0.5 GB" in err
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
    with pytest.raises(resources.ResourceError, match=r"16 workers at 0\.5 GB each"):
        resources.check_memory(1_000_000, 16)
