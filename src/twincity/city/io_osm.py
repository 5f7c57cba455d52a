"""Read an OpenStreetMap XML extract (``.osm``) into a :class:`Network`.

The file is streamed with :func:`xml.etree.ElementTree.iterparse` (elements
are cleared as they are read, so memory holds only node coordinates and the
kept ways). A document type declaration is refused before parsing
(:func:`reject_xml_doctype`): OSM XML never needs one, and refusing it rules
out entity-expansion ("billion laughs") and external-entity tricks.

What is kept and how it is built:

* ways whose ``highway`` is in ``highway_classes`` (default
  :data:`~twincity.city.osm_defaults.DRIVABLE_HIGHWAYS`: motorway, trunk,
  primary, secondary, tertiary, unclassified, residential, their ``_link``
  variants and living_street; add ``"service"`` to include service roads,
  minus parking aisles, driveways and drive-throughs). Ways tagged
  ``area=yes``, ``access=no``, ``motor_vehicle=no`` or ``motorcar=no`` are
  dropped; ``access=private`` is kept (residents drive there).
* ways are split only at junctions — nodes used by two or more kept ways (or
  twice by one, as the closing node of a roundabout) and way ends — so there
  is one link per road segment between junctions and direction. Length is
  the sum of the segment's pieces on the WGS84 ellipsoid
  (:func:`~twincity.city.geo.segment_length_m`), at least 0.1 m. Segments
  that start and end at the same junction (a loop with a single junction)
  are dropped: no shortest path uses them.
* direction: ``oneway`` yes/true/1 forward, -1/reverse backward, no/false/0
  both; implied for motorways and ``junction=roundabout``/``circular``;
  other values (``reversible``, ``alternating``, typos) follow that implied
  rule, i.e. two-way except on motorways and roundabouts.
* lanes per direction, speed and capacity follow
  :mod:`twincity.city.osm_defaults` (``lanes:forward``/``lanes:backward``,
  ``maxspeed:forward``/``maxspeed:backward`` honoured); capacity is lanes ×
  the class's per-lane capacity.
* ``node_id`` is the OSM node id; coordinates are projected to metres about
  the centroid of the junction nodes (:class:`~twincity.city.geo.LocalProjection`)
  unless an ``origin`` is given.

Errors: a file that is not XML, is truncated, has no ``<osm>`` root, a node
without numeric coordinates, or a kept way referencing a node missing from
the file raises :class:`~twincity.errors.InputError` naming the file and the
line (the XML parser's position, or for a named node or way a text search for
its start tag, done only on the error path). Unparseable *tag values* (``lanes=many``,
``maxspeed=fast``) fall back to the class default; pass ``strict=True`` to
have them raise instead.

``.osm.gz`` and ``.osm.bz2`` are decompressed on the fly (by extension).

Not done: turn restrictions (relations), conditional tags
(``maxspeed:conditional``), per-vehicle access. ``.osm.pbf`` files are scanned by
:mod:`twincity.city.io_pbf` (pyosmium) and then built the same way.

Example:
    >>> net = read_osm("city.osm")                                # doctest: +SKIP
    >>> roads = parse_osm("city.osm", highway_classes=("primary", "secondary"))  # doctest: +SKIP
    >>> net = roads.to_network(origin=roads.projection())         # doctest: +SKIP
"""

from __future__ import annotations

import bz2
import gzip
import re
import xml.etree.ElementTree as ET
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from twincity.city.geo import LocalProjection, segment_length_m
from twincity.city.network import Network
from twincity.city.osm_defaults import (
    DRIVABLE_HIGHWAYS,
    HIGHWAY_DEFAULTS,
    lanes_per_direction,
    parse_lanes,
    parse_oneway,
    parse_speed_kmh,
)
from twincity.errors import InputError

#: Shortest link kept (two OSM nodes at identical coordinates give 0 m).
MIN_LENGTH_M = 0.1
_PROLOG_SCAN_CHARS = 1 << 20
_EXCLUDED_SERVICE = frozenset({"parking_aisle", "driveway", "drive-through", "emergency_access"})
_NO = frozenset({"no"})


def is_pbf(path: str | Path) -> bool:
    """Whether ``path`` names an OSM PBF file (``.pbf``, e.g. ``city.osm.pbf``).

    >>> is_pbf("helsinki.osm.pbf"), is_pbf("helsinki.osm")
    (True, False)
    """
    return str(path).lower().endswith(".pbf")


def open_xml(path: str | Path) -> IO[bytes]:
    """Open ``path`` for reading bytes, decompressing ``.gz`` / ``.bz2`` by extension.

    Example:
        >>> with open_xml("city.osm.gz") as f:                # doctest: +SKIP
        ...     head = f.read(100)
    """
    name = str(path).lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    return open(path, "rb")


def reject_xml_doctype(path: str | Path) -> None:
    """Raise :class:`InputError` if the XML prolog of ``path`` has a ``<!DOCTYPE``.

    A DTD is where entities are declared, and it may only appear before the
    root element, so scanning the prolog (declaration, comments, processing
    instructions) is enough. Used by the OSM and GraphML readers.

    Example:
        >>> reject_xml_doctype("city.osm")          # doctest: +SKIP
    """
    try:
        with open_xml(path) as f:
            head = f.read(_PROLOG_SCAN_CHARS)
    except (OSError, EOFError) as e:  # unreadable, or a broken gzip/bz2 stream
        raise InputError(f"cannot read the file ({getattr(e, 'strerror', None) or e})",
                         file=path) from None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="replace")
    else:
        text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if text.startswith("<?", i):
            end, step = text.find("?>", i), 2
        elif text.startswith("<!--", i):
            end, step = text.find("-->", i), 3
        elif text.startswith("<!", i):
            line = text.count("\n", 0, i) + 1
            raise InputError("document type declarations (<!DOCTYPE>, <!ENTITY>) are refused; "
                             "expected plain XML without a DTD", file=path, line=line)
        else:
            return  # the root element (or garbage the parser will report)
        if end < 0:
            if len(head) >= _PROLOG_SCAN_CHARS:
                raise InputError("the XML prolog is longer than 1 MiB; expected the root "
                                 "element near the start of the file", file=path)
            return  # truncated prolog: the parser reports it with its line
        i = end + step


def _element_line(path: Path, kind: str, element_id) -> int | None:
    """Line of ``<kind ... id="element_id"`` in the file (error path only: a text scan)."""
    pattern = re.compile(rb"<" + kind.encode() + rb"\b[^>]*\bid=[\"']"
                         + re.escape(str(element_id).encode()) + rb"[\"']")
    try:
        with open_xml(path) as f:
            for n, line in enumerate(f, 1):
                if pattern.search(line):
                    return n
    except (OSError, EOFError):
        return None
    return None


@dataclass(frozen=True)
class OsmRoads:
    """Junction nodes (lon/lat) and directed links read from an OSM file.

    ``way_id`` gives the OSM way of each link, ``forward`` whether the link
    runs along the way's node order. ``shape_*`` hold each link's polyline
    (its OSM nodes, end nodes included, in driving order) as CSR:
    link ``k`` has points ``shape_start[k]:shape_start[k + 1]``.
    """

    node_id: np.ndarray
    lon_deg: np.ndarray
    lat_deg: np.ndarray
    link_from: np.ndarray
    link_to: np.ndarray
    length_m: np.ndarray
    lanes: np.ndarray
    speed_mps: np.ndarray
    capacity_vph: np.ndarray
    road_class: np.ndarray
    way_id: np.ndarray
    forward: np.ndarray
    cut_refs: int = 0
    shape_start: np.ndarray | None = None
    shape_lon_deg: np.ndarray | None = None
    shape_lat_deg: np.ndarray | None = None

    def osm_ways(self) -> tuple[str, ...]:
        """Each link's OSM way as text: ``"<way id>+"`` along the way's node order,
        ``"<way id>-"`` against it (the format of :mod:`twincity.city.osm_ways`).
        """
        return tuple(f"{w}{'+' if f else '-'}"
                     for w, f in zip(self.way_id.tolist(), self.forward.tolist(), strict=True))

    def projection(self) -> LocalProjection:
        """Tangent plane about the centroid of the junction nodes."""
        return LocalProjection.about_centroid(self.lon_deg, self.lat_deg)

    def to_network(self, origin: LocalProjection | None = None) -> Network:
        """Project to metres and build the :class:`Network` (CSR, defaults)."""
        proj = origin if origin is not None else self.projection()
        x_m, y_m = proj.forward(self.lon_deg, self.lat_deg)
        return Network.from_links(
            node_x_m=x_m, node_y_m=y_m, link_from=self.link_from, link_to=self.link_to,
            length_m=self.length_m, lanes=self.lanes, speed_mps=self.speed_mps,
            capacity_vph=self.capacity_vph, road_class=self.road_class, node_id=self.node_id,
        )


def read_osm(
    path: str | Path,
    *,
    highway_classes: Iterable[str] = DRIVABLE_HIGHWAYS,
    strict: bool = False,
    origin: LocalProjection | None = None,
) -> Network:
    """Read the drivable road network of an OSM XML file (see the module docstring).

    Example:
        >>> classes = (*DRIVABLE_HIGHWAYS, "service")
        >>> net = read_osm("city.osm", highway_classes=classes)   # doctest: +SKIP
    """
    return parse_osm(path, highway_classes=highway_classes, strict=strict).to_network(origin)


def _check_classes(highway_classes: Iterable[str]) -> frozenset[str]:
    if isinstance(highway_classes, str):
        highway_classes = (highway_classes,)
    wanted = frozenset(highway_classes)
    unknown = sorted(wanted - HIGHWAY_DEFAULTS.keys())
    if unknown:
        raise InputError(f"unknown highway classes {unknown}; expected some of "
                         f"{sorted(HIGHWAY_DEFAULTS)}", path="highway_classes")
    if not wanted:
        raise InputError("expected at least one highway class", path="highway_classes")
    return wanted


def _keep_way(tags: dict[str, str], wanted: frozenset[str]) -> bool:
    hw = tags.get("highway")
    if hw not in wanted:
        return False
    if tags.get("area") == "yes":
        return False
    if (tags.get("access") in _NO or tags.get("motor_vehicle") in _NO
            or tags.get("motorcar") in _NO):
        return False
    return not (hw == "service" and tags.get("service") in _EXCLUDED_SERVICE)


def _scan(path: Path, wanted: frozenset[str]):
    """Stream the file: all node coordinates, and the kept ways (id, refs, tags)."""
    node_ids, lats, lons = array("q"), array("d"), array("d")
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    root = None
    try:
        with open_xml(path) as f:
            for event, elem in ET.iterparse(f, events=("start", "end")):
                if root is None:
                    root = elem
                    if elem.tag != "osm":
                        raise InputError(f"root element is <{elem.tag}>; expected <osm> "
                                         "(an OpenStreetMap XML file)", file=path, line=1)
                    continue
                if event == "end" and elem.tag in ("node", "way", "relation"):
                    _take(elem, path, wanted, node_ids, lats, lons, ways)
                    root.clear()  # drop finished top-level elements: constant memory
    except ET.ParseError as e:
        line = e.position[0] if getattr(e, "position", None) else None
        raise InputError(f"not well-formed XML ({e.msg}); expected an OpenStreetMap XML "
                         "file (.osm, .osm.gz or .osm.bz2)", file=path, line=line) from None
    except (OSError, EOFError) as e:  # unreadable, or a broken gzip/bz2 stream
        raise InputError(f"cannot read the file ({getattr(e, 'strerror', None) or e})",
                         file=path) from None
    if root is None:
        raise InputError("the file is empty; expected an OpenStreetMap XML file", file=path)
    return (np.frombuffer(node_ids, dtype=np.int64), np.frombuffer(lats, dtype=np.float64),
            np.frombuffer(lons, dtype=np.float64), ways)


def _take(elem, path: Path, wanted, node_ids, lats, lons, ways) -> None:
    """Record one finished <node> or kept <way>."""
    if elem.get("action") == "delete" or elem.get("visible") == "false":
        return  # JOSM deletions / history: not part of the map
    if elem.tag == "node":
        try:
            nid = int(elem.get("id"))
            lat, lon = float(elem.get("lat")), float(elem.get("lon"))
        except (TypeError, ValueError):
            raise InputError(f"node {elem.get('id')!r} has no numeric id/lat/lon; "
                             "expected <node id=... lat=... lon=...>", file=path,
                             line=_element_line(path, "node", elem.get("id"))) from None
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            raise InputError(f"node {nid} has lat={lat}, lon={lon}; expected degrees "
                             "within ±90 / ±180", file=path,
                             line=_element_line(path, "node", nid))
        node_ids.append(nid)
        lats.append(lat)
        lons.append(lon)
    elif elem.tag == "way":
        tags = {t.get("k"): t.get("v") for t in elem.iterfind("tag")}
        if _keep_way(tags, wanted):
            try:
                wid = int(elem.get("id"))
                refs = [int(nd.get("ref")) for nd in elem.iterfind("nd")]
            except (TypeError, ValueError):
                raise InputError(f"way {elem.get('id')!r} has a non-numeric id or <nd ref>; "
                                 "expected integers", file=path,
                                 line=_element_line(path, "way", elem.get("id"))) from None
            ways.append((wid, refs, tags))


def _way_attributes(wid: int, tags: dict[str, str], path: Path, strict: bool):
    """(road class, lanes fwd/bwd, speed km/h fwd/bwd, capacity per lane) of one way."""
    hw = tags["highway"]
    d = HIGHWAY_DEFAULTS[hw]

    def parsed(key, parser):
        raw = tags.get(key)
        value = parser(raw) if raw is not None else None
        if raw is not None and value is None and strict:
            raise InputError(f"way {wid}: cannot interpret {key}={raw!r}; expected "
                             + ("a positive lane count" if "lanes" in key else
                                "a speed such as 50, '30 mph' or 'walk'" if "speed" in key
                                else "yes/no/-1"), file=path, path=f"way[{wid}].{key}",
                             line=_element_line(path, "way", wid))
        return value

    oneway = parsed("oneway", parse_oneway)
    if oneway is None:
        implied = d.implied_oneway or tags.get("junction") in ("roundabout", "circular")
        oneway = 1 if implied else 0
    fwd_lanes, bwd_lanes = lanes_per_direction(
        lanes=parsed("lanes", parse_lanes), forward=parsed("lanes:forward", parse_lanes),
        backward=parsed("lanes:backward", parse_lanes), oneway=oneway,
        default=d.lanes_per_direction)
    speed = parsed("maxspeed", parse_speed_kmh) or d.speed_kmh
    fwd_speed = parsed("maxspeed:forward", parse_speed_kmh) or speed
    bwd_speed = parsed("maxspeed:backward", parse_speed_kmh) or speed
    return (d.road_class_index, fwd_lanes, bwd_lanes, fwd_speed, bwd_speed, d.capacity_vphpl)


def parse_osm(
    path: str | Path,
    *,
    highway_classes: Iterable[str] = DRIVABLE_HIGHWAYS,
    strict: bool = False,
    missing_nodes: str | None = None,
) -> OsmRoads:
    """Parse an OSM XML or PBF file into junction nodes and directed links.

    ``missing_nodes``: what to do with way nodes absent from the file —
    ``"error"`` (the default for XML, whose extracts carry complete ways) or
    ``"cut"`` (the default for ``.pbf``: bbox extracts cut ways at their edge;
    the way is split at the gap and ``cut_refs`` counts the missing refs).

    Example:
        >>> roads = parse_osm("city.osm")              # doctest: +SKIP
        >>> roads.to_network().n_links                 # doctest: +SKIP
    """
    path = Path(path)
    wanted = _check_classes(highway_classes)
    if missing_nodes is None:
        missing_nodes = "cut" if is_pbf(path) else "error"
    if missing_nodes not in ("cut", "error"):
        raise InputError(f"missing_nodes={missing_nodes!r}; expected 'cut' or 'error'",
                         path="missing_nodes")
    if is_pbf(path):
        from twincity.city.io_pbf import scan_pbf

        all_ids, all_lat, all_lon, ways = scan_pbf(path, lambda tags: _keep_way(tags, wanted))
    else:
        reject_xml_doctype(path)
        all_ids, all_lat, all_lon, ways = _scan(path, wanted)
    ways = [w for w in ways if len(w[1]) >= 2]
    if not ways:
        raise InputError(f"no ways with highway in {sorted(wanted)}; expected a road network",
                         file=path)

    # Node lookup by OSM id (sorted ids + searchsorted; duplicates keep the last).
    order = np.argsort(all_ids, kind="stable")
    sorted_ids = all_ids[order]
    last = np.r_[sorted_ids[1:] != sorted_ids[:-1], True] if len(sorted_ids) else np.array([], bool)
    sorted_ids, order = sorted_ids[last], order[last]

    lengths = np.fromiter((len(w[1]) for w in ways), dtype=np.int64, count=len(ways))
    refs = np.fromiter((r for w in ways for r in w[1]), dtype=np.int64, count=int(lengths.sum()))
    way_of = np.repeat(np.arange(len(ways)), lengths)
    pos = np.searchsorted(sorted_ids, refs)
    pos_c = np.minimum(pos, max(len(sorted_ids) - 1, 0))
    found = (pos < len(sorted_ids)) & (sorted_ids[pos_c] == refs) if len(sorted_ids) else \
        np.zeros(len(refs), dtype=bool)
    # A run is a stretch of a way between missing nodes (a bbox extract cuts ways at its edge).
    run_of = np.cumsum(np.r_[True, (way_of[1:] != way_of[:-1]) | ~found[:-1]])
    cut = int((~found).sum())
    if cut and missing_nodes == "cut":
        refs, way_of, run_of, pos = refs[found], way_of[found], run_of[found], pos[found]
    elif cut:
        k = int(np.flatnonzero(~found)[0])
        wid = ways[way_of[k]][0]
        raise InputError(f"way {wid} references node {refs[k]}, which is not in the file; "
                         "expected every node of a kept way (export with complete ways)",
                         file=path, line=_element_line(path, "way", wid))
    node_row = order[pos]

    # Drop repeated consecutive refs within a way (zero-length pieces).
    keep = np.ones(len(refs), dtype=bool)
    keep[1:] = (refs[1:] != refs[:-1]) | (run_of[1:] != run_of[:-1])
    refs, way_of, run_of, node_row = refs[keep], way_of[keep], run_of[keep], node_row[keep]
    starts = np.r_[True, run_of[1:] != run_of[:-1]]
    ends = np.r_[run_of[1:] != run_of[:-1], True]
    single = starts & ends  # runs reduced to one node
    if single.any():
        k = ~single
        refs, way_of, run_of, node_row, starts, ends = (
            v[k] for v in (refs, way_of, run_of, node_row, starts, ends))

    # Junctions: used twice or more (by any kept ways), or a way end.
    _, inverse, counts = np.unique(refs, return_inverse=True, return_counts=True)
    split = (counts[inverse] >= 2) | starts | ends
    lat, lon = all_lat[node_row], all_lon[node_row]
    piece = np.zeros(len(refs))
    if len(refs) > 1:
        piece[1:] = segment_length_m(lon[:-1], lat[:-1], lon[1:], lat[1:])
        piece[1:][starts[1:]] = 0.0  # no piece across a way boundary
    cum = np.cumsum(piece)
    sp = np.flatnonzero(split)
    same_way = run_of[sp[:-1]] == run_of[sp[1:]]
    a, b = sp[:-1][same_way], sp[1:][same_way]
    seg_from, seg_to = refs[a], refs[b]
    seg_len = np.maximum(cum[b] - cum[a], MIN_LENGTH_M)
    seg_way = way_of[a]
    not_loop = seg_from != seg_to
    seg_from, seg_to, seg_len, seg_way = (v[not_loop] for v in (seg_from, seg_to, seg_len, seg_way))

    attrs = np.array([_way_attributes(w[0], w[2], path, strict) for w in ways], dtype=np.float64)
    cls, lanes_f, lanes_b, v_f, v_b, cap = (attrs[seg_way, j] for j in range(6))
    fwd, bwd = lanes_f > 0, lanes_b > 0
    # Interleave: segment k gives link 2k (forward) and 2k+1 (backward) when they exist.
    seq = np.r_[np.flatnonzero(fwd) * 2, np.flatnonzero(bwd) * 2 + 1]
    lf = np.r_[seg_from[fwd], seg_to[bwd]]
    lt = np.r_[seg_to[fwd], seg_from[bwd]]
    lanes = np.r_[lanes_f[fwd], lanes_b[bwd]]
    speed_kmh = np.r_[v_f[fwd], v_b[bwd]]
    o = np.argsort(seq, kind="stable")
    lf, lt, lanes, speed_kmh = lf[o], lt[o], lanes[o], speed_kmh[o]
    seg_idx = (seq[o] // 2)
    if len(lf) == 0:
        raise InputError("the kept ways form no link between two junctions; expected a road "
                         "network", file=path)

    node_ids = np.unique(np.r_[lf, lt])
    rows = order[np.searchsorted(sorted_ids, node_ids)]
    # Polylines: segment k spans refs a[k]..b[k]; backward links walk it in reverse.
    sa, sb = a[not_loop][seg_idx], b[not_loop][seg_idx]
    n_pts = sb - sa + 1
    shape_start = np.zeros(len(lf) + 1, dtype=np.int64)
    np.cumsum(n_pts, out=shape_start[1:])
    step = np.arange(shape_start[-1]) - np.repeat(shape_start[:-1], n_pts)
    fwd_link = np.repeat(seq[o] % 2 == 0, n_pts)
    pt = np.where(fwd_link, np.repeat(sa, n_pts) + step, np.repeat(sb, n_pts) - step)
    return OsmRoads(
        node_id=node_ids, lon_deg=all_lon[rows].copy(), lat_deg=all_lat[rows].copy(),
        link_from=np.searchsorted(node_ids, lf).astype(np.int32),
        link_to=np.searchsorted(node_ids, lt).astype(np.int32),
        length_m=seg_len[seg_idx], lanes=lanes.astype(np.int16),
        speed_mps=speed_kmh / 3.6, capacity_vph=lanes * cap[seg_idx],
        road_class=cls[seg_idx].astype(np.int8),
        way_id=np.array([w[0] for w in ways], dtype=np.int64)[seg_way[seg_idx]],
        forward=(seq[o] % 2 == 0),
        cut_refs=cut if missing_nodes == "cut" else 0, shape_start=shape_start,
        shape_lon_deg=lon[pt].copy(), shape_lat_deg=lat[pt].copy(),
    )
