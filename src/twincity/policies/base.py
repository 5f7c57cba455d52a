"""Policies: city-neutral parameters, adaptation to a city, and action through the model.

A policy is data plus behaviour. Its parameters are written in city-neutral
terms (a cordon as "the most central 10% of nodes", a toll as hours of the
local value of time, a fleet target as a share). :meth:`Policy.adapt` turns
them into one city's concrete numbers and explains how, in a note a person can
read. The policy then acts only through the model's own mechanisms:

* ``Adaptation.overrides`` change the scenario before the city is built
  (fleet shares, transit headways and fares, trip rates, buildings, charging);
* :meth:`Policy.modify_network` changes the built road network (lanes taken
  by a bus lane);
* :meth:`Policy.attach` hands rules to operator agents that act during the
  run (road prices by time of day, their review between equilibrated
  states, signal timing).

A policy never scales a KPI. It declares its ``primary_kpis``: the few KPIs
it is meant to move, which reports test one by one; the others are secondary
and reported with a multiplicity correction.

A city's own policies are listed in its scenario; those with ``in_force:
true`` exist there today and are applied in every run of the city (see
:func:`twincity.policies.registry.in_force_policies`), so a scenario *is* the
city with its policies, and the effect of one at home is "with − without".

Example:
    >>> sorted(REGISTRY)[:3]                                   # doctest: +SKIP
    ['adaptive_signals', 'brt', 'building_retrofit']
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from pydantic import ValidationError

from twincity.city.network import Network
from twincity.errors import InputError
from twincity.scenario.base import Section
from twincity.scenario.sections_city import CitySpec

if TYPE_CHECKING:
    from twincity.city.build import City
    from twincity.context import RunContext

#: Registered policy classes by name.
REGISTRY: dict[str, type[Policy]] = {}


@dataclass
class Adaptation:
    """A policy made concrete for one city.

    ``concrete`` holds the city's numbers (JSON-ready), ``note`` says what was
    mapped to what and why, ``overrides`` are scenario changes (dotted keys).
    """

    policy: str
    concrete: dict[str, Any]
    note: str
    overrides: dict[str, Any] = field(default_factory=dict)


class Policy(ABC):
    """Base class of every policy; subclasses set ``name``, ``summary`` and ``Params``."""

    name: ClassVar[str]
    summary: ClassVar[str]
    Params: ClassVar[type[Section]]
    #: The KPIs the policy is meant to move (names in :data:`twincity.kpi.CATALOGUE`): reports
    #: test them at 95% each; every other KPI is secondary and multiplicity-adjusted.
    primary_kpis: ClassVar[tuple[str, ...]] = ()

    def __init__(self, params: dict[str, Any] | Section | None = None, *,
                 origin: CitySpec | None = None, label: str | None = None) -> None:
        """Validate ``params`` against ``Params`` (an input error names the first bad field)."""
        try:
            self.params = (params if isinstance(params, Section)
                           else self.Params.model_validate(params or {}))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InputError(f"{first['msg']}", path=f"policy {self.name}: params.{where}"
                             if where else f"policy {self.name}") from None
        self.origin = origin
        self.label = label or self.name
        #: Set when the policy is one of the city's own, in force in its scenario.
        self.in_force = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Register a subclass that sets ``name`` in :data:`REGISTRY`."""
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            REGISTRY[cls.name] = cls

    @abstractmethod
    def adapt(self, city: City) -> Adaptation:
        """This policy in ``city``'s numbers, with a note saying how they were chosen."""

    def modify_network(self, city: City, adaptation: Adaptation) -> Network | None:
        """A changed road network, or ``None`` to keep it."""
        return None

    def attach(self, context: RunContext, adaptation: Adaptation) -> None:  # noqa: B027
        """Give operator agents the rules they follow during the run (default: none).

        Optional: a policy that acts only through ``overrides`` or the network
        leaves it as it is.
        """

    def describe(self) -> dict[str, Any]:
        """Name, label and city-neutral parameters (JSON-ready)."""
        return {"name": self.name, "label": self.label,
                "params": self.params.model_dump(mode="json"),
                "origin": self.origin.name if self.origin else None}


def money_from_origin(amount: float, origin: CitySpec | None, target: CitySpec) -> float:
    """Convert an amount in the origin city's currency to the target's by purchasing power.

    >>> a = CitySpec(name="A", country="SG", population=1, area_km2=1, latitude_deg=0,
    ...     longitude_deg=0, timezone="UTC", currency="SGD", value_of_time_per_h=15,
    ...     ppp_per_usd=0.83, cars_per_1000=100)
    >>> b = a.model_copy(update={"currency": "KRW", "ppp_per_usd": 820.0})
    >>> round(money_from_origin(2.0, a, b))
    1976
    """
    if origin is None or (origin.currency == target.currency and origin.ppp_per_usd == \
            target.ppp_per_usd):
        return float(amount)
    return float(amount) / origin.ppp_per_usd * target.ppp_per_usd


def central_node_mask(city: City, share: float) -> np.ndarray:
    """The ``share`` of nodes nearest to the city centre (at least one).

    The same rule defines the central area of the KPIs ``vehicle_km_central`` and
    ``delay_central_peak`` (:func:`twincity.traffic.kpis.central_nodes`).
    """
    from twincity.traffic.kpis import central_nodes

    return central_nodes(city.network, city.centre_xy_m, share)
