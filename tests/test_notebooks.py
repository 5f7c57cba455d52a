"""Execute every notebook in ``notebooks/`` (jupytext percent sources) at the CI scale.

Each ``notebooks/NN_*.py`` is converted with jupytext to an in-memory
notebook and executed with nbclient (what nbmake does for ``.ipynb``
files), with the working folder set to ``notebooks/`` as in Jupyter. The
notebooks of one session share a result store (``TWINCITY_NOTEBOOK_STORE``),
so runs one notebook made (same city, policy, seed, overrides) are reused by
the next. Deselect with ``-m "not notebooks"``.

The CI scale (``TWINCITY_NOTEBOOK_SCALE=ci``) is each notebook's small span on the
shipped cities at ``tests/test_readme_run.py``'s size (a smaller generated network, a 0.5%
sample, one day of route adjustment): every cell still runs, only on fewer agents; notebooks
02-04 with 2 seeds (``CI_SEEDS``) in the kernel's own process (``CI_WORKERS``).

Each notebook must end with a written reading of its own results: the last
code cell's output is Markdown naming at least one city.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.py"))
CITIES = ("Sejong", "Singapore", "Helsinki")
#: Seeds of each paired comparison (notebooks 02-04; their small default is 3): the fewest
#: with which every cell still computes what it shows (a paired t-interval, Holm's adjustment,
#: Fieller's ratio need n - 1 >= 1 degrees of freedom). The test checks that every cell runs
#: and the reading is written, not the width of any interval, so a third seed adds runs
#: (a third of 02-04's cost) and no check.
CI_SEEDS = 2
#: Dask worker processes of notebooks 02-04 (their default: min(2, cores)). Under the suite's
#: pytest-xdist workers (one per core) a notebook's own cluster only competes with the other
#: test worker for the cores, and every transfer/compare call starts a fresh cluster whose
#: processes import twincity again; 1 runs in the kernel's process. The Dask path itself is
#: checked against serial runs in test_transfer.py (test_serial_equals_dask),
#: test_experiment_dask.py and the documented ``--workers 2`` lines (test_help_examples.py).
CI_WORKERS = 1
#: Optional packages a notebook needs (the dev extra installs them; skipped when absent).
OPTIONAL = {"05_exploratory_modelling": ("ema_workbench",)}


pytestmark = pytest.mark.notebooks


@pytest.fixture(scope="session")
def notebook_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("notebook-store")


def test_there_are_five_notebooks() -> None:
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_ends_with_a_reading(source: Path, notebook_store: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    jupytext = pytest.importorskip("jupytext")
    nbclient = pytest.importorskip("nbclient")
    for module in OPTIONAL.get(source.stem, ()):
        pytest.importorskip(module)
    monkeypatch.setenv("TWINCITY_NOTEBOOK_STORE", str(notebook_store))
    monkeypatch.setenv("TWINCITY_NOTEBOOK_SCALE", "ci")
    # fewer seeds and no Dask cluster of its own: see CI_SEEDS and CI_WORKERS
    monkeypatch.setenv("TWINCITY_NOTEBOOK_SEEDS", str(CI_SEEDS))
    monkeypatch.setenv("TWINCITY_NOTEBOOK_WORKERS", str(CI_WORKERS))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = jupytext.read(source)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(source.parent)}})
    client.execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
    last = [o for o in code[-1].get("outputs", []) if "data" in o]
    assert last, "the last cell shows nothing"
    reading = last[-1]["data"].get("text/markdown", "")
    assert reading and any(city in reading for city in CITIES), reading
