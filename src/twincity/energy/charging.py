"""EV charging load per zone and hour under three strategies (numba).

Each charging *session* is a vehicle parked after a trip: arrival time, next
departure, battery energy to restore (kWh), charger power (kW, drawn from the
grid), zone. Times are hours since midnight of the simulated day; a departure
at or before arrival means the next day. The simulated day is periodic (a
representative day repeats), so energy drawn after midnight is folded onto the
same day's early hours.

Strategies (all draw at most the charger power, only between arrival and
departure):

* ``uncontrolled`` — full power from arrival until the battery is full;
* ``off_peak`` — full power, but only inside the off-peak window (which may wrap
  midnight), from the first window moment after arrival;
* ``carbon_aware`` — fill the hours of lowest forecast intensity first (ties:
  earliest first) within the parking period.

Grid energy = battery energy ÷ charger efficiency. Energy that does not fit before
departure is reported as unmet (battery-side kWh); so for every session
``delivered + unmet = requested`` and Σ load = Σ delivered ÷ efficiency.

Example:
    >>> import numpy as np
    >>> from twincity.scenario.sections_energy import ChargingSpec
    >>> r = charging_load_kwh(np.array([18.0]), np.array([8.0]), np.array([9.0]),
    ...                       np.array([10.0]), np.array([0]), 1,
    ...                       ChargingSpec(strategy="uncontrolled", charger_efficiency=0.9))
    >>> r.load_kwh[0, 18], r.unmet_kwh.tolist()
    (np.float64(10.0), [0.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from twincity import draws
from twincity.scenario.sections_energy import ChargingSpec

STRATEGIES: tuple[str, ...] = ("uncontrolled", "off_peak", "carbon_aware")


@dataclass(frozen=True)
class ChargingResult:
    """Charging load per zone (n_zones, 24) in grid kWh; per-session battery kWh."""

    load_kwh: np.ndarray
    delivered_kwh: np.ndarray
    unmet_kwh: np.ndarray


@njit(cache=True)
def _overlap(a0, a1, b0, b1):
    lo = max(a0, b0)
    hi = min(a1, b1)
    return hi - lo if hi > lo else 0.0


@njit(cache=True)
def _charging_kernel(
    arrival, departure, need_grid, power, zone, strategy, win_start, win_end, intensity, load, drawn
):
    n = arrival.size
    max_slots = 80
    slot_h = np.zeros(max_slots, np.int64)
    slot_cap = np.zeros(max_slots)
    slot_key = np.zeros(max_slots)
    for i in range(n):
        a = arrival[i]
        d = departure[i]
        first = int(np.floor(a))
        n_slots = int(np.ceil(d)) - first
        if n_slots > max_slots:
            n_slots = max_slots
        for k in range(n_slots):
            h = first + k
            t0 = max(float(h), a)
            t1 = min(float(h + 1), d)
            avail = t1 - t0 if t1 > t0 else 0.0
            if strategy == 1 and avail > 0.0:
                inside = 0.0
                for day in range(-1, 4):  # the daily window around this hour
                    base = 24.0 * day
                    inside += _overlap(t0, t1, base + win_start, base + win_end)
                avail = inside
            slot_h[k] = h
            slot_cap[k] = avail * power[i]
            slot_key[k] = intensity[h % 24] if strategy == 2 else float(k)
        order = np.argsort(slot_key[:n_slots], kind="mergesort")  # stable: earliest first
        remaining = need_grid[i]
        for j in range(n_slots):
            if remaining <= 0.0:
                break
            k = order[j]
            take = min(remaining, slot_cap[k])
            if take > 0.0:
                load[zone[i], slot_h[k] % 24] += take
                remaining -= take
        drawn[i] = need_grid[i] - max(remaining, 0.0)


def charging_load_kwh(
    arrival_h: np.ndarray,
    departure_h: np.ndarray,
    energy_kwh: np.ndarray,
    power_kw: np.ndarray,
    zone: np.ndarray,
    n_zones: int,
    spec: ChargingSpec,
    *,
    intensity_kg_per_kwh: np.ndarray | None = None,
) -> ChargingResult:
    """Hourly charging load per zone for sessions given as arrays (struct of arrays).

    ``intensity_kg_per_kwh`` (24 hourly values) is required for ``carbon_aware``.
    Parking periods longer than 72 h are cut at 72 h.
    """
    arr = np.ascontiguousarray(arrival_h, dtype=np.float64)
    dep = np.asarray(departure_h, dtype=np.float64)
    n = arr.size
    energy = np.asarray(energy_kwh, dtype=np.float64)
    power = np.ascontiguousarray(np.broadcast_to(power_kw, (n,)), dtype=np.float64)
    zones = np.ascontiguousarray(zone, dtype=np.int64)
    for name, x in (("departure_h", dep), ("energy_kwh", energy), ("zone", zones)):
        if x.shape != arr.shape:
            raise ValueError(f"{name} must have the shape of arrival_h {arr.shape}, got {x.shape}")
    if n and (np.any(arr < 0.0) or np.any(arr >= 48.0) or np.any(dep < 0.0)):
        raise ValueError("arrival_h must be in [0, 48) and departure_h non-negative")
    if np.any(energy < 0.0) or np.any(power < 0.0):
        raise ValueError("energy_kwh and power_kw must be non-negative")
    if n and (zones.min() < 0 or zones.max() >= n_zones):
        raise ValueError(f"zone indices must be in 0..{n_zones - 1}")
    # A departure at or before arrival is on a following day.
    dep = np.where(dep <= arr, dep + 24.0 * np.ceil((arr - dep) / 24.0 + 1e-12), dep)
    dep = np.minimum(dep, arr + 72.0)
    strategy = STRATEGIES.index(spec.strategy)
    if strategy == 2:
        if intensity_kg_per_kwh is None or np.shape(intensity_kg_per_kwh) != (24,):
            raise ValueError("carbon_aware charging needs 24 hourly intensity_kg_per_kwh values")
        intensity = np.ascontiguousarray(intensity_kg_per_kwh, dtype=np.float64)
    else:
        intensity = np.zeros(24)
    win_start = spec.off_peak_start_s / 3600.0
    win_end = spec.off_peak_end_s / 3600.0
    if win_end <= win_start:
        win_end += 24.0
    eff = spec.charger_efficiency
    need_grid = np.ascontiguousarray(energy / eff)
    load = np.zeros((n_zones, 24))
    drawn = np.zeros(n)
    _charging_kernel(
        arr,
        np.ascontiguousarray(dep),
        need_grid,
        power,
        zones,
        strategy,
        win_start,
        win_end,
        intensity,
        load,
        drawn,
    )
    delivered = drawn * eff
    return ChargingResult(load, delivered, np.maximum(energy - delivered, 0.0))


#: The draws module's purposes of charger access: where the trip ends, and at home for a
#: work session that found no charger.
ACCESS_PURPOSE = "charger-access"
HOME_ACCESS_PURPOSE = "charger-access-home"


def access_uniforms(seed: int, identity: np.ndarray, home_fallback: bool = False) -> np.ndarray:
    """Keyed uniforms of charger access for trips of stable ``identity``.

    Keyed by (seed, purpose, identity) (:mod:`twincity.draws`), so a policy that
    changes which trips are electric or made leaves every other trip's access alone.

    >>> bool((access_uniforms(1, np.array([4, 9]))[1] == access_uniforms(1, np.array([9]))).all())
    True
    """
    return draws.uniform(seed, HOME_ACCESS_PURPOSE if home_fallback else ACCESS_PURPOSE,
                         np.asarray(identity, dtype=np.int64))


def charger_power_kw(at_home: np.ndarray, spec: ChargingSpec, u: np.ndarray) -> np.ndarray:
    """Charger power for each session: home or work charger if the vehicle has access.

    Access: the session's uniform ``u`` below the spec's home/work charger share
    (keyed numbers, :func:`access_uniforms`); no access gives 0 kW.

    Example:
        >>> import numpy as np
        >>> from twincity.scenario.sections_energy import ChargingSpec
        >>> p = charger_power_kw(np.array([True, False]),
        ...                      ChargingSpec(home_charger_share=1, work_charger_share=0),
        ...                      np.array([0.3, 0.6]))
        >>> p.tolist()
        [7.4, 0.0]
    """
    home = np.asarray(at_home, dtype=bool)
    u = np.asarray(u, dtype=np.float64)
    power = np.where(home, spec.home_charger_kw, spec.work_charger_kw)
    share = np.where(home, spec.home_charger_share, spec.work_charger_share)
    return np.where(u < share, power, 0.0)


@dataclass(frozen=True)
class ChargingSessions:
    """Charging sessions as a struct of arrays (city scale: energy already ÷ sample share).

    ``arrival_h``/``departure_h`` are hours since midnight (a departure at or before
    the arrival is the next day); ``energy_kwh`` is battery energy to restore;
    ``power_kw`` the charger power; ``zone`` where the car is parked; ``at_home``
    whether it is a home (overnight) session.
    """

    arrival_h: np.ndarray
    departure_h: np.ndarray
    energy_kwh: np.ndarray
    power_kw: np.ndarray
    zone: np.ndarray
    at_home: np.ndarray

    @property
    def size(self) -> int:
        """Number of sessions."""
        return int(self.arrival_h.size)

    def take(self, mask: np.ndarray) -> ChargingSessions:
        """The sessions selected by ``mask`` (a boolean mask or an index array)."""
        return ChargingSessions(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


def charge(sessions: ChargingSessions, n_zones: int, spec: ChargingSpec,
           intensity_kg_per_kwh: np.ndarray | None) -> ChargingResult:
    """Charging load per zone and hour; the off-peak window governs home sessions only.

    Under ``off_peak`` a workplace session charges on arrival (``uncontrolled``): the
    window is a tariff for overnight home charging, and a car parked 09:00–17:00
    would otherwise never charge. The other strategies apply to every session.

    Example:
        >>> s = ChargingSessions(np.array([18.0]), np.array([7.0]), np.array([7.4]),
        ...                      np.array([7.4]), np.array([0]), np.array([True]))
        >>> r = charge(s, 1, ChargingSpec(strategy="off_peak", charger_efficiency=1.0), None)
        >>> int(np.argmax(r.load_kwh[0]))
        22
    """
    def run(sub: ChargingSessions, strategy_spec: ChargingSpec) -> ChargingResult:
        return charging_load_kwh(sub.arrival_h, sub.departure_h, sub.energy_kwh, sub.power_kw,
                                 sub.zone, n_zones, strategy_spec,
                                 intensity_kg_per_kwh=intensity_kg_per_kwh)

    if spec.strategy != "off_peak":
        return run(sessions, spec)
    home, work = sessions.take(sessions.at_home), sessions.take(~sessions.at_home)
    a = run(home, spec)
    b = run(work, spec.model_copy(update={"strategy": "uncontrolled"}))
    delivered = np.zeros(sessions.size)
    unmet = np.zeros(sessions.size)
    delivered[sessions.at_home], delivered[~sessions.at_home] = a.delivered_kwh, b.delivered_kwh
    unmet[sessions.at_home], unmet[~sessions.at_home] = a.unmet_kwh, b.unmet_kwh
    return ChargingResult(a.load_kwh + b.load_kwh, delivered, unmet)
