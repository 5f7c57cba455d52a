"""Link geometry for maps: the network as a table, offset directions, lon/lat and scale bars.

A results folder carries the road network as the ``network`` table (one row per
link: end-node coordinates in the city's local metres, length, lanes, capacity,
free-flow time). Maps draw each link as a straight segment shifted to the
right of its direction of travel, so the two directions of a road sit side by
side instead of one hiding the other. Axes are in km east/north of the
network's centre (the mean node position, where the scenario's
``city.latitude_deg``/``longitude_deg`` is placed), with longitude/latitude on
secondary axes and a scale bar.

Example:
    >>> import pandas as pd
    >>> t = pd.DataFrame({"from_x_m": [0.0, 100.0], "from_y_m": [0.0, 0.0],
    ...                   "to_x_m": [100.0, 0.0], "to_y_m": [0.0, 0.0]})
    >>> offset_segments(t, 5.0)[:, :, 1].tolist()   # eastbound shifted south, westbound north
    [[-5.0, -5.0], [5.0, 5.0]]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from twincity.city.geo import radii_of_curvature_m


def zone_raster(network: pd.DataFrame, zones: pd.DataFrame, cell_m: float
                ) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Each ``cell_m`` square cell's zone (−1 outside the network's convex hull).

    Zones partition the city by nearest zone centre (a Voronoi partition, the
    rule :mod:`twincity.city.zones` uses for nodes), clipped to the convex hull
    of the network's nodes. Returns the zone grid (rows from south to north)
    and its extent ``(x0, x1, y0, y1)`` in metres.
    """
    from matplotlib.path import Path as MplPath
    from scipy.spatial import ConvexHull

    from twincity.city.network import nearest_index

    pts = np.unique(np.vstack([network[["from_x_m", "from_y_m"]].to_numpy(float),
                               network[["to_x_m", "to_y_m"]].to_numpy(float)]), axis=0)
    hull = MplPath(pts[ConvexHull(pts).vertices])
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    nx, ny = max(1, int(np.ceil((x1 - x0) / cell_m))), max(1, int(np.ceil((y1 - y0) / cell_m)))
    cx = x0 + (np.arange(nx) + 0.5) * cell_m
    cy = y0 + (np.arange(ny) + 0.5) * cell_m
    gx, gy = np.meshgrid(cx, cy)
    inside = hull.contains_points(np.column_stack([gx.ravel(), gy.ravel()]))
    zone = np.full(gx.size, -1, dtype=np.int64)
    zone[inside] = nearest_index(gx.ravel()[inside], gy.ravel()[inside],
                                 zones["x_m"].to_numpy(float), zones["y_m"].to_numpy(float))
    return zone.reshape(ny, nx), (x0, x0 + nx * cell_m, y0, y0 + ny * cell_m)


def link_zone(network: pd.DataFrame, zones: pd.DataFrame) -> np.ndarray:
    """The zone of each link: the zone whose centre is nearest the link's midpoint."""
    from twincity.city.network import nearest_index

    mid_x = (network["from_x_m"].to_numpy(float) + network["to_x_m"].to_numpy(float)) / 2
    mid_y = (network["from_y_m"].to_numpy(float) + network["to_y_m"].to_numpy(float)) / 2
    return nearest_index(mid_x, mid_y, zones["x_m"].to_numpy(float), zones["y_m"].to_numpy(float))


def network_centre_m(table: pd.DataFrame) -> tuple[float, float]:
    """Mean node position (the centre of :func:`twincity.city.zones.network_centre_and_radius`)."""
    nodes = pd.concat([
        table[["from_node", "from_x_m", "from_y_m"]].set_axis(["node", "x", "y"], axis=1),
        table[["to_node", "to_x_m", "to_y_m"]].set_axis(["node", "x", "y"], axis=1),
    ]).drop_duplicates("node")
    return float(nodes["x"].mean()), float(nodes["y"].mean())


def offset_segments(table: pd.DataFrame, offset_m: float) -> np.ndarray:
    """Link segments ``(n, 2, 2)`` in metres, each shifted ``offset_m`` to its right.

    The shift is perpendicular to the link (the unit normal ``(dy, −dx)/L``),
    so a two-way road's links end up ``2 · offset_m`` apart and parallel.
    """
    start = table[["from_x_m", "from_y_m"]].to_numpy(float)
    end = table[["to_x_m", "to_y_m"]].to_numpy(float)
    d = end - start
    length = np.hypot(d[:, 0], d[:, 1])
    normal = np.column_stack([d[:, 1], -d[:, 0]]) / np.where(length > 0, length, 1.0)[:, None]
    shift = normal * offset_m
    return np.stack([start + shift, end + shift], axis=1)


def default_offset_m(table: pd.DataFrame) -> float:
    """A shift that separates directions at city scale: 0.4% of the network's extent."""
    xs = table[["from_x_m", "to_x_m"]].to_numpy(float)
    ys = table[["from_y_m", "to_y_m"]].to_numpy(float)
    extent = max(float(np.ptp(xs)), float(np.ptp(ys)), 1.0)
    return 0.004 * extent


def degrees_per_km(lat_deg: float) -> tuple[float, float]:
    """Degrees of longitude and latitude per km east/north at latitude ``lat_deg`` (WGS84).

    >>> [round(v, 5) for v in degrees_per_km(0.0)]   # 1° of the equator is 111.32 km
    [0.00898, 0.00904]
    """
    m_radius, n_radius = radii_of_curvature_m(lat_deg)
    lat = np.radians(lat_deg)
    return (float(np.degrees(1000.0 / (float(n_radius) * np.cos(lat)))),
            float(np.degrees(1000.0 / float(m_radius))))


def add_lonlat_axes(ax: Any, lon0_deg: float, lat0_deg: float) -> None:
    """Longitude/latitude on the top and right axes of a km east/north map about (lon0, lat0).

    A linear map about the centre (the radii of curvature at ``lat0``): its
    error grows as (distance / earth radius)², below 10 m at 30 km.
    """
    dlon, dlat = degrees_per_km(lat0_deg)
    top = ax.secondary_xaxis("top", functions=(lambda km: lon0_deg + km * dlon,
                                               lambda lon: (lon - lon0_deg) / dlon))
    top.set_xlabel("longitude, °E", fontsize="small")
    right = ax.secondary_yaxis("right", functions=(lambda km: lat0_deg + km * dlat,
                                                   lambda lat: (lat - lat0_deg) / dlat))
    right.set_ylabel("latitude, °N", fontsize="small")
    for sec in (top, right):
        sec.tick_params(labelsize="x-small")


def nice_length_km(span_km: float) -> float:
    """The largest round length (1, 2 or 5 × 10^k km) not above a fifth of ``span_km``.

    >>> nice_length_km(23.0), nice_length_km(0.9)
    (2.0, 0.1)
    """
    target = max(span_km / 5.0, 1e-6)
    power = 10.0 ** np.floor(np.log10(target))
    for step in (5.0, 2.0, 1.0):
        if step * power <= target:
            return float(step * power)
    return float(power)


def add_scale_bar(ax: Any) -> float:
    """Draw a scale bar in the lower left of a km map; return its length in km."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_length_km(x1 - x0)
    x, y = x0 + 0.05 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    ax.plot([x, x + length], [y, y], color="k", lw=3, solid_capstyle="butt", label="_scale")
    label = f"{length:g} km" if length >= 1 else f"{length * 1000:g} m"
    ax.text(x + length / 2, y + 0.015 * (y1 - y0), label, ha="center", va="bottom",
            fontsize="small")
    return length
