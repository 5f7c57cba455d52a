"""Which code produced a result: engine fingerprint, git commit, environment.

* :func:`engine_fingerprint` hashes the source of the twincity package that
  is imported (every ``.py`` file and packaged data file, by relative path
  and content). It goes into every run id
  (:func:`twincity.experiment.spec.run_id`), so changing one line of engine
  code changes every run id and a result store never serves a result
  computed by other code. It ignores ``_version.py`` (written by
  setuptools-scm at install time: a new commit that changes no code keeps
  the fingerprint) and ``__pycache__``.
* :func:`git_commit` names the commit of twincity's own source tree, and
  only of it: with twincity installed in a virtual environment inside some
  other git repository, it returns ``None`` rather than that repository's
  commit.
* :func:`provenance` gathers what a result needs to be reproduced: input
  hash, seed, policies, twincity version and fingerprint, commit and dirty
  flag, Python, platform and dependency versions.

Example:
    >>> fp = engine_fingerprint()
    >>> len(fp), fp == engine_fingerprint()
    (16, True)
"""

from __future__ import annotations

import hashlib
import platform
import subprocess
import tomllib
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import twincity

#: Packages whose versions go into provenance.
PROVENANCE_PACKAGES = ("numpy", "numba", "mesa", "scipy", "pandas", "pyarrow", "networkx",
                       "pydantic")
#: Hex digits kept of the SHA-256 engine fingerprint.
FINGERPRINT_LENGTH = 16
#: Files of the package that are source: code and packaged data.
_SOURCE_SUFFIXES = (".py", ".csv", ".json")
#: Files that change without the code changing (setuptools-scm's version file).
_NOT_ENGINE = frozenset({"_version.py"})


def package_dir() -> Path:
    """The folder of the imported twincity package."""
    return Path(twincity.__file__).resolve().parent


def source_files(root: Path | None = None) -> list[Path]:
    """The package's source files under ``root`` (default: :func:`package_dir`), sorted.

    >>> any(p.name == "model.py" for p in source_files())
    True
    """
    root = package_dir() if root is None else Path(root)
    return sorted((p for p in root.rglob("*")
                   if p.suffix in _SOURCE_SUFFIXES and p.is_file()
                   and "__pycache__" not in p.parts and p.name not in _NOT_ENGINE),
                  key=lambda p: p.relative_to(root).as_posix())


def fingerprint_of(root: Path) -> str:
    """SHA-256 over the relative path and bytes of every source file under ``root``.

    A renamed, added, removed or edited file changes it; the order files are
    found in does not.
    """
    root = Path(root)
    h = hashlib.sha256()
    for path in source_files(root):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:FINGERPRINT_LENGTH]


@cache
def engine_fingerprint() -> str:
    """The fingerprint of the imported twincity package's source (computed once per process).

    Two processes running the same installed code agree on it; any change to
    a source file gives another.
    """
    return fingerprint_of(package_dir())


def _git(folder: Path, *args: str) -> str | None:
    """Output of ``git -C folder args``, or ``None`` when git fails or is absent."""
    try:
        out = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                             timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def is_twincity_tree(top: Path, package: Path) -> bool:
    """Whether git top level ``top`` is twincity's own source tree holding ``package``.

    True when ``top/pyproject.toml`` declares the project ``twincity`` and
    ``package`` is ``top/src/twincity`` — not merely some repository that
    happens to contain an installed copy (a venv's site-packages).
    """
    try:
        meta = tomllib.loads((top / "pyproject.toml").read_text())
    except (OSError, tomllib.TOMLDecodeError):
        return False
    if (meta.get("project") or {}).get("name") != "twincity":
        return False
    try:
        return (top / "src" / "twincity").resolve() == package.resolve()
    except OSError:
        return False


def git_state(package: Path | None = None) -> tuple[str | None, bool | None]:
    """``(commit, dirty)`` of twincity's source tree, or ``(None, None)`` when not in one.

    ``dirty`` is whether tracked files differ from the commit (untracked
    files are ignored).
    """
    package = package_dir() if package is None else Path(package).resolve()
    top = _git(package, "rev-parse", "--show-toplevel")
    if not top or not is_twincity_tree(Path(top), package):
        return None, None
    commit = _git(package, "rev-parse", "HEAD")
    if not commit:
        return None, None
    status = _git(package, "status", "--porcelain", "--untracked-files=no")
    return commit, (None if status is None else bool(status))


def git_commit(package: Path | None = None) -> str | None:
    """The commit of twincity's own source tree (``None`` when installed elsewhere)."""
    return git_state(package)[0]


@cache
def environment() -> dict[str, Any]:
    """Python, platform and dependency versions of this process.

    >>> sorted(environment())
    ['packages', 'platform', 'python']
    """
    packages: dict[str, str | None] = {}
    for name in PROVENANCE_PACKAGES:
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = None
    return {"python": platform.python_version(), "platform": platform.platform(),
            "packages": packages}


def provenance(content_hash: str, seed: int, policies: list[Any] | None = None,
               **extra: Any) -> dict[str, Any]:
    """What a result needs to be reproduced: inputs' hash, seed, code and environment.

    >>> p = provenance("abc", 1)
    >>> p["engine_fingerprint"] == engine_fingerprint(), "python" in p
    (True, True)
    """
    commit, dirty = git_state()
    return {
        "scenario_hash": content_hash,
        "seed": seed,
        "policies": list(policies or []),
        "twincity_version": twincity.__version__,
        "engine_fingerprint": engine_fingerprint(),
        "git_commit": commit,
        "git_dirty": dirty,
        **environment(),
        **extra,
    }
