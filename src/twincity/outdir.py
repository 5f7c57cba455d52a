"""Output folders that never cost data: a marker in every folder twincity writes,
checks before a run, and cleanup of only our own leftovers.

Every results or report folder twincity writes holds a small marker file,
:data:`MARKER` (JSON: who wrote it, when, from which process). A folder given
as ``--out`` is replaced whole only when it is absent, empty, or carries that
marker; any other folder is refused unless the user passes ``--force``. Some
targets are refused even then: a file, the current folder or a folder holding
it, the home folder, the file-system root, a symbolic link, and any folder
holding a scenario or policy file of the run.

A run killed while writing leaves a temporary sibling ``.NAME.tmp-*`` (or, if
killed in the instant between two renames, ``.NAME.old-*``). Those carry the
marker too, so :func:`clean_stale_siblings` removes them, and only them, once
the process that wrote them is gone.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp()) / "mine"
    >>> _ = folder.mkdir(), (folder / "notes.txt").write_text("precious")
    >>> check_out_dir(folder)
    Traceback (most recent call last):
    ...
    twincity.errors.InputError: --out: ... is not a twincity results folder ...
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import shutil
import socket
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from twincity.errors import InputError
from twincity.ioutil import DIR_MODE

#: The file that marks a folder as written by twincity.
MARKER = ".twincity-results"
#: A leftover ``.NAME.old-*`` folder younger than this may still be in the middle of a rename.
_RENAME_GRACE_S = 60.0
#: A leftover from another host is considered stale after this long.
_FOREIGN_STALE_S = 24 * 3600.0

#: Resolved folders the user allowed to be replaced although they carry no marker (``--force``).
_FORCED: contextvars.ContextVar[frozenset[Path]] = contextvars.ContextVar(
    "twincity_forced_out_dirs", default=frozenset())


def marker_record(kind: str = "results") -> dict[str, Any]:
    """What the marker file says: writer process and host, time, twincity version."""
    import twincity

    return {"written_by": "twincity", "kind": kind, "twincity_version": twincity.__version__,
            "pid": os.getpid(), "host": socket.gethostname(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def write_marker(folder: Path, kind: str = "results") -> None:
    """Mark ``folder`` as written by twincity (first thing written into a new folder)."""
    (folder / MARKER).write_text(json.dumps(marker_record(kind), indent=2) + "\n")


def is_ours(folder: Path) -> bool:
    """Whether ``folder`` is a real folder (not a link) holding the twincity marker."""
    try:
        return (folder.is_dir() and not folder.is_symlink()
                and (folder / MARKER).is_file() and not (folder / MARKER).is_symlink())
    except OSError:
        return False


#: Files of a results or report folder written before the marker existed.
_LEGACY_NAMES = frozenset({"summary.json", "provenance.json", "scenario.resolved.json",
                           "meta.json", "report.md"})
_LEGACY_SUFFIXES = (".parquet", ".png")


def _legacy_ours(folder: Path) -> bool:
    """A results/report folder from before the marker: only the files twincity wrote there."""
    try:
        entries = list(folder.iterdir())
    except OSError:
        return False
    names = {p.name for p in entries}
    if not ({"summary.json", "provenance.json"} <= names or {"report.md", "meta.json"} <= names):
        return False
    return all(p.is_file() and not p.is_symlink()
               and (p.name in _LEGACY_NAMES or p.name.endswith(_LEGACY_SUFFIXES))
               for p in entries)


def _refuse(out: Path, why: str) -> InputError:
    return InputError(f"'{out}' {why}", path="--out")


def _resolve(out: Path) -> Path:
    try:
        return out.resolve()
    except (RuntimeError, OSError) as exc:
        raise _refuse(out, f"cannot be resolved ({exc}); expected a folder path") from None


def check_out_dir(out: str | Path, *, protect: Iterable[str | Path] = (),
                  force: bool = False) -> Path:
    """Refuse an output folder whose replacement could lose data; return it unchanged.

    Always refused: an existing file (or anything but a folder), a symbolic link,
    the current folder or a folder containing it, the home folder or one
    containing it, the root, and any folder containing a path of ``protect``
    (the scenario and policy files of the run). Refused unless ``force``: an
    existing, non-empty folder without the twincity :data:`MARKER` (a folder
    holding only the files of a results or report folder written before the
    marker existed is recognised as ours).
    Call it before a run starts, so nothing is computed for a write that would fail.
    """
    out = Path(out)
    target = _resolve(out)
    if out.is_symlink():
        raise _refuse(out, "is a symbolic link; expected a results folder path (not a link)")
    if target.exists() and not target.is_dir():
        raise _refuse(out, "exists and is not a folder; expected a results folder path")
    cwd = Path.cwd().resolve()
    if cwd.is_relative_to(target):
        raise _refuse(out, "is the current folder or contains it; expected a results folder "
                           "such as results/NAME")
    if Path.home().resolve().is_relative_to(target) or target == Path(target.anchor):
        raise _refuse(out, "is the home folder, the root or contains the home folder; expected "
                           "a results folder such as results/NAME")
    for p in protect:
        try:
            guarded = Path(p).resolve()
        except (RuntimeError, OSError):
            continue
        if guarded.is_relative_to(target):
            raise _refuse(out, f"contains an input of this run ({p}); expected a separate "
                               "results folder")
    if target.is_dir() and not is_ours(target) and not _legacy_ours(target) \
            and not (force or target in _FORCED.get()):
        try:
            empty = next(target.iterdir(), None) is None
        except OSError as exc:
            raise _refuse(out, f"cannot be listed ({exc.strerror or exc})") from None
        if not empty:
            raise _refuse(out, f"exists and is not a twincity results folder (no {MARKER} "
                               "file); choose a new folder, or pass --force to replace it whole")
    return out


@contextlib.contextmanager
def allow_replacing(*folders: str | Path) -> Iterator[None]:
    """Within this block, writers may replace ``folders`` although they carry no marker."""
    token = _FORCED.set(_FORCED.get() | {_resolve(Path(f)) for f in folders})
    try:
        yield
    finally:
        _FORCED.reset(token)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _writer_gone(folder: Path) -> bool:
    """Whether the process that wrote ``folder``'s marker has ended (unknown → age decides)."""
    try:
        record = json.loads((folder / MARKER).read_text())
        age = time.time() - (folder / MARKER).stat().st_mtime
    except (OSError, ValueError):
        return False
    if not isinstance(record, dict) or record.get("written_by") != "twincity":
        return False
    pid, host = record.get("pid"), record.get("host")
    if host == socket.gethostname() and isinstance(pid, int) and pid > 0:
        return not _pid_alive(pid)
    return age > _FOREIGN_STALE_S


def clean_stale_siblings(out: str | Path) -> list[Path]:
    """Remove leftovers of killed writes of ``out``: ``.NAME.tmp-*`` / ``.NAME.old-*``
    folders that carry the marker and whose writer has ended. Returns what was removed
    (or, for an ``.old-*`` folder whose target is missing, put back).
    """
    out = Path(out)
    parent = out.parent
    done: list[Path] = []
    try:
        siblings = [p for p in parent.iterdir()
                    if p.name.startswith((f".{out.name}.tmp-", f".{out.name}.old-"))]
    except OSError:
        return done
    for p in siblings:
        if not is_ours(p):
            continue
        if ".tmp-" in p.name[len(out.name) + 1:]:
            if _writer_gone(p):
                shutil.rmtree(p, ignore_errors=True)
                done.append(p)
            continue
        try:  # an old folder renamed aside; its writer is the run that replaced it
            if time.time() - p.stat().st_ctime < _RENAME_GRACE_S:
                continue
            if out.exists() or out.is_symlink():
                shutil.rmtree(p, ignore_errors=True)
            else:
                os.replace(p, out)  # killed between the two renames: put the old results back
            done.append(p)
        except OSError:
            continue
    return done


def prepare_out_dir(out: str | Path, *, protect: Iterable[str | Path] = (),
                    force: bool = False) -> Path:
    """:func:`check_out_dir`, then :func:`clean_stale_siblings`; what a command calls first."""
    check_out_dir(out, protect=protect, force=force)
    clean_stale_siblings(out)
    return Path(out)


def check_out_file(out: str | Path, looks_ours: Callable[[bytes], bool], *, what: str,
                   protect: Iterable[str | Path] = (), force: bool = False) -> Path:
    """Refuse an output *file* whose overwrite could lose data; return it unchanged.

    Always refused: a folder, a link, anything but a regular file, and a path of
    ``protect``. An existing file whose first bytes ``looks_ours`` does not
    recognise as a file this command writes (``what``) is refused unless ``force``.
    """
    out = Path(out)
    if out.is_symlink():
        raise _refuse(out, "is a symbolic link; expected a file path (not a link)")
    target = _resolve(out)
    if target.is_dir():
        raise _refuse(out, f"is a folder; expected a file path for {what}")
    for p in protect:
        try:
            if Path(p).resolve() == target:
                raise _refuse(out, f"is an input of this command ({p}); expected a new file")
        except (RuntimeError, OSError):
            continue
    if target.exists():
        if not target.is_file():
            raise _refuse(out, f"exists and is not a regular file; expected a file path for "
                               f"{what}")
        if not force:
            try:
                with open(target, "rb") as fh:
                    head = fh.read(1 << 16)
            except OSError as exc:
                raise _refuse(out, f"cannot be read ({exc.strerror or exc})") from None
            if not looks_ours(head):
                raise _refuse(out, f"exists and is not {what}; choose a new file, or pass "
                                   "--force to overwrite it")
    return out


def is_parquet(head: bytes) -> bool:
    """Whether a file starts like Parquet (``PAR1``)."""
    return head.startswith(b"PAR1")


def replace_dir(new: Path, target: Path) -> None:
    """Move folder ``new`` to ``target``, replacing an existing ``target`` whole.

    The old folder is first renamed aside, so at every instant ``target`` is
    either the complete old folder, absent for the span of one rename, or the
    complete new one; it is deleted only once the new one is in place.
    """
    if target.exists() and not target.is_dir():
        raise FileExistsError(f"{target} exists and is not a folder")
    aside = None
    if target.exists():
        aside = target.with_name(f".{target.name}.old-{uuid.uuid4().hex[:8]}")
        os.replace(target, aside)
    try:
        os.replace(new, target)
    except BaseException:
        if aside is not None:
            os.replace(aside, target)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def write_folder(out: str | Path, fill: Callable[[Path], None], kind: str) -> Path:
    """Fill a temporary sibling of ``out`` with ``fill(tmp)``, then move it to ``out`` whole.

    The folder gets the ``kind`` marker (:func:`write_marker`) and mode 0755;
    stale siblings of crashed writers go first. Callers check ``out``
    (:func:`check_out_dir`) before doing their work.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_siblings(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        tmp.chmod(DIR_MODE)  # mkdtemp makes it private (see twincity.ioutil)
        write_marker(tmp, kind)
        fill(tmp)
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
