"""Energy scenario sections: validation messages and unit aliases."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from twincity.scenario.sections_energy import (
    BuildingsSpec,
    ChargingSpec,
    ClimateSpec,
    HeatingShares,
    PowerPlantSpec,
    RepresentativeDay,
    RooftopPVSpec,
)

NORMALS = {"monthly_mean_temp_c": [0.0] * 12, "diurnal_range_c": 8.0, "cloudiness": [0.5] * 12}


def test_heating_shares_must_sum_to_one_with_the_total_in_the_message() -> None:
    with pytest.raises(ValidationError, match=r"shares must sum to 1, got 0\.9 "):
        HeatingShares(gas_boiler=0.3, heat_pump=0.4, district_heating=0.2)
    s = HeatingShares(gas_boiler=0.1, heat_pump=0.2, district_heating=0.7)
    assert s.oil_boiler == 0.0


def test_default_representative_days_cover_the_year() -> None:
    c = ClimateSpec.model_validate(NORMALS)
    assert [d.name for d in c.representative_days] == ["winter_weekday", "summer_weekday"]
    assert sum(d.weight_days for d in c.representative_days) == 365
    assert c.diurnal_range_c == (8.0,) * 12
    assert RepresentativeDay(name="x", month=3, day_of_month=1, weight_days=1).day_of_year == 60


def test_representative_day_weights_and_dates_are_checked() -> None:
    days = [
        {"name": "w", "month": 1, "day_of_month": 15, "weight_days": 200},
        {"name": "s", "month": 7, "day_of_month": 15, "weight_days": 100},
    ]
    with pytest.raises(ValidationError, match="must sum to 365, got 300"):
        ClimateSpec.model_validate({**NORMALS, "representative_days": days})
    with pytest.raises(ValidationError, match="does not exist in month 2"):
        RepresentativeDay(name="x", month=2, day_of_month=30, weight_days=1)
    with pytest.raises(ValidationError, match="expected 12 monthly values"):
        ClimateSpec.model_validate({**NORMALS, "monthly_mean_temp_c": [0.0] * 11})
    with pytest.raises(ValidationError):
        ClimateSpec.model_validate({**NORMALS, "cloudiness": 1.5})


def test_unit_aliases_convert_to_si_fields() -> None:
    g = PowerPlantSpec.model_validate(
        {"fuel": "gas", "capacity_mw": 2.5, "marginal_cost_per_mwh": 80, "co2_g_per_kwh": 400}
    )
    assert g.capacity_kw == 2500.0
    assert g.marginal_cost_per_kwh == pytest.approx(0.08)
    assert g.co2_kg_per_kwh == pytest.approx(0.4)
    c = ChargingSpec.model_validate({"off_peak_start_h": 23, "off_peak_end_h": 6})
    assert (c.off_peak_start_s, c.off_peak_end_s) == (82800.0, 21600.0)
    pv = RooftopPVSpec.model_validate({"total_mwp": 12})
    assert pv.total_kwp == 12000.0


def test_buildings_spec_rejects_inconsistent_input() -> None:
    use = {
        "floor_area_m2_per_capita": 30,
        "envelope_loss_w_per_m2k": 1.0,
        "internal_gains_w_per_m2": 4,
        "base_electric_kwh_per_m2_yr": 30,
        "profile": "residential",
    }
    ok = BuildingsSpec.model_validate(
        {"uses": {"residential": use}, "heating_shares": {"district_heating": 1}}
    )
    assert ok.heat_pump.model == "staffell_ashp"
    with pytest.raises(ValidationError, match="must exceed heating_setpoint_c"):
        BuildingsSpec.model_validate(
            {"uses": {"r": {**use, "cooling_setpoint_c": 19}}, "heating_shares": {"gas_boiler": 1}}
        )
    with pytest.raises(ValidationError, match="either per_capita_kwp or total_kwp"):
        RooftopPVSpec(per_capita_kwp=0.1, total_kwp=100)
    with pytest.raises(ValidationError, match="Extra inputs"):
        BuildingsSpec.model_validate(
            {"uses": {"r": use}, "heating_shares": {"gas_boiler": 1}, "solar_panels": 3}
        )
