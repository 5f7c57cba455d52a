"""Plausibility of a scenario's size: a resource estimate before anything is built.

Field bounds in the schema refuse single absurd numbers (a population of a
trillion, a routing slot of a millisecond). Some problems only show in
combination: an urban area and an arterial spacing that together ask for
millions of junctions, a zone count and routing slots whose skims would need
tens of GiB, a sample share so small that no trip is simulated. This module
estimates, from the validated scenario alone, the network size, the trips,
the time steps and the memory of the largest arrays, and refuses a scenario
beyond :data:`MAX_MEMORY_BYTES` (or below :data:`MIN_SIMULATED_TRIPS`) with one
line saying what was asked, what it implies and the limit.

Example:
    >>> from twincity.scenario.loader import load_scenario
    >>> est = estimate(load_scenario("tests/data/tiny.yaml").spec)   # doctest: +SKIP
    >>> est.nodes < 1000, est.trips                                   # doctest: +SKIP
    (True, 500.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from twincity.errors import ScenarioError
from twincity.scenario.schema import Scenario
from twincity.scenario.yamlio import FieldPath, LineMap, format_path, locate

#: Largest estimated memory of a run's biggest arrays.
MAX_MEMORY_BYTES = 8 * 2**30
#: Most junctions a generated network may have (the shipped cities have about 1,000).
MAX_NETWORK_NODES = 1_000_000
#: Fewest trips a run must simulate for its KPIs to mean anything.
MIN_SIMULATED_TRIPS = 100
#: Most traffic kernel ticks in a run (duration / tick).
MAX_TICKS = 2_000_000

# Rough bytes per element of the arrays that dominate memory (several arrays each).
_BYTES_PER_LINK_SLOT = 8 * 8  # link costs, flows, speeds … per routing slot or interval
_BYTES_PER_SKIM_CELL = 8 * 6  # car and transit times, distances, costs per zone pair and slot
_BYTES_PER_TRIP = 400  # trip table, routes, mode choice
_BYTES_PER_LATTICE_POINT = 64  # the generator's lattice arrays
_LINKS_PER_NODE = 4.0  # a grid junction has about four outgoing and incoming links


@dataclass(frozen=True)
class Estimate:
    """What a scenario asks for: sizes, and the memory of the largest arrays (bytes)."""

    nodes: float
    links: float
    lattice_points: float
    zones: int
    trips: float
    slots: int
    intervals: int
    ticks: float
    memory: dict[str, float]

    @property
    def total_bytes(self) -> float:
        """Estimated memory of all the arrays, bytes."""
        return float(sum(self.memory.values()))


def estimate(spec: Scenario) -> Estimate:
    """Sizes a run of ``spec`` implies, before anything is built (network files: 0 nodes)."""
    gen = spec.network.generator
    nodes = links = lattice = 0.0
    if gen is not None:
        radius = gen.radius_m
        half = gen.arterial_spacing_m / 2
        lattice = (2 * math.ceil(radius / half) + 1) ** 2
        arterial = math.pi * radius**2 / gen.arterial_spacing_m**2
        nodes = arterial * (1 + 3 * gen.collector_density)
        links = _LINKS_PER_NODE * nodes
    zones = (spec.zones.generate.count if spec.zones.generate is not None
             else len(spec.zones.list or []))  # zone files: counted when built
    sim = spec.simulation
    trips = spec.city.population * spec.demand.trips_per_person_per_day * sim.sample_share
    slots = max(1, math.ceil(sim.duration_s / sim.routing_slot_s - 1e-9))
    intervals = max(1, math.ceil(sim.duration_s / sim.interval_s - 1e-9))
    memory = {
        "network": lattice * _BYTES_PER_LATTICE_POINT,
        "link_series": links * (slots + intervals) * _BYTES_PER_LINK_SLOT,
        "skims": float(zones) ** 2 * slots * _BYTES_PER_SKIM_CELL,
        "trips": trips * _BYTES_PER_TRIP,
    }
    return Estimate(nodes=nodes, links=links, lattice_points=lattice, zones=zones, trips=trips,
                    slots=slots, intervals=intervals, ticks=sim.duration_s / sim.tick_s,
                    memory=memory)


def _gib(n: float) -> str:
    return f"{n / 2**30:,.1f} GiB"


def check_plausible(spec: Scenario, lines: LineMap, file: str | Path) -> Estimate:
    """Refuse a scenario whose size is beyond what a run can hold, or too small to mean anything.

    Raises one :class:`ScenarioError` naming the file, line and field to change.
    """
    def fail(message: str, at: FieldPath) -> ScenarioError:
        return ScenarioError(message, path=format_path(at), **locate(lines, at, Path(file)))

    est = estimate(spec)
    sim = spec.simulation
    gen = spec.network.generator
    if gen is not None and (est.nodes > MAX_NETWORK_NODES
                            or est.memory["network"] > MAX_MEMORY_BYTES):
        area = gen.urban_area_km2 * gen.scale
        raise fail(f"urban_area_km2 × scale = {area:,.4g} km² at arterial_spacing_m = "
                   f"{gen.arterial_spacing_m:,.4g} asks for about {est.nodes:,.0f} junctions "
                   f"({est.lattice_points:,.0f} lattice points, "
                   f"{_gib(est.memory['network'])}); expected at most "
                   f"{MAX_NETWORK_NODES:,} junctions: widen the spacing or shrink the area",
                   ("network", "generator", "arterial_spacing_m"))
    if est.trips < MIN_SIMULATED_TRIPS:
        raise fail(f"population × trips_per_person_per_day × sample_share = "
                   f"{spec.city.population:,} × {spec.demand.trips_per_person_per_day:g} × "
                   f"{sim.sample_share:g} simulates about {est.trips:,.1f} trips; expected at "
                   f"least {MIN_SIMULATED_TRIPS} (KPIs of fewer trips are noise or undefined): "
                   "raise sample_share", ("simulation", "sample_share"))
    if est.ticks > MAX_TICKS:
        raise fail(f"duration_s / tick_s = {sim.duration_s:,.0f} / {sim.tick_s:g} is "
                   f"{est.ticks:,.0f} kernel ticks; expected at most {MAX_TICKS:,}: raise "
                   "tick_s or shorten duration", ("simulation", "tick_s"))
    if est.total_bytes > MAX_MEMORY_BYTES:
        part = max(est.memory, key=lambda k: est.memory[k])
        what: dict[str, tuple[str, FieldPath]] = {
            "network": ("the generated network", ("network", "generator")),
            "link_series": (
                f"link time series: about {est.links:,.0f} links × ({est.slots:,} routing slots "
                f"+ {est.intervals:,} intervals)",
                ("simulation", "routing_slot_s" if est.slots >= est.intervals
                 else "interval_s")),
            "skims": (f"skims: {est.zones:,} zones² × {est.slots:,} routing slots",
                      ("zones",) if est.slots <= 48 else ("simulation", "routing_slot_s")),
            "trips": (f"trips: about {est.trips:,.0f} simulated trips",
                      ("simulation", "sample_share")),
        }
        text, at = what[part]
        raise fail(f"the run would need about {_gib(est.total_bytes)} of memory, mostly "
                   f"{text} ({_gib(est.memory[part])}); expected at most "
                   f"{_gib(MAX_MEMORY_BYTES)}: change {format_path(at)}", at)
    return est

