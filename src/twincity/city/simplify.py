"""Simplify an imported road network for a queue model, and say what was dropped.

Raw OpenStreetMap graphs have many nodes of degree two (a way split where a
second way continues it, or a bridge tagged separately), stubs of dead-end
streets and very short links between close junctions. In a queue model
every link is a queue with its own storage: chains of short links gridlock
spuriously and cost kernel time. :func:`simplify_network` does, in order:

1. keeps the **largest strongly connected component** (every kept node
   reaches every other by car);
2. drops **dead ends** shorter than ``min_dead_end_m``: spurs from a leaf
   node back to the first junction with three or more neighbours (repeated
   until none is left). A spur lies on no shortest path between other nodes,
   so distances between kept nodes are unchanged;
3. contracts **slivers**: two-way pairs of links shorter than
   ``min_link_m`` merge their end nodes (the links into and out of the
   removed node are reattached to the kept one; their lengths are kept, so a
   path through the sliver becomes shorter by at most ``min_link_m``);
4. merges **degree-2 chains**: a node whose only links continue one road
   (one in, one out; or two each way between the same two neighbours) is
   removed when both halves share lanes, capacity and class; the merged link
   keeps the summed length, the summed free-flow time (speed = length / time)
   and the concatenated polyline. Distances and free-flow times between kept
   nodes are unchanged.

``SimplifyReport`` holds the counts and lengths of each step.

Example:
    >>> import numpy as np
    >>> from twincity.city.network import Network
    >>> net = Network.from_links(node_x_m=np.array([0.0, 100.0, 200.0]),
    ...     node_y_m=np.zeros(3), link_from=np.array([0, 1, 1, 2]),
    ...     link_to=np.array([1, 2, 0, 1]), length_m=np.full(4, 100.0),
    ...     lanes=np.ones(4), speed_mps=np.full(4, 10.0), capacity_vph=np.full(4, 600.0))
    >>> out, shapes, report = simplify_network(net, min_dead_end_m=0.0)
    >>> out.n_links, out.length_m.tolist(), report.merged_nodes
    (2, [200.0, 200.0], 1)
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass

import numpy as np

from twincity.city.network import Network
from twincity.city.osm_ways import join_ways


@dataclass(frozen=True)
class Shapes:
    """Link polylines as CSR: link ``k`` has points ``start[k]:start[k + 1]`` of ``x``, ``y``.

    Coordinates are whatever the caller uses (lon/lat degrees for an import).
    ``osm_ways`` names the OpenStreetMap ways each link follows where the source
    had them (format of :mod:`twincity.city.osm_ways`), else ``None``.
    """

    start: np.ndarray
    x: np.ndarray
    y: np.ndarray
    osm_ways: tuple[str, ...] | None = None

    @classmethod
    def straight(cls, x_from, y_from, x_to, y_to) -> Shapes:
        """Two-point polylines from each link's end coordinates."""
        n = len(x_from)
        return cls(np.arange(0, 2 * n + 1, 2), np.column_stack([x_from, x_to]).ravel(),
                   np.column_stack([y_from, y_to]).ravel())

    def wkt(self) -> tuple[str, ...]:
        """Every polyline as a WKT ``LINESTRING`` (x y = lon lat for an import), 7 decimals.

        >>> Shapes.straight([0.0], [1.0], [2.0], [3.0]).wkt()
        ('LINESTRING (0.0000000 1.0000000, 2.0000000 3.0000000)',)
        """
        pts = [f"{a:.7f} {b:.7f}" for a, b in zip(self.x.tolist(), self.y.tolist(),
                                                   strict=True)]
        return tuple("LINESTRING (" + ", ".join(pts[a:b]) + ")"
                     for a, b in zip(self.start[:-1].tolist(), self.start[1:].tolist(),
                                     strict=True))

    def link(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The x and y vertices of link ``k``'s polyline."""
        s, e = self.start[k], self.start[k + 1]
        return self.x[s:e], self.y[s:e]

    def take(self, links) -> Shapes:
        """Shapes of the listed links, in that order."""
        links = np.asarray(links, dtype=np.int64)
        n = self.start[links + 1] - self.start[links]
        start = np.zeros(len(links) + 1, dtype=np.int64)
        np.cumsum(n, out=start[1:])
        idx = np.repeat(self.start[links], n) + np.arange(start[-1]) - np.repeat(start[:-1], n)
        ways = (None if self.osm_ways is None
                else tuple(self.osm_ways[k] for k in links.tolist()))
        return Shapes(start, self.x[idx], self.y[idx], ways)


@dataclass(frozen=True)
class SimplifyReport:
    """What :func:`simplify_network` removed, by step (lengths in km of directed links)."""

    nodes_in: int
    links_in: int
    km_in: float
    scc_nodes_dropped: int
    scc_links_dropped: int
    scc_km_dropped: float
    dead_end_links_dropped: int
    dead_end_km_dropped: float
    sliver_links_contracted: int
    merged_nodes: int
    nodes_out: int
    links_out: int
    km_out: float

    def lines(self) -> list[str]:
        """The report as sentences for people."""
        return [
            f"road network in: {self.nodes_in} nodes, {self.links_in} links, "
            f"{self.km_in:.1f} km (directed)",
            f"not in the largest strongly connected component (cannot reach or be reached "
            f"by car): {self.scc_nodes_dropped} nodes, {self.scc_links_dropped} links, "
            f"{self.scc_km_dropped:.2f} km dropped",
            f"dead-end spurs shorter than the threshold: {self.dead_end_links_dropped} links, "
            f"{self.dead_end_km_dropped:.2f} km dropped",
            f"slivers (two-way links shorter than the threshold) contracted: "
            f"{self.sliver_links_contracted} links",
            f"degree-2 nodes merged into their road: {self.merged_nodes}",
            f"road network out: {self.nodes_out} nodes, {self.links_out} links, "
            f"{self.km_out:.1f} km (directed)",
        ]

    def record(self) -> dict:
        """The report as a plain dict (JSON-ready)."""
        return asdict(self)


_ATTRS = ("length_m", "lanes", "speed_mps", "capacity_vph", "road_class", "free_flow_s",
          "bpr_alpha", "bpr_beta", "toll")


def _columns(net: Network) -> dict[str, list]:
    cols = {a: getattr(net, a).tolist() for a in _ATTRS}
    cols["from"] = net.link_from.tolist()
    cols["to"] = net.link_to.tolist()
    return cols


def simplify_network(net: Network, shapes: Shapes | None = None, *,
                     min_dead_end_m: float = 50.0, min_link_m: float = 0.0
                     ) -> tuple[Network, Shapes, SimplifyReport]:
    """The simplified network, its link polylines and the report (module docstring).

    ``shapes`` default to straight lines in network metres. Signal delays are
    not carried (simplify before signals are inferred).
    """
    if shapes is None:
        shapes = Shapes.straight(net.node_x_m[net.link_from], net.node_y_m[net.link_from],
                                 net.node_x_m[net.link_to], net.node_y_m[net.link_to])
    km = lambda lengths: float(np.sum(lengths)) / 1000.0  # noqa: E731
    n_in, m_in, km_in = net.n_nodes, net.n_links, km(net.length_m)

    main = net.strongly_connected_mask()
    keep = main[net.link_from] & main[net.link_to]
    scc = (int((~main).sum()), int((~keep).sum()), km(net.length_m[~keep]))
    cols = {k: [v for v, f in zip(vals, keep, strict=True) if f]
            for k, vals in _columns(net).items()}
    pts = [tuple(zip(*shapes.link(k), strict=True)) for k in np.flatnonzero(keep)]
    ways = ([shapes.osm_ways[k] for k in np.flatnonzero(keep)] if shapes.osm_ways is not None
            else None)
    alive = [True] * len(pts)

    out_l: dict[int, set[int]] = defaultdict(set)
    in_l: dict[int, set[int]] = defaultdict(set)
    for k, (u, v) in enumerate(zip(cols["from"], cols["to"], strict=True)):
        out_l[u].add(k)
        in_l[v].add(k)

    def neighbours(v: int) -> set[int]:
        return ({cols["to"][k] for k in out_l[v]} | {cols["from"][k] for k in in_l[v]}) - {v}

    def drop(k: int) -> None:
        alive[k] = False
        out_l[cols["from"][k]].discard(k)
        in_l[cols["to"][k]].discard(k)

    def add(frm: int, to: int, values: dict, shape: tuple, way: str | None) -> None:
        k = len(alive)
        for a in _ATTRS:
            cols[a].append(values[a])
        cols["from"].append(frm)
        cols["to"].append(to)
        pts.append(shape)
        if ways is not None:
            ways.append(way)
        alive.append(True)
        out_l[frm].add(k)
        in_l[to].add(k)

    # 2. dead-end spurs, repeated until none shorter than the threshold is left
    dead_links, dead_km = 0, 0.0
    changed = True
    while changed and min_dead_end_m > 0:
        changed = False
        for leaf in [v for v in list(out_l) if len(neighbours(v)) == 1]:
            chain, prev, v, length = [leaf], None, leaf, 0.0
            while True:
                nb = neighbours(v) - ({prev} if prev is not None else set())
                if len(nb) != 1:
                    break
                w = nb.pop()
                length += min((cols["length_m"][k] for k in out_l[v] if cols["to"][k] == w),
                              default=0.0)
                prev, v = v, w
                if len(neighbours(v)) != 2:
                    break
                chain.append(v)
            if length >= min_dead_end_m or len(neighbours(v)) < 3:
                continue  # long enough, or the whole component is one chain
            for node in chain:
                for k in list(out_l[node]) + list(in_l[node]):
                    dead_links += 1
                    dead_km += cols["length_m"][k] / 1000.0
                    drop(k)
            changed = True

    # 3. slivers: contract short two-way pairs
    slivers = 0
    if min_link_m > 0:
        for k in range(len(alive)):
            if not alive[k] or cols["length_m"][k] >= min_link_m:
                continue
            u, v = cols["from"][k], cols["to"][k]
            back = [j for j in out_l[v] if cols["to"][j] == u]
            if not back:
                continue
            for j in [k, *back]:
                drop(j)
                slivers += 1
            for j in list(out_l[v]):
                out_l[v].discard(j)
                cols["from"][j] = u
                out_l[u].add(j)
            for j in list(in_l[v]):
                in_l[v].discard(j)
                cols["to"][j] = u
                in_l[u].add(j)
            for j in list(out_l[u]):
                if cols["to"][j] == u:  # a loop left by the contraction
                    drop(j)

    # 4. degree-2 chains
    same = ("lanes", "capacity_vph", "road_class", "bpr_alpha", "bpr_beta")

    def join(a: int, b: int) -> None:
        """Replace link a (into v) and link b (out of v) by one link."""
        t = cols["free_flow_s"][a] + cols["free_flow_s"][b]
        length = cols["length_m"][a] + cols["length_m"][b]
        values = {x: cols[x][a] for x in same}
        values.update(length_m=length, free_flow_s=t, speed_mps=length / max(t, 1e-9),
                      toll=cols["toll"][a] + cols["toll"][b])
        shape = pts[a] + pts[b][1:]
        way = join_ways(ways[a], ways[b]) if ways is not None else None
        frm, to = cols["from"][a], cols["to"][b]
        drop(a)
        drop(b)
        add(frm, to, values, shape, way)

    def compatible(a: int, b: int) -> bool:
        return all(cols[x][a] == cols[x][b] for x in same)

    merged = 0
    for v in list(out_l):
        ins, outs = list(in_l[v]), list(out_l[v])
        nb = neighbours(v)
        if len(nb) != 2 or len(ins) != len(outs) or len(ins) not in (1, 2):
            continue
        pairs = []
        for a in ins:
            cand = [b for b in outs if cols["to"][b] != cols["from"][a]]
            if len(cand) != 1 or not compatible(a, cand[0]):
                break
            pairs.append((a, cand[0]))
        else:
            if len({b for _, b in pairs}) == len(pairs):
                for a, b in pairs:
                    join(a, b)
                merged += 1

    # rebuild
    live = np.flatnonzero(alive)
    frm = np.array([cols["from"][k] for k in live], dtype=np.int64)
    to = np.array([cols["to"][k] for k in live], dtype=np.int64)
    used = np.unique(np.r_[frm, to])
    index = np.full(net.n_nodes, -1, dtype=np.int64)
    index[used] = np.arange(len(used))
    arr = {a: np.array([cols[a][k] for k in live]) for a in _ATTRS}
    out = Network.from_links(
        node_x_m=net.node_x_m[used], node_y_m=net.node_y_m[used], link_from=index[frm],
        link_to=index[to], length_m=arr["length_m"], lanes=arr["lanes"],
        speed_mps=arr["speed_mps"], capacity_vph=arr["capacity_vph"],
        road_class=arr["road_class"], free_flow_s=arr["free_flow_s"],
        bpr_alpha=arr["bpr_alpha"], bpr_beta=arr["bpr_beta"], toll=arr["toll"],
        node_id=net.node_id[used])
    n_pts = np.array([len(pts[k]) for k in live], dtype=np.int64)
    start = np.zeros(len(live) + 1, dtype=np.int64)
    np.cumsum(n_pts, out=start[1:])
    flat = [p for k in live for p in pts[k]]
    new_shapes = Shapes(start, np.array([p[0] for p in flat]), np.array([p[1] for p in flat]),
                        tuple(ways[k] for k in live) if ways is not None else None)
    report = SimplifyReport(
        nodes_in=n_in, links_in=m_in, km_in=km_in, scc_nodes_dropped=scc[0],
        scc_links_dropped=scc[1], scc_km_dropped=scc[2], dead_end_links_dropped=dead_links,
        dead_end_km_dropped=dead_km, sliver_links_contracted=slivers, merged_nodes=merged,
        nodes_out=out.n_nodes, links_out=out.n_links, km_out=km(out.length_m))
    return out, new_shapes, report
