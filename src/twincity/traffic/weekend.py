"""The weekend traffic day: a keyed subset (or repetition) of the weekday's trips.

Traffic equilibrates one weekday. A weekend day is then one more run of the queue
kernel (:class:`~twincity.traffic.simulation.TrafficSim`) with the weekday's
equilibrated routes, departures and modes, for the trips made at weekends:

* each trip of purpose *p* is made ``floor(r_p)`` times plus once more with
  probability ``r_p − floor(r_p)``, ``r_p`` the scenario's weekend/weekday ratio of
  its purpose (``demand.weekend``: commute, other, freight), by the trip's own keyed
  number (:mod:`twincity.draws`, purpose ``"weekend"``, the book entry's identity);
  so a policy that removes some trips keeps the weekend draws of every other trip,
  and two arms share their weekend days (common random numbers);
* the weekend day is **not re-equilibrated**: it is less congested than the weekday,
  so routes and departures chosen for the weekday's congestion, and mode shares of
  the weekday, stand for it (weekend travel is later in the day and more by car in
  travel surveys; both are left out). On emptier roads a re-equilibrated weekend
  would find routes at least as good, so this errs toward overstating weekend delay
  slightly. The run's notes compare weekend and weekday mean road travel times (the
  shipped cities: 7.3 vs 8.0 min in Sejong, 9.4 vs 9.4 in Helsinki, 14.2 vs 14.6 in
  Singapore).

Annual traffic figures are ``W_weekday × weekday + W_weekend × weekend`` with the
day counts of :meth:`~twincity.scenario.sections_climate.ClimateSpec.days_of_type`.

Example:
    >>> weekend_copies(1, np.arange(6), np.array([0.0, 1.0, 2.0, 0.0, 1.0, 2.0])).tolist()
    [0, 1, 2, 0, 1, 2]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from twincity import draws
from twincity.products import RoadTraffic
from twincity.scenario.sections_city import WeekendSpec
from twincity.vocab import COMMUTE, FREIGHT_PURPOSE, OTHER, PURPOSES

#: The draws module's purpose name of the weekend draw.
WEEKEND_PURPOSE = "weekend"


def weekend_copies(seed: int, identity: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """How many times each entry travels on the weekend day: ``floor(r) + (u < frac(r))``.

    ``u`` is the entry's keyed uniform (``(seed, "weekend", identity)``), so the
    expected number of copies is ``ratio`` and an entry's count never depends on
    which other entries exist.
    """
    ratio = np.asarray(ratio, dtype=np.float64)
    whole = np.floor(ratio)
    u = draws.uniform(seed, WEEKEND_PURPOSE, identity)
    return (whole + (u < ratio - whole)).astype(np.int64)


def entry_ratios(spec: WeekendSpec, purpose: np.ndarray) -> np.ndarray:
    """Weekend/weekday ratio of every book entry by its purpose code (hire legs: the
    passenger's; trucks: freight).

    Example:
        >>> s = WeekendSpec(commute_ratio=0.25, other_ratio=1.1, freight_ratio=0.3)
        >>> entry_ratios(s, np.array([0, 1, 2])).tolist()
        [0.25, 1.1, 0.3]
    """
    by_purpose = np.empty(len(PURPOSES))
    by_purpose[[COMMUTE, OTHER, FREIGHT_PURPOSE]] = (spec.commute_ratio, spec.other_ratio,
                                                     spec.freight_ratio)
    return by_purpose[np.asarray(purpose, dtype=np.int64)]


@dataclass(frozen=True)
class WeekendDay:
    """The simulated weekend day: copies per entry and its trip table and road traffic."""

    #: Times each book entry travels on the weekend day (people, then trucks).
    copies: np.ndarray
    #: The weekday trip table's rows (same order) with weekend values: ``energy_kwh``
    #: and ``distance_m`` summed over the trip's copies (0 if not made), ``travel_time_s``
    #: their mean (NaN if not made), ``weekend_trips`` the copies.
    frame: pd.DataFrame
    road_traffic: RoadTraffic
    #: Mean road travel time (s) of the vehicles that arrived, weekend and weekday.
    mean_road_time_s: float
    weekday_mean_road_time_s: float


def weekend_frame(weekday: pd.DataFrame, copies: np.ndarray, entry: np.ndarray,
                  kernel: pd.DataFrame) -> pd.DataFrame:
    """The weekday trip table with the weekend day's values (see :class:`WeekendDay`).

    ``entry``: the book entry (= trip-table row) of each weekend kernel vehicle, in the
    kernel's order; ``kernel``: the weekend kernel's trip table.

    Example:
        >>> wd = pd.DataFrame({"road": [True, True, False], "departure_s": [0.0, 10.0, 5.0],
        ...     "travel_time_s": [60.0, 60.0, 100.0], "distance_m": [1e3, 2e3, 500.0],
        ...     "energy_kwh": [1.0, 2.0, 0.0], "toll_paid": [0.0] * 3,
        ...     "aborted": [False] * 3, "stuck": [False] * 3})
        >>> k = pd.DataFrame({"travel_time_s": [50.0, 40.0, 60.0], "distance_m": [2e3] * 3,
        ...     "trip_energy": [2.0] * 3, "toll_paid": [0.0] * 3, "stuck": [False] * 3,
        ...     "state": ["arrived"] * 3})
        >>> f = weekend_frame(wd, np.array([0, 2, 1]), np.array([1, 1]), k.iloc[:2])
        >>> f["energy_kwh"].tolist(), f["travel_time_s"].tolist()[:2], f["weekend_trips"].tolist()
        ([0.0, 4.0, 0.0], [nan, 45.0], [0, 2, 1])
    """
    n = len(weekday)
    out = weekday.copy()
    made = copies > 0
    road = out["road"].to_numpy(dtype=bool)

    def per_row(col: str) -> np.ndarray:
        return np.bincount(entry, weights=kernel[col].to_numpy(np.float64), minlength=n)

    on_road = np.bincount(entry, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        tt = per_row("travel_time_s") / on_road
    # off the road: the weekday's door-to-door times and distances, once per copy
    tt = np.where(road, tt, out["travel_time_s"].to_numpy(np.float64))
    tt[~made] = np.nan
    dist = np.where(road, per_row("distance_m"),
                    out["distance_m"].to_numpy(np.float64) * copies)
    energy = np.where(road, per_row("trip_energy"), 0.0)
    aborted = np.bincount(entry, weights=np.asarray(kernel["state"] == "aborted", np.float64),
                          minlength=n) > 0
    stuck = np.bincount(entry, weights=kernel["stuck"].to_numpy(np.float64), minlength=n) > 0
    out["travel_time_s"] = tt
    out["distance_m"] = np.where(made, dist, 0.0)
    out["energy_kwh"] = np.where(made, energy, 0.0)
    out["toll_paid"] = np.where(road, per_row("toll_paid"), 0.0)
    out["aborted"] = np.where(road, aborted, False)
    out["stuck"] = np.where(road, stuck, False)
    if "arrival_s" in out:
        out["arrival_s"] = out["departure_s"] + out["travel_time_s"]
    out["weekend_trips"] = copies
    return out
