"""Shortest paths on the network's CSR arrays: Dijkstra trees, routes, loading.

Every kernel is numba-compiled (``cache=True``) and takes plain arrays, so a
caller passes ``net.out_start, net.out_link, net.link_to`` and a per-link cost.
One tree is grown per origin and shared by every trip from that origin; many
origins are handled inside one kernel call (no Python loop per origin).

``no_through`` marks nodes that a path may start or end at but not pass
through (TNTP centroids below the first thru node).

Example:
    >>> import numpy as np
    >>> out_start = np.array([0, 2, 3, 3], dtype=np.int32)     # 0→1, 0→2, 1→2
    >>> out_link = np.array([0, 1, 2], dtype=np.int32)
    >>> link_from = np.array([0, 0, 1], dtype=np.int32)
    >>> link_to = np.array([1, 2, 2], dtype=np.int32)
    >>> cost = np.array([1.0, 5.0, 1.0])
    >>> dist, pred = shortest_path_tree(out_start, out_link, link_to, cost, 0)
    >>> dist.tolist(), pred.tolist()
    ([0.0, 1.0, 2.0], [-1, 0, 2])
    >>> start, links, ok = extract_routes(pred[None, :], link_from, np.array([0]),
    ...                                   np.array([0]), np.array([2]))
    >>> links[start[0]:start[1]].tolist(), bool(ok[0])
    ([0, 2], True)
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit

from twincity.traffic.heap import SETTLED, heap_offer, heap_pop, heap_start


@njit(cache=True)
def _dijkstra_into(out_start, out_link, link_to, cost, origin, no_through,
                   dist, pred, order, heap, hkey, pos, need, n_need):
    """Grow the tree of ``origin`` into the work arrays; return how many nodes settled.

    ``order[:settled]`` lists settled nodes by non-decreasing distance, so every
    node comes after the node its ``pred`` link leaves from. With ``n_need`` > 0
    the tree stops once the ``n_need`` nodes flagged in ``need`` are settled
    (their labels and paths are the whole tree's; other nodes' may be tentative).
    """
    size = heap_start(origin, dist, pred, heap, hkey, pos)
    settled = 0
    left = n_need
    while size > 0:
        u, size = heap_pop(heap, hkey, pos, size)
        order[settled] = u
        settled += 1
        if left > 0 and need[u]:
            left -= 1
            if left == 0:
                break
        if no_through[u] and u != origin:
            continue
        du = dist[u]
        for j in range(out_start[u], out_start[u + 1]):
            link = out_link[j]
            v = link_to[link]
            if pos[v] == SETTLED:
                continue
            nd = du + cost[link]
            if nd < dist[v]:
                dist[v] = nd
                pred[v] = link
                size = heap_offer(heap, hkey, pos, v, nd, size)
    return settled


@njit(cache=True, parallel=True)
def _trees(out_start, out_link, link_to, costs, cost_row, origins, no_through, targets,
           n_chunks):
    # Trees are independent: grown in parallel over origins (numba threads; set
    # NUMBA_NUM_THREADS=1 where processes already share the cores, as Dask workers do).
    # Tree i is grown on link costs costs[cost_row[i]] (several cost sets, one call),
    # until the target nodes are settled (none: the whole tree).
    n = out_start.shape[0] - 1
    k = origins.shape[0]
    dist = np.empty((k, n), dtype=np.float64)
    pred = np.empty((k, n), dtype=np.int32)
    need = np.zeros(n, dtype=np.bool_)
    n_need = 0
    for v in targets:
        if not need[v]:
            need[v] = True
            n_need += 1
    for c in numba.prange(n_chunks):
        order = np.empty(n, dtype=np.int32)
        heap = np.empty(n, dtype=np.int32)
        hkey = np.empty(n, dtype=np.float64)
        pos = np.empty(n, dtype=np.int32)
        for i in range(c, k, n_chunks):
            _dijkstra_into(out_start, out_link, link_to, costs[cost_row[i]], origins[i],
                           no_through, dist[i], pred[i], order, heap, hkey, pos, need, n_need)
    return dist, pred


@njit(cache=True)
def _extract(pred_link, link_from, tree_index, origin_node, dest_node):
    m = tree_index.shape[0]
    n = pred_link.shape[1]
    length = np.zeros(m, dtype=np.int64)
    ok = np.ones(m, dtype=np.bool_)
    for i in range(m):
        t = tree_index[i]
        v = dest_node[i]
        o = origin_node[i]
        steps = 0
        while v != o:
            link = pred_link[t, v]
            if link < 0 or steps >= n:  # no path (or not this origin's tree)
                ok[i] = False
                steps = 0
                break
            steps += 1
            v = link_from[link]
        length[i] = steps
    start = np.zeros(m + 1, dtype=np.int64)
    for i in range(m):
        start[i + 1] = start[i] + length[i]
    links = np.empty(start[m], dtype=np.int32)
    for i in range(m):
        if not ok[i]:
            continue
        t = tree_index[i]
        v = dest_node[i]
        j = start[i + 1] - 1
        while j >= start[i]:  # walk back from the destination, fill in travel order
            link = pred_link[t, v]
            links[j] = link
            v = link_from[link]
            j -= 1
    return start, links, ok


@njit(cache=True)
def _load(out_start, out_link, link_to, link_from, cost, origins, dest_nodes, od_demand,
          no_through):
    n = out_start.shape[0] - 1
    n_links = link_to.shape[0]
    k = origins.shape[0]
    n_dest = dest_nodes.shape[0]
    flow = np.zeros(n_links, dtype=np.float64)
    od_cost = np.empty((k, n_dest), dtype=np.float64)
    dist = np.empty(n, dtype=np.float64)
    pred = np.empty(n, dtype=np.int32)
    order = np.empty(n, dtype=np.int32)
    heap = np.empty(n, dtype=np.int32)
    hkey = np.empty(n, dtype=np.float64)
    pos = np.empty(n, dtype=np.int32)
    node_load = np.zeros(n, dtype=np.float64)
    for i in range(k):
        settled = _dijkstra_into(out_start, out_link, link_to, cost, origins[i], no_through,
                                 dist, pred, order, heap, hkey, pos,
                                 np.zeros(0, dtype=np.bool_), 0)
        for d in range(n_dest):
            node = dest_nodes[d]
            od_cost[i, d] = dist[node]
            node_load[node] += od_demand[i, d]
        # Children settle after their parents: sweep from the farthest node back
        # to the origin, pushing each node's accumulated demand onto its tree link.
        for s in range(settled - 1, 0, -1):
            v = order[s]
            load = node_load[v]
            if load != 0.0:
                link = pred[v]
                flow[link] += load
                node_load[link_from[link]] += load
        for v in range(n):
            node_load[v] = 0.0
    return flow, od_cost


# ------------------------------------------------------------- public API
def _as_mask(no_through: np.ndarray | None, n: int) -> np.ndarray:
    if no_through is None:
        return np.zeros(n, dtype=np.bool_)
    mask = np.ascontiguousarray(no_through, dtype=np.bool_)
    if mask.shape != (n,):
        raise ValueError(f"no_through must be a boolean mask of {n} nodes, got {mask.shape}")
    return mask


def _as_cost(cost: np.ndarray, n_links: int) -> np.ndarray:
    cost = np.ascontiguousarray(cost, dtype=np.float64)
    if cost.shape != (n_links,):
        raise ValueError(f"cost must have one value per link ({n_links}), got {cost.shape}")
    if not np.all(cost >= 0):
        raise ValueError("Dijkstra needs non-negative, non-NaN link costs")
    return cost


def _i32(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.int32)


def shortest_path_tree(out_start: np.ndarray, out_link: np.ndarray, link_to: np.ndarray,
                       cost: np.ndarray, origin: int,
                       no_through: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Dijkstra from one origin: (``dist`` per node, ``pred_link`` per node, -1 at the
    origin and at unreachable nodes, whose ``dist`` is ``inf``).

    Example: ``dist, pred = shortest_path_tree(net.out_start, net.out_link, net.link_to,
    net.free_flow_s, 0)``.
    """
    dist, pred = shortest_path_trees(out_start, out_link, link_to, cost,
                                     np.array([origin]), no_through)
    return dist[0], pred[0]


def shortest_path_trees(out_start: np.ndarray, out_link: np.ndarray, link_to: np.ndarray,
                        cost: np.ndarray, origins: np.ndarray,
                        no_through: np.ndarray | None = None,
                        cost_row: np.ndarray | None = None,
                        targets: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One Dijkstra tree per origin: ``dist[k, n]`` and ``pred_link[k, n]`` (int32).

    ``cost`` is one value per link, or with ``cost_row`` several cost sets
    ``cost[set, link]``, origin ``k`` growing its tree on ``cost[cost_row[k]]``
    (e.g. every time slot's trees in one parallel call). With ``targets`` (node
    indices) each tree stops once they are all settled: ``dist`` and ``pred``
    are exact at the targets (and every node on their paths), tentative elsewhere.
    Memory is ``origins × nodes``; for assignment on large networks use
    :func:`load_all_or_nothing`, which keeps one tree at a time.

    Example: ``dist, pred = shortest_path_trees(net.out_start, net.out_link, net.link_to,
    net.free_flow_s, np.arange(net.n_nodes))``.
    """
    out_start = _i32(out_start)
    n = len(out_start) - 1
    origins = _i32(np.atleast_1d(origins))
    if len(origins) and (origins.min() < 0 or origins.max() >= n):
        raise ValueError("an origin is not a node index")
    if cost_row is None:
        costs = _as_cost(cost, len(link_to))[None, :]
        rows = np.zeros(len(origins), dtype=np.int64)
    else:
        costs = np.atleast_2d(cost)
        costs = _as_cost(costs.ravel(), costs.size).reshape(-1, len(link_to))
        rows = np.ascontiguousarray(cost_row, dtype=np.int64)
        if rows.shape != origins.shape or (len(rows) and (rows.min() < 0
                                                          or rows.max() >= len(costs))):
            raise ValueError("cost_row must name a cost set for every origin")
    tg = np.zeros(0, dtype=np.int64) if targets is None else np.ascontiguousarray(
        targets, dtype=np.int64)
    if len(tg) and (tg.min() < 0 or tg.max() >= n):
        raise ValueError("a target is not a node index")
    return _trees(out_start, _i32(out_link), _i32(link_to), costs, rows,
                  origins, _as_mask(no_through, n), tg,
                  max(1, min(len(origins), 4 * numba.get_num_threads())))


def extract_routes(pred_link: np.ndarray, link_from: np.ndarray, tree_index: np.ndarray,
                   origin_node: np.ndarray, dest_node: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Routes of many trips as CSR: (``route_start``, ``route_links``, ``ok``).

    Trip ``i`` follows tree ``pred_link[tree_index[i]]`` from ``origin_node[i]``
    to ``dest_node[i]``; its links, in travel order, are
    ``route_links[route_start[i]:route_start[i + 1]]``. ``ok[i]`` is False (and
    the route empty) where the destination cannot be reached; no exception is
    raised, so the caller can report those trips. A trip whose origin equals its
    destination has an empty route and ``ok`` True.

    Example: ``start, links, ok = extract_routes(pred, net.link_from, np.zeros(3, int),
    np.zeros(3, int), np.array([4, 5, 6]))``.
    """
    pred_link = np.asarray(pred_link)
    if pred_link.ndim == 1:
        pred_link = pred_link[None, :]
    pred_link = np.ascontiguousarray(pred_link, dtype=np.int32)
    tree_index = _i32(np.atleast_1d(tree_index))
    origin_node = _i32(np.atleast_1d(origin_node))
    dest_node = _i32(np.atleast_1d(dest_node))
    if not len(tree_index) == len(origin_node) == len(dest_node):
        raise ValueError("tree_index, origin_node and dest_node must have equal lengths")
    if len(tree_index) and (tree_index.min() < 0 or tree_index.max() >= len(pred_link)):
        raise ValueError("tree_index refers to a tree that does not exist")
    return _extract(pred_link, _i32(link_from), tree_index, origin_node, dest_node)


def load_all_or_nothing(out_start: np.ndarray, out_link: np.ndarray, link_to: np.ndarray,
                        link_from: np.ndarray, cost: np.ndarray, origins: np.ndarray,
                        dest_nodes: np.ndarray, od_demand: np.ndarray,
                        no_through: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All-or-nothing loading: every OD demand on its shortest path.

    ``od_demand[i, d]`` travels from node ``origins[i]`` to node ``dest_nodes[d]``.
    Returns ``(link_flow, od_cost)``: flow per link and the shortest cost of each
    OD pair (``inf`` where unreachable; that demand is not loaded, so callers
    should check ``od_cost`` where ``od_demand > 0``). Each origin's tree is grown
    and loaded in O(nodes) by sweeping nodes in decreasing distance; one tree is
    kept in memory at a time.

    Example: ``flow, od_cost = load_all_or_nothing(net.out_start, net.out_link,
    net.link_to, net.link_from, net.free_flow_s, origins, dests, demand)``.
    """
    out_start = _i32(out_start)
    n = len(out_start) - 1
    origins = _i32(np.atleast_1d(origins))
    dest_nodes = _i32(np.atleast_1d(dest_nodes))
    od_demand = np.ascontiguousarray(od_demand, dtype=np.float64)
    if od_demand.shape != (len(origins), len(dest_nodes)):
        raise ValueError(f"od_demand must be origins × destinations "
                         f"({len(origins)}, {len(dest_nodes)}), got {od_demand.shape}")
    for name, a in (("origins", origins), ("dest_nodes", dest_nodes)):
        if len(a) and (a.min() < 0 or a.max() >= n):
            raise ValueError(f"{name} contains a value that is not a node index")
    return _load(out_start, _i32(out_link), _i32(link_to), _i32(link_from),
                 _as_cost(cost, len(link_to)), origins, dest_nodes, od_demand,
                 _as_mask(no_through, n))
