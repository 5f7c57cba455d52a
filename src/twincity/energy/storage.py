"""Behind-the-meter battery dispatch for self-consumption (numba).

Each unit (a zone's aggregated batteries) charges from PV surplus and discharges
to cover its load, within its power and energy limits. The round-trip efficiency
η is split √η on the way in and √η on the way out, so per step

    charge_kwh·√η − discharge_kwh/√η = Δsoc_kwh,
    losses_kwh = charge_kwh·(1 − √η) + discharge_kwh·(1/√η − 1),

where ``charge_kwh`` is AC energy taken in and ``discharge_kwh`` AC energy
delivered. Then for every unit and hour

    pv + discharge + grid_import = load + charge + grid_export.

Example:
    >>> import numpy as np
    >>> load = np.array([[1.0, 1.0, 1.0]]); pv = np.array([[3.0, 0.0, 0.0]])
    >>> r = self_consumption_dispatch(load, pv, np.array([10.0]), np.array([5.0]),
    ...                               0.81, np.array([0.0]))
    >>> r.charge_kwh.round(3).tolist(), r.discharge_kwh.round(3).tolist()
    ([[2.0, 0.0, 0.0]], [[0.0, 1.0, 0.62]])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit


@dataclass(frozen=True)
class StorageResult:
    """Hourly battery flows per unit, all shape (n_units, n_steps), kWh."""

    charge_kwh: np.ndarray
    discharge_kwh: np.ndarray
    soc_kwh: np.ndarray  # state of charge at the end of each step
    losses_kwh: np.ndarray
    grid_import_kwh: np.ndarray
    grid_export_kwh: np.ndarray


@njit(cache=True)
def _dispatch_kernel(
    load, pv, cap, power, eta_one_way, soc0, dt_h, charge, discharge, soc, losses, imp, exp
):
    n, t_steps = load.shape
    for i in range(n):
        s = soc0[i]
        p_max = power[i] * dt_h
        for t in range(t_steps):
            net = pv[i, t] - load[i, t]
            c = 0.0
            d = 0.0
            if net > 0.0:
                c = min(net, p_max, (cap[i] - s) / eta_one_way)
                c = max(c, 0.0)
                s += c * eta_one_way
                exp[i, t] = net - c
                imp[i, t] = 0.0
            else:
                d = min(-net, p_max, s * eta_one_way)
                d = max(d, 0.0)
                s -= d / eta_one_way
                if s < 0.0:  # round-off only
                    s = 0.0
                imp[i, t] = -net - d
                exp[i, t] = 0.0
            charge[i, t] = c
            discharge[i, t] = d
            losses[i, t] = c * (1.0 - eta_one_way) + d * (1.0 / eta_one_way - 1.0)
            soc[i, t] = s


def self_consumption_dispatch(
    load_kwh: np.ndarray,
    pv_kwh: np.ndarray,
    capacity_kwh: np.ndarray,
    power_kw: np.ndarray,
    round_trip_efficiency: float,
    initial_soc_kwh: np.ndarray,
    dt_h: float = 1.0,
) -> StorageResult:
    """Dispatch batteries for self-consumption; inputs (n_units, n_steps) and (n_units,).

    See the module docstring for the balance identities the result satisfies.
    """
    load = np.ascontiguousarray(load_kwh, dtype=np.float64)
    pv = np.ascontiguousarray(pv_kwh, dtype=np.float64)
    if load.ndim != 2 or load.shape != pv.shape:
        raise ValueError(f"load and pv must have the same 2-D shape, got {load.shape}, {pv.shape}")
    if not 0.0 < round_trip_efficiency <= 1.0:
        raise ValueError(f"round_trip_efficiency must be in (0, 1], got {round_trip_efficiency}")
    n = load.shape[0]
    cap = np.ascontiguousarray(np.broadcast_to(capacity_kwh, (n,)), dtype=np.float64)
    pw = np.ascontiguousarray(np.broadcast_to(power_kw, (n,)), dtype=np.float64)
    soc0 = np.minimum(np.broadcast_to(initial_soc_kwh, (n,)).astype(np.float64), cap)
    out = [np.zeros_like(load) for _ in range(6)]
    _dispatch_kernel(
        load, pv, cap, pw, float(np.sqrt(round_trip_efficiency)), soc0, float(dt_h), *out
    )
    charge, discharge, soc, losses, imp, exp = out
    return StorageResult(charge, discharge, soc, losses, imp, exp)
