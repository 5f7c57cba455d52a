"""Results folders are written atomically and read back whole."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from twincity.results import KPI, Results, replace_dir


def sample_results(value: float = 1.0) -> Results:
    return Results(
        tables={"trips": pd.DataFrame({"trip": [0, 1], "travel_time_s": [60.0, 90.0]})},
        kpis=[KPI("mean_commute_time", value, "min", "EC:I:T:2A"),
              KPI("missing", float("nan"), "")],
        notes=["a note"], provenance={"seed": 3}, scenario={"city": {"name": "X"}})


def test_round_trip(tmp_path: Path) -> None:
    out = sample_results().write(tmp_path / "r")
    back = Results.read(out)
    pd.testing.assert_frame_equal(back.tables["trips"], sample_results().tables["trips"])
    assert back.kpi("mean_commute_time") == 1.0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kpis"][0] == {"name": "mean_commute_time", "value": 1.0, "unit": "min",
                                  "u4ssc": "EC:I:T:2A", "better": "none"}
    assert summary["kpis"][1]["value"] is None  # NaN is written as null, never as invalid JSON


def test_failure_mid_write_leaves_no_partial_folder(tmp_path: Path, monkeypatch) -> None:
    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("twincity.results._write_json", explode)
    with pytest.raises(OSError, match="disk full"):
        sample_results().write(tmp_path / "r")
    assert list(tmp_path.iterdir()) == []  # neither the target nor a temporary folder remains


def test_failure_keeps_the_existing_folder_whole(tmp_path: Path, monkeypatch) -> None:
    out = sample_results(1.0).write(tmp_path / "r")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def explode(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", explode)
    with pytest.raises(OSError):
        sample_results(2.0).write(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_rewrite_replaces_whole_folder(tmp_path: Path) -> None:
    out = sample_results(1.0).write(tmp_path / "r")
    (out / "stale.parquet").write_bytes(b"old")
    sample_results(2.0).write(out)
    assert not (out / "stale.parquet").exists()
    assert Results.read(out).kpi("mean_commute_time") == 2.0


def test_replace_dir_refuses_a_file_target(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    (tmp_path / "new").mkdir()
    with pytest.raises(FileExistsError):
        replace_dir(tmp_path / "new", tmp_path / "f")
