"""1R1C building kernel against analytic solutions, and across the three climates."""

from __future__ import annotations

import numpy as np
import pytest

from test_energy_climates import CLIMATES, climate
from twincity.energy.buildings import (
    DAILY_PROFILES,
    build_building_groups,
    heat_pump_cop,
    simulate_buildings,
    simulate_thermal,
)
from twincity.energy.weather import HourlyWeather, synthesize_weather
from twincity.scenario.sections_energy import DAYS_IN_MONTH, BuildingsSpec, HeatPumpSpec

SPEC = {
    "uses": {
        "residential": {
            "floor_area_m2_per_capita": 30,
            "envelope_loss_w_per_m2k": 1.0,
            "internal_gains_w_per_m2": 4,
            "base_electric_kwh_per_m2_yr": 30,
            "profile": "residential",
        },
        "office": {
            "floor_area_m2_per_capita": 10,
            "envelope_loss_w_per_m2k": 1.2,
            "internal_gains_w_per_m2": 10,
            "base_electric_kwh_per_m2_yr": 80,
            "profile": "office",
            "cooling_cop": 3.5,
        },
    },
    "heating_shares": {
        "gas_boiler": 0.3,
        "heat_pump": 0.3,
        "district_heating": 0.2,
        "electric_resistance": 0.1,
        "oil_boiler": 0.1,
    },
    "district_heating_loss_share": 0.1,
}


def test_steady_state_heating_equals_ua_delta_t() -> None:
    ua = np.array([50.0, 250.0, 1000.0])
    t_out = np.full(24, -5.0)
    heat, cool, t_in = simulate_thermal(
        t_out,
        np.zeros(24),
        ua,
        ua * 3.6e4,
        np.zeros((3, 24)),
        np.zeros(3),
        np.full(3, 21.0),
        np.full(3, 26.0),
    )
    assert np.allclose(heat, (ua * 26.0 / 1000.0)[:, None], rtol=1e-9)
    assert np.all(cool == 0.0)
    assert np.allclose(t_in, 21.0)


def test_steady_state_cooling_equals_gains_plus_ua_delta_t() -> None:
    ua, gains = np.array([100.0]), np.full((1, 24), 3000.0)
    _, cool, _ = simulate_thermal(
        np.full(24, 30.0),
        np.zeros(24),
        ua,
        np.array([1e7]),
        gains,
        np.zeros(1),
        np.array([20.0]),
        np.array([25.0]),
    )
    # Heat enters through the envelope (30 > 25 °C) on top of the gains.
    assert np.allclose(cool, (3000.0 + 100.0 * 5.0) / 1000.0, rtol=1e-9)


def test_free_floating_follows_exponential_decay() -> None:
    # Setpoints far away: no control; the hour means of T must match the analytic curve.
    ua, cap, t_out = 200.0, 200.0 * 3600 * 10, 0.0  # τ = 10 h
    _, _, t_in = simulate_thermal(
        np.full(24, t_out),
        np.zeros(24),
        np.array([ua]),
        np.array([cap]),
        np.zeros((1, 24)),
        np.zeros(1),
        np.array([-40.0]),
        np.array([60.0]),
        substeps_per_hour=60,
        warmup_days=0,
    )
    # Started at the heating setpoint −40 °C, relaxing towards 0 °C with τ = 10 h.
    t = np.arange(24)[:, None] + (np.arange(60)[None, :] + 1) / 60.0
    analytic = (t_out + (-40.0 - t_out) * np.exp(-t / 10.0)).mean(axis=1)
    assert np.allclose(t_in[0], analytic, atol=1e-9)


def annual_per_m2(name: str) -> tuple[float, float]:
    spec = BuildingsSpec.model_validate(SPEC)
    groups = build_building_groups(spec, np.array([1000.0, 400.0]))
    lat, lon, tz = CLIMATES[name][1:]
    heat = cool = 0.0
    for m in range(12):
        w = synthesize_weather(
            climate(name), lat, lon, tz, sum(DAYS_IN_MONTH[:m]) + 15, np.random.default_rng(m)
        )
        e = simulate_buildings(groups, w, spec)
        heat += e.heat_kwh_th.sum() * DAYS_IN_MONTH[m]
        cool += e.cool_kwh_th.sum() * DAYS_IN_MONTH[m]
    area = groups.floor_area_m2.sum()
    return heat / area, cool / area


def test_heating_and_cooling_follow_the_climates() -> None:
    h = {n: annual_per_m2(n) for n in CLIMATES}
    assert h["helsinki"][0] > 1.5 * h["seoul"][0] > 0.0
    assert h["singapore"][0] == 0.0
    assert h["singapore"][1] > h["seoul"][1] > h["helsinki"][1]
    # Heating per m² scales roughly with HDD (4,340 vs 2,530 ≈ 1.7) less internal gains.
    assert 1.5 < h["helsinki"][0] / h["seoul"][0] < 3.5


def test_final_energy_by_carrier_follows_shares_and_efficiencies() -> None:
    spec = BuildingsSpec.model_validate(SPEC)
    groups = build_building_groups(spec, np.array([100.0]))
    w = HourlyWeather(
        15,
        60.0,
        25.0,
        2.0,
        np.linspace(-15.0, 5.0, 24),
        np.zeros(24),
        np.zeros(24),
        np.zeros(24),
        0.8,
    )
    e = simulate_buildings(groups, w, spec)
    q = e.heat_kwh_th
    assert q.sum() > 0
    assert np.allclose(e.gas_kwh, q * 0.3 / 0.9)
    assert np.allclose(e.oil_kwh, q * 0.1 / 0.85)
    assert np.allclose(e.district_heat_kwh, q * 0.2 / 0.9)
    assert np.allclose(e.resistance_electric_kwh, q * 0.1)
    cop = heat_pump_cop(w.temp_c, spec.heat_pump)
    assert np.allclose(e.heat_pump_electric_kwh * cop, q * 0.3)
    # Base load: annual intensity / 365 spread by the daily profile.
    assert e.base_electric_kwh.sum() == pytest.approx(100 * (30 * 30 + 10 * 80) / 365)
    assert np.allclose(DAILY_PROFILES.sum(axis=1), 1.0)
    assert int(np.argmax(e.base_electric_kwh[0])) in (19, 20)  # residential evening peak
    assert 8 <= int(np.argmax(e.base_electric_kwh[1])) <= 16  # office daytime


def test_hot_water_adds_its_annual_heat_through_the_heating_systems() -> None:
    """Hot water is heat the heating systems supply on top of space heat: the same
    building with 35 kWh/(m² yr) of hot water draws 35 × floor / 365 more useful heat a day
    (a weekday-only year), split by the same shares and efficiencies; space heat and
    electricity are unchanged."""
    with_dhw = {**SPEC, "uses": {**SPEC["uses"], "residential": {
        **SPEC["uses"]["residential"], "hot_water_kwh_per_m2_yr": 35}}}
    w = HourlyWeather(15, 60.0, 25.0, 2.0, np.linspace(-15.0, 5.0, 24), np.zeros(24),
                      np.zeros(24), np.zeros(24), 0.8)
    runs = []
    for raw in (SPEC, with_dhw):
        spec = BuildingsSpec.model_validate(raw)
        runs.append(simulate_buildings(build_building_groups(spec, np.array([100.0])), w, spec))
    base, dhw = runs
    extra = 100 * 30 * 35 / 365  # 100 residents × 30 m² × 35 kWh/m² over 365 weekdays
    assert dhw.hot_water_kwh_th.sum() == pytest.approx(extra)
    assert dhw.hot_water_kwh_th[1].sum() == 0.0  # the office has none
    assert np.array_equal(dhw.heat_kwh_th, base.heat_kwh_th)
    assert np.array_equal(dhw.base_electric_kwh, base.base_electric_kwh)
    assert (dhw.gas_kwh - base.gas_kwh).sum() == pytest.approx(extra * 0.3 / 0.9)
    fed = (dhw.district_heat_kwh - base.district_heat_kwh).sum()
    assert fed == pytest.approx(extra * 0.2 / 0.9)
    assert (dhw.resistance_electric_kwh - base.resistance_electric_kwh).sum() == pytest.approx(
        extra * 0.1)
    # drawn over the day by the residential profile (evening peak)
    assert int(np.argmax(dhw.hot_water_kwh_th[0])) in (19, 20)


def test_heat_pump_cop_falls_with_outdoor_temperature() -> None:
    t = np.linspace(-20.0, 15.0, 8)
    for model in ("staffell_ashp", "carnot"):
        cop = heat_pump_cop(t, HeatPumpSpec(model=model))
        assert np.all(np.diff(cop) > 0) and cop.min() >= 1.0
    # Staffell et al. (2012): ASHP at ΔT = 40 K → 6.08 − 3.6 + 0.8 = 3.28 before correction.
    cop40 = heat_pump_cop(np.array([0.0]), HeatPumpSpec(sink_temp_c=40, correction_factor=1))
    assert cop40[0] == pytest.approx(3.28)
    gshp = heat_pump_cop(t, HeatPumpSpec(model="staffell_gshp"))
    assert np.allclose(gshp, gshp[0])
