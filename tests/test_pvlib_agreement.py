"""The solar geometry, clear sky and PV chain of twincity against pvlib (2 %; single days 3 %).

Runs where pvlib is installed (the ``dev`` extra); skipped otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from twincity.energy.pv import NOCT_C, plane_of_array_wm2
from twincity.energy.weather import HourlyWeather, subhourly_sun

pvlib = pytest.importorskip("pvlib")

#: (latitude, longitude, standard UTC offset) of the three shipped cities.
SITES = {"helsinki": (60.17, 24.94, 2.0), "singapore": (1.35, 103.99, 8.0),
         "sejong": (36.48, 127.29, 9.0)}
DAYS = (15, 80, 172, 264, 355)
SUBSTEPS = 12


def _times(day: int, tz: float) -> pd.DatetimeIndex:
    start = pd.Timestamp("2021-01-01") + pd.Timedelta(days=day - 1)
    minutes = (np.arange(24)[:, None] * 60 + (np.arange(SUBSTEPS)[None, :] + 0.5)
               * 60 / SUBSTEPS).ravel()
    local = start + pd.to_timedelta(minutes, unit="min")
    return (local - pd.Timedelta(hours=tz)).tz_localize("UTC")


@pytest.mark.parametrize("city", sorted(SITES))
@pytest.mark.parametrize("day", DAYS)
def test_solar_geometry_agrees_with_pvlib_spencer_geometry(city: str, day: int) -> None:
    """Same published formulas (Spencer 1971 declination and equation of time), coded
    independently: checks the hour angle, longitude and time-zone handling."""
    lat, lon, tz = SITES[city]
    ours = subhourly_sun(lat, lon, tz, day, 0.0, SUBSTEPS)
    times = _times(day, tz)
    decl = pvlib.solarposition.declination_spencer71(day)
    eot = pvlib.solarposition.equation_of_time_spencer71(day)
    hour_angle = pvlib.solarposition.hour_angle(times, lon, eot)
    zen = pvlib.solarposition.solar_zenith_analytical(np.radians(lat), np.radians(hour_angle),
                                                      decl)
    np.testing.assert_allclose(ours.cos_zenith.ravel(), np.cos(zen), rtol=0, atol=1e-4)


@pytest.mark.parametrize("city", sorted(SITES))
@pytest.mark.parametrize("day", DAYS)
def test_daily_clear_sky_agrees_with_pvlib_spa_where_the_sun_is_up(city: str, day: int) -> None:
    """Daily clear-sky GHI (Haurwitz) on the NREL SPA sun of 2021 within 3 %, on days when
    the noon sun is above 15°. Spencer's fit is for an average year, so near the equinoxes
    its declination is ~0.3° off a given year's (Helsinki: −2.4 % on 21 March, +2.6 % on
    21 September, cancelling over the year); at 60° N in midwinter (noon sun 6–9°) the
    daily clear-sky energy differs by up to ~5 % (not asserted). The year is checked at
    2 % below."""
    lat, lon, tz = SITES[city]
    ours = subhourly_sun(lat, lon, tz, day, 0.0, SUBSTEPS)
    pos = pvlib.solarposition.get_solarposition(_times(day, tz), lat, lon,
                                                method="nrel_numpy")
    if 90.0 - pos["zenith"].min() < 15.0:
        pytest.skip("noon sun below 15°")
    ghi_ref = pvlib.clearsky.haurwitz(pos["zenith"])["ghi"].to_numpy()
    assert ours.ghi_wm2.sum() == pytest.approx(ghi_ref.sum(), rel=0.03)


@pytest.mark.parametrize("city", sorted(SITES))
def test_annual_clear_sky_energy_agrees_with_pvlib_spa(city: str) -> None:
    lat, lon, tz = SITES[city]
    steps = 4
    ours = sum(subhourly_sun(lat, lon, tz, d, 0.0, steps).ghi_wm2.sum() for d in range(1, 366))
    minutes = np.arange(365 * 24 * steps) * (60 / steps) + 30 / steps
    times = (pd.Timestamp("2021-01-01") + pd.to_timedelta(minutes, unit="min")
             - pd.Timedelta(hours=tz)).tz_localize("UTC")
    pos = pvlib.solarposition.get_solarposition(times, lat, lon, method="nrel_numpy")
    ref = pvlib.clearsky.haurwitz(pos["zenith"])["ghi"].sum()
    assert ours == pytest.approx(ref, rel=0.02)


@pytest.mark.parametrize("city", sorted(SITES))
@pytest.mark.parametrize("day", DAYS)
def test_plane_of_array_irradiance_agrees_with_pvlib_isotropic(city: str, day: int) -> None:
    lat, lon, tz = SITES[city]
    cloud = 0.5
    sun = subhourly_sun(lat, lon, tz, day, cloud, SUBSTEPS)
    w = HourlyWeather(day, lat, lon, tz, np.full(24, 10.0), sun.ghi_wm2.mean(axis=1),
                      sun.dni_wm2.mean(axis=1), sun.dhi_wm2.mean(axis=1), cloud)
    ours = plane_of_array_wm2(w, None).sum()
    pos = pvlib.solarposition.get_solarposition(_times(day, tz), lat, lon,
                                                method="nrel_numpy")
    azimuth = 180.0 if lat >= 0 else 0.0
    poa = pvlib.irradiance.get_total_irradiance(
        abs(lat), azimuth, pos["zenith"], pos["azimuth"], sun.dni_wm2.ravel(),
        sun.ghi_wm2.ravel(), sun.dhi_wm2.ravel(), albedo=0.2, model="isotropic")
    ref = np.nan_to_num(poa["poa_global"].to_numpy()).reshape(24, SUBSTEPS).mean(axis=1).sum()
    assert ours == pytest.approx(ref, rel=0.02)


def test_cell_temperature_is_the_noct_model_of_pvlib() -> None:
    poa, t_air = np.array([0.0, 400.0, 900.0]), np.array([-5.0, 15.0, 30.0])
    ours = t_air + (NOCT_C - 20.0) / 800.0 * poa
    np.testing.assert_allclose(ours, pvlib.temperature.ross(poa, t_air, noct=NOCT_C),
                               rtol=1e-12)
