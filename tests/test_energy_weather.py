"""Weather synthesis: degree days vs published figures, solar geometry, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from test_energy_climates import CLIMATES, climate
from twincity.energy.weather import (
    daily_mean_temp_c,
    declination_rad,
    degree_days,
    equation_of_time_min,
    solar_elevation_deg,
    synthesize_weather,
)
from twincity.scenario.sections_energy import DAYS_IN_MONTH

# Published annual degree days, base 18 °C for both HDD and CDD (daily-mean based):
# Helsinki HDD ≈ 4,340; Seoul HDD ≈ 2,530, CDD ≈ 790; Singapore HDD ≈ 0, CDD ≈ 3,620.
PUBLISHED = {
    "helsinki": (4340.0, None),
    "seoul": (2530.0, 790.0),
    "singapore": (0.0, 3620.0),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
@pytest.mark.parametrize("method", ["erbs", "synthetic"])
def test_degree_days_match_published_within_ten_percent(name: str, method: str) -> None:
    hdd_pub, cdd_pub = PUBLISHED[name]
    dd = degree_days(climate(name), 18.0, method=method, latitude_deg=CLIMATES[name][1])
    if hdd_pub == 0.0:
        assert dd.hdd < 5.0
    else:
        assert dd.hdd == pytest.approx(hdd_pub, rel=0.10)
    if cdd_pub is not None:
        assert dd.cdd == pytest.approx(cdd_pub, rel=0.10)


def test_degree_day_identity_hdd_minus_cdd_is_mean_deficit() -> None:
    # Σ(T_b − T) over the year = HDD − CDD for any distribution around the monthly means.
    c = climate("seoul")
    dd = degree_days(c, 18.0)
    deficit = sum((18.0 - t) * n for t, n in zip(c.monthly_mean_temp_c, DAYS_IN_MONTH, strict=True))
    assert dd.hdd - dd.cdd == pytest.approx(deficit, rel=1e-9)


def test_daily_means_reproduce_monthly_normals() -> None:
    c = climate("helsinki")
    daily = daily_mean_temp_c(c, np.arange(1, 366))
    start = np.concatenate([[0], np.cumsum(DAYS_IN_MONTH)])
    monthly = [daily[start[m] : start[m + 1]].mean() for m in range(12)]
    assert np.allclose(monthly, c.monthly_mean_temp_c, atol=1e-9)


@pytest.mark.parametrize("lat", [60.17, 36.5, 1.35, -33.9])
@pytest.mark.parametrize("doy", [1, 80, 172, 266, 355])
def test_noon_elevation_is_90_minus_lat_minus_declination(lat: float, doy: int) -> None:
    lon, tz = 24.94, 2.0
    # Clock time of solar noon: 12 h minus the longitude and equation-of-time correction.
    noon = 12.0 - (4.0 * (lon - 15.0 * tz) + float(equation_of_time_min(doy))) / 60.0
    decl = np.degrees(float(declination_rad(doy)))
    elev = float(solar_elevation_deg(lat, lon, tz, doy, noon))
    assert elev == pytest.approx(90.0 - abs(lat - decl), abs=1e-9)


def test_diurnal_cycle_min_near_sunrise_max_mid_afternoon() -> None:
    c = climate("seoul")
    lat, lon, tz = CLIMATES["seoul"][1:]
    w = synthesize_weather(c, lat, lon, tz, 196, np.random.default_rng(0), noise_std_c=0.0)
    assert 4 <= int(np.argmin(w.temp_c)) <= 6
    assert 14 <= int(np.argmax(w.temp_c)) <= 16
    assert w.temp_c.max() - w.temp_c.min() == pytest.approx(6.4, abs=0.5)
    assert w.temp_c.mean() == pytest.approx(float(daily_mean_temp_c(c, 196)[0]), abs=0.3)


def test_irradiance_zero_at_night_and_bounded_by_clear_sky() -> None:
    c = climate("helsinki")
    lat, lon, tz = CLIMATES["helsinki"][1:]
    w = synthesize_weather(c, lat, lon, tz, 355, np.random.default_rng(0))
    assert np.all(w.ghi_wm2[:8] == 0.0) and np.all(w.ghi_wm2[17:] == 0.0)
    # Midwinter sun in Helsinki is below ~7°: GHI stays far below 100 W/m².
    assert 0.0 < w.ghi_wm2.max() < 100.0
    assert np.all(w.dhi_wm2 <= w.ghi_wm2 + 1e-9)


def test_same_seed_same_weather_different_seed_differs() -> None:
    c = climate("singapore")
    lat, lon, tz = CLIMATES["singapore"][1:]
    a = synthesize_weather(c, lat, lon, tz, 100, np.random.default_rng(7))
    b = synthesize_weather(c, lat, lon, tz, 100, np.random.default_rng(7))
    d = synthesize_weather(c, lat, lon, tz, 100, np.random.default_rng(8))
    assert np.array_equal(a.temp_c, b.temp_c)
    assert not np.array_equal(a.temp_c, d.temp_c)
    assert np.array_equal(a.ghi_wm2, d.ghi_wm2)  # irradiance is deterministic


def test_bad_day_of_year_is_rejected() -> None:
    with pytest.raises(ValueError, match="day_of_year"):
        synthesize_weather(climate("seoul"), 37.5, 127.0, 9.0, 366, np.random.default_rng(0))


def test_temperature_noise_is_stationary_ar1_with_the_given_moments() -> None:
    c = climate("helsinki")
    lat, lon, tz = CLIMATES["helsinki"][1:]
    base = synthesize_weather(c, lat, lon, tz, 100, np.random.default_rng(0), noise_std_c=0.0)
    rng = np.random.default_rng(42)
    noise = np.array(
        [
            synthesize_weather(
                c, lat, lon, tz, 100, rng, noise_std_c=1.5, noise_autocorrelation=0.8
            ).temp_c
            - base.temp_c
            for _ in range(1500)
        ]
    )
    assert noise.std(axis=0).mean() == pytest.approx(1.5, rel=0.05)  # stationary: every hour
    lag1 = np.mean([np.corrcoef(noise[:, h], noise[:, h + 1])[0, 1] for h in range(23)])
    assert lag1 == pytest.approx(0.8, abs=0.03)
    assert abs(noise.mean()) < 0.05


def test_sky_factor_scales_every_component_and_keeps_the_split() -> None:
    from twincity.energy.weather import subhourly_sun

    base = subhourly_sun(60.17, 24.94, 2.0, 120, 0.7)
    scaled = subhourly_sun(60.17, 24.94, 2.0, 120, 0.7, sky_factor=0.8)
    for comp in ("ghi_wm2", "dni_wm2", "dhi_wm2"):
        assert np.allclose(getattr(scaled, comp), 0.8 * getattr(base, comp))
    assert np.array_equal(scaled.cos_zenith, base.cos_zenith)


def test_erbs_degree_days_are_the_logistic_expectation_of_daily_means() -> None:
    """Second implementation: integrate max(T_b − T, 0) over the logistic distribution of
    daily means (erbs_daily_scale_c) numerically; it must equal Erbs's closed form."""
    from twincity.energy.weather import erbs_daily_scale_c

    c = climate("helsinki")
    beta = erbs_daily_scale_c(c)
    u = (np.arange(200_000) + 0.5) / 200_000  # quantiles
    hdd = 0.0
    for t, b, n in zip(c.monthly_mean_temp_c, beta, DAYS_IN_MONTH, strict=True):
        temps = t + b * np.log(u / (1.0 - u))
        hdd += n * np.maximum(18.0 - temps, 0.0).mean()
    assert hdd == pytest.approx(degree_days(c, 18.0).hdd, rel=1e-3)


def test_erbs_tail_anomaly_is_the_conditional_mean_of_the_tail() -> None:
    from twincity.energy.weather import erbs_daily_scale_c, erbs_tail_anomaly_c

    c = climate("helsinki")
    beta = erbs_daily_scale_c(c)[0]
    u = (np.arange(100_000) + 0.5) / 100_000 / 31.0  # the coldest 1/31 of January
    assert erbs_tail_anomaly_c(c, 1, 1 / 31) == pytest.approx(
        float((beta * np.log(u / (1.0 - u))).mean()), rel=1e-3)
    assert erbs_tail_anomaly_c(c, 1, 1 / 31, "hot") == -erbs_tail_anomaly_c(c, 1, 1 / 31)


def test_shipped_helsinki_cold_peak_is_the_erbs_tail_of_january() -> None:
    from pathlib import Path

    from twincity.energy.weather import erbs_tail_anomaly_c
    from twincity.scenario.loader import load_scenario

    spec = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "helsinki.yaml").spec
    peak = next(d for d in spec.climate.representative_days if d.name == "cold_peak")
    assert peak.temp_anomaly_c == pytest.approx(
        erbs_tail_anomaly_c(spec.climate, 1, peak.weight_days / 31), abs=0.05)


def test_peak_days_keep_each_months_weighted_mean_temperature() -> None:
    from twincity.scenario.sections_energy import ClimateSpec

    c = ClimateSpec.model_validate({
        "monthly_mean_temp_c": [-3.0] * 12, "diurnal_range_c": 6, "cloudiness": 0.6,
        "representative_days": {"monthly": True, "peak_days": [
            {"name": "cold", "month": 1, "day_of_month": 20, "weight_days": 2,
             "temp_anomaly_c": -12.0},
            {"name": "cold_weekend", "month": 1, "day_of_month": 21, "weight_days": 1,
             "temp_anomaly_c": -9.0, "day_type": "weekend"}]}})
    days = c.representative_days
    assert len(days) == 26 and sum(d.weight_days for d in days) == pytest.approx(365.0)
    assert c.days_of_type("weekday") == 261 and c.days_of_type("weekend") == 104
    jan = [d for d in days if d.month == 1]
    assert sum(d.weight_days * d.temp_anomaly_c for d in jan) == pytest.approx(0.0, abs=1e-12)
    assert all(d.temp_anomaly_c == 0.0 for d in days if d.month != 1)
