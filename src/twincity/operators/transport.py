"""The transport authority: road prices by slot, green shares, review and trip rules.

Populations (trips, links, buildings) live in arrays inside the subsystems;
the agents here hold the *decisions* that act on them and are where policies
plug in. Each agent has two hooks:

* ``act()`` — every model step, inside the simulated day (e.g. push the toll
  of the coming time slot into the traffic kernel);
* ``review(state)`` — between equilibrated states, with what the converged
  traffic showed (a :class:`ReviewState`): e.g. revise road prices to hold a
  speed band, as Singapore's LTA reviews ERP rates quarterly, not daily.

Policies attach through typed hooks, never through a subsystem's internals:
review rules (``authority.reviewers``), trip rules (``authority.trip_rules``,
called with a :class:`~twincity.context.TripRuleInput`) and the road settings the authority
hands to the kernel the traffic subsystem binds to it (:meth:`bind_kernel`;
a signal controller changes green through :meth:`TransportAuthority.push_green`).

The traffic equilibrium (:mod:`twincity.traffic.equilibrium`) calls the review
like this: once the dynamic equilibrium has converged, ``for r in range(ta.review_rounds)``: if
``ta.review(ReviewState(round=r, ...))`` changed nothing, stop; otherwise
equilibrate again under the revised settings.

Example:
    >>> import mesa, numpy as np
    >>> model = mesa.Model(rng=1)
    >>> ta = TransportAuthority(model, toll_schedule=np.zeros((48, 3)), green_share=np.ones(3))
    >>> ta.toll_at(3600.0).shape
    (3,)
    >>> ta.review_rounds   # no review rules registered
    0
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from twincity.defaults import TOLL_SLOT_S

if TYPE_CHECKING:
    from twincity.traffic.simulation import TrafficSim


@dataclass(frozen=True, eq=False)
class ReviewState:
    """What an equilibrated traffic state showed, for the authority's review rules.

    ``link_time_s[slot, link]`` is the experienced mean link time (free flow,
    with average signal delay, where nobody traversed) and ``flow_veh[slot, link]``
    the vehicles entering the link, per routing slot of ``slot_s`` seconds from the
    start of the simulated day; ``round`` counts reviews from 0;
    ``relative_gap`` is the equilibrium's gap when reviewed.
    """

    round: int
    link_time_s: np.ndarray  # [routing slot, link] experienced mean link time
    flow_veh: np.ndarray  # [routing slot, link] entries
    slot_s: float
    relative_gap: float


class TransportAuthority(mesa.Agent):
    """Runs the roads: road prices by time slot and signal green shares per link.

    ``toll_schedule[slot, link]`` is the charge per traversal (city currency)
    during slot ``slot`` of ``toll_slot_s`` seconds from the start of the
    simulated day; ``green_share[link]`` scales a link's discharge capacity
    (1 = the capacity in the network, which already allows for green time).
    """

    def __init__(self, model: mesa.Model, *, toll_schedule: np.ndarray,
                 green_share: np.ndarray, toll_slot_s: float = TOLL_SLOT_S) -> None:
        """An authority on ``model`` with tolls (slot × link) and green shares; no rules yet."""
        super().__init__(model)
        self.toll_schedule = np.array(toll_schedule, dtype=np.float64)
        self.green_share = np.array(green_share, dtype=np.float64)
        self.toll_slot_s = float(toll_slot_s)
        # policy rules consulted between equilibrated states: each is called with the
        # authority and a ReviewState, returns True if it changed a setting, and has
        # ``review_rounds``, the most reviews it wants
        self.reviewers: list[Any] = []
        # policy rules deciding, per trip, who may not drive (e.g. a low-emission zone):
        # each is called with a TripRuleInput and returns a boolean mask of trips
        self.trip_rules: list[Any] = []
        #: The reported day's kernel, once the traffic subsystem has bound it.
        self.kernel: TrafficSim | None = None

    def bind_kernel(self, kernel: TrafficSim) -> None:
        """The kernel this authority hands its road settings to each step."""
        self.kernel = kernel

    def push_green(self, links: np.ndarray) -> None:
        """Hand the green shares of ``links`` to the kernel now (a controller's mid-step change)."""
        if self.kernel is not None:
            self.kernel.green_share[links] = self.green_share[links]

    def toll_at(self, t_s: float) -> np.ndarray:
        """Tolls per link in force at time ``t_s`` from the start of the day."""
        slot = min(int(t_s // self.toll_slot_s), self.toll_schedule.shape[0] - 1)
        return self.toll_schedule[slot]

    def act(self) -> None:
        """Hand the current road settings to the traffic kernel."""
        if self.kernel is not None:
            self.kernel.toll_schedule = self.toll_schedule
            self.kernel.green_share[:] = self.green_share

    @property
    def review_rounds(self) -> int:
        """Most review rounds any registered rule wants (0 without rules)."""
        return max((int(rule.review_rounds) for rule in self.reviewers), default=0)

    def review(self, state: ReviewState) -> bool:
        """Let each rule revise the settings after an equilibrated state; True if any changed.

        Every rule is consulted (none is skipped because another changed something).
        """
        changed = False
        for rule in self.reviewers:
            changed = bool(rule(self, state)) or changed
        return changed
