"""Batches: an experiment's runs on local processes or a Dask cluster, stored as they finish.

Layout of ``results/<experiment>/``::

    manifest.json       experiment file and hash, resolved scenarios, versions, git state,
                        times, executor, per-run status (rewritten atomically as runs finish)
    experiment.toml     a copy of the experiment file
    runs/<run>.parquet  one finished run (written atomically: never a partial file)
    runs/<run>.error    the traceback of a failed run
    results.parquet     all runs, one row per run x month (tidy), in design order
    results.csv         the same as CSV

Workers only compute; the driver writes every file, so a killed worker loses at most its
current run, and ``--resume`` recomputes exactly the runs that have no valid file. Each run
file carries, in its Parquet metadata, its run id and the hashes of the experiment and of its
scenario; ``--resume`` reads every stored file's metadata and reruns (with a warning line) a
file that is unreadable, empty, truncated or another run's. One batch at a time holds a
folder (an OS lock on ``.batch.lock``, released when the batch ends, however it ends).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from tqdm import tqdm

from sim.atomic import OutputError, write_atomic, write_json_atomic
from sim.experiment import executors
from sim.experiment.provenance import git_state, machine, versions
from sim.experiment.replicates import run_one
from sim.experiment.spec import Plan, RunSpec
from sim.scenario import Scenario, ScenarioError

ID_COLUMNS = ("scenario", "point", "replicate", "seed")
MANIFEST_INTERVAL = 5.0
"""Seconds between manifest rewrites while a batch runs."""


def run_task(scenario: Scenario, seed: int, metrics: list[str], every: int) -> tuple[Any, ...]:
    """Run one model in a worker; return ``("ok", frame, seconds)`` or
    ``("error", traceback, seconds)`` so that a failing run never stops the batch."""
    started = time.perf_counter()
    try:
        frame = run_one(scenario, seed)
        frame = frame[frame["step"] > 0]
        last = frame["step"].max()
        keep = ((frame["step"] - 1) % every == 0) | (frame["step"] == last)
        frame = frame.loc[keep, ["step", "date", *metrics]].reset_index(drop=True)
        return "ok", frame, time.perf_counter() - started
    except Exception:  # noqa: BLE001 - recorded with its traceback, the batch goes on
        return "error", traceback.format_exc(), time.perf_counter() - started


@dataclass
class BatchSummary:
    out: Path
    total: int
    done: int
    failed: int
    skipped: int
    seconds: float
    failures: dict[str, str] = field(default_factory=dict)


RUN_KEY = b"egov_sim_run"
"""Parquet metadata key of a run file: its run id and the hashes it was made from."""
LOCK_NAME = ".batch.lock"


class Store:
    """The results folder of one experiment."""

    def __init__(self, out: Path, plan: Plan) -> None:
        self.out = Path(out)
        self.plan = plan
        self.runs_dir = self.out / "runs"
        self.hashes = scenario_hashes(plan)
        self._lock: Any = None

    def run_path(self, run: RunSpec) -> Path:
        return self.runs_dir / f"{run.run_id}.parquet"

    def error_path(self, run: RunSpec) -> Path:
        return self.runs_dir / f"{run.run_id}.error"

    def is_done(self, run: RunSpec) -> bool:
        return self.run_path(run).is_file()

    def identity(self, run: RunSpec) -> dict[str, str]:
        """What a run file must say it is."""
        return {
            "run_id": run.run_id,
            "experiment_sha256": self.plan.sha256,
            "scenario_sha256": self.hashes[run.scenario],
        }

    def problem(self, run: RunSpec) -> str | None:
        """Why the stored file of ``run`` cannot be trusted (None if it can): unreadable,
        empty or truncated (no Parquet footer), or made for another run or experiment."""
        try:
            meta = pq.read_metadata(self.run_path(run))
        except (OSError, pa.ArrowException) as exc:
            return f"unreadable ({str(exc).splitlines()[0][:120]})"
        stored = (meta.metadata or {}).get(RUN_KEY)
        try:
            said = json.loads(stored) if stored else None
        except ValueError:
            said = None
        if said != self.identity(run):
            other = said.get("run_id") if isinstance(said, dict) else None
            if other and other != run.run_id:
                return f"holds {other!r}, not this run"
            return "is not a run file of this batch (another experiment or scenario made it)"
        if meta.num_rows == 0:
            return "holds no rows"
        return None

    def verify(self) -> int:
        """Set aside (as ``*.rejected``) every stored run file that cannot be trusted, with a
        warning line each, so that the batch runs it again; the number set aside."""
        rejected = 0
        for run in self.plan.runs:
            if not self.is_done(run):
                continue
            problem = self.problem(run)
            if problem:
                path = self.run_path(run)
                print(f"{path}: {problem}; it will be run again", file=sys.stderr)
                os.replace(path, path.with_name(path.name + ".rejected"))
                rejected += 1
        return rejected

    def lock(self) -> None:
        """Hold the folder for this batch (an OS lock released when the process ends, even by
        SIGKILL); ScenarioError naming the holder's pid if another batch holds it."""
        self.out.mkdir(parents=True, exist_ok=True)
        handle = open(self.out / LOCK_NAME, "a+")  # noqa: SIM115 - held for the batch's life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = ""
            for _ in range(50):  # the holder writes its pid just after it takes the lock
                handle.seek(0)
                if holder := handle.read().strip():
                    break
                time.sleep(0.01)
            handle.close()
            holder = holder or "unknown"
            raise ScenarioError(
                f"--out: {self.out} is in use by another batch (pid {holder}); wait for it to "
                "finish or choose another --out"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock = handle

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing releases the lock
            self._lock = None

    def prepare(self, resume: bool) -> dict[str, Any] | None:
        """Check the folder can take this batch, hold it, and set aside stored runs that
        cannot be trusted; return the earlier manifest when resuming (None if there is none or
        it is unreadable: the verified run files say what is done)."""
        manifest_path = self.out / "manifest.json"
        if self.out.exists() and not self.out.is_dir():
            raise ScenarioError(f"--out: {self.out} exists and is not a folder")
        if (
            self.out.is_dir()
            and not manifest_path.exists()
            and not self.runs_dir.exists()
            and any(p.name != LOCK_NAME for p in self.out.iterdir())
        ):
            raise ScenarioError(
                f"--out: {self.out} holds other files and no batch; choose a new or empty folder"
            )
        self.lock()
        try:
            return self._prepare(resume, manifest_path)
        except BaseException:
            self.unlock()
            raise

    def _prepare(self, resume: bool, manifest_path: Path) -> dict[str, Any] | None:
        earlier = None
        if manifest_path.is_file():
            try:
                earlier = json.loads(manifest_path.read_text())
                if not isinstance(earlier, dict):
                    raise ValueError("not a JSON object")
            except (ValueError, UnicodeDecodeError) as exc:
                if not resume:
                    raise ScenarioError(
                        f"{self.out}: already holds a batch; add --resume to continue it, or "
                        "choose another --out"
                    ) from None
                print(
                    f"{manifest_path}: unreadable ({exc}); rebuilt from the verified run files",
                    file=sys.stderr,
                )
                earlier = {"experiment_sha256": self.plan.sha256, "scenario_hashes": self.hashes}
            if not resume:
                raise ScenarioError(
                    f"{self.out}: already holds a batch; add --resume to continue "
                    "it, or choose another --out"
                )
            if earlier.get("experiment_sha256") != self.plan.sha256 or earlier.get(
                "scenario_hashes"
            ) != scenario_hashes(self.plan):
                raise ScenarioError(
                    f"{self.plan.path}: differs from the experiment that made "
                    f"{self.out} (hash changed); use another --out"
                )
        elif self.runs_dir.is_dir() and any(self.runs_dir.iterdir()) and not resume:
            raise ScenarioError(f"{self.out}: holds runs without a manifest; choose another --out")
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        for stale in [*self.runs_dir.glob(".*.tmp"), *self.out.glob(".*.tmp")]:
            stale.unlink(missing_ok=True)  # left by a killed batch; never a result
        if resume:
            self.verify()
        return earlier

    def write_run(self, run: RunSpec, frame: pd.DataFrame) -> None:
        draw = self.plan.draw_of(run)
        table = pa.Table.from_pandas(
            _with_ids(frame, run, self.plan.swept, draw), preserve_index=False
        )
        identity = json.dumps(self.identity(run), sort_keys=True).encode()
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), RUN_KEY: identity})
        write_atomic(self.run_path(run), lambda tmp: pq.write_table(table, tmp))
        self.error_path(run).unlink(missing_ok=True)

    def write_failure(self, run: RunSpec, text: str) -> None:
        write_atomic(self.error_path(run), lambda tmp: tmp.write_text(text))

    def read_runs(self, runs: list[RunSpec] | None = None) -> pd.DataFrame:
        """The finished runs, in design order (scenario, point, replicate)."""
        runs = runs if runs is not None else self.plan.runs
        ordered = sorted(runs, key=lambda r: (r.scenario_index, r.point, r.replicate))
        tables = [pq.read_table(self.run_path(r)) for r in ordered if self.is_done(r)]
        if not tables:
            return pd.DataFrame()
        return pa.concat_tables(tables).to_pandas()

    def consolidate(self) -> pd.DataFrame:
        frame = self.read_runs()
        table = pa.Table.from_pandas(frame, preserve_index=False)
        write_atomic(self.out / "results.parquet", lambda tmp: pq.write_table(table, tmp))
        write_atomic(
            self.out / "results.csv",
            lambda tmp: frame.to_csv(tmp, index=False, float_format="%.10g"),
        )
        return frame


def _with_ids(
    frame: pd.DataFrame, run: RunSpec, swept: list[str], draw: dict[str, float]
) -> pd.DataFrame:
    ids = {
        "scenario": run.scenario,
        "point": run.point,
        "replicate": run.replicate,
        "seed": run.seed,
    }
    values = dict(run.values)
    ids.update({key: values[key] for key in swept})
    ids.update(draw)  # the replicate's posterior draw, if the experiment has one
    head = pd.DataFrame({k: [v] * len(frame) for k, v in ids.items()})
    return pd.concat([head, frame.reset_index(drop=True)], axis=1)


def scenario_hashes(plan: Plan) -> dict[str, str]:
    import hashlib

    hashes = {
        sc.name: hashlib.sha256(sc.model_dump_json().encode()).hexdigest() for sc in plan.scenarios
    }
    if plan.posterior is not None:  # a resumed batch must draw from the same posterior
        hashes["__posterior__"] = plan.posterior.sha256
    return hashes


# --------------------------------------------------------------------------- executors


# --------------------------------------------------------------------------- the batch


def run_batch(
    plan: Plan,
    out: Path,
    *,
    workers: int = 1,
    dask: str | None = None,
    resume: bool = False,
    quiet: bool = False,
) -> BatchSummary:
    """Run every unfinished run of ``plan``, storing each as it completes, then write the
    consolidated tables. Raises KeyboardInterrupt after saving the manifest if interrupted."""
    if dask:
        executors.check_dask_address(dask)  # before anything is written
    store = Store(out, plan)
    earlier = store.prepare(resume)  # holds the folder until the batch ends
    try:
        return _run(plan, store, earlier, workers, dask, quiet)
    finally:
        store.unlock()


def _run(
    plan: Plan,
    store: Store,
    earlier: dict[str, Any] | None,
    workers: int,
    dask: str | None,
    quiet: bool,
) -> BatchSummary:
    out = store.out
    started = datetime.now(UTC)
    experiment = plan.experiment
    todo = [r for r in plan.runs if not store.is_done(r)]
    metrics = experiment.output.metric_names()
    tasks = ((r, (plan.scenario_of(r), r.seed, metrics, experiment.output.every)) for r in todo)

    status: dict[str, dict[str, Any]] = {
        r.run_id: ({"status": "done"} if store.is_done(r) else {"status": "pending"})
        for r in plan.runs
    }
    if earlier:
        for run_id, info in earlier.get("runs", {}).items():
            # keep the timings of runs finished earlier; the files, not the old manifest, say
            # what is done (a killed batch may have finished runs after its last manifest)
            if run_id in status and status[run_id]["status"] == info.get("status") == "done":
                status[run_id] = info
    executor = {
        "kind": "dask" if dask else ("processes" if workers > 1 else "serial"),
        "workers": workers,
        "dask": dask,
    }
    shutil.copyfile(plan.path, out / ".experiment.toml.tmp")
    os.replace(out / ".experiment.toml.tmp", out / "experiment.toml")

    def manifest(state: str) -> None:
        write_json_atomic(
            out / "manifest.json",
            {
                "experiment": experiment.name,
                "file": str(plan.path),
                "experiment_sha256": plan.sha256,
                "experiment_resolved": experiment.model_dump(mode="json"),
                "scenarios": {
                    sc.name: {"source": str(src), "resolved": sc.model_dump(mode="json")}
                    for sc, src in zip(plan.scenarios, plan.sources, strict=True)
                },
                "scenario_hashes": scenario_hashes(plan),
                "reference": plan.reference,
                "design": {
                    "points": plan.points,
                    "role": plan.role,
                    "factors": {k: f.manifest() for k, f in plan.factors.items()},
                    "replications": experiment.replications,
                    "seeds": list(plan.seeds),
                    "runs": len(plan.runs),
                    "posterior": (
                        {
                            "file": str(plan.posterior.path),
                            "sha256": plan.posterior.sha256,
                            "draws": list(plan.draws),
                        }
                        if plan.posterior
                        else None
                    ),
                },
                "status": state,
                "started": (earlier or {}).get("started", started.isoformat(timespec="seconds")),
                "this_session_started": started.isoformat(timespec="seconds"),
                "updated": datetime.now(UTC).isoformat(timespec="seconds"),
                "finished": (
                    datetime.now(UTC).isoformat(timespec="seconds")
                    if state in ("complete", "incomplete")
                    else None
                ),
                "executor": executor,
                "command": " ".join(sys.argv),
                "versions": versions(),
                "git": git_state(),
                "machine": machine(),
                "runs": status,
            },
        )

    manifest("running")
    done = failed = 0
    failures: dict[str, str] = {}
    wall = time.perf_counter()
    last_write = wall
    bar = tqdm(
        total=len(plan.runs),
        initial=len(plan.runs) - len(todo),
        unit="run",
        desc=experiment.name,
        disable=quiet,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    try:
        with executors.executor(workers, dask) as pool:
            window = executors.window_for(pool, workers)
            results = executors.completed(pool, run_task, tasks, window)
            for run, (kind, payload, seconds) in results:
                if kind == "ok":
                    try:
                        store.write_run(run, payload)
                    except OSError as exc:
                        raise OutputError(
                            f"{out}: cannot write results ({exc.strerror or exc}); the "
                            f"{sum(1 for r in plan.runs if store.is_done(r))} runs already "
                            "stored are intact: fix the folder and rerun with --resume"
                        ) from None
                    status[run.run_id] = {"status": "done", "seconds": round(seconds, 3)}
                    done += 1
                else:
                    store.write_failure(run, payload)
                    last_line = payload.strip().splitlines()[-1]
                    status[run.run_id] = {
                        "status": "failed",
                        "seconds": round(seconds, 3),
                        "error": last_line,
                    }
                    failures[run.run_id] = last_line
                    failed += 1
                bar.update(1)
                bar.set_postfix_str(f"failed {failed}" if failed else "", refresh=False)
                if time.perf_counter() - last_write > MANIFEST_INTERVAL:
                    manifest("running")
                    last_write = time.perf_counter()
    except BaseException:
        try:
            manifest("interrupted")
        except OSError:
            pass  # the folder itself is failing; the run files say what finished
        raise
    finally:
        bar.close()
    complete = all(info["status"] == "done" for info in status.values())
    store.consolidate()
    manifest("complete" if complete else "incomplete")
    return BatchSummary(
        out,
        len(plan.runs),
        done,
        failed,
        len(plan.runs) - len(todo),
        time.perf_counter() - wall,
        failures,
    )
