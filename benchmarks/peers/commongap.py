"""One convergence measure for every tool: the time-dependent relative gap of its own day.

Each DUE tool reports its own convergence figure (twincity: relative gap over
remembered routes and departures; UXsim ``SolverDUE``: mean time gap per
vehicle over its enumerated route set; SUMO ``duaIterate``: the spread of mean
travel times over recent steps). They measure different things, so each
tool's day is also scored here, the same way:

1. **Link times by entry.** From the tool's own day: for every link and
   interval of :data:`INTERVAL_S`, the mean traversal time (exit − entry) of
   the vehicles that *entered* it then; intervals nobody entered take the mean
   of the vehicles that *left* it then (a link blocked all interval long has
   leavers but no entrants), else free flow. Never below free flow.
2. **Experienced cost** ``c_i`` of each completed trip: its own driven route,
   walked from its departure through those times (a link's time is the one of
   the interval the vehicle enters it; no interpolation).
3. **Best cost** ``b_i``: the time-dependent least-time path from its origin
   at its departure to its destination under the same times (twincity's
   label-setting time-dependent Dijkstra, :func:`twincity.traffic.tdroutes.td_tree`).
4. **Relative gap** = Σ (c_i − min(c_i, b_i)) / Σ c_i over completed trips.

Both costs use the same link-time function, so a tool whose every driver
takes a least-time path scores 0 whatever its simulation's noise, and the
measure does not depend on how a tool chooses routes (route sets, memory,
departure choice). Waits to enter the network are left out of both costs
(each tool queues departures differently). The first link of a route starts
at the trip's departure for every tool.

Example (a two-route network, a hand-computed case: see tests/test_bench_peers.py):
    >>> import numpy as np
    >>> lt = link_times_from_stats(np.array([[90.0, 50.0]]), np.array([[1, 1]]),
    ...     np.zeros((1, 2)), np.zeros((1, 2)), free_flow_s=np.array([50.0, 50.0]))
    >>> lt.tolist()
    [[90.0, 50.0]]
"""

from __future__ import annotations

import numpy as np
from numba import njit

from twincity.traffic.tdroutes import td_tree

#: Interval of the link-time function (s).
INTERVAL_S = 300.0


def traversal_stats(link: np.ndarray, t_in_s: np.ndarray, t_out_s: np.ndarray, n_links: int,
                    n_iv: int, interval_s: float = INTERVAL_S):
    """Sums and counts of traversal times by entry and by exit interval, ``[n_iv, n_links]``.

    ``link``, ``t_in_s``, ``t_out_s``: one row per completed link traversal.
    """
    link = np.asarray(link, dtype=np.int64)
    tt = np.asarray(t_out_s, dtype=np.float64) - np.asarray(t_in_s, dtype=np.float64)

    def grid(t):
        iv = np.clip((np.asarray(t) // interval_s).astype(np.int64), 0, n_iv - 1)
        cell = iv * n_links + link
        s = np.bincount(cell, weights=tt, minlength=n_iv * n_links).reshape(n_iv, n_links)
        n = np.bincount(cell, minlength=n_iv * n_links).reshape(n_iv, n_links)
        return s, n

    return (*grid(t_in_s), *grid(t_out_s))


def link_times_from_stats(entry_sum_s, entry_n, exit_sum_s, exit_n, *,
                          free_flow_s: np.ndarray) -> np.ndarray:
    """Link times ``[n_iv, n_links]`` by entry interval (module docstring, step 1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        by_exit = np.where(exit_n > 0, exit_sum_s / exit_n, free_flow_s[None, :])
        t = np.where(entry_n > 0, entry_sum_s / entry_n, by_exit)
    return np.maximum(t, free_flow_s[None, :])


@njit(cache=True)
def _walk(links, a, b, t0, link_time_s, interval_s):
    n_iv = link_time_s.shape[0]
    t = t0
    for j in range(a, b):
        iv = min(max(int(t // interval_s), 0), n_iv - 1)
        t += link_time_s[iv, links[j]]
    return t - t0


@njit(cache=True)
def _costs(out_start, out_link, link_to, link_time_s, interval_s, origin, dest, dep,
           route_start, route_links):
    n_nodes = len(out_start) - 1
    n = len(origin)
    cur = np.empty(n)
    best = np.empty(n)
    cost = np.empty(n_nodes)
    time_s = np.empty(n_nodes)
    pred = np.empty(n_nodes, dtype=np.int32)
    heap = np.empty(n_nodes, dtype=np.int32)
    pos = np.empty(n_nodes, dtype=np.int32)
    no_toll = np.zeros((1, link_time_s.shape[1]))
    for i in range(n):
        cur[i] = _walk(route_links, route_start[i], route_start[i + 1], dep[i], link_time_s,
                       interval_s)
        td_tree(out_start, out_link, link_to, link_time_s, interval_s, no_toll, 1e12,
                 origin[i], dep[i], cost, time_s, pred, heap, pos)
        best[i] = cost[dest[i]]
    return cur, best


def common_gap(net, link_time_s: np.ndarray, origin: np.ndarray, dest: np.ndarray,
               departure_s: np.ndarray, route_start: np.ndarray, route_links: np.ndarray,
               interval_s: float = INTERVAL_S) -> tuple[float, np.ndarray, np.ndarray]:
    """Relative gap, experienced costs ``c`` and best costs ``b`` of completed trips.

    ``route_start``/``route_links``: each trip's driven route (CSR, link indices of
    ``net``); pass completed trips only.
    """
    cur, best = _costs(net.out_start, net.out_link, net.link_to,
                       np.ascontiguousarray(link_time_s, dtype=np.float64), float(interval_s),
                       np.asarray(origin, np.int32), np.asarray(dest, np.int32),
                       np.asarray(departure_s, np.float64), np.asarray(route_start, np.int64),
                       np.asarray(route_links, np.int64))
    best = np.minimum(best, cur)  # the step function is not FIFO at interval edges
    total = float(cur.sum())
    return (float((cur - best).sum() / total) if total > 0 else 0.0), cur, best


def gap_from_traversals(net, origin, dest, departure_s, veh, link, t_in_s, t_out_s,
                        completed: np.ndarray, horizon_s: float,
                        interval_s: float = INTERVAL_S) -> float:
    """:func:`common_gap` of a day given as link traversals ``(veh, link, t_in, t_out)``.

    Rows of one vehicle must be in driving order; ``t_out`` NaN for a traversal not
    finished by the end of the day. ``completed[v]``: vehicle ``v`` arrived.
    """
    n_iv = max(1, int(np.ceil(horizon_s / interval_s)))
    done = np.isfinite(t_out_s)
    stats = traversal_stats(link[done], t_in_s[done], t_out_s[done], net.n_links, n_iv,
                            interval_s)
    lt = link_times_from_stats(*stats, free_flow_s=net.free_flow_s)
    keep = completed[veh]
    v, lk = veh[keep], link[keep]
    order = np.argsort(v, kind="stable")
    v, lk = v[order], lk[order]
    trips = np.flatnonzero(completed)
    counts = np.bincount(v, minlength=len(completed))[trips]
    start = np.concatenate([[0], np.cumsum(counts)])
    return common_gap(net, lt, origin[trips], dest[trips], departure_s[trips], start, lk,
                      interval_s)[0]
