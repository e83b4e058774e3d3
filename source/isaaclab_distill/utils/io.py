"""Crash-safe file writes: checkpoints and summaries are replaced atomically, never left half-written.

Every write goes to a temporary file in the target directory, is flushed and fsynced, then renamed over the target
with ``os.replace`` (atomic on POSIX) and the directory entry is fsynced. A crash, SIGKILL or full disk mid-write
leaves the previous file intact; a failed write removes its temporary file and raises one :class:`UserError` line.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import IO, Any

import torch

from .errors import UserError


def atomic_write_path(path: str, write: Callable[[str], None], check: Callable[[str], None] | None = None) -> str:
    """Call ``write(tmp_path)`` (any writer that takes a path), ``check(tmp_path)``, then move it to ``path``.

    Args:
        path: Target file.
        write: Writes the complete file to the temporary path it is given.
        check: Optional validation of the written file; an exception leaves ``path`` untouched.

    Returns:
        ``path``.

    Raises:
        UserError: The write failed (e.g. disk full, permission denied); the previous ``path`` is untouched.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    suffix = f".tmp{os.path.splitext(path)[1]}"  # keep the extension: some writers (ONNX) look at it
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=suffix, dir=directory)
    os.close(fd)
    try:
        write(tmp)
        _fsync(tmp)
        if check is not None:
            check(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file the permissions open() would
        os.replace(tmp, path)
        _fsync(directory)  # persist the rename itself
    except OSError as err:
        reason = err.strerror or str(err)
        raise UserError(f"cannot write '{path}': {reason}; the previous file, if any, is intact") from err
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def atomic_write(path: str, write: Callable[[IO[bytes]], None]) -> str:
    """Call ``write(file)`` on a temporary binary file and atomically move it to ``path``; returns ``path``.

    Raises:
        UserError: The write failed (see :func:`atomic_write_path`).
    """

    def to_path(tmp: str) -> None:
        with open(tmp, "wb") as f:
            write(f)

    return atomic_write_path(path, to_path)


def atomic_torch_save(obj: Any, path: str) -> str:
    """``torch.save(obj)`` to ``path`` atomically (see :func:`atomic_write`); returns ``path``."""
    return atomic_write(path, lambda f: torch.save(obj, f))


def atomic_write_text(path: str, text: str) -> str:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_write`); returns ``path``."""
    return atomic_write(path, lambda f: f.write(text.encode()))


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
