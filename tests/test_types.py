"""mypy passes on the lower layers ([tool.mypy] files in pyproject.toml).

Run by ``pytest`` so CI checks types with README's test command; skips when mypy
is not installed (it is in the ``dev`` extra).
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_passes_on_the_lower_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    api = pytest.importorskip("mypy.api")
    monkeypatch.chdir(REPO)
    out, err, status = api.run(["--config-file", str(REPO / "pyproject.toml"),
                                "--cache-dir", "/dev/null"])
    assert status == 0, out + err
    assert "Success" in out
