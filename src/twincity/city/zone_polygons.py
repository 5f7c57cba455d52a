"""Zones from polygons: a GeoJSON file of zones in WGS84 lon/lat, attached to the network.

The scenario's ``zones.file`` is read with the standard library (``json``):
a FeatureCollection of Polygon or MultiPolygon features, each with a name,
a population and a jobs property (names set by ``zones.name_field``,
``population_field`` and ``jobs_field``). Geometry is projected with the
city's :class:`~twincity.city.geo.LocalProjection`; membership is
point-in-polygon (:class:`matplotlib.path.Path` per ring: inside an outer ring and
none of its holes):

* each network node belongs to the zone whose polygon contains it; nodes
  inside no polygon (roads beyond the zones' extent) join the zone with the
  nearest centre, as listed zones do;
* a zone's loading (centroid) node is its own node nearest to its area
  centroid; a zone containing no node takes the network node nearest to its
  centroid and is named in a note.

Example:
    >>> import json, tempfile, os
    >>> sq = [[0, 0], [0.01, 0], [0.01, 0.01], [0, 0.01], [0, 0]]
    >>> doc = {"type": "FeatureCollection", "features": [{"type": "Feature",
    ...     "properties": {"name": "A", "population": 10, "jobs": 5},
    ...     "geometry": {"type": "Polygon", "coordinates": [sq]}}]}
    >>> path = os.path.join(tempfile.mkdtemp(), "z.geojson")
    >>> _ = open(path, "w").write(json.dumps(doc))
    >>> zp = read_zone_polygons(path)
    >>> zp.name, zp.population.tolist()
    (('A',), [10])
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.path import Path as MplPath

from twincity.city.geo import LocalProjection
from twincity.errors import InputError


@dataclass(frozen=True, eq=False)
class ZonePolygons:
    """Zones as read: names, residents, jobs and polygons.

    ``polygons[z]`` is a tuple of polygons, each a tuple of rings (``(n, 2)``
    lon/lat arrays, closed); a polygon's first ring is its outer boundary, the
    others its holes.
    """

    name: tuple[str, ...]
    population: np.ndarray
    jobs: np.ndarray
    polygons: tuple[tuple[tuple[np.ndarray, ...], ...], ...]

    @property
    def n(self) -> int:
        """Number of zones."""
        return len(self.name)

    def wkt(self, z: int) -> str:
        """Zone ``z`` as a WKT MULTIPOLYGON in lon/lat.

        >>> sq = np.array([[0, 0], [1, 0], [1, 1], [0, 0]], dtype=float)
        >>> ZonePolygons(("A",), np.ones(1), np.ones(1), (((sq,),),)).wkt(0)
        'MULTIPOLYGON (((0.0 0.0, 1.0 0.0, 1.0 1.0, 0.0 0.0)))'
        """
        def ring(r):
            return "(" + ", ".join(f"{x!r} {y!r}" for x, y in r.tolist()) + ")"

        return ("MULTIPOLYGON (" + ", ".join("(" + ", ".join(ring(r) for r in poly) + ")"
                                            for poly in self.polygons[z]) + ")")


def _count(value, what: str, path: Path, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or value < 0:
        raise InputError(f"{what} is {value!r}; expected a non-negative number", file=path,
                         path=where)
    return round(value)


def read_zone_polygons(path: str | Path, *, name_field: str = "name",
                       population_field: str = "population",
                       jobs_field: str = "jobs") -> ZonePolygons:
    """Read zone polygons from GeoJSON (see the module docstring)."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read the zones file ({e})", file=path) from None
    except json.JSONDecodeError as e:
        raise InputError(f"not JSON ({e.msg}); expected a GeoJSON FeatureCollection",
                         file=path, line=e.lineno) from None
    feats = doc.get("features") if isinstance(doc, dict) else None
    if not isinstance(feats, list) or not feats:
        raise InputError("expected a GeoJSON FeatureCollection with at least one feature",
                         file=path)
    names, pop, jobs, rings = [], [], [], []
    for i, f in enumerate(feats):
        where = f"features[{i}]"
        props = (f or {}).get("properties") or {}
        geom = (f or {}).get("geometry") or {}
        for field in (population_field, jobs_field):
            if field not in props:
                raise InputError(f"feature {i} has no property {field!r}; expected "
                                 f"'{population_field}' and '{jobs_field}' on every zone "
                                 f"(has: {', '.join(sorted(props)) or 'none'})", file=path,
                                 path=f"{where}.properties.{field}")
        pop.append(_count(props[population_field], population_field, path,
                          f"{where}.properties.{population_field}"))
        jobs.append(_count(props[jobs_field], jobs_field, path,
                           f"{where}.properties.{jobs_field}"))
        names.append(str(props.get(name_field, f"Z{i + 1:03d}")))
        kind, coords = geom.get("type"), geom.get("coordinates")
        polys = [coords] if kind == "Polygon" else coords if kind == "MultiPolygon" else None
        try:
            feature = tuple(tuple(np.asarray(ring, dtype=np.float64)[:, :2] for ring in poly)
                            for poly in polys)
        except (TypeError, ValueError, IndexError):
            feature = ()
        if not feature or any(not poly or len(r) < 4 for poly in feature for r in poly):
            raise InputError(f"feature {i} has geometry type {kind!r} without closed rings; "
                             "expected a Polygon or MultiPolygon in lon/lat", file=path,
                             path=f"{where}.geometry")
        rings.append(feature)
    if len(set(names)) != len(names):
        raise InputError(f"zone names in '{name_field}' repeat; expected unique names",
                         file=path)
    return ZonePolygons(name=tuple(names), population=np.array(pop, dtype=np.int64),
                        jobs=np.array(jobs, dtype=np.int64), polygons=tuple(rings))


def _projected_rings(polygons, proj: LocalProjection):
    """Rings in metres as ``[(outer path, [hole paths])]``, the area (m²) and area centroid.

    Containment is tested ring by ring (matplotlib's compound paths do not honour holes).
    """
    parts = []
    area = mx = my = 0.0
    for poly in polygons:
        paths = []
        for k, ring in enumerate(poly):
            x, y = proj.forward(ring[:, 0], ring[:, 1])
            cross = x[:-1] * y[1:] - x[1:] * y[:-1]
            a = 0.5 * float(cross.sum())  # signed; the moments below share its sign
            sign = (1.0 if k == 0 else -1.0) * (1.0 if a >= 0 else -1.0)  # holes subtract
            area += sign * a
            mx += sign * float(((x[:-1] + x[1:]) * cross).sum()) / 6.0
            my += sign * float(((y[:-1] + y[1:]) * cross).sum()) / 6.0
            paths.append(MplPath(np.column_stack([x, y])))
        parts.append((paths[0], paths[1:]))
    if area <= 0:
        v = np.concatenate([outer.vertices for outer, _ in parts])
        return parts, 0.0, float(v[:, 0].mean()), float(v[:, 1].mean())
    return parts, area, mx / area, my / area


def _contains(parts, pts: np.ndarray) -> np.ndarray:
    """Points inside any polygon's outer ring and none of its holes."""
    inside = np.zeros(len(pts), dtype=bool)
    for outer, holes in parts:
        hit = outer.contains_points(pts)
        for hole in holes:
            hit &= ~hole.contains_points(pts)
        inside |= hit
    return inside


@dataclass(frozen=True, eq=False)
class AttachedZones:
    """Polygon zones projected and attached to network nodes."""

    x_m: np.ndarray
    y_m: np.ndarray
    area_m2: np.ndarray
    node: np.ndarray
    node_zone: np.ndarray
    empty: tuple[str, ...]


def attach_zones(zp: ZonePolygons, proj: LocalProjection, node_x_m: np.ndarray,
                 node_y_m: np.ndarray) -> AttachedZones:
    """Zone centroids in metres, each node's zone and each zone's loading node."""
    from twincity.city.network import nearest_index

    pts = np.column_stack([node_x_m, node_y_m])
    node_zone = np.full(len(pts), -1, dtype=np.int64)
    cx, cy, area = np.empty(zp.n), np.empty(zp.n), np.empty(zp.n)
    for z in range(zp.n):  # one vectorised containment test per zone, within its box
        parts, area[z], cx[z], cy[z] = _projected_rings(zp.polygons[z], proj)
        v = np.concatenate([outer.vertices for outer, _ in parts])
        (x0, y0), (x1, y1) = v.min(axis=0), v.max(axis=0)
        near = np.flatnonzero((pts[:, 0] >= x0) & (pts[:, 0] <= x1) & (pts[:, 1] >= y0)
                              & (pts[:, 1] <= y1) & (node_zone < 0))
        if len(near):
            node_zone[near[_contains(parts, pts[near])]] = z
    outside = node_zone < 0
    if outside.any():
        node_zone[outside] = nearest_index(pts[outside, 0], pts[outside, 1], cx, cy)
    node = np.empty(zp.n, dtype=np.int32)
    empty = []
    for z in range(zp.n):
        mine = np.flatnonzero(node_zone == z)
        if len(mine) == 0:
            empty.append(zp.name[z])
            node[z] = nearest_index(cx[z], cy[z], node_x_m, node_y_m)[0]
            continue
        d = np.hypot(node_x_m[mine] - cx[z], node_y_m[mine] - cy[z])
        node[z] = mine[np.argmin(d)]
    return AttachedZones(x_m=cx, y_m=cy, area_m2=area, node=node,
                         node_zone=node_zone.astype(np.int32), empty=tuple(empty))
