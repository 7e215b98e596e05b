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
current run, and resuming (``resume=True``) recomputes exactly the runs that have no valid
file. Each run file carries, in its Parquet metadata, its run id and the hashes of the
experiment and of its scenario, and the manifest records its SHA-256; resuming reads every
stored file's metadata and reruns (with a warning line) a file that is unreadable, empty,
truncated, another run's, or not the bytes the manifest recorded. The folder is the batch's own
(:mod:`sim.folders`): a new or empty folder, or an earlier batch's when resuming; one
command at a time holds it. The manifest lists the consolidated tables with their hashes only
once the batch is complete, so ``report`` never reads a mixed folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
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

from sim.atomic import OutputError, sha256_file, write_atomic, write_json_atomic
from sim.errors import printable_lines, shown
from sim.experiment import executors
from sim.experiment.arguments import KEYWORDS, ArgumentNames
from sim.experiment.plan import Plan, RunSpec
from sim.experiment.replicates import run_one
from sim.folders import MANIFEST, OutputFolder, entry_kind, read_manifest
from sim.provenance import git_state, machine, versions
from sim.scenario import InputError, Scenario
from sim.signals import checkpoint

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


class Store:
    """The results folder of one experiment (``names``: how its refusals name the
    caller's arguments)."""

    def __init__(
        self, out: Path, plan: Plan, kind: str = "batch", names: ArgumentNames = KEYWORDS
    ) -> None:
        self.out = Path(out)
        self.plan = plan
        self.kind = kind
        self.runs_dir = self.out / "runs"
        self.hashes = scenario_hashes(plan)
        self.names = names
        self.folder = OutputFolder(self.out, kind, names.out)
        self.recorded: dict[str, str] = {}
        """SHA-256 of each run file, as the earlier manifest recorded it (when resuming)."""

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
        """Why the stored file of ``run`` cannot be trusted (None if it can): not a regular
        file, unreadable, empty or truncated (no Parquet footer), made for another run or
        experiment, or not the bytes the manifest recorded."""
        path = self.run_path(run)
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):  # a pipe would block the reader
            return f"is {entry_kind(info)}, not a run file egov-sim wrote"
        try:
            meta = pq.read_metadata(path)
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
        recorded = self.recorded.get(run.run_id)
        if recorded is not None and sha256_file(path) != recorded:
            return "is not the file the batch stored (its SHA-256 differs from the manifest's)"
        return None

    def verify(self) -> int:
        """Set aside (as ``*.rejected``) every stored run file that cannot be trusted, with a
        warning line each, so that the batch runs it again; the number set aside."""
        rejected = 0
        for run in self.plan.runs:
            if not os.path.lexists(self.run_path(run)):
                continue
            problem = self.problem(run)
            if problem:
                path = self.run_path(run)
                print(printable_lines(f"{path}: {problem}; it will be run again"), file=sys.stderr)
                os.replace(path, path.with_name(path.name + ".rejected"))
                rejected += 1
        return rejected

    def prepare(self, resume: bool) -> dict[str, Any] | None:
        """Check the folder can take this batch, hold it, and set aside stored runs that
        cannot be trusted; return the earlier manifest when resuming (None if there is none or
        it is unreadable: the verified run files say what is done)."""
        self.folder.claim(resume)  # refused before any write if it is not this batch's
        try:
            return self._prepare(resume)
        except BaseException:
            self.unlock()
            raise

    def unlock(self) -> None:
        self.folder.release()

    def _earlier(self) -> dict[str, Any] | None:
        """The earlier manifest, checked; None (with a warning line) if it cannot be used."""
        path = self.out / MANIFEST
        if not os.path.lexists(path):
            return None
        try:
            earlier = read_manifest(self.out, (self.kind,))
            runs = earlier.get("runs")
            if not isinstance(runs, dict) or not all(isinstance(v, dict) for v in runs.values()):
                raise InputError(f"{shown(path)}: runs: not a table of tables")
        except InputError as exc:
            print(f"{exc}; unreadable, so rebuilt from the verified run files", file=sys.stderr)
            return {"experiment_sha256": self.plan.sha256, "scenario_hashes": self.hashes}
        return earlier

    def _prepare(self, resume: bool) -> dict[str, Any] | None:
        earlier = self._earlier()
        if earlier is not None:
            if (
                earlier.get("experiment_sha256") != self.plan.sha256
                or earlier.get("scenario_hashes") != self.hashes
            ):
                raise InputError(
                    f"{shown(self.plan.path)}: differs from the experiment that made "
                    f"{shown(self.out)} (its scenarios or settings changed since); use "
                    f"another {self.names.out}, or delete {shown(self.out)} to start again"
                )
            self.recorded = {
                run_id: info["sha256"]
                for run_id, info in (earlier.get("runs") or {}).items()
                if isinstance(info, dict) and isinstance(info.get("sha256"), str)
            }
        self.folder.subfolder("runs")
        for stale in [*self.runs_dir.glob(".*.tmp"), *self.out.glob(".*.tmp")]:
            if stale.is_file() and not stale.is_symlink():
                stale.unlink(missing_ok=True)  # left by a killed batch; never a result
        if resume:
            self.verify()
        return earlier

    def write_run(self, run: RunSpec, frame: pd.DataFrame) -> str:
        """Store a finished run; its SHA-256, for the manifest."""
        draw = self.plan.draw_of(run)
        table = pa.Table.from_pandas(
            _with_ids(frame, run, self.plan.swept, draw), preserve_index=False
        )
        identity = json.dumps(self.identity(run), sort_keys=True).encode()
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), RUN_KEY: identity})
        record = write_atomic(self.run_path(run), lambda tmp: pq.write_table(table, tmp))
        self.error_path(run).unlink(missing_ok=True)
        return record["sha256"]

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

    def consolidate(self) -> dict[str, Any]:
        """Write results.parquet and results.csv; their records, for the manifest."""
        frame = self.read_runs()
        table = pa.Table.from_pandas(frame, preserve_index=False)
        return {
            "results.parquet": write_atomic(
                self.out / "results.parquet", lambda tmp: pq.write_table(table, tmp)
            ),
            "results.csv": write_atomic(
                self.out / "results.csv",
                lambda tmp: frame.to_csv(tmp, index=False, float_format="%.10g"),
            ),
        }


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


def run_batch(
    plan: Plan,
    out: Path,
    *,
    workers: int = 1,
    dask: str | None = None,
    resume: bool = False,
    quiet: bool = False,
    kind: str = "batch",
    names: ArgumentNames = KEYWORDS,
) -> BatchSummary:
    """Run every unfinished run of ``plan``, storing each as it completes, then write the
    consolidated tables. Raises KeyboardInterrupt after saving the manifest if interrupted.
    ``kind`` is what the manifest says the folder holds (``sensitivity`` for a sensitivity
    analysis, whose indices are added to the folder afterwards); ``names``: how a refusal
    names the arguments (the command line passes its options)."""
    if dask:
        executors.check_dask_address(dask, names)  # before anything is written
    store = Store(out, plan, kind, names)
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
    for run in plan.runs:  # finished after the last manifest of a killed batch: hash them now
        info = status[run.run_id]
        if info["status"] == "done" and "sha256" not in info:
            status[run.run_id] = {**info, "sha256": sha256_file(store.run_path(run))}
    executor = {
        "kind": "dask" if dask else ("processes" if workers > 1 else "serial"),
        "workers": workers,
        "dask": dask,
    }
    source = Path(plan.path).read_bytes()
    files = {
        "experiment.toml": write_atomic(out / "experiment.toml", lambda t: t.write_bytes(source))
    }

    def manifest(state: str) -> None:
        write_json_atomic(
            out / MANIFEST,
            {
                "kind": store.kind,
                "experiment": experiment.name,
                "file": str(plan.path),
                "experiment_sha256": plan.sha256,
                "experiment_resolved": experiment.model_dump(mode="json"),
                "scenarios": {
                    sc.name: {
                        "title": sc.display_name,
                        "source": str(src),
                        "resolved": sc.model_dump(mode="json"),
                    }
                    for sc, src in zip(plan.scenarios, plan.sources, strict=True)
                },
                "scenario_hashes": store.hashes,
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
                # the tables are listed (and so readable by report) only once complete
                "files": files if state in ("complete", "incomplete") else {},
            },
        )

    manifest("running")
    done = failed = 0
    failures: dict[str, str] = {}
    wall = time.perf_counter()
    last_write = wall
    bar = None
    try:  # from the bar's first line on: a closed stderr marks the manifest too
        bar = tqdm(
            total=len(plan.runs),
            initial=len(plan.runs) - len(todo),
            unit="run",
            desc=experiment.name,
            disable=quiet,
            file=sys.stderr,
            dynamic_ncols=True,
        )
        with executors.executor(workers, dask, store.names) as pool:
            window = executors.window_for(pool, workers)
            results = executors.completed(pool, run_task, tasks, window)
            for run, (kind, payload, seconds) in results:
                if kind == "ok":
                    try:
                        digest = store.write_run(run, payload)
                    except OSError as exc:
                        raise OutputError(
                            f"{out}: cannot write results ({exc.strerror or exc}); the "
                            f"{sum(1 for r in plan.runs if store.is_done(r))} runs already "
                            f"stored are intact: fix the folder and rerun with {store.names.resume}"
                        ) from None
                    status[run.run_id] = {
                        "status": "done",
                        "seconds": round(seconds, 3),
                        "sha256": digest,
                    }
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
                checkpoint("run-stored")
        complete = all(info["status"] == "done" for info in status.values())
        files.update(store.consolidate())
        manifest("complete" if complete else "incomplete")
    except BaseException:
        try:
            manifest("interrupted")
        except OSError:
            pass  # the folder itself is failing; the run files say what finished
        raise
    finally:
        if bar is not None:
            with contextlib.suppress(OSError, ValueError):  # a closed stderr: said above
                bar.close()
    return BatchSummary(
        out,
        len(plan.runs),
        done,
        failed,
        len(plan.runs) - len(todo),
        time.perf_counter() - wall,
        failures,
    )
