"""Rooftop PV output from the synthetic weather of a day.

Plane-of-array irradiance uses the isotropic-sky transposition of Liu & Jordan
(1963, Solar Energy 7:53): POA = DNI·cos θ + DHI·(1 + cos β)/2 + ρ·GHI·(1 − cos β)/2
for an equator-facing plane tilted β (default: the latitude), evaluated at the
sub-hourly samples of :func:`twincity.energy.weather.subhourly_sun` and averaged
per hour. Output per hour is ``kWp × POA/1000 × performance_ratio`` times an
optional temperature derating 1 + γ·(T_cell − 25 °C) with the NOCT cell
temperature T_cell = T_air + (NOCT − 20)/800·POA. The performance ratio then
covers the other losses (inverter, wiring, soiling, mismatch).

Example:
    >>> import numpy as np
    >>> from twincity.scenario.sections_climate import ClimateSpec
    >>> from twincity.energy.weather import synthesize_weather
    >>> c = ClimateSpec.model_validate({"monthly_mean_temp_c": [27.0] * 12,
    ...                                  "diurnal_range_c": 7, "cloudiness": 0.6})
    >>> w = synthesize_weather(c, 1.35, 103.99, 8, 80, np.random.default_rng(1))
    >>> y = pv_output_kwh(w, 1.0, 0.8)
    >>> 3.0 < float(y.sum()) < 6.0   # kWh per kWp on an equinox day in the tropics
    True
"""

from __future__ import annotations

import numpy as np

from twincity.energy.weather import HourlyWeather, subhourly_sun

NOCT_C = 45.0


def plane_of_array_wm2(
    weather: HourlyWeather, tilt_deg: float | None = None, albedo: float = 0.2
) -> np.ndarray:
    """Hourly mean irradiance (W/m²) on an equator-facing plane tilted ``tilt_deg``.

    ``tilt_deg=None`` uses |latitude|. Example: a flat plane receives the GHI,
        >>> import numpy as np
        >>> from twincity.energy.weather import HourlyWeather
        >>> w = HourlyWeather(80, 0.0, 0.0, 0.0, np.zeros(24), np.zeros(24), np.zeros(24),
        ...                   np.zeros(24), 0.3)
        >>> bool(np.allclose(plane_of_array_wm2(w, 0.0), subhourly_sun(
        ...     0.0, 0.0, 0.0, 80, 0.3).ghi_wm2.mean(axis=1)))
        True
    """
    lat = weather.latitude_deg
    beta = np.radians(abs(lat) if tilt_deg is None else float(tilt_deg))
    sun = subhourly_sun(
        lat,
        weather.longitude_deg,
        weather.timezone_offset_h,
        weather.day_of_year,
        0.0 if weather.from_file else weather.cloudiness,
        sky_factor=weather.sky_factor,
    )
    # An equator-facing plane at latitude φ sees the sun as a horizontal plane at φ ∓ β.
    phi_eff = np.radians(lat) - np.sign(lat if lat != 0.0 else 1.0) * beta
    d = sun.declination_rad
    cos_theta = np.sin(d) * np.sin(phi_eff) + np.cos(d) * np.cos(phi_eff) * np.cos(
        sun.hour_angle_rad
    )
    incidence = np.clip(cos_theta, 0.0, None) * (sun.cos_zenith > 0.0)
    sky, ground = (1.0 + np.cos(beta)) / 2.0, albedo * (1.0 - np.cos(beta)) / 2.0
    if weather.from_file:  # the file's hour means; the hour's mean incidence of the beam
        return (weather.dni_wm2 * incidence.mean(axis=1) + weather.dhi_wm2 * sky
                + weather.ghi_wm2 * ground)
    poa = sun.dni_wm2 * incidence + sun.dhi_wm2 * sky + sun.ghi_wm2 * ground
    return poa.mean(axis=1)


def pv_output_kwh(
    weather: HourlyWeather,
    kwp: float | np.ndarray,
    performance_ratio: float,
    *,
    tilt_deg: float | None = None,
    temp_coeff_per_k: float = 0.0,
) -> np.ndarray:
    """Hourly AC output (kWh) of ``kwp`` installed; shape (24,) or (len(kwp), 24).

    Example:
        >>> import numpy as np
        >>> from twincity.energy.weather import HourlyWeather
        >>> night = HourlyWeather(1, 60.0, 25.0, 2.0, np.zeros(24), np.zeros(24),
        ...                       np.zeros(24), np.zeros(24), 0.5)
        >>> float(pv_output_kwh(night, 10.0, 0.8)[0])
        0.0
    """
    poa = plane_of_array_wm2(weather, tilt_deg)
    per_kwp = poa / 1000.0 * performance_ratio
    if temp_coeff_per_k != 0.0:
        t_cell = weather.temp_c + (NOCT_C - 20.0) / 800.0 * poa
        per_kwp = per_kwp * np.clip(1.0 + temp_coeff_per_k * (t_cell - 25.0), 0.0, None)
    return np.multiply.outer(np.asarray(kwp, dtype=np.float64), per_kwp)
