"""GraphML export and import of road networks (twincity's own files and OSMnx's).

:func:`write_graphml` writes a directed multigraph with twincity's attribute
names — nodes ``x_m``, ``y_m``; links ``length_m``, ``lanes``, ``speed_mps``,
``capacity_vph``, ``road_class`` (name), ``free_flow_s``, ``storage_veh``,
``bpr_alpha``, ``bpr_beta``, ``toll`` — node ids are ``Network.node_id`` and
edge keys the link indices. Floats are written as Python's shortest
round-trip repr, so :func:`read_graphml` gives back every array exactly, in
the same node and link order — except ``free_flow_s``, written without the
inferred signal delay (``Network.signal_delay_s``, which is not written):
building a city from the file infers the signals and adds it again. The
file is written to a temporary file in the same folder and moved into
place with :func:`os.replace`, so a reader never sees half a file and a
failed write leaves the old file intact.

:func:`read_graphml` also reads foreign GraphML, notably graphs saved by
OSMnx (``ox.save_graphml``), where every attribute is a string:

* coordinates: ``x_m``/``y_m`` if present; else ``x``/``y``, which are
  lon/lat degrees when the graph's ``crs`` attribute names WGS84 (EPSG:4326)
  — or, without a ``crs``, when every value is within ±180/±90 — and are
  projected to metres about the centroid
  (:class:`~twincity.city.geo.LocalProjection`); otherwise they are taken to
  be metres already (an OSMnx *projected* graph). ``coords=`` overrides.
* length: ``length_m``, else ``length`` (metres, as OSMnx stores it), else the
  ``geometry`` LINESTRING (WKT, parsed by hand) summed on the ellipsoid, else
  the straight line between the end nodes; at least 0.1 m.
* ``highway`` (possibly an OSMnx list string: the most important class wins)
  selects the :mod:`~twincity.city.osm_defaults` row; edges without a known
  class use ``unclassified``.
* lanes: a numeric ``lanes`` is this link's lane count; a string (an OSM tag,
  as OSMnx keeps it) counts both directions of a two-way road
  (``oneway`` false), so each direction gets ``lanes // 2`` (at least 1).
* speed: ``speed_mps``, else ``speed_kph`` (OSMnx ``add_edge_speeds``), else
  ``maxspeed`` ("50 mph", "30", lists → mean), else the class default.
* capacity = lanes × the class's per-lane capacity unless ``capacity_vph``
  is given; ``free_flow_s``, ``storage_veh``, ``bpr_*``, ``toll`` default as
  in :meth:`Network.from_links`.

Directed graphs keep every edge, parallel edges included (OSMnx already adds
both directions of two-way roads); an undirected graph gives two links per
edge. Integer node keys become ``node_id``; non-integer keys are numbered
0..n-1 in file order.

Values under twincity's own attribute names that are not numbers (or an
unknown ``road_class``) raise :class:`~twincity.errors.InputError`; values of
OSM tags that cannot be interpreted fall back to the class defaults.
Parsing is networkx's XML reader only (no eval, no pickle), behind the same
DOCTYPE refusal as the OSM reader.

Example:
    >>> import numpy as np
    >>> from twincity.city.network import Network
    >>> net = Network.from_links(node_x_m=np.array([0.0, 500.0]), node_y_m=np.zeros(2),
    ...     link_from=np.array([0]), link_to=np.array([1]), length_m=np.array([500.0]),
    ...     lanes=np.array([1]), speed_mps=np.array([13.9]), capacity_vph=np.array([1800.0]))
    >>> write_graphml(net, "net.graphml")                   # doctest: +SKIP
    >>> read_graphml("net.graphml").length_m                # doctest: +SKIP
    array([500.])
"""

from __future__ import annotations

import contextlib
import gzip
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

import numpy as np

from twincity.city.geo import LocalProjection, segment_length_m
from twincity.city.io_osm import MIN_LENGTH_M, reject_xml_doctype
from twincity.city.network import Network
from twincity.city.osm_defaults import (
    FALLBACK_HIGHWAY,
    HIGHWAY_DEFAULTS,
    parse_lanes,
    parse_oneway,
    parse_speed_kmh,
    pick_highway,
)
from twincity.defaults import JAM_DENSITY_VPKMPL
from twincity.errors import InputError
from twincity.ioutil import atomic_writer
from twincity.vocab import ROAD_CLASSES

#: Graph attribute marking files written by :func:`write_graphml`.
FORMAT_ATTR = "twincity_format"
FORMAT_VERSION = "1"
#: Optional edge attribute: the link's polyline, WKT LINESTRING in lon/lat (OSMnx's name).
GEOMETRY_ATTR = "geometry"
#: Optional edge attribute: the OSM ways the link follows (:mod:`twincity.city.osm_ways`).
OSM_WAYS_ATTR = "osm_ways"
_GEOGRAPHIC_CRS = ("4326", "wgs84", "wgs 84", "longlat", "crs84")
_WKT_LINESTRING = re.compile(r"^\s*LINESTRING\s*\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)


#: (name, GraphML type) of the node and link attributes twincity writes.
NODE_ATTRS: tuple[tuple[str, str], ...] = (("x_m", "double"), ("y_m", "double"))
LINK_ATTRS: tuple[tuple[str, str], ...] = (
    ("length_m", "double"), ("lanes", "long"), ("speed_mps", "double"),
    ("capacity_vph", "double"), ("road_class", "string"), ("free_flow_s", "double"),
    ("storage_veh", "double"), ("bpr_alpha", "double"), ("bpr_beta", "double"),
    ("toll", "double"))
_CRS_NOTE = "local metres (x east, y north)"
_CHUNK = 20000


def _graphml_lines(net: Network, link_text: dict[str, Sequence[str]]):
    """The GraphML text of ``net`` in chunks (the layout networkx writes, streamed)."""
    yield ("<?xml version='1.0' encoding='utf-8'?>\n"
           '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
           'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
           'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
    keys = [("g0", "graph", FORMAT_ATTR, "string"), ("g1", "graph", "crs", "string")]
    keys += [(f"n{i}", "node", n, t) for i, (n, t) in enumerate(NODE_ATTRS)]
    keys += [(f"e{i}", "edge", n, t) for i, (n, t) in enumerate(LINK_ATTRS)]
    keys += [(f"e{len(LINK_ATTRS) + i}", "edge", n, "string") for i, n in enumerate(link_text)]
    yield "".join(f'  <key id="{k}" for="{f}" attr.name="{n}" attr.type="{t}" />\n'
                  for k, f, n, t in keys)
    yield ('  <graph edgedefault="directed">\n'
           f'    <data key="g0">{FORMAT_VERSION}</data>\n'
           f'    <data key="g1">{_CRS_NOTE}</data>\n')
    ids = net.node_id.tolist()
    xs, ys = net.node_x_m.tolist(), net.node_y_m.tolist()
    for s in range(0, len(ids), _CHUNK):
        yield "".join(f'    <node id="{i}"><data key="n0">{x!r}</data>'
                      f'<data key="n1">{y!r}</data></node>\n'
                      for i, x, y in zip(ids[s:s + _CHUNK], xs[s:s + _CHUNK],
                                         ys[s:s + _CHUNK], strict=True))
    src = net.node_id[net.link_from].tolist()
    dst = net.node_id[net.link_to].tolist()
    names = [ROAD_CLASSES[c] for c in net.road_class.tolist()]
    own = {"road_class": names, "free_flow_s": (net.free_flow_s - net.signal_delay_s).tolist()}
    cols = [own[n] if n in own else getattr(net, n).tolist() for n, _ in LINK_ATTRS]
    for name, values in link_text.items():
        if len(values) != net.n_links:
            raise ValueError(f"{name} has {len(values)} entries; expected one per link "
                             f"({net.n_links})")
        cols.append([escape(str(w)) for w in values])
    for s in range(0, net.n_links, _CHUNK):
        rows = zip(range(s, min(s + _CHUNK, net.n_links)), src[s:s + _CHUNK],
                   dst[s:s + _CHUNK], *(c[s:s + _CHUNK] for c in cols), strict=True)
        yield "".join(
            f'    <edge source="{u}" target="{v}" id="{k}">'
            + "".join(f'<data key="e{j}">{val!r}</data>' if isinstance(val, float)
                      else f'<data key="e{j}">{val}</data>' for j, val in enumerate(vals))
            + "</edge>\n"
            for k, u, v, *vals in rows)
    yield "  </graph>\n</graphml>\n"


def _write_chunks(net: Network, fh, link_text: dict[str, Sequence[str]]) -> None:
    for chunk in _graphml_lines(net, link_text):
        fh.write(chunk.encode("utf-8"))


def write_graphml(net: Network, path: str | Path, *,
                  link_geometry_wkt: Sequence[str] | None = None,
                  link_osm_ways: Sequence[str] | None = None) -> None:
    """Write ``net`` as GraphML with twincity's attribute names, atomically.

    The layout is the one ``networkx.write_graphml`` produces for
    ``net.to_networkx()`` (typed keys, edge ids = link indices), streamed
    without building a tree; floats use ``repr`` so they read back exactly.
    A path ending in ``.gz`` is gzip-compressed. ``link_geometry_wkt`` adds each
    link's polyline as a WKT ``LINESTRING`` in lon/lat under ``geometry`` (OSMnx's
    name); :func:`read_link_geometry` reads it back. ``link_osm_ways`` adds the OSM
    ways each link follows under ``osm_ways`` (:mod:`twincity.city.osm_ways`);
    :func:`read_link_osm_ways` reads it back.

    Example:
        >>> write_graphml(net, "city.graphml")                 # doctest: +SKIP
    """
    path = Path(path)
    if len(np.unique(net.node_id)) != net.n_nodes:
        raise ValueError("Network.node_id has repeated values; GraphML node ids must be unique")
    link_text = {name: values for name, values in ((GEOMETRY_ATTR, link_geometry_wkt),
                                                   (OSM_WAYS_ATTR, link_osm_ways))
                 if values is not None}
    with atomic_writer(path, "wb") as raw:
        if path.name.lower().endswith(".gz"):  # networkx reads .gz by extension too
            with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as gz:
                _write_chunks(net, gz, link_text)
        else:
            _write_chunks(net, raw, link_text)


def read_link_geometry(path: str | Path) -> list[str] | None:
    """The ``geometry`` WKT of every link of a twincity GraphML file, in link order.

    ``None`` when the file is not twincity's own or some link has no geometry.

    Example:
        >>> read_link_geometry("network.graphml")[0]       # doctest: +SKIP
        'LINESTRING (24.9452 60.1698, 24.9461 60.1702)'
    """
    return read_link_text(path, (GEOMETRY_ATTR,))[GEOMETRY_ATTR]


def read_link_text(path: str | Path, names: Sequence[str] = (GEOMETRY_ATTR, OSM_WAYS_ATTR)
                   ) -> dict[str, list[str] | None]:
    """Text attributes of every link of a twincity GraphML file, in link order, by name
    (``geometry``; ``osm_ways``: :mod:`twincity.city.osm_ways`), read in one pass. An
    attribute is ``None`` when the file is not twincity's own or some link lacks it
    (``osm_ways`` of a network not imported from OpenStreetMap).

    Example:
        >>> read_link_text("network.graphml")["osm_ways"][0]       # doctest: +SKIP
        '24339817+;8130950+'
    """
    g = _load(Path(path))
    if not str(g.graph.get(FORMAT_ATTR, "")):
        return dict.fromkeys(names)
    edges = sorted(g.edges(keys=True, data=True), key=lambda e: e[2])
    found: dict[str, list[str] | None] = {}
    for name in names:
        out = [d.get(name) for *_, d in edges]
        found[name] = out if all(isinstance(w, str) for w in out) else None
    return found


def _number(value, what: str, file: Path, where: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{what}={value!r} is not a number; expected a number",
                         file=file, path=where) from None
    return x


def _wkt_lonlat(text) -> tuple[np.ndarray, np.ndarray] | None:
    """Coordinates of a WKT LINESTRING, or None if it is not one."""
    m = _WKT_LINESTRING.match(str(text)) if text is not None else None
    if not m:
        return None
    try:
        pts = np.array([[float(v) for v in p.split()[:2]] for p in m.group(1).split(",")])
    except ValueError:
        return None
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 2:
        return None
    return pts[:, 0], pts[:, 1]


def _load(path: Path):
    import networkx as nx

    reject_xml_doctype(path)
    try:
        return nx.read_graphml(path, force_multigraph=True)
    except ET.ParseError as e:
        line = e.position[0] if getattr(e, "position", None) else None
        raise InputError(f"not well-formed XML ({e.msg}); expected a GraphML file",
                         file=path, line=line) from None
    except (nx.NetworkXError, ValueError, TypeError, KeyError, IndexError, AttributeError) as e:
        raise InputError(f"not a readable GraphML graph ({e}); expected GraphML "
                         "(as written by networkx or OSMnx)", file=path) from None
    except OSError as e:
        raise InputError(f"cannot read the file ({e.strerror})", file=path) from None


def read_graphml(
    path: str | Path,
    *,
    coords: Literal["auto", "lonlat", "metres"] = "auto",
    origin: LocalProjection | None = None,
) -> Network:
    """Read a GraphML road network (twincity's own or foreign, e.g. OSMnx).

    See the module docstring for how foreign attributes are interpreted.
    ``origin`` fixes the projection of lon/lat graphs (default: centroid).

    Example:
        >>> net = read_graphml("osmnx_city.graphml")           # doctest: +SKIP
    """
    path = Path(path)
    if coords not in ("auto", "lonlat", "metres"):
        raise InputError(f"coords={coords!r}; expected 'auto', 'lonlat' or 'metres'",
                         path="coords")
    g = _load(path)
    own = str(g.graph.get(FORMAT_ATTR, "")) != ""
    keys = list(g.nodes)
    if not keys:
        raise InputError("the graph has no nodes; expected a road network", file=path)
    index = {k: i for i, k in enumerate(keys)}
    x_m, y_m = _node_coordinates(g, keys, path, coords, origin)
    try:
        node_id = np.array([int(k) for k in keys], dtype=np.int64)
        if len(np.unique(node_id)) != len(node_id):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        node_id = np.arange(len(keys), dtype=np.int64)

    edges = list(g.edges(keys=True, data=True))
    ekeys = [e[2] for e in edges]
    if all(isinstance(k, int) for k in ekeys) and sorted(ekeys) == list(range(len(edges))):
        edges.sort(key=lambda e: e[2])  # twincity files: the key is the link index
    if not g.is_directed():
        edges = edges + [(v, u, k, d) for u, v, k, d in edges]
    if not edges:
        raise InputError("the graph has no edges; expected a road network", file=path)

    cols = _own_columns(edges, index) if own else None
    if cols is None:  # foreign, or an edited file: edge by edge, with named errors
        geographic = _is_geographic(g, keys, coords)
        cols = {name: [] for name in ("from", "to", *(n for n, _ in LINK_ATTRS))}
        for u, v, key, d in edges:
            where = f"edge[{u}->{v}:{key}]"
            i, j = index[u], index[v]
            for name, value in _link_values(g, u, v, d, i, j, x_m, y_m, geographic, own,
                                            path, where).items():
                cols[name].append(value)
            cols["from"].append(i)
            cols["to"].append(j)
    try:
        return Network.from_links(
            node_x_m=x_m, node_y_m=y_m, link_from=np.array(cols["from"]),
            link_to=np.array(cols["to"]), length_m=np.array(cols["length_m"]),
            lanes=np.array(cols["lanes"]), speed_mps=np.array(cols["speed_mps"]),
            capacity_vph=np.array(cols["capacity_vph"]),
            road_class=np.array(cols["road_class"]),
            free_flow_s=np.array(cols["free_flow_s"]),
            storage_veh=np.array(cols["storage_veh"]),
            bpr_alpha=np.array(cols["bpr_alpha"]), bpr_beta=np.array(cols["bpr_beta"]),
            toll=np.array(cols["toll"]), node_id=node_id,
        )
    except ValueError as e:
        raise InputError(f"inconsistent link attributes ({e}); expected positive lengths, "
                         "lanes, speeds and capacities", file=path) from None


def _own_columns(edges, index) -> dict[str, np.ndarray] | None:
    """Link columns of a complete twincity file in one pass, or None if any value is off."""
    try:
        class_index = {name: i for i, name in enumerate(ROAD_CLASSES)}
        cols = {"from": np.fromiter((index[e[0]] for e in edges), np.int64, len(edges)),
                "to": np.fromiter((index[e[1]] for e in edges), np.int64, len(edges)),
                "road_class": np.fromiter((class_index[e[3]["road_class"]] for e in edges),
                                          np.int64, len(edges))}
        for name, kind in LINK_ATTRS:
            if name == "road_class":
                continue
            dtype = np.float64 if kind == "double" else np.int64
            values = [e[3][name] for e in edges]
            if not all(type(x) is (float if kind == "double" else int) for x in values):
                return None
            cols[name] = np.array(values, dtype=dtype)
    except KeyError:
        return None
    if np.any(cols["lanes"] < 1):
        return None
    return cols


def _is_geographic(g, keys, coords: str) -> bool:
    if coords != "auto":
        return coords == "lonlat"
    first = g.nodes[keys[0]]
    if "x_m" in first:
        return False
    crs = str(g.graph.get("crs", "")).lower()
    if crs:
        return any(t in crs for t in _GEOGRAPHIC_CRS)
    try:
        xs = np.array([float(g.nodes[k]["x"]) for k in keys])
        ys = np.array([float(g.nodes[k]["y"]) for k in keys])
    except (KeyError, TypeError, ValueError):
        return False
    return bool(np.all(np.abs(xs) <= 180.0) and np.all(np.abs(ys) <= 90.0))


def _node_coordinates(g, keys, path: Path, coords: str, origin: LocalProjection | None):
    first = g.nodes[keys[0]]
    xname, yname = ("x_m", "y_m") if "x_m" in first and coords == "auto" else ("x", "y")
    xs, ys = np.empty(len(keys)), np.empty(len(keys))
    for i, k in enumerate(keys):
        d = g.nodes[k]
        if xname not in d or yname not in d:
            raise InputError(f"node {k!r} has no {xname}/{yname}; expected coordinates on "
                             "every node", file=path, path=f"node[{k}]")
        xs[i] = _number(d[xname], xname, path, f"node[{k}].{xname}")
        ys[i] = _number(d[yname], yname, path, f"node[{k}].{yname}")
    if not _is_geographic(g, keys, coords):
        return xs, ys
    if np.any(np.abs(xs) > 180.0) or np.any(np.abs(ys) > 90.0):
        raise InputError("node x/y are outside ±180/±90 but the graph is in lon/lat degrees; "
                         "expected longitude in x and latitude in y", file=path)
    proj = origin if origin is not None else LocalProjection.about_centroid(xs, ys)
    return proj.forward(xs, ys)


def _link_values(g, u, v, d: dict, i: int, j: int, x_m, y_m, geographic: bool, own: bool,
                 path: Path, where: str) -> dict[str, float]:
    def num(name):
        return _number(d[name], name, path, f"{where}.{name}")

    hw = pick_highway(d.get("highway")) or FALLBACK_HIGHWAY
    dflt = HIGHWAY_DEFAULTS[hw]

    if "road_class" in d:
        if d["road_class"] not in ROAD_CLASSES:
            raise InputError(f"road_class={d['road_class']!r}; expected one of "
                             f"{list(ROAD_CLASSES)}", file=path, path=f"{where}.road_class")
        road_class = ROAD_CLASSES.index(d["road_class"])
    else:
        road_class = dflt.road_class_index

    if "length_m" in d:
        length = num("length_m")
    else:
        length = _foreign_length(g, u, v, d, i, j, x_m, y_m, geographic)

    raw_lanes = d.get("lanes")
    if isinstance(raw_lanes, int | float) and not isinstance(raw_lanes, bool):
        lanes = int(raw_lanes)
        if lanes < 1 or lanes != raw_lanes:
            raise InputError(f"lanes={raw_lanes!r}; expected a whole number ≥ 1",
                             file=path, path=f"{where}.lanes")
    elif raw_lanes is not None and own:
        raise InputError(f"lanes={raw_lanes!r} is not a number; expected a whole number ≥ 1",
                         file=path, path=f"{where}.lanes")
    else:
        total = parse_lanes(raw_lanes)
        two_way = parse_oneway(d.get("oneway")) == 0
        if total is None:
            lanes = dflt.lanes_per_direction
        else:
            lanes = max(1, total // 2) if two_way else total

    if "speed_mps" in d:
        speed = num("speed_mps")
    else:
        kmh = None
        if "speed_kph" in d:
            with contextlib.suppress(TypeError, ValueError):
                kmh = float(d["speed_kph"])
            if kmh is not None and not 0.0 < kmh <= 300.0:
                kmh = None
        if kmh is None:
            kmh = parse_speed_kmh(d.get("maxspeed")) or dflt.speed_kmh
        speed = kmh / 3.6

    cap = num("capacity_vph") if "capacity_vph" in d else lanes * dflt.capacity_vphpl
    return {
        "length_m": length, "lanes": lanes, "speed_mps": speed, "capacity_vph": cap,
        "road_class": road_class,
        "free_flow_s": num("free_flow_s") if "free_flow_s" in d else length / speed,
        "storage_veh": (num("storage_veh") if "storage_veh" in d
                        else max(1.0, length / 1000.0 * lanes * JAM_DENSITY_VPKMPL)),
        "bpr_alpha": num("bpr_alpha") if "bpr_alpha" in d else 0.15,
        "bpr_beta": num("bpr_beta") if "bpr_beta" in d else 4.0,
        "toll": num("toll") if "toll" in d else 0.0,
    }


def _foreign_length(g, u, v, d, i, j, x_m, y_m, geographic: bool) -> float:
    """Metres from ``length``, else the WKT geometry, else the straight line."""
    with contextlib.suppress(TypeError, ValueError):
        length = float(d["length"]) if "length" in d else float("nan")
        if length > 0.0 and np.isfinite(length):
            return length
    pts = _wkt_lonlat(d.get("geometry"))
    if pts is not None:
        xs, ys = pts
        if geographic:
            length = float(np.sum(segment_length_m(xs[:-1], ys[:-1], xs[1:], ys[1:])))
        else:
            length = float(np.sum(np.hypot(np.diff(xs), np.diff(ys))))
    elif geographic:
        a, b = g.nodes[u], g.nodes[v]
        length = float(segment_length_m(float(a["x"]), float(a["y"]),
                                        float(b["x"]), float(b["y"])))
    else:
        length = float(np.hypot(x_m[j] - x_m[i], y_m[j] - y_m[i]))
    return max(length, MIN_LENGTH_M)
