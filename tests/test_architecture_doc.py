"""docs/architecture.md names every module of the package (by path, by its row's
shorthand beside a sibling's path, or through its package's ``pkg/`` / ``pkg/*`` row)."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "twincity"


def test_architecture_names_every_module() -> None:
    text = (REPO / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"`([\w/.*]+)`", text))
    missing = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        folder = path.parent.relative_to(SRC).as_posix()
        if path.name in ("__init__.py", "_version.py"):
            continue
        ok = (rel in named or any(fnmatch.fnmatch(rel, n) for n in named if "*" in n)
              or (folder != "." and (f"{folder}/" in named
                                     or (path.name in named
                                         and any(n.startswith(f"{folder}/") for n in named))))
              or (folder == "." and path.name in named))
        if not ok:
            missing.append(rel)
    assert not missing, f"modules missing from docs/architecture.md: {missing}"
