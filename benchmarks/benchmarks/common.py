"""Workloads shared by the asv benchmarks, the peer comparison and the scaling run.

Every workload is fully determined by its declared parameters and a fixed
seed (a ``numpy`` Generator from a ``SeedSequence``; no global state), so the
same call yields the same network, trips and routes in every tool and run.

- :func:`grid_workload`: the peer-comparison grid (``G × G`` junctions 500 m
  apart, two-way links at 50 km/h) with random node-to-node trips departing
  uniformly over one hour and free-flow shortest-path routes.
- :func:`synthetic_city`: the scaling/throughput network, a generated
  monocentric city (:data:`SYNTHETIC_CITY`, ~3.3k junctions, ~12k links).
- :func:`city_trips`: trips departing uniformly over
  :data:`CITY_DEPARTURE_WINDOW_S` on any network, routed at free flow; by
  default *local* (destination at an exponentially distributed straight-line
  distance, mean :data:`CITY_MEAN_TRIP_M`, in a uniform direction, snapped to
  the nearest node), or uniform node-to-node (``mean_trip_m=None``). Uniform
  node-to-node trips across a 25 km city funnel onto the motorways: at 1M
  trips the synthetic city gridlocks (the ``KernelGridlock`` benchmark).
- :func:`gravity_demand`: a zones × zones peak-hour OD matrix for static
  assignment (zones on a Vogel spiral, Clark density profiles, exponential
  deterministic gravity).

Example:
    >>> w = grid_workload(4, n_trips=100, lanes=1, seed=1)
    >>> w.net.n_links, w.routes.n_trips, bool(w.routes.ok.all())
    (48, 100, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from twincity.city.generator import generate_network
from twincity.city.grid_network import grid_network
from twincity.city.network import Network, nearest_index
from twincity.city.zones import vogel_points
from twincity.scenario.sections_network import StreetGeneratorSpec
from twincity.traffic.routes import Routes, route_trips
from twincity.traffic.simulation import TrafficSim

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
#: The shipped cities (one scenario file each).
SHIPPED_CITIES = ("sejong", "helsinki", "singapore")

#: Root seed of every benchmark workload.
SEED = 20261124

#: The synthetic city of the throughput, memory and scaling benchmarks.
SYNTHETIC_CITY = {"urban_area_km2": 480.0, "arterial_spacing_m": 500.0, "seed": 7}
#: Trips on a city depart uniformly over this window (s) ...
CITY_DEPARTURE_WINDOW_S = 20 * 3600.0
#: ... and the run lasts this long (s).
CITY_HORIZON_S = 24 * 3600.0
#: Mean straight-line distance of local city trips (m): about 19 links, 9.5 km
#: of road on the synthetic city, a typical urban car trip.
CITY_MEAN_TRIP_M = 8000.0

#: Peer-comparison grid: departures over one hour, a two-hour horizon.
GRID_DEPARTURE_WINDOW_S = 3600.0
GRID_HORIZON_S = 2 * 3600.0


def rng_for(name: str, seed: int = SEED) -> np.random.Generator:
    """A Generator for a named stream of the benchmark seed (names never share numbers)."""
    key = int.from_bytes(name.encode()[:8].ljust(8, b"\0"), "little")
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(key,)))


def random_trips(n_nodes: int, n_trips: int, window_s: float, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n_trips`` random node-to-node trips (origin ≠ destination), departures uniform over
    ``[0, window_s)``, sorted by departure: ``(origin, dest, departure_s)``."""
    origin = rng.integers(0, n_nodes, n_trips)
    shift = rng.integers(1, n_nodes, n_trips)  # uniform over the other nodes
    dest = (origin + shift) % n_nodes
    departure_s = np.sort(rng.uniform(0.0, window_s, n_trips))
    return origin.astype(np.int32), dest.astype(np.int32), departure_s


def local_trips(net: Network, n_trips: int, mean_trip_m: float, window_s: float,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Trips from uniformly drawn nodes to the node nearest a point at an exponentially
    distributed distance (mean ``mean_trip_m``) in a uniform direction; departures
    uniform over ``[0, window_s)``, sorted: ``(origin, dest, departure_s)``."""
    origin = rng.integers(0, net.n_nodes, n_trips)
    r = rng.exponential(mean_trip_m, n_trips)
    theta = rng.uniform(0.0, 2.0 * np.pi, n_trips)
    dest = nearest_index(net.node_x_m[origin] + r * np.cos(theta),
                         net.node_y_m[origin] + r * np.sin(theta), net.node_x_m, net.node_y_m)
    same = dest == origin  # very short draws: go to the first neighbour instead
    dest[same] = net.link_to[net.out_link[net.out_start[origin[same]]]]
    departure_s = np.sort(rng.uniform(0.0, window_s, n_trips))
    return origin.astype(np.int32), dest.astype(np.int32), departure_s


def free_flow_routes(net: Network, origin: np.ndarray, dest: np.ndarray,
                     departure_s: np.ndarray) -> Routes:
    """Shortest free-flow-time routes (one routing slot)."""
    return route_trips(net, net.free_flow_s[None, :], 1e12, origin, dest, departure_s)


@dataclass(frozen=True, eq=False)
class Workload:
    """A network, trips and their routes: everything a traffic run needs."""

    net: Network
    origin: np.ndarray
    dest: np.ndarray
    departure_s: np.ndarray
    routes: Routes
    horizon_s: float

    @property
    def n_trips(self) -> int:
        return len(self.departure_s)

    def sim(self, seed: int = SEED, **kwargs) -> TrafficSim:
        """A fresh :class:`TrafficSim` of the workload (routes as given)."""
        return TrafficSim(self.net, self.departure_s, self.routes.start, self.routes.links,
                          np.zeros(self.n_trips, dtype=np.int8), horizon_s=self.horizon_s,
                          seed=seed, **kwargs)


def grid_workload(grid_n: int, n_trips: int, lanes: int, seed: int = SEED) -> Workload:
    """The peer-comparison grid scenario with free-flow routes."""
    net = grid_network(grid_n, spacing_m=500.0, lanes=lanes, speed_mps=50 / 3.6)
    o, d, dep = random_trips(net.n_nodes, n_trips, GRID_DEPARTURE_WINDOW_S,
                             rng_for(f"grid{grid_n}", seed))
    return Workload(net, o, d, dep, free_flow_routes(net, o, d, dep), GRID_HORIZON_S)


def synthetic_city() -> Network:
    """The generated city of :data:`SYNTHETIC_CITY`."""
    return generate_network(StreetGeneratorSpec(**SYNTHETIC_CITY))


def city_trips(net: Network, n_trips: int, seed: int = SEED,
               window_s: float = CITY_DEPARTURE_WINDOW_S,
               horizon_s: float = CITY_HORIZON_S,
               mean_trip_m: float | None = CITY_MEAN_TRIP_M) -> Workload:
    """Local trips (or uniform node-to-node ones, ``mean_trip_m=None``) on ``net``,
    routed at free flow."""
    rng = rng_for("city", seed)
    if mean_trip_m is None:
        o, d, dep = random_trips(net.n_nodes, n_trips, window_s, rng)
    else:
        o, d, dep = local_trips(net, n_trips, mean_trip_m, window_s, rng)
    return Workload(net, o, d, dep, free_flow_routes(net, o, d, dep), horizon_s)


def gravity_demand(net: Network, n_zones: int = 60, total_vph: float = 40_000.0,
                   decay_m: float = 5000.0) -> tuple[np.ndarray, np.ndarray]:
    """A peak-hour OD matrix (vph, zones × zones, zero diagonal) and each zone's node.

    Zones sit on a Vogel spiral over the network's extent; productions follow
    ``exp(-r / 3.5 km)`` and attractions ``exp(-r / 2.5 km)`` from the centre;
    ``T_ij ∝ P_i A_j exp(-d_ij / decay_m)`` scaled to ``total_vph``.
    """
    cx, cy = float(net.node_x_m.mean()), float(net.node_y_m.mean())
    radius = float(np.percentile(np.hypot(net.node_x_m - cx, net.node_y_m - cy), 95))
    dx, dy = vogel_points(n_zones, radius)
    r = np.hypot(dx, dy)
    prod, attr = np.exp(-r / 3500.0), np.exp(-r / 2500.0)
    dist = np.hypot(dx[:, None] - dx[None, :], dy[:, None] - dy[None, :])
    od = prod[:, None] * attr[None, :] * np.exp(-dist / decay_m)
    np.fill_diagonal(od, 0.0)
    od *= total_vph / od.sum()
    return od, net.nearest_node(dx + cx, dy + cy)
