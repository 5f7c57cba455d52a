"""Count sites given by coordinates: the nearest link heading the counted way.

Published counts name a site by its position and the direction of travel
counted ("northbound", a bearing), not by a model link. A site is placed on
the link whose drawn line (``geometry_wkt`` of ``network.parquet``: the road's
polyline for imported networks, the straight line between its ends otherwise)
passes nearest the point **among the links heading within ±45° of the
direction**, so the two directions of a road (drawn on one line) are told
apart; a site farther than ``max_snap_m`` from every such link is refused.
Distances are in metres on a tangent plane about the network's centre.

Example:
    >>> net = pd.DataFrame({"link": [0, 1], "geometry_wkt": [
    ...     "LINESTRING (24.9400 60.1700, 24.9500 60.1700)",     # eastbound
    ...     "LINESTRING (24.9500 60.1700, 24.9400 60.1700)"]})   # westbound
    >>> link, snap_m = locate_sites([24.945], [60.1701], [bearing_deg("W")], net)
    >>> int(link[0]), round(float(snap_m[0]), 1)
    (1, 11.1)
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from twincity.city.geo import LocalProjection

#: Compass points accepted as a direction of travel, degrees clockwise from north.
COMPASS_DEG = {"N": 0.0, "NE": 45.0, "E": 90.0, "SE": 135.0, "S": 180.0, "SW": 225.0,
               "W": 270.0, "NW": 315.0}
#: Largest difference between a link's heading and the counted direction.
HEADING_TOLERANCE_DEG = 45.0
#: Default largest distance from a site to its link.
MAX_SNAP_M = 50.0
_POINT = re.compile(r"(-?[\d.]+(?:[eE][-+]?\d+)?)\s+(-?[\d.]+(?:[eE][-+]?\d+)?)")


def bearing_deg(direction: object) -> float:
    """A direction of travel as degrees clockwise from north (NaN when unreadable).

    >>> bearing_deg("se"), bearing_deg("northbound"), bearing_deg(100), bearing_deg("up")
    (135.0, 0.0, 100.0, nan)
    """
    text = str(direction).strip().upper()
    if text.endswith("BOUND"):
        text = {"NORTH": "N", "EAST": "E", "SOUTH": "S", "WEST": "W"}.get(text[:-5], text)
    if text in COMPASS_DEG:
        return COMPASS_DEG[text]
    try:
        value = float(text)
    except ValueError:
        return float("nan")
    return value % 360.0 if np.isfinite(value) else float("nan")


def link_segments(network: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every straight piece of every link's drawn line: ``(link, lon (n, 2), lat (n, 2))``."""
    links, lons, lats = [], [], []
    wkt = network["geometry_wkt"] if "geometry_wkt" in network else [None] * len(network)
    for i, (link, line) in enumerate(zip(network["link"].to_numpy(), wkt, strict=True)):
        if isinstance(line, str):
            xy = np.array(_POINT.findall(line), dtype=np.float64)
        else:
            xy = np.array([[network["from_lon"].iat[i], network["from_lat"].iat[i]],
                           [network["to_lon"].iat[i], network["to_lat"].iat[i]]])
        if len(xy) < 2 or not np.isfinite(xy).all():
            continue
        links.append(np.full(len(xy) - 1, link, dtype=np.int64))
        lons.append(np.column_stack([xy[:-1, 0], xy[1:, 0]]))
        lats.append(np.column_stack([xy[:-1, 1], xy[1:, 1]]))
    if not links:
        return np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros((0, 2))
    return np.concatenate(links), np.concatenate(lons), np.concatenate(lats)


def locate_sites(lon_deg, lat_deg, direction_deg, network: pd.DataFrame,
                 max_snap_m: float = MAX_SNAP_M) -> tuple[np.ndarray, np.ndarray]:
    """Link of each site and its distance to it, m (link −1 where none heads the
    direction within ``max_snap_m``; the distance is then the nearest such link's,
    ``inf`` when none heads that way at all).
    """
    seg_link, seg_lon, seg_lat = link_segments(network)
    n = len(np.atleast_1d(lon_deg))
    link = np.full(n, -1, dtype=np.int64)
    dist_m = np.full(n, np.inf)
    if len(seg_link) == 0:
        return link, dist_m
    proj = LocalProjection.about_centroid(seg_lon.ravel(), seg_lat.ravel())
    x, y = proj.forward(seg_lon, seg_lat)
    px, py = proj.forward(np.atleast_1d(lon_deg), np.atleast_1d(lat_deg))
    dx, dy = x[:, 1] - x[:, 0], y[:, 1] - y[:, 0]
    heading = np.degrees(np.arctan2(dx, dy)) % 360.0
    length2 = np.maximum(dx * dx + dy * dy, 1e-12)
    for i, (sx, sy, want) in enumerate(zip(px, py, np.atleast_1d(direction_deg), strict=True)):
        turn = np.abs((heading - want + 180.0) % 360.0 - 180.0)
        ok = turn <= HEADING_TOLERANCE_DEG
        if not ok.any():
            continue
        t = np.clip(((sx - x[ok, 0]) * dx[ok] + (sy - y[ok, 0]) * dy[ok]) / length2[ok], 0, 1)
        d = np.hypot(x[ok, 0] + t * dx[ok] - sx, y[ok, 0] + t * dy[ok] - sy)
        best = int(np.argmin(d))
        dist_m[i] = d[best]
        if d[best] <= max_snap_m:
            link[i] = seg_link[ok][best]
    return link, dist_m
