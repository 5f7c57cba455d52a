"""Traffic KPIs of a simulated day, from the trip table and the link statistics.

Totals are given for the whole city: a run that simulates a sample of trips
(``sample_share``) divides counts and vehicle-kilometres by the share.

* ``mean_commute_time``: mean door-to-door time of commute trips, every mode, min.
* ``travel_time_index`` (U4SSC EC: I: T: 5A): car travel time over the free-flow
  time of the same routes, summed over car trips.
* ``person_trips_per_day``: trips of residents (freight vehicles are not persons).
* ``vehicle_km``: road vehicle-kilometres per day (cars and trucks).
* ``mode_share_<mode>``: share of person trips by main mode.
* ``total_delay``: vehicle-hours lost against free flow per day.
* ``congested_lane_km``: lane-km of links whose mean speed fell below half
  the free-flow speed in at least one interval.
* ``stuck_share``: share of road trips squeezed through a gridlock.
* ``aborted_share``: share of road trips removed from a gridlock (never arrived).
* ``vehicle_km_central``: road vehicle-km per day on links inside the central
  area (both end nodes among the :data:`CENTRAL_NODE_SHARE` of nodes nearest
  the centre — the area congestion pricing charges by default).
* ``delay_central_peak``: vehicle-hours lost against free flow on those links
  in the AM and PM peaks (:data:`PEAK_PERIODS_H`, local time), per day.

The last two come from the link table (vehicles leaving each link per
interval and their summed travel time), :func:`central_area_kpis`. Every
KPI's unit and good direction is in :data:`twincity.kpi.CATALOGUE`.

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
from twincity.kpi import make_kpi
from twincity.results import KPI
from twincity.vocab import MODES

#: A link counts as congested below this share of its free-flow speed.
CONGESTED_SPEED_SHARE = 0.5
#: Share of nodes nearest the centre that make the central area of the area KPIs
#: (congestion pricing's default ``central_share``).
CENTRAL_NODE_SHARE = 0.1
#: AM and PM peak periods of ``delay_central_peak``, local hours [start, end): the
#: hours around Singapore's weekday ERP charging periods (7:30–9:30, 17:30–20:00).
PEAK_PERIODS_H: tuple[tuple[float, float], ...] = ((7.0, 10.0), (17.0, 20.0))


def central_nodes(net: Network, centre_xy_m: tuple[float, float], share: float) -> np.ndarray:
    """Mask of the ``share`` of nodes nearest to ``centre_xy_m`` (at least one; ties by index)."""
    d = np.hypot(net.node_x_m - centre_xy_m[0], net.node_y_m - centre_xy_m[1])
    k = max(1, round(share * net.n_nodes))
    mask = np.zeros(net.n_nodes, dtype=bool)
    mask[np.argsort(d, kind="stable")[:k]] = True
    return mask


def central_links(net: Network, centre_xy_m: tuple[float, float],
                  share: float = CENTRAL_NODE_SHARE) -> np.ndarray:
    """Mask of links with both end nodes in the central area."""
    inside = central_nodes(net, centre_xy_m, share)
    return inside[net.link_from] & inside[net.link_to]


def central_area_kpis(links: pd.DataFrame, net: Network, centre_xy_m: tuple[float, float], *,
                      sample_share: float, start_s: float = 0.0,
                      peaks_h: tuple[tuple[float, float], ...] = PEAK_PERIODS_H) -> list[KPI]:
    """``vehicle_km_central`` and ``delay_central_peak`` from a run's link table.

    ``links`` has one row per interval and link with ``start_s`` (seconds from
    the simulation start at ``start_s``), ``link``, ``outflow_veh`` and
    ``mean_travel_time_s``. Vehicle-km count vehicles leaving a central link
    times its length; delay sums, over vehicles leaving a central link in a
    peak interval, their time on it above free flow (never below 0). Both
    are divided by ``sample_share`` (city totals).
    """
    central = central_links(net, centre_xy_m)
    link = links["link"].to_numpy()
    inside = central[link]
    out_veh = links["outflow_veh"].to_numpy(np.float64)
    length = net.length_m[link]
    vkm = float(np.sum(out_veh[inside] * length[inside])) / 1000.0 / sample_share
    hour = ((start_s + links["start_s"].to_numpy(np.float64)) / 3600.0) % 24.0
    peak = np.zeros(len(links), dtype=bool)
    for a, b in peaks_h:
        peak |= (hour >= a) & (hour < b)
    sel = inside & peak & (out_veh > 0)
    mean_tt = links["mean_travel_time_s"].to_numpy(np.float64)[sel]
    excess = np.clip(np.nan_to_num(mean_tt - net.free_flow_s[link[sel]]), 0.0, None)
    delay_h = float(np.sum(excess * out_veh[sel])) / 3600.0 / sample_share
    return [make_kpi("vehicle_km_central", vkm), make_kpi("delay_central_peak", delay_h)]


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
        make_kpi("person_trips_per_day", len(people) * scale),
        make_kpi("mean_commute_time", float(commute["travel_time_s"].mean()) / 60.0
                 if len(commute) else float("nan")),
        make_kpi("travel_time_index", tti if np.isfinite(tti) else float("nan")),
        make_kpi("vehicle_km", float(road["distance_m"].sum()) / 1000.0 * scale),
        make_kpi("total_delay", delay_h * scale),
        make_kpi("stuck_share", float(road["stuck"].mean()) if len(road) else 0.0),
        make_kpi("aborted_share", float(road["aborted"].mean())
                 if len(road) and "aborted" in road else 0.0),
    ]
    for mode in MODES:
        kpis.append(make_kpi(f"mode_share_{mode}", float((people["mode"] == mode).sum()) / n))
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
