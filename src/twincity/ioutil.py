"""Atomic file writes, and the one file-mode policy of everything twincity writes.

A file is written to a temporary sibling and renamed into place, so a reader sees
the old file or the whole new one, never half of it. Files get :data:`FILE_MODE`
and folders :data:`DIR_MODE`: what ``open()`` and ``mkdir()`` would give under the
process's umask (``0666``/``0777`` with the umask's bits cleared; 0644/0755 under
the usual 022). ``mkstemp``/``mkdtemp`` would otherwise leave results private
(0600/0700).

Example:
    >>> import tempfile, pathlib, stat
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> atomic_write_text(p, "hello")
    >>> p.read_text(), stat.S_IMODE(p.stat().st_mode) == FILE_MODE
    ('hello', True)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


def _umask() -> int:
    """The process's umask, read without changing it where the OS allows."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere: read it by setting it, then put it back
    os.umask(mask)
    return mask


_UMASK = _umask()
#: Mode of every file twincity writes (as ``open()`` would create it).
FILE_MODE = 0o666 & ~_UMASK
#: Mode of every folder twincity writes (as ``mkdir()`` would create it).
DIR_MODE = 0o777 & ~_UMASK


@contextlib.contextmanager
def atomic_writer(path: str | Path, mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """A file object whose content replaces ``path`` atomically when the block ends.

    ``mode`` is ``"wb"`` or ``"w"`` (``kwargs`` go to :func:`os.fdopen`, e.g.
    ``newline=""``). On an exception the temporary file is removed and ``path``
    is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the whole new one."""
    with atomic_writer(path, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"))
