"""Time-dependent routes for many trips, as CSR arrays.

Link costs vary by *routing slot* (e.g. each hour of the day). Trips that
depart in the same slot from the same origin node share one shortest-path
tree; trees are grown in batches so memory stays bounded on large networks.
A route is a CSR slice: trip ``i`` travels ``links[start[i]:start[i + 1]]``.

Example:
    >>> import numpy as np
    >>> from twincity.city.network import Network
    >>> net = Network.from_links(node_x_m=np.array([0., 1., 2.]), node_y_m=np.zeros(3),
    ...     link_from=np.array([0, 1, 0]), link_to=np.array([1, 2, 2]),
    ...     length_m=np.array([500., 500., 1500.]), lanes=np.ones(3),
    ...     speed_mps=np.full(3, 10.), capacity_vph=np.full(3, 1800.))
    >>> r = route_trips(net, net.free_flow_s[None, :], 3600., np.array([0]), np.array([2]),
    ...                 np.array([10.]))
    >>> r.links.tolist(), r.cost_s.tolist()
    ([0, 1], [100.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twincity.city.network import Network
from twincity.traffic.routing import extract_routes, shortest_path_trees

#: Memory allowed for one batch of shortest-path trees (dist + pred per node).
TREE_BATCH_BYTES = 128 * 2**20


@dataclass(frozen=True, eq=False)
class Routes:
    """Routes of trips: CSR (``start``, ``links``), ``ok`` where a path exists,
    ``cost_s`` the route's generalised cost at departure (inf where no path).
    """

    start: np.ndarray
    links: np.ndarray
    ok: np.ndarray
    cost_s: np.ndarray

    @property
    def n_trips(self) -> int:
        """Number of trips in the book."""
        return len(self.start) - 1

    def lengths(self) -> np.ndarray:
        """Number of links of each route."""
        return np.diff(self.start)


def departure_slot(departure_s: np.ndarray, slot_s: float, n_slots: int) -> np.ndarray:
    """The routing slot of each departure (the last slot extends to the end)."""
    return np.minimum((np.asarray(departure_s) // slot_s).astype(np.int64), n_slots - 1)


#: Slots whose link costs differ by at most this share on every link share their trees.
SLOT_COST_RTOL = 0.02


def representative_slots(link_cost_s: np.ndarray, rtol: float = SLOT_COST_RTOL) -> np.ndarray:
    """For each slot, the first slot whose link costs match it within ``rtol`` on every link.

    Quiet hours have (nearly) free-flow costs; their trees are grown once.

    >>> c = np.array([[10.0, 20.0], [10.1, 20.0], [30.0, 20.0]])
    >>> representative_slots(c).tolist()
    [0, 0, 2]
    """
    link_cost_s = np.atleast_2d(link_cost_s)
    rep = np.arange(len(link_cost_s))
    reps: list[int] = []
    for s in range(len(link_cost_s)):  # a loop over time slots (tens), not trips
        for r in reps:
            if np.all(np.abs(link_cost_s[s] - link_cost_s[r]) <= rtol * link_cost_s[r]):
                rep[s] = r
                break
        else:
            reps.append(s)
    return rep


def assemble_csr(n_trips: int, trip_ids: list[np.ndarray], starts: list[np.ndarray],
                 links: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Merge per-chunk CSR pieces (each for a subset of trips) into one CSR in trip order."""
    lengths = np.zeros(n_trips, dtype=np.int64)
    for ids, st in zip(trip_ids, starts, strict=True):
        lengths[ids] = np.diff(st)
    start = np.zeros(n_trips + 1, dtype=np.int64)
    np.cumsum(lengths, out=start[1:])
    out = np.empty(int(start[-1]), dtype=np.int32)
    for ids, st, lk in zip(trip_ids, starts, links, strict=True):
        lens = np.diff(st)
        if len(lk) == 0:
            continue
        within = np.arange(len(lk)) - np.repeat(st[:-1], lens)
        out[np.repeat(start[ids], lens) + within] = lk
    return start, out


def route_trips(net: Network, link_cost_s: np.ndarray, slot_s: float, origin_node: np.ndarray,
                dest_node: np.ndarray, departure_s: np.ndarray) -> Routes:
    """Least-cost routes of trips for the link costs of their departure slot.

    ``link_cost_s[slot, link]`` is the generalised cost of traversing a link
    (time plus toll over value of time, in seconds) for vehicles departing in
    that slot. Slots with matching costs share trees (:func:`representative_slots`).
    """
    link_cost_s = np.atleast_2d(np.asarray(link_cost_s, dtype=np.float64))
    n_slots = link_cost_s.shape[0]
    n = len(origin_node)
    origin_node = np.asarray(origin_node, dtype=np.int32)
    dest_node = np.asarray(dest_node, dtype=np.int32)
    slot = representative_slots(link_cost_s)[departure_slot(departure_s, slot_s, n_slots)]
    batch = max(1, TREE_BATCH_BYTES // max(1, 12 * net.n_nodes))
    ok = np.zeros(n, dtype=bool)
    cost = np.full(n, np.inf)
    ids_l, starts_l, links_l = [], [], []
    order = np.argsort(slot, kind="stable")
    bounds = np.searchsorted(slot[order], np.arange(n_slots + 1))
    for s in range(n_slots):  # a loop over time slots, not over trips
        trips = order[bounds[s]:bounds[s + 1]]
        if len(trips) == 0:
            continue
        origins, inverse = np.unique(origin_node[trips], return_inverse=True)
        for b0 in range(0, len(origins), batch):
            sel = (inverse >= b0) & (inverse < b0 + batch)
            these = trips[sel]
            dist, pred = shortest_path_trees(net.out_start, net.out_link, net.link_to,
                                             link_cost_s[s], origins[b0:b0 + batch])
            tree = (inverse[sel] - b0).astype(np.int32)
            st, lk, good = extract_routes(pred, net.link_from, tree, origin_node[these],
                                          dest_node[these])
            ok[these] = good
            cost[these] = dist[tree, dest_node[these]]
            ids_l.append(these)
            starts_l.append(st)
            links_l.append(lk)
    start, links = assemble_csr(n, ids_l, starts_l, links_l)
    return Routes(start=start, links=links, ok=ok, cost_s=cost)


def route_costs(start: np.ndarray, links: np.ndarray, link_cost_s: np.ndarray,
                slot: np.ndarray) -> np.ndarray:
    """Cost of each trip's route under the link costs of its departure slot."""
    link_cost_s = np.atleast_2d(link_cost_s)
    lens = np.diff(start)
    trip_of = np.repeat(np.arange(len(lens)), lens)
    c = link_cost_s[slot[trip_of], links]
    return np.bincount(trip_of, weights=c, minlength=len(lens))


def replace_routes(old: Routes, which: np.ndarray, new: Routes) -> Routes:
    """``old`` with the trips ``which`` (indices) given the routes of ``new`` (same order)."""
    n = old.n_trips
    keep = np.ones(n, dtype=bool)
    keep[which] = False
    kept = np.flatnonzero(keep)
    stay = take_routes(old, kept)
    start, links = assemble_csr(n, [kept, np.asarray(which)], [stay.start, new.start],
                                [stay.links, new.links])
    ok, cost = old.ok.copy(), old.cost_s.copy()
    ok[which], cost[which] = new.ok, new.cost_s
    return Routes(start=start, links=links, ok=ok, cost_s=cost)


def take_routes(routes: Routes, index: np.ndarray) -> Routes:
    """The routes of the trips ``index`` (in that order) as a new CSR."""
    index = np.asarray(index, dtype=np.int64)
    lens = np.diff(routes.start)[index]
    start = np.zeros(len(index) + 1, dtype=np.int64)
    np.cumsum(lens, out=start[1:])
    gather = np.repeat(routes.start[:-1][index], lens) + (
        np.arange(int(start[-1])) - np.repeat(start[:-1], lens))
    return Routes(start=start, links=routes.links[gather], ok=routes.ok[index],
                  cost_s=routes.cost_s[index])


def no_routes(n_trips: int) -> Routes:
    """``n_trips`` empty routes (none found yet)."""
    return Routes(start=np.zeros(n_trips + 1, dtype=np.int64), links=np.zeros(0, np.int32),
                  ok=np.zeros(n_trips, dtype=bool), cost_s=np.full(n_trips, np.inf))
