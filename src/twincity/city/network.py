"""The road network as a struct of arrays, with CSR adjacency for kernels.

networkx is for I/O and analysis (:meth:`Network.to_networkx`); every kernel
(routing, traffic, assignment) reads the flat arrays of :class:`Network`.

Example:
    >>> import numpy as np
    >>> net = Network.from_links(
    ...     node_x_m=np.array([0.0, 500.0]), node_y_m=np.array([0.0, 0.0]),
    ...     link_from=np.array([0, 1]), link_to=np.array([1, 0]),
    ...     length_m=np.array([500.0, 500.0]), lanes=np.array([1, 1]),
    ...     speed_mps=np.array([13.9, 13.9]), capacity_vph=np.array([1800.0, 1800.0]))
    >>> net.n_nodes, net.n_links, int(net.out_start[-1])
    (2, 2, 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twincity.defaults import JAM_DENSITY_VPKMPL
from twincity.vocab import ARTERIAL, ROAD_CLASSES


def _csr(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Group the indices of ``keys`` (values in ``0..n-1``) into CSR (start, items)."""
    order = np.argsort(keys, kind="stable").astype(np.int32)
    counts = np.bincount(keys, minlength=n)
    start = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(counts, out=start[1:])
    return start, order


def nearest_index(x_m, y_m, ref_x_m, ref_y_m) -> np.ndarray:
    """Index of the reference point nearest to each point (k-d tree).

    >>> nearest_index([0.9, 5.0], [0.0, 0.0], [0.0, 1.0, 4.0], [0.0, 0.0, 0.0]).tolist()
    [1, 2]
    """
    from scipy.spatial import cKDTree

    tree = cKDTree(np.column_stack([np.asarray(ref_x_m, np.float64),
                                    np.asarray(ref_y_m, np.float64)]))
    pts = np.column_stack([np.atleast_1d(np.asarray(x_m, np.float64)),
                           np.atleast_1d(np.asarray(y_m, np.float64))])
    return tree.query(pts)[1].astype(np.int32)


@dataclass(frozen=True, eq=False)
class Network:
    """A directed road network; links are numbered ``0..n_links-1``.

    Attributes carry SI units in their names. ``out_start``/``out_link`` list the
    links leaving each node (CSR), ``in_start``/``in_link`` those entering it.
    ``bpr_alpha``/``bpr_beta`` parameterise BPR link costs for static
    assignment, ``toll`` is a base toll per traversal (in the city's currency),
    ``node_id`` keeps the identifiers of the source file (OSM ids, TNTP numbers).
    ``signal_delay_s`` is the average signal delay already included in
    ``free_flow_s`` (0 on links not ending at a signal; see
    :mod:`twincity.city.signals`).
    """

    node_x_m: np.ndarray
    node_y_m: np.ndarray
    link_from: np.ndarray
    link_to: np.ndarray
    length_m: np.ndarray
    lanes: np.ndarray
    speed_mps: np.ndarray
    capacity_vph: np.ndarray
    road_class: np.ndarray
    free_flow_s: np.ndarray
    storage_veh: np.ndarray
    bpr_alpha: np.ndarray
    bpr_beta: np.ndarray
    toll: np.ndarray
    node_id: np.ndarray
    signal_delay_s: np.ndarray
    out_start: np.ndarray = field(repr=False)
    out_link: np.ndarray = field(repr=False)
    in_start: np.ndarray = field(repr=False)
    in_link: np.ndarray = field(repr=False)

    @classmethod
    def from_links(
        cls,
        *,
        node_x_m: np.ndarray,
        node_y_m: np.ndarray,
        link_from: np.ndarray,
        link_to: np.ndarray,
        length_m: np.ndarray,
        lanes: np.ndarray,
        speed_mps: np.ndarray,
        capacity_vph: np.ndarray,
        road_class: np.ndarray | None = None,
        free_flow_s: np.ndarray | None = None,
        storage_veh: np.ndarray | None = None,
        bpr_alpha: np.ndarray | float = 0.15,
        bpr_beta: np.ndarray | float = 4.0,
        toll: np.ndarray | float = 0.0,
        node_id: np.ndarray | None = None,
        signal_delay_s: np.ndarray | None = None,
        jam_density_vpkmpl: float = JAM_DENSITY_VPKMPL,
    ) -> Network:
        """Build a network from per-link arrays, deriving CSR and defaults.

        ``free_flow_s`` defaults to length / speed (plus ``signal_delay_s``,
        default 0, when given without ``free_flow_s``); ``storage_veh`` to
        length × lanes × jam density (at least one vehicle, so a short link
        can always hold the vehicle crossing it).
        """
        n_nodes = len(node_x_m)
        n_links = len(link_from)
        f64 = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
        link_from = np.ascontiguousarray(link_from, dtype=np.int32)
        link_to = np.ascontiguousarray(link_to, dtype=np.int32)
        length_m = f64(length_m)
        lanes_arr = np.ascontiguousarray(lanes, dtype=np.int16)
        speed_mps = f64(speed_mps)
        signal_delay_s = (np.zeros(n_links) if signal_delay_s is None
                          else f64(np.broadcast_to(signal_delay_s, (n_links,))))
        if free_flow_s is None:
            free_flow_s = length_m / speed_mps + signal_delay_s
        if storage_veh is None:
            storage_veh = np.maximum(1.0, length_m / 1000.0 * lanes_arr * jam_density_vpkmpl)
        if road_class is None:
            road_class = np.full(n_links, ARTERIAL, dtype=np.int8)
        if node_id is None:
            node_id = np.arange(n_nodes, dtype=np.int64)
        out_start, out_link = _csr(link_from, n_nodes)
        in_start, in_link = _csr(link_to, n_nodes)
        net = cls(
            node_x_m=f64(node_x_m),
            node_y_m=f64(node_y_m),
            link_from=link_from,
            link_to=link_to,
            length_m=length_m,
            lanes=lanes_arr,
            speed_mps=speed_mps,
            capacity_vph=f64(capacity_vph),
            road_class=np.ascontiguousarray(road_class, dtype=np.int8),
            free_flow_s=f64(free_flow_s),
            storage_veh=f64(storage_veh),
            bpr_alpha=f64(np.broadcast_to(bpr_alpha, (n_links,))),
            bpr_beta=f64(np.broadcast_to(bpr_beta, (n_links,))),
            toll=f64(np.broadcast_to(toll, (n_links,))),
            node_id=np.ascontiguousarray(node_id, dtype=np.int64),
            signal_delay_s=f64(signal_delay_s),
            out_start=out_start,
            out_link=out_link,
            in_start=in_start,
            in_link=in_link,
        )
        net.check()
        return net

    # ------------------------------------------------------------------ sizes
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_x_m)

    @property
    def n_links(self) -> int:
        """Number of directed links."""
        return len(self.link_from)

    @property
    def lane_km(self) -> float:
        """Total lane-kilometres of the network."""
        return float(np.sum(self.length_m * self.lanes) / 1000.0)

    def check(self) -> None:
        """Raise ``ValueError`` naming the first inconsistent attribute."""
        n, m = self.n_nodes, self.n_links
        if len(self.node_y_m) != n or len(self.node_id) != n:
            raise ValueError("node arrays differ in length")
        for name in ("link_to", "length_m", "lanes", "speed_mps", "capacity_vph", "road_class",
                     "free_flow_s", "storage_veh", "bpr_alpha", "bpr_beta", "toll",
                     "signal_delay_s"):
            if len(getattr(self, name)) != m:
                raise ValueError(f"link array {name} has length {len(getattr(self, name))}, "
                                 f"expected {m}")
        if m and (self.link_from.min() < 0 or self.link_from.max() >= n
                  or self.link_to.min() < 0 or self.link_to.max() >= n):
            raise ValueError("a link refers to a node that does not exist")
        for name in ("length_m", "speed_mps", "capacity_vph", "storage_veh"):
            if m and not np.all(getattr(self, name) > 0):
                raise ValueError(f"{name} must be positive on every link")
        if m and not np.all(self.lanes > 0):
            raise ValueError("lanes must be positive on every link")
        if m and not np.all(self.free_flow_s >= 0):
            raise ValueError("free_flow_s must be non-negative on every link")
        if m and not np.all((self.signal_delay_s >= 0) & (self.signal_delay_s <= self.free_flow_s)):
            raise ValueError("signal_delay_s must lie in [0, free_flow_s] on every link")

    def replace(self, **changes: np.ndarray) -> Network:
        """Return a copy with some link attributes replaced (CSR kept).

        Example: ``net.replace(capacity_vph=net.capacity_vph * 0.5)``.
        """
        values = {k: getattr(self, k) for k in self.__dataclass_fields__}
        values.update(changes)
        out = type(self)(**values)
        out.check()
        return out

    # --------------------------------------------------------------- analysis
    def to_networkx(self):
        """A ``networkx.MultiDiGraph`` with node coordinates and link attributes."""
        import networkx as nx

        g = nx.MultiDiGraph()
        for i in range(self.n_nodes):
            g.add_node(int(self.node_id[i]), x_m=float(self.node_x_m[i]),
                       y_m=float(self.node_y_m[i]))
        for k in range(self.n_links):
            g.add_edge(
                int(self.node_id[self.link_from[k]]),
                int(self.node_id[self.link_to[k]]),
                key=k,
                length_m=float(self.length_m[k]),
                lanes=int(self.lanes[k]),
                speed_mps=float(self.speed_mps[k]),
                capacity_vph=float(self.capacity_vph[k]),
                road_class=ROAD_CLASSES[int(self.road_class[k])],
                free_flow_s=float(self.free_flow_s[k]),
                storage_veh=float(self.storage_veh[k]),
                bpr_alpha=float(self.bpr_alpha[k]),
                bpr_beta=float(self.bpr_beta[k]),
                toll=float(self.toll[k]),
            )
        return g

    def nearest_node(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        """Index of the node nearest to each point."""
        return nearest_index(x_m, y_m, self.node_x_m, self.node_y_m)

    def strongly_connected_mask(self) -> np.ndarray:
        """Boolean mask of nodes in the largest strongly connected component."""
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components

        adj = csr_matrix(
            (np.ones(self.n_links), (self.link_from, self.link_to)),
            shape=(self.n_nodes, self.n_nodes),
        )
        _, labels = connected_components(adj, directed=True, connection="strong")
        if labels.size == 0:  # no nodes (e.g. a river wider than the city): nothing to keep
            return np.zeros(0, dtype=bool)
        biggest = np.bincount(labels).argmax()
        return labels == biggest

    def component_labels(self) -> np.ndarray:
        """Strongly connected component label of each node."""
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import connected_components

        adj = csr_matrix(
            (np.ones(self.n_links), (self.link_from, self.link_to)),
            shape=(self.n_nodes, self.n_nodes),
        )
        return connected_components(adj, directed=True, connection="strong")[1]

    def subnetwork(self, node_mask: np.ndarray) -> Network:
        """The network induced by the nodes in ``node_mask`` (renumbered)."""
        keep_nodes = np.flatnonzero(node_mask)
        new_index = np.full(self.n_nodes, -1, dtype=np.int64)
        new_index[keep_nodes] = np.arange(len(keep_nodes))
        keep = node_mask[self.link_from] & node_mask[self.link_to]
        return Network.from_links(
            node_x_m=self.node_x_m[keep_nodes], node_y_m=self.node_y_m[keep_nodes],
            link_from=new_index[self.link_from[keep]], link_to=new_index[self.link_to[keep]],
            length_m=self.length_m[keep], lanes=self.lanes[keep],
            speed_mps=self.speed_mps[keep], capacity_vph=self.capacity_vph[keep],
            road_class=self.road_class[keep], free_flow_s=self.free_flow_s[keep],
            storage_veh=self.storage_veh[keep], bpr_alpha=self.bpr_alpha[keep],
            bpr_beta=self.bpr_beta[keep], toll=self.toll[keep],
            node_id=self.node_id[keep_nodes], signal_delay_s=self.signal_delay_s[keep],
        )


def out_rank(net: Network) -> np.ndarray:
    """Each link's position among the links leaving its upstream node (a turn index).

    A movement (link ``a`` into link ``b``) is identified by ``(a, out_rank[b])``;
    arrival at the end of ``a`` takes :func:`max_out_degree`.

    >>> net = Network.from_links(node_x_m=np.zeros(3), node_y_m=np.zeros(3),
    ...     link_from=np.array([0, 1, 1]), link_to=np.array([1, 2, 0]),
    ...     length_m=np.ones(3), lanes=np.ones(3), speed_mps=np.ones(3),
    ...     capacity_vph=np.ones(3))
    >>> out_rank(net).tolist(), max_out_degree(net)
    ([0, 0, 1], 2)
    """
    rank = np.empty(net.n_links, dtype=np.int64)
    rank[net.out_link] = np.arange(len(net.out_link)) - np.repeat(
        net.out_start[:-1], np.diff(net.out_start))
    return rank


def max_out_degree(net: Network) -> int:
    """Most links leaving one node (at least 1)."""
    return max(1, int(np.diff(net.out_start).max())) if net.n_nodes else 1


def route_turns(net: Network, route_start: np.ndarray, route_links: np.ndarray) -> np.ndarray:
    """Movement index of each route position: ``out_rank`` of the next link, arrival last.

    >>> net = Network.from_links(node_x_m=np.zeros(3), node_y_m=np.zeros(3),
    ...     link_from=np.array([0, 1, 1]), link_to=np.array([1, 2, 0]),
    ...     length_m=np.ones(3), lanes=np.ones(3), speed_mps=np.ones(3),
    ...     capacity_vph=np.ones(3))
    >>> route_turns(net, np.array([0, 2]), np.array([0, 1])).tolist()
    [0, 2]
    """
    links = np.asarray(route_links, dtype=np.int64)
    turn = np.full(len(links), max_out_degree(net), dtype=np.int8)
    if len(links) > 1:
        last = np.zeros(len(links), dtype=bool)
        ends = np.asarray(route_start)[1:] - 1
        last[ends[ends >= 0]] = True
        inner = np.flatnonzero(~last[:-1])
        turn[inner] = out_rank(net)[links[inner + 1]]
    return turn
