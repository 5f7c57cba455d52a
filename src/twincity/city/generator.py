"""A deterministic synthetic road network for a monocentric city.

The city is a disc of radius ``R = sqrt(urban_area × scale / π)``:

1. an **arterial grid** at ``arterial_spacing_m``, clipped to the disc, its
   junctions jittered by ``jitter_share`` of the local spacing;
2. **collector roads** at half spacing in the blocks whose centres lie in the
   central disc holding ``collector_density`` of the area (they split the
   arterial sides of those blocks at T-junctions);
3. **motorway ring roads** (polygons at ``ring_roads_share × R``, vertices
   about one arterial spacing apart) and **radial expressways** (from about
   ``max(spacing, 0.1 R)`` from the centre to the outermost grid junction in
   their direction), crossing each other at shared junctions and
   grade-separated from the grid. They join the grid at **interchanges**: a
   radial starts and ends on a grid junction, and about every
   ``interchange_spacing_m`` a ring or radial vertex gets a two-way link road
   (arterial class) to its nearest grid junction;
4. an optional **river**: a straight band at ``angle_deg``/``offset_share``;
   junctions inside it are removed, and of the links crossing it only
   ``bridges`` are kept — the crossings nearest to points spread over the
   central half of the river's chord, arterial/motorway links preferred (if too
   few links cross, bridges are built between the nearest junctions on the two
   banks);
5. ``drop_share`` of the grid links removed at random, any removal that would
   split the network put back.

Every road is two-way (two directed links, numbered ``2e`` and ``2e + 1``).
Lanes, speed and per-lane capacity come from ``spec.road_classes``; storage is
length × lanes × the class jam density (at least one vehicle, as in
:meth:`Network.from_links`). The only randomness is
``np.random.default_rng(spec.seed)``, so a spec always yields the same network.
The result is the largest strongly connected component (with a two-way network
only slivers the river or the disc edge cut off can fall outside it; how many
nodes were dropped is logged and returned by :func:`generate_network_report`).

Example:
    >>> from twincity.scenario.sections_network import StreetGeneratorSpec
    >>> net = generate_network(StreetGeneratorSpec(urban_area_km2=20, arterial_spacing_m=700))
    >>> bool(net.n_links == 2 * (net.n_links // 2)), net.n_nodes > 30
    (True, True)
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from twincity.city.network import Network
from twincity.scenario.sections_network import RiverSpec, StreetGeneratorSpec
from twincity.vocab import ARTERIAL, COLLECTOR, MOTORWAY, ROAD_CLASSES

log = logging.getLogger(__name__)


#: Ring/radial vertices closer than this share of their spacing to a junction
#: with another motorway are merged into it (avoids sliver links).
_MERGE_SHARE = 0.3


@dataclass(frozen=True)
class GeneratorReport:
    """What the generator did beyond the spec, for logs and scenario reports."""

    radius_m: float
    n_bridges: int
    n_links_dropped: int  #: two-way grid roads removed for irregularity
    n_nodes_cut_off: int  #: junctions outside the largest strongly connected component
    notes: tuple[str, ...] = ()


@dataclass
class _Roads:
    """Undirected roads under construction: node coordinates and edges (a, b, class)."""

    x_m: np.ndarray
    y_m: np.ndarray
    a: np.ndarray
    b: np.ndarray
    cls: np.ndarray
    grid: np.ndarray  # True for grid (arterial/collector) roads that may be dropped


def generate_network(spec: StreetGeneratorSpec) -> Network:
    """Build the synthetic road network described by ``spec``.

    Example:
        >>> from twincity.scenario.sections_network import StreetGeneratorSpec
        >>> a = generate_network(StreetGeneratorSpec(seed=3))
        >>> b = generate_network(StreetGeneratorSpec(seed=3))
        >>> bool((a.node_x_m == b.node_x_m).all())
        True
    """
    return generate_network_report(spec)[0]


def generate_network_report(spec: StreetGeneratorSpec) -> tuple[Network, GeneratorReport]:
    """:func:`generate_network` plus a :class:`GeneratorReport` of bridges, drops and cuts.

    Example:
        >>> from twincity.scenario.sections_network import StreetGeneratorSpec, RiverSpec
        >>> net, rep = generate_network_report(StreetGeneratorSpec(river=RiverSpec(bridges=2)))
        >>> rep.n_bridges
        2
    """
    rng = np.random.default_rng(spec.seed)
    radius_m = spec.radius_m
    notes: list[str] = []

    roads = _grid(spec, radius_m, rng)
    roads = _add_motorways(roads, spec, radius_m, rng)
    n_bridges = 0
    if spec.river is not None:
        roads, n_bridges, note = _cut_river(roads, spec.river, radius_m)
        if note:
            notes.append(note)
    roads, n_dropped = _drop_links(roads, spec.drop_share, rng)

    net = _to_network(roads, spec)
    keep = net.strongly_connected_mask()
    n_cut = int(net.n_nodes - keep.sum())
    if n_cut:
        net = net.subnetwork(keep)
        notes.append(f"{n_cut} junctions cut off from the main network were dropped")
    labels = net.component_labels()
    assert labels.size == 0 or labels.min() == labels.max(), "network not strongly connected"
    for note in notes:
        log.info("network generator: %s", note)
    return net, GeneratorReport(radius_m=radius_m, n_bridges=n_bridges,
                                n_links_dropped=n_dropped, n_nodes_cut_off=n_cut,
                                notes=tuple(notes))


# --------------------------------------------------------------------- grid
def _grid(spec: StreetGeneratorSpec, radius_m: float, rng: np.random.Generator) -> _Roads:
    """Arterial grid plus central collectors on one lattice of half the arterial spacing.

    Lattice point ``(i, j)`` sits at ``(i, j) × spacing / 2``. Arterial junctions
    are the even-even points in the disc; a central block (odd-odd centre within
    the collector disc, four corners in the disc) adds its centre and the
    midpoints of its four sides. Consecutive existing points along a row or
    column are joined: on even lines (arterials) always, on odd lines
    (collectors) only when adjacent.
    """
    spacing = spec.arterial_spacing_m
    half = spacing / 2
    n = int(radius_m // half) + 1  # the outermost frame lies outside the disc
    idx = np.arange(-n, n + 1)
    ii, jj = np.meshgrid(idx, idx)  # [j, i]
    r2 = (ii * half) ** 2 + (jj * half) ** 2
    disc = r2 <= radius_m**2
    even = (ii % 2 == 0) & (jj % 2 == 0)
    odd = (ii % 2 == 1) & (jj % 2 == 1)
    corners_in = disc.copy()
    for dj in (-1, 1):
        for di in (-1, 1):
            corners_in &= np.roll(disc, (-dj, -di), axis=(0, 1))  # frame is empty: no wrap-around
    collector_r = radius_m * math.sqrt(spec.collector_density)
    central = odd & corners_in & (r2 <= collector_r**2)
    exists = even & disc | central
    for shift in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        exists |= np.roll(central, shift, axis=(0, 1))

    gi, gj = ii[exists], jj[exists]  # row-major: sorted by j, then i
    ids = np.arange(len(gi))
    a_row, b_row, c_row = _line_links(ids, gj, gi)
    col = np.lexsort((gj, gi))
    a_col, b_col, c_col = _line_links(ids[col], gi[col], gj[col])

    # Jitter relative to the local spacing so junctions never swap places.
    r = np.sqrt(r2[exists])
    local = np.where((collector_r > 0) & (r <= collector_r + spacing), half, spacing)
    shake = rng.uniform(-1.0, 1.0, size=(len(gi), 2)) * (spec.jitter_share * local)[:, None]
    a = np.concatenate([a_row, a_col])
    return _Roads(x_m=gi * half + shake[:, 0], y_m=gj * half + shake[:, 1],
                  a=a, b=np.concatenate([b_row, b_col]), cls=np.concatenate([c_row, c_col]),
                  grid=np.ones(len(a), dtype=bool))


def _line_links(ids: np.ndarray, line: np.ndarray, pos: np.ndarray):
    """Join consecutive points on each line (points sorted by line, then position)."""
    same = line[:-1] == line[1:]
    gap = pos[1:] - pos[:-1]
    arterial = line[:-1] % 2 == 0
    keep = same & np.where(arterial, gap <= 2, gap == 1)
    cls = np.where(arterial, ARTERIAL, COLLECTOR).astype(np.int8)
    return ids[:-1][keep], ids[1:][keep], cls[keep]


# ---------------------------------------------------------------- motorways
def _add_motorways(roads: _Roads, spec: StreetGeneratorSpec, radius_m: float,
                   rng: np.random.Generator) -> _Roads:
    """Ring roads and radial expressways, sharing junctions, with grid interchanges."""
    rings = [share * radius_m for share in spec.ring_roads_share]
    if not rings and spec.radials == 0:
        return roads
    spacing = spec.arterial_spacing_m
    tree = cKDTree(np.column_stack([roads.x_m, roads.y_m]))
    n_grid = len(roads.x_m)
    used: set[int] = set()  # grid junctions already serving as an interchange
    new_x: list[float] = []
    new_y: list[float] = []

    def new_node(x: float, y: float) -> int:
        new_x.append(x)
        new_y.append(y)
        return n_grid + len(new_x) - 1

    ramps: list[tuple[int, int]] = []  # (motorway vertex, grid junction)

    def node_at(x: float, y: float, interchange: str) -> int:
        """A motorway vertex: ``"snap"`` onto the nearest free grid junction, ``"ramp"``
        a new vertex with a link road to its nearest grid junction (none if that is
        closer than a tenth of a block), ``""`` a plain vertex.
        """
        dist, g = tree.query([x, y]) if interchange else (np.inf, -1)
        g = int(g)
        if interchange == "snap" and g not in used:
            used.add(g)
            return g
        v = new_node(x, y)
        if g >= 0 and dist >= 0.1 * spacing:  # a shorter ramp would be a sliver link
            ramps.append((v, g))
        return v

    radial_angle = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(spec.radials) / max(
        spec.radials, 1)
    ring_phase = rng.uniform(0, 2 * np.pi, size=len(rings))
    r0 = max(spacing, 0.1 * radius_m)
    # junction[k][m]: node where radial m crosses ring k (only rings beyond the radials' start)
    junction = [[new_node(rho * math.cos(t), rho * math.sin(t))
                 if rho > r0 + _MERGE_SHARE * spacing else -1
                 for t in radial_angle] for rho in rings]

    polylines: list[tuple[list[int], bool]] = []  # (nodes, closed)
    for k, rho in enumerate(rings):
        n_v = max(8, math.ceil(2 * math.pi * rho / spacing))
        step = 2 * math.pi / n_v
        phi = ring_phase[k] + step * np.arange(n_v)
        ring_radials = [m for m in range(spec.radials) if junction[k][m] >= 0]
        if ring_radials:
            gap = np.abs((phi[:, None] - radial_angle[None, ring_radials] + np.pi)
                         % (2 * np.pi) - np.pi)
            far = gap.min(axis=1) > _MERGE_SHARE * step
        else:
            far = np.ones(n_v, dtype=bool)
        every = max(1, round(spec.interchange_spacing_m / (rho * step)))
        vertices = [(float(phi[i]) % (2 * np.pi), "ramp" if i % every == 0 else "", -1)
                    for i in range(n_v) if far[i]]
        vertices += [(float(radial_angle[m]) % (2 * np.pi), "", junction[k][m])
                     for m in ring_radials]
        vertices.sort()
        nodes = [j if j >= 0 else node_at(rho * math.cos(t), rho * math.sin(t), ic)
                 for t, ic, j in vertices]
        polylines.append((nodes, True))

    for m, theta in enumerate(radial_angle):
        c, s = math.cos(theta), math.sin(theta)
        crossing = [(rho, junction[k][m]) for k, rho in enumerate(rings) if junction[k][m] >= 0]
        # End on the outermost grid junction in this direction (the grid stops short
        # of R), or on the outermost ring if that lies about as far out.
        g_end = int(tree.query([radius_m * c, radius_m * s])[1])
        r_end = float(roads.x_m[g_end] * c + roads.y_m[g_end] * s)
        ends_on_ring = bool(crossing) and crossing[-1][0] > r_end - _MERGE_SHARE * spacing
        if ends_on_ring:
            r_end = crossing[-1][0]
        if r_end - r0 < 0.5 * spacing:
            continue  # a city too small for this spoke; its ring junctions stay ring vertices
        n_seg = max(1, math.ceil((r_end - r0) / spacing))
        seg = (r_end - r0) / n_seg
        every = max(1, round(spec.interchange_spacing_m / seg))
        vertices = [(r0 + seg * i, "snap" if i == 0 else "ramp" if i % every == 0 else "", -1)
                    for i in range(n_seg)
                    if i == 0 or all(abs(r0 + seg * i - rho) > _MERGE_SHARE * seg
                                     for rho, _ in crossing)]
        if not ends_on_ring:
            vertices.append((r_end, "snap", -1))
        vertices += [(rho, "", j) for rho, j in crossing]
        vertices.sort()
        nodes = [j if j >= 0 else node_at(r * c, r * s, ic) for r, ic, j in vertices]
        if ends_on_ring:
            j = crossing[-1][1]
            dist, g = tree.query([new_x[j - n_grid], new_y[j - n_grid]])
            if dist >= 0.1 * spacing:
                ramps.append((j, int(g)))
        polylines.append((nodes, False))

    a_new, b_new = [], []
    for nodes, closed in polylines:
        seq = np.asarray(nodes + nodes[:1] if closed else nodes)
        a_new.append(seq[:-1])
        b_new.append(seq[1:])
    a_m = np.concatenate(a_new)
    b_m = np.concatenate(b_new)
    ramp = np.array(ramps, dtype=np.int64).reshape(-1, 2)
    cls_m = np.concatenate([np.full(len(a_m), MOTORWAY, dtype=np.int8),
                            np.full(len(ramp), ARTERIAL, dtype=np.int8)])
    a_m = np.concatenate([a_m, ramp[:, 0]])
    b_m = np.concatenate([b_m, ramp[:, 1]])
    return _Roads(
        x_m=np.concatenate([roads.x_m, new_x]), y_m=np.concatenate([roads.y_m, new_y]),
        a=np.concatenate([roads.a, a_m]), b=np.concatenate([roads.b, b_m]),
        cls=np.concatenate([roads.cls, cls_m]),
        grid=np.concatenate([roads.grid, np.zeros(len(a_m), dtype=bool)]))


# -------------------------------------------------------------------- river
def river_signed_distance_m(x_m: np.ndarray, y_m: np.ndarray, river: RiverSpec,
                            radius_m: float) -> np.ndarray:
    """Signed distance of points from the river's centre line (positive to its left).

    Example:
        >>> from twincity.scenario.sections_network import RiverSpec
        >>> river = RiverSpec(angle_deg=0, offset_share=0.1)  # the line y = 100 m
        >>> river_signed_distance_m(np.array([0.0]), np.array([50.0]), river, 1000.0)
        array([-50.])
    """
    angle = math.radians(river.angle_deg)
    return -x_m * math.sin(angle) + y_m * math.cos(angle) - river.offset_share * radius_m


def _cut_river(roads: _Roads, river: RiverSpec, radius_m: float) -> tuple[_Roads, int, str]:
    """Remove junctions in the river band and all crossings but the bridges."""
    d = river_signed_distance_m(roads.x_m, roads.y_m, river, radius_m)
    dry = np.abs(d) >= river.width_m / 2
    on_land = dry[roads.a] & dry[roads.b]
    crosses = on_land & (np.sign(d[roads.a]) != np.sign(d[roads.b]))

    angle = math.radians(river.angle_deg)
    ux, uy = math.cos(angle), math.sin(angle)
    # Targets spread over the central half of the river's chord through the disc.
    half_chord = radius_m * math.sqrt(1 - river.offset_share**2)
    k = np.arange(river.bridges)
    targets = 0.5 * half_chord * (2 * k + 1 - river.bridges) / river.bridges
    targets = targets[np.argsort(np.abs(targets), kind="stable")]

    cand = np.flatnonzero(crosses)
    major = cand[roads.cls[cand] != COLLECTOR]
    if len(major) >= river.bridges:
        cand = major
    da, db = d[roads.a[cand]], d[roads.b[cand]]
    lam = da / (da - db)
    px = roads.x_m[roads.a[cand]] + lam * (roads.x_m[roads.b[cand]] - roads.x_m[roads.a[cand]])
    py = roads.y_m[roads.a[cand]] + lam * (roads.y_m[roads.b[cand]] - roads.y_m[roads.a[cand]])
    along = px * ux + py * uy
    chosen: list[int] = []
    free = np.ones(len(cand), dtype=bool)
    for t in targets[: len(cand)]:
        best = int(np.argmin(np.where(free, np.abs(along - t), np.inf)))
        free[best] = False
        chosen.append(int(cand[best]))

    keep = on_land & ~crosses
    keep[chosen] = True
    a, b, cls = roads.a[keep], roads.b[keep], roads.cls[keep]
    grid = roads.grid[keep].copy()
    grid[np.isin(np.flatnonzero(keep), chosen)] = False  # bridges are never dropped
    note = ""
    n_bridges = len(chosen)
    if n_bridges < river.bridges and (dry & (d > 0)).any() and (dry & (d < 0)).any():
        # Too few links cross (a wide river): build the missing bridges between the
        # dry junctions nearest to each remaining target on the two banks.
        extra = targets[len(chosen):]
        n_bridges += len(extra)
        cx = -math.sin(angle) * river.offset_share * radius_m
        cy = math.cos(angle) * river.offset_share * radius_m
        tx, ty = cx + extra * ux, cy + extra * uy
        dist = np.hypot(roads.x_m[None, :] - tx[:, None], roads.y_m[None, :] - ty[:, None])
        left = np.argmin(np.where(dry & (d > 0), dist, np.inf), axis=1)
        right = np.argmin(np.where(dry & (d < 0), dist, np.inf), axis=1)
        a = np.concatenate([a, left])
        b = np.concatenate([b, right])
        cls = np.concatenate([cls, np.full(len(extra), ARTERIAL, dtype=np.int8)])
        grid = np.concatenate([grid, np.zeros(len(extra), dtype=bool)])
        note = (f"only {len(chosen)} roads crossed the river; built {len(extra)} bridges "
                f"between the nearest junctions on its banks")

    # Renumber without the junctions in the river band.
    new_index = np.cumsum(dry) - 1
    out = _Roads(x_m=roads.x_m[dry], y_m=roads.y_m[dry], a=new_index[a], b=new_index[b],
                 cls=cls, grid=grid)
    return out, n_bridges, note


# ---------------------------------------------------------------- dropping
def _drop_links(roads: _Roads, drop_share: float,
                rng: np.random.Generator) -> tuple[_Roads, int]:
    """Remove ``drop_share`` of the grid roads, putting back any that would split the network.

    Roads are two-way, so strong connectivity equals connectivity of the
    undirected graph. Putting back every dropped road that joins two components
    of the thinned graph restores exactly the original components.
    """
    cand = np.flatnonzero(roads.grid)
    n_drop = round(drop_share * len(cand))
    if n_drop == 0:
        return roads, 0
    dropped = rng.choice(cand, size=n_drop, replace=False)
    keep = np.ones(len(roads.a), dtype=bool)
    keep[dropped] = False
    n = len(roads.x_m)
    adj = coo_matrix((np.ones(int(keep.sum())), (roads.a[keep], roads.b[keep])), shape=(n, n))
    _, label = connected_components(adj, directed=False)
    restore = dropped[label[roads.a[dropped]] != label[roads.b[dropped]]]
    keep[restore] = True
    out = _Roads(x_m=roads.x_m, y_m=roads.y_m, a=roads.a[keep], b=roads.b[keep],
                 cls=roads.cls[keep], grid=roads.grid[keep])
    return out, n_drop - len(restore)


# -------------------------------------------------------------- attributes
def _to_network(roads: _Roads, spec: StreetGeneratorSpec) -> Network:
    """Two directed links per road with the class attributes of ``spec.road_classes``."""
    n_cls = len(ROAD_CLASSES)
    lanes_c = np.ones(n_cls, dtype=np.int16)
    speed_c = np.ones(n_cls)
    cap_c = np.ones(n_cls)
    jam_c = np.ones(n_cls)
    for name, rc in spec.road_classes.items():
        i = ROAD_CLASSES.index(name)
        lanes_c[i], speed_c[i] = rc.lanes, rc.speed_mps
        cap_c[i], jam_c[i] = rc.capacity_vph_per_lane, rc.jam_density_vpkm_per_lane
    link_from = np.column_stack([roads.a, roads.b]).ravel()
    link_to = np.column_stack([roads.b, roads.a]).ravel()
    cls = np.repeat(roads.cls, 2)
    length_m = np.hypot(roads.x_m[link_to] - roads.x_m[link_from],
                        roads.y_m[link_to] - roads.y_m[link_from])
    lanes = lanes_c[cls]
    # Same rule as Network.from_links, but with each class's own jam density.
    storage = np.maximum(1.0, length_m / 1000.0 * lanes * jam_c[cls])
    return Network.from_links(
        node_x_m=roads.x_m, node_y_m=roads.y_m, link_from=link_from, link_to=link_to,
        length_m=length_m, lanes=lanes, speed_mps=speed_c[cls],
        capacity_vph=lanes * cap_c[cls], road_class=cls, storage_veh=storage)
