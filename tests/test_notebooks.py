"""Execute every notebook in ``notebooks/`` (jupytext percent sources) at the CI scale.

Each ``notebooks/NN_*.py`` is converted with jupytext to an in-memory
notebook and executed with nbclient (what nbmake does for ``.ipynb``
files), with the working folder set to ``notebooks/`` as in Jupyter. The
notebooks of one session share a result store (``TWINCITY_NOTEBOOK_STORE``),
so runs one notebook made (same city, policy, seed, overrides) are reused by
the next. Deselect with ``-m "not notebooks"``.

The CI scale (``TWINCITY_NOTEBOOK_SCALE=ci``) is each notebook's small span on the
shipped cities at ``tests/test_readme_run.py``'s size (a smaller generated network, a 0.5%
sample, one day of route adjustment): every cell still runs, only on fewer agents.

Each notebook must end with a written reading of its own results: the last
code cell's output is Markdown naming at least one city.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.py"))
CITIES = ("Sejong", "Singapore", "Helsinki")
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
    monkeypatch.delenv("TWINCITY_NOTEBOOK_SEEDS", raising=False)
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
