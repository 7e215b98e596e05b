"""Soak (``make soak``, not in the default run): thousands of small runs in one process keep
memory flat (Mesa 3.3 keeps every model alive through Agent._ids, mesa issue 3179)."""

import gc
import tracemalloc

import pytest

from sim.experiment.batch import run_batch
from sim.experiment.plan import load_experiment
from sim.model.model import AdoptionModel
from tests.conftest import SCENARIOS


def _rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096


@pytest.mark.soak
def test_thousands_of_runs_keep_memory_flat(tmp_path):
    short = tmp_path / "short.toml"
    short.write_text(
        f'extends = "{SCENARIOS / "status_quo.toml"}"\nname = "short"\nend = "2021-03"\n'
    )

    def plan(n, name):
        path = tmp_path / f"{name}.toml"
        path.write_text(
            f'name = "{name}"\nscenarios = ["{short}"]\nreplications = {n}\ncitizens = 100\n'
            '[output]\nmetrics = ["online_users_share"]\nevery = 12\n'
        )
        return load_experiment(path)

    run_batch(plan(200, "warm"), tmp_path / "warm", quiet=True)  # allocator warm-up
    gc.collect()
    tracemalloc.start()
    traced, rss = [], []
    for i in range(3):  # 3 x 800 = 2,400 runs in this one process
        summary = run_batch(plan(800, f"part{i}"), tmp_path / f"part{i}", quiet=True)
        assert summary.done == 800 and summary.failed == 0
        gc.collect()
        rss.append(_rss())
        traced.append(tracemalloc.get_traced_memory()[0])
        alive = [o for o in gc.get_objects() if isinstance(o, AdoptionModel)]
        assert not alive, f"{len(alive)} models still alive after {800 * (i + 1)} runs"
    tracemalloc.stop()
    print(
        "resident memory after 800/1600/2400 runs:",
        ", ".join(f"{r / 2**20:.0f} MB" for r in rss),
        "; traced Python memory:",
        ", ".join(f"{t / 2**20:.2f} MB" for t in traced),
    )
    assert rss[2] - rss[0] < 10 * 2**20  # flat after the first segment
