"""Hourly weather for one day, synthesised from monthly climate normals.

Temperature: the day's mean is a mean-preserving interpolation of the monthly
normals (the piecewise-linear curve through mid-month nodes whose *monthly
averages* equal the normals); the diurnal cycle is two half-cosines of the month's
diurnal range, minimum at sunrise and maximum at 15:00 local solar time, each
with zero mean so the daily mean is kept; seeded AR(1) noise is added on top.

Sun: declination and equation of time from Spencer (1971, Search 2(5):172), hour
angle from longitude and the clock's time zone, clear-sky GHI from Haurwitz
(1945; recommended as the best zenith-only model by Reno, Hansen & Stein 2012,
SAND2012-2389), scaled by the Kasten & Czeplak (1980, Solar Energy 24:177) cloud
factor 1 − 0.75·c^3.4, split into beam and diffuse with the Erbs, Klein & Duffie
(1982, Solar Energy 28:293) correlation. Each hour is the mean of
``SUBSTEPS_PER_HOUR`` samples, so hourly values are Wh/m² per hour.

Degree days (:func:`degree_days`) use the Erbs, Klein & Beckman (1983, ASHRAE J.
25(6):60) monthly method that accounts for day-to-day variability, or integrate
the synthetic diurnal curve over every day of the year.

Example:
    >>> import numpy as np
    >>> from twincity.scenario.sections_climate import ClimateSpec
    >>> c = ClimateSpec.model_validate({"monthly_mean_temp_c": [27.0] * 12,
    ...                                  "diurnal_range_c": 7, "cloudiness": 0.6})
    >>> w = synthesize_weather(c, 1.35, 103.99, 8, 80, np.random.default_rng(1))
    >>> w.temp_c.shape, bool(w.ghi_wm2[:6].max() == 0.0)
    ((24,), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from twincity.scenario.sections_climate import DAYS_IN_MONTH, ClimateSpec

SUBSTEPS_PER_HOUR = 12
SOLAR_CONSTANT_WM2 = 1367.0
#: Hour of the daily temperature maximum (local solar time).
T_MAX_SOLAR_HOUR = 15.0

_MONTH_START = np.concatenate([[0], np.cumsum(DAYS_IN_MONTH)[:-1]])  # 0-based day index
_MONTH_MID = _MONTH_START + np.asarray(DAYS_IN_MONTH) / 2.0  # in days since 1 Jan 00:00


@dataclass(frozen=True)
class HourlyWeather:
    """One day of weather: hour ``h`` stands for local standard time [h, h+1).

    Irradiances are hour means (W/m², equal to Wh/m² in that hour). ``from_file`` days
    come from a weather file (:mod:`twincity.energy.weather_file`): PV then uses their
    irradiance instead of re-synthesising it from the cloudiness.
    """

    day_of_year: int
    latitude_deg: float
    longitude_deg: float
    timezone_offset_h: float
    temp_c: np.ndarray
    ghi_wm2: np.ndarray
    dni_wm2: np.ndarray
    dhi_wm2: np.ndarray
    cloudiness: float
    from_file: bool = False
    sky_factor: float = 1.0


@dataclass(frozen=True)
class DegreeDays:
    """Annual heating and cooling degree days (K·day) at ``base_c``."""

    hdd: float
    cdd: float
    base_c: float


# ----------------------------------------------------------------------------- sun


def _day_angle(day_of_year: np.ndarray | float) -> np.ndarray:
    return 2.0 * np.pi * (np.asarray(day_of_year, dtype=np.float64) - 1.0) / 365.0


def declination_rad(day_of_year: np.ndarray | float) -> np.ndarray:
    """Solar declination (Spencer 1971), radians.

    Example:
        >>> abs(float(np.degrees(declination_rad(172))) - 23.44) < 0.1  # June solstice
        True
    """
    g = _day_angle(day_of_year)
    return (
        0.006918
        - 0.399912 * np.cos(g)
        + 0.070257 * np.sin(g)
        - 0.006758 * np.cos(2 * g)
        + 0.000907 * np.sin(2 * g)
        - 0.002697 * np.cos(3 * g)
        + 0.00148 * np.sin(3 * g)
    )


def equation_of_time_min(day_of_year: np.ndarray | float) -> np.ndarray:
    """Equation of time (Spencer 1971): apparent minus mean solar time, minutes.

    Example:
        >>> round(float(equation_of_time_min(307)), 0)  # early November, about +16 min
        16.0
    """
    g = _day_angle(day_of_year)
    return 229.18 * (
        0.000075
        + 0.001868 * np.cos(g)
        - 0.032077 * np.sin(g)
        - 0.014615 * np.cos(2 * g)
        - 0.040849 * np.sin(2 * g)
    )


def solar_time_h(
    clock_h: np.ndarray | float, longitude_deg: float, timezone_offset_h: float, day_of_year: int
) -> np.ndarray:
    """Local apparent solar time (hours) for local standard clock time ``clock_h``."""
    correction_min = 4.0 * (longitude_deg - 15.0 * timezone_offset_h) + equation_of_time_min(
        day_of_year
    )
    return np.asarray(clock_h, dtype=np.float64) + correction_min / 60.0


def cos_zenith(latitude_deg: float, declination: float, hour_angle_rad: np.ndarray) -> np.ndarray:
    """Cosine of the solar zenith angle (negative below the horizon)."""
    phi = np.radians(latitude_deg)
    return np.sin(phi) * np.sin(declination) + np.cos(phi) * np.cos(declination) * np.cos(
        hour_angle_rad
    )


def solar_elevation_deg(
    latitude_deg: float,
    longitude_deg: float,
    timezone_offset_h: float,
    day_of_year: int,
    clock_h: np.ndarray | float,
) -> np.ndarray:
    """Solar elevation angle (degrees) at local standard clock time(s) ``clock_h``.

    Example:
        >>> float(solar_elevation_deg(0.0, 0.0, 0.0, 80, 0.0)) < 0   # midnight
        True
    """
    omega = np.radians(
        15.0 * (solar_time_h(clock_h, longitude_deg, timezone_offset_h, day_of_year) - 12.0)
    )
    cz = cos_zenith(latitude_deg, float(declination_rad(day_of_year)), omega)
    return np.degrees(np.arcsin(np.clip(cz, -1.0, 1.0)))


def clear_sky_ghi_haurwitz(cos_z: np.ndarray) -> np.ndarray:
    """Haurwitz clear-sky global horizontal irradiance, W/m² (0 when the sun is down)."""
    cz = np.asarray(cos_z, dtype=np.float64)
    safe = np.where(cz > 0.0, cz, 1.0)
    return np.where(cz > 0.0, 1098.0 * cz * np.exp(-0.059 / safe), 0.0)


def kasten_czeplak_factor(cloudiness: float) -> float:
    """Share of clear-sky GHI reaching the ground under cloud cover ``cloudiness`` (0..1)."""
    return 1.0 - 0.75 * float(cloudiness) ** 3.4


def erbs_diffuse_fraction(kt: np.ndarray) -> np.ndarray:
    """Diffuse share of GHI from the clearness index (Erbs, Klein & Duffie 1982)."""
    kt = np.asarray(kt, dtype=np.float64)
    mid = 0.9511 - 0.1604 * kt + 4.388 * kt**2 - 16.638 * kt**3 + 12.336 * kt**4
    return np.where(kt <= 0.22, 1.0 - 0.09 * kt, np.where(kt <= 0.8, mid, 0.165))


@dataclass(frozen=True)
class SubhourlySun:
    """Sun and irradiance at ``SUBSTEPS_PER_HOUR`` samples of each hour, shape (24, n)."""

    declination_rad: float
    hour_angle_rad: np.ndarray
    cos_zenith: np.ndarray
    ghi_wm2: np.ndarray
    dni_wm2: np.ndarray
    dhi_wm2: np.ndarray


def subhourly_sun(
    latitude_deg: float,
    longitude_deg: float,
    timezone_offset_h: float,
    day_of_year: int,
    cloudiness: float,
    substeps: int = SUBSTEPS_PER_HOUR,
    sky_factor: float = 1.0,
) -> SubhourlySun:
    """Sun geometry and cloudy-sky irradiance components at sub-hourly samples.

    ``sky_factor`` scales all three components (:func:`sky_factor` calibrates it to a
    published annual irradiation) and keeps the Erbs split of the unscaled sky: splitting
    the scaled GHI instead would push the diffuse share of Helsinki's year from 0.39 to
    0.67 (published: about half, Motiva), the mean-sky clearness index being too low.
    """
    clock = np.arange(24)[:, None] + (np.arange(substeps)[None, :] + 0.5) / substeps
    omega = np.radians(
        15.0 * (solar_time_h(clock, longitude_deg, timezone_offset_h, day_of_year) - 12.0)
    )
    decl = float(declination_rad(day_of_year))
    cz = cos_zenith(latitude_deg, decl, omega)
    ghi = clear_sky_ghi_haurwitz(cz) * kasten_czeplak_factor(cloudiness)
    up = cz > 0.0
    i0 = SOLAR_CONSTANT_WM2 * (1.0 + 0.033 * np.cos(2 * np.pi * day_of_year / 365.0))
    kt = np.where(up, ghi / (i0 * np.where(up, cz, 1.0)), 0.0)
    dhi = erbs_diffuse_fraction(kt) * ghi
    # Beam normal from the horizontal beam; skip grazing angles where 1/cos z explodes.
    dni = np.where(cz > 0.01, (ghi - dhi) / np.where(cz > 0.01, cz, 1.0), 0.0)
    dhi = np.where(cz > 0.01, dhi, ghi)
    k = float(sky_factor)
    return SubhourlySun(decl, omega, cz, ghi * k, dni * k, dhi * k)


# ----------------------------------------------------------------------------- temperature


def _interp_weights(day_index: np.ndarray) -> np.ndarray:
    """Weights (len(day_index), 12) of cyclic linear interpolation between mid-month nodes."""
    t = np.asarray(day_index, dtype=np.float64) % 365.0
    mids = _MONTH_MID
    ext = np.concatenate([[mids[-1] - 365.0], mids, [mids[0] + 365.0]])
    k = np.searchsorted(ext, t, side="right") - 1  # segment ext[k]..ext[k+1]
    frac = (t - ext[k]) / (ext[k + 1] - ext[k])
    w = np.zeros((t.size, 12))
    rows = np.arange(t.size)
    np.add.at(w, (rows, (k - 1) % 12), 1.0 - frac)
    np.add.at(w, (rows, k % 12), frac)
    return w


def _node_values(monthly: np.ndarray) -> np.ndarray:
    """Mid-month node values whose interpolated monthly averages equal ``monthly``."""
    day_centres = np.arange(365) + 0.5
    w = _interp_weights(day_centres)
    month_of_day = np.repeat(np.arange(12), DAYS_IN_MONTH)
    a = np.zeros((12, 12))
    np.add.at(a, month_of_day, w)
    a /= np.asarray(DAYS_IN_MONTH, dtype=np.float64)[:, None]
    return np.linalg.solve(a, np.asarray(monthly, dtype=np.float64))


def daily_mean_temp_c(climate: ClimateSpec, day_of_year: np.ndarray | int) -> np.ndarray:
    """Smooth daily mean temperature whose monthly averages equal the normals.

    Example:
        >>> c = ClimateSpec.model_validate({"monthly_mean_temp_c": [5.0] * 12,
        ...                                  "diurnal_range_c": 8, "cloudiness": 0.5})
        >>> round(float(daily_mean_temp_c(c, 100)[0]), 9)
        5.0
    """
    doy = np.atleast_1d(np.asarray(day_of_year, dtype=np.float64))
    nodes = _node_values(np.asarray(climate.monthly_mean_temp_c))
    return _interp_weights(doy - 0.5) @ nodes


def _monthly_interp(values: tuple[float, ...], day_of_year: int) -> float:
    """Plain cyclic linear interpolation of a monthly quantity to a day."""
    return float((_interp_weights(np.array([day_of_year - 0.5])) @ np.asarray(values))[0])


def sunrise_solar_h(latitude_deg: float, day_of_year: np.ndarray | int) -> np.ndarray:
    """Sunrise in local solar time (hours); 0 for polar day, 12 for polar night."""
    arg = -np.tan(np.radians(latitude_deg)) * np.tan(declination_rad(day_of_year))
    return 12.0 - np.degrees(np.arccos(np.clip(arg, -1.0, 1.0))) / 15.0


def diurnal_shape(solar_h: np.ndarray, sunrise_h: float | np.ndarray) -> np.ndarray:
    """Diurnal temperature shape in [-1, 1]: −1 at sunrise, +1 at 15:00 solar, zero mean.

    ``sunrise_h`` may be an array broadcasting against ``solar_h`` (e.g. days × hours).
    """
    # Keep at least six hours of warming even in polar summer/winter.
    t_min = np.clip(np.asarray(sunrise_h, dtype=np.float64), 3.0, T_MAX_SOLAR_HOUR - 6.0)
    rise = T_MAX_SOLAR_HOUR - t_min
    fall = 24.0 - rise
    s = (np.asarray(solar_h, dtype=np.float64) - t_min) % 24.0  # hours since the minimum
    return np.where(s < rise, -np.cos(np.pi * s / rise), np.cos(np.pi * (s - rise) / fall))


def synthesize_weather(
    climate: ClimateSpec,
    latitude_deg: float,
    longitude_deg: float,
    timezone_offset_h: float,
    day_of_year: int,
    rng: np.random.Generator,
    *,
    noise_std_c: float = 1.0,
    noise_autocorrelation: float = 0.9,
    sky_factor: float = 1.0,
    temp_anomaly_c: float = 0.0,
) -> HourlyWeather:
    """Synthesise 24 hours of temperature and irradiance for ``day_of_year`` (1..365).

    The AR(1) noise is stationary with standard deviation ``noise_std_c`` and lag-one
    hourly autocorrelation ``noise_autocorrelation``; set ``noise_std_c=0`` for the
    deterministic climatological day. ``temp_anomaly_c`` shifts the whole day (a peak
    day of :attr:`RepresentativeDay.temp_anomaly_c
    <twincity.scenario.sections_climate.RepresentativeDay.temp_anomaly_c>`).

    Example:
        >>> import numpy as np
        >>> from twincity.scenario.sections_climate import ClimateSpec
        >>> c = ClimateSpec.model_validate({"monthly_mean_temp_c": [0.0] * 12,
        ...                                  "diurnal_range_c": 10, "cloudiness": 0.5})
        >>> w = synthesize_weather(c, 60.17, 24.94, 2, 172, np.random.default_rng(0),
        ...                        noise_std_c=0.0)
        >>> round(float(w.temp_c.max() - w.temp_c.min()), 0)
        10.0
    """
    if not 1 <= int(day_of_year) <= 365:
        raise ValueError(f"day_of_year must be 1..365, got {day_of_year}")
    doy = int(day_of_year)
    t_mean = float(daily_mean_temp_c(climate, doy)[0]) + float(temp_anomaly_c)
    dtr = _monthly_interp(climate.diurnal_range_c, doy)
    cloud = float(np.clip(_monthly_interp(climate.cloudiness, doy), 0.0, 1.0))

    clock = np.arange(24) + 0.5
    solar_h = solar_time_h(clock, longitude_deg, timezone_offset_h, doy)
    shape = diurnal_shape(solar_h, sunrise_solar_h(latitude_deg, doy))
    temp = t_mean + 0.5 * dtr * shape

    if noise_std_c > 0.0:
        phi = float(noise_autocorrelation)
        eps = rng.standard_normal(24)
        # Stationary AR(1): x0 ~ N(0, σ²), x_h = φ·x_{h−1} + σ·√(1−φ²)·ε_h, as a linear filter.
        drive = noise_std_c * np.sqrt(1.0 - phi * phi) * eps
        drive[0] = noise_std_c * eps[0]
        temp = temp + lfilter([1.0], [1.0, -phi], drive)

    sun = subhourly_sun(latitude_deg, longitude_deg, timezone_offset_h, doy, cloud,
                        sky_factor=sky_factor)
    return HourlyWeather(
        day_of_year=doy,
        latitude_deg=float(latitude_deg),
        longitude_deg=float(longitude_deg),
        timezone_offset_h=float(timezone_offset_h),
        temp_c=temp,
        ghi_wm2=sun.ghi_wm2.mean(axis=1),
        dni_wm2=sun.dni_wm2.mean(axis=1),
        dhi_wm2=sun.dhi_wm2.mean(axis=1),
        cloudiness=cloud,
        sky_factor=float(sky_factor),
    )


def synthetic_annual_ghi_kwh_per_m2(climate: ClimateSpec, latitude_deg: float,
                                    longitude_deg: float, timezone_offset_h: float) -> float:
    """Global horizontal irradiation of the synthesised climatological year, kWh/m²
    (every day of a non-leap year, the month's cloudiness interpolated, no scaling).
    """
    total = 0.0
    for doy in range(1, 366):  # 365 small (24, 12) arrays
        cloud = float(np.clip(_monthly_interp(climate.cloudiness, doy), 0.0, 1.0))
        sun = subhourly_sun(latitude_deg, longitude_deg, timezone_offset_h, doy, cloud)
        total += float(sun.ghi_wm2.mean(axis=1).sum())
    return total / 1000.0


def sky_factor(climate: ClimateSpec, latitude_deg: float, longitude_deg: float,
               timezone_offset_h: float) -> float:
    """Scale of the synthesised GHI so that its year equals ``climate.annual_ghi_kwh_per_m2``.

    Kasten–Czeplak applied to a *monthly mean* cloud cover overestimates the mean
    irradiance (the factor is concave in the cover, and overcast days weigh more than
    the mean suggests): with a published annual irradiation the sky is scaled to it;
    without one the factor is 1.

    Example:
        >>> from twincity.scenario.sections_climate import ClimateSpec
        >>> c = ClimateSpec.model_validate({"monthly_mean_temp_c": [5.0] * 12,
        ...     "diurnal_range_c": 8, "cloudiness": 0.6, "annual_ghi_kwh_per_m2": 980})
        >>> k = sky_factor(c, 60.17, 24.94, 2.0)
        >>> round(k * synthetic_annual_ghi_kwh_per_m2(c, 60.17, 24.94, 2.0))
        980
    """
    if climate.annual_ghi_kwh_per_m2 is None:
        return 1.0
    return climate.annual_ghi_kwh_per_m2 / synthetic_annual_ghi_kwh_per_m2(
        climate, latitude_deg, longitude_deg, timezone_offset_h)


# ----------------------------------------------------------------------------- wind

#: Hour-to-hour variation of the wind fleet's output around the day's mean, relative
#: standard deviation and lag-one autocorrelation. Estimate: a national fleet spread over
#: hundreds of kilometres varies far less than one turbine; ±30 % within a day with
#: hours strongly correlated is the order of magnitude of aggregated national wind
#: output (an assumption, not fitted to a series).
WIND_RELATIVE_STD = 0.3
WIND_AUTOCORRELATION = 0.9


def wind_availability(
    climate: ClimateSpec,
    day_of_year: int,
    rng: np.random.Generator | None = None,
    *,
    relative_std: float = WIND_RELATIVE_STD,
    autocorrelation: float = WIND_AUTOCORRELATION,
) -> np.ndarray:
    """Hourly capacity factor (24,) of the wind fleet on ``day_of_year``.

    The day's mean is ``climate.wind_capacity_factor`` interpolated between mid-month
    nodes; the hours vary around it by a zero-mean AR(1) series (relative standard
    deviation ``relative_std``), so the day keeps the climatological mean (up to the
    clip to 0..1). Without ``rng`` the day is flat.

    Example:
        >>> from twincity.scenario.sections_climate import ClimateSpec
        >>> c = ClimateSpec.model_validate({"monthly_mean_temp_c": [0.0] * 12,
        ...     "diurnal_range_c": 8, "cloudiness": 0.5, "wind_capacity_factor": 0.3})
        >>> a = wind_availability(c, 15, np.random.default_rng(0))
        >>> a.shape, round(float(a.mean()), 6)
        ((24,), 0.3)
    """
    if climate.wind_capacity_factor is None:
        raise ValueError("climate.wind_capacity_factor is needed for wind generators "
                         "without availability")
    mean = _monthly_interp(climate.wind_capacity_factor, int(day_of_year))
    out = np.full(24, mean)
    if rng is not None and relative_std > 0.0:
        phi = float(autocorrelation)
        eps = rng.standard_normal(24)
        drive = relative_std * np.sqrt(1.0 - phi * phi) * eps
        drive[0] = relative_std * eps[0]
        x = lfilter([1.0], [1.0, -phi], drive)
        out = mean * (1.0 + x - x.mean())
    return np.clip(out, 0.0, 1.0)


# ----------------------------------------------------------------------------- degree days

_ERBS_A = 1.698


def degree_days(
    climate: ClimateSpec,
    base_c: float = 18.0,
    *,
    method: str = "erbs",
    latitude_deg: float = 45.0,
) -> DegreeDays:
    """Annual heating/cooling degree days at ``base_c`` from the monthly normals.

    ``method="erbs"``: daily-mean degree days with day-to-day variability, Erbs,
    Klein & Beckman (1983): σ_m = 1.45 − 0.029·T̄_m + 0.0664·σ_yr,
    HDD_m = σ_m·N^1.5·[h/2 + ln(e^{−ah} + e^{ah})/(2a)], h = (T_b − T̄_m)/(σ_m√N),
    a = 1.698. ``method="synthetic"``: integrate the noise-free synthetic hourly
    curve (which also needs ``latitude_deg`` for sunrise) over every day; it has no
    day-to-day variability, so it underestimates degree days in shoulder seasons.

    Example:
        >>> c = ClimateSpec.model_validate({"monthly_mean_temp_c": [28.0] * 12,
        ...                                  "diurnal_range_c": 7, "cloudiness": 0.6})
        >>> d = degree_days(c)
        >>> round(d.cdd), round(d.hdd)
        (3650, 0)
    """
    t = np.asarray(climate.monthly_mean_temp_c, dtype=np.float64)
    n = np.asarray(DAYS_IN_MONTH, dtype=np.float64)
    if method == "erbs":
        sigma_yr = float(np.std(t))
        sigma_m = np.maximum(1.45 - 0.029 * t + 0.0664 * sigma_yr, 0.1)
        h = (base_c - t) / (sigma_m * np.sqrt(n))
        # ln(e^{-ah}+e^{ah}) written stably as |ah| + log1p(e^{-2|ah|}).
        lse = np.abs(_ERBS_A * h) + np.log1p(np.exp(-2.0 * np.abs(_ERBS_A * h)))
        core = lse / (2.0 * _ERBS_A)
        hdd = sigma_m * n**1.5 * (h / 2.0 + core)
        cdd = sigma_m * n**1.5 * (-h / 2.0 + core)
        return DegreeDays(float(hdd.sum()), float(cdd.sum()), float(base_c))
    if method == "synthetic":
        days = np.arange(1, 366)
        t_mean = daily_mean_temp_c(climate, days)
        dtr = _interp_weights(days - 0.5) @ np.asarray(climate.diurnal_range_c)
        sunrise = sunrise_solar_h(latitude_deg, days)
        solar_h = np.arange(24)[None, :] + 0.5
        shape = diurnal_shape(solar_h, sunrise[:, None])  # (365, 24)
        temp = t_mean[:, None] + 0.5 * dtr[:, None] * shape
        hdd = float(np.maximum(base_c - temp, 0.0).mean(axis=1).sum())
        cdd = float(np.maximum(temp - base_c, 0.0).mean(axis=1).sum())
        return DegreeDays(hdd, cdd, float(base_c))
    raise ValueError(f"method must be 'erbs' or 'synthetic', got {method!r}")


def erbs_daily_scale_c(climate: ClimateSpec) -> np.ndarray:
    """Scale β (K) of each month's distribution of daily mean temperatures in the Erbs,
    Klein & Beckman (1983) model behind :func:`degree_days`.

    Their monthly degree-day formula is exactly N·E[max(T_b − T, 0)] for daily means T
    following a logistic distribution around the monthly normal with scale
    β = σ_m·√N / (2a) (a = 1.698); its standard deviation is β·π/√3 (Helsinki's January:
    ≈ 6 K).

    Example:
        >>> c = ClimateSpec.model_validate({"monthly_mean_temp_c": [0.0] * 12,
        ...                                  "diurnal_range_c": 8, "cloudiness": 0.5})
        >>> round(float(erbs_daily_scale_c(c)[0]), 3)   # 1.45·√31 / 3.396
        2.377
    """
    t = np.asarray(climate.monthly_mean_temp_c, dtype=np.float64)
    n = np.asarray(DAYS_IN_MONTH, dtype=np.float64)
    sigma_m = np.maximum(1.45 - 0.029 * t + 0.0664 * float(np.std(t)), 0.1)
    return sigma_m * np.sqrt(n) / (2.0 * _ERBS_A)


def erbs_tail_anomaly_c(climate: ClimateSpec, month: int, share: float,
                        tail: str = "cold") -> float:
    """Mean anomaly (K) of the coldest (or warmest) ``share`` of the days of ``month``
    under the Erbs logistic distribution of daily means (:func:`erbs_daily_scale_c`):
    β·[p ln p + (1 − p) ln(1 − p)] / p, negative for ``tail="cold"``.

    A peak representative day standing for that share of the month's days takes this
    anomaly (the conditional mean of its stratum), so the weighted days keep the degree
    days of the distribution better than one mean day does.

    Example:
        >>> c = ClimateSpec.model_validate({"monthly_mean_temp_c": [0.0] * 12,
        ...                                  "diurnal_range_c": 8, "cloudiness": 0.5})
        >>> round(erbs_tail_anomaly_c(c, 1, 0.5), 3)   # half the days: −2 ln 2 · β
        -3.296
    """
    p = float(share)
    if not 0.0 < p < 1.0:
        raise ValueError(f"share must be in (0, 1), got {share}")
    if tail not in ("cold", "hot"):
        raise ValueError(f"tail must be 'cold' or 'hot', got {tail!r}")
    beta = float(erbs_daily_scale_c(climate)[int(month) - 1])
    mean = beta * (p * np.log(p) + (1.0 - p) * np.log1p(-p)) / p
    return float(mean if tail == "cold" else -mean)
