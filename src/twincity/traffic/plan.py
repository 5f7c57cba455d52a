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
    from twincity.traffic.routes import Routes
    from twincity.traffic.simulation import TrafficSim


class TrafficPlan(Protocol):
    """The day's road plan: population arrays in entry order (people, then trucks) and its hooks."""

    model: Any  # ``.seed`` and ``.city.spec.simulation`` are read
    net: Network
    authority: Any  # toll schedule, toll slot, review rounds, ``review(state)``
    trips: Any  # one row per traveller of the sample
    n_trucks: int
    mode: np.ndarray
    identity: np.ndarray
    book: Routes
    days: list
    start_s: float
    duration_s: float
    slot_s: float
    n_slots: int
    vot: float
    _origin: np.ndarray
    _dest: np.ndarray
    _desired: np.ndarray
    _departure: np.ndarray
    _flows_by_slot: np.ndarray

    def planning_network(self) -> Network:
        """The network routes are planned on (effective capacities)."""
        ...

    def _road_vehicles(self) -> np.ndarray:
        """Entries that travel by road today: drivers, then trucks."""
        ...

    def _book_od(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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

    def _reroute(self, entries: np.ndarray, link_time_s: np.ndarray) -> Routes:
        """Best paths of entries under link times by slot."""
        ...

    def _make_sim(self) -> TrafficSim:
        """A kernel for today's road vehicles."""
        ...
