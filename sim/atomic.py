"""Atomic output, used by every writer of the project: a reader never sees a partial file,
and a failed command leaves nothing behind.

Single files go through :func:`write_atomic` (a temporary file beside the target, created
with ``O_EXCL`` so that nothing placed there beforehand is followed, fsync, rename); a
command's set of outputs is staged and published together by :mod:`sim.folders`.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
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


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_record(path: Path) -> dict[str, Any]:
    """What a manifest records of a file it lists: its size and SHA-256."""
    return {"bytes": os.stat(path).st_size, "sha256": sha256_file(path)}


def write_atomic(path: Path, write: Callable[[Path], None]) -> dict[str, Any]:
    """Call ``write(tmp)`` on a temporary file beside ``path``, fsync it, then rename it into
    place; on any error the temporary file is removed and ``path`` is untouched. The file gets
    the mode any other file would (not ``mkstemp``'s private 0600). Returns its
    :func:`file_record`, for the manifest that lists it."""
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
        record = file_record(tmp)
        os.replace(tmp, path)
        return record
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: Path, text: str) -> dict[str, Any]:
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json_atomic(path: Path, data: Any) -> dict[str, Any]:
    return write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


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
