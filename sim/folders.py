"""Output folders a command owns: every writer (run, compare, batch, report, sensitivity,
calibrate, discover, robustness, validate-model, check-calibration) goes through
:func:`owned`, and every reader of a results folder through :func:`read_manifest` and
:func:`verified`.

A command writes only inside a folder it creates, or one whose ``manifest.json`` says it holds
results of the command's own kind (a batch's only with ``--resume``). Anything else is refused
in one line before anything is written. While it works the command holds the folder with an
OS lock on ``.egov-sim.lock`` (created without following a symlink, checked to be the file it
locked, removed when the command ends), so a second writer of any kind is refused naming the
holder's pid. A one-shot command's outputs (a batch writes its run files one by one instead,
each atomically) are written into a hidden staging folder inside the folder and published
together: each file renamed into place, ``manifest.json`` last, with the size and
SHA-256 of every file it lists; if any rename fails, the files already moved are put back, so
a reader sees the old set or the new one, never a mix. A reader checks each file it uses
against those hashes, so a table copied in from elsewhere is refused rather than reported.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.atomic import FILE_MODE, OutputError, file_record, write_json_atomic
from sim.errors import InputError, shown

MANIFEST = "manifest.json"
LOCK = ".egov-sim.lock"
STAGING = ".staging-"
MAX_MANIFEST_BYTES = 1 << 30
"""A manifest is read only up to this size (a batch of ten million runs writes ~700 MB)."""

SUBFOLDERS: dict[str, tuple[str, ...]] = {
    "batch": ("runs", "report", "discovery", "robustness"),
    "sensitivity": ("runs", "report", "discovery", "robustness"),
    "robustness": ("discovery",),
}
"""Folders a results folder of each kind may hold (each must be a real folder)."""

KINDS = {
    "run": "a single run's results (egov-sim run)",
    "compare": "a comparison (egov-sim compare)",
    "batch": "a batch's results (egov-sim batch)",
    "sensitivity": "a sensitivity analysis (egov-sim sensitivity)",
    "calibration": "a calibration (egov-sim calibrate)",
    "calibration-check": "a calibration check (egov-sim check-calibration)",
    "validation": "a validation (egov-sim validate-model)",
    "report": "a report (egov-sim report)",
    "discovery": "a scenario discovery (egov-sim discover)",
    "robustness": "a robustness analysis (egov-sim robustness)",
}
"""Every kind of results folder, with the words a message uses for it."""

_LEGACY_FILES = {
    "compare": {"comparison.csv", "comparison.png", "runs.csv"},
    "calibration-check": {"calibration.csv", "calibration.png"},
    "discovery": {
        "box.csv",
        "box.json",
        "peeling_trajectory.csv",
        "discovery.png",
        "discovery.svg",
    },
}
"""Folders written before manifests recorded their kind, known by their whole set of files
(a user's folder holding one file of the same name is not taken for one)."""
_LEGACY_SUFFIXES = {"report": (".png", ".svg", ".csv", ".md")}
"""... or by the kinds of their files and ``report.md`` (a report's figures are named after
the design)."""


# --------------------------------------------------------------------------- reading


def load_json(path: Path, what: str = "manifest") -> Any:
    """A JSON file egov-sim wrote, read with limits: a regular file (no symlink), at most
    :data:`MAX_MANIFEST_BYTES`, nested no deeper than the decoder's recursion guard allows
    (the tool writes 8 levels); InputError in one line naming the file otherwise."""
    where = shown(path)
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise InputError(f"{where}: not found") from None
    except OSError as exc:
        raise InputError(f"{where}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{where}: {entry_kind(info)}, not the {what} egov-sim writes")
    if info.st_size > MAX_MANIFEST_BYTES:
        raise InputError(f"{where}: {info.st_size:,} bytes is more than a {what} can be")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            raw = handle.read(MAX_MANIFEST_BYTES + 1)
        return json.loads(raw.decode("utf-8"))
    except RecursionError:  # the decoder's own guard: no crash, no traceback
        raise InputError(f"{where}: not a {what} egov-sim wrote (nested too deeply)") from None
    except ValueError as exc:
        detail = str(exc).splitlines()[0][:100] if str(exc) else type(exc).__name__
        raise InputError(f"{where}: not a {what} egov-sim wrote ({detail})") from None
    except OSError as exc:
        raise InputError(f"{where}: {exc.strerror or exc}") from None


_TYPE_WORDS = {dict: "a table", list: "a list", str: "a string", int: "a whole number"}

BATCH_FIELDS: dict[str, tuple[type, bool]] = {
    "experiment": (str, True),
    "reference": (str, True),
    "design": (dict, True),
    "experiment_resolved": (dict, True),
    "file": (str, False),
    "experiment_sha256": (str, False),
    "status": (str, False),
    "git": (dict, False),
    "scenarios": (dict, False),
    "runs": (dict, False),
    "files": (dict, False),
}
"""What readers use of a batch's manifest: each key's type, and whether it must be there."""
DESIGN_FIELDS: dict[str, tuple[type, bool]] = {
    "points": (list, False),
    "factors": (dict, False),
    "runs": (int, False),
    "replications": (int, False),
    "seeds": (list, False),
    "role": (str, False),
    "posterior": (dict, False),
}


def _check_fields(
    table: Mapping, fields: dict[str, tuple[type, bool]], where: str, prefix: str = ""
) -> None:
    """Each key of ``fields`` of its type (``null`` for a key that may be missing)."""
    for key, (kind, required) in fields.items():
        value = table.get(key)
        if value is None and not required:
            continue
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InputError(
                f"{where}: {prefix}{key}: {_short(value)} is not allowed (allowed: "
                f"{_TYPE_WORDS.get(kind, 'a value')}); not a manifest egov-sim wrote"
            )


def _short(value: Any) -> str:
    if value is None:
        return "missing"
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def kind_of(manifest: Mapping) -> str | None:
    """The kind a manifest declares; older manifests, without ``kind``, by their keys."""
    kind = manifest.get("kind")
    if isinstance(kind, str):
        return kind
    if "design" in manifest and "runs" in manifest:
        return "batch"
    if "resolved_scenario" in manifest:
        return "run"
    return None


def read_manifest(folder: Path, kinds: Iterable[str] = ("batch", "sensitivity")) -> dict:
    """The manifest of a results folder of one of ``kinds``, its content checked before use
    (depth, types of the keys the readers use): InputError in one line otherwise."""
    folder = Path(folder)
    kinds = tuple(kinds)
    path = folder / MANIFEST
    if not os.path.lexists(path):
        raise InputError(
            f"{shown(folder)}: holds no {MANIFEST}, so not {KINDS[kinds[0]]}; run that first"
        )
    manifest = load_json(path)
    where = shown(path)
    if not isinstance(manifest, dict):
        raise InputError(f"{where}: not a manifest egov-sim wrote (not a JSON object)")
    kind = kind_of(manifest)
    if kind not in kinds:
        what = KINDS.get(kind, "something else") if kind else "something else"
        raise InputError(f"{shown(folder)}: holds {what}, not {KINDS[kinds[0]]}")
    if kind in ("batch", "sensitivity"):
        _check_fields(manifest, BATCH_FIELDS, where)
        design = manifest["design"]
        _check_fields(design, DESIGN_FIELDS, where, "design.")
        nested = {
            "design.points": (design.get("points") or [], dict),
            "design.factors": (list((design.get("factors") or {}).values()), dict),
            "design.posterior.draws": ((design.get("posterior") or {}).get("draws", []), dict),
        }
        for label, (items, kind) in nested.items():
            if not isinstance(items, list) or not all(isinstance(i, kind) for i in items):
                raise InputError(
                    f"{where}: {label}: not a list of tables; not a manifest egov-sim wrote"
                )
        posterior = design.get("posterior")
        if posterior is not None and not {"file", "sha256", "draws"} <= set(posterior):
            raise InputError(
                f"{where}: design.posterior: lacks file, sha256 or draws; not a manifest "
                "egov-sim wrote"
            )
        interactions = manifest["experiment_resolved"].get("interactions")
        if interactions is not None and not isinstance(interactions, list):
            raise InputError(
                f"{where}: experiment_resolved.interactions: not a list; not a manifest "
                "egov-sim wrote"
            )
    return manifest


def verified(folder: Path, manifest: Mapping, name: str) -> bytes:
    """The bytes of ``folder/name``, read once and checked against the size and SHA-256 its
    manifest records (so what is checked is what is used); one line naming the file if it
    differs, is missing, or the manifest records no hash of it."""
    path = Path(folder) / name
    where = shown(path)
    files = manifest.get("files")
    record = files.get(name) if isinstance(files, dict) else None
    if not isinstance(record, dict) or not isinstance(record.get("sha256"), str):
        status = manifest.get("status")
        if status in ("running", "interrupted", "incomplete") or status is None:
            why = f"the batch is {status}" if status else "the batch did not finish"
        else:
            why = "written by an older egov-sim, before manifests recorded hashes"
        raise InputError(
            f"{where}: not recorded in {MANIFEST} ({why}); finish it (the same egov-sim batch "
            "or sensitivity command with --resume) before reading it"
        )
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise InputError(f"{where}: missing, though {MANIFEST} lists it") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{where}: {entry_kind(info)}, not the file {MANIFEST} lists")
    if info.st_size != record.get("bytes"):
        data = b""
    else:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            data = handle.read(info.st_size + 1)
    if len(data) != record.get("bytes") or hashlib.sha256(data).hexdigest() != record["sha256"]:
        raise InputError(
            f"{where}: does not match {MANIFEST} (its SHA-256 differs: changed or copied in "
            "after egov-sim wrote it); rerun the command that made it"
        )
    return data


def check_not_busy(folder: Path) -> None:
    """Refuse to read a folder another command is writing (its lock is held)."""
    lock = Path(folder) / LOCK
    try:
        fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return  # no lock (or not ours to open): nobody is writing through egov-sim
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(
                f"{shown(folder)}: being written by another egov-sim command "
                f"(pid {_holder(fd)}); wait for it to finish"
            ) from None
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- owning


def entry_kind(info: os.stat_result) -> str:
    """What a directory entry is, in a message's words (``a symlink``, ``a pipe``)."""
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a file"


def _holder(fd: int) -> str:
    for _ in range(50):  # the holder writes its pid just after it takes the lock
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        if text:
            return text
        time.sleep(0.01)
    return "unknown"


def _holder_of(folder: Path) -> str:
    try:
        fd = os.open(folder / LOCK, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return "unknown"
    try:
        return _holder(fd)
    finally:
        os.close(fd)


class OutputFolder:
    """A results folder this process holds (see the module docstring); made by :func:`owned`."""

    def __init__(self, path: Path, kind: str, option: str) -> None:
        self.path = Path(path)
        self.kind = kind
        self.option = option
        self.previous: dict[str, Any] | None = None
        """The manifest the folder held when it was claimed (None if new or empty)."""
        self._created: list[Path] = []
        self._fd: int | None = None
        self._lock_id: tuple[int, int] | None = None

    # claiming ------------------------------------------------------------------

    def _refuse(self, why: str) -> InputError:
        return InputError(f"{self.option}: {shown(self.path)} {why}")

    def inspect(self, resume: bool, held: bool = False) -> None:
        """Refuse the folder unless it is new, empty, or holds this kind's results, and (unless
        this process ``held`` it) no other command is writing it; no write."""
        try:
            info = os.lstat(self.path)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise self._refuse(f"cannot be used ({exc.strerror or exc})") from None
        if stat.S_ISLNK(info.st_mode):
            raise self._refuse(
                f"is a symlink; give the folder it points to ({shown(os.path.realpath(self.path))})"
                " if that is where the results should go"
            )
        if not stat.S_ISDIR(info.st_mode):
            raise self._refuse("exists and is not a folder")
        if not held:
            try:
                check_not_busy(self.path)
            except InputError:
                raise self._refuse(
                    f"is in use by another egov-sim command (pid {_holder_of(self.path)}); "
                    f"wait for it to finish or choose another {self.option}"
                ) from None
        allowed = SUBFOLDERS.get(self.kind, ())
        names, own, odd = [], [], []
        try:
            entries = list(os.scandir(self.path))
        except OSError as exc:
            raise self._refuse(f"cannot be read ({exc.strerror or exc})") from None
        for entry in entries:
            if entry.name == LOCK or entry.name.startswith(STAGING):
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue  # gone since the listing (another command's temporary file)
            names.append(entry.name)
            if entry.name in allowed:
                if stat.S_ISDIR(info.st_mode):
                    own.append(entry.name)  # a real folder of the kind's own (runs/, report/)
                else:
                    odd.append(f"{shown(entry.name)} is {entry_kind(info)}, not a folder")
            elif not stat.S_ISREG(info.st_mode):
                odd.append(f"{shown(entry.name)} is {entry_kind(info)}, not a file")
        if not names or (not odd and own == names and self.kind not in ("batch", "sensitivity")):
            return  # empty, or only the kind's own subfolders (a robustness's discovery/)
        kind = self._claimed_kind(names)
        if kind != self.kind:
            if kind in KINDS:
                raise self._refuse(
                    f"holds {KINDS[kind]}, not {KINDS[self.kind]}; choose another {self.option}"
                )
            foreign = sorted(n for n in names if n not in own) or sorted(names)
            listed = ", ".join(shown(n) for n in foreign[:3])
            more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            raise self._refuse(
                f"holds files egov-sim did not write ({listed}{more}); choose a new or empty folder"
            )
        if odd:
            raise self._refuse(f"cannot take these results: {odd[0]}; remove it first")
        if self.kind in ("batch", "sensitivity") and not resume:
            raise InputError(
                f"{shown(self.path)}: already holds a batch; add --resume to continue it, or "
                f"choose another {self.option}"
            )

    def _claimed_kind(self, names: list[str]) -> str | None:
        path = self.path / MANIFEST
        if MANIFEST in names:
            try:
                manifest = load_json(path)
            except InputError:
                manifest = None
            if isinstance(manifest, dict):
                self.previous = manifest
                return kind_of(manifest)
            # an unreadable manifest beside run files: a batch's, rebuilt on --resume
            if self.kind in ("batch", "sensitivity") and "runs" in names:
                return self.kind
            return None
        if self.kind in ("batch", "sensitivity") and "runs" in names:
            return self.kind  # killed before its first manifest
        if set(names) == _LEGACY_FILES.get(self.kind):
            return self.kind
        suffixes = _LEGACY_SUFFIXES.get(self.kind)
        if suffixes and "report.md" in names and all(Path(n).suffix in suffixes for n in names):
            return self.kind
        return None

    def _make(self) -> None:
        missing = []
        for folder in (self.path, *self.path.parents):
            if os.path.lexists(folder):
                break
            missing.append(folder)
        for folder in reversed(missing):
            try:
                folder.mkdir()
            except FileExistsError:
                continue  # made meanwhile by someone else: the lock decides
            except OSError as exc:
                self.release()
                raise InputError(
                    f"{self.option}: cannot create {shown(folder)} ({exc.strerror or exc}); "
                    "choose another folder"
                ) from None
            self._created.append(folder)

    def _lock(self) -> None:
        lock = self.path / LOCK
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        for _ in range(20):
            try:
                fd = os.open(lock, flags, FILE_MODE)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise self._refuse(
                        f"holds a symlink named {LOCK}; remove it (egov-sim never makes one)"
                    ) from None
                raise InputError(
                    f"{self.option}: cannot write in {shown(self.path)} "
                    f"({exc.strerror or exc}); choose another folder"
                ) from None
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
                os.close(fd)
                what = entry_kind(info) if not stat.S_ISREG(info.st_mode) else "a hard link"
                raise self._refuse(f"holds {what} named {LOCK}; remove it")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(fd)
                os.close(fd)
                raise self._refuse(
                    f"is in use by another egov-sim command (pid {holder}); wait for it to "
                    f"finish or choose another {self.option}"
                ) from None
            try:
                now = os.lstat(lock)
            except FileNotFoundError:
                now = None
            if now is None or (now.st_dev, now.st_ino) != (info.st_dev, info.st_ino):
                os.close(fd)  # the holder removed it as we opened it: take the new one
                continue
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            self._fd, self._lock_id = fd, (info.st_dev, info.st_ino)
            return
        raise self._refuse("is being claimed by other commands over and over; try again")

    def claim(self, resume: bool) -> None:
        self.inspect(resume)  # before any write: a refused folder is left as it was
        self._make()
        try:
            self._lock()
            self.inspect(resume, held=True)  # again, under the lock: nothing changes it now
            for stale in self.path.glob(f"{STAGING}*"):  # left by a killed command
                if stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale, ignore_errors=True)
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Give the folder up: the lock file is removed; folders made for an output that
        never came are removed too."""
        if self._fd is not None:
            lock = self.path / LOCK
            try:
                now = os.lstat(lock)
                if (now.st_dev, now.st_ino) == self._lock_id:
                    lock.unlink()
            except OSError:
                pass
            os.close(self._fd)
            self._fd = None
        for folder in reversed(self._created):
            try:
                folder.rmdir()  # only if empty: a published result stays
            except OSError:
                break
        self._created = []

    def subfolder(self, name: str) -> Path:
        """A real folder ``name`` inside this one (made if missing; a symlink is refused)."""
        path = self.path / name
        try:
            path.mkdir()
        except FileExistsError:
            if path.is_symlink() or not path.is_dir():
                raise self._refuse(f"holds {shown(name)} that is not a real folder") from None
        self._created = []  # the folder now holds something of ours
        return path

    # publishing ----------------------------------------------------------------

    @contextmanager
    def stage(self) -> Iterator[Stage]:
        """``with folder.stage() as stage: ...stage.file("x.csv")...; stage.manifest = {...}``:
        the files appear together when the block ends without an error, nothing otherwise."""
        stage = Stage(self)
        try:
            yield stage
            self.publish(stage)
        finally:
            stage.discard()

    def publish(self, stage: Stage) -> list[Path]:
        """Move the staged files into the folder, all or none (see the module docstring).
        SIGINT and SIGTERM wait while the files move: a signal before lands at the
        ``publish`` checkpoint and publishes nothing; one during is acted on once all moved."""
        from sim.signals import checkpoint, deferred

        names = list(stage.order)
        files = {name: file_record(stage.path / name) for name in names}
        if stage.manifest is not None:
            manifest = {"kind": self.kind, **stage.manifest, "files": files}
            stage.manifest = manifest
            stage.file(MANIFEST).write_text(
                json.dumps(manifest, indent=2, default=str) + "\n", "utf-8"
            )
            names.append(MANIFEST)
        for name in names:
            target = self.path / name
            if os.path.lexists(target) and not stat.S_ISREG(os.lstat(target).st_mode):
                what = entry_kind(os.lstat(target))
                raise OutputError(
                    f"{shown(target)} is {what}, not a file; nothing was published (remove it "
                    "and run again)"
                )
        backup = Path(tempfile.mkdtemp(prefix="previous-", dir=stage.path))
        checkpoint("publish")
        with deferred():
            self._move(stage, names, files, backup)
        return [self.path / name for name in names]

    def _move(self, stage: Stage, names: list[str], files: dict, backup: Path) -> None:
        """The renames of :meth:`publish`, each earlier file hard-linked into ``backup`` first
        so that a failure part-way puts it back."""
        moved: list[tuple[str, bool]] = []
        try:
            for name in names:
                target = self.path / name
                kept = os.path.lexists(target)
                if kept:
                    _link_or_copy(target, backup / name)
                moved.append((name, kept))
                os.replace(stage.path / name, target)
            if stage.manifest is None:
                self._record(files)  # the batch's manifest lists the added files
        except BaseException:
            failed = []
            for name, kept in reversed(moved):  # put the earlier set back
                target = self.path / name
                try:
                    if kept:
                        os.replace(backup / name, target)
                    else:
                        target.unlink(missing_ok=True)
                except OSError:
                    failed.append(name)
            if failed:  # keep the earlier files where the message says
                kept_at = self.path / f"previous-{os.getpid()}"
                os.replace(backup, kept_at)
                raise OutputError(
                    f"{shown(self.path)}: publishing failed and {', '.join(failed)} could not "
                    f"be put back; the earlier files are in {shown(kept_at)}"
                ) from None
            raise
        self._created = []
        if stage.manifest is not None:
            self._drop_stale(set(names))

    def _drop_stale(self, kept: set[str]) -> None:
        """Files the previous manifest listed and this one does not (an earlier report's
        figures, a panel no longer asked for)."""
        earlier = (self.previous or {}).get("files")
        for name in earlier if isinstance(earlier, dict) else ():
            path = self.path / name
            ours = "/" not in name and not name.startswith(".")  # never the lock, never above
            if name not in kept and ours and path.is_file() and not path.is_symlink():
                path.unlink()

    def _record(self, files: dict[str, Any]) -> None:
        """Add ``files`` to the manifest already in the folder (outputs added to a batch)."""
        manifest = load_json(self.path / MANIFEST)
        manifest["files"] = {**(manifest.get("files") or {}), **files}
        write_json_atomic(self.path / MANIFEST, manifest)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target, follow_symlinks=False)


class Stage:
    """Files staged for :meth:`OutputFolder.publish`, in a hidden folder inside the output
    folder; ``manifest`` (a dict) is written as ``manifest.json`` with the files' hashes, or,
    when None, the files are added to the folder's existing manifest."""

    def __init__(self, folder: OutputFolder) -> None:
        self.folder = folder
        self.target = folder.path
        self.path = Path(tempfile.mkdtemp(prefix=STAGING, dir=folder.path))
        self.order: list[str] = []
        self.manifest: dict[str, Any] | None = {}

    def file(self, name: str) -> Path:
        """Path to write ``name`` to; files are published in the order they were asked for."""
        if name not in self.order and name != MANIFEST:
            self.order.append(name)
        return self.path / name

    def figure(self, fig: Any, stem: str, formats: tuple[str, ...] = ("png",), dpi: int = 200):
        """Stage a matplotlib ``Figure`` as ``stem.<format>`` for each format."""
        for ext in formats:
            fig.savefig(self.file(f"{stem}.{ext}"), format=ext, dpi=dpi)

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def check_owner(path: Path, kind: str, *, resume: bool = False, option: str = "--out") -> None:
    """What :func:`owned` checks first, without writing anything: the command line calls it
    with the other checks of its options, before any work."""
    OutputFolder(Path(path), kind, option).inspect(resume)


@contextmanager
def owned(
    path: Path, kind: str, *, resume: bool = False, option: str = "--out"
) -> Iterator[OutputFolder]:
    """Hold ``path`` as a results folder of ``kind`` for the block (see the module docstring):
    InputError, with nothing written, if it is not this command's to write."""
    folder = OutputFolder(Path(path), kind, option)
    folder.claim(resume)
    try:
        yield folder
    finally:
        folder.release()
