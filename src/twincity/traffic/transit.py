"""Public transport supply and its zone-to-zone level of service.

The supply (from :class:`~twincity.scenario.sections_city.TransitSpec`):

* **Trunk lines.** A corridor line runs straight through the city centre at
  ``corridor_angle_deg`` from one end of the road network to the other (the
  extent of the nodes projected on its direction); a ring line circles the
  centre at ``ring_share`` of the city radius. Stops are evenly spaced, about
  ``stop_spacing_m`` apart. Metro and rail always run on their own right of
  way; bus, BRT and tram lines do too when ``dedicated_lanes`` is set,
  otherwise each segment runs at ``min(line speed, 0.85 × congested car
  speed)`` of the road link nearest to the segment's midpoint.
* **Feeder bus.** An area-wide bus network running on every road link at
  ``min(feeder_speed_mps, 0.85 × congested car speed of the link)``, every
  road node a stop. Congestion and capacity changes therefore reach bus
  times through ``link_time_s``.

The level of service is computed on a transit graph built as a twincity
:class:`~twincity.city.network.Network` and routed with
:func:`~twincity.traffic.routing.shortest_path_trees` on generalised time:

* nodes: an origin and a destination node per zone; per stop an *access*
  side (before boarding), two on-board nodes (*departing* the stop and
  *arriving* at it: boarding leads to the departing node, alighting leaves
  from the arriving one, so a path cannot board and alight at the same stop
  without riding) and an *egress* side (after alighting);
* links: walk access zone → stop and egress stop → zone (at walking speed,
  straight line × :data:`WALK_DETOUR`; the feeder's access and egress walks
  add ``stop_spacing_m / 4``, the mean walk along a street to the nearest of
  stops ``stop_spacing_m`` apart); boarding (the wait, headway / 2 — random
  arrivals at a regular service); in-vehicle; alighting (free); transfers
  (egress side → access side of the same stop, or a walk to a stop within
  :data:`TRANSFER_RADIUS_M`) carrying ``transfer_penalty_s``.

Access walks connect each zone to every road node of the zone (feeder) and
to the trunk stops within :data:`ACCESS_RADIUS_M` of its centre plus the
nearest stop of each line. Time components are unweighted (one second of
walking or waiting costs as much as one in the vehicle); the transfer penalty
is the only extra.

Fare: ``TransitSpec.fare`` is a flat fare **per trip** (transfers included),
charged on every trip that boards at least once.

Example:
    >>> from twincity.scenario.loader import load_scenario      # doctest: +SKIP
    >>> from twincity.city.build import build_city              # doctest: +SKIP
    >>> city = build_city(load_scenario("tests/data/tiny.yaml"))  # doctest: +SKIP
    >>> sk = transit_skims(city)                                # doctest: +SKIP
    >>> sk.total_time_s.shape                                   # doctest: +SKIP
    (8, 8)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twincity.city.geo import LocalProjection
from twincity.city.network import Network, nearest_index
from twincity.errors import InputError
from twincity.scenario.sections_city import TransitLineSpec, TransitSpec
from twincity.traffic.demand import zone_node_lists
from twincity.traffic.skims import tree_skims

#: Walking route length over straight-line distance (a common urban estimate).
WALK_DETOUR = 1.3
#: Buses in mixed traffic run at most at this share of the car speed (stops, merging).
BUS_CAR_SPEED_RATIO = 0.85
#: Trunk stops within this straight-line distance of a zone centre get an access walk.
ACCESS_RADIUS_M = 1000.0
#: Stops of different lines (or a trunk stop and a road node) this close allow a walk transfer.
TRANSFER_RADIUS_M = 300.0

# Link kinds of the transit graph.
ACCESS, EGRESS, BOARD, RIDE, ALIGHT, TRANSFER, STAY = range(7)
_SEGREGATED_KINDS = ("metro", "rail", "ferry")


@dataclass(frozen=True, eq=False)
class TransitLine:
    """One trunk line's geometry: stop coordinates in order and whether it is a ring."""

    spec: TransitLineSpec
    stop_x_m: np.ndarray
    stop_y_m: np.ndarray
    ring: bool
    one_way: bool = False

    @property
    def n_stops(self) -> int:
        """Number of stops."""
        return len(self.stop_x_m)


def line_geometry(spec: TransitLineSpec, net: Network, centre_xy_m: tuple[float, float],
                  radius_m: float, stop_spacing_m: float,
                  projection: LocalProjection | None = None) -> TransitLine:
    """Stops of a trunk line: its listed stops, a corridor through the centre, or a ring.

    Listed stops (``stops_lonlat``, e.g. from GTFS) are projected with ``projection``
    (the city's); the line is then one-way (``TransitLine.one_way``).

    >>> from types import SimpleNamespace as NS
    >>> net = NS(node_x_m=np.array([-1000.0, 1000.0]), node_y_m=np.zeros(2))
    >>> spec = TransitLineSpec(name="M", kind="metro", headway_s=300, speed_mps=10)
    >>> line_geometry(spec, net, (0.0, 0.0), 1000.0, 500.0).stop_x_m.tolist()
    [-1000.0, -500.0, 0.0, 500.0, 1000.0]
    """
    if spec.stops_lonlat is not None:
        if projection is None:
            raise InputError(f"line {spec.name!r} lists stops in lon/lat but the network is "
                             "not placed on the map; expected network.origin_lon_deg/"
                             "origin_lat_deg or an OSM network", path="transit.lines")
        lonlat = np.asarray(spec.stops_lonlat, dtype=np.float64)
        x, y = projection.forward(lonlat[:, 0], lonlat[:, 1])
        return TransitLine(spec, x, y, ring=False, one_way=True)
    cx, cy = centre_xy_m
    if spec.ring_share is not None:
        r = max(spec.ring_share * radius_m, 1.0)
        n = max(3, round(2.0 * np.pi * r / stop_spacing_m))
        ang = np.arange(n) * (2.0 * np.pi / n)
        return TransitLine(spec, cx + r * np.cos(ang), cy + r * np.sin(ang), ring=True)
    th = np.deg2rad(spec.corridor_angle_deg)
    ux, uy = np.cos(th), np.sin(th)
    proj = (np.asarray(net.node_x_m) - cx) * ux + (np.asarray(net.node_y_m) - cy) * uy
    lo, hi = float(proj.min()), float(proj.max())
    n = max(2, round((hi - lo) / stop_spacing_m) + 1)
    s = np.linspace(lo, hi, n)
    return TransitLine(spec, cx + s * ux, cy + s * uy, ring=False)


@dataclass(frozen=True, eq=False)
class TransitGraph:
    """The transit graph: a :class:`Network` plus per-link components of generalised time.

    ``walk_s``, ``wait_s``, ``in_vehicle_s``, ``transfer_s`` and ``boardings``
    are per link; ``cost_s`` their sum (boardings excluded). ``origin_node``
    and ``dest_node`` are the graph nodes of each zone; ``kind`` the link kind
    (``ACCESS`` … ``TRANSFER``); ``lines`` the trunk lines' geometry.
    """

    network: Network
    kind: np.ndarray
    walk_s: np.ndarray
    wait_s: np.ndarray
    in_vehicle_s: np.ndarray
    transfer_s: np.ndarray
    boardings: np.ndarray
    origin_node: np.ndarray
    dest_node: np.ndarray
    lines: tuple[TransitLine, ...]

    @property
    def cost_s(self) -> np.ndarray:
        """Generalised time of each link: walk + wait + in-vehicle + transfer (s)."""
        return self.walk_s + self.wait_s + self.in_vehicle_s + self.transfer_s


class _Links:
    """Accumulates link blocks of the transit graph (vectorised per block)."""

    def __init__(self) -> None:
        self.blocks: list[tuple] = []

    def add(self, kind: int, frm, to, length_m, *, walk=0.0, wait=0.0, ride=0.0,
            transfer=0.0, board=0.0) -> None:
        frm = np.atleast_1d(np.asarray(frm, dtype=np.int64))
        n = len(frm)
        b = lambda v: np.broadcast_to(np.asarray(v, dtype=np.float64), (n,))  # noqa: E731
        self.blocks.append((np.full(n, kind, np.int8), frm,
                            np.broadcast_to(np.asarray(to, np.int64), (n,)), b(length_m),
                            b(walk), b(wait), b(ride), b(transfer), b(board)))

    def arrays(self) -> list[np.ndarray]:
        return [np.concatenate(col) for col in zip(*self.blocks, strict=True)]


def _road_speed_mps(net: Network, link_time_s: np.ndarray | None) -> np.ndarray:
    if link_time_s is None:
        return net.length_m / np.maximum(net.free_flow_s, 1e-9)
    t = np.asarray(link_time_s, dtype=np.float64)
    if t.shape != (net.n_links,) or not np.all(t > 0):
        raise InputError(f"expected a positive time per road link ({net.n_links})",
                         path="link_time_s")
    return net.length_m / t


def build_transit_graph(city, *, transit: TransitSpec | None = None,
                        link_time_s: np.ndarray | None = None,
                        transfer_penalty_s: float = 300.0,
                        walk_speed_mps: float | None = None) -> TransitGraph:
    """The transit graph of ``city`` (see the module docstring).

    ``transit`` overrides the scenario's supply (policies pass a modified
    copy: ``spec.model_copy(update={"fare": ...})``); ``link_time_s`` is the
    current congested car time per road link (default free flow);
    ``walk_speed_mps`` defaults to the scenario's ``demand.walk_speed_mps``.

    Example:
        >>> g = build_transit_graph(city, transfer_penalty_s=300.0)  # doctest: +SKIP
    """
    spec = city.spec
    ts = spec.transit if transit is None else transit
    walk = spec.demand.walk_speed_mps if walk_speed_mps is None else float(walk_speed_mps)
    if transfer_penalty_s < 0:
        raise InputError(f"expected a non-negative penalty, got {transfer_penalty_s}",
                         path="transfer_penalty_s")
    net, zones = city.network, city.zones
    nz, nr = zones.n, net.n_nodes
    car_speed = _road_speed_mps(net, link_time_s)

    # Node numbering: zone origins, zone destinations, then (access, departing,
    # arriving, egress) for every road node (feeder), then for every trunk stop.
    o_node = np.arange(nz)
    d_node = nz + np.arange(nz)
    f_acc = 2 * nz + np.arange(nr)
    f_dep, f_arr, f_egr = f_acc + nr, f_acc + 2 * nr, f_acc + 3 * nr
    xs = [zones.x_m, zones.x_m] + [net.node_x_m] * 4
    ys = [zones.y_m, zones.y_m] + [net.node_y_m] * 4
    nxt = 2 * nz + 4 * nr

    links = _Links()
    if ts.feeder:
        # Feeder: access/egress walks to every road node of the zone.
        start, nodes = zone_node_lists(zones.node_zone, zones.node)
        zone_of = np.repeat(np.arange(nz), np.diff(start))
        walk_m = (np.hypot(zones.x_m[zone_of] - net.node_x_m[nodes],
                           zones.y_m[zone_of] - net.node_y_m[nodes]) * WALK_DETOUR
                  + ts.stop_spacing_m / 4.0)
        links.add(ACCESS, o_node[zone_of], f_acc[nodes], walk_m, walk=walk_m / walk)
        links.add(EGRESS, f_egr[nodes], d_node[zone_of], walk_m, walk=walk_m / walk)
        links.add(BOARD, f_acc, f_dep, 1.0, wait=ts.feeder_headway_s / 2.0, board=1.0)
        links.add(STAY, f_arr, f_dep, 1.0)
        links.add(ALIGHT, f_arr, f_egr, 1.0)
        links.add(TRANSFER, f_egr, f_acc, 1.0, transfer=transfer_penalty_s)
        bus_speed = np.minimum(ts.feeder_speed_mps, BUS_CAR_SPEED_RATIO * car_speed)
        links.add(RIDE, f_dep[net.link_from], f_arr[net.link_to], net.length_m,
              ride=net.length_m / bus_speed)
    elif not ts.lines:
        raise InputError("transit.feeder is false and transit.lines is empty; expected some "
                         "transit supply", path="transit")

    # Trunk lines.
    projection = getattr(city, "projection", None)
    lines = tuple(line_geometry(ln, net, city.centre_xy_m, city.radius_m, ts.stop_spacing_m,
                                projection) for ln in ts.lines)
    from scipy.spatial import cKDTree

    road_tree = cKDTree(np.column_stack([net.node_x_m, net.node_y_m]))
    mid_x = 0.5 * (net.node_x_m[net.link_from] + net.node_x_m[net.link_to])
    mid_y = 0.5 * (net.node_y_m[net.link_from] + net.node_y_m[net.link_to])
    stop_acc, stop_egr, stop_x, stop_y, stop_line = [], [], [], [], []
    for li, line in enumerate(lines):  # a handful of lines: vectorised within each
        ln, n = line.spec, line.n_stops
        acc = nxt + np.arange(n)
        dep, arr, egr = acc + n, acc + 2 * n, acc + 3 * n
        nxt += 4 * n
        xs += [line.stop_x_m] * 4
        ys += [line.stop_y_m] * 4
        a = np.arange(n) if line.ring else np.arange(n - 1)
        b = (a + 1) % n
        seg_m = np.maximum(np.hypot(line.stop_x_m[b] - line.stop_x_m[a],
                                    line.stop_y_m[b] - line.stop_y_m[a]), 1.0)
        if ln.segment_s is not None:  # scheduled times (GTFS): they include the traffic
            ride_s = np.maximum(np.asarray(ln.segment_s, dtype=np.float64), 1.0)
        else:
            speed = np.full(len(a), ln.speed_mps)
            if not (ln.dedicated_lanes or ln.kind in _SEGREGATED_KINDS):
                near = nearest_index(0.5 * (line.stop_x_m[a] + line.stop_x_m[b]),
                                     0.5 * (line.stop_y_m[a] + line.stop_y_m[b]), mid_x, mid_y)
                speed = np.minimum(speed, BUS_CAR_SPEED_RATIO * car_speed[near])
            ride_s = seg_m / speed
        directions = ((dep[a], arr[b]),) if line.one_way else ((dep[a], arr[b]), (dep[b], arr[a]))
        for frm, to in directions:
            links.add(RIDE, frm, to, seg_m, ride=ride_s)
        links.add(BOARD, acc, dep, 1.0, wait=ln.headway_s / 2.0, board=1.0)
        links.add(STAY, arr, dep, 1.0)
        links.add(ALIGHT, arr, egr, 1.0)
        links.add(TRANSFER, egr, acc, 1.0, transfer=transfer_penalty_s)
        # Access from zones: stops within the radius plus the line's nearest stop.
        dz = np.hypot(zones.x_m[:, None] - line.stop_x_m[None, :],
                      zones.y_m[:, None] - line.stop_y_m[None, :])
        near_mask = dz <= ACCESS_RADIUS_M
        near_mask[np.arange(nz), np.argmin(dz, axis=1)] = True
        zi, si = np.nonzero(near_mask)
        wm = dz[zi, si] * WALK_DETOUR
        links.add(ACCESS, o_node[zi], acc[si], wm, walk=wm / walk)
        links.add(EGRESS, egr[si], d_node[zi], wm, walk=wm / walk)
        # Walk transfers between this line and the feeder at nearby road nodes.
        # (k-d tree: a road network can have far more nodes than a line has stops)
        stops_xy = np.column_stack([line.stop_x_m, line.stop_y_m])
        within = road_tree.query_ball_point(stops_xy, TRANSFER_RADIUS_M)
        nearest_r = road_tree.query(stops_xy)[1]
        si = np.concatenate([np.repeat(np.arange(n), [len(w) for w in within]),
                             np.arange(n)]).astype(np.int64)
        ri = np.concatenate([np.concatenate([np.asarray(w, np.int64) for w in within]),
                             nearest_r]).astype(np.int64)
        si, ri = np.unique(np.column_stack([si, ri]), axis=0).T
        dr = np.hypot(line.stop_x_m[si] - net.node_x_m[ri], line.stop_y_m[si] - net.node_y_m[ri])
        wm = dr * WALK_DETOUR
        links.add(TRANSFER, egr[si], f_acc[ri], wm, walk=wm / walk, transfer=transfer_penalty_s)
        links.add(TRANSFER, f_egr[ri], acc[si], wm, walk=wm / walk, transfer=transfer_penalty_s)
        stop_acc.append(acc)
        stop_egr.append(egr)
        stop_x.append(line.stop_x_m)
        stop_y.append(line.stop_y_m)
        stop_line.append(np.full(n, li))
    if len(lines) > 1:  # walk transfers between stops of different lines
        sx, sy = np.concatenate(stop_x), np.concatenate(stop_y)
        sl = np.concatenate(stop_line)
        sa, se = np.concatenate(stop_acc), np.concatenate(stop_egr)
        pairs = cKDTree(np.column_stack([sx, sy])).query_pairs(TRANSFER_RADIUS_M,
                                                               output_type="ndarray")
        pairs = pairs[sl[pairs[:, 0]] != sl[pairs[:, 1]]]
        for i, j in ((0, 1), (1, 0)):
            p, q = pairs[:, i], pairs[:, j]
            wm = np.hypot(sx[p] - sx[q], sy[p] - sy[q]) * WALK_DETOUR
            links.add(TRANSFER, se[p], sa[q], np.maximum(wm, 1.0), walk=wm / walk,
                  transfer=transfer_penalty_s)

    kind, frm, to, length, walk_s, wait_s, ride_s, transfer_s, board = links.arrays()
    cost = walk_s + wait_s + ride_s + transfer_s
    n_links = len(kind)
    g = Network.from_links(
        node_x_m=np.concatenate(xs), node_y_m=np.concatenate(ys), link_from=frm, link_to=to,
        length_m=np.maximum(length, 1e-3), lanes=np.ones(n_links, np.int16),
        speed_mps=np.maximum(length, 1e-3) / np.maximum(cost, 1e-3),
        capacity_vph=np.full(n_links, 1e9), free_flow_s=cost)
    return TransitGraph(network=g, kind=kind, walk_s=walk_s, wait_s=wait_s,
                        in_vehicle_s=ride_s, transfer_s=transfer_s, boardings=board,
                        origin_node=o_node.astype(np.int32), dest_node=d_node.astype(np.int32),
                        lines=lines)


@dataclass(frozen=True, eq=False)
class TransitSkims:
    """Transit level of service between zones (``zones × zones``, origin rows).

    ``access_s`` all walking (access, egress, walks between stops), ``wait_s``
    initial and transfer waits, ``in_vehicle_s`` riding, ``transfer_s`` the
    transfer penalties, ``boardings`` vehicles boarded, ``fare`` money paid,
    ``total_time_s`` the generalised time the routes minimise
    (access + wait + in-vehicle + transfer penalties). Unreachable pairs are ``inf``.
    """

    access_s: np.ndarray
    wait_s: np.ndarray
    in_vehicle_s: np.ndarray
    transfer_s: np.ndarray
    boardings: np.ndarray
    fare: np.ndarray
    total_time_s: np.ndarray


def transit_skims(city, *, transit: TransitSpec | None = None,
                  link_time_s: np.ndarray | None = None, transfer_penalty_s: float = 300.0,
                  walk_speed_mps: float | None = None,
                  graph: TransitGraph | None = None) -> TransitSkims:
    """Zone-to-zone transit level of service on the current supply and road times.

    Arguments as :func:`build_transit_graph` (or pass a prebuilt ``graph``).
    Intrazonal cells are routed like any other (walk to a stop of the zone,
    ride, walk back), not filled by convention.

    Example:
        >>> sk = transit_skims(city, link_time_s=congested_s)  # doctest: +SKIP
        >>> float(sk.wait_s[0, 1]) >= city.spec.transit.feeder_headway_s / 2  # doctest: +SKIP
        True
    """
    ts = city.spec.transit if transit is None else transit
    if graph is None:
        graph = build_transit_graph(city, transit=ts, link_time_s=link_time_s,
                                    transfer_penalty_s=transfer_penalty_s,
                                    walk_speed_mps=walk_speed_mps)
    attrs = np.stack([graph.walk_s, graph.wait_s, graph.in_vehicle_s, graph.transfer_s,
                      graph.boardings])
    cost = graph.cost_s
    sk = tree_skims(graph.network, cost, np.vstack([attrs, cost]), graph.origin_node,
                    graph.dest_node)
    walk_s, wait_s, ivt_s, tr_s, boardings, total = (np.ascontiguousarray(m) for m in sk)
    fare = np.where(boardings >= 1, ts.fare, 0.0)
    fare[~np.isfinite(total)] = np.inf
    return TransitSkims(access_s=walk_s, wait_s=wait_s, in_vehicle_s=ivt_s, transfer_s=tr_s,
                        boardings=boardings, fare=fare, total_time_s=total)
