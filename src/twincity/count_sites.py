"""Where a count was taken: the network link of each row of a counts file.

Published counts rarely name a model link. A counts file may name its site by

* ``link``: twincity's link number (as in ``links.parquet``);
* ``from_node``, ``to_node``: node identifiers of the network's source file (OSM node
  ids, TNTP numbers, generator node numbers), directed;
* ``osm_way_id`` and ``direction``: an OpenStreetMap way and the direction of travel
  counted, ``forward``/``backward`` (along or against the way's node order, as OSM's
  ``oneway``/``lanes:forward`` tags use them) or a compass direction (below), for
  networks read from OSM (``network.parquet``'s ``osm_ways``,
  :mod:`twincity.city.osm_ways`). A way that runs over several links in that
  direction (it crosses junctions) needs ``lon``, ``lat`` of the site too: the
  nearest of those links is taken;
* ``lon``, ``lat`` and ``direction``: the site's WGS84 position and the direction
  of travel counted: N, NE, … NW, ``northbound`` …, or a bearing in degrees
  clockwise from north. The site is placed on the link whose drawn line
  (``geometry_wkt`` of ``network.parquet``: the road's polyline for imported
  networks, the straight line between its ends otherwise) passes nearest the point
  **among the links heading within ±45° of the direction**, so the two directions
  of a road (drawn on one line) are told apart; a site farther than ``max_snap_m``
  from every such link is refused. Distances are in metres on a tangent plane about
  the network's centre.

Every function takes the counts table, its file and line numbers (for one-line
errors naming file, line and field) and the network table (``network.parquet``
or :func:`twincity.city.maps.network_table`).

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
from pathlib import Path

import numpy as np
import pandas as pd

from twincity.city.geo import LocalProjection
from twincity.city.osm_ways import way_links
from twincity.errors import InputError

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
                 max_snap_m: float = MAX_SNAP_M,
                 tolerance_deg: float = HEADING_TOLERANCE_DEG) -> tuple[np.ndarray, np.ndarray]:
    """Link of each site and its distance to it, m (link −1 where none heads the
    direction within ``max_snap_m``; the distance is then the nearest such link's,
    ``inf`` when none heads that way at all). ``tolerance_deg``: largest difference
    between a link's heading and the direction (180: any heading).
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
        ok = turn <= tolerance_deg
        if not ok.any():
            continue
        t = np.clip(((sx - x[ok, 0]) * dx[ok] + (sy - y[ok, 0]) * dy[ok]) / length2[ok], 0, 1)
        d = np.hypot(x[ok, 0] + t * dx[ok] - sx, y[ok, 0] + t * dy[ok] - sy)
        best = int(np.argmin(d))
        dist_m[i] = d[best]
        if d[best] <= max_snap_m:
            link[i] = seg_link[ok][best]
    return link, dist_m


# --- counts-file rows to links ------------------------------------------------------------

def numbers(column: pd.Series, path: Path, line: np.ndarray, name: str) -> np.ndarray:
    """A column as floats, refusing (file, line, field) anything that is not a number."""
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    refuse(~np.isfinite(values), path, line, name, column, "a number")
    return values


def refuse(bad: np.ndarray, path: Path, line: np.ndarray, name: str, column: pd.Series,
           expected: str) -> None:
    """Raise :class:`InputError` for the first ``bad`` row, naming file, line and field."""
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        more = f" (and {int(bad.sum()) - 1} more rows)" if bad.sum() > 1 else ""
        value = column.iloc[i]
        value = value.item() if isinstance(value, np.generic) else value   # 25, not np.int64(25)
        raise InputError(f"got {value!r}; expected {expected}{more}",
                         file=path, line=int(line[i]), path=name)


def links_of_pairs(frame: pd.DataFrame, path: Path, line: np.ndarray,
                   network: pd.DataFrame) -> np.ndarray:
    """Link numbers of directed ``from_node, to_node`` identifier pairs."""
    keys = pd.Index(network["from_node"].astype(str) + "\0" + network["to_node"].astype(str))
    wanted = (frame["from_node"].astype(str).str.strip() + "\0"
              + frame["to_node"].astype(str).str.strip())
    # float-looking ids from CSV ("12.0") match integer ids ("12")
    wanted = wanted.str.replace(r"\.0(?=\0|$)", "", regex=True)
    pos = keys.get_indexer(wanted)
    bad = pos < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"no link from {frame['from_node'].iloc[i]} to "
                         f"{frame['to_node'].iloc[i]}; expected a directed link of the "
                         "network", file=path, line=int(line[i]), path="from_node,to_node")
    return network["link"].to_numpy(np.int64)[pos]


def _placed(network: pd.DataFrame, path: Path, how: str) -> None:
    if not np.isfinite(network[["from_lon", "from_lat"]].to_numpy(np.float64)).any():
        raise InputError(f"counts by {how}, but the run's network is not placed on the map "
                         "(no lon/lat in network.parquet); expected counts by link", file=path)


def _lon_lat(frame: pd.DataFrame, path: Path, line: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    lon = numbers(frame["lon"], path, line, "lon")
    refuse(np.abs(lon) > 180, path, line, "lon", frame["lon"], "a longitude -180-180")
    lat = numbers(frame["lat"], path, line, "lat")
    refuse(np.abs(lat) > 90, path, line, "lat", frame["lat"], "a latitude -90-90")
    return lon, lat


def links_of_sites(frame: pd.DataFrame, path: Path, line: np.ndarray, network: pd.DataFrame,
                   max_snap_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Link numbers and snapping distances of ``lon,lat,direction`` sites."""
    lon, lat = _lon_lat(frame, path, line)
    heading = np.array([bearing_deg(d) for d in frame["direction"]])
    refuse(np.isnan(heading), path, line, "direction", frame["direction"],
           "N, NE, E, SE, S, SW, W, NW, northbound… or a bearing in degrees")
    _placed(network, path, "lon/lat")
    sites = pd.DataFrame({"lon": lon, "lat": lat, "heading": heading})
    unique = sites.drop_duplicates().reset_index(drop=True)   # one search per site
    found, dist_m = locate_sites(unique["lon"], unique["lat"], unique["heading"], network,
                                 max_snap_m)
    pos = pd.MultiIndex.from_frame(unique).get_indexer(pd.MultiIndex.from_frame(sites))
    link, dist_m = found[pos], dist_m[pos]
    if (link < 0).any():
        i = int(np.flatnonzero(link < 0)[0])
        how = (f"the nearest is {dist_m[i]:.0f} m away" if np.isfinite(dist_m[i])
               else "none heads that way")
        raise InputError(f"no link heading {frame['direction'].iloc[i]} (±45°) within "
                         f"{max_snap_m:g} m of ({lon[i]:.6f}, {lat[i]:.6f}): {how}; expected "
                         "a site on the network (validate-counts --max-snap-m widens the "
                         "search)", file=path, line=int(line[i]), path="lon")
    return link, dist_m


#: ``direction`` words of counts keyed by OSM way: along (True) or against the way.
WAY_DIRECTIONS = {"forward": True, "backward": False, "+": True, "-": False}


def links_of_ways(frame: pd.DataFrame, path: Path, line: np.ndarray, network: pd.DataFrame,
                  max_snap_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Link numbers of ``osm_way_id, direction`` rows (and distances to ``lon, lat`` where
    given, NaN otherwise); see the module docstring.
    """
    ways = network["osm_ways"] if "osm_ways" in network else pd.Series(dtype=object)
    if ways.isna().all():
        raise InputError("counts by osm_way_id, but the network carries no OSM way ids (it "
                         "was not read from OpenStreetMap, or was imported by an older "
                         "twincity: re-run twincity import); expected counts by link, "
                         "from_node,to_node or lon,lat,direction", file=path, line=1,
                         path="osm_way_id")
    way = numbers(frame["osm_way_id"], path, line, "osm_way_id")
    refuse((way <= 0) | (way != np.floor(way)), path, line, "osm_way_id",
           frame["osm_way_id"], "an OpenStreetMap way id (a whole number > 0)")
    words = frame["direction"].astype(str).str.strip().str.lower()
    along = words.map(WAY_DIRECTIONS)
    bearing = np.array([bearing_deg(d) for d in frame["direction"]])
    refuse(along.isna().to_numpy() & np.isnan(bearing), path, line, "direction",
           frame["direction"], "forward, backward (along or against the way's node order), "
           "N, NE, … NW, northbound… or a bearing in degrees")
    # lon,lat are optional per row (needed where the way spans several links)
    has_site = np.zeros(len(frame), dtype=bool)
    lon, lat = np.full(len(frame), np.nan), np.full(len(frame), np.nan)
    if {"lon", "lat"} <= set(frame):
        has_site = ~(frame["lon"].isna() & frame["lat"].isna()).to_numpy()
        if has_site.any():
            lon[has_site], lat[has_site] = _lon_lat(frame[has_site], path, line[has_site])
    pairs = way_links(ways)
    pairs = pairs[pairs["way_id"].isin(way.astype(np.int64))]
    link_heading = np.degrees(np.arctan2(
        (network["to_x_m"] - network["from_x_m"]).to_numpy(np.float64),
        (network["to_y_m"] - network["from_y_m"]).to_numpy(np.float64))) % 360.0
    link = np.full(len(frame), -1, dtype=np.int64)
    snap_m = np.full(len(frame), np.nan)
    for i in range(len(frame)):
        w, where = int(way[i]), int(line[i])
        cand = pairs[pairs["way_id"] == w]
        if cand.empty:
            raise InputError(f"no link of the network follows OSM way {w} (outside "
                             "the imported extent, not drivable, or dropped by the import's "
                             "simplification); expected a way listed in network.parquet's "
                             "osm_ways", file=path, line=where, path="osm_way_id")
        want = along.iloc[i]
        if pd.isna(want):   # a compass direction: the way's direction heading nearest it
            turn = np.abs((link_heading[cand["link"]] - bearing[i] + 180.0) % 360.0 - 180.0)
            best = int(np.argmin(turn))
            if turn[best] > 90.0:
                raise InputError(f"no link along OSM way {w} heads "
                                 f"{frame['direction'].iloc[i]} (±90°; it is one-way); "
                                 "expected the direction the way can be driven",
                                 file=path, line=where, path="direction")
            want = bool(cand["forward"].iloc[best])
        chosen = np.unique(cand.loc[cand["forward"] == want, "link"].to_numpy())
        if len(chosen) == 0:
            raise InputError(f"OSM way {w} is one-way, driven only "
                             f"{'backward' if want else 'forward'} in the network; expected "
                             "that direction", file=path, line=where, path="direction")
        if len(chosen) == 1:
            link[i] = chosen[0]
        elif not has_site[i]:
            raise InputError(f"OSM way {w} runs {'forward' if want else 'backward'}"
                             f" over {len(chosen)} links ({', '.join(map(str, chosen[:6]))}); "
                             "expected lon,lat of the count site too, to pick one",
                             file=path, line=where, path="osm_way_id")
        if has_site[i]:
            _placed(network, path, "osm_way_id with lon/lat")
            sub = network.set_index("link").loc[chosen].reset_index()
            found, dist = locate_sites([lon[i]], [lat[i]], [0.0], sub, max_snap_m,
                                       tolerance_deg=180.0)
            if found[0] < 0:
                raise InputError(f"({lon[i]:.6f}, {lat[i]:.6f}) is {dist[0]:.0f} m "
                                 f"from OSM way {w} (more than {max_snap_m:g} m); expected "
                                 "the count site on the way", file=path, line=where,
                                 path="lon,lat")
            link[i], snap_m[i] = found[0], dist[0]
    return link, snap_m
