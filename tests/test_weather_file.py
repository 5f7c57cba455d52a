"""Optional weather file (EPW read with pvlib) instead of the synthesised climate."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from conftest import write_variant
from twincity.energy.pv import pv_output_kwh
from twincity.energy.weather import subhourly_sun
from twincity.energy.weather_file import read_weather_file, weather_day
from twincity.errors import ScenarioError
from twincity.model import CityModel

pytest.importorskip("pvlib")


LAT, LON, TZ = 36.5, 127.3, 9.0  # the tiny city's site (tests/data/tiny.yaml)


def _day_values(doy: int) -> dict[str, np.ndarray]:
    """A clear-ish day whose GHI closes with DNI and DHI on the hour's mean sun."""
    cos_z = np.clip(subhourly_sun(LAT, LON, TZ, doy, 0.0).cos_zenith, 0.0, None).mean(axis=1)
    dni = 700.0 * (cos_z > 0.05)
    dhi = 120.0 * (cos_z > 0.0)
    temp = -8.0 + 6.0 * np.sin(np.pi * (np.arange(24) - 9) / 12.0) + 0.01 * doy
    return {"temp": temp, "dni": dni, "dhi": dhi, "ghi": dni * cos_z + dhi}


def write_epw(path: Path, days: list[tuple[int, int]]) -> dict[int, dict[str, np.ndarray]]:
    """A minimal EPW (EnergyPlus weather format: 8 header lines, 35 fields per hour)."""
    header = [f"LOCATION,Test,,KOR,synthetic,000000,{LAT},{LON},{TZ},10.0",
              "DESIGN CONDITIONS,0", "TYPICAL/EXTREME PERIODS,0", "GROUND TEMPERATURES,0",
              "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0", "COMMENTS 1,written by a twincity test",
              "COMMENTS 2,", "DATA PERIODS,1,1,Data,Sunday,1/1,12/31"]
    rows, truth = [], {}
    for month, day in days:
        doy = date(2023, month, day).timetuple().tm_yday
        v = truth[doy] = _day_values(doy)
        for h in range(24):
            f = [2023, month, day, h + 1, 60, "?9?9?9?9E0?9?9?9?9?9?9?9?9?9?9?9?9?9?9?9*9*9?9?9?9",
                 round(v["temp"][h], 3), -10.0, 80, 101325, 0, 0, 300, round(v["ghi"][h], 3),
                 round(v["dni"][h], 3), round(v["dhi"][h], 3), 0, 0, 0, 0, 180, 3.0, 6, 5,
                 20.0, 77777, 9, 999999999, 10, 0.1, 0, 88, 0.2, 0.0, 0.0]
            rows.append(",".join(str(x) for x in f))
    path.write_text("\n".join(header + rows) + "\n")
    return truth


def test_a_day_is_read_hour_by_hour_with_hour_ending_stamps(tmp_path: Path) -> None:
    truth = write_epw(tmp_path / "w.epw", [(1, 15), (7, 18)])
    wf = read_weather_file(tmp_path / "w.epw")
    for doy in truth:
        w = weather_day(wf, doy, LAT, LON, TZ)
        # EPW hour 1 (00:00-01:00) is our hour 0
        assert np.allclose(w.temp_c, truth[doy]["temp"], atol=1e-3)
        assert np.allclose(w.ghi_wm2, truth[doy]["ghi"], atol=1e-3)
        assert w.from_file and w.cloudiness == pytest.approx(0.6)
        # PV on a flat plane at PR 1 is the file's GHI (beam × the hour's mean sun + diffuse)
        flat = pv_output_kwh(w, 1.0, 1.0, tilt_deg=0.0)
        assert np.allclose(flat, truth[doy]["ghi"] / 1000.0, atol=1e-5)


def test_tilted_plane_agrees_with_pvlib_isotropic_on_the_files_irradiance(tmp_path: Path) -> None:
    import pandas as pd
    import pvlib

    truth = write_epw(tmp_path / "w.epw", [(4, 15)])
    doy = next(iter(truth))
    w = weather_day(read_weather_file(tmp_path / "w.epw"), doy, LAT, LON, TZ)
    ours = pv_output_kwh(w, 1.0, 1.0, tilt_deg=40.0).sum()
    # pvlib at 5-minute steps, each hour carrying the file's hour-mean irradiance
    times = pd.date_range("2023-04-15", periods=24 * 12, freq="5min", tz="Etc/GMT-9") \
        + pd.Timedelta(minutes=2.5)
    sp = pvlib.solarposition.get_solarposition(times, LAT, LON, method="nrel_numpy")
    rep = np.repeat
    poa = pvlib.irradiance.get_total_irradiance(
        40.0, 180.0, sp["apparent_zenith"], sp["azimuth"], rep(w.dni_wm2, 12),
        rep(w.ghi_wm2, 12), rep(w.dhi_wm2, 12), albedo=0.2, model="isotropic")
    theirs = float(np.nan_to_num(poa["poa_global"]).sum()) / 12.0 / 1000.0
    assert ours == pytest.approx(theirs, rel=0.02)


def test_the_model_takes_temperature_and_sun_from_the_file(tiny_dir: Path) -> None:
    truth = write_epw(tiny_dir / "site.epw", [(1, 15), (7, 15)])
    path = write_variant(tiny_dir, "filed.yaml", {"climate": {"weather_file": "site.epw"}})
    model = CityModel.from_file(path, subsystems=("energy",))
    h = model.run().tables["energy_hourly"]
    for doy, v in truth.items():
        rows = h[h["day_of_year"] == doy].sort_values("hour")
        assert np.allclose(rows["temp_c"], v["temp"], atol=1e-3)
        assert np.allclose(rows["ghi_wm2"], v["ghi"], atol=1e-3)
    # the file is part of the scenario's inputs
    assert any(p.name == "site.epw" for p in model.loaded.files)


def test_a_day_missing_from_the_file_is_one_line_naming_file_and_field(tmp_path: Path) -> None:
    write_epw(tmp_path / "w.epw", [(1, 15)])
    wf = read_weather_file(tmp_path / "w.epw")
    with pytest.raises(ScenarioError) as err:
        weather_day(wf, 200, LAT, LON, TZ)
    msg = str(err.value)
    assert "w.epw" in msg and "climate.weather_file" in msg and "07-19" in msg
    assert "\n" not in msg
    (tmp_path / "bad.epw").write_text("not a weather file\n")
    with pytest.raises(ScenarioError, match=r"climate\.weather_file"):
        read_weather_file(tmp_path / "bad.epw")


def test_validate_reads_every_representative_day_from_the_file(tiny_dir: Path) -> None:
    from click.testing import CliRunner

    from twincity.cli import main

    write_epw(tiny_dir / "site.epw", [(1, 15), (7, 15)])
    good = write_variant(tiny_dir, "good.yaml", {"climate": {"weather_file": "site.epw"}})
    result = CliRunner().invoke(main, ["validate", str(good)])
    assert result.exit_code == 0 and "site.epw (2 representative days)" in result.output
    days = [{"name": "d", "month": 3, "day_of_month": 1, "weight_days": 365}]
    bad = write_variant(tiny_dir, "bad.yaml", {"climate": {"weather_file": "site.epw",
                                                           "representative_days": days}})
    result = CliRunner().invoke(main, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "site.epw: climate.weather_file: expected 24 hourly rows for 03-01" in result.output


def test_tmy3_csv_days_start_at_midnight_local_standard_time() -> None:
    """pvlib's bundled TMY3 sample (Greensboro NC, 723170TYA.CSV): our hour 0 is the
    row stamped 01:00 of that day and hour 23 the row stamped 24:00 (00:00 next day)."""
    import pvlib

    path = Path(pvlib.__file__).parent / "data" / "723170TYA.CSV"
    data, meta = pvlib.iotools.read_tmy3(path, map_variables=True)
    wf = read_weather_file(path)
    w = weather_day(wf, 15, meta["latitude"], meta["longitude"], meta["TZ"])
    stamps = data.index - np.timedelta64(1, "h")
    jan15 = data[(stamps.month == 1) & (stamps.day == 15)]
    assert len(jan15) == 24
    assert np.allclose(w.temp_c, jan15["temp_air"]) and np.allclose(w.ghi_wm2, jan15["ghi"])
    assert w.ghi_wm2[:5].max() == 0.0 and w.ghi_wm2[11] > 0.0  # night, then noon sun
