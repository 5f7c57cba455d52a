"""The run context: what a subsystem or a policy may use of a run, and nothing more.

A subsystem receives the city, the clock, the random streams and the operators
through a :class:`RunContext` (never the :class:`~twincity.model.CityModel`), and
the products of other subsystems through :class:`~twincity.subsystems.Products`.
A policy attaches its rules to the operators and hooks here.

Randomness: one root seed. Each purpose draws from its own *named* stream
(:meth:`RunContext.stream`), a ``SeedSequence`` child keyed by the CRC-32 of its
name, so adding a subsystem never shifts another's random numbers.

Example:
    >>> stream_key("demand") == stream_key("demand") != stream_key("weather")
    True
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import mesa

    from twincity.city.build import City
    from twincity.operators.grid import GridOperator
    from twincity.operators.transport import TransportAuthority

#: A rule removing trips from the generated demand (e.g. remote work): called with the
#: trips, their identities and the root seed; returns a boolean mask of trips not made.
DemandRule = Callable[[Any, np.ndarray, int], np.ndarray]


def stream_key(name: str) -> int:
    """A stable integer for a stream name (CRC-32), used as a SeedSequence spawn key."""
    return zlib.crc32(name.encode())


@dataclass
class RunContext:
    """The city, clock, random streams, operators and hooks of one run."""

    city: City
    seed: int
    #: Simulated span (s after midnight) and the model step.
    start_s: float
    end_s: float
    interval_s: float
    #: The operator running the roads (tolls, green shares, review and trip rules).
    transport_authority: TransportAuthority
    #: The Mesa model operator agents are created on (``mesa.Agent(host)``).
    host: mesa.Model
    #: The operator dispatching the grid and scheduling EV charging by its rule.
    grid_operator: GridOperator
    #: Hooks: rules removing trips from the demand (see :data:`DemandRule`).
    demand_rules: list[DemandRule] = field(default_factory=list)
    #: The traffic equilibrium's progress bar, the plan a paired arm continues from,
    #: and a control arm's fixed number of continued days (its changed arm's).
    progress: bool = False
    start_from: Any = None
    control_days: int | None = None

    def stream_seed(self, name: str) -> np.random.SeedSequence:
        """The seed sequence of stream ``name``: a child of the root seed keyed by the name."""
        return np.random.SeedSequence(self.seed, spawn_key=(stream_key(name),))

    def stream(self, name: str) -> np.random.Generator:
        """A random stream of its own for ``name``, spawned from the root seed."""
        return np.random.default_rng(self.stream_seed(name))


@dataclass(frozen=True, eq=False)
class TripRuleInput:
    """What a trip rule sees: the day's trips, each traveller's car class, the run context.

    A trip rule (``authority.trip_rules``) returns a boolean mask over ``trips``:
    the trips that may not go by car.
    """

    trips: Any  # twincity.traffic.demand.Trips
    #: Car class name of each trip's car (``twincity.vocab.CAR_CLASSES``).
    car_class: np.ndarray
    context: RunContext
    #: Stable identity of each trip (its index in the generated demand): keys per-trip
    #: draws (:mod:`twincity.draws`); ``None``: the trips' positions.
    trip_id: np.ndarray | None = None
