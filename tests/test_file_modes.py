"""One atomic writer (twincity.ioutil) and one file-mode policy for everything written.

Files are written as ``open()`` would create them (0666 less the umask), folders as
``mkdir()`` would (0777 less the umask) — never the 0600/0700 of temporary files.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import numpy as np
import pandas as pd

from twincity.city.grid_network import grid_network
from twincity.city.io_graphml import write_graphml
from twincity.ioutil import DIR_MODE, FILE_MODE, atomic_write_text, atomic_writer
from twincity.results import KPI, Results

SRC = Path(__file__).resolve().parents[1] / "src" / "twincity"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_the_policy_is_the_umask_s() -> None:
    mask = _umask()
    assert 0o666 & ~mask == FILE_MODE and 0o777 & ~mask == DIR_MODE


def test_files_and_folders_get_the_policy_s_modes(tmp_path: Path) -> None:
    atomic_write_text(tmp_path / "a.txt", "x")
    write_graphml(grid_network(2), tmp_path / "g.graphml")
    with atomic_writer(tmp_path / "b.csv", "w", newline="") as fh:
        np.savetxt(fh, np.eye(2), delimiter=",")
    out = Results(tables={"t": pd.DataFrame({"a": [1.0]})},
                  kpis=[KPI("population", 1.0, "persons")]).write(tmp_path / "run")
    for name in ("a.txt", "g.graphml", "b.csv"):
        assert _mode(tmp_path / name) == FILE_MODE, name
    assert _mode(out) == DIR_MODE
    for path in out.iterdir():
        assert _mode(path) == FILE_MODE, path.name


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "keep.txt"
    atomic_write_text(target, "old")
    try:
        with atomic_writer(target, "w") as fh:
            fh.write("half")
            raise RuntimeError("disk full")
    except RuntimeError:
        pass
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_only_ioutil_writes_files_through_temporary_names() -> None:
    writers = []
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        if re.search(r"\bmkstemp\(|os\.chmod\(|\.chmod\(0o", text) and path.name != "ioutil.py":
            writers.append(str(path.relative_to(SRC)))
    assert not writers, f"atomic writes outside twincity.ioutil: {writers}"
