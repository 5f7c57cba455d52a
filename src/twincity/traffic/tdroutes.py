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
def td_tree_to(out_start, out_link, link_to, link_time_s, interval_s, toll_cost_s, toll_slot_s,
               origin, t0_s, cost, time_s, pred, heap, hkey, pos, need, n_need, tolled):
    """:func:`td_tree`, stopped once the ``n_need`` nodes flagged in ``need`` are settled.

    Dijkstra's labels are final when a node is settled and the pops before the
    stop are the full tree's, so the paths to the flagged nodes are the full
    tree's, link for link; ``n_need`` ≤ 0 grows the whole tree. ``tolled``
    False skips the toll table (all zero: adding 0.0 changes no label).
    Returns the number of nodes settled.
    """
    n_iv = link_time_s.shape[0]
    n_ts = toll_cost_s.shape[0]
    size = heap_start(origin, cost, pred, heap, hkey, pos)
    time_s[origin] = t0_s
    left = n_need
    settled = 0
    while size > 0:
        u, size = heap_pop(heap, hkey, pos, size)
        settled += 1
        if left > 0 and need[u]:
            left -= 1
            if left == 0:
                return settled
        tu = time_s[u]
        cu = cost[u]
        iv = _interval(tu, interval_s, n_iv)
        ts = _interval(tu, toll_slot_s, n_ts)
        for j in range(out_start[u], out_start[u + 1]):
            link = out_link[j]
            v = link_to[link]
            if pos[v] == SETTLED:
                continue
            tt = link_time_s[iv, link]
            nd = cu + tt
            if tolled:
                nd = nd + toll_cost_s[ts, link]
            if nd < cost[v]:
                cost[v] = nd
                time_s[v] = tu + tt
                pred[v] = link
                size = heap_offer(heap, hkey, pos, v, nd, size)
    return settled


@njit(cache=True)
def td_tree(out_start, out_link, link_to, link_time_s, interval_s, toll_cost_s, toll_slot_s,
             origin, t0_s, cost, time_s, pred, heap, pos):
    """Time-dependent Dijkstra from ``origin`` departing at ``t0_s`` (labels: generalised s)."""
    td_tree_to(out_start, out_link, link_to, link_time_s, interval_s, toll_cost_s, toll_slot_s,
               origin, t0_s, cost, time_s, pred, heap, np.empty(len(heap)), pos,
               np.zeros(0, dtype=np.bool_), 0, True)


@njit(cache=True, parallel=True)
def td_trees(out_start, out_link, link_to, link_time_s, interval_s, toll_cost_s, toll_slot_s,
             origins, t0_s, dest_start, dest_node):
    """Predecessor links ``pred[tree, node]`` of time-dependent trees (one per origin and time).

    Tree ``b`` is grown until the nodes ``dest_node[dest_start[b]:dest_start[b + 1]]``
    are settled (:func:`td_tree_to`); other nodes' ``pred`` may be tentative.
    Returns ``(pred, settled)``, ``settled[b]`` the nodes tree ``b`` settled.
    """
    n_nodes = len(out_start) - 1
    m = len(origins)
    pred = np.empty((m, n_nodes), dtype=np.int32)
    settled = np.zeros(m, dtype=np.int64)
    tolled = False
    for x in toll_cost_s.ravel():
        if x != 0.0:
            tolled = True
            break
    for b in numba.prange(m):
        cost = np.empty(n_nodes)
        time_s = np.empty(n_nodes)
        heap = np.empty(n_nodes, dtype=np.int32)
        hkey = np.empty(n_nodes, dtype=np.float64)
        pos = np.empty(n_nodes, dtype=np.int32)
        need = np.zeros(n_nodes, dtype=np.bool_)
        n_need = 0
        for j in range(dest_start[b], dest_start[b + 1]):
            if not need[dest_node[j]]:
                need[dest_node[j]] = True
                n_need += 1
        settled[b] = td_tree_to(out_start, out_link, link_to, link_time_s, interval_s,
                                toll_cost_s, toll_slot_s, origins[b], t0_s[b], cost, time_s,
                                pred[b], heap, hkey, pos, need, max(n_need, 1), tolled)
    return pred, settled


#: Memory allowed for one batch of time-dependent trees (pred per node).
TD_BATCH_BYTES = 64 * 2**20


def td_best_routes(net: Network, link_time_s: np.ndarray, interval_s: float,
                   toll_cost_s: np.ndarray, toll_slot_s: float, origin_node: np.ndarray,
                   dest_node: np.ndarray, departure_s: np.ndarray, *,
                   window_s: float | None = None, stats: dict | None = None) -> Routes:
    """Time-dependent least-cost routes of trips departing at ``departure_s``.

    Trips from the same origin departing in the same window of ``window_s``
    (default: one interval) share one tree, grown from the window's middle.
    Each tree grows only until its trips' destinations are settled (the same
    paths as the whole tree). ``cost_s`` of the result is NaN: walk the routes
    (:func:`score_alternatives`) for their exact costs. ``stats`` (optional)
    gains the trees grown (``"trees"``) and the nodes they settled
    (``"tree nodes"``).

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
    # each tree grows only until its trips' destinations are settled
    by_job = np.argsort(inverse, kind="stable")
    job_dest = dest_node[by_job]
    dest_start = np.zeros(len(jobs) + 1, dtype=np.int64)
    np.cumsum(np.bincount(inverse, minlength=len(jobs)), out=dest_start[1:])
    lt = np.ascontiguousarray(link_time_s, dtype=np.float64)
    tc = np.ascontiguousarray(np.atleast_2d(toll_cost_s), dtype=np.float64)
    ok = np.zeros(n, dtype=bool)
    ids_l, starts_l, links_l = [], [], []
    for b0 in range(0, len(jobs), batch):  # bounded memory; a few batches at most
        sel = np.flatnonzero((inverse >= b0) & (inverse < b0 + batch))
        if len(sel) == 0:
            continue
        b1 = min(b0 + batch, len(jobs))
        ds = dest_start[b0:b1 + 1]
        pred, settled = td_trees(net.out_start, net.out_link, net.link_to, lt,
                                 float(interval_s), tc, float(toll_slot_s), job_origin[b0:b1],
                                 job_t0[b0:b1], ds - ds[0], job_dest[ds[0]:ds[-1]])
        if stats is not None:
            stats["trees"] = stats.get("trees", 0) + (b1 - b0)
            stats["tree nodes"] = stats.get("tree nodes", 0) + int(settled.sum())
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


@njit(cache=True, inline="always")
def _walk_shifts(links, turns, a, b, t0, active, n_act, pa, link_time_t, inv_iv, n_iv,
                 toll_t, inv_ts, n_ts, early_weight, late_weight, depart_wait_t, t, paid, out):
    """:func:`_walk_cost` of one route for several departures at once (``t0[active[:n_act]]``).

    The same operations in the same order per departure as :func:`_walk_cost`
    (bit-identical costs), on arrays laid out link-major (``link_time_t[link,
    movement, interval]``, ``toll_t[link, toll slot]``, ``depart_wait_t[link,
    interval]``): the departures of one route read neighbouring intervals of the
    same link, one cache line instead of one per departure. Costs go to ``out``.
    """
    for q in range(n_act):
        t[q] = t0[active[q]]
        paid[q] = 0.0
    if a < b:  # an empty route (origin = destination) arrives on departure
        first = links[a]
        for q in range(n_act):
            i0, i1, f = _lerp(t[q], inv_iv, n_iv)
            t[q] += (1.0 - f) * depart_wait_t[first, i0] + f * depart_wait_t[first, i1]
    for j in range(a, b):
        lk = links[j]
        mv = turns[j]
        for q in range(n_act):
            tq = t[q]
            paid[q] += toll_t[lk, min(int(tq * inv_ts), n_ts - 1)]
            i0, i1, f = _lerp(tq, inv_iv, n_iv)
            t[q] = tq + ((1.0 - f) * link_time_t[lk, mv, i0] + f * link_time_t[lk, mv, i1])
    for q in range(n_act):
        tq = t[q]
        c = tq - t0[active[q]] + paid[q]
        if pa == pa:  # a preferred arrival: schedule delay (not NaN)
            if tq < pa:
                c += early_weight * (pa - tq)
            else:
                c += late_weight * (tq - pa)
        out[q] = c


@njit(cache=True, parallel=True)
def _score_kernel(route_start, route_links, route_turn, route_id, cand_start, cand_links,
                  cand_turns, cand_known, departure_s, shift_s, shifts_ok, preferred_arrival_s,
                  chosen, shift, link_time_t, depart_wait_t, interval_s, toll_t, toll_slot_s,
                  early_weight, late_weight, horizon_s, n_chunks):
    """:func:`score_alternatives` on link-major arrays, entries in ``n_chunks`` parallel chunks."""
    n, k = route_id.shape
    d = len(shift_s)
    n_iv = link_time_t.shape[2]
    n_ts = toll_t.shape[1]
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
    for ch in numba.prange(n_chunks):
        t0 = np.empty(d)
        active = np.empty(d, dtype=np.int64)
        t = np.empty(d)
        paid = np.empty(d)
        cost = np.empty(d)
        for i in range(ch * n // n_chunks, (ch + 1) * n // n_chunks):
            pa = preferred_arrival_s[i]
            n_act = 0
            for s in range(d):
                if not shifts_ok[i] and s != zero:
                    continue
                t0[s] = min(max(departure_s[i] + shift_s[s], 0.0), horizon_s - 1.0)
                active[n_act] = s
                n_act += 1
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
                    _walk_shifts(route_links, route_turn, route_start[rid], route_start[rid + 1],
                                 t0, active, n_act, pa, link_time_t, inv_iv, n_iv, toll_t,
                                 inv_ts, n_ts, early_weight, late_weight, depart_wait_t, t, paid,
                                 cost)
                else:
                    a, b = cand_start[i], cand_start[i + 1]
                    # an empty candidate is none; a remembered one costs what its slot costs
                    if a == b or cand_known[i]:
                        continue
                    _walk_shifts(cand_links, cand_turns, a, b, t0, active, n_act, pa,
                                 link_time_t, inv_iv, n_iv, toll_t, inv_ts, n_ts, early_weight,
                                 late_weight, depart_wait_t, t, paid, cost)
                route_best = np.inf
                for q in range(n_act):
                    s = active[q]
                    c = cost[q]
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


def score_alternatives(route_start, route_links, route_turn, route_id, cand_start, cand_links,
                       cand_turns, departure_s, shift_s, shifts_ok, preferred_arrival_s, chosen,
                       shift, link_time_s, depart_wait_s, interval_s, toll_cost_s, toll_slot_s,
                       early_weight, late_weight, horizon_s, cand_known=None):
    """Score every remembered route × departure shift of each entry, plus a candidate route.

    ``route_id[i, k]`` (−1 empty) indexes the CSR pool (``route_start``,
    ``route_links``, and ``route_turn``: the movement at the end of each link);
    entry ``i``'s candidate (e.g. the day's best path; empty = none) is
    ``cand_links[cand_start[i]:cand_start[i + 1]]``, route number ``k``.
    ``cand_known[i]`` (optional) says the candidate is already one of the entry's
    remembered routes: it is not walked again (its costs are that route's, and
    a tie never makes the candidate the best, so the results are the same).
    ``link_time_s[interval, link, movement]`` are experienced times by interval
    of entry (:func:`~twincity.traffic.linkcosts.movement_times_s`), and
    ``depart_wait_s[interval, link]`` the wait to enter a first link by
    departure interval. Entry ``i``
    departs at ``departure_s[i] + shift_s[s]`` (clipped to ``[0, horizon_s)``) for
    every shift ``s`` if ``shifts_ok[i]``, else only at the shift nearest 0.
    Cost (s) = time + toll + schedule delay (``early_weight`` / ``late_weight``
    per s early / late against ``preferred_arrival_s[i]``; NaN = none). Each
    route is walked for all its departures at once (:func:`_walk_shifts`, the
    operations of :func:`_walk_cost` per departure).

    Returns ``current[i]`` (the chosen route and shift; inf if none), ``best[i]``,
    ``best_alt[i]`` (``route * n_shifts + s``, route ``k`` = the candidate) and
    ``worst[i]``: the slot a new route should take (the first empty one, else
    the remembered route whose best shift costs most, never the chosen one).
    """
    n = len(route_id)
    known = (np.zeros(n, dtype=np.bool_) if cand_known is None
             else np.ascontiguousarray(cand_known, dtype=np.bool_))
    link_time_t = np.ascontiguousarray(np.transpose(link_time_s, (1, 2, 0)), dtype=np.float64)
    wait_t = np.ascontiguousarray(np.asarray(depart_wait_s, dtype=np.float64).T)
    toll_t = np.ascontiguousarray(np.atleast_2d(np.asarray(toll_cost_s, dtype=np.float64)).T)
    return _score_kernel(route_start, route_links, route_turn, route_id, cand_start, cand_links,
                         cand_turns, known, np.asarray(departure_s, dtype=np.float64),
                         np.asarray(shift_s, dtype=np.float64), shifts_ok,
                         np.asarray(preferred_arrival_s, dtype=np.float64), chosen, shift,
                         link_time_t, wait_t, float(interval_s), toll_t, float(toll_slot_s),
                         float(early_weight), float(late_weight), float(horizon_s),
                         max(1, min(n, 64 * numba.get_num_threads())))
