"""Euro emission standards of the car fleet and their on-road NOx.

The packaged factor table gives one NOx curve per car class, for a Euro 6d car. Real
fleets are a mix of ages, and on the road the older diesel standards emit several
times their type-approval limit. A scenario states the mix per combustion car class
(``fleet.euro_mix``, oldest first); this module gives

* :data:`ON_ROAD_NOX_G_PER_KM` — the fleet-mean on-road NOx of each (class, standard),
  as the mean over 20–130 km/h like the table's rows (see the sources there);
* :func:`trip_euro_class` — the standard of the car on each person trip, a draw keyed by
  (seed, ``"euro_class"``, trip identity) from the city's mix, the same for the low-emission-zone
  rule and the emission account;
* :func:`euro_nox_correction_g` — the NOx to add to the traffic kernel's per-link
  emissions (computed with the Euro 6d curve) so that each trip is charged at its own
  standard. The table's NOx and energy rows of a combustion car share one speed shape
  (both are the CO₂ curve scaled), so a trip's Euro 6d NOx is its energy × a constant and
  the correction is exact: ``energy × (NOx/energy) × (EF_standard / EF_6d − 1)``.

Diesel on-road NOx by standard (g/km):

* Euro 3–5: 0.99 — remote sensing of > 200,000 diesel cars in Spain, Sweden,
  Switzerland and the UK, 2011–2017 (CONOX Task 2 report, IVL 2018): "real-world NOx
  emissions from diesel cars remain virtually unchanged from Euro 1 to Euro 5", the
  average Euro 5 car at 5–6 × its 0.18 g/km limit (5.5 × 0.18 = 0.99);
* Euro 6 (a–c): 0.50 — the same report: "Euro 6 diesel cars emit on average about half as
  much NOx as Euro 5"; consistent with the ICCT's 0.48–0.56 g/km for Euro 6 cars from
  independent and member-state testing (ICCT 2017, reported by Clean Energy Wire);
* Euro 6d(-temp) with RDE: 0.074 — EMEP/EEA Guidebook 2023 Tier 2 (the table's row).

Petrol on-road NOx by standard (g/km), recalled, unverified (COPERT 5 orders of
magnitude): Euro 3 0.10, Euro 4 0.06, Euro 5 0.04, Euro 6 0.04; Euro 6d 0.032
(EMEP/EEA 2023 Tier 2, the table's row). Hybrids stay at the table's Euro 6d row.

Example:
    >>> nox_factor_ratio("diesel_car", "euro5") > 10
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twincity import draws
from twincity.emissions.factors import emission_factor

if TYPE_CHECKING:
    from twincity.context import RunContext

#: Standards, oldest first ("euro3" stands for Euro 3 and older).
EURO_CLASSES: tuple[str, ...] = ("euro3", "euro4", "euro5", "euro6", "euro6d")
#: Car classes with a Euro mix (hybrids and BEVs have none).
EURO_CAR_CLASSES: tuple[str, ...] = ("petrol_car", "diesel_car")
#: Speed range of the mean that defines a factor (the table's convention).
MEAN_RANGE_KMH = (20.0, 130.0)

ON_ROAD_NOX_G_PER_KM: dict[str, dict[str, float]] = {
    "diesel_car": {"euro3": 0.99, "euro4": 0.99, "euro5": 0.99, "euro6": 0.50,
                   "euro6d": 0.074},
    "petrol_car": {"euro3": 0.10, "euro4": 0.06, "euro5": 0.04, "euro6": 0.04,
                   "euro6d": 0.032},
}  # fmt: skip
#: The standard the packaged factor table stands for.
TABLE_STANDARD = "euro6d"
#: The draws module's purpose of each person trip's Euro class.
STREAM = "euro_class"


def nox_factor_ratio(vehicle_class: str, standard: str) -> float:
    """On-road NOx of ``standard`` over the table's (Euro 6d) value for that class.

    Example:
        >>> nox_factor_ratio("diesel_car", "euro6d")
        1.0
    """
    table = ON_ROAD_NOX_G_PER_KM[vehicle_class]
    return table[standard] / table[TABLE_STANDARD]


def nox_per_kwh(vehicle_class: str) -> float:
    """The table's NOx (g) per kWh of fuel energy: one constant over all speeds.

    Example:
        >>> round(nox_per_kwh("diesel_car"), 4)
        0.1037
    """
    v = np.array([20.0, 50.0, 100.0])
    ratio = emission_factor(vehicle_class, "nox", v) / emission_factor(vehicle_class, "energy", v)
    if not np.allclose(ratio, ratio[0], rtol=1e-9):
        raise ValueError(f"{vehicle_class}: NOx and energy rows do not share one speed shape")
    return float(ratio[0])


def mix_nox_g_per_km(vehicle_class: str, mix: dict[str, float]) -> float:
    """Fleet-mean on-road NOx (g/km, mean over 20–130 km/h) of a Euro mix.

    Example:
        >>> mix_nox_g_per_km("diesel_car", {"euro5": 0.5, "euro6d": 0.5})
        0.532
    """
    total = sum(mix.values())
    return sum(share * ON_ROAD_NOX_G_PER_KM[vehicle_class][std]
               for std, share in mix.items()) / total


def trip_uniforms(context: RunContext, trip_id: np.ndarray) -> np.ndarray:
    """One uniform number per person trip, keyed by (seed, ``euro_class``, trip identity).

    Keyed, not drawn from a stream (:mod:`twincity.draws`): a trip's car keeps its
    standard whatever other trips a policy adds or removes (common random numbers).
    """
    return draws.uniform(context.seed, STREAM, trip_id)


def trip_euro_class(car_class_names: np.ndarray, uniforms: np.ndarray,
                    euro_mix: dict[str, dict[str, float]] | None) -> np.ndarray:
    """Index into :data:`EURO_CLASSES` of each trip's car (−1: no Euro mix for its class).

    Without a mix for a class its cars are the table's standard (Euro 6d).

    Example:
        >>> trip_euro_class(np.array(["diesel_car", "diesel_car", "bev_car"]),
        ...                 np.array([0.2, 0.9, 0.5]),
        ...                 {"diesel_car": {"euro5": 0.5, "euro6d": 0.5}}).tolist()
        [2, 4, -1]
    """
    out = np.full(len(car_class_names), -1, dtype=np.int64)
    mixes = euro_mix or {}
    for cls in EURO_CAR_CLASSES:
        rows = car_class_names == cls
        mix = mixes.get(cls)
        if mix is None:
            out[rows] = EURO_CLASSES.index(TABLE_STANDARD)
            continue
        shares = np.array([mix.get(std, 0.0) for std in EURO_CLASSES])
        edges = np.cumsum(shares) / shares.sum()
        out[rows] = np.minimum(np.searchsorted(edges, uniforms[rows], side="right"),
                               len(EURO_CLASSES) - 1)
    return out


def euro_nox_correction_g(car_class_names: np.ndarray, euro_index: np.ndarray,
                          energy_kwh: np.ndarray) -> float:
    """NOx (g) to add to the kernel's Euro 6d NOx so each trip has its own standard.

    Example:
        >>> g = euro_nox_correction_g(np.array(["diesel_car"]), np.array([2]), np.array([1.0]))
        >>> round(g, 4) == round(nox_per_kwh("diesel_car") * (0.99 / 0.074 - 1), 4)
        True
    """
    total = 0.0
    energy = np.nan_to_num(np.asarray(energy_kwh, dtype=np.float64))
    for cls in EURO_CAR_CLASSES:
        rows = (car_class_names == cls) & (euro_index >= 0)
        if not rows.any():
            continue
        ratio = np.array([nox_factor_ratio(cls, std) for std in EURO_CLASSES])
        total += float(np.sum(energy[rows] * (ratio[euro_index[rows]] - 1.0))) * nox_per_kwh(cls)
    return total
