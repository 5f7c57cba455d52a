"""The warm start before the first simulated day (module doc of the traffic subsystem, 2).

Modes are chosen on static-equilibrium link times, then first routes are spread over
alternatives by a discrete method of successive averages, so the first simulated day
does not pile each origin's vehicles onto one path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from twincity import draws
from twincity.traffic.assignment import bpr_cost, frank_wolfe
from twincity.traffic.routes import departure_slot, replace_routes, take_routes

#: Rounds of (static assignment, mode choice) before the first simulated day.
WARM_START_ROUNDS = 1
#: Iterations of the discrete route-spreading step before the first simulated day.
SPREAD_ITERATIONS = 4
#: Relative gap of the warm-start static assignments.
WARM_START_GAP = 1e-3

# ``ts`` below is the traffic subsystem (not annotated with its class: it imports this module).



def static_link_times(ts: Any) -> np.ndarray:
    """Warm start: BPR link times per slot at the static equilibrium of its road OD.

    Each slot's road vehicles (as zone-to-zone flows per hour) are assigned by
    bi-conjugate Frank-Wolfe to a relative gap of :data:`WARM_START_GAP`, tolls
    counted at the value of time; free-flow routes would pile a whole city's
    demand onto the same few links on the first simulated day.
    """
    zones = ts.context.city.zones
    road = ts.road_vehicles()
    slot = departure_slot(ts.departure_s[road] - ts.start_s, ts.slot_s, ts.n_slots)
    cell = ts.origin_zone_of_entry[road].astype(np.int64) * zones.n + ts.dest_zone_of_entry[road]
    tolls = ts.tolls()
    times = np.repeat(ts.net.free_flow_s[None, :], ts.n_slots, axis=0)
    per_h = 3600.0 / ts.slot_s
    for s in np.unique(slot):  # a loop over time slots, not vehicles
        od = np.bincount(cell[slot == s], minlength=zones.n * zones.n).reshape(
            zones.n, zones.n) * per_h
        net = ts.planning_network().replace(toll=tolls[s])
        res = frank_wolfe(net, od, zones.node, gap=WARM_START_GAP, max_iter=100,
                          method="bfw", toll_factor=3600.0 / ts.vot)
        times[s] = bpr_cost(net, res.flow_vph)
    return times


def spread_routes(ts: Any, link_time_s: np.ndarray) -> np.ndarray:
    """First-day routes spread like a static equilibrium; returns their BPR link times.

    Routing every vehicle on equilibrium link times puts all trips of an
    origin on one path (all-or-nothing), which overloads it. Instead, as a
    discrete method of successive averages on BPR costs, a share
    ``1/(k + 1)`` of vehicles takes the best route under the link flows of
    the current routes at each of :data:`SPREAD_ITERATIONS` iterations.
    """
    net = ts.planning_network()
    road = ts.road_vehicles()
    slot = departure_slot(ts.departure_s[road] - ts.start_s, ts.slot_s, ts.n_slots)
    ts.book = replace_routes(ts.book, road, ts.reroute(road, link_time_s))
    per_h = 3600.0 / ts.slot_s
    times = link_time_s
    for k in range(1, SPREAD_ITERATIONS + 1):
        mine = take_routes(ts.book, road)
        cell = np.repeat(slot, np.diff(mine.start)) * net.n_links + mine.links
        flow_vph = np.bincount(cell, minlength=ts.n_slots * net.n_links).reshape(
            ts.n_slots, net.n_links) * per_h
        times = net.free_flow_s * (1.0 + net.bpr_alpha * (flow_vph / net.capacity_vph)
                                   ** net.bpr_beta)
        u = draws.uniform(ts.seed, "route-spread", ts.identity[road], k)
        movers = road[u < 1.0 / (k + 1)]
        ts.book = replace_routes(ts.book, movers, ts.reroute(movers, times))
    return times


def warm_start(ts: Any, link_time: np.ndarray) -> None:
    """Static-equilibrium link times, modes again, spread first routes (module doc, 2).

    Starts from the modes chosen on ``link_time`` (free flow) in ``__init__``.
    """
    for _ in range(WARM_START_ROUNDS):
        link_time = static_link_times(ts)
        ts.mode = ts.preferred_modes(ts.skims_by_slot(link_time))
    spread_routes(ts, link_time)
