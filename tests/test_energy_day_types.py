"""Weekday and weekend day types: building profiles, annual totals, weekend charging."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import write_variant
from twincity.energy.buildings import (
    DAILY_PROFILES,
    PROFILE_NAMES,
    build_building_groups,
    simulate_buildings,
)
from twincity.energy.weather import HourlyWeather
from twincity.model import CityModel
from twincity.scenario.sections_energy import BuildingsSpec

USES = {
    "office": {"floor_area_m2_per_capita": 10, "envelope_loss_w_per_m2k": 1.0,
               "internal_gains_w_per_m2": 10, "base_electric_kwh_per_m2_yr": 73,
               "profile": "office", "weekend_profile": "unoccupied"},
    "retail": {"floor_area_m2_per_capita": 2, "envelope_loss_w_per_m2k": 1.0,
               "internal_gains_w_per_m2": 15, "base_electric_kwh_per_m2_yr": 150,
               "profile": "retail"},
}
SPEC = BuildingsSpec.model_validate({"uses": USES, "heating_shares": {"gas_boiler": 1.0}})
MILD = HourlyWeather(100, 50.0, 10.0, 1.0, np.full(24, 18.0), np.zeros(24), np.zeros(24),
                     np.zeros(24), 1.0)


def test_annual_base_electricity_is_kept_when_offices_close_at_weekends() -> None:
    pop = np.array([100.0])
    groups = build_building_groups(SPEC, pop, weekday_days=261, weekend_days=104)
    wd = simulate_buildings(groups, MILD, SPEC, day_type="weekday").base_electric_kwh
    we = simulate_buildings(groups, MILD, SPEC, day_type="weekend").base_electric_kwh
    year = 261 * wd.sum(axis=1) + 104 * we.sum(axis=1)
    # the year is the annual benchmark x floor area, whatever the weekend does
    assert year == pytest.approx([100 * 10 * 73, 100 * 2 * 150], rel=1e-12)
    # the closed office runs all weekend day at its weekday night level (the lowest hour)
    office, retail = groups.use_names.index("office"), groups.use_names.index("retail")
    assert np.allclose(we[office], wd[office].min())
    # by hand: weekday energy E, weekend 24·min(shape)·E, 261 E + 104·24·min·E = annual
    shape = DAILY_PROFILES[PROFILE_NAMES.index("office")]
    e_weekday = 100 * 10 * 73 / (261 + 104 * 24 * shape.min())
    assert wd[office].sum() == pytest.approx(e_weekday, rel=1e-12)
    # retail keeps its weekday day at weekends: every day is annual / 365
    assert np.allclose(we[retail], wd[retail])
    assert wd[retail].sum() == pytest.approx(100 * 2 * 150 / 365, rel=1e-12)


def test_weekday_only_years_are_unchanged_and_bad_day_types_are_refused() -> None:
    groups = build_building_groups(SPEC, np.array([100.0]))
    wd = simulate_buildings(groups, MILD, SPEC).base_electric_kwh
    assert wd.sum(axis=1) == pytest.approx([100 * 10 * 73 / 365, 100 * 2 * 150 / 365])
    with pytest.raises(ValueError, match="day_type"):
        simulate_buildings(groups, MILD, SPEC, day_type="holiday")


def test_closed_offices_have_lower_internal_gains_so_need_more_heat_at_weekends() -> None:
    cold = HourlyWeather(15, 60.0, 25.0, 2.0, np.full(24, -5.0), np.zeros(24), np.zeros(24),
                         np.zeros(24), 1.0)
    groups = build_building_groups(SPEC, np.array([100.0]), weekday_days=261,
                                   weekend_days=104)
    office = groups.use_names.index("office")
    wd = simulate_buildings(groups, cold, SPEC, day_type="weekday").heat_kwh_th[office].sum()
    we = simulate_buildings(groups, cold, SPEC, day_type="weekend").heat_kwh_th[office].sum()
    # steady state (constant weather, no sun): heat = UA·ΔT·24 h − the day's gains
    ua_dt = 100 * 10 * 1.0 * (20.0 - (-5.0)) * 24 / 1000  # kWh
    gains_wd = groups.internal_gains_w[office] * 24 / 1000
    gains_we = gains_wd * groups.weekend_shape[office].sum()
    assert wd == pytest.approx(ua_dt - gains_wd, rel=1e-6)
    assert we == pytest.approx(ua_dt - gains_we, rel=1e-6)


def test_weekend_charging_share_scales_the_weekend_days_only(tiny_dir: Path) -> None:
    days = [{"name": "wd", "month": 3, "day_of_month": 1, "weight_days": 261},
            {"name": "we", "month": 3, "day_of_month": 1, "weight_days": 104,
             "day_type": "weekend"}]
    runs = {}
    for share in (None, 0.6):
        path = write_variant(tiny_dir, f"share_{share}.yaml", {
            "climate": {"representative_days": days},
            "charging": {"weekend_energy_share": share},
            "simulation": {"start_h": 7, "duration_h": 3, "equilibrium_days": 2}})
        model = CityModel.from_file(path)
        model.run()
        e = model.energy
        runs[share] = e
    base, scaled = runs[None], runs[0.6]
    assert base.sessions.size > 0
    for d_base, d_scaled in zip(base.days, scaled.days, strict=True):
        # same trips, same weather draws: weekend charging energy × 0.6, weekdays unchanged
        ratio = 0.6 if d_base.name == "we" else 1.0
        assert d_scaled.charging.load_kwh.sum() == pytest.approx(
            ratio * d_base.charging.load_kwh.sum(), rel=1e-9)
    assert any("weekend_energy_share" in n for n in base.notes)
    assert not any("weekend_energy_share" in n for n in scaled.notes)
