"""The engine's vocabulary: modes, trip purposes, road and vehicle classes, pollutants.

One home for every name and integer code that crosses a module boundary. Arrays
hold codes (``int8``); tables and scenario files hold names; the code of a name
is its index in the tuple here. Nothing in twincity compares with a bare code
(``mode == 1``): it names the constant (``mode == TRANSIT``).

Each ``Literal`` type is the definition (pydantic validates scenario fields
with it) and its tuple is derived from it, so the two cannot drift.

Road-vehicle book entries (route memory, the equilibrium's plan) hold people
first, then trucks, then hire cars: :class:`twincity.traffic.entries.EntryLayout` is the one
place that convention is spelled out.

Example:
    >>> MODES[CAR], TRIP_MODES[FREIGHT], PURPOSES[COMMUTE]
    ('car', 'freight', 'commute')
    >>> ROAD_CLASSES.index("arterial") == ARTERIAL
    True
"""

from __future__ import annotations

from typing import Literal, get_args

# -- modes of person trips (mode choice, the trip table's ``mode``)
Mode = Literal["car", "transit", "walk", "bike"]
#: Person modes; a traveller's mode code is the index here.
MODES: tuple[str, ...] = get_args(Mode)
CAR, TRANSIT, WALK, BIKE = (MODES.index(m) for m in ("car", "transit", "walk", "bike"))
#: Modes of the trip table: the person modes, then the vehicles no traveller drives:
#: freight, hire cars (taxis and ride-hail) with a passenger aboard and hire cars
#: running empty (to a pickup or cruising; :mod:`twincity.traffic.hire`).
TRIP_MODES: tuple[str, ...] = (*MODES, "freight", "hire", "hire_empty")
FREIGHT, HIRE, HIRE_EMPTY = (TRIP_MODES.index(m) for m in ("freight", "hire", "hire_empty"))
#: Modes on foot or by bicycle: their time is distance over speed (no network).
ACTIVE_MODES: tuple[int, ...] = (WALK, BIKE)

# -- trip purposes (demand generation, the trip table's ``purpose``)
Purpose = Literal["commute", "other", "freight"]
PURPOSES: tuple[str, ...] = get_args(Purpose)
COMMUTE, OTHER, FREIGHT_PURPOSE = (PURPOSES.index(p) for p in PURPOSES)

# -- road classes (the network's ``road_class`` codes, scenario ``network.road_classes``)
RoadClass = Literal["motorway", "arterial", "collector", "local", "connector"]
ROAD_CLASSES: tuple[str, ...] = get_args(RoadClass)
MOTORWAY, ARTERIAL, COLLECTOR, LOCAL, CONNECTOR = range(len(ROAD_CLASSES))

# -- vehicle classes (rows of the emission-factor table, the kernel's ``veh_class``)
CarClass = Literal["petrol_car", "diesel_car", "hybrid_car", "bev_car"]
CAR_CLASSES: tuple[str, ...] = get_args(CarClass)
#: Car classes with a Euro standard (combustion engines with a NOx class).
EuroCarClass = Literal["petrol_car", "diesel_car"]
BusClass = Literal["diesel_bus", "electric_bus"]
BUS_CLASSES: tuple[str, ...] = get_args(BusClass)
TRUCK = "truck"
#: Every vehicle class, in the order of ``data/emission_factors.csv`` (checked on load).
VEHICLE_CLASSES: tuple[str, ...] = (*CAR_CLASSES, *BUS_CLASSES, TRUCK)
#: Freight vehicle types the kernel's ``truck`` stands for (:mod:`twincity.emissions.freight`).
FreightType = Literal["van", "rigid", "articulated"]
FREIGHT_TYPES: tuple[str, ...] = get_args(FreightType)

# -- pollutants and per-km quantities of the emission-factor table
Pollutant = Literal["co2", "nox", "pm25_exhaust", "pm25_nonexhaust", "energy"]
#: Quantities of the factor table, in its order (checked on load); ``energy`` is kWh.
POLLUTANTS: tuple[str, ...] = get_args(Pollutant)

# -- traffic variants: how long a vehicle takes on a link it enters (the queue kernel)
SpeedModel = Literal["free_flow", "greenshields"]
#: Link speed models; the kernel's ``speed_model`` code is the index here.
SPEED_MODELS: tuple[str, ...] = get_args(SpeedModel)
