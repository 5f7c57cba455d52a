"""What the dynamic equilibrium reads and writes of a traffic plan (a typing seam).

:class:`~twincity.traffic.equilibrium.DynamicEquilibrium` works on any object
with these members: the traffic subsystem in a run, a small road-only plan in
the analytic tests (``tests/test_equilibrium.py``). Annotating with this
protocol rather than :class:`~twincity.traffic.subsystem.TrafficSubsystem`
keeps the equilibrium below the subsystem in the import graph.

Example:
    >>> from twincity.traffic.plan import TrafficPlan
    >>> "book" in TrafficPlan.__annotations__
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from twincity.city.network import Network
    from twincity.context import RunContext
    from twincity.traffic.entries import EntryLayout
    from twincity.traffic.routes import Routes
    from twincity.traffic.simulation import TrafficSim


class TrafficPlan(Protocol):
    """The day's road plan: population arrays in entry order (people, then trucks) and its hooks."""

    context: RunContext  # ``.seed`` and ``.city.spec.simulation`` are read
    layout: EntryLayout  # people, then trucks
    net: Network
    authority: Any  # toll schedule, toll slot, review rounds, ``review(state)``
    mode: np.ndarray  # each traveller's mode
    identity: np.ndarray  # each entry's identity for keyed draws
    book: Routes
    days: list
    start_s: float
    duration_s: float
    slot_s: float
    n_slots: int
    vot: float
    origin_node: np.ndarray  # per entry
    dest_node: np.ndarray
    desired_s: np.ndarray  # desired departure, s after midnight
    departure_s: np.ndarray  # chosen departure, s after midnight
    flows_by_slot: np.ndarray  # vehicles leaving each link per routing slot [slot, link]

    def planning_network(self) -> Network:
        """The network routes are planned on (effective capacities)."""
        ...

    def road_vehicles(self) -> np.ndarray:
        """Entries that travel by road today: drivers, then trucks."""
        ...

    def book_od(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Origin node, destination node and departure (s from the start) of entries."""
        ...

    def skims_by_slot(self, link_time_s: np.ndarray) -> Any:
        """Level-of-service skims from link times by routing slot."""
        ...

    def preferred_modes(self, skims: Any) -> np.ndarray:
        """Each traveller's best mode on her frozen errors."""
        ...

    def mode_utilities(self, skims: Any) -> np.ndarray:
        """Systematic utilities ``[traveller, mode]`` (−inf: unavailable)."""
        ...

    def mode_errors(self) -> np.ndarray:
        """Frozen Gumbel errors ``[traveller, mode]``."""
        ...

    def reroute(self, entries: np.ndarray, link_time_s: np.ndarray) -> Routes:
        """Best paths of entries under link times by slot."""
        ...

    def make_sim(self) -> TrafficSim:
        """A kernel for today's road vehicles."""
        ...
