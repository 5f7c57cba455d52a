"""The KPI registry: every KPI once, with its unit, good direction, U4SSC code and meaning.

Every KPI a run reports is made here (:func:`make_kpi`): subsystems compute a
value and ask the registry for the rest, so ``summary.json``, the experiment
store, reports, figures and the FIWARE export all read one definition. A name
that is not registered is an error (a test checks every KPI of a run).

``u4ssc`` is the indicator number in ITU's U4SSC collection (United for Smart
Sustainable Cities, *Collection Methodology for Key Performance Indicators for
Smart Sustainable Cities*, ITU 2017; the same numbers in the *U4SSC KPIs
Verification Manual*, ITU 2022, e.g. Travel Time Index, EC: I: T: 5A, p. 82)
where one measures the same quantity; ``u4ssc_note`` says how ours differs
from the U4SSC definition (our span is the simulated day, our shares count all
person trips, …). KPIs without a U4SSC counterpart have ``u4ssc = None``.

``better`` says which direction of change is good for the city: ``"lower"``
(delay, emissions, car share), ``"higher"`` (transit, walking and cycling
shares, renewable share) or ``"none"`` (descriptive: population, trips made,
the equilibrium gap). Reports colour an effect good or bad by it
(:func:`judge_effect`), never by its sign alone. ``report`` marks the KPIs a
transfer or comparison reports by default, in registry order.

A KPI that mixes subsystems (population-weighted exposure from link emissions
and zone population, EV share of vehicle-km) is computed by a subsystem that
*uses* both products (:mod:`twincity.subsystems`) and registered here with
:func:`register_kpi`.

Example:
    >>> make_kpi("peak_load", 12.5)
    KPI(name='peak_load', value=12.5, unit='MW', u4ssc=None, better='lower')
    >>> CATALOGUE["co2_per_capita_total"].unit, CATALOGUE["travel_time_index"].u4ssc
    ('t/person/yr', 'EC: I: T: 5A')
    >>> better_sign("total_delay"), better_sign("mode_share_transit"), better_sign("population")
    (-1, 1, 0)
    >>> judge_effect("total_delay", -3.0, significant=True)
    'good'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from twincity.results import KPI

Better = Literal["lower", "higher", "none"]

#: U4SSC indicator numbers used below (ITU 2017 collection; ITU 2022 verification manual).
U4SSC_TRANSPORT_MODE_SHARE = "EC: I: T: 4A"
U4SSC_TRAVEL_TIME_INDEX = "EC: I: T: 5A"
U4SSC_GHG_EMISSIONS = "EN: EN: AQ: 2C"
U4SSC_RENEWABLE_ENERGY = "EN: E: E: 1C"
U4SSC_ELECTRICITY_CONSUMPTION = "EN: E: E: 2C"
_MODE_SHARE_NOTE = ("U4SSC counts trips to work; this counts every person trip of the "
                    "simulated span")


@dataclass(frozen=True)
class KPIDefinition:
    """A KPI's name, unit, meaning, good direction and U4SSC code (where one exists)."""

    name: str
    unit: str
    description: str
    u4ssc: str | None = None
    better: Better = "lower"
    #: How this KPI differs from the U4SSC indicator ``u4ssc`` (``None``: same quantity).
    u4ssc_note: str | None = None
    #: Reported by default in transfers and comparisons (in registry order).
    report: bool = False

    def label(self, unit: str | None = None) -> str:
        """A readable label with its unit: ``total delay, veh-h/day``."""
        words = self.name.replace("_", " ")
        if words.startswith("mode share "):
            words = f"{words[len('mode share '):]} mode share"
        words = (words.replace("co2", "CO₂").replace("nox", "NOx").replace("pm25", "PM2.5")
                 .replace(" t per yr", "").replace("ev ", "EV "))
        unit = unit or self.unit
        return f"{words}, {unit}" if unit else words


_DEFS = (
    # -- traffic (twincity.traffic.kpis; the reported ones in report order)
    KPIDefinition("mode_share_car", "share", "Share of person trips by car.",
                  u4ssc=U4SSC_TRANSPORT_MODE_SHARE, u4ssc_note=_MODE_SHARE_NOTE, report=True),
    KPIDefinition("mode_share_transit", "share", "Share of person trips by public transport.",
                  u4ssc=U4SSC_TRANSPORT_MODE_SHARE, u4ssc_note=_MODE_SHARE_NOTE,
                  better="higher", report=True),
    KPIDefinition("mode_share_walk", "share", "Share of person trips on foot.",
                  u4ssc=U4SSC_TRANSPORT_MODE_SHARE, u4ssc_note=_MODE_SHARE_NOTE,
                  better="higher", report=True),
    KPIDefinition("mode_share_bike", "share", "Share of person trips by bicycle.",
                  u4ssc=U4SSC_TRANSPORT_MODE_SHARE, u4ssc_note=_MODE_SHARE_NOTE,
                  better="higher", report=True),
    KPIDefinition("person_trips_per_day", "trips/day", "Trips of residents per day.",
                  better="none", report=True),
    KPIDefinition("vehicle_km", "veh-km/day", "Road vehicle-km per day (cars and trucks).",
                  report=True),
    KPIDefinition("vehicle_km_central", "veh-km/day",
                  "Road vehicle-km per day on links inside the central area (the 10% of nodes "
                  "nearest the centre: congestion pricing's default charged area).", report=True),
    KPIDefinition("travel_time_index", "ratio",
                  "Car travel time over free-flow time of the same routes, summed over car "
                  "trips.", u4ssc=U4SSC_TRAVEL_TIME_INDEX,
                  u4ssc_note="U4SSC compares peak periods with free flow; this sums every car "
                             "trip of the simulated span", report=True),
    KPIDefinition("total_delay", "veh-h/day", "Vehicle-hours lost against free flow per day.",
                  report=True),
    KPIDefinition("delay_central_peak", "veh-h/day",
                  "Vehicle-hours lost against free flow on central-area links in the AM and PM "
                  "peaks (7–10 h, 17–20 h local).", report=True),
    KPIDefinition("mean_commute_time", "min",
                  "Mean door-to-door time of commute trips, every mode.", report=True),
    KPIDefinition("stuck_share", "share", "Share of road trips squeezed through a gridlock."),
    KPIDefinition("aborted_share", "share",
                  "Share of road trips removed from a gridlock (never arrived)."),
    KPIDefinition("congested_lane_km", "lane-km",
                  "Lane-km of links below half their free-flow speed in some interval."),
    KPIDefinition("relative_gap", "share",
                  "Relative gap of the reported day's car routes (a convergence diagnostic).",
                  better="none"),
    # -- emissions (twincity.emissions.subsystem)
    KPIDefinition("co2_per_capita_transport", "t/person/yr",
                  "Road vehicles' tailpipe CO2 (simulated) plus buses (estimate) per resident.",
                  report=True),
    KPIDefinition("co2_per_capita_buildings", "t/person/yr",
                  "CO2 of gas and oil burnt in buildings and of district heat fed, per resident.",
                  report=True),
    KPIDefinition("co2_per_capita_total", "t/person/yr",
                  "Transport + buildings + electricity CO2 per resident.",
                  u4ssc=U4SSC_GHG_EMISSIONS,
                  u4ssc_note="U4SSC counts all greenhouse gases (t CO2e) of every sector; this is "
                             "the CO2 of transport, buildings and electricity", report=True),
    # -- energy (twincity.energy.subsystem)
    KPIDefinition("electricity_per_capita", "kWh/person/yr",
                  "Electricity used in the city (buildings + EV charging) per resident and year.",
                  u4ssc=U4SSC_ELECTRICITY_CONSUMPTION, report=True),
    KPIDefinition("peak_load", "MW",
                  "Highest hourly electricity demand of the city (buildings + EV charging) "
                  "over the representative days.", report=True),
    # -- emissions, continued
    KPIDefinition("nox_t_per_yr", "t/yr", "NOx of road vehicles and buses.", report=True),
    KPIDefinition("pm25_t_per_yr", "t/yr",
                  "PM2.5 of road vehicles and buses, exhaust and non-exhaust (wear).",
                  report=True),
    KPIDefinition("co2_per_capita_electricity", "t/person/yr",
                  "CO2 of the city's grid electricity (EV charging included) per resident."),
    KPIDefinition("bus_co2_t_per_yr", "t/yr",
                  "CO2 of the bus fleet, estimated from transit supply (not simulated)."),
    # -- energy, continued
    KPIDefinition("renewable_share", "share",
                  "Share of the city's electricity from hydro, wind, solar and biomass, "
                  "including local rooftop PV; not reported with a fixed-intensity grid.",
                  u4ssc=U4SSC_RENEWABLE_ENERGY,
                  u4ssc_note="U4SSC counts all energy; this counts electricity only",
                  better="higher"),
    KPIDefinition("ev_charging_peak", "MW", "Highest hourly EV charging load of the city."),
    KPIDefinition("grid_intensity_mean", "kg/kWh",
                  "Time mean over the year of the hourly average CO2 intensity of generation."),
    KPIDefinition("grid_intensity_at_peak", "kg/kWh",
                  "Average CO2 intensity of generation in the hour of peak_load."),
    # -- the city itself (descriptive; twincity.model)
    KPIDefinition("population", "persons", "Residents of the city.", better="none"),
    KPIDefinition("population_density", "persons/km2", "Residents per km² of city area.",
                  better="none"),
    KPIDefinition("road_lane_km_per_1000", "lane-km/1000 persons",
                  "Lane-km of the simulated road network per 1000 residents.", better="none"),
)

#: KPI definitions by name.
CATALOGUE: dict[str, KPIDefinition] = {d.name: d for d in _DEFS}


def make_kpi(name: str, value: float) -> KPI:
    """A :class:`~twincity.results.KPI` with the registry's unit, U4SSC code and direction.

    Raises ``KeyError`` for a name not in the registry (register it first).
    """
    d = CATALOGUE.get(name)
    if d is None:
        raise KeyError(f"KPI {name!r} is not in the registry (twincity.kpi); register it "
                       "with register_kpi")
    return KPI(name, float(value), d.unit, d.u4ssc, d.better)


def register_kpi(definition: KPIDefinition, *, replace: bool = False) -> KPIDefinition:
    """Add a KPI to the registry (a new subsystem's KPIs); a name is registered once."""
    if definition.name in CATALOGUE and not replace:
        raise ValueError(f"KPI {definition.name!r} is already registered")
    CATALOGUE[definition.name] = definition
    return definition


def unregister_kpi(name: str) -> None:
    """Remove a registered KPI (a test's toy KPI, for instance)."""
    CATALOGUE.pop(name, None)


def report_kpis() -> tuple[str, ...]:
    """The KPIs transfers and comparisons report by default, in registry order."""
    return tuple(n for n, d in CATALOGUE.items() if d.report)


def kpi_label(name: str, unit: str | None = None) -> str:
    """A readable KPI label with its unit (the registry's unit unless ``unit`` is given).

    >>> kpi_label("mode_share_transit")
    'transit mode share, share'
    """
    d = CATALOGUE.get(name) or KPIDefinition(name, unit or "", "")
    return d.label(unit)


def better_sign(name: str) -> int:
    """+1 when a higher value of KPI ``name`` is good, −1 when lower, 0 when neither or unknown."""
    d = CATALOGUE.get(name)
    if d is None:
        return 0
    return {"higher": 1, "lower": -1}.get(d.better, 0)


def judge_effect(name: str, effect: float, *, significant: bool) -> str:
    """``"good"``, ``"bad"``, ``"neutral"`` (KPI without a good direction) or ``"n.s."``.

    An effect is judged only when it is significant; its colour follows the
    KPI's good direction, so a fall in delay and a rise in transit share are
    both good.

    >>> judge_effect("mode_share_transit", -0.01, significant=True)
    'bad'
    >>> judge_effect("mode_share_transit", 0.01, significant=False)
    'n.s.'
    """
    if not significant or math.isnan(effect) or effect == 0:
        return "n.s."
    sign = better_sign(name)
    if sign == 0:
        return "neutral"
    return "good" if (effect > 0) == (sign > 0) else "bad"
