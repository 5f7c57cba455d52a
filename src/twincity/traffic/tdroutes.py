"""Time-dependent route costs and best paths on experienced link times.

The kernel records how long vehicles took on each link and movement, by
interval of entry (:func:`~twincity.traffic.linkcosts.movement_times_s`). A
route's *experienced* cost for a given departure time is found by walking
it: enter the first link at the departure, take that link's time for the
entry time (interpolated between interval midpoints, per movement into the
next link), pay the toll in force at entry, move on. This is the
cost a traveller departing then would have met on that day (FIFO links), as
simulation-based dynamic user equilibrium requires (Mahmassani 2001,
"Dynamic network traffic assignment and simulation methodology for advanced
system management applications", Netw. Spat. Econ. 1; UXsim's ``SolverDUE``
scores routes the same way).

Costs are generalised seconds: time plus toll converted at the value of time
(``toll_cost_s = toll · 3600 / VOT``).

Example: see :func:`td_best_routes`.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit

from twincity.city.network import Network
from twincity.traffic.heap import SETTLED, heap_offer, heap_pop, heap_start
from twincity.traffic.routes import Routes, assemble_csr
from twincity.traffic.routing import extract_routes


@njit(cache=True, inline="always")
def _interval(t_s, iv_s, n_iv):
    i = int(t_s // iv_s)
    if i < 0:
        return 0
    return min(i, n_iv - 1)


@njit(cache=True)
def td_tree(out_start, out_link, link_to, link_time_s, interval_s, toll_cost_s, toll_slot_s,
             origin, t0_s, cost, time_s, pred, heap, pos):
    """Time-dependent Dijkstra from ``origin`` departing at ``t0_s`` (labels: generalised s)."""
    n_iv = link_time_s.shape[0]
    n_ts = toll_cost_s.shape[0]
    size = heap_start(origin, cost, pred, heap, pos)
    time_s[origin] = t0_s
    while size > 0:
        u, size = heap_pop(heap, pos, cost, size)
        tu = time_s[u]
        iv = _interval(tu, interval_s, n_iv)
        ts = _interval(tu, toll_slot_s, n_ts)
        for j in range(out_start[u], out_start[u + 1]):
            link = out_link[j]
            v = link_to[link]
            if pos[v] == SETTLED:
                continue
            tt = link_time_s[iv, link]
            nd = cost[u] + tt + toll_cost_s[ts, link]
            if nd < cost[v]:
                cost[v] = nd
                time_s[v] = tu + tt
                pred[v] = link
                size = heap_offer(heap, pos, cost, v, size)


@njit(cache=True, parallel=True)
def td_trees(out_start, out_link, link_to, link_time_s, interval_s, toll_cost_s, toll_slot_s,
             origins, t0_s):
    """Predecessor links ``pred[tree, node]`` of time-dependent trees (one per origin and time)."""
    n_nodes = len(out_start) - 1
    m = len(origins)
    pred = np.empty((m, n_nodes), dtype=np.int32)
    for b in numba.prange(m):
        cost = np.empty(n_nodes)
        time_s = np.empty(n_nodes)
        heap = np.empty(n_nodes, dtype=np.int32)
        pos = np.empty(n_nodes, dtype=np.int32)
        td_tree(out_start, out_link, link_to, link_time_s, interval_s, toll_cost_s,
                 toll_slot_s, origins[b], t0_s[b], cost, time_s, pred[b], heap, pos)
    return pred


#: Memory allowed for one batch of time-dependent trees (pred per node).
TD_BATCH_BYTES = 64 * 2**20


def td_best_routes(net: Network, link_time_s: np.ndarray, interval_s: float,
                   toll_cost_s: np.ndarray, toll_slot_s: float, origin_node: np.ndarray,
                   dest_node: np.ndarray, departure_s: np.ndarray, *,
                   window_s: float | None = None) -> Routes:
    """Time-dependent least-cost routes of trips departing at ``departure_s``.

    Trips from the same origin departing in the same window of ``window_s``
    (default: one interval) share one tree, grown from the window's middle.
    ``cost_s`` of the result is NaN: walk the routes (:func:`score_alternatives`) for
    their exact costs.

    Example:
        >>> from twincity.city.network import Network
        >>> net = Network.from_links(node_x_m=np.array([0., 1., 2.]), node_y_m=np.zeros(3),
        ...     link_from=np.array([0, 1, 0]), link_to=np.array([1, 2, 2]),
        ...     length_m=np.array([500., 500., 1500.]), lanes=np.ones(3),
        ...     speed_mps=np.full(3, 10.), capacity_vph=np.full(3, 1800.))
        >>> times = np.array([[50., 50., 150.], [500., 50., 150.]])   # link 0 jams later
        >>> r = td_best_routes(net, times, 600., np.zeros((1, 3)), 1800.,
        ...                    np.array([0, 0]), np.array([2, 2]), np.array([10., 700.]))
        >>> [r.links[r.start[i]:r.start[i + 1]].tolist() for i in range(2)]
        [[0, 1], [2]]
    """
    n = len(origin_node)
    n_iv = link_time_s.shape[0]
    window_s = float(interval_s if window_s is None else window_s)
    n_win = max(1, int(np.ceil(n_iv * interval_s / window_s)))
    iv = np.clip((np.asarray(departure_s) // window_s).astype(np.int64), 0, n_win - 1)
    origin_node = np.asarray(origin_node, dtype=np.int32)
    dest_node = np.asarray(dest_node, dtype=np.int32)
    key = iv * net.n_nodes + origin_node
    jobs, inverse = np.unique(key, return_inverse=True)
    job_origin = (jobs % net.n_nodes).astype(np.int32)
    job_t0 = (jobs // net.n_nodes + 0.5) * window_s
    batch = max(1, TD_BATCH_BYTES // max(1, 4 * net.n_nodes))
    lt = np.ascontiguousarray(link_time_s, dtype=np.float64)
    tc = np.ascontiguousarray(np.atleast_2d(toll_cost_s), dtype=np.float64)
    ok = np.zeros(n, dtype=bool)
    ids_l, starts_l, links_l = [], [], []
    for b0 in range(0, len(jobs), batch):  # bounded memory; a few batches at most
        sel = np.flatnonzero((inverse >= b0) & (inverse < b0 + batch))
        if len(sel) == 0:
            continue
        pred = td_trees(net.out_start, net.out_link, net.link_to, lt, float(interval_s), tc,
                        float(toll_slot_s), job_origin[b0:b0 + batch], job_t0[b0:b0 + batch])
        tree = (inverse[sel] - b0).astype(np.int32)
        st, lk, good = extract_routes(pred, net.link_from, tree, origin_node[sel],
                                      dest_node[sel])
        ok[sel] = good
        ids_l.append(sel)
        starts_l.append(st)
        links_l.append(lk)
    start, links = assemble_csr(n, ids_l, starts_l, links_l)
    return Routes(start=start, links=links, ok=ok, cost_s=np.full(n, np.nan))


@njit(cache=True, inline="always")
def _lerp(t_s, inv_iv, n_iv):
    """Intervals and weight to interpolate a per-interval value at ``t_s`` between midpoints.

    Returns ``(i0, i1, f)``: the value is ``(1 − f)·v[i0] + f·v[i1]``; flat before the
    first midpoint and after the last.
    """
    x = t_s * inv_iv - 0.5
    if x <= 0.0:
        return 0, 0, 0.0
    if x >= n_iv - 1:
        return n_iv - 1, n_iv - 1, 0.0
    i0 = int(x)
    return i0, i0 + 1, x - i0


@njit(cache=True, inline="always")
def _walk_cost(links, turns, a, b, t0, link_time_s, inv_iv, n_iv, toll_cost_s, inv_ts, n_ts,
               pa, early_weight, late_weight, depart_wait_s):
    """Generalised cost of one route (positions ``a..b`` of the pool) departing at ``t0``.

    The walk starts with the wait to enter the first link (``depart_wait_s``,
    by departure interval: a full first link holds departures back).
    """
    t = t0
    if a < b:  # an empty route (origin = destination) arrives on departure
        i0, i1, f = _lerp(t0, inv_iv, n_iv)
        t += (1.0 - f) * depart_wait_s[i0, links[a]] + f * depart_wait_s[i1, links[a]]
    paid = 0.0
    for j in range(a, b):
        lk = links[j]
        mv = turns[j]
        paid += toll_cost_s[min(int(t * inv_ts), n_ts - 1), lk]
        # link time interpolated between interval midpoints: continuous in the entry
        # time, so a departure a minute later costs a little more, not a jump
        i0, i1, f = _lerp(t, inv_iv, n_iv)
        t += (1.0 - f) * link_time_s[i0, lk, mv] + f * link_time_s[i1, lk, mv]
    c = t - t0 + paid
    if pa == pa:  # a preferred arrival: schedule delay (not NaN)
        if t < pa:
            c += early_weight * (pa - t)
        else:
            c += late_weight * (t - pa)
    return c


@njit(cache=True, parallel=True)
def score_alternatives(route_start, route_links, route_turn, route_id, cand_start, cand_links,
                       cand_turns, departure_s, shift_s, shifts_ok, preferred_arrival_s, chosen,
                       shift, link_time_s, depart_wait_s, interval_s, toll_cost_s, toll_slot_s,
                       early_weight, late_weight, horizon_s):
    """Score every remembered route × departure shift of each entry, plus a candidate route.

    ``route_id[i, k]`` (−1 empty) indexes the CSR pool (``route_start``,
    ``route_links``, and ``route_turn``: the movement at the end of each link);
    entry ``i``'s candidate (e.g. the day's best path; empty = none) is
    ``cand_links[cand_start[i]:cand_start[i + 1]]``, route number ``k``.
    ``link_time_s[interval, link, movement]`` are experienced times by interval
    of entry (:func:`~twincity.traffic.linkcosts.movement_times_s`), and
    ``depart_wait_s[interval, link]`` the wait to enter a first link by
    departure interval. Entry ``i``
    departs at ``departure_s[i] + shift_s[s]`` (clipped to ``[0, horizon_s)``) for
    every shift ``s`` if ``shifts_ok[i]``, else only at the shift nearest 0.
    Cost (s) = time + toll + schedule delay (``early_weight`` / ``late_weight``
    per s early / late against ``preferred_arrival_s[i]``; NaN = none).

    Returns ``current[i]`` (the chosen route and shift; inf if none), ``best[i]``,
    ``best_alt[i]`` (``route * n_shifts + s``, route ``k`` = the candidate) and
    ``worst[i]``: the slot a new route should take (the first empty one, else
    the remembered route whose best shift costs most, never the chosen one).
    """
    n, k = route_id.shape
    d = len(shift_s)
    n_iv = link_time_s.shape[0]
    n_ts = toll_cost_s.shape[0]
    inv_iv = 1.0 / interval_s
    inv_ts = 1.0 / toll_slot_s
    zero = 0
    for s in range(d):
        if abs(shift_s[s]) < abs(shift_s[zero]):
            zero = s
    current = np.full(n, np.inf)
    best = np.full(n, np.inf)
    best_alt = np.full(n, -1, dtype=np.int64)
    worst = np.zeros(n, dtype=np.int64)
    for i in numba.prange(n):
        pa = preferred_arrival_s[i]
        worst_cost = -np.inf
        worst_slot = -1
        empty = -1
        for r in range(k + 1):
            if r < k:
                rid = route_id[i, r]
                if rid < 0:
                    if empty < 0:
                        empty = r
                    continue
                a, b = route_start[rid], route_start[rid + 1]
            else:
                a, b = cand_start[i], cand_start[i + 1]
                if a == b:
                    continue
            route_best = np.inf
            for s in range(d):
                if not shifts_ok[i] and s != zero:
                    continue
                t0 = min(max(departure_s[i] + shift_s[s], 0.0), horizon_s - 1.0)
                if r < k:
                    c = _walk_cost(route_links, route_turn, a, b, t0, link_time_s, inv_iv, n_iv,
                                   toll_cost_s, inv_ts, n_ts, pa, early_weight, late_weight,
                                   depart_wait_s)
                else:
                    c = _walk_cost(cand_links, cand_turns, a, b, t0, link_time_s, inv_iv, n_iv,
                                   toll_cost_s, inv_ts, n_ts, pa, early_weight, late_weight,
                                   depart_wait_s)
                if r == chosen[i] and s == shift[i]:
                    current[i] = c
                if c < best[i]:
                    best[i] = c
                    best_alt[i] = r * d + s
                if c < route_best:
                    route_best = c
            if r < k and r != chosen[i] and route_best > worst_cost:
                worst_cost = route_best
                worst_slot = r
        worst[i] = empty if empty >= 0 else max(worst_slot, 0)
    return current, best, best_alt, worst
