"""Atomic output, used by every writer of the project: a reader never sees a partial file,
and a failed command leaves nothing behind.

Single files go through :func:`write_atomic` (a temporary file beside the target, fsync,
rename); a command's set of outputs goes through :func:`staged`, which writes them into a
hidden folder beside the target and publishes them one rename each only when all are done.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class OutputError(Exception):
    """The results folder cannot be written (read-only, full, removed): a batch stops; every
    run already stored is intact and ``--resume`` continues once the cause is fixed."""


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_read_umask()
"""The mode a plainly created file gets under the process's umask (0644 under 022), read once
at import: reading a umask means setting it, which must not race with other threads' writes."""


def write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, fsync it, then rename it into
    place; on any error the temporary file is removed and ``path`` is untouched. The file gets
    the mode any other file would (not ``mkstemp``'s private 0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.fchmod(fd, FILE_MODE)
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


def toml_text(data: dict[str, Any], header: str = "") -> str:
    """TOML written with tomli-w (every string quoted and escaped correctly), after an
    optional comment ``header``."""
    import tomli_w

    comment = "".join(f"# {_printable(line)}".rstrip() + "\n" for line in header.splitlines())
    return comment + ("\n" if comment else "") + tomli_w.dumps(data)


def _printable(line: str) -> str:
    """A comment line TOML accepts: control characters (a file name may hold them) written as
    ``\\xNN``."""
    return "".join(
        f"\\x{ord(c):02x}" if (ord(c) < 0x20 and c != "\t") or ord(c) == 0x7F else c for c in line
    )


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

    def figure(self, fig: Any, stem: str, formats: tuple[str, ...] = ("png",), dpi: int = 200):
        """Stage a matplotlib ``Figure`` as ``stem.<format>`` for each format."""
        for ext in formats:
            fig.savefig(self.file(f"{stem}.{ext}"), format=ext, dpi=dpi)

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


@contextmanager
def staged(target: Path) -> Iterator[StagedDir]:
    """``with staged(out) as stage: ...stage.file("x.csv")...``: the files appear in ``out``
    only if the block finishes; on any error (or Ctrl-C) nothing is published."""
    stage = StagedDir(target)
    try:
        yield stage
        stage.publish()
    finally:
        stage.discard()
