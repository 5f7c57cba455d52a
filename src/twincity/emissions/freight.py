"""Freight vehicles by type: vans, rigid trucks and articulated trucks.

The traffic kernel prices every freight vehicle with the factor table's ``truck`` row
(an articulated 34–40 t HGV, half laden). Urban freight is mostly vans: in Great Britain
in 2023 vans drove 57.8 billion vehicle miles and lorries 16.9 billion (DfT, Road traffic
estimates in Great Britain 2023, published 22 May 2024), so vans were 77 % of goods
vehicle miles. A scenario states the mix of freight vehicles (``fleet.freight_mix``);
each freight vehicle of the day gets its type by a draw keyed by
(seed, ``"freight_type"``, vehicle identity) and the road account is corrected from
the articulated row to its type.

The truck row's CO₂, NOx, exhaust PM2.5 and energy all have the shape of its CO₂ curve,
so a freight trip's articulated-truck emissions are its energy × a constant per pollutant
and the correction is exact for those four: ``energy × (X/energy) × (ratio_type − 1)``.
Non-exhaust PM2.5 (tyre, brake, road wear) keeps the articulated value (overstated for
vans and rigid trucks; noted in the emission notes). The kernel has no passenger-car
units, so congestion does not depend on the type either way.

Ratios to the articulated row (all estimates; recalled, unverified orders of magnitude
of HBEFA 4.x / COPERT 5 urban factors, Euro 6 / Euro VI diesel):

* van (N1 class III, ≤ 3.5 t): CO₂ and energy 0.22 (≈ 230 of ≈ 1,050 g/km urban), NOx
  1.7 (≈ 0.6 g/km on the road, diesel vans emitting like Euro 6 cars; see
  :mod:`twincity.emissions.euro`), exhaust PM2.5 0.5;
* rigid truck (12–18 t, half laden): CO₂ and energy 0.55, NOx 1.15 (urban SCR
  under-performance at low exhaust temperature), exhaust PM2.5 0.8;
* articulated: 1 (the table's row).

Example:
    >>> freight_ratio("van", "co2"), freight_ratio("articulated", "nox")
    (0.22, 1.0)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twincity import draws
from twincity.emissions.factors import emission_factor
from twincity.vocab import FREIGHT_TYPES

if TYPE_CHECKING:
    from twincity.context import RunContext

#: Pollutants whose truck row is energy × a constant (corrected exactly).
CORRECTED: tuple[str, ...] = ("co2", "nox", "pm25_exhaust", "energy")
_RATIOS: dict[str, dict[str, float]] = {
    "van": {"co2": 0.22, "energy": 0.22, "nox": 1.7, "pm25_exhaust": 0.5},
    "rigid": {"co2": 0.55, "energy": 0.55, "nox": 1.15, "pm25_exhaust": 0.8},
    "articulated": {"co2": 1.0, "energy": 1.0, "nox": 1.0, "pm25_exhaust": 1.0},
}
STREAM = "freight_type"


def freight_ratio(freight_type: str, pollutant: str) -> float:
    """Factor of ``freight_type`` over the articulated ``truck`` row for ``pollutant``."""
    return _RATIOS[freight_type][pollutant]


def per_kwh(pollutant: str) -> float:
    """The truck row's ``pollutant`` per kWh of fuel energy (one constant over speeds).

    Example:
        >>> per_kwh("energy")
        1.0
    """
    v = np.array([15.0, 40.0, 80.0])
    ratio = emission_factor("truck", pollutant, v) / emission_factor("truck", "energy", v)
    if not np.allclose(ratio, ratio[0], rtol=1e-9):
        raise ValueError(f"truck {pollutant} and energy rows do not share one speed shape")
    return float(ratio[0])


def freight_types(context: RunContext, identity: np.ndarray,
                  mix: dict[str, float] | None) -> np.ndarray:
    """Index into :data:`FREIGHT_TYPES` of each of the day's freight vehicles.

    ``identity``: the vehicles' stable identities; each type is the inverse CDF
    of the vehicle's own keyed number (:mod:`twincity.draws`), so a policy that
    changes other traffic leaves it alone. Without a mix every vehicle is
    articulated (the table's row).
    """
    identity = np.asarray(identity, dtype=np.int64)
    if not mix:
        return np.full(len(identity), FREIGHT_TYPES.index("articulated"), dtype=np.int64)
    shares = np.array([mix.get(t, 0.0) for t in FREIGHT_TYPES])
    edges = np.cumsum(shares) / shares.sum()
    u = draws.uniform(context.seed, STREAM, identity)
    return np.minimum(np.searchsorted(edges, u, side="right"), len(FREIGHT_TYPES) - 1)


def freight_correction(types: np.ndarray, energy_kwh: np.ndarray) -> dict[str, float]:
    """Amounts (g; kWh for energy) to add to the kernel's articulated-truck account.

    Example:
        >>> c = freight_correction(np.array([0, 2]), np.array([10.0, 10.0]))
        >>> round(c["energy"], 6)
        -7.8
    """
    e = np.nan_to_num(np.asarray(energy_kwh, dtype=np.float64))
    out = {}
    for pol in CORRECTED:
        ratio = np.array([freight_ratio(t, pol) for t in FREIGHT_TYPES])
        out[pol] = float(np.sum(e * (ratio[types] - 1.0))) * per_kwh(pol)
    return out
