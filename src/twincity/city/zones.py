"""Traffic-analysis zones: a partition of the network with residents and jobs.

Generated zones sit on a Vogel (sunflower) spiral over the built-up disc, so
every zone stands for an equal area; residents and jobs per zone follow
negative-exponential density profiles (Clark 1951), the classic monocentric
city. Listed zones are taken as given. Every network node belongs to the
zone whose centre is nearest (a Voronoi partition), and each zone is loaded
onto the network at its centroid node.

Example:
    >>> largest_remainder(np.array([0.5, 0.3, 0.2]), 7).tolist()
    [4, 2, 1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twincity.city.network import Network, nearest_index
from twincity.scenario.sections_city import CitySpec, ZonesSpec

GOLDEN_ANGLE_RAD = np.pi * (3.0 - np.sqrt(5.0))


@dataclass(frozen=True, eq=False)
class Zones:
    """Zones as arrays; ``node`` is each zone's centroid node, ``node_zone`` each node's zone."""

    name: tuple[str, ...]
    x_m: np.ndarray
    y_m: np.ndarray
    population: np.ndarray
    jobs: np.ndarray
    node: np.ndarray
    node_zone: np.ndarray

    @property
    def n(self) -> int:
        """Number of zones."""
        return len(self.name)

    def distance_from_centre_m(self, centre_xy_m: tuple[float, float]) -> np.ndarray:
        """Distance of each zone centre from the city centre."""
        return np.hypot(self.x_m - centre_xy_m[0], self.y_m - centre_xy_m[1])


def largest_remainder(shares: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``shares`` that sum exactly to ``total`` (Hamilton's method)."""
    shares = np.asarray(shares, dtype=np.float64)
    exact = shares / shares.sum() * total
    base = np.floor(exact).astype(np.int64)
    short = total - int(base.sum())
    if short > 0:
        order = np.argsort(-(exact - base), kind="stable")
        base[order[:short]] += 1
    return base


def network_centre_and_radius(net: Network) -> tuple[tuple[float, float], float]:
    """Centre (mean node position) and radius (95th percentile node distance) of a network."""
    cx, cy = float(np.mean(net.node_x_m)), float(np.mean(net.node_y_m))
    r = np.hypot(net.node_x_m - cx, net.node_y_m - cy)
    return (cx, cy), float(max(np.percentile(r, 95), 1.0))


def vogel_points(n: int, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points spread evenly over a disc (each stands for an equal area)."""
    k = np.arange(n, dtype=np.float64)
    r = radius_m * np.sqrt((k + 0.5) / n)
    theta = k * GOLDEN_ANGLE_RAD
    return r * np.cos(theta), r * np.sin(theta)


def build_zones(spec: ZonesSpec, city: CitySpec, net: Network,
                centre_xy_m: tuple[float, float], radius_m: float, *,
                polygons=None, projection=None) -> Zones:
    """Zones with population and jobs, snapped to ``net`` (which must be strongly connected).

    Zones from a file come as ``polygons`` (:class:`~twincity.city.zone_polygons.ZonePolygons`)
    with the ``projection`` that places them on the network.
    """
    if polygons is not None:
        from twincity.city.zone_polygons import attach_zones

        at = attach_zones(polygons, projection, net.node_x_m, net.node_y_m)
        return Zones(name=polygons.name, x_m=at.x_m, y_m=at.y_m,
                     population=polygons.population.copy(), jobs=polygons.jobs.copy(),
                     node=at.node, node_zone=at.node_zone)
    if spec.generate is not None:
        g = spec.generate
        dx, dy = vogel_points(g.count, radius_m)
        x, y = dx + centre_xy_m[0], dy + centre_xy_m[1]
        r = np.hypot(dx, dy)
        population = largest_remainder(np.exp(-r / g.population_gradient_m), city.population)
        jobs = largest_remainder(np.exp(-r / g.jobs_gradient_m), g.jobs)
        names = tuple(f"Z{i + 1:03d}" for i in range(g.count))
    else:
        listed = spec.list or []
        names = tuple(z.name for z in listed)
        x = np.array([z.x_m for z in listed], dtype=np.float64)
        y = np.array([z.y_m for z in listed], dtype=np.float64)
        population = np.array([z.population for z in listed], dtype=np.int64)
        jobs = np.array([z.jobs for z in listed], dtype=np.int64)
    node = net.nearest_node(x, y)
    # Voronoi partition: each node belongs to the zone with the nearest centre.
    node_zone = nearest_index(net.node_x_m, net.node_y_m, x, y)
    return Zones(name=names, x_m=x, y_m=y, population=population, jobs=jobs,
                 node=node.astype(np.int32), node_zone=node_zone.astype(np.int32))
