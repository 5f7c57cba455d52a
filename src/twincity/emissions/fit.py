"""Fit of the average-speed emission and energy factors shipped in ``data/emission_factors.csv``.

Every row of the table has the COPERT / EMEP-EEA average-speed form

    EF(V) = (αV² + βV + γ + δ/V) / (εV² + ζV + η) · (1 − RF),   V in km/h,

and this module is the only place its coefficients come from: it holds the
reference figures, fits the coefficients to them by least squares
(:func:`scipy.optimize.least_squares`, fixed start points, so the result is
deterministic) and writes the CSV. Regenerate with::

    python -m twincity.emissions.fit            # rewrites the packaged CSV
    python -m twincity.emissions.fit --check    # exit 1 if the CSV is stale

Four kinds of row:

* **transcribed rows** – the coefficients of a published average-speed curve of the same
  form, copied (and multiplied by a constant for a change of unit);

* **point fits** – the free coefficients are fitted to published values at
  given speeds (relative residuals, so 489 g/km and 131 g/km weigh alike);
* **anchored shapes** – where a quantity has only one published number (a
  cycle average or a speed-independent Tier 2 factor) the *shape* of a fitted
  curve is borrowed and a single scale factor is fitted: either to a point
  (diesel CO2 to its NEDC figure) or to the arithmetic mean of the curve over a
  uniform 1 km/h speed grid (NOx and exhaust PM2.5 to their Tier 2 averages);
* **derived rows** – fuel energy of combustion classes is the CO2 curve times a
  constant from the fuel's carbon content and heating value (see
  :func:`kwh_per_g_co2`); zero rows for tailpipe quantities of electric classes.

Reference figures and what is an estimate
-----------------------------------------
Published figures (these are also what the tests check):

* petrol car Euro 6d CO2: 489 / 131 / 185 g/km at 10 / 70 / 130 km/h (HBEFA 4.2,
  constant speed);
* NEDC averages, petrol Euro 6d 197 g/km, diesel Euro 6d 233 g/km. An
  average-speed model has no cycle, so a cycle average is read as the EF at the
  cycle's mean speed, 33.6 km/h (NEDC: 11.007 km in 1180 s);
* battery-electric car: real-world 0.21 kWh/km in Europe (Weiss et al. 2024) brought to
  the 21.5 °C optimum with the Geotab temperature curve (:mod:`twincity.energy.ev`),
  speed shape 0.336 / 0.125 / 0.128 / 0.203 kWh/km at 10/50/70/130 km/h (estimate);
* 12 m electric bus 1.1–1.7 kWh/km over urban speeds;
* Euro 6d NOx, petrol 0.032 g/km and diesel 0.074 g/km (EMEP/EEA 2023 Tier 2,
  speed-independent): the curve is the fuel's CO2 shape (engine-out NOx scales
  roughly with fuel burned) scaled so that its mean over 20–130 km/h equals the
  Tier 2 figure;
* non-exhaust PM2.5: EMEP/EEA Guidebook chapter 1.A.3.b.vi–vii Tier 2 (constants
  checked against the 2019 edition as transcribed in ipeaGIT/gtfs2emis
  ``emi_europe_emep_wear.R``; the car road-wear TSP factor 0.0150 g/km is from the
  chapter itself and reproduces the quoted 0.0041 g/km PM2.5) – passenger car
  TSP factors tyre 0.0107, brake 0.0075, road 0.0150 g/km; PM2.5 mass fractions
  tyre 0.42, brake 0.39, road 0.27; speed corrections tyre 1.39 below 40 km/h,
  1.78 − 0.00974·V to 90 km/h, 0.902 above; brake 1.67 below 40 km/h,
  2.75 − 0.0270·V to 95 km/h, 0.185 above. Heavy vehicles: tyre
  0.5·N_axle·(1.41 + 1.38·LF)·EF_car, brake 1.956·(1 + 0.79·LF)·EF_car, road
  TSP 0.0760 g/km. Buses: 2 axles, trucks (articulated 34–40 t): 5 axles,
  load factor 0.5. Electric cars use the car factors (no credit for
  regenerative braking, no penalty for mass: the guidebook has neither).
  The often quoted car figures, tyre+brake ≈ 0.0093 g/km and road ≈ 0.0041 g/km,
  are this curve at ≈ 55 km/h (tyre+brake 0.0099 g/km at 50, 0.0087 at 60); below
  40 km/h tyre+brake is 0.0111 g/km, at 130 km/h 0.0046 g/km.

* Euro VI 12 m diesel urban bus (EMEP/EEA Guidebook 2019, 1.A.3.b.i–iv, Tier 3,
  "Urban Buses Standard 15 - 18 t", Euro VI DPF+SCR, road slope 0, load 50 %):
  energy consumption (MJ/km), NOx and exhaust PM (g/km; exhaust PM is PM2.5) are the
  guidebook's curves, transcribed from the machine-readable copy of its Appendix 4
  table in the gtfs2emis R package (``data/ef_europe_emep_db.rda``, commit 1126ba7,
  2022; :data:`EMEP_2019_URBAN_BUS_EURO_VI`). CO2 is the energy × 73.7 g/MJ of diesel
  (the carbon content below). At 10 / 20 / 30 / 50 / 70 km/h: energy 18.57 / 13.98 /
  11.62 / 9.25 / 8.36 MJ/km (CO2 1,369 / 1,031 / 857 / 682 / 617 g/km), NOx 1.01 /
  0.55 / 0.38 / 0.20 / 0.11 g/km, PM 0.011 / 0.0066 / 0.0049 / 0.0033 / 0.0031 g/km.

Engineering estimates (the EMEP/EEA 2023 Tier 2/3 tables for these were not
consulted, so they are magnitudes consistent with the guidebook and HBEFA, not
transcriptions; each row's ``source`` says "engineering estimate"):

* petrol full hybrid CO2: petrol curve × 0.55 / 0.68 / 0.85 / 0.97 at
  10 / 33.6 / 70 / 130 km/h (electric drive dominates at low speed); hybrid NOx
  and exhaust PM2.5: petrol Euro 6d per gram of CO2;
* exhaust PM2.5 (DPF/GPF era): petrol 1.4, diesel 1.5 mg/km car averages;
  Euro VI truck 2.0 mg/km;
* Euro VI articulated truck (34–40 t, half laden) CO2 2200 / 1500 / 1250 /
  1000 / 870 / 880 g/km at 10 / 20 / 30 / 50 / 70 / 90 km/h (≈ 33 l/100 km at
  70–90 km/h); NOx mean 0.35 g/km over 10–90 km/h;
* 12 m electric bus 1.65 / 1.38 / 1.24 / 1.14 / 1.20 / 1.35 kWh/km at
  10 / 20 / 30 / 50 / 70 / 90 km/h, inside the published 1.1–1.7 band.

Example:
    >>> table = fit_table()
    >>> table["class"].unique().tolist()[:2]
    ['petrol_car', 'diesel_car']
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import least_squares

from twincity.emissions.factors import (
    CLASS_DESCRIPTIONS,
    COEFF_NAMES,
    POLLUTANT_ORDER,
    TABLE_COLUMNS,
    copert_ef,
    factors_csv_path,
)

NEDC_MEAN_SPEED_KMH = 33.6  # 11.007 km in 1180 s
CAR_AVERAGE_RANGE_KMH = (20.0, 130.0)  # "urban to highway" range for Tier 2 averages

# Fuel properties. CO2 per g fuel from the EMEP/EEA ultimate-CO2 relation
# 44.011 / (12.011 + 1.008 r_HC) with H:C ratios petrol 1.80, diesel 1.86;
# net calorific values from IPCC 2006 Vol. 2 Table 1.2 (motor gasoline 44.3,
# gas/diesel oil 43.0 MJ/kg).
FUEL_H_TO_C = {"petrol": 1.80, "diesel": 1.86}
FUEL_NCV_MJ_PER_KG = {"petrol": 44.3, "diesel": 43.0}


def kwh_per_g_co2(fuel: str) -> float:
    """Fuel energy (kWh, net calorific value) released per gram of CO2 emitted.

    Example:
        >>> round(kwh_per_g_co2("petrol") * 131, 3)  # 131 g CO2/km ≈ 5.6 l/100 km
        0.506
    """
    fuel_g_per_g_co2 = (12.011 + 1.008 * FUEL_H_TO_C[fuel]) / 44.011
    return fuel_g_per_g_co2 * FUEL_NCV_MJ_PER_KG[fuel] / 3600.0  # MJ/kg = kJ/g


# --- non-exhaust PM2.5, EMEP/EEA 1.A.3.b.vi-vii Tier 2 -------------------------------------

_TSP_CAR_G_PER_KM = {"tyre": 0.0107, "brake": 0.0075, "road": 0.0150}
_TSP_HEAVY_ROAD_G_PER_KM = 0.0760
_PM25_FRACTION = {"tyre": 0.42, "brake": 0.39, "road": 0.27}


def wear_pm25_g_per_km(
    speed_kmh: np.ndarray, *, heavy: bool, n_axles: int = 2, load_factor: float = 0.5
) -> np.ndarray:
    """Tyre + brake + road-wear PM2.5 (g/km) by the EMEP/EEA 1.A.3.b.vi-vii Tier 2 method.

    Example:
        >>> round(float(wear_pm25_g_per_km(np.array([130.0]), heavy=False)[0]), 4)
        0.0086
    """
    v = np.asarray(speed_kmh, dtype=np.float64)
    sc_tyre = np.where(v < 40, 1.39, np.where(v <= 90, 1.78 - 0.00974 * v, 0.902))
    sc_brake = np.where(v < 40, 1.67, np.where(v <= 95, 2.75 - 0.0270 * v, 0.185))
    tyre, brake = _TSP_CAR_G_PER_KM["tyre"], _TSP_CAR_G_PER_KM["brake"]
    road = _TSP_CAR_G_PER_KM["road"]
    if heavy:
        tyre = 0.5 * n_axles * (1.41 + 1.38 * load_factor) * tyre
        brake = 1.956 * (1.0 + 0.79 * load_factor) * brake
        road = _TSP_HEAVY_ROAD_G_PER_KM
    return (
        tyre * _PM25_FRACTION["tyre"] * sc_tyre
        + brake * _PM25_FRACTION["brake"] * sc_brake
        + road * _PM25_FRACTION["road"]
    )


# --- row specifications ---------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One output row: what it is, its speed range and what it was fitted to."""

    vehicle_class: str
    pollutant: str
    unit: str
    v_min_kmh: float
    v_max_kmh: float
    source: str


@dataclass(frozen=True)
class PointFit(Row):
    """Fit the ``free`` coefficients to (speed, value) points; others stay at ``x0``."""

    speeds_kmh: tuple[float, ...] = ()
    values: tuple[float, ...] = ()
    free: tuple[str, ...] = ("alpha", "beta", "gamma", "delta")
    x0: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ScaledFit(Row):
    """Anchored shape: ``k`` × the coefficients of ``base``, ``k`` fitted to a point or a mean.

    ``target`` is either ``("point", speed_kmh, value)`` or ``("mean", v_lo, v_hi, value)``;
    a ``value`` given as a callable of the fitted table is evaluated first.
    """

    base: tuple[str, str] = ("", "")
    target: tuple = ()


@dataclass(frozen=True)
class Transcribed(Row):
    """Coefficients copied from a published curve of the table's form, × ``factor``."""

    coeffs: dict[str, float] = field(default_factory=dict)
    factor: float = 1.0


#: EMEP/EEA Guidebook 2019 Tier 3 curves of a 12 m Euro VI diesel urban bus ("Urban Buses
#: Standard 15 - 18 t", DPF+SCR, slope 0, load 0.5), coefficients of
#: (αV² + βV + γ + δ/V) / (εV² + ζV + η) as in the gtfs2emis copy of the guidebook's
#: Appendix 4 table (``data/ef_europe_emep_db.rda``), with the guidebook's speed ranges.
EMEP_2019_URBAN_BUS_EURO_VI: dict[str, tuple[dict[str, float], float, float]] = {
    "energy_mj": ({"alpha": -0.0003138819235, "beta": -0.0145484315, "gamma": 5.339277203,
                   "delta": 4.329887397, "epsilon": -0.0001196390441, "zeta": 0.01021765057,
                   "eta": 0.2110979476}, 5.0, 85.0),
    "nox": ({"alpha": -0.0005782303598, "beta": 0.08523697834, "gamma": -1.225085865,
             "delta": 5.922508556, "epsilon": 0.004115305694, "zeta": -0.04069021428,
             "eta": 0.1547673026}, 5.0, 85.0),
    "pm_exhaust": ({"alpha": 7.719954888e-06, "beta": -0.0003910476394,
                    "gamma": -0.006566619429, "delta": 0.5732236548,
                    "epsilon": 0.003274204439, "zeta": -0.270774685, "eta": 6.749392277},
                   10.0, 85.0),
}  # fmt: skip


@dataclass(frozen=True)
class Derived(Row):
    """``factor`` × the coefficients of ``base`` (``factor`` 0 gives a zero row)."""

    base: tuple[str, str] | None = None
    factor: float = 0.0


def _curve_mean(coeffs: dict[str, float], v_lo: float, v_hi: float) -> float:
    grid = np.arange(v_lo, v_hi + 0.5, 1.0)
    return float(np.mean(copert_ef(grid, **coeffs)))


def _fit_points(spec: PointFit) -> dict[str, float]:
    base = {name: 0.0 for name in COEFF_NAMES} | {"eta": 1.0, "rf": 0.0} | spec.x0
    v = np.asarray(spec.speeds_kmh, dtype=np.float64)
    y = np.asarray(spec.values, dtype=np.float64)

    def residuals(x: np.ndarray) -> np.ndarray:
        coeffs = base | dict(zip(spec.free, x, strict=True))
        return copert_ef(v, **coeffs) / y - 1.0

    x0 = np.array([base[name] for name in spec.free], dtype=np.float64)
    sol = least_squares(residuals, x0, method="lm", xtol=1e-14, ftol=1e-14, gtol=1e-14)
    return base | dict(zip(spec.free, (float(s) for s in sol.x), strict=True))


def _fit_scale(spec: ScaledFit, fitted: dict[tuple[str, str], dict[str, float]]) -> dict:
    base = fitted[spec.base]
    kind, *args = spec.target
    value = args[-1](fitted) if callable(args[-1]) else args[-1]
    if kind == "point":
        ref = float(copert_ef(np.array([args[0]]), **base)[0])
    else:
        ref = _curve_mean(base, args[0], args[1])

    def residuals(x: np.ndarray) -> np.ndarray:
        return np.array([x[0] * ref / value - 1.0])

    k = float(least_squares(residuals, np.array([1.0]), method="lm", xtol=1e-15).x[0])
    return _scaled(base, k)


def _scaled(coeffs: dict[str, float], k: float) -> dict[str, float]:
    # Scaling the numerator scales the whole curve.
    out = dict(coeffs)
    for name in ("alpha", "beta", "gamma", "delta"):
        out[name] = coeffs[name] * k
    return out


def _wear_fit(vehicle_class: str, v_max: float, *, heavy: bool, n_axles: int, desc: str):
    grid = tuple(float(v) for v in np.arange(10.0, v_max + 0.5, 5.0))
    vals = tuple(float(x) for x in wear_pm25_g_per_km(np.array(grid), heavy=heavy, n_axles=n_axles))
    # Sigmoid start: (a V² + c) / (V² + 60²) normalised to eta = 1.
    lo, hi = vals[0], vals[-1]
    return PointFit(
        vehicle_class, "pm25_nonexhaust", "g/km", 10.0, v_max,
        "EMEP/EEA Guidebook (2019 ed.) 1.A.3.b.vi-vii Tier 2 tyre+brake+road wear PM2.5 with speed "
        f"corrections ({desc}); fitted on 10-{v_max:.0f} km/h every 5 km/h",
        speeds_kmh=grid, values=vals,
        free=("alpha", "beta", "gamma", "epsilon", "zeta"),
        x0={"alpha": hi / 3600.0, "gamma": lo, "epsilon": 1.0 / 3600.0},
    )  # fmt: skip


#: Speed shape of BEV battery energy per km: 0.336 / 0.125 / 0.128 / 0.203 kWh/km at
#: 10 / 50 / 70 / 130 km/h (engineering estimate of the shape only: auxiliaries dominate
#: at walking pace, aerodynamic drag above 70 km/h); the level comes from the next figures.
BEV_SHAPE_KMH = (10.0, 50.0, 70.0, 130.0)
BEV_SHAPE_KWH_PER_KM = (0.336, 0.125, 0.128, 0.203)
#: Real-world BEV consumption, Europe: 21 ± 4 kWh/100 km averaged over 342 battery-electric
#: cars on sale in Europe (Weiss, Winbush, Newman & Helmers 2024, Sustainability 16(17):7529;
#: certified 19 ± 4). Read as the year-round mean in a Central-European climate at the WLTP
#: mean speed, battery side (an assumption: the source's data are model-level range figures).
BEV_REAL_WORLD_KWH_PER_KM = 0.21
#: WLTC class 3 mean speed, km/h (23.27 km in 1800 s; recalled, unverified).
WLTP_MEAN_SPEED_KMH = 46.5
#: Central-European year for that mean: Germany's area-mean monthly temperatures 1991–2020,
#: °C (DWD; recalled, unverified).
CENTRAL_EUROPE_MONTHLY_C = (0.9, 1.5, 4.6, 8.6, 12.9, 16.3, 18.3, 17.9, 13.8, 9.3, 4.9, 1.8)


def bev_optimum_kwh_per_km() -> float:
    """BEV battery energy per km at the WLTP mean speed and the 21.5 °C optimum.

    The real-world European mean divided by the year's mean temperature factor
    (:func:`twincity.energy.ev.bev_temperature_factor` over the Central-European months).

    Example:
        >>> round(bev_optimum_kwh_per_km(), 4)
        0.1689
    """
    from twincity.energy.ev import bev_temperature_factor

    season = float(np.mean(bev_temperature_factor(np.array(CENTRAL_EUROPE_MONTHLY_C))))
    return BEV_REAL_WORLD_KWH_PER_KM / season


def _bev_energy_row() -> PointFit:
    shape = PointFit("bev_car", "energy", "kWh/km", 10.0, 130.0, "",
                     speeds_kmh=BEV_SHAPE_KMH, values=BEV_SHAPE_KWH_PER_KM)
    at_wltp = float(copert_ef(np.array([WLTP_MEAN_SPEED_KMH]), **_fit_points(shape))[0])
    k = bev_optimum_kwh_per_km() / at_wltp
    values = tuple(v * k for v in BEV_SHAPE_KWH_PER_KM)
    return PointFit(
        "bev_car", "energy", "kWh/km", 10.0, 130.0,
        f"BEV battery energy at the 21.5 C optimum: {bev_optimum_kwh_per_km():.4f} kWh/km at "
        f"{WLTP_MEAN_SPEED_KMH:g} km/h = real-world 0.21 kWh/km (Weiss et al. 2024, 342 BEVs, "
        "Europe) / mean Geotab 2020 temperature factor of a Central-European year; speed shape "
        "0.336/0.125/0.128/0.203 at 10/50/70/130 km/h (estimate); the day's temperature "
        "factor is applied by the energy subsystem",
        speeds_kmh=BEV_SHAPE_KMH, values=values,
    )  # fmt: skip


def _specs() -> list[Row]:
    """All rows, in output order; later rows may refer to earlier ones."""
    e_petrol, e_diesel = kwh_per_g_co2("petrol"), kwh_per_g_co2("diesel")
    car_lo, car_hi = CAR_AVERAGE_RANGE_KMH
    nedc = NEDC_MEAN_SPEED_KMH
    petrol_co2 = ("petrol_car", "co2")
    hyb = (0.55, 0.68, 0.85, 0.97)  # hybrid / petrol CO2 ratio at 10, 33.6, 70, 130 km/h

    def hybrid_from_petrol(pollutant: str):
        # Same grams of pollutant per gram of CO2 as petrol Euro 6d, over the car range.
        def value(fitted):
            ratio = _curve_mean(fitted[("hybrid_car", "co2")], car_lo, car_hi) / _curve_mean(
                fitted[petrol_co2], car_lo, car_hi
            )
            return ratio * _curve_mean(fitted[("petrol_car", pollutant)], car_lo, car_hi)

        return value

    zero = "zero: no tailpipe emission (battery electric)"
    specs: list[Row] = []
    # --- petrol car, Euro 6d
    specs += [
        PointFit("petrol_car", "co2", "g/km", 10.0, 130.0,
                 "HBEFA 4.2 petrol Euro 6d constant speed 489/131/185 g/km at 10/70/130 km/h + "
                 "NEDC 197 g/km read at the NEDC mean speed 33.6 km/h",
                 speeds_kmh=(10.0, nedc, 70.0, 130.0), values=(489.0, 197.0, 131.0, 185.0)),
        ScaledFit("petrol_car", "nox", "g/km", 10.0, 130.0,
                  "EMEP/EEA 2023 Tier 2 petrol Euro 6d NOx 0.032 g/km as the mean over "
                  "20-130 km/h; shape of petrol CO2",
                  base=petrol_co2, target=("mean", car_lo, car_hi, 0.032)),
        ScaledFit("petrol_car", "pm25_exhaust", "g/km", 10.0, 130.0,
                  "engineering estimate 0.0014 g/km (magnitude of EMEP/EEA 2023 Tier 2 Euro 6 "
                  "petrol) as the mean over 20-130 km/h; shape of petrol CO2",
                  base=petrol_co2, target=("mean", car_lo, car_hi, 0.0014)),
        Derived("petrol_car", "energy", "kWh/km", 10.0, 130.0,
                f"petrol CO2 x {e_petrol:.6g} kWh/g (H:C 1.80, NCV 44.3 MJ/kg)",
                base=petrol_co2, factor=e_petrol),
    ]  # fmt: skip
    # --- diesel car, Euro 6d: petrol shape, level from NEDC
    diesel_co2 = ("diesel_car", "co2")
    specs += [
        ScaledFit("diesel_car", "co2", "g/km", 10.0, 130.0,
                  "NEDC diesel Euro 6d 233 g/km at the NEDC mean speed 33.6 km/h; shape of the "
                  "petrol HBEFA 4.2 curve",
                  base=petrol_co2, target=("point", nedc, 233.0)),
        ScaledFit("diesel_car", "nox", "g/km", 10.0, 130.0,
                  "EMEP/EEA 2023 Tier 2 diesel Euro 6d NOx 0.074 g/km as the mean over "
                  "20-130 km/h; shape of diesel CO2",
                  base=diesel_co2, target=("mean", car_lo, car_hi, 0.074)),
        ScaledFit("diesel_car", "pm25_exhaust", "g/km", 10.0, 130.0,
                  "engineering estimate 0.0015 g/km (magnitude of EMEP/EEA 2023 Tier 2 Euro 6 "
                  "diesel with DPF) as the mean over 20-130 km/h; shape of diesel CO2",
                  base=diesel_co2, target=("mean", car_lo, car_hi, 0.0015)),
        Derived("diesel_car", "energy", "kWh/km", 10.0, 130.0,
                f"diesel CO2 x {e_diesel:.6g} kWh/g (H:C 1.86, NCV 43.0 MJ/kg)",
                base=diesel_co2, factor=e_diesel),
    ]  # fmt: skip
    # --- petrol full hybrid
    hybrid_co2 = ("hybrid_car", "co2")
    specs += [
        PointFit("hybrid_car", "co2", "g/km", 10.0, 130.0,
                 "engineering estimate: petrol Euro 6d reference points x 0.55/0.68/0.85/0.97 at "
                 "10/33.6/70/130 km/h (full hybrid)",
                 speeds_kmh=(10.0, nedc, 70.0, 130.0),
                 values=(489.0 * hyb[0], 197.0 * hyb[1], 131.0 * hyb[2], 185.0 * hyb[3])),
        ScaledFit("hybrid_car", "nox", "g/km", 10.0, 130.0,
                  "engineering estimate: petrol Euro 6d NOx per g CO2 (mean 20-130 km/h); "
                  "shape of hybrid CO2",
                  base=hybrid_co2, target=("mean", car_lo, car_hi, hybrid_from_petrol("nox"))),
        ScaledFit("hybrid_car", "pm25_exhaust", "g/km", 10.0, 130.0,
                  "engineering estimate: petrol Euro 6 exhaust PM2.5 per g CO2 (mean 20-130 "
                  "km/h); shape of hybrid CO2",
                  base=hybrid_co2,
                  target=("mean", car_lo, car_hi, hybrid_from_petrol("pm25_exhaust"))),
        Derived("hybrid_car", "energy", "kWh/km", 10.0, 130.0,
                f"petrol CO2 x {e_petrol:.6g} kWh/g (H:C 1.80, NCV 44.3 MJ/kg)",
                base=hybrid_co2, factor=e_petrol),
    ]  # fmt: skip
    # --- battery-electric car
    specs += [
        Derived("bev_car", "co2", "g/km", 10.0, 130.0, zero),
        Derived("bev_car", "nox", "g/km", 10.0, 130.0, zero),
        Derived("bev_car", "pm25_exhaust", "g/km", 10.0, 130.0, zero),
        _bev_energy_row(),
    ]  # fmt: skip
    # --- 12 m diesel urban bus, Euro VI: EMEP/EEA 2019 Tier 3 curves
    bus = EMEP_2019_URBAN_BUS_EURO_VI
    tier3 = ("EMEP/EEA Guidebook 2019 1.A.3.b.i-iv Tier 3 Urban Buses Standard 15-18 t "
             "Euro VI DPF+SCR, slope 0, load 0.5 (transcribed via gtfs2emis ef_europe_emep_db)")
    bus_energy = ("diesel_bus", "energy")
    specs += [
        Transcribed("diesel_bus", "energy", "kWh/km", *bus["energy_mj"][1:],
                    f"{tier3}: energy consumption MJ/km / 3.6",
                    coeffs=bus["energy_mj"][0], factor=1.0 / 3.6),
        Derived("diesel_bus", "co2", "g/km", *bus["energy_mj"][1:],
                f"diesel bus energy / {e_diesel:.6g} kWh/g CO2 (H:C 1.86, NCV 43.0 MJ/kg)",
                base=bus_energy, factor=1.0 / e_diesel),
        Transcribed("diesel_bus", "nox", "g/km", *bus["nox"][1:], f"{tier3}: NOx",
                    coeffs=bus["nox"][0]),
        Transcribed("diesel_bus", "pm25_exhaust", "g/km", *bus["pm_exhaust"][1:],
                    f"{tier3}: exhaust PM (all PM2.5)", coeffs=bus["pm_exhaust"][0]),
    ]  # fmt: skip
    # --- 12 m battery-electric bus
    specs += [
        Derived("electric_bus", "co2", "g/km", 10.0, 90.0, zero),
        Derived("electric_bus", "nox", "g/km", 10.0, 90.0, zero),
        Derived("electric_bus", "pm25_exhaust", "g/km", 10.0, 90.0, zero),
        PointFit("electric_bus", "energy", "kWh/km", 10.0, 90.0,
                 "12 m e-bus 1.1-1.7 kWh/km over urban speeds; engineering estimate points "
                 "1.65/1.38/1.24/1.14/1.20/1.35 kWh/km at 10/20/30/50/70/90 km/h",
                 speeds_kmh=(10.0, 20.0, 30.0, 50.0, 70.0, 90.0),
                 values=(1.65, 1.38, 1.24, 1.14, 1.20, 1.35)),
    ]  # fmt: skip
    # --- articulated diesel HGV 34-40 t, Euro VI, half laden
    truck_co2 = ("truck", "co2")
    specs += [
        PointFit("truck", "co2", "g/km", 10.0, 90.0,
                 "engineering estimate: Euro VI articulated 34-40 t HGV half laden "
                 "2200/1500/1250/1000/870/880 g/km at 10/20/30/50/70/90 km/h",
                 speeds_kmh=(10.0, 20.0, 30.0, 50.0, 70.0, 90.0),
                 values=(2200.0, 1500.0, 1250.0, 1000.0, 870.0, 880.0)),
        ScaledFit("truck", "nox", "g/km", 10.0, 90.0,
                  "engineering estimate: Euro VI HGV NOx 0.35 g/km as the mean over 10-90 km/h; "
                  "shape of truck CO2",
                  base=truck_co2, target=("mean", 10.0, 90.0, 0.35)),
        ScaledFit("truck", "pm25_exhaust", "g/km", 10.0, 90.0,
                  "engineering estimate: Euro VI HGV exhaust PM2.5 0.0020 g/km as the mean over "
                  "10-90 km/h; shape of truck CO2",
                  base=truck_co2, target=("mean", 10.0, 90.0, 0.0020)),
        Derived("truck", "energy", "kWh/km", 10.0, 90.0,
                f"diesel CO2 x {e_diesel:.6g} kWh/g (H:C 1.86, NCV 43.0 MJ/kg)",
                base=truck_co2, factor=e_diesel),
    ]  # fmt: skip
    # --- non-exhaust PM2.5 for every class
    for cls in ("petrol_car", "diesel_car", "hybrid_car", "bev_car"):
        specs.append(_wear_fit(cls, 130.0, heavy=False, n_axles=2, desc="passenger car"))
    specs.append(_wear_fit("diesel_bus", 90.0, heavy=True, n_axles=2, desc="bus, 2 axles, LF 0.5"))
    specs.append(
        _wear_fit("electric_bus", 90.0, heavy=True, n_axles=2, desc="bus, 2 axles, LF 0.5")
    )
    specs.append(_wear_fit("truck", 90.0, heavy=True, n_axles=5, desc="HGV, 5 axles, LF 0.5"))
    return specs


def fit_table() -> pd.DataFrame:
    """Fit every row and return the table (columns :data:`TABLE_COLUMNS`), sorted by class.

    Example:
        >>> t = fit_table()
        >>> t.loc[(t["class"] == "bev_car") & (t["pollutant"] == "co2"), "gamma"].item()
        0.0
    """
    fitted: dict[tuple[str, str], dict[str, float]] = {}
    records = []
    for spec in _specs():
        if isinstance(spec, PointFit):
            coeffs = _fit_points(spec)
        elif isinstance(spec, ScaledFit):
            coeffs = _fit_scale(spec, fitted)
        elif isinstance(spec, Transcribed):
            base = {n: 0.0 for n in COEFF_NAMES} | {"rf": 0.0} | spec.coeffs
            coeffs = _scaled(base, spec.factor)
        elif isinstance(spec, Derived):
            base = fitted[spec.base] if spec.base else {"eta": 1.0}
            coeffs = _scaled({n: 0.0 for n in COEFF_NAMES} | {"rf": 0.0} | base, spec.factor)
        else:  # pragma: no cover - closed set of spec types
            raise TypeError(type(spec))
        fitted[(spec.vehicle_class, spec.pollutant)] = coeffs
        records.append(
            {"class": spec.vehicle_class, "pollutant": spec.pollutant}
            | {name: coeffs[name] for name in (*COEFF_NAMES, "rf")}
            | {
                "v_min_kmh": spec.v_min_kmh,
                "v_max_kmh": spec.v_max_kmh,
                "unit": spec.unit,
                "source": spec.source,
            }
        )
    table = pd.DataFrame.from_records(records, columns=list(TABLE_COLUMNS))
    # Rows in the documented class order, then pollutant order (what CLI and kernel list).
    order = {c: i for i, c in enumerate(CLASS_DESCRIPTIONS)}
    pol_order = {p: i for i, p in enumerate(POLLUTANT_ORDER)}
    key = table["class"].map(order) * 100 + table["pollutant"].map(pol_order)
    return table.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(drop=True)


def table_to_csv(table: pd.DataFrame) -> str:
    """The CSV text of a fitted table, floats to 10 significant digits (stable across BLAS)."""
    return table.to_csv(index=False, float_format="%.10g", lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the packaged CSV. Returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m twincity.emissions.fit", description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: package)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the packaged CSV differs")
    args = parser.parse_args(argv)
    text = table_to_csv(fit_table())
    target = args.out or factors_csv_path()
    if args.check:
        same = target.exists() and target.read_text(encoding="utf-8") == text
        print(f"{target}: {'up to date' if same else 'STALE - rerun without --check'}")
        return 0 if same else 1
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
