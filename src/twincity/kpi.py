"""The catalogue of energy and emission KPIs: one place for their names, units and meaning.

Every KPI reaches ``summary.json`` as a record ``{name, value, unit, u4ssc}``. The
``u4ssc`` field holds an ITU U4SSC KPI code only where we are certain of the code;
for the KPIs below we are not, so it is ``None`` (JSON ``null``). Traffic KPIs are
defined in :mod:`twincity.traffic.kpis`.

Example:
    >>> make_kpi("peak_load", 12.5)
    KPI(name='peak_load', value=12.5, unit='MW', u4ssc=None)
    >>> CATALOGUE["co2_per_capita_total"].unit
    't/person/yr'
"""

from __future__ import annotations

from dataclasses import dataclass

from twincity.results import KPI


@dataclass(frozen=True)
class KPIDefinition:
    """What a KPI means, its unit and its U4SSC code where certain."""

    name: str
    unit: str
    description: str
    u4ssc: str | None = None


_DEFS = (
    KPIDefinition("electricity_per_capita", "kWh/person/yr",
                  "Electricity used in the city (buildings + EV charging) per resident and year."),
    KPIDefinition("peak_load", "MW",
                  "Highest hourly electricity demand of the city (buildings + EV charging) "
                  "over the representative days."),
    KPIDefinition("renewable_share", "share",
                  "Share of the city's electricity from hydro, wind, solar and biomass, "
                  "including local rooftop PV; not reported with a fixed-intensity grid."),
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
