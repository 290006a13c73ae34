"""Write report files atomically: a temporary file in the same folder, then a rename.

A crash or an error while a report is written leaves the previous report in place and no
half-written file behind (coverage.py's ``render_report`` deletes a half-written file for the
same reason).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..errors import PlancovError

log = logging.getLogger(__name__)


class ReportWriteError(PlancovError, OSError):
    """A report file could not be written (folder missing or read-only, disk full ...)."""


def _umask() -> int:
    # os.umask can only be read by setting it; set it back at once.
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb", *, encoding: str | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success it replaces ``path``.

    If the block raises, the temporary file is removed and ``path`` is left as it was.

    Raises:
        ReportWriteError: the file cannot be created or renamed.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb'; got {mode!r}")
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as e:
        raise ReportWriteError(f"Cannot write {os.fspath(target)!r}: {e.strerror}") from None
    try:
        with os.fdopen(fd, mode, encoding=encoding if "b" not in mode else None,
                       newline="" if "b" not in mode else None) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates 0600; a report is meant to be passed on.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError) and not isinstance(e, PlancovError):
            raise ReportWriteError(f"Cannot write {os.fspath(target)!r}: {e.strerror or e}") from e
        raise
    log.debug("wrote %s", target)


def write_atomic(path: str | os.PathLike[str], data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    if isinstance(data, str):
        data = data.encode(encoding)
    with atomic_open(path, "wb") as f:
        f.write(data)
    return Path(path)


__all__ = ["ReportWriteError", "atomic_open", "write_atomic"]
