"""The traffic day's trip table: one row per book entry (:mod:`twincity.traffic.entries`).

Road trips carry the kernel's times; transit, walk and bike trips their
door-to-door skim times (access + wait + in-vehicle for transit). Times are
seconds after midnight; ``free_flow_time_s`` is the free-flow time of the route
driven. Vehicles nobody chose (trucks, hire legs) have a row even when they had
no path (``no_path``); trucks have no zones (``-1``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from twincity.traffic.routes import route_costs, take_routes
from twincity.traffic.skims import straight_line_m
from twincity.traffic.transit import transit_skims
from twincity.vocab import (
    ACTIVE_MODES,
    BIKE,
    CAR,
    FREIGHT,
    HIRE,
    HIRE_EMPTY,
    PURPOSES,
    TRANSIT,
    TRIP_MODES,
    TRUCK,
    WALK,
)

#: Detour factor of walking and cycling over straight-line distance (as mode choice uses).
ACTIVE_DETOUR = 1.3


def _scatter(values: np.ndarray, index: np.ndarray, n: int) -> np.ndarray:
    """``values`` placed at ``index`` of a NaN array of length ``n``."""
    out = np.full(n, np.nan)
    out[index] = values
    return out


def build_trip_table(ts: Any) -> pd.DataFrame:
    """The trip table of the traffic subsystem ``ts``'s reported day, its kernel as it stands.

    Rows follow the book (people, trucks, hire legs); see the module doc for the
    columns' meaning. :meth:`~twincity.traffic.subsystem.TrafficSubsystem.trip_table`
    caches it. (``ts`` is not annotated with its class: the subsystem imports this
    module.)
    """
    t, kernel = ts.trips, ts.sim.trip_table()
    city = ts.context.city
    d = city.spec.demand
    road = ts.sim_road
    lay = ts.layout
    drivers = road[lay.is_person(road)]
    n_drv = len(drivers)
    walk_m = straight_line_m(city.zones)[t.origin_zone, t.dest_zone] * ACTIVE_DETOUR
    link_time = ts.days[-1].link_time_s if ts.days else None
    transit = transit_skims(city, link_time_s=None if link_time is None
                            else link_time.mean(axis=0))
    pt_s = (transit.access_s + transit.wait_s + transit.in_vehicle_s)[t.origin_zone,
                                                                       t.dest_zone]
    mode = ts.mode
    tt = np.select([mode == TRANSIT, mode == WALK, mode == BIKE],
                   [pt_s, walk_m / d.walk_speed_mps, walk_m / d.bike_speed_mps], np.nan)
    dist = np.where(np.isin(mode, ACTIVE_MODES), walk_m, np.nan)
    routes = take_routes(ts.book, road)
    ff = np.where(routes.ok, route_costs(routes.start, routes.links, ts.net.free_flow_s,
                                         np.zeros(len(road), dtype=np.int64)), np.nan)
    col = {c: np.zeros(len(t), dtype=kernel[c].dtype)
           for c in ("toll_paid", "stuck", "trip_energy")}
    free = np.full(len(t), np.nan)
    tt[drivers] = kernel["travel_time_s"].to_numpy()[:n_drv]
    dist[drivers] = kernel["distance_m"].to_numpy()[:n_drv]
    for c in col:
        col[c][drivers] = kernel[c].to_numpy()[:n_drv]
    free[drivers] = ff[:n_drv]
    aborted = np.asarray(kernel["state"] == "aborted")
    person_aborted = np.zeros(len(t), dtype=bool)
    person_aborted[drivers] = aborted[:n_drv]
    cls = np.full(len(t), "", dtype=object)
    cls[drivers] = np.asarray(ts.classes, dtype=object)[ts.car_class[drivers]]
    # vehicles nobody chose (trucks, then hire legs): scattered to their entries
    n_v = lay.n - lay.n_people
    v_rows = road[n_drv:] - lay.n_people  # those the kernel simulated, in order
    sim_v = kernel.iloc[n_drv:]
    veh = {c: _scatter(sim_v[c].to_numpy(np.float64), v_rows, n_v)
           for c in ("travel_time_s", "distance_m", "toll_paid", "trip_energy")}
    veh["stuck"] = _scatter(sim_v["stuck"].to_numpy(np.float64), v_rows, n_v) == 1
    veh_aborted = _scatter(aborted[n_drv:].astype(np.float64), v_rows, n_v) == 1
    h = ts.hire
    v_departure = ts.desired_s[lay.n_people:]
    v_mode = np.concatenate([np.full(ts.n_trucks, FREIGHT),
                             np.where(h.occupied, HIRE, HIRE_EMPTY)])
    v_class = np.concatenate([np.full(ts.n_trucks, TRUCK, dtype=object),
                              np.asarray(ts.classes, dtype=object)[ts.hire_class]])
    zone = ts.context.city.zones.node_zone
    v_origin = np.concatenate([np.full(ts.n_trucks, -1), zone[h.origin_node]])
    v_dest = np.concatenate([np.full(ts.n_trucks, -1), zone[h.dest_node]])
    no_path = np.zeros(lay.n, dtype=bool)
    no_path[ts.unroutable] = True
    return pd.DataFrame({
        "mode": pd.Categorical.from_codes(np.concatenate([mode, v_mode]), TRIP_MODES),
        "purpose": pd.Categorical.from_codes(ts.entry_purpose, PURPOSES),
        "veh_class": np.concatenate([cls, v_class]),
        "origin_zone": np.concatenate([t.origin_zone, v_origin]),
        "dest_zone": np.concatenate([t.dest_zone, v_dest]),
        # road travellers may have shifted their departure (departure-time choice)
        "departure_s": np.concatenate([np.where(mode == CAR, ts.departure_s[: len(t)],
                                               t.departure_s), v_departure]),
        "desired_departure_s": np.concatenate([t.departure_s, v_departure]),
        "travel_time_s": np.concatenate([tt, veh["travel_time_s"]]),
        "distance_m": np.concatenate([dist, veh["distance_m"]]),
        "toll_paid": np.concatenate([col["toll_paid"], veh["toll_paid"]]),
        "energy_kwh": np.concatenate([col["trip_energy"], veh["trip_energy"]]),
        "aborted": np.concatenate([person_aborted, veh_aborted]),
        "no_path": no_path,
        "stuck": np.concatenate([col["stuck"], veh["stuck"]]).astype(bool),
        "road": np.concatenate([mode == CAR, np.ones(n_v, dtype=bool)]),
        "free_flow_time_s": np.concatenate([free, _scatter(ff[n_drv:], v_rows, n_v)]),
    }).assign(arrival_s=lambda df: df["departure_s"] + df["travel_time_s"])
