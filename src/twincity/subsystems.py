"""The subsystem registry: what each subsystem requires and provides, and their order.

A subsystem is a class built from the run context and the product board
(``build(context, products)``) that follows :class:`Subsystem`. Its registry
entry names the products it *requires* (the run needs their provider), *uses*
(read when present) and *provides* (name → type). :func:`build_order` orders
the subsystems of a run so every provider comes before its consumers;
:class:`~twincity.model.CityModel` builds them in that order and is the only
module that knows them all, by this registry. A new subsystem is a package plus
a :func:`register` call; ``model.py`` does not change.

Example:
    >>> [e.name for e in build_order(["emissions", "traffic", "energy"])]
    ['traffic', 'energy', 'emissions']
    >>> REGISTRY["emissions"].uses
    ('trips', 'road_traffic', 'weekend_trips', 'weekend_road_traffic', 'energy_year')
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from twincity.products import EnergyYear, RoadTraffic, TripTable

if TYPE_CHECKING:
    import pandas as pd

    from twincity.context import RunContext
    from twincity.results import KPI


class Subsystem(Protocol):
    """The one shape every subsystem has (traffic, energy, emissions, yours)."""

    name: str
    #: Remarks for the results' notes (assumptions, warnings), filled as it runs.
    notes: list[str]

    def prepare(self) -> None:
        """Work before the first step (traffic: the dynamic equilibrium); may do nothing."""

    def advance(self, start_s: float, end_s: float) -> None:
        """Advance the subsystem's state from ``start_s`` to ``end_s`` (model clock)."""

    def observations(self) -> dict[str, float]:
        """City-level observables at the current time (collected each step)."""

    def provide(self, product: str) -> Any:
        """The product called ``product`` (one of its entry's ``provides``), as of now."""

    def finish(self) -> None:
        """End of the run: compute what needs the whole run (called once, in build order)."""

    def tables(self) -> dict[str, pd.DataFrame]:
        """Tidy result tables at the end of the run."""

    def kpis(self) -> list[KPI]:
        """KPIs at the end of the run (each defined in :data:`twincity.kpi.CATALOGUE`)."""


#: Builds a subsystem from the run context and the product board.
Factory = Callable[["RunContext", "Products"], Subsystem]


@dataclass(frozen=True)
class SubsystemEntry:
    """A registered subsystem: how to build it and what it requires, uses and provides."""

    name: str
    #: A factory, or ``"module:Class"`` imported when the subsystem is first built.
    build: Factory | str
    requires: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    provides: Mapping[str, type] = field(default_factory=dict)
    #: Part of a run when the caller names no subsystems.
    default: bool = True

    def factory(self) -> Factory:
        """The factory, importing ``module:Class`` on first use."""
        if not isinstance(self.build, str):
            return self.build
        module, _, attr = self.build.partition(":")
        return getattr(importlib.import_module(module), attr)


REGISTRY: dict[str, SubsystemEntry] = {}


def register(entry: SubsystemEntry, *, replace: bool = False) -> SubsystemEntry:
    """Add ``entry`` to the registry (a name may be registered once unless ``replace``)."""
    if entry.name in REGISTRY and not replace:
        raise ValueError(f"subsystem {entry.name!r} is already registered")
    REGISTRY[entry.name] = entry
    return entry


def unregister(name: str) -> None:
    """Remove a registered subsystem (a test's toy subsystem, for instance)."""
    REGISTRY.pop(name, None)


def default_subsystems() -> tuple[str, ...]:
    """Names of the subsystems a run has when none are named, in registration order."""
    return tuple(n for n, e in REGISTRY.items() if e.default)


def build_order(names: Iterable[str]) -> list[SubsystemEntry]:
    """The entries of ``names`` ordered so that every provider precedes its consumers.

    Ties keep registration order. Raises ``ValueError`` for an unknown name, a
    required product no chosen subsystem provides, or a cycle.
    """
    chosen = list(dict.fromkeys(names))
    unknown = sorted(set(chosen) - set(REGISTRY))
    if unknown:
        raise ValueError(f"unknown subsystems {unknown}; expected some of {tuple(REGISTRY)}")
    entries = [REGISTRY[n] for n in REGISTRY if n in chosen]
    provider = {p: e.name for e in entries for p in e.provides}
    for e in entries:
        missing = [p for p in e.requires if p not in provider]
        if missing:
            raise ValueError(f"subsystem {e.name!r} requires {missing}, which none of "
                             f"{[x.name for x in entries]} provides")
    after = {e.name: {provider[p] for p in (*e.requires, *e.uses)
                      if p in provider and provider[p] != e.name} for e in entries}
    out: list[SubsystemEntry] = []
    while len(out) < len(entries):
        ready = [e for e in entries if e not in out and after[e.name] <= {x.name for x in out}]
        if not ready:
            left = [e.name for e in entries if e not in out]
            raise ValueError(f"subsystems {left} require each other's products (a cycle)")
        out.append(ready[0])
    return out


class Products:
    """The product board of a run: who provides what, and typed access to it."""

    def __init__(self) -> None:
        """An empty board: no products offered yet."""
        self._providers: dict[str, tuple[Subsystem, type]] = {}

    def offer(self, subsystem: Subsystem, provides: Mapping[str, type]) -> None:
        """Register ``subsystem`` as the provider of ``provides``."""
        for name, kind in provides.items():
            self._providers[name] = (subsystem, kind)

    def has(self, name: str) -> bool:
        """Whether some subsystem of the run provides ``name``."""
        return name in self._providers

    def get(self, name: str) -> Any:
        """Product ``name`` as of now, ``None`` when no subsystem of the run provides it."""
        if name not in self._providers:
            return None
        sub, kind = self._providers[name]
        value = sub.provide(name)
        if not isinstance(value, kind):
            raise TypeError(f"subsystem {sub.name!r} provided {type(value).__name__} as "
                            f"{name!r}; its entry declares {kind.__name__}")
        return value


register(SubsystemEntry(
    "traffic", "twincity.traffic.subsystem:TrafficSubsystem",
    provides={"trips": TripTable, "road_traffic": RoadTraffic,
              "weekend_trips": TripTable, "weekend_road_traffic": RoadTraffic}))
register(SubsystemEntry(
    "energy", "twincity.energy.subsystem:EnergySubsystem", uses=("trips", "weekend_trips"),
    provides={"energy_year": EnergyYear}))
register(SubsystemEntry(
    "emissions", "twincity.emissions.subsystem:EmissionsSubsystem",
    uses=("trips", "road_traffic", "weekend_trips", "weekend_road_traffic", "energy_year")))
