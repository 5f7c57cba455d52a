"""Sensitivity sweep (SALib) over scenario overrides on the tiny city.

Independent truth: with common random numbers, a parameter that a KPI does
not depend on (residential floor area for traffic KPIs) gets Sobol indices of
exactly 0, and the one it depends on carries the variance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from twincity.cli import main
from twincity.errors import InputError
from twincity.experiment.sweep import SweepWarning, parse_param, sample_params, sweep

TINY = Path(__file__).parent / "data" / "tiny.yaml"
FAST = {"simulation.equilibrium_days": 1, "simulation.duration_h": 3}
RATE = "demand.trips_per_person_per_day"
AREA = "buildings.uses.residential.floor_area_m2_per_capita"
PARAMS = {RATE: (2.0, 2.8), AREA: (20.0, 40.0)}
KPIS = ["person_trips_per_day", "vehicle_km", "electricity_per_capita"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("store")


@pytest.fixture(scope="module")
def result(store: Path):
    return sweep(TINY, PARAMS, kpis=KPIS, samples=8, overrides=FAST, store=store)


def test_sobol_sample_size_and_bounds(result) -> None:
    assert len(result.samples) == 8 * (len(PARAMS) + 2)      # N·(D+2), no second order
    for key, (low, high) in PARAMS.items():
        assert result.samples[key].between(low, high).all()
    # the same row of parameters is the same run
    assert result.samples["run_id"].nunique() == len(result.samples.drop_duplicates(list(PARAMS)))


def test_a_parameter_a_kpi_ignores_gets_zero_indices(result) -> None:
    idx = result.indices.set_index(["kpi", "param"])
    for kpi in ("person_trips_per_day", "vehicle_km"):
        assert idx.loc[(kpi, AREA), "S1"] == 0 and idx.loc[(kpi, AREA), "ST"] == 0
        assert idx.loc[(kpi, RATE), "ST"] > 0.5
    # electricity depends on the trip rate only through EV charging: a tiny index
    assert idx.loc[("electricity_per_capita", RATE), "ST"] < 1e-3
    assert idx.loc[("electricity_per_capita", AREA), "ST"] > 0.5


def test_lhs_and_rbd_fast(store: Path) -> None:
    r = sweep(TINY, PARAMS, kpis=["vehicle_km"], samples=16, method="lhs", overrides=FAST,
              store=store)
    assert len(r.samples) == 16
    # a Latin hypercube: one sample in each of the 16 equal strata of every parameter
    for key, (low, high) in PARAMS.items():
        strata = np.floor((r.samples[key] - low) / (high - low) * 16).clip(0, 15)
        assert sorted(strata.astype(int)) == list(range(16))
    idx = r.indices.set_index("param")
    assert idx.loc[RATE, "S1"] > idx.loc[AREA, "S1"]
    assert idx["ST"].isna().all()                             # RBD-FAST: first order only


def test_integer_bounds_give_integers() -> None:
    x = sample_params({"simulation.equilibrium_days": (1, 4)}, 8, "sobol", seed=1)
    assert np.array_equal(x, np.rint(x)) and x.min() >= 1 and x.max() <= 4


def test_bad_input() -> None:
    assert parse_param("a.b=1:2.5") == ("a.b", (1, 2.5))
    for text in ("a.b", "a.b=1", "a.b=2:1", "a.b=x:2"):
        with pytest.raises(InputError):
            parse_param(text)
    with pytest.raises(InputError, match="both fixed and uncertain"):
        sweep(TINY, PARAMS, kpis=["vehicle_km"], overrides={RATE: 2.0})


def test_cli_sweep(result, store: Path, tmp_path: Path) -> None:
    args = ["sweep", str(TINY), "--param", f"{RATE}=2.0:2.8", "--param", f"{AREA}=20.0:40.0",
            "--kpi", "vehicle_km", "--samples", "8", "--store", str(store),
            "--set", "simulation.equilibrium_days=1", "--set", "simulation.duration_h=3",
            "--out", str(tmp_path / "s.parquet"), "--quiet"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "ST" in res.output and AREA in res.output
    assert (tmp_path / "s.parquet").is_file() and (tmp_path / "s.indices.parquet").is_file()
    res = CliRunner().invoke(main, ["sweep", str(TINY), "--param", "x=2:1", "--kpi", "v"])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1



def test_too_few_samples_are_flagged_not_silently_reported(result, store: Path) -> None:
    # N = 8 is below the Sobol minimum: the result says its indices are noise, and warns
    assert any("8 base samples are too few" in n for n in result.notes)
    with pytest.warns(SweepWarning, match="too few for Sobol"):
        again = sweep(TINY, PARAMS, kpis=KPIS, samples=8, overrides=FAST, store=store)
    assert again.notes == result.notes          # the finished runs are reused: same indices
    res = CliRunner().invoke(main, ["sweep", "--help"])
    assert "N·(D+2) runs" in " ".join(res.output.split())
