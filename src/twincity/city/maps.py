"""Maps-ready tables of a built city: its network and zones with WGS84 lon/lat.

Every results folder holds ``network.parquet`` and ``zones.parquet``
(:func:`network_table`, :func:`zones_table`) so ``links.parquet`` and
``trips.parquet`` can be joined to geometry by ``link`` / ``zone`` and drawn
on a map. Coordinates come from the city's projection
(:attr:`twincity.city.build.City.projection`): exact for imported networks,
the city centre's coordinates for synthetic ones (their streets are invented,
so their map is a stand-in), and missing (NaN, ``geometry_wkt`` null) for
files not placed on the map.

Example:
    >>> from twincity.city.build import build_city                   # doctest: +SKIP
    >>> network_table(city).columns[:4].tolist()                     # doctest: +SKIP
    ['link', 'from_node', 'to_node', 'from_lon']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from twincity.vocab import ROAD_CLASSES


def node_lonlat(city) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of every network node (NaN when the city is not on the map)."""
    net = city.network
    if city.projection is None:
        return np.full(net.n_nodes, np.nan), np.full(net.n_nodes, np.nan)
    return city.projection.inverse(net.node_x_m, net.node_y_m)


def _linestring(x0, y0, x1, y1) -> list[str | None]:
    return [None if not np.isfinite(a) else f"LINESTRING ({a:.7f} {b:.7f}, {c:.7f} {d:.7f})"
            for a, b, c, d in zip(x0.tolist(), y0.tolist(), x1.tolist(), y1.tolist(),
                                  strict=True)]


def _geometry(city, lon, lat) -> list[str | None]:
    """Each link's polyline where the city has them (and the links still match), else
    the straight line between its ends.
    """
    net, wkt = city.network, getattr(city, "link_geometry_wkt", None)
    if wkt is not None and len(wkt) == net.n_links:
        return list(wkt)
    f, t = net.link_from, net.link_to
    return _linestring(lon[f], lat[f], lon[t], lat[t])


def network_table(city) -> pd.DataFrame:
    """One row per link: ends (node ids, lon/lat and scenario metres), WKT line, class, capacity."""
    net = city.network
    lon, lat = node_lonlat(city)
    f, t = net.link_from, net.link_to
    return pd.DataFrame({
        "link": np.arange(net.n_links),
        "from_node": net.node_id[f], "to_node": net.node_id[t],
        "from_lon": lon[f], "from_lat": lat[f], "to_lon": lon[t], "to_lat": lat[t],
        "from_x_m": net.node_x_m[f], "from_y_m": net.node_y_m[f],
        "to_x_m": net.node_x_m[t], "to_y_m": net.node_y_m[t],
        "geometry_wkt": _geometry(city, lon, lat),
        "road_class": pd.Categorical.from_codes(net.road_class.astype(np.int64),
                                                list(ROAD_CLASSES)),
        "lanes": net.lanes.astype(np.int64),
        "length_m": net.length_m, "free_flow_speed_mps": net.length_m / np.maximum(
            net.free_flow_s - net.signal_delay_s, 1e-9),
        "free_flow_time_s": net.free_flow_s, "signal_delay_s": net.signal_delay_s,
        "capacity_vph": net.capacity_vph, "storage_veh": net.storage_veh,
        "osm_ways": _osm_ways(city),
    })


def _osm_ways(city) -> list[str | None]:
    """Each link's OSM ways (:mod:`twincity.city.osm_ways`), or nulls when unknown."""
    ways = getattr(city, "link_osm_ways", None)
    n = city.network.n_links
    return list(ways) if ways is not None and len(ways) == n else [None] * n


def zones_table(city) -> pd.DataFrame:
    """One row per zone: centre lon/lat, polygon (WKT, where known), residents and jobs."""
    z = city.zones
    if city.projection is not None:
        lon, lat = city.projection.inverse(z.x_m, z.y_m)
    else:
        lon, lat = np.full(z.n, np.nan), np.full(z.n, np.nan)
    zp = city.zone_polygons
    return pd.DataFrame({
        "zone": np.arange(z.n), "name": list(z.name),
        "centroid_lon": lon, "centroid_lat": lat, "x_m": z.x_m, "y_m": z.y_m,
        "polygon_wkt": [zp.wkt(i) for i in range(z.n)] if zp is not None else [None] * z.n,
        "population": z.population.astype(np.int64), "jobs": z.jobs.astype(np.int64),
        "loading_node": city.network.node_id[z.node],
    })
