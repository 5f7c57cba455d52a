"""Merit-order dispatch: least cost (vs a linear program), imports priced like any unit,
must-run and energy-limited units, intensities, energy balance."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from test_energy_climates import CLIMATES, climate
from twincity.energy.buildings import build_building_groups, simulate_buildings
from twincity.energy.charging import charging_load_kwh
from twincity.energy.grid import dispatch_grid, dispatch_merit_order, net_load_kwh
from twincity.energy.pv import pv_output_kwh
from twincity.energy.storage import self_consumption_dispatch
from twincity.energy.weather import synthesize_weather
from twincity.scenario.sections_energy import BuildingsSpec, ChargingSpec, GridSpec

GRID = {
    "generators": [
        {"fuel": "nuclear", "capacity_mw": 60, "marginal_cost_per_mwh": 10, "co2_g_per_kwh": 12},
        {"fuel": "coal", "capacity_mw": 40, "marginal_cost_per_mwh": 40, "co2_g_per_kwh": 950},
        {"fuel": "gas", "capacity_mw": 50, "marginal_cost_per_mwh": 70, "co2_g_per_kwh": 420},
        {"fuel": "solar", "capacity_mw": 30, "marginal_cost_per_mwh": 0, "co2_g_per_kwh": 40},
        {
            "fuel": "wind",
            "capacity_mw": 20,
            "marginal_cost_per_mwh": 0,
            "co2_g_per_kwh": 11,
            "availability": 0.3,
        },
        {"fuel": "imports", "capacity_mw": 15, "marginal_cost_per_mwh": 100, "co2_g_per_kwh": 500},
    ],
    "transmission_loss_share": 0.04,
}


def test_dispatch_is_least_cost_like_a_linear_program() -> None:
    rng = np.random.default_rng(11)
    n_gen, n_t = 6, 24
    cap = rng.uniform(10.0, 60.0, n_gen)
    cost = rng.uniform(0.0, 100.0, n_gen)
    avail = rng.uniform(0.2, 1.0, (n_gen, n_t))
    net = rng.uniform(-10.0, 0.9 * (cap[:, None] * avail).sum(axis=0), n_t)
    r = dispatch_merit_order(net, cap, avail, cost, rng.uniform(0, 1, n_gen), loss_share=0.05)
    for t in range(n_t):
        need = max(net[t], 0.0) / 0.95
        lp = linprog(
            cost,
            A_eq=np.ones((1, n_gen)),
            b_eq=[need],
            bounds=[(0.0, c * a) for c, a in zip(cap, avail[:, t], strict=True)],
        )
        assert lp.status == 0
        assert cost @ r.generation_kwh[:, t] == pytest.approx(lp.fun, rel=1e-9, abs=1e-9)
    assert np.all(r.unserved_kwh == 0.0)


def test_dear_imports_come_after_domestic_plant_and_shortfall_is_unserved() -> None:
    spec = GridSpec.model_validate(GRID)
    solar = np.zeros(24)
    net = np.full(24, 150_000.0)  # kWh: above 60+40+50+6 MW domestic, below with imports
    r = dispatch_grid(spec, net, solar_availability=solar)
    by_fuel = r.generation_by_fuel_kwh()
    assert np.all(by_fuel["imports"] > 0) and np.all(by_fuel["gas"] == 50_000.0)
    assert np.allclose(r.unserved_kwh, 0.0)
    short = dispatch_grid(spec, np.full(24, 200_000.0), solar_availability=solar)
    assert np.allclose(short.unserved_kwh, 200_000.0 / 0.96 - (60 + 40 + 50 + 6 + 15) * 1000)


def test_average_and_marginal_intensity() -> None:
    spec = GridSpec.model_validate(GRID)
    r = dispatch_grid(spec, np.full(24, 80_000.0 * 0.96), solar_availability=np.zeros(24))
    # 80 MWh: wind 6, nuclear 60, coal 14 → coal is marginal.
    assert np.allclose(r.marginal_intensity_kg_per_kwh, 0.95)
    expected = (6 * 0.011 + 60 * 0.012 + 14 * 0.95) / 80
    assert np.allclose(r.average_intensity_kg_per_kwh, expected)
    assert np.allclose(r.co2_kg, expected * 80_000.0)
    fixed = GridSpec.model_validate(
        {"hourly_intensity_kg_per_kwh": list(np.linspace(0.2, 0.6, 24))}
    )
    rf = dispatch_grid(fixed, np.ones(24))
    assert np.allclose(rf.average_intensity_kg_per_kwh, np.linspace(0.2, 0.6, 24))


def test_energy_balance_closes_every_hour_with_pv_battery_and_charging() -> None:
    name = "seoul"
    lat, lon, tz = CLIMATES[name][1:]
    weather = synthesize_weather(climate(name), lat, lon, tz, 140, np.random.default_rng(2))
    spec = BuildingsSpec.model_validate(
        {
            "uses": {
                "residential": {
                    "floor_area_m2_per_capita": 30,
                    "envelope_loss_w_per_m2k": 1.0,
                    "internal_gains_w_per_m2": 4,
                    "base_electric_kwh_per_m2_yr": 30,
                    "profile": "residential",
                }
            },
            "heating_shares": {"heat_pump": 1.0},
        }
    )
    pop = np.array([5000.0, 2000.0, 8000.0])
    groups = build_building_groups(spec, pop)
    b = simulate_buildings(groups, weather, spec)
    zone_elec = np.zeros((3, 24))
    np.add.at(zone_elec, groups.zone, b.electricity_kwh)
    pv = pv_output_kwh(weather, pop * 1.5, 0.8)  # 1.5 kWp per capita: midday surplus
    rng = np.random.default_rng(5)
    n = 3000
    ch = charging_load_kwh(
        rng.uniform(16, 22, n),
        rng.uniform(6, 9, n),
        rng.uniform(2, 20, n),
        np.full(n, 7.4),
        rng.integers(0, 3, n),
        3,
        ChargingSpec(),
    )
    load = zone_elec + ch.load_kwh
    bat = self_consumption_dispatch(load, pv, pop * 2.0, pop * 1.0, 0.9, pop * 1.0)
    net_zone = net_load_kwh(load, 0.0, pv, bat.charge_kwh, bat.discharge_kwh)
    net = net_zone.sum(axis=0)
    g = dispatch_grid(
        GridSpec.model_validate(GRID), net, solar_availability=pv_output_kwh(weather, 1.0, 0.8)
    )
    assert np.any(net < 0) and np.any(net > 0)
    supply = (
        g.generation_kwh.sum(axis=0)
        + g.unserved_kwh
        + pv.sum(axis=0)
        + bat.discharge_kwh.sum(axis=0)
    )
    demand = load.sum(axis=0) + g.losses_kwh + bat.charge_kwh.sum(axis=0) + g.surplus_kwh
    assert np.allclose(supply, demand, rtol=1e-9, atol=0.0)
    # Storage change = charge − discharge − battery losses, per hour.
    prev = np.concatenate([pop[:, None] * 1.0, bat.soc_kwh[:, :-1]], axis=1)
    d_soc = (bat.soc_kwh - prev).sum(axis=0)
    stored = (bat.charge_kwh - bat.discharge_kwh - bat.losses_kwh).sum(axis=0)
    assert np.allclose(d_soc, stored, rtol=1e-9, atol=1e-9)


def test_grid_spec_needs_exactly_one_supply_description() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="exactly one"):
        GridSpec.model_validate({**GRID, "hourly_intensity_kg_per_kwh": [0.4] * 24})
    with pytest.raises(ValidationError, match="exactly one"):
        GridSpec.model_validate({"transmission_loss_share": 0.05})
    wind_only = GridSpec.model_validate({"generators": [
        {"fuel": "wind", "capacity_mw": 1, "marginal_cost_per_mwh": 0, "co2_kg_per_kwh": 0}]})
    with pytest.raises(ValueError, match="wind_availability"):
        dispatch_grid(wind_only, np.ones(24))
    r = dispatch_grid(wind_only, np.full(24, 100.0), wind_availability=np.linspace(0, 0.23, 24))
    assert np.allclose(r.generation_kwh[0], np.minimum(np.linspace(0, 230, 24), 100.0))


def test_fleet_share_scales_the_merit_order_to_the_city() -> None:
    full = GridSpec.model_validate(GRID)
    tenth = GridSpec.model_validate({**GRID, "fleet_share": 0.1})
    solar = np.zeros(24)
    a = dispatch_grid(full, np.full(24, 80_000.0), solar_availability=solar)
    b = dispatch_grid(tenth, np.full(24, 8_000.0), solar_availability=solar)
    assert np.allclose(b.generation_kwh * 10.0, a.generation_kwh, rtol=1e-12)
    assert np.allclose(b.marginal_intensity_kg_per_kwh, a.marginal_intensity_kg_per_kwh)


def test_background_load_shifts_the_city_up_the_merit_order() -> None:
    solar = np.zeros(24)
    alone = dispatch_grid(
        GridSpec.model_validate(GRID), np.full(24, 10_000.0), solar_availability=solar
    )
    spec = GridSpec.model_validate({**GRID, "background_load_mw": 100.0, "fleet_share": 0.5})
    shared = dispatch_grid(spec, np.full(24, 10_000.0), solar_availability=solar)
    assert np.allclose(shared.background_kwh, 50_000.0)
    assert np.allclose(alone.marginal_intensity_kg_per_kwh, 0.012)  # nuclear has room
    # 60 MWh on a half-size fleet: wind 3 + nuclear 30, coal 20 full, gas marginal.
    assert np.allclose(shared.marginal_intensity_kg_per_kwh, 0.42)
    supply = shared.generation_kwh.sum(axis=0) + shared.unserved_kwh
    assert np.allclose(supply, 60_000.0 + shared.losses_kwh, rtol=1e-9, atol=0.0)
    with pytest.raises(Exception, match="background load"):
        GridSpec.model_validate({**GRID, "background_load_mw": [1.0] * 23})


# A hand-built merit order where the order is obvious: a 60 EUR/MWh import line before
# 70 EUR/MWh coal, 110 gas and 200 oil (the Finnish case of issue 10).
CHEAP_IMPORT = [
    {"fuel": "nuclear", "capacity_mw": 10, "marginal_cost_per_mwh": 10, "co2_kg_per_kwh": 0.0},
    {"fuel": "coal", "capacity_mw": 10, "marginal_cost_per_mwh": 70, "co2_kg_per_kwh": 0.9},
    {"fuel": "gas", "capacity_mw": 10, "marginal_cost_per_mwh": 110, "co2_kg_per_kwh": 0.4},
    {"fuel": "oil", "capacity_mw": 10, "marginal_cost_per_mwh": 200, "co2_kg_per_kwh": 0.7},
    {"fuel": "imports", "capacity_mw": 5, "marginal_cost_per_mwh": 60, "co2_kg_per_kwh": 0.05},
]


def test_a_cheaper_import_is_dispatched_before_dearer_domestic_fossil_plant() -> None:
    spec = GridSpec.model_validate({"generators": CHEAP_IMPORT})
    # 18 MWh: nuclear 10, imports 5 (60), coal 3 (70); gas and oil idle.
    r = dispatch_grid(spec, np.full(24, 18_000.0))
    g = r.generation_by_fuel_kwh()
    assert np.allclose(g["imports"], 5_000.0) and np.allclose(g["coal"], 3_000.0)
    assert np.allclose(g["gas"], 0.0) and np.allclose(g["oil"], 0.0)
    assert np.allclose(r.marginal_intensity_kg_per_kwh, 0.9)
    # 14 MWh: the import line is marginal (coal idle).
    r = dispatch_grid(spec, np.full(24, 14_000.0))
    assert np.allclose(r.generation_by_fuel_kwh()["coal"], 0.0)
    assert np.allclose(r.marginal_intensity_kg_per_kwh, 0.05)


def test_must_run_runs_before_cheaper_units_and_follows_the_month() -> None:
    units = [dict(u) for u in CHEAP_IMPORT]
    units[1]["must_run"] = [0.5] * 3 + [0.0] * 9  # heat-led coal CHP, January-March only
    spec = GridSpec.model_validate({"generators": units})
    jan = dispatch_grid(spec, np.full(24, 14_000.0), month=1)
    g = jan.generation_by_fuel_kwh()
    # coal 5 must-run, nuclear 9 (cheapest with room) and the import idle
    assert np.allclose(g["coal"], 5_000.0) and np.allclose(g["nuclear"], 9_000.0)
    assert np.allclose(g["imports"], 0.0)
    assert np.allclose(jan.average_intensity_kg_per_kwh, 5 * 0.9 / 14)
    jul = dispatch_grid(spec, np.full(24, 14_000.0), month=7)
    assert np.allclose(jul.generation_by_fuel_kwh()["coal"], 0.0)
    # must-run above the need is curtailed pro rata, never exported
    low = dispatch_grid(spec, np.full(24, 2_000.0), month=1)
    assert np.allclose(low.generation_kwh.sum(axis=0), 2_000.0)
    assert np.allclose(low.average_intensity_kg_per_kwh, 0.9)


def test_energy_limited_hydro_shaves_the_peak_and_keeps_its_budget() -> None:
    units = [
        {"fuel": "nuclear", "capacity_mw": 10, "marginal_cost_per_mwh": 10, "co2_kg_per_kwh": 0},
        {"fuel": "hydro", "capacity_mw": 10, "marginal_cost_per_mwh": 5, "co2_kg_per_kwh": 0,
         "daily_energy_share": 0.1},  # 24 MWh a day
        {"fuel": "gas", "capacity_mw": 30, "marginal_cost_per_mwh": 110, "co2_kg_per_kwh": 0.4},
    ]
    spec = GridSpec.model_validate({"generators": units})
    load = np.where(np.arange(24) < 12, 8_000.0, 20_000.0)  # a night and a day
    r = dispatch_grid(spec, load)
    hydro = r.generation_by_fuel_kwh()["hydro"]
    assert hydro.sum() == pytest.approx(24_000.0, rel=1e-9)
    # the water goes to the 12 day hours (2 MWh each), none to the night
    assert np.allclose(hydro[:12], 0.0) and np.allclose(hydro[12:], 2_000.0)
    assert np.allclose(r.generation_kwh.sum(axis=0) + r.unserved_kwh, load)
    # one more kWh comes from the thermal margin, not from the spent water
    assert np.allclose(r.marginal_intensity_kg_per_kwh[12:], 0.4)
    assert np.allclose(r.marginal_intensity_kg_per_kwh[:12], 0.0)  # nuclear has room
    # a budget larger than the residual load leaves hydro following the load
    wet = GridSpec.model_validate({"generators": [units[1]]})
    r = dispatch_grid(wet, np.full(24, 1_000.0))
    assert np.allclose(r.generation_kwh[0], 1_000.0)


def test_generation_equals_load_every_hour_on_a_random_system() -> None:
    rng = np.random.default_rng(3)
    n_gen, n_t = 7, 24
    cap = rng.uniform(10.0, 60.0, n_gen)
    avail = rng.uniform(0.2, 1.0, (n_gen, n_t))
    must = rng.uniform(0.0, 0.3, n_gen)
    budget = np.where(np.arange(n_gen) < 2, rng.uniform(50, 300, n_gen), np.nan)
    net = rng.uniform(-20.0, 1.1 * (cap[:, None] * avail).sum(axis=0), n_t)
    r = dispatch_merit_order(net, cap, avail, rng.uniform(0, 100, n_gen),
                             rng.uniform(0, 1, n_gen), must_run=must,
                             daily_energy_kwh=budget, loss_share=0.04)
    need = np.maximum(net, 0.0) / 0.96
    assert np.allclose(r.generation_kwh.sum(axis=0) + r.unserved_kwh, need, rtol=1e-12)
    assert np.all(r.generation_kwh <= cap[:, None] * avail + 1e-9)
    assert np.all(r.generation_kwh[:2].sum(axis=1) <= budget[:2] * (1 + 1e-9))
