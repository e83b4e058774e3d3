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


def atomic_write(path: str, write: Callable[[IO[bytes]], None]) -> str:
    """Call ``write(file)`` on a temporary file and atomically move it to ``path``; returns ``path``.

    Raises:
        UserError: The write failed (e.g. disk full, permission denied); the previous ``path`` is untouched.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file the permissions open() would
        os.replace(tmp, path)
        dir_fd = os.open(directory, os.O_RDONLY)  # persist the rename itself
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as err:
        _remove(tmp)
        reason = err.strerror or str(err)
        raise UserError(f"cannot write '{path}': {reason}; the previous file, if any, is intact") from err
    except BaseException:
        _remove(tmp)
        raise
    return path


def atomic_torch_save(obj: Any, path: str) -> str:
    """``torch.save(obj)`` to ``path`` atomically (see :func:`atomic_write`); returns ``path``."""
    return atomic_write(path, lambda f: torch.save(obj, f))


def atomic_write_text(path: str, text: str) -> str:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_write`); returns ``path``."""
    return atomic_write(path, lambda f: f.write(text.encode()))


def _remove(path: str) -> None:
    if os.path.exists(path):
        os.remove(path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
