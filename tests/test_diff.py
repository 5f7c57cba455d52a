"""``twincity diff``: paired effects of two scenario files, checked against the per-seed
differences computed by hand and scipy's t-interval."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from conftest import write_variant
from twincity.cli import main
from twincity.errors import InputError
from twincity.experiment.diff import diff

FAST = {"simulation.start_h": 7, "simulation.duration_h": 2, "simulation.equilibrium_days": 1}


def test_diff_effects_are_the_paired_differences(tiny_dir: Path, tmp_path: Path) -> None:
    base = tiny_dir / "tiny.yaml"
    variant = write_variant(tiny_dir, "more_trips.yaml",
                            {"demand": {"trips_per_person_per_day": 4.0}})
    store = tmp_path / "store"
    r = diff(base, variant, seeds=3, overrides=FAST, store=store,
             kpis=["person_trips_per_day", "vehicle_km"])
    assert r.effects["kpi"].tolist() == ["person_trips_per_day", "vehicle_km"]
    wide = r.runs.pivot_table(index=["name", "seed"], columns="scenario", values="value")
    for row in r.effects.itertuples():
        pair = wide.loc[row.kpi]
        d = (pair[str(variant)] - pair[str(base)]).to_numpy()
        lo, hi = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
        assert row.effect == pytest.approx(d.mean())
        assert (row.ci_low, row.ci_high) == pytest.approx((lo, hi))
        assert row.baseline_mean == pytest.approx(pair[str(base)].mean())
    trips = r.effects.set_index("kpi").loc["person_trips_per_day"]
    # 4.0 against 2.5 trips per person: more trips, beyond the seeds' noise
    assert trips["effect"] > 0 and trips["significant"]
    assert trips["judgement"] == "neutral"          # a descriptive KPI: neither good nor bad

    # the command line: the same numbers, as JSON, from the same store (no new runs)
    res = CliRunner().invoke(main, [
        "diff", str(base), str(variant), "--seeds", "3", "--store", str(store), "--json",
        "--kpi", "person_trips_per_day", "--kpi", "vehicle_km", "--quiet",
        "--out", str(tmp_path / "report"),
        *[a for k, v in FAST.items() for a in ("--set", f"{k}={v}")]])
    assert res.exit_code == 0, res.output
    cli = json.loads(res.stdout)
    assert [c["effect"] for c in cli] == pytest.approx(r.effects["effect"].tolist())
    assert "person_trips_per_day" in (tmp_path / "report" / "report.md").read_text()


def test_same_content_gives_zero_effects_and_same_file_is_refused(tiny_dir: Path,
                                                                 tmp_path: Path) -> None:
    base = tiny_dir / "tiny.yaml"
    twin = write_variant(tiny_dir, "twin.yaml", {})
    r = diff(base, twin, seeds=2, overrides=FAST, store=tmp_path / "s", kpis=["vehicle_km"])
    row = r.effects.iloc[0]
    assert row["effect"] == 0                       # same content, same seeds: same day
    assert np.isnan(row["ci_low"]) or row["ci_low"] == row["ci_high"] == 0
    assert not row["significant"]
    with pytest.raises(InputError, match="same file"):
        diff(base, tiny_dir / "." / "tiny.yaml", seeds=2)
