"""Route memory: a few remembered routes per road vehicle, in one CSR pool.

Column generation (:mod:`twincity.traffic.equilibrium`) adds each day's
time-dependent best path to a vehicle's memory; routes are recognised by a
64-bit fingerprint of their link sequence, so a path found again keeps its
slot.

Example:
    >>> import numpy as np
    >>> a = route_hashes(np.array([0, 2, 4]), np.array([1, 2, 1, 2], dtype=np.int32))
    >>> bool(a[0] == a[1])
    True
"""

from __future__ import annotations

import numpy as np

from twincity import draws
from twincity.city.network import Network, route_turns
from twincity.traffic.routes import Routes, take_routes

#: Routes a road vehicle remembers (column generation adds one per day, the worst goes).
ROUTES_PER_TRAVELLER = 4


class RouteMemory:
    """Up to ``k`` remembered routes per road vehicle, in one CSR pool.

    ``route_id[entry, slot]`` indexes the pool (−1: empty slot); the pool holds
    each route's links and, per link, the movement at its end
    (:func:`~twincity.city.network.route_turns`). Forgotten routes are dropped
    when they outnumber the remembered ones (the pool is compacted).
    """

    def __init__(self, net: Network, n_entries: int, k: int = ROUTES_PER_TRAVELLER) -> None:
        """An empty memory of ``k`` route slots for each of ``n_entries`` entries."""
        self.net = net
        self.k = k
        self.route_id = np.full((n_entries, k), -1, dtype=np.int64)
        self.route_hash = np.zeros((n_entries, k), dtype=np.uint64)
        self.start = np.zeros(1, dtype=np.int64)
        self.links = np.zeros(0, dtype=np.int32)
        self.turns = np.zeros(0, dtype=np.int8)

    @property
    def n_routes(self) -> int:
        """Number of routes in the pool."""
        return len(self.start) - 1

    def known_slot(self, entries: np.ndarray, routes: Routes,
                   hashes: np.ndarray | None = None) -> np.ndarray:
        """Slot where each entry already remembers its route of ``routes`` (−1: not remembered).

        ``hashes``: the routes' fingerprints if already computed (:func:`route_hashes`).
        """
        h = route_hashes(routes.start, routes.links) if hashes is None else hashes
        have = (self.route_hash[entries] == h[:, None]) & (self.route_id[entries] >= 0)
        known = have.any(axis=1) & routes.ok
        return np.where(known, np.argmax(have, axis=1), -1)

    def add(self, entries: np.ndarray, routes: Routes, evict: np.ndarray,
            hashes: np.ndarray | None = None) -> np.ndarray:
        """Remember ``routes`` (one per entry, ``ok`` ones only); return their slot (−1 none).

        A route already remembered keeps its slot; a new one takes an empty slot
        or else ``evict[i]`` (the caller's worst, never the chosen one).
        ``hashes``: the routes' fingerprints if already computed (:func:`route_hashes`).
        """
        h = route_hashes(routes.start, routes.links) if hashes is None else hashes
        slot = self.known_slot(entries, routes, h)
        known = slot >= 0
        new = np.flatnonzero(routes.ok & ~known)
        if len(new) == 0:
            return slot
        e = entries[new]
        empty = self.route_id[e] < 0
        where = np.where(empty.any(axis=1), np.argmax(empty, axis=1), evict[new])
        taken = take_routes(routes, new)
        ids = self.n_routes + np.arange(len(new))
        self.start = np.concatenate([self.start, taken.start[1:] + self.start[-1]])
        self.links = np.concatenate([self.links, taken.links.astype(np.int32)])
        self.turns = np.concatenate([self.turns,
                                     route_turns(self.net, taken.start, taken.links)])
        self.route_id[e, where] = ids
        self.route_hash[e, where] = h[new]
        slot[new] = where
        if self.n_routes > 2 * max(1, int(np.sum(self.route_id >= 0))):
            self._compact()
        return slot

    def _compact(self) -> None:
        """Drop forgotten routes from the pool and renumber the remembered ones."""
        live = self.route_id >= 0
        ids = self.route_id[live]
        lens = np.diff(self.start)[ids]
        pos = np.repeat(self.start[:-1][ids] - np.concatenate([[0], np.cumsum(lens)[:-1]]),
                        lens) + np.arange(int(lens.sum()))
        self.links, self.turns = self.links[pos], self.turns[pos]
        self.start = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        self.route_id[live] = np.arange(len(ids))

    def routes(self, route_ids: np.ndarray) -> Routes:
        """Routes of pool ids (−1 = none: an empty, not-ok route)."""
        route_ids = np.asarray(route_ids, dtype=np.int64)
        n = len(route_ids)
        if self.n_routes == 0:
            return Routes(start=np.zeros(n + 1, np.int64), links=np.zeros(0, np.int32),
                          ok=np.zeros(n, bool), cost_s=np.full(n, np.inf))
        pool = Routes(start=self.start, links=self.links, ok=np.ones(self.n_routes, dtype=bool),
                      cost_s=np.zeros(self.n_routes))
        r = take_routes(pool, np.where(route_ids >= 0, route_ids, 0))
        lens = np.where(route_ids >= 0, np.diff(r.start), 0)
        keep = np.repeat(route_ids >= 0, np.diff(r.start))
        start = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lens, out=start[1:])
        return Routes(start=start, links=r.links[keep], ok=route_ids >= 0, cost_s=np.zeros(n))


def route_hashes(start: np.ndarray, links: np.ndarray) -> np.ndarray:
    """A 64-bit fingerprint of each route's link sequence."""
    lens = np.diff(start)
    pos = np.arange(len(links)) - np.repeat(start[:-1], lens)
    with np.errstate(over="ignore"):
        h = draws.hash_bits(np.uint64(0x5EED), links.astype(np.int64) * 4099 + pos)
    out = np.zeros(len(lens), dtype=np.uint64)
    some = lens > 0  # XOR over each route's links (CSR segments; empty routes stay 0)
    if some.any():
        out[some] = np.bitwise_xor.reduceat(h, start[:-1][some])
    with np.errstate(over="ignore"):
        return out ^ (lens.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
