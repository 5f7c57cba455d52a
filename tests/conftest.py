"""Shared fixtures: the tiny test city, paths to shipped scenarios and reference data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

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
