"""Shared fixtures: the tiny test city, paths to shipped scenarios and reference data; the
order pytest-xdist's workers take the test modules in."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

# Under pytest-xdist (addopts: -n auto --dist loadfile) every worker is a process of its own
# on its own core: numba's parallel kernels run single-threaded there rather than each
# worker's OpenMP threads competing for the same cores (set before twincity imports numba;
# a NUMBA_NUM_THREADS of the caller's own wins).
if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) > 1:
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SCENARIOS = REPO / "scenarios"
SHARED_DATA = REPO.parent / "shared" / "data"
SHIPPED_CITIES = ("sejong", "singapore", "helsinki")
#: The Sioux Falls reference network beside the repository (tests skip without it).
SIOUX = SHARED_DATA / "tntp" / "SiouxFalls"
needs_sioux = pytest.mark.skipif(not (SIOUX / "SiouxFalls_net.tntp").exists(),
                                 reason="Sioux Falls TNTP data not available")


@pytest.fixture
def tiny_path() -> Path:
    """The tiny fictional test city (read-only: copy it before editing)."""
    return DATA / "tiny.yaml"


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A scratch scenario folder holding a copy of the tiny city as ``tiny.yaml``."""
    folder = tmp_path / "scen"
    folder.mkdir()
    shutil.copy(DATA / "tiny.yaml", folder / "tiny.yaml")
    return folder


def write_variant(folder: Path, name: str, changes: dict, *, base: str = "tiny.yaml") -> Path:
    """Write ``name`` extending ``base`` with ``changes`` (nested mapping)."""
    path = folder / name
    path.write_text(yaml.safe_dump({"extends": base, **changes}, sort_keys=False))
    return path


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """Workers for addopts' ``-n auto``: one per core (pytest-xdist's own count) for a run
    of the whole suite (bare ``pytest``, README's and CI's command), none when the command
    line names its own paths or node ids (starting workers, each importing and compiling
    twincity, costs more there than it saves), unless it asks for workers itself (``-n``)
    or ``PYTEST_XDIST_AUTO_NUM_WORKERS`` sets the count."""
    asked = any(arg.startswith(("-n", "--numprocesses")) for arg in config.invocation_params.args)
    if (config.args_source is pytest.Config.ArgsSource.ARGS and not asked
            and not os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS")):
        return 0
    return None


#: Test modules that take longest, longest first (serial run on the 2-core CI machine,
#: December 2026, at load ~6: 630, 646, 157, 136, 84, 60 s of 2,084 s), handed to
#: pytest-xdist's workers first so the many short modules fill in around them instead of
#: a long module starting last (addopts ``--dist loadfile --no-loadscope-reorder``: whole
#: modules, in collection order). The first two go to different workers.
LONGEST_FIRST = ("test_notebooks.py", "test_help_examples.py", "test_readme_run.py",
                 "test_transfer.py", "test_experiment_dask.py", "test_dashboard_browser.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, move the ``LONGEST_FIRST`` modules to the front (each module's
    own tests keep their order; a serial run keeps file order)."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
