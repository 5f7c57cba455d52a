"""Energy subsystem in the model: hourly balance, weighted year, charging, climates, seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import SCENARIOS, write_variant
from twincity.energy.ev import bev_temperature_factor
from twincity.model import CityModel

STRATEGIES = ("uncontrolled", "off_peak", "carbon_aware")

# PV, batteries and a merit order with solar, so every term of the balance is non-zero.
RICH_ENERGY = {
    "buildings": {"rooftop_pv": {"per_capita_kwp": 1.5}, "battery": {
        "per_capita_kwh": 1.0, "per_capita_kw": 0.5, "round_trip_efficiency": 0.85}},
    "grid": {"hourly_intensity_g_per_kwh": None, "transmission_loss_share": 0.05,
             "generators": [
                 {"fuel": "solar", "capacity_mw": 20, "marginal_cost_per_mwh": 0,
                  "co2_kg_per_kwh": 0.0},
                 {"fuel": "nuclear", "capacity_mw": 5, "marginal_cost_per_mwh": 10,
                  "co2_kg_per_kwh": 0.0},
                 {"fuel": "gas", "capacity_mw": 8, "marginal_cost_per_mwh": 80,
                  "co2_kg_per_kwh": 0.4},
                 {"fuel": "imports", "capacity_mw": 2, "marginal_cost_per_mwh": 60,
                  "co2_kg_per_kwh": 0.5}]},
}


@pytest.fixture(scope="module")
def strategy_runs(tmp_path_factory) -> dict:
    """The tiny city run once per charging strategy (same seed, so the same trips)."""
    tiny = Path(__file__).parent / "data" / "tiny.yaml"
    out = {}
    for s in STRATEGIES:
        model = CityModel.from_file(tiny, overrides={"charging.strategy": s})
        out[s] = (model, model.run())
    return out


def _relative_imbalance(h: pd.DataFrame) -> np.ndarray:
    """(supply − demand − losses − storage change) / the hour's throughput."""
    supply = h["generation_kwh"] + h["unserved_kwh"] + h["pv_kwh"]
    demand = h["buildings_electric_kwh"] + h["ev_charging_kwh"] + h["background_load_kwh"]
    losses = h["grid_losses_kwh"] + h["battery_losses_kwh"]
    storage = h["battery_soc_kwh"] - h["battery_soc_start_kwh"]
    residual = supply - (demand + h["surplus_kwh"] + losses + storage)
    scale = supply + demand + h["surplus_kwh"] + losses + storage.abs() \
        + h["battery_charge_kwh"] + h["battery_discharge_kwh"]
    return (residual / scale).to_numpy()


def test_energy_balance_closes_every_hour(tiny_dir: Path) -> None:
    path = write_variant(tiny_dir, "rich.yaml", RICH_ENERGY)
    model = CityModel.from_file(path)
    h = model.run().tables["energy_hourly"]
    assert len(h) == 24 * len(model.city.spec.climate.representative_days)
    assert np.abs(_relative_imbalance(h)).max() < 1e-9
    # every term is exercised: PV, battery cycling, losses, generation by several fuels
    assert h["pv_kwh"].sum() > 0 and h["battery_discharge_kwh"].sum() > 0
    assert h["battery_losses_kwh"].sum() > 0 and h["grid_losses_kwh"].sum() > 0
    assert h["gen_gas_kwh"].sum() > 0 and h["gen_solar_kwh"].sum() > 0
    # storage: charge − discharge = Δ state of charge + losses, hour by hour
    np.testing.assert_allclose(
        h["battery_charge_kwh"] - h["battery_discharge_kwh"],
        h["battery_soc_kwh"] - h["battery_soc_start_kwh"] + h["battery_losses_kwh"],
        rtol=1e-9, atol=1e-9)


def test_energy_balance_with_a_given_intensity_series(strategy_runs) -> None:
    h = strategy_runs["uncontrolled"][1].tables["energy_hourly"]
    assert np.abs(_relative_imbalance(h)).max() < 1e-9


def test_yearly_kpis_are_days_times_weights(tiny_dir: Path) -> None:
    days = [{"name": "cold", "month": 1, "day_of_month": 20, "weight_days": 300},
            {"name": "hot", "month": 8, "day_of_month": 5, "weight_days": 65}]
    swapped = [{**days[0], "weight_days": 65}, {**days[1], "weight_days": 300}]
    runs = []
    for name, rep in (("a.yaml", days), ("b.yaml", swapped)):
        path = write_variant(tiny_dir, name, {"climate": {"representative_days": rep}})
        model = CityModel.from_file(path, subsystems=("energy",))
        runs.append((model, model.run()))
    (model, res), (_, res_b) = runs
    h = res.tables["energy_hourly"]
    daily = h.groupby("day")[["buildings_electric_kwh", "ev_charging_kwh"]].sum().sum(axis=1)
    pop = model.city.spec.city.population
    expected = (300 * daily["cold"] + 65 * daily["hot"]) / pop
    assert res.kpi("electricity_per_capita") == pytest.approx(expected, rel=1e-12)
    # same days (same weather draws), weights swapped: linear in the weights
    a, b = res.kpi("electricity_per_capita"), res_b.kpi("electricity_per_capita")
    assert a + b == pytest.approx(365 * daily.sum() / pop, rel=1e-12)
    assert a - b == pytest.approx(235 * (daily["cold"] - daily["hot"]) / pop, rel=1e-9)
    # the cold day needs more electricity here (heat pumps), so more weight on it means more
    assert daily["cold"] != daily["hot"]


def test_charging_strategies_move_load_but_keep_its_energy(strategy_runs) -> None:
    model, res = strategy_runs["uncontrolled"]
    trips = res.tables["trips"]
    bev = trips[(trips["veh_class"] == "bev_car") & trips["arrival_s"].notna()]
    eff = model.city.spec.charging.charger_efficiency
    expected_kwh = bev["energy_kwh"].sum() / model.traffic.share / eff  # grid-side, per day
    assert expected_kwh > 0
    profiles = {}
    base = None
    for s in STRATEGIES:
        m, r = strategy_runs[s]
        h = r.tables["energy_hourly"]
        per_day = h.groupby("day", sort=False)["ev_charging_kwh"].sum()
        # battery energy at the optimum × the day's temperature factor (Geotab curve), which
        # lies between its smallest and largest hourly value that day
        for d in m.energy.days:
            f = bev_temperature_factor(d.weather.temp_c)
            assert f.min() * expected_kwh * (1 - 1e-9) <= per_day[d.name]
            assert per_day[d.name] <= f.max() * expected_kwh * (1 + 1e-9)
        base = per_day.to_numpy() if base is None else base
        np.testing.assert_allclose(per_day.to_numpy(), base, rtol=1e-9)  # strategies move load
        assert all(d.charging.unmet_kwh.sum() < 1e-9 * expected_kwh for d in m.energy.days)
        profiles[s] = h[h["day"] == h["day"].iloc[0]]["ev_charging_kwh"].to_numpy()
    night = np.r_[0:6, 22:24]
    assert profiles["off_peak"][night].sum() > profiles["uncontrolled"][night].sum() + 1.0
    assert not np.allclose(profiles["carbon_aware"], profiles["uncontrolled"])


def test_carbon_aware_charging_emits_less(strategy_runs) -> None:
    def charging_co2(s: str) -> float:
        h = strategy_runs[s][1].tables["energy_hourly"]
        # second implementation: load × the hour's intensity × weight (no PV in tiny)
        return float((h["ev_charging_kwh"] * h["delivered_intensity_kg_per_kwh"]
                      * h["weight_days"]).sum())

    em = {s: strategy_runs[s][1].tables["emissions"].set_index("source") for s in STRATEGIES}
    for s in STRATEGIES:
        assert em[s].loc["electricity_ev_charging", "co2_t_per_yr"] == pytest.approx(
            charging_co2(s) / 1000.0, rel=1e-9)
    assert charging_co2("carbon_aware") < charging_co2("uncontrolled")
    assert charging_co2("carbon_aware") <= charging_co2("off_peak")


def _per_m2(city: str) -> tuple[float, float]:
    model = CityModel.from_file(SCENARIOS / f"{city}.yaml", subsystems=("energy",),
                                overrides={"simulation.duration_h": 1})
    h = model.run().tables["energy_hourly"]
    area = model.energy.groups.floor_area_m2.sum()
    return ((h["heat_kwh_th"] * h["weight_days"]).sum() / area,
            (h["cool_kwh_th"] * h["weight_days"]).sum() / area)


def test_climates_through_the_model() -> None:
    heat = {}
    cool = {}
    for c in ("helsinki", "singapore", "sejong"):
        heat[c], cool[c] = _per_m2(c)
    assert heat["singapore"] == 0.0
    assert heat["helsinki"] > 40.0  # kWh_th per m² and year
    assert heat["helsinki"] > heat["sejong"] > heat["singapore"]
    assert cool["singapore"] > max(cool["helsinki"], cool["sejong"])


def test_deterministic_per_seed(tiny_path: Path) -> None:
    def run(seed: int):
        r = CityModel.from_file(tiny_path, seed=seed).run()
        return r.tables["energy_hourly"], r.tables["emissions"]

    (h1, e1), (h2, e2), (h3, _) = run(4), run(4), run(5)
    pd.testing.assert_frame_equal(h1, h2)
    pd.testing.assert_frame_equal(e1, e2)
    assert not np.array_equal(h1["temp_c"], h3["temp_c"])  # weather follows the seed


@pytest.mark.parametrize(("fuel", "pv_kwp", "expected"), [
    ("hydro", 0.0, 1.0), ("nuclear", 0.0, 0.0), ("nuclear", 0.5, None)])
def test_renewable_share_bounds(tiny_dir: Path, fuel: str, pv_kwp: float, expected) -> None:
    path = write_variant(tiny_dir, f"{fuel}.yaml", {
        "buildings": {"rooftop_pv": {"per_capita_kwp": pv_kwp}},
        "grid": {"hourly_intensity_g_per_kwh": None, "generators": [
            {"fuel": fuel, "capacity_mw": 100, "marginal_cost_per_mwh": 1,
             "co2_kg_per_kwh": 0.0}]}})
    model = CityModel.from_file(path, subsystems=("energy",))
    res = model.run()
    share = res.kpi("renewable_share")
    if expected is not None:
        assert share == expected
    else:  # only the city's own PV is renewable: PV used over electricity used
        h = res.tables["energy_hourly"]
        used = ((h["buildings_electric_kwh"] + h["ev_charging_kwh"]) * h["weight_days"]).sum()
        pv = ((h["pv_kwh"] - h["surplus_kwh"]).clip(lower=0) * h["weight_days"]).sum()
        assert share == pytest.approx(pv / used, rel=1e-9)
        assert 0.0 < share < 1.0
