"""Time-dependent best paths and route scoring against second implementations.

* :func:`~twincity.traffic.tdroutes.td_best_routes` grows each (origin, window)
  tree only until its trips' destinations are settled; its paths must cost
  what the best of *every* simple path costs when walked through the same
  per-interval link times from the window's middle (enumeration with networkx,
  independent of the Dijkstra kernel), tolls included.
* :func:`~twincity.traffic.tdroutes.score_alternatives` walks each route for
  all departure shifts at once on link-major arrays; its costs must equal a
  plain Python walk of one route and one departure at a time (the definition
  in the module docstring), bit for bit, and skipping candidates the entry
  already remembers must not change any output.
"""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np

from twincity.city.network import Network, route_turns
from twincity.traffic.tdroutes import score_alternatives, td_best_routes


def _grid(n: int = 4, seed: int = 0) -> Network:
    """A directed n×n grid (both directions), random lengths."""
    rng = np.random.default_rng(seed)
    frm, to = [], []
    for r in range(n):
        for c in range(n):
            v = r * n + c
            for dr, dc in ((0, 1), (1, 0)):
                if r + dr < n and c + dc < n:
                    w = (r + dr) * n + c + dc
                    frm += [v, w]
                    to += [w, v]
    m = len(frm)
    return Network.from_links(
        node_x_m=np.tile(np.arange(n), n) * 500.0, node_y_m=np.repeat(np.arange(n), n) * 500.0,
        link_from=np.array(frm), link_to=np.array(to), length_m=rng.uniform(300, 900, m),
        lanes=np.ones(m), speed_mps=np.full(m, 10.0), capacity_vph=np.full(m, 1800.0))


def _step_walk(links, t0, link_time_s, interval_s, toll_cost_s, toll_slot_s) -> float:
    """Cost of a path departing at t0 under piecewise-constant interval link times and tolls."""
    t, c = t0, 0.0
    for lk in links:
        iv = min(int(t // interval_s), link_time_s.shape[0] - 1)
        ts = min(int(t // toll_slot_s), toll_cost_s.shape[0] - 1)
        tt = link_time_s[iv, lk]
        c += tt + toll_cost_s[ts, lk]
        t += tt
    return c


def test_td_best_routes_are_the_cheapest_of_all_simple_paths() -> None:
    net = _grid()
    rng = np.random.default_rng(1)
    interval_s, n_iv = 300.0, 12
    # link times that grow over the day, by a lot (then entering a link later never
    # gets one out earlier, and a label-setting search is exact), and a toll on
    # some links
    base = net.free_flow_s[None, :] * rng.uniform(1.0, 3.0, (n_iv, net.n_links))
    link_time_s = np.maximum.accumulate(base, axis=0)
    toll = np.zeros((2, net.n_links))
    toll[:, rng.choice(net.n_links, 8, replace=False)] = 120.0
    n = 60
    o = rng.integers(0, net.n_nodes, n)
    d = rng.integers(0, net.n_nodes, n)
    dep = rng.uniform(0, n_iv * interval_s, n)
    window_s = 900.0
    r = td_best_routes(net, link_time_s, interval_s, toll, 1800.0, o, d, dep, window_s=window_s)
    g = nx.DiGraph()
    for lk in range(net.n_links):
        g.add_edge(int(net.link_from[lk]), int(net.link_to[lk]), link=lk)
    for i in range(n):
        assert r.ok[i]
        got = r.links[r.start[i]:r.start[i + 1]]
        if o[i] == d[i]:
            assert len(got) == 0
            continue
        t0 = (dep[i] // window_s + 0.5) * window_s  # trees grow from the window's middle
        best = min(_step_walk([g.edges[a, b]["link"] for a, b in itertools.pairwise(p)],
                              t0, link_time_s, interval_s, toll, 1800.0)
                   for p in nx.all_simple_paths(g, int(o[i]), int(d[i])))
        assert net.link_from[got[0]] == o[i] and net.link_to[got[-1]] == d[i]
        assert np.all(net.link_to[got[:-1]] == net.link_from[got[1:]])
        assert _step_walk(got, t0, link_time_s, interval_s, toll, 1800.0) <= best + 1e-9


def _lerp_walk(links, turns, t0, lt, wait, inv_iv, toll, inv_ts, pa, early, late) -> float:
    """One route, one departure: the definition of tdroutes' experienced cost, in Python."""
    n_iv, n_ts = lt.shape[0], toll.shape[0]

    def lerp(t):
        x = t * inv_iv - 0.5
        if x <= 0.0:
            return 0, 0, 0.0
        if x >= n_iv - 1:
            return n_iv - 1, n_iv - 1, 0.0
        return int(x), int(x) + 1, x - int(x)

    t = t0
    if len(links):
        i0, i1, f = lerp(t0)
        t += (1.0 - f) * wait[i0, links[0]] + f * wait[i1, links[0]]
    paid = 0.0
    for lk, mv in zip(links, turns, strict=True):
        paid += toll[min(int(t * inv_ts), n_ts - 1), lk]
        i0, i1, f = lerp(t)
        t += (1.0 - f) * lt[i0, lk, mv] + f * lt[i1, lk, mv]
    c = t - t0 + paid
    if pa == pa:
        c += early * (pa - t) if t < pa else late * (t - pa)
    return c


def test_scores_equal_a_plain_walk_per_route_and_departure() -> None:
    net = _grid(5, seed=3)
    rng = np.random.default_rng(4)
    n_iv, interval_s = 16, 900.0
    n_mv = int(route_turns(net, np.array([0, 1]), np.array([0])).max()) + 1
    lt = net.free_flow_s[None, :, None] * rng.uniform(1.0, 2.5, (n_iv, net.n_links, n_mv))
    wait = rng.uniform(0, 30, (n_iv, net.n_links))
    toll = np.zeros((8, net.n_links))
    toll[3, rng.choice(net.n_links, 10, replace=False)] = 200.0
    # routes: trees from random origins/destinations at random times
    n, k = 40, 3
    o, d = rng.integers(0, net.n_nodes, n), rng.integers(0, net.n_nodes, n)
    pools = [td_best_routes(net, lt[:, :, 0] * rng.uniform(0.8, 1.5, (n_iv, net.n_links)),
                            interval_s, toll, 1800.0, o, d, rng.uniform(0, 14 * 3600, n))
             for _ in range(k + 1)]
    starts, links, rid = [0], [], np.full((n, k), -1, dtype=np.int64)
    for r in range(k):
        for i in range(n):
            if r < 2 or i % 3:  # some entries remember fewer routes
                seg = pools[r].links[pools[r].start[i]:pools[r].start[i + 1]]
                rid[i, r] = len(starts) - 1
                links.extend(seg.tolist())
                starts.append(len(links))
    start, links = np.array(starts, dtype=np.int64), np.array(links, dtype=np.int32)
    turns = route_turns(net, start, links)
    cand = pools[k]
    cturns = route_turns(net, cand.start, cand.links)
    shifts = np.arange(-3600.0, 1801.0, 600.0)
    dep = rng.uniform(0, 14 * 3600, n)
    person = rng.random(n) < 0.8
    pa = np.where(rng.random(n) < 0.9, dep + rng.uniform(300, 1500, n), np.nan)
    chosen = np.zeros(n, dtype=np.int64)
    shift = rng.integers(0, len(shifts), n)
    shift[~person] = 6  # trucks depart at the zero shift
    args = (start, links, turns, rid, cand.start, cand.links, cturns, dep, shifts, person, pa,
            chosen, shift, lt, wait, interval_s, toll, 1800.0, 0.61, 2.38, 86400.0)
    cur, best, best_alt, worst = score_alternatives(*args)
    for i in range(n):
        costs = {}
        for r in range(k + 1):
            if r < k:
                if rid[i, r] < 0:
                    continue
                a, b = start[rid[i, r]], start[rid[i, r] + 1]
                lk, tn = links[a:b], turns[a:b]
            else:
                a, b = cand.start[i], cand.start[i + 1]
                if a == b:
                    continue
                lk, tn = cand.links[a:b], cturns[a:b]
            for s in range(len(shifts)):
                if not person[i] and s != 6:
                    continue
                t0 = min(max(dep[i] + shifts[s], 0.0), 86400.0 - 1.0)
                costs[r * len(shifts) + s] = _lerp_walk(
                    lk, tn, t0, lt, wait, 1.0 / interval_s, toll, 1.0 / 1800.0, pa[i], 0.61,
                    2.38)
        alt = min(costs, key=lambda a: (costs[a], a))
        assert best[i] == costs[alt] and best_alt[i] == alt
        assert cur[i] == costs[chosen[i] * len(shifts) + shift[i]]
    # a candidate the entry remembers (here: make it so) need not be walked again
    cand2_links, cand2_start = links, start[rid[:, 0]]
    cs = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(start[rid[:, 0] + 1] - cand2_start, out=cs[1:])
    cl = np.concatenate([cand2_links[a:b] for a, b in zip(cand2_start, start[rid[:, 0] + 1],
                                                         strict=True)])
    a2 = list(args)
    a2[4], a2[5], a2[6] = cs, cl, route_turns(net, cs, cl)
    full = score_alternatives(*a2)
    skipped = score_alternatives(*a2, cand_known=np.ones(n, dtype=bool))
    for x, y in zip(full, skipped, strict=True):
        assert np.array_equal(x, y)
    assert worst.min() >= 0


def test_static_trees_stopped_at_targets_agree_with_whole_trees_there() -> None:
    from twincity.traffic.routing import shortest_path_trees

    net = _grid(6, seed=5)
    rng = np.random.default_rng(6)
    costs = net.free_flow_s[None, :] * rng.uniform(1.0, 2.0, (3, net.n_links))
    origins = np.tile(np.arange(0, net.n_nodes, 5), 3)
    rows = np.repeat(np.arange(3), len(origins) // 3)
    targets = np.array([3, 17, 22, 35])
    d_all, p_all = shortest_path_trees(net.out_start, net.out_link, net.link_to, costs, origins,
                                       cost_row=rows)
    d_t, p_t = shortest_path_trees(net.out_start, net.out_link, net.link_to, costs, origins,
                                   cost_row=rows, targets=targets)
    assert np.array_equal(d_all[:, targets], d_t[:, targets])
    assert np.array_equal(p_all[:, targets], p_t[:, targets])
    for k, (o, r) in enumerate(zip(origins, rows, strict=True)):  # each row is its own cost set
        d1, _ = shortest_path_trees(net.out_start, net.out_link, net.link_to, costs[r], [o])
        assert np.array_equal(d1[0], d_all[k])
