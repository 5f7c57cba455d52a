"""Clip imported roads, zones and transit patterns to one extent (a lon/lat box).

Inputs rarely cover the same area: a road extract, a population grid and a
GTFS feed each have their own. The importer works on the intersection of
their bounding boxes and reports what fell outside.

Example:
    >>> box = Box(24.93, 60.16, 24.95, 60.18)
    >>> box.contains(np.array([24.94, 24.96]), np.array([60.17, 60.17])).tolist()
    [True, False]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twincity.city.network import Network
from twincity.city.simplify import Shapes
from twincity.traffic.gtfs import Pattern


@dataclass(frozen=True)
class Box:
    """A lon/lat bounding box (degrees)."""

    west: float
    south: float
    east: float
    north: float

    @classmethod
    def around(cls, lon, lat) -> Box:
        """The smallest box holding the points (``lon``, ``lat`` in degrees)."""
        lon, lat = np.asarray(lon), np.asarray(lat)
        return cls(float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))

    def intersect(self, other: Box) -> Box | None:
        """The common box, or ``None`` when they do not overlap.

        >>> Box(0, 0, 2, 2).intersect(Box(1, 1, 3, 3))
        Box(west=1, south=1, east=2, north=2)
        >>> Box(0, 0, 1, 1).intersect(Box(2, 2, 3, 3)) is None
        True
        """
        w, s = max(self.west, other.west), max(self.south, other.south)
        e, n = min(self.east, other.east), min(self.north, other.north)
        return Box(w, s, e, n) if w < e and s < n else None

    def contains(self, lon, lat) -> np.ndarray:
        """Which points lie inside the box (edges included)."""
        lon, lat = np.asarray(lon), np.asarray(lat)
        return (lon >= self.west) & (lon <= self.east) & (lat >= self.south) & (lat <= self.north)

    def text(self) -> str:
        """The box as readable text: its longitude and latitude ranges."""
        return (f"lon {self.west:.4f}–{self.east:.4f}, lat {self.south:.4f}–{self.north:.4f}")


def clip_network(net: Network, shapes: Shapes, node_lon, node_lat, box: Box
                 ) -> tuple[Network, Shapes, np.ndarray, int]:
    """Links with both ends in ``box``: (network, shapes, kept node mask, links dropped)."""
    inside = box.contains(node_lon, node_lat)
    keep = inside[net.link_from] & inside[net.link_to]
    sub = net.subnetwork(inside)
    return sub, shapes.take(np.flatnonzero(keep)), inside, int((~keep).sum())


def clip_pattern(p: Pattern, box: Box) -> Pattern | None:
    """The longest run of consecutive stops of ``p`` inside ``box`` (at least two), or None.

    >>> from twincity.traffic.gtfs import Pattern
    >>> p = Pattern("r", "1", "0", "bus", ("a", "b", "c", "d"), np.array([0.0, 1, 2, 3]),
    ...             np.zeros(4), np.array([60.0, 70, 80]), np.zeros(24, int))
    >>> q = clip_pattern(p, Box(0.5, -1, 3.5, 1))
    >>> q.stop_ids, q.segment_s.tolist()
    (('b', 'c', 'd'), [70.0, 80.0])
    """
    inside = box.contains(p.stop_lon_deg, p.stop_lat_deg)
    best, start = (0, 0), None
    for i, flag in enumerate([*inside.tolist(), False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            if i - start > best[1] - best[0]:
                best = (start, i)
            start = None
    a, b = best
    if b - a < 2:
        return None
    return Pattern(route_id=p.route_id, route_short_name=p.route_short_name,
                   direction_id=p.direction_id, kind=p.kind, stop_ids=p.stop_ids[a:b],
                   stop_lon_deg=p.stop_lon_deg[a:b], stop_lat_deg=p.stop_lat_deg[a:b],
                   segment_s=p.segment_s[a:b - 1], trips_per_hour=p.trips_per_hour)
