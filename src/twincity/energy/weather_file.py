"""Hourly weather of the representative days from a measured or typical-year file.

``climate.weather_file`` names an EnergyPlus weather file (``.epw``, e.g. a TMY
from climate.onebuilding.org or PVGIS) or a TMY3 CSV (``.csv``, NSRDB); it is
read with :mod:`pvlib.iotools` (``pvlib`` is an optional dependency: extra
``weather``). Each representative day takes the file's 24 hours of that month and
day (the file's year is ignored, as in a typical year): dry-bulb temperature and
global, direct-normal and diffuse irradiance. Both formats stamp an hour at its
end (EPW hour 1 is 00:00–01:00 local standard time) and give hour means, which is
what :class:`~twincity.energy.weather.HourlyWeather` holds for [h, h+1).

The file replaces the synthesis for temperature and sun only; the monthly normals
stay in the scenario (degree days, wind) and the cloud cover is the file's mean
total sky cover of the day (information only: PV uses the file's irradiance).

Example:
    >>> w = read_weather_file("tests/data/two_days.epw")          # doctest: +SKIP
    >>> day = weather_day(w, 15, 60.17, 24.94, 2.0)                # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from twincity.energy.weather import HourlyWeather
from twincity.errors import ScenarioError
from twincity.scenario.sections_climate import DAYS_IN_MONTH, ClimateSpec

FIELD = "climate.weather_file"


@dataclass(frozen=True)
class WeatherFile:
    """Hourly rows of a weather file: ``data`` has month, day, hour (1..24), temp_air,
    ghi, dni, dhi, total_sky_cover (tenths); ``latitude_deg``/``longitude_deg``/
    ``timezone_offset_h`` are the file's site.
    """

    path: Path
    data: pd.DataFrame
    latitude_deg: float
    longitude_deg: float
    timezone_offset_h: float


def read_weather_file(path: str | Path) -> WeatherFile:
    """Read an EPW or TMY3 file with :mod:`pvlib.iotools` (one-line error if unreadable)."""
    path = Path(path)
    try:
        from pvlib import iotools
    except ImportError:
        raise ScenarioError("reading a weather file needs pvlib: pip install 'twincity[weather]'",
                            file=path, path=FIELD) from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".epw":
            data, meta = iotools.read_epw(path)
            hour = data["hour"].to_numpy()
            lat, lon, tz = meta["latitude"], meta["longitude"], meta["TZ"]
            sky = data["total_sky_cover"]
        elif suffix == ".csv":
            data, meta = iotools.read_tmy3(path, map_variables=True)
            # TMY3 stamps the end of the hour in local standard time, 01:00 … 24:00
            hour = (data.index.hour.to_numpy() - 1) % 24 + 1
            lat, lon, tz = meta["latitude"], meta["longitude"], meta["TZ"]
            sky = data.get("TotCld (tenths)", pd.Series(np.nan, index=data.index))
        else:
            raise ScenarioError(f"expected an .epw or TMY3 .csv weather file, got '{path.name}'",
                                file=path, path=FIELD)
    except ScenarioError:
        raise
    except Exception as exc:  # pvlib raises many kinds on a malformed file
        raise ScenarioError(f"not a readable weather file ({type(exc).__name__}: {exc})",
                            file=path, path=FIELD) from None
    month = data.index.month.to_numpy() if suffix == ".csv" else data["month"].to_numpy()
    day = data.index.day.to_numpy() if suffix == ".csv" else data["day"].to_numpy()
    if suffix == ".csv":  # the 24:00 row belongs to the day before
        stamp = data.index - pd.Timedelta(hours=1)
        month, day = stamp.month.to_numpy(), stamp.day.to_numpy()
    table = pd.DataFrame({
        "month": month.astype(np.int64), "day": day.astype(np.int64),
        "hour": np.asarray(hour, dtype=np.int64),
        "temp_air": data["temp_air"].to_numpy(np.float64),
        "ghi": data["ghi"].to_numpy(np.float64), "dni": data["dni"].to_numpy(np.float64),
        "dhi": data["dhi"].to_numpy(np.float64),
        "total_sky_cover": np.asarray(sky, dtype=np.float64)})
    return WeatherFile(path, table, float(lat), float(lon), float(tz))


def weather_day(wf: WeatherFile, day_of_year: int, latitude_deg: float,
                longitude_deg: float, timezone_offset_h: float) -> HourlyWeather:
    """The 24 hours of ``day_of_year`` (1..365, non-leap) from ``wf`` as :class:`HourlyWeather`.

    The sun geometry uses the scenario's site (``latitude_deg``…); a file for another
    place is the user's choice (the energy subsystem notes a distant one).
    """
    cum = np.cumsum((0, *DAYS_IN_MONTH))
    month = int(np.searchsorted(cum, day_of_year, side="left"))
    dom = int(day_of_year - cum[month - 1])
    rows = wf.data[(wf.data["month"] == month) & (wf.data["day"] == dom)]
    rows = rows.drop_duplicates("hour").sort_values("hour")
    if rows["hour"].tolist() != list(range(1, 25)):
        raise ScenarioError(f"expected 24 hourly rows for {month:02d}-{dom:02d} (hours 1..24), "
                            f"found {len(rows)}", file=wf.path, path=FIELD)
    values = rows[["temp_air", "ghi", "dni", "dhi"]].to_numpy()
    if not np.all(np.isfinite(values)):
        raise ScenarioError(f"missing temperature or irradiance on {month:02d}-{dom:02d}",
                            file=wf.path, path=FIELD)
    sky = rows["total_sky_cover"].to_numpy()
    cloud = float(np.nanmean(sky) / 10.0) if np.isfinite(sky).any() else float("nan")
    return HourlyWeather(
        day_of_year=int(day_of_year), latitude_deg=float(latitude_deg),
        longitude_deg=float(longitude_deg), timezone_offset_h=float(timezone_offset_h),
        temp_c=values[:, 0].copy(), ghi_wm2=np.maximum(values[:, 1], 0.0),
        dni_wm2=np.maximum(values[:, 2], 0.0), dhi_wm2=np.maximum(values[:, 3], 0.0),
        cloudiness=cloud, from_file=True)


def check_weather_file(path: str | Path, climate: ClimateSpec) -> int:
    """Read ``path`` and every representative day of ``climate`` from it (for ``validate``);
    returns the number of days found, or raises the one-line :class:`ScenarioError`.
    """
    wf = read_weather_file(path)
    for d in climate.representative_days:
        weather_day(wf, d.day_of_year, wf.latitude_deg, wf.longitude_deg, wf.timezone_offset_h)
    return len(climate.representative_days)
