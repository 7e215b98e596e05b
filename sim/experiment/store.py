"""Atomic output: a reader never sees a partial file, and a failed run leaves nothing behind."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


class OutputError(Exception):
    """The results folder cannot be written (read-only, full, removed): a batch stops; every
    run already stored is intact and ``--resume`` continues once the cause is fixed."""


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, fsync it, then rename it into
    place; on any error the temporary file is removed and ``path`` is untouched."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> None:
    write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json_atomic(path: Path, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


class StagedDir:
    """Files are written into a hidden staging folder beside ``target`` and moved into
    ``target`` one atomic rename each on :meth:`publish`; :meth:`discard` removes them."""

    def __init__(self, target: Path) -> None:
        self.target = Path(target)
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", dir=self.target.parent))
        self._order: list[str] = []

    def file(self, name: str) -> Path:
        """Path to write ``name`` to; files are published in the order they were asked for."""
        if name not in self._order:
            self._order.append(name)
        return self.path / name

    def publish(self) -> list[Path]:
        self.target.mkdir(parents=True, exist_ok=True)
        published = []
        for name in self._order:
            os.replace(self.path / name, self.target / name)
            published.append(self.target / name)
        self.discard()
        return published

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
