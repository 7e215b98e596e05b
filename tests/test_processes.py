"""Nothing a batch starts outlives it, and nothing listens that was not asked for: pool
workers die with their driver, a local Dask cluster serves no HTTP dashboard, and a Dask
address is checked before anything is written."""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import psutil
import pytest

from sim.experiment.batch import run_batch
from sim.experiment.plan import load_experiment
from sim.scenario import InputError
from tests.conftest import ROOT, batch_command, wait_for_runs
from tests.conftest import tiny_experiment as _experiment

pytestmark = pytest.mark.system


def test_pool_workers_die_with_their_driver(tmp_path):
    """SIGKILL of the driver alone (not its group): its workers are gone within 10 s."""
    path = _experiment(tmp_path, reps=6, citizens=3000)
    out = tmp_path / "out"
    proc = subprocess.Popen(batch_command(path, out), cwd=ROOT, start_new_session=True)
    try:
        wait_for_runs(out, 1, proc)
        workers = psutil.Process(proc.pid).children(recursive=True)
        assert workers, "the batch should run on worker processes"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        gone, alive = psutil.wait_procs(workers, timeout=10)
        assert not alive, [p.cmdline()[:3] for p in alive]
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("not an address", "--dask: 'not an address' is not a scheduler address (allowed: local"),
        ("http://127.0.0.1:8786", "--dask: 'http://127.0.0.1:8786' is not a scheduler address"),
        ("tcp://127.0.0.1:9", "--dask: no scheduler answers at tcp://127.0.0.1:9"),
    ],
)
def test_a_dask_address_is_checked_before_anything_is_written(tmp_path, address, message):
    out = tmp_path / "out"
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "sim", "batch", str(_experiment(tmp_path)), "--out", str(out),
         "--dask", address, "-q"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert not out.exists()
    assert time.monotonic() - started < 15


def test_a_local_dask_cluster_serves_no_dashboard():
    pytest.importorskip("distributed")
    from sim.experiment.executors import start_dask

    client, cluster = start_dask("local", 1)
    try:
        mine = {os.getpid(), *(c.pid for c in psutil.Process().children(recursive=True))}
        ports = {
            c.laddr.port
            for c in psutil.net_connections("tcp")
            if c.status == "LISTEN" and c.pid in mine
        }
        assert 8787 not in ports
        http = cluster.scheduler.http_server.port
        for route in ("/status", "/workers", "/metrics", "/info/main/workers.html"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(f"http://127.0.0.1:{http}{route}", timeout=5)
            assert err.value.code == 404
    finally:
        client.close()
        cluster.close()


def test_run_batch_checks_the_address_too(tmp_path):
    with pytest.raises(InputError, match="is not a scheduler address"):
        run_batch(load_experiment(_experiment(tmp_path)), tmp_path / "out", dask="x", quiet=True)
    assert not (tmp_path / "out").exists()
