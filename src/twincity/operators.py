"""Operator agents: the few actors that decide, as ``mesa.Agent`` subclasses.

Populations (trips, links, buildings) live in arrays inside the subsystems;
the agents here hold the *decisions* that act on them and are where policies
plug in. Each agent has two hooks:

* ``act()`` — every model step, inside the simulated day (e.g. push the toll
  of the coming time slot into the traffic kernel);
* ``review(day)`` — between simulated days of the day-to-day adjustment, with
  that day's observations (e.g. revise road prices to hit a speed target).

Example:
    >>> import mesa, numpy as np
    >>> model = mesa.Model(rng=1)
    >>> ta = TransportAuthority(model, toll_schedule=np.zeros((48, 3)), green_share=np.ones(3))
    >>> ta.toll_at(3600.0).shape
    (3,)
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np


class TransportAuthority(mesa.Agent):
    """Runs the roads: road prices by time slot and signal green shares per link.

    ``toll_schedule[slot, link]`` is the charge per traversal (city currency)
    during slot ``slot`` of ``toll_slot_s`` seconds from the start of the
    simulated day; ``green_share[link]`` scales a link's discharge capacity
    (1 = the capacity in the network, which already allows for green time).
    """

    def __init__(self, model: mesa.Model, *, toll_schedule: np.ndarray,
                 green_share: np.ndarray, toll_slot_s: float = 1800.0) -> None:
        super().__init__(model)
        self.toll_schedule = np.array(toll_schedule, dtype=np.float64)
        self.green_share = np.array(green_share, dtype=np.float64)
        self.toll_slot_s = float(toll_slot_s)
        self.reviewers: list[Any] = []  # policy rules consulted between days
        # policy rules deciding, per trip, who may not drive (e.g. a low-emission zone):
        # each is called with the traffic subsystem and returns a boolean mask of trips
        self.trip_rules: list[Any] = []

    def toll_at(self, t_s: float) -> np.ndarray:
        """Tolls per link in force at time ``t_s`` from the start of the day."""
        slot = min(int(t_s // self.toll_slot_s), self.toll_schedule.shape[0] - 1)
        return self.toll_schedule[slot]

    def act(self) -> None:
        """Hand the current road settings to the traffic kernel."""
        traffic = getattr(self.model, "traffic", None)
        if traffic is not None and traffic.sim is not None:
            traffic.sim.toll_schedule = self.toll_schedule
            traffic.sim.green_share[:] = self.green_share

    def review(self, day: Any) -> None:
        """Let each registered rule revise the settings after a simulated day."""
        for rule in self.reviewers:
            rule(self, day)
