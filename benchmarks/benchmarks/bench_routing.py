"""Routing: shortest-path trees per second and routes per second.

``shortest_path_trees`` grows one Dijkstra tree per origin (numba); the
networks are the 30 × 30 benchmark grid and the synthetic city. ``route_trips``
builds CSR routes of many trips (trees by origin, then route extraction).
"""

from __future__ import annotations

import time

import numpy as np

from twincity.city.grid_network import grid_network
from twincity.traffic.routing import shortest_path_trees

from .common import (
    CITY_DEPARTURE_WINDOW_S,
    CITY_MEAN_TRIP_M,
    free_flow_routes,
    local_trips,
    rng_for,
    synthetic_city,
)

N_ORIGINS = 256


def _network(name: str):
    return grid_network(30) if name == "grid30" else synthetic_city()


class ShortestPathTrees:
    """``N_ORIGINS`` trees (random origins, free-flow costs) per call."""

    params = [["grid30", "city"]]
    param_names = ["network"]
    timeout = 600

    def setup(self, network):
        self.net = _network(network)
        self.origins = rng_for("origins").integers(0, self.net.n_nodes, N_ORIGINS)
        self._trees()  # compile / load the cache

    def _trees(self):
        n = self.net
        return shortest_path_trees(n.out_start, n.out_link, n.link_to, n.free_flow_s,
                                   self.origins)

    def time_trees(self, network):
        self._trees()

    def track_trees_per_s(self, network):
        t0 = time.perf_counter()
        reps = 0
        while True:
            self._trees()
            reps += 1
            dt = time.perf_counter() - t0
            if dt > 1.0:
                return reps * N_ORIGINS / dt

    track_trees_per_s.unit = "trees/s"


class RouteTrips:
    """Free-flow routes of N local trips on the synthetic city (trees by origin + route
    extraction + CSR assembly); the trips are drawn in setup."""

    params = [[100_000, 1_000_000]]
    param_names = ["trips"]
    number = 1
    repeat = (1, 3, 60.0)
    timeout = 900

    def setup(self, trips):
        self.net = synthetic_city()
        self.trips = local_trips(self.net, trips, CITY_MEAN_TRIP_M, CITY_DEPARTURE_WINDOW_S,
                                 rng_for("city"))
        free_flow_routes(self.net, *(a[:100] for a in self.trips))  # compile / load the cache

    def time_route_trips(self, trips):
        free_flow_routes(self.net, *self.trips)

    def track_routes_per_s(self, trips):
        t0 = time.perf_counter()
        routes = free_flow_routes(self.net, *self.trips)
        dt = time.perf_counter() - t0
        assert np.all(routes.ok)
        return trips / dt

    track_routes_per_s.unit = "routes/s"
