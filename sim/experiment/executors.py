"""One way to run many independent runs: a ``concurrent.futures`` executor.

:func:`executor` gives the same interface for one core (in this process), local worker
processes, or a Dask cluster (``Client.get_executor()``), as a context manager that shuts the
workers down however the block ends, so nothing outlives the command. :func:`completed`
submits tasks through a bounded window and yields results as they finish. Results never
depend on the executor: every task carries its own seed.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from multiprocessing import get_context
from typing import Any, TypeVar

from sim.errors import InputError
from sim.experiment.arguments import KEYWORDS, ArgumentNames

Item = TypeVar("Item")

DASK_WORKER_ENV = {"MALLOC_TRIM_THRESHOLD_": None, "EGOV_SIM_THREADS": "1"}
"""Dask's nannies set ``MALLOC_TRIM_THRESHOLD_=65536`` in workers; ``None`` unsets it (it
slows these numpy-heavy runs; see docs/experiments.md for the measurement). Local workers
run their kernels on one thread each (``sim.model.kernels.THREADS_ENV``): the workers
already use every core."""


class InProcess(Executor):
    """Runs each task at once in this process (one core, and easy to debug)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller through the future
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            future.set_exception(exc)
        return future


def _die_with_parent(parent: int) -> None:
    """On Linux, a worker is killed when the driver dies, even by SIGKILL (a worker holds
    nothing worth saving: the driver writes every file), so no pool outlives its batch."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the driver died before the line above
        os._exit(1)


def check_dask_address(address: str, names: ArgumentNames = KEYWORDS) -> None:
    """Refuse a scheduler address that is malformed or does not answer within 5 seconds,
    before anything is written (``local`` starts a cluster and needs no check); ``names``:
    how the message names the argument."""
    import socket
    from urllib.parse import urlsplit

    if address == "local":
        return
    allowed = "allowed: local, or a scheduler address such as tcp://host:8786"
    try:
        parts = urlsplit(address if "://" in address else f"tcp://{address}")
        scheme, host, port = parts.scheme, parts.hostname, parts.port
    except ValueError:  # an unclosed [ or a port that is not a number
        scheme = host = port = None
    if scheme not in ("tcp", "tls") or not host or not port:
        raise InputError(f"{names.dask}: {address!r} is not a scheduler address ({allowed})")
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise InputError(
            f"{names.dask}: no scheduler answers at {address} ({exc.strerror or exc}); start "
            f"one, or use {names.dask_local}"
        ) from None


def _worker_init(threads: int, parent: int) -> None:
    """Worker initializer: Ctrl-C is the driver's to handle (it stops cleanly and keeps what
    finished); workers must not die mid-run with their own KeyboardInterrupt. Each worker's
    kernels use ``threads`` threads (the cores shared out among the workers: more would
    only contend for them)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    from sim.model import kernels

    kernels.set_threads(threads)


@contextmanager
def executor(
    workers: int = 1, dask: str | None = None, names: ArgumentNames = KEYWORDS
) -> Iterator[Executor]:
    """In this process (``workers == 1``), a pool of spawned worker processes, or Dask
    (``dask="local"`` starts a LocalCluster on 127.0.0.1; otherwise a scheduler address;
    ``names``: how a refusal names the argument)."""
    if dask:
        client, cluster = start_dask(dask, workers, names)
        try:
            yield client.get_executor(pure=False)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    elif workers <= 1:
        yield InProcess()
    else:
        pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=get_context("spawn"),
            initializer=_worker_init,
            initargs=(max(1, (os.cpu_count() or 1) // workers), os.getpid()),
        )
        try:
            yield pool
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


def completed(
    pool: Executor,
    fn: Callable[..., Any],
    tasks: Iterable[tuple[Item, tuple]],
    window: int,
) -> Iterator[tuple[Item, Any]]:
    """Submit ``fn(*args)`` for each ``(item, args)``, at most ``window`` at a time, and yield
    ``(item, result)`` as they finish (in completion order)."""
    pending: dict[Future, Item] = {}
    queue = iter(tasks)
    while True:
        while len(pending) < window:
            task = next(queue, None)
            if task is None:
                break
            pending[pool.submit(fn, *task[1])] = task[0]
        if not pending:
            return
        finished, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in finished:
            yield pending.pop(future), future.result()


def start_dask(address: str, workers: int, names: ArgumentNames = KEYWORDS):
    """A Dask client (and the LocalCluster it started, or None): ``local`` starts one
    single-threaded process per worker on 127.0.0.1; anything else is a scheduler address
    (``names``: how a refusal names the argument)."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError(
            f"{names.dask}: needs the dask extra (pip install 'egov-sim[dask]')"
        ) from None
    dask.config.set(
        {f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in DASK_WORKER_ENV.items()}
    )
    if address == "local":
        import logging

        # no HTTP dashboard, metrics or workers page: the scheduler's HTTP server has no
        # routes and listens on a free loopback port (the default would be 8787)
        dask.config.set(
            {"distributed.scheduler.http.routes": [], "distributed.worker.http.routes": []}
        )
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            scheduler_kwargs={"dashboard": False},
            silence_logs=logging.ERROR,
        )
        return Client(cluster), cluster
    try:
        client = Client(address, timeout="20s")
    except OSError as exc:
        raise InputError(f"{names.dask}: cannot reach a scheduler at {address!r} ({exc})") from None
    trimmed = {w: v for w, v in client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_").items() if v}
    if trimmed:
        print(
            f"egov-sim: warning: {len(trimmed)} Dask workers run with MALLOC_TRIM_THRESHOLD_="
            f"{next(iter(trimmed.values()))}, which made runs ~2x slower here; start them with "
            "the config distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_ set to null "
            "(docs/experiments.md)",
            file=sys.stderr,
        )
    return client, None


def window_for(pool: Executor, workers: int) -> int:
    """Tasks in flight: two per worker (or per Dask thread), so none idles between tasks."""
    client = getattr(pool, "_client", None)
    if client is not None:
        return max(1, sum(client.nthreads().values())) * 2
    return 2 * max(1, workers)
