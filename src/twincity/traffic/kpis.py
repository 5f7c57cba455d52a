"""Traffic KPIs of a simulated day, from the trip table and the link statistics.

Totals are given for the whole city: a run that simulates a sample of trips
(``sample_share``) divides counts and vehicle-kilometres by the share.

* ``mean_commute_time``: mean door-to-door time of commute trips, every mode, min.
* ``travel_time_index`` (U4SSC EC:I:T:5A): car travel time over the free-flow
  time of the same routes, summed over car trips.
* ``person_trips_per_day``: trips of residents (freight vehicles are not persons).
* ``vehicle_km``: road vehicle-kilometres per day (cars and trucks).
* ``mode_share_<mode>``: share of person trips by main mode.
* ``total_delay``: vehicle-hours lost against free flow per day.
* ``congested_lane_km``: lane-km of links whose mean speed fell below half
  the free-flow speed in at least one interval.
* ``stuck_share``: share of road trips squeezed through a gridlock.
* ``aborted_share``: share of road trips removed from a gridlock (never arrived).

Example:
    >>> import pandas as pd
    >>> t = pd.DataFrame({"mode": ["car", "walk"], "purpose": ["commute", "commute"],
    ...     "travel_time_s": [600.0, 1200.0], "free_flow_time_s": [300.0, float("nan")],
    ...     "distance_m": [5000.0, 1500.0], "stuck": [False, False], "road": [True, False]})
    >>> k = {x.name: x.value for x in trip_kpis(t, sample_share=0.5)}
    >>> k["mean_commute_time"], k["travel_time_index"], k["vehicle_km"]
    (15.0, 2.0, 10.0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twincity.city.network import Network
from twincity.results import KPI

MODES = ("car", "transit", "walk", "bike")
#: A link counts as congested below this share of its free-flow speed.
CONGESTED_SPEED_SHARE = 0.5


def trip_kpis(trips: pd.DataFrame, *, sample_share: float) -> list[KPI]:
    """KPIs from the per-trip table (see the module docstring)."""
    scale = 1.0 / sample_share
    people = trips[trips["mode"].isin(MODES)]
    commute = people[people["purpose"] == "commute"]
    road = trips[trips["road"]]
    car = trips[trips["mode"] == "car"]
    done = car["travel_time_s"].notna() & car["free_flow_time_s"].notna()
    with np.errstate(invalid="ignore", divide="ignore"):
        tti = float(car.loc[done, "travel_time_s"].sum() / car.loc[done, "free_flow_time_s"].sum())
    delay_h = float((road["travel_time_s"] - road["free_flow_time_s"]).clip(lower=0).sum()) / 3600
    n = max(len(people), 1)
    kpis = [
        KPI("person_trips_per_day", len(people) * scale, "trips/day"),
        KPI("mean_commute_time", float(commute["travel_time_s"].mean()) / 60.0
            if len(commute) else float("nan"), "min"),
        KPI("travel_time_index", tti if np.isfinite(tti) else float("nan"), "ratio",
            "EC:I:T:5A"),
        KPI("vehicle_km", float(road["distance_m"].sum()) / 1000.0 * scale, "veh-km/day"),
        KPI("total_delay", delay_h * scale, "veh-h/day"),
        KPI("stuck_share", float(road["stuck"].mean()) if len(road) else 0.0, "share"),
        KPI("aborted_share", float(road["aborted"].mean())
            if len(road) and "aborted" in road else 0.0, "share"),
    ]
    for mode in MODES:
        kpis.append(KPI(f"mode_share_{mode}", float((people["mode"] == mode).sum()) / n, "share"))
    return kpis


def congested_lane_km(net: Network, mean_speed_mps: np.ndarray) -> float:
    """Lane-km of links below :data:`CONGESTED_SPEED_SHARE` of free flow in any interval.

    Free-flow speed is the road's speed with the average signal delay of a
    signalised approach included (an empty signalised street is not congested).

    ``mean_speed_mps`` is ``[n_intervals, n_links]`` (NaN where nobody left the link).
    """
    free_mps = net.length_m / (net.length_m / net.speed_mps + net.signal_delay_s)
    with np.errstate(invalid="ignore"):
        slow = np.nan_to_num(mean_speed_mps, nan=np.inf) < CONGESTED_SPEED_SHARE * free_mps
    congested = slow.any(axis=0)
    return float(np.sum(net.length_m[congested] * net.lanes[congested]) / 1000.0)
