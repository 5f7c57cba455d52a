"""The twincity queue model written the plain Mesa way: one ``mesa.Agent`` per vehicle.

This is the baseline that shows what the numba kernel buys. It follows the
model documented in :mod:`twincity.traffic.kernel` (free-flow speed model, no
tolls or emissions), one Python step per tick:

1. *release*: trips whose departure tick ``ceil(departure_s / tick_s)`` has
   come join the departure buffer of their first link;
2. *nodes*: each node serves its incoming links whose head vehicle is ready,
   in a random order drawn with weights proportional to capacity; a link moves
   head vehicles while it has flow credit: a vehicle on its last link arrives,
   another enters its next link if that link holds fewer vehicles than its
   storage (spillback), else the link is blocked; a head blocked for
   ``stuck_time_s`` is squeezed into its next link anyway;
3. *entry*: departure buffers move vehicles onto their first link while it has
   storage.

Flow credit: ``capacity_vph · tick_s / 3600`` per tick, accrued only while
below one vehicle. A vehicle entering a link at tick ``k`` may leave it at
``k + max(1, round(free_flow_s / tick_s))``.

Random numbers come from Mesa's ``model.random`` (seeded), so node orders
differ from the kernel's xorshift stream: trips completed and mean travel time
agree closely, individual trips may differ where links compete.

Example:
    >>> import numpy as np
    >>> from twincity.city.grid_network import grid_network
    >>> net = grid_network(2, spacing_m=500.0, speed_mps=10.0)
    >>> m = QueueModel(net, departure_s=np.array([0.0, 10.0]),
    ...                routes=[[0], [0, 6]], horizon_s=600.0, seed=1)
    >>> m.run()
    >>> [v.arrive_s for v in m.vehicles]
    [50.0, 110.0]
"""

from __future__ import annotations

import math
from collections import deque

import mesa
import numpy as np

from twincity.city.network import Network

EPS = 1e-9


class Vehicle(mesa.Agent):
    """One trip: its route, where it is and when it may leave its link."""

    def __init__(self, model: QueueModel, departure_s: float, route: list[int]) -> None:
        super().__init__(model)
        self.departure_s = float(departure_s)
        self.dep_tick = math.ceil(departure_s / model.tick_s - 1e-9)
        self.route = route
        self.pos = 0  # index in route of the current (or first) link
        self.ready_tick = 0
        self.blocked_since = -1
        self.arrive_s: float | None = None
        self.stuck = False

    @property
    def link(self) -> int:
        return self.route[self.pos]

    def enter(self, link: int, k: int) -> None:
        """Enter ``link`` at tick ``k``."""
        m = self.model
        m.queue[link].append(self)
        self.ready_tick = k + m.ff_ticks[link]
        m.transitions += 1

    def try_advance(self, k: int) -> bool:
        """Leave the current link (arrive, or enter the next link if it has room)."""
        m = self.model
        if self.pos == len(self.route) - 1:
            m.queue[self.link].popleft()
            self.arrive_s = k * m.tick_s
            m.arrived += 1
            return True
        nxt = self.route[self.pos + 1]
        if len(m.queue[nxt]) >= m.storage[nxt]:
            if self.blocked_since < 0:
                self.blocked_since = k
            if k - self.blocked_since < m.stuck_ticks:
                return False
            self.stuck = True
            m.squeezed += 1
        m.queue[self.link].popleft()
        self.blocked_since = -1
        self.pos += 1
        self.enter(nxt, k)
        return True


class QueueModel(mesa.Model):
    """Fixed-route trips on a network, one ``Vehicle`` agent each, one step per tick."""

    def __init__(self, net: Network, departure_s: np.ndarray, routes: list[list[int]],
                 horizon_s: float, seed: int, tick_s: float = 1.0,
                 stuck_time_s: float = 300.0) -> None:
        super().__init__(rng=seed)
        self.net = net
        self.tick_s = float(tick_s)
        self.horizon_ticks = round(horizon_s / tick_s)
        self.stuck_ticks = math.ceil(stuck_time_s / tick_s - 1e-9)
        self.ff_ticks = [max(1, math.floor(t / tick_s + 0.5)) for t in net.free_flow_s]
        self.storage = net.storage_veh.tolist()
        self.cpt = (net.capacity_vph * tick_s / 3600.0).tolist()
        self.credit = [1.0] * net.n_links
        self.link_to = net.link_to.tolist()
        self.in_links = [net.in_link[net.in_start[n]:net.in_start[n + 1]].tolist()
                         for n in range(net.n_nodes)]
        self.queue: list[deque[Vehicle]] = [deque() for _ in range(net.n_links)]
        self.buffer: list[deque[Vehicle]] = [deque() for _ in range(net.n_links)]
        order = np.argsort(departure_s, kind="stable")
        self.vehicles = [Vehicle(self, departure_s[i], list(routes[i]))
                         for i in range(len(departure_s))]
        self.pending = [self.vehicles[i] for i in order if len(routes[i])]
        for i in range(len(departure_s)):
            if not routes[i]:
                self.vehicles[i].arrive_s = self.vehicles[i].dep_tick * self.tick_s
        self.next_dep = 0
        self.k = 0
        self.arrived = sum(1 for v in self.vehicles if v.arrive_s is not None)
        self.transitions = 0
        self.squeezed = 0

    def _serve_link(self, lk: int, k: int) -> None:
        q = self.queue[lk]
        while q and self.credit[lk] >= 1.0 - EPS and q[0].ready_tick <= k:
            if not q[0].try_advance(k):
                return
            self.credit[lk] -= 1.0

    def step(self) -> None:
        k = self.k
        # 1. release
        while self.next_dep < len(self.pending) and self.pending[self.next_dep].dep_tick <= k:
            v = self.pending[self.next_dep]
            self.buffer[v.link].append(v)
            self.next_dep += 1
        # credit accrual (only while below one vehicle)
        for lk, c in enumerate(self.credit):
            if c < 1.0 - EPS:
                self.credit[lk] = c + self.cpt[lk]
        # 2. nodes serve their ready incoming links, capacity-weighted random order
        for links in self.in_links:
            due = [lk for lk in links if self.queue[lk] and self.queue[lk][0].ready_tick <= k
                   and self.credit[lk] >= 1.0 - EPS]
            while due:
                if len(due) == 1:
                    lk = due.pop()
                else:
                    lk = self.random.choices(due, weights=[self.cpt[x] for x in due])[0]
                    due.remove(lk)
                self._serve_link(lk, k)
        # 3. departure buffers enter their first link while it has storage
        for lk, buf in enumerate(self.buffer):
            while buf and len(self.queue[lk]) < self.storage[lk]:
                buf.popleft().enter(lk, k)
        self.k += 1
        if self.k >= self.horizon_ticks:
            self.running = False

    def run(self) -> None:
        """Step to the horizon."""
        while self.running:
            self.step()

    def results(self) -> tuple[int, float]:
        """(trips completed, mean travel time of completed trips in s)."""
        tts = [v.arrive_s - v.departure_s for v in self.vehicles if v.arrive_s is not None]
        return len(tts), float(np.mean(tts)) if tts else float("nan")
