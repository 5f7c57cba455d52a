"""The KPI registry: one place for every KPI's name, unit, meaning and good direction.

Every KPI reaches ``summary.json`` as a record ``{name, value, unit, u4ssc}``. The
``u4ssc`` field holds an ITU U4SSC KPI code only where we are certain of the code
(``travel_time_index``); elsewhere it is ``None`` (JSON ``null``). Traffic KPIs are
computed in :mod:`twincity.traffic.kpis`, energy and emission KPIs by their
subsystems, city KPIs by the model; all are described here.

``better`` says which direction of change is good for the city: ``"lower"``
(delay, emissions, car share), ``"higher"`` (transit, walking and cycling
shares, renewable share) or ``"none"`` (descriptive: population, trips made,
the equilibrium gap). Reports colour an effect good or bad by it
(:func:`judge_effect`), never by its sign alone.

Example:
    >>> make_kpi("peak_load", 12.5)
    KPI(name='peak_load', value=12.5, unit='MW', u4ssc=None)
    >>> CATALOGUE["co2_per_capita_total"].unit
    't/person/yr'
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


@dataclass(frozen=True)
class KPIDefinition:
    """What a KPI means, its unit, its good direction and its U4SSC code where certain."""

    name: str
    unit: str
    description: str
    u4ssc: str | None = None
    better: Better = "lower"


_DEFS = (
    # -- the city itself (descriptive)
    KPIDefinition("population", "persons", "Residents of the city.", better="none"),
    KPIDefinition("population_density", "persons/km2", "Residents per km² of city area.",
                  better="none"),
    KPIDefinition("road_lane_km_per_1000", "lane-km/1000 persons",
                  "Lane-km of the simulated road network per 1000 residents.", better="none"),
    # -- traffic (twincity.traffic.kpis)
    KPIDefinition("person_trips_per_day", "trips/day", "Trips of residents per day.",
                  better="none"),
    KPIDefinition("mean_commute_time", "min",
                  "Mean door-to-door time of commute trips, every mode."),
    KPIDefinition("travel_time_index", "ratio",
                  "Car travel time over free-flow time of the same routes, summed over car "
                  "trips.", u4ssc="EC:I:T:5A"),
    KPIDefinition("vehicle_km", "veh-km/day", "Road vehicle-km per day (cars and trucks)."),
    KPIDefinition("total_delay", "veh-h/day", "Vehicle-hours lost against free flow per day."),
    KPIDefinition("stuck_share", "share", "Share of road trips squeezed through a gridlock."),
    KPIDefinition("aborted_share", "share",
                  "Share of road trips removed from a gridlock (never arrived)."),
    KPIDefinition("mode_share_car", "share", "Share of person trips by car."),
    KPIDefinition("mode_share_transit", "share", "Share of person trips by public transport.",
                  better="higher"),
    KPIDefinition("mode_share_walk", "share", "Share of person trips on foot.",
                  better="higher"),
    KPIDefinition("mode_share_bike", "share", "Share of person trips by bicycle.",
                  better="higher"),
    KPIDefinition("congested_lane_km", "lane-km",
                  "Lane-km of links below half their free-flow speed in some interval."),
    KPIDefinition("relative_gap", "share",
                  "Relative gap of the reported day's car routes (a convergence diagnostic).",
                  better="none"),
    KPIDefinition("vehicle_km_central", "veh-km/day",
                  "Road vehicle-km per day on links inside the central area (the 10% of nodes "
                  "nearest the centre: congestion pricing's default charged area)."),
    KPIDefinition("delay_central_peak", "veh-h/day",
                  "Vehicle-hours lost against free flow on central-area links in the AM and PM "
                  "peaks (7–10 h, 17–20 h local)."),
    # -- energy and emissions
    KPIDefinition("electricity_per_capita", "kWh/person/yr",
                  "Electricity used in the city (buildings + EV charging) per resident and year."),
    KPIDefinition("peak_load", "MW",
                  "Highest hourly electricity demand of the city (buildings + EV charging) "
                  "over the representative days."),
    KPIDefinition("renewable_share", "share",
                  "Share of the city's electricity from hydro, wind, solar and biomass, "
                  "including local rooftop PV; not reported with a fixed-intensity grid.",
                  better="higher"),
    KPIDefinition("ev_charging_peak", "MW", "Highest hourly EV charging load of the city."),
    KPIDefinition("grid_intensity_mean", "kg/kWh",
                  "Time mean over the year of the hourly average CO2 intensity of generation."),
    KPIDefinition("grid_intensity_at_peak", "kg/kWh",
                  "Average CO2 intensity of generation in the hour of peak_load."),
    KPIDefinition("co2_per_capita_transport", "t/person/yr",
                  "Road vehicles' tailpipe CO2 (simulated) plus buses (estimate) per resident."),
    KPIDefinition("co2_per_capita_buildings", "t/person/yr",
                  "CO2 of gas and oil burnt in buildings and of district heat fed, per resident."),
    KPIDefinition("co2_per_capita_electricity", "t/person/yr",
                  "CO2 of the city's grid electricity (EV charging included) per resident."),
    KPIDefinition("co2_per_capita_total", "t/person/yr",
                  "Transport + buildings + electricity CO2 per resident."),
    KPIDefinition("bus_co2_t_per_yr", "t/yr",
                  "CO2 of the bus fleet, estimated from transit supply (not simulated)."),
    KPIDefinition("nox_t_per_yr", "t/yr", "NOx of road vehicles and buses."),
    KPIDefinition("pm25_t_per_yr", "t/yr",
                  "PM2.5 of road vehicles and buses, exhaust and non-exhaust (wear)."),
)

#: KPI definitions by name.
CATALOGUE: dict[str, KPIDefinition] = {d.name: d for d in _DEFS}


def make_kpi(name: str, value: float) -> KPI:
    """A :class:`~twincity.results.KPI` with the catalogue's unit and U4SSC code."""
    d = CATALOGUE[name]
    return KPI(name, float(value), d.unit, d.u4ssc)


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
