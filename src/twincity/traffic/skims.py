"""Zone-to-zone level of service ("skims") from shortest-path trees.

A skim is a ``zones × zones`` matrix of some attribute (time, distance, toll …)
summed along the route that minimises a generalised cost. One Dijkstra tree is
grown per origin zone (:func:`twincity.traffic.routing.shortest_path_trees`)
and the attributes are accumulated along each tree by a numba kernel
(:func:`accumulate_along_trees`): a node's value is the value at the tail of
its predecessor link plus that link's attribute, so every attribute of every
origin–node pair costs O(1) after the tree is known.

Intrazonal values (the diagonal) are a convention, not a path: a trip that
starts and ends in zone ``z`` is taken as **half of the trip from ``z`` to its
nearest other zone** (nearest by the routed generalised cost), for every
attribute alike — time, distance and toll. This is the usual "half the
distance to the nearest neighbour" rule of four-step models; it keeps
intrazonal trips shorter than any interzonal one and makes them respond to
congestion and tolls around the zone as interzonal trips do.

Example:
    >>> from types import SimpleNamespace
    >>> net = Network.from_links(
    ...     node_x_m=np.array([0.0, 600.0, 1200.0]), node_y_m=np.zeros(3),
    ...     link_from=np.array([0, 1, 1, 2]), link_to=np.array([1, 0, 2, 1]),
    ...     length_m=np.full(4, 600.0), lanes=np.ones(4), speed_mps=np.full(4, 10.0),
    ...     capacity_vph=np.full(4, 1800.0))
    >>> zones = SimpleNamespace(node=np.array([0, 2]))
    >>> sk = car_skims(net, zones, net.free_flow_s)
    >>> sk.time_s.tolist(), sk.distance_m.tolist()
    ([[60.0, 120.0], [120.0, 60.0]], [[600.0, 1200.0], [1200.0, 600.0]])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from twincity.city.network import Network
from twincity.city.zones import Zones
from twincity.errors import InputError
from twincity.traffic.routing import shortest_path_trees


@njit(cache=True)
def _accumulate(pred, link_from, attrs, roots, dests):
    """``out[k, a, d]``: attribute ``a`` summed along tree ``k`` from its root to ``dests[d]``.

    Nodes are visited by climbing each unvisited node's predecessor chain to
    the first finished node and filling the chain back down. This is the same
    recurrence as visiting nodes in increasing distance
    (``value[v] = value[tail(pred[v])] + attr[pred[v]]``) but stays correct
    when zero-cost links make distances tie. Unreachable nodes get ``inf``.
    One ``attributes × nodes`` work array is reused for every tree.
    """
    k_trees, n = pred.shape
    n_attr = attrs.shape[0]
    n_dest = dests.shape[0]
    out = np.empty((k_trees, n_attr, n_dest), dtype=np.float64)
    values = np.empty((n_attr, n), dtype=np.float64)
    done = np.zeros(n, dtype=np.bool_)
    stack = np.empty(n, dtype=np.int64)
    for k in range(k_trees):
        p = pred[k]
        for v in range(n):
            done[v] = False
        root = roots[k]
        for a in range(n_attr):
            values[a, root] = 0.0
        done[root] = True
        for v in range(n):
            if done[v]:
                continue
            top = 0
            u = v
            while not done[u] and p[u] >= 0:
                stack[top] = u
                top += 1
                u = link_from[p[u]]
            if not done[u]:  # the chain ends at a node the root cannot reach
                stack[top] = u
                top += 1
                while top > 0:
                    top -= 1
                    w = stack[top]
                    for a in range(n_attr):
                        values[a, w] = np.inf
                    done[w] = True
                continue
            while top > 0:
                top -= 1
                w = stack[top]
                link = p[w]
                t = link_from[link]
                for a in range(n_attr):
                    values[a, w] = values[a, t] + attrs[a, link]
                done[w] = True
        for a in range(n_attr):
            for d in range(n_dest):
                out[k, a, d] = values[a, dests[d]]
    return out


def accumulate_along_trees(pred_link: np.ndarray, link_from: np.ndarray, roots: np.ndarray,
                           link_attrs: np.ndarray, dests: np.ndarray | None = None) -> np.ndarray:
    """Sum per-link attributes along shortest-path trees.

    ``pred_link[k, v]`` is the tree of root ``roots[k]`` (as returned by
    :func:`~twincity.traffic.routing.shortest_path_trees`); ``link_attrs[a, l]``
    is attribute ``a`` of link ``l``. Returns ``values[k, a, d]`` at the nodes
    ``dests`` (default: every node), ``inf`` where unreachable.

    Example:
        >>> pred = np.array([[-1, 0, 1]], dtype=np.int32)           # 0 → 1 → 2
        >>> accumulate_along_trees(pred, np.array([0, 1]), np.array([0]),
        ...                        np.array([[2.0, 3.0]]))[0, 0].tolist()
        [0.0, 2.0, 5.0]
    """
    pred = np.ascontiguousarray(np.atleast_2d(pred_link), dtype=np.int32)
    attrs = np.ascontiguousarray(np.atleast_2d(link_attrs), dtype=np.float64)
    dests = np.arange(pred.shape[1]) if dests is None else dests
    return _accumulate(pred, np.ascontiguousarray(link_from, dtype=np.int32), attrs,
                       np.ascontiguousarray(np.atleast_1d(roots), dtype=np.int64),
                       np.ascontiguousarray(dests, dtype=np.int64))


def tree_skims(net: Network, cost: np.ndarray, link_attrs: np.ndarray, origins: np.ndarray,
               dests: np.ndarray, *, chunk: int = 64,
               no_through: np.ndarray | None = None) -> np.ndarray:
    """``skim[a, i, j]``: attribute ``a`` along the least-``cost`` path ``origins[i] → dests[j]``.

    Trees are grown ``chunk`` origins at a time (one kernel call per chunk), so
    memory stays at ``chunk × nodes`` whatever the number of zones.

    Example:
        >>> sk = tree_skims(net, net.free_flow_s, net.length_m[None, :],
        ...                 zones.node, zones.node)  # doctest: +SKIP
    """
    origins = np.ascontiguousarray(origins, dtype=np.int32)
    attrs = np.ascontiguousarray(np.atleast_2d(link_attrs), dtype=np.float64)
    out = np.empty((attrs.shape[0], len(origins), len(dests)), dtype=np.float64)
    for lo in range(0, len(origins), chunk):  # chunks of origins, not a loop per zone
        o = origins[lo:lo + chunk]
        _, pred = shortest_path_trees(net.out_start, net.out_link, net.link_to, cost, o,
                                      no_through)
        out[:, lo:lo + chunk, :] = accumulate_along_trees(
            pred, net.link_from, o, attrs, dests).transpose(1, 0, 2)
    return out


def fill_intrazonal(cost: np.ndarray, *others: np.ndarray) -> None:
    """Set the diagonal of ``cost`` and ``others`` to half the trip to the nearest zone.

    "Nearest" is by ``cost`` (off-diagonal minimum of each row). In place.

    Example:
        >>> c = np.array([[0.0, 4.0, 6.0], [4.0, 0.0, 2.0], [6.0, 2.0, 0.0]])
        >>> fill_intrazonal(c); np.diag(c).tolist()
        [2.0, 1.0, 1.0]
    """
    n = cost.shape[0]
    if n < 2:
        return
    off = cost.copy()
    np.fill_diagonal(off, np.inf)
    nearest = np.argmin(off, axis=1)
    rows = np.arange(n)
    for m in (cost, *others):
        m[rows, rows] = 0.5 * m[rows, nearest]


@dataclass(frozen=True, eq=False)
class CarSkims:
    """Car level of service between zones (``zones × zones``, origin rows).

    ``time_s`` travel time, ``distance_m`` route length, ``toll`` tolls paid
    (city currency), ``cost_s`` the generalised cost the routes minimise
    (seconds, as supplied by the caller). Unreachable pairs are ``inf``.
    """

    time_s: np.ndarray
    distance_m: np.ndarray
    toll: np.ndarray
    cost_s: np.ndarray


def _link_array(a, n_links: int, name: str) -> np.ndarray:
    arr = np.asarray(a, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n_links, float(arr))
    if arr.shape != (n_links,):
        raise InputError(f"expected one value per link ({n_links}), got shape {arr.shape}",
                         path=name)
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise InputError("expected finite, non-negative values", path=name)
    return np.ascontiguousarray(arr)


def car_skims(net: Network, zones: Zones, link_cost_s: np.ndarray,
              link_time_s: np.ndarray | None = None,
              link_toll: np.ndarray | float | None = None) -> CarSkims:
    """Car skims on the routes that minimise ``link_cost_s``.

    ``link_cost_s`` is the generalised cost per link in seconds (typically
    ``time + toll / value_of_time × 3600``, built by the caller so that tolls
    shift routes); ``link_time_s`` the travel time per link (default: the cost
    itself) and ``link_toll`` the toll per traversal (default ``net.toll``).
    Intrazonal cells follow :func:`fill_intrazonal`.

    Example: ``car_skims(net, zones, car_link_cost_s(time_s, toll, vot), time_s, toll)``.
    """
    m = net.n_links
    cost = _link_array(link_cost_s, m, "link_cost_s")
    time = cost if link_time_s is None else _link_array(link_time_s, m, "link_time_s")
    toll = _link_array(net.toll if link_toll is None else link_toll, m, "link_toll")
    return car_skims_sets(net, zones, cost[None], time[None], toll[None])[0]


#: Memory allowed for the trees of one batch of :func:`car_skims_sets` (dist and pred).
SKIM_BATCH_BYTES = 64 * 2**20


def car_skims_sets(net: Network, zones: Zones, link_cost_s: np.ndarray,
                   link_time_s: np.ndarray, link_toll: np.ndarray) -> list[CarSkims]:
    """:func:`car_skims` of several cost sets (rows, e.g. time slots), trees in one kernel call.

    Row ``r`` of ``link_cost_s``, ``link_time_s`` and ``link_toll`` (``sets × links``)
    gives ``car_skims(net, zones, link_cost_s[r], link_time_s[r], link_toll[r])``, the
    same numbers; every set's zone trees are grown in one parallel call (a few
    batches at most on large networks), not one call per set, each only until
    every zone's node is settled (the same paths to them as the whole tree).
    """
    m, z = net.n_links, len(zones.node)
    cost = np.ascontiguousarray(np.atleast_2d(link_cost_s), dtype=np.float64)
    time = np.ascontiguousarray(np.atleast_2d(link_time_s), dtype=np.float64)
    toll = np.ascontiguousarray(np.atleast_2d(link_toll), dtype=np.float64)
    for a, name in ((cost, "link_cost_s"), (time, "link_time_s"), (toll, "link_toll")):
        if a.shape != cost.shape or a.shape[1] != m:
            raise InputError(f"expected sets × links ({len(cost)}, {m}), got {a.shape}",
                             path=name)
        if not np.all(np.isfinite(a)) or np.any(a < 0):
            raise InputError("expected finite, non-negative values", path=name)
    origins = np.ascontiguousarray(zones.node, dtype=np.int32)
    per_batch = max(1, SKIM_BATCH_BYTES // max(1, 12 * net.n_nodes * max(1, z)))
    out = []
    for s0 in range(0, len(cost), per_batch):
        sets = np.arange(s0, min(s0 + per_batch, len(cost)))
        _, pred = shortest_path_trees(net.out_start, net.out_link, net.link_to, cost[sets],
                                      np.tile(origins, len(sets)),
                                      cost_row=np.repeat(np.arange(len(sets)), z),
                                      targets=zones.node)
        for j, r in enumerate(sets):
            attrs = np.stack([time[r], net.length_m, toll[r], cost[r]])
            sk = accumulate_along_trees(pred[j * z:(j + 1) * z], net.link_from, origins, attrs,
                                        zones.node).transpose(1, 0, 2)
            time_s, dist_m, toll_z, cost_s = (np.ascontiguousarray(sk[a]) for a in range(4))
            fill_intrazonal(cost_s, time_s, dist_m, toll_z)
            out.append(CarSkims(time_s=time_s, distance_m=dist_m, toll=toll_z, cost_s=cost_s))
    return out


def car_link_cost_s(link_time_s: np.ndarray, link_toll: np.ndarray | float,
                    value_of_time_per_h: float) -> np.ndarray:
    """Generalised car cost per link in seconds: ``time + toll / VoT × 3600``.

    >>> car_link_cost_s(np.array([60.0]), np.array([500.0]), 15000.0).tolist()
    [180.0]
    """
    return np.asarray(link_time_s, np.float64) + (
        np.asarray(link_toll, np.float64) / float(value_of_time_per_h) * 3600.0)


def straight_line_m(zones: Zones) -> np.ndarray:
    """Euclidean distance between zone centres (``zones × zones``); the diagonal is
    half the distance to the nearest other centre.

    >>> from types import SimpleNamespace as NS
    >>> straight_line_m(NS(x_m=np.array([0.0, 300.0]), y_m=np.zeros(2))).tolist()
    [[150.0, 300.0], [300.0, 150.0]]
    """
    d = np.hypot(zones.x_m[:, None] - zones.x_m[None, :], zones.y_m[:, None] - zones.y_m[None, :])
    fill_intrazonal(d)
    return d
