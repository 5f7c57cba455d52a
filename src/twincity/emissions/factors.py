"""Vehicle emission and energy factors, COPERT / EMEP-EEA average-speed form.

Each (vehicle class, pollutant) row of the packaged table
``twincity/data/emission_factors.csv`` gives

    EF(V) = (αV² + βV + γ + δ/V) / (εV² + ζV + η) · (1 − RF)

in g/km (``kWh/km`` for ``energy``), V in km/h clamped to the row's valid
range [v_min_kmh, v_max_kmh]. The coefficients, and what each row was fitted
to, come from :mod:`twincity.emissions.fit` (the ``source`` column says).

Pollutants: ``co2`` (tailpipe, 0 for electric classes), ``nox``,
``pm25_exhaust``, ``pm25_nonexhaust`` (tyre, brake and road wear, every class
including electric ones) and ``energy`` (electricity for electric classes,
fuel energy at net calorific value for combustion classes).

The traffic kernel does not evaluate the formula: it indexes
:func:`ef_table_g_per_m` by integer km/h bin, which gives per-metre factors.

Example:
    >>> round(float(emission_factor("petrol_car", "co2", 70.0)))
    131
    >>> ef_table_g_per_m(["bev_car"], ["energy"], max_speed_kmh=130).shape
    (1, 1, 131)
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from twincity.errors import InputError
from twincity.vocab import POLLUTANTS, VEHICLE_CLASSES

COEFF_NAMES: tuple[str, ...] = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta")
TABLE_COLUMNS: tuple[str, ...] = (
    "class",
    "pollutant",
    *COEFF_NAMES,
    "rf",
    "v_min_kmh",
    "v_max_kmh",
    "unit",
    "source",
)

CLASS_DESCRIPTIONS: dict[str, str] = {
    "petrol_car": "petrol passenger car, Euro 6d",
    "diesel_car": "diesel passenger car, Euro 6d",
    "hybrid_car": "petrol full-hybrid passenger car, Euro 6d",
    "bev_car": "battery-electric passenger car",
    "diesel_bus": "12 m diesel urban bus, Euro VI",
    "electric_bus": "12 m battery-electric urban bus",
    "truck": "articulated diesel HGV 34-40 t, Euro VI, half laden",
}

POLLUTANT_ORDER: tuple[str, ...] = ("co2", "nox", "pm25_exhaust", "pm25_nonexhaust", "energy")

_FILE = "emission_factors.csv"


def factors_csv_path() -> Path:
    """Path of the packaged factor table (``twincity/data/emission_factors.csv``)."""
    return Path(str(resources.files("twincity") / "data" / _FILE))


def copert_ef(
    speed_kmh: np.ndarray,
    alpha: float,
    beta: float,
    gamma: float,
    delta: float,
    epsilon: float,
    zeta: float,
    eta: float,
    rf: float = 0.0,
) -> np.ndarray:
    """The average-speed formula itself, no clamping (speeds must be > 0).

    Example:
        >>> copert_ef(np.array([10.0]), 0, 0, 2.0, 10.0, 0, 0, 1.0).tolist()
        [3.0]
    """
    v = np.asarray(speed_kmh, dtype=np.float64)
    num = (alpha * v + beta) * v + gamma + delta / v
    den = (epsilon * v + zeta) * v + eta
    return num / den * (1.0 - rf)


@lru_cache(maxsize=1)
def _table() -> pd.DataFrame:
    path = factors_csv_path()
    try:
        table = pd.read_csv(path)
    except FileNotFoundError as exc:
        raise InputError(
            "emission factor table missing; run `python -m twincity.emissions.fit`", file=path
        ) from exc
    if tuple(table.columns) != TABLE_COLUMNS:
        raise InputError(f"expected columns {', '.join(TABLE_COLUMNS)}", file=path)
    numeric = [*COEFF_NAMES, "rf", "v_min_kmh", "v_max_kmh"]
    for i, rec in enumerate(table.to_dict("records")):
        line = i + 2  # header is line 1
        for name in numeric:
            if not isinstance(rec[name], (int, float)) or not np.isfinite(rec[name]):
                raise InputError(f"expected a finite number, got {rec[name]!r}", file=path,
                                 line=line, path=name)  # fmt: skip
        if not 0 < rec["v_min_kmh"] < rec["v_max_kmh"]:
            raise InputError("expected 0 < v_min_kmh < v_max_kmh", file=path, line=line,
                             path="v_min_kmh")  # fmt: skip
    if table.duplicated(["class", "pollutant"]).any():
        raise InputError("expected one row per (class, pollutant)", file=path)
    if (table.groupby("pollutant")["unit"].nunique() > 1).any():
        raise InputError("expected one unit per pollutant", file=path, path="unit")
    for column, names in (("class", VEHICLE_CLASSES), ("pollutant", POLLUTANTS)):
        if tuple(dict.fromkeys(table[column])) != names:  # the vocabulary's codes index the table
            raise InputError(f"expected the {column} values {', '.join(names)} in this order "
                             "(twincity.vocab)", file=path, path=column)
    return table


@lru_cache(maxsize=1)
def _rows() -> dict[tuple[str, str], tuple[dict[str, float], float, float]]:
    # (class, pollutant) -> (coefficients, v_min, v_max), for fast scalar access.
    out = {}
    for rec in _table().to_dict("records"):
        coeffs = {name: float(rec[name]) for name in (*COEFF_NAMES, "rf")}
        out[(rec["class"], rec["pollutant"])] = (
            coeffs,
            float(rec["v_min_kmh"]),
            float(rec["v_max_kmh"]),
        )
    return out


@lru_cache(maxsize=1)
def _names() -> tuple[tuple[str, ...], tuple[str, ...], dict[str, str]]:
    # (classes, pollutants, unit by pollutant), in table order.
    table = _table()
    units = dict(zip(table["pollutant"], table["unit"], strict=True))
    return tuple(dict.fromkeys(table["class"])), tuple(dict.fromkeys(table["pollutant"])), units


def load_factors() -> pd.DataFrame:
    """The factor table as a DataFrame (a copy of the cached one; columns :data:`TABLE_COLUMNS`).

    Example:
        >>> load_factors().columns[:3].tolist()
        ['class', 'pollutant', 'alpha']
    """
    return _table().copy()


def vehicle_classes() -> list[str]:
    """Vehicle class names, in table order.

    Example:
        >>> "bev_car" in vehicle_classes()
        True
    """
    return list(_names()[0])


def pollutants() -> list[str]:
    """Pollutant / quantity names, in table order.

    Example:
        >>> sorted(pollutants())
        ['co2', 'energy', 'nox', 'pm25_exhaust', 'pm25_nonexhaust']
    """
    return _pollutant_names()


def _pollutant_names() -> list[str]:
    return list(_names()[1])


def unit(pollutant: str) -> str:
    """Per-km unit of a pollutant (``g/km`` or ``kWh/km``).

    Example:
        >>> unit("energy")
        'kWh/km'
    """
    _check_pollutant(pollutant)
    return _names()[2][pollutant]


def _check_class(vehicle_class: str) -> None:
    if vehicle_class not in _names()[0]:
        raise InputError(
            f"unknown vehicle class {vehicle_class!r}; expected one of "
            + ", ".join(vehicle_classes()),
            path="vehicle_class",
        )


def _check_pollutant(pollutant: str) -> None:
    if pollutant not in _names()[1]:
        raise InputError(
            f"unknown pollutant {pollutant!r}; expected one of " + ", ".join(_pollutant_names()),
            path="pollutant",
        )


def valid_speed_range_kmh(vehicle_class: str, pollutant: str) -> tuple[float, float]:
    """(v_min, v_max) of a row, km/h; speeds outside are clamped to it.

    Example:
        >>> valid_speed_range_kmh("truck", "co2")
        (10.0, 90.0)
    """
    _check_class(vehicle_class)
    _check_pollutant(pollutant)
    _, v_min, v_max = _rows()[(vehicle_class, pollutant)]
    return v_min, v_max


def emission_factor(vehicle_class: str, pollutant: str, speed_kmh) -> np.ndarray:
    """Per-km factor (g/km, kWh/km for ``energy``) at the given average speeds.

    Speeds are clamped to the row's valid range (a queue at 0 km/h is charged
    at the minimum valid speed). Negative or non-finite speeds are an error.

    Example:
        >>> emission_factor("bev_car", "energy", [10, 50]).round(3).tolist()
        [0.448, 0.167]
    """
    _check_class(vehicle_class)
    _check_pollutant(pollutant)
    v = np.asarray(speed_kmh, dtype=np.float64)
    if not np.all(np.isfinite(v)) or np.any(v < 0):
        raise InputError("expected finite speeds >= 0 km/h", path="speed_kmh")
    coeffs, v_min, v_max = _rows()[(vehicle_class, pollutant)]
    return copert_ef(np.clip(v, v_min, v_max), **coeffs)


def ef_table_g_per_m(
    classes: Sequence[str] | None = None,
    pollutants: Sequence[str] | None = None,
    max_speed_kmh: int = 200,
) -> np.ndarray:
    """Per-metre factors by integer speed bin: ``table[c, p, k]`` at k km/h, g/m (kWh/m).

    ``classes`` and ``pollutants`` default to all, in table order. Bin ``k``
    is evaluated at k km/h clamped to the row's valid range, so bin 0 uses the
    minimum valid speed. The result is a C-contiguous float64 array the numba
    traffic kernel indexes as ``table[cls, pol, min(int(v_kmh), max_speed_kmh)]``.

    Example:
        >>> t = ef_table_g_per_m(["petrol_car"], ["co2", "pm25_nonexhaust"], 130)
        >>> round(float(t[0, 0, 70]) * 1000, 1)  # g/km
        131.0
    """
    classes = list(vehicle_classes() if classes is None else classes)
    pols = list(_pollutant_names() if pollutants is None else pollutants)
    if int(max_speed_kmh) != max_speed_kmh or max_speed_kmh < 1:
        raise InputError(
            f"expected a whole number of km/h >= 1, got {max_speed_kmh!r}", path="max_speed_kmh"
        )
    bins = np.arange(int(max_speed_kmh) + 1, dtype=np.float64)
    out = np.empty((len(classes), len(pols), bins.size), dtype=np.float64)
    for i, cls in enumerate(classes):
        for j, pol in enumerate(pols):
            out[i, j] = emission_factor(cls, pol, bins) / 1000.0  # per km -> per m
    return out
