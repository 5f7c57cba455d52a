"""The emissions subsystem: yearly CO₂, NOx and PM2.5 of transport, buildings and electricity.

Sources (all t/yr unless stated; the city's whole population):

* **Road vehicles** (cars and trucks): the traffic kernel's per-link, per-interval
  emissions (COPERT average-speed factors applied per link traversal at the simulated
  speed, ``TrafficSim.link_emis_g``) divided by the sample share, summed over the
  year's day types: ``W_weekday ×`` the reported weekday ``+ W_weekend ×`` the simulated
  weekend day (:mod:`twincity.traffic.weekend`; the weekday again without
  ``demand.weekend``), ``W`` the days of each type in ``climate.representative_days``
  (:meth:`~twincity.scenario.sections_climate.ClimateSpec.days_of_type`: 261 and 104 in
  the shipped cities). PM2.5 is exhaust + non-exhaust (tyre, brake and road wear).
  NOx of petrol and diesel cars is then corrected from the table's Euro 6d factor to
  each trip's Euro standard drawn from ``fleet.euro_mix`` (on-road factors by standard,
  :mod:`twincity.emissions.euro`). Freight vehicles are corrected from the articulated
  truck row to their type drawn from ``fleet.freight_mix`` (van, rigid, articulated;
  CO₂, NOx, exhaust PM2.5 and energy exactly, non-exhaust PM2.5 left at the articulated
  value: :mod:`twincity.emissions.freight`).
* **Buses** — an *estimate*: buses are not vehicles in the traffic kernel. Bus
  vehicle-km per day = for each trunk line of kind ``bus`` or ``brt``, its length
  (the transit module's line geometry) × 2 directions × :data:`BUS_SERVICE_H_PER_DAY`
  × 3600 / headway, plus the feeder network: the length of every directed arterial and
  collector link (so both directions of a two-way road) × service hours × 3600 /
  ``feeder_headway_s`` (none when ``transit.feeder`` is false). Headways are peak
  headways, so off-peak service is overestimated — except on timetabled lines (GTFS
  imports, ``trips_per_hour``): one direction, length × the day's departures, scaled by
  the peak headway's change when a policy changes ``headway_s``. The vehicle-km are
  split by ``fleet.bus_shares`` and priced with the bus factors at the service's
  commercial speed, every day of the year (× 365: bus timetables have no weekend
  variant here). Electric buses' electricity is
  charged at the year's consumption-weighted delivered grid intensity; it is not part
  of the dispatched grid load.
* **Buildings** (combustion and district heat): gas × IPCC 2006 default 56.1 t CO₂/TJ
  (0.202 kg/kWh), oil × 74.1 t/TJ (gas/diesel oil, 0.267 kg/kWh), district heat *fed*
  × ``buildings.district_heating_co2_kg_per_kwh``. Heat pumps and resistance heating
  are electricity. Boiler NOx and PM are not modelled.
* **Electricity**: the city's hourly grid import × the hour's delivered intensity
  (EV charging included; its part is reported as its own row).

Yearly energy sums are Σ over representative days × ``weight_days``. Everything is
computed at the end of the run (:meth:`EmissionsSubsystem.finish`, or lazily).

Example:
    >>> from twincity.model import CityModel                                   # doctest: +SKIP
    >>> r = CityModel.from_file("tests/data/tiny.yaml").run()                  # doctest: +SKIP
    >>> r.kpi("co2_per_capita_total") > 0                                      # doctest: +SKIP
    True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from twincity.emissions.euro import euro_nox_correction_g, trip_euro_class, trip_uniforms
from twincity.emissions.factors import emission_factor, pollutants
from twincity.emissions.freight import freight_correction, freight_types
from twincity.kpi import make_kpi
from twincity.results import KPI
from twincity.vocab import ROAD_CLASSES

if TYPE_CHECKING:
    from twincity.context import RunContext
    from twincity.products import EnergyYear, RoadTraffic, TripTable
    from twincity.subsystems import Products

#: Hours of bus service per day (05:00–24:00), an assumption of the bus estimate.
BUS_SERVICE_H_PER_DAY = 19.0
#: IPCC 2006 Guidelines vol. 2 ch. 2, default CO₂ factors: natural gas 56,100 kg/TJ,
#: gas/diesel oil 74,100 kg/TJ; 1 TJ = 277,777.8 kWh.
GAS_CO2_KG_PER_KWH = 56_100.0 / 277_777.78
OIL_CO2_KG_PER_KWH = 74_100.0 / 277_777.78
DAYS_PER_YEAR = 365.0
G_PER_T = 1e6
KG_PER_T = 1e3
BUS_KINDS = ("bus", "brt")
FEEDER_ROAD_CLASSES = ("arterial", "collector")

COLUMNS = ("source", "sector", "estimate", "co2_t_per_yr", "nox_t_per_yr", "pm25_t_per_yr",
           "energy_kwh_per_yr", "vehicle_km_per_yr")


def road_emissions_t_per_yr(link_emis_g: np.ndarray, sample_share: float,
                            days: float = DAYS_PER_YEAR) -> dict[str, float]:
    """Yearly city totals (t; ``energy`` in kWh) of the kernel's link emissions.

    ``link_emis_g`` is ``[interval, link, pollutant]`` in the order of
    :func:`~twincity.emissions.factors.pollutants`; the simulated day stands for
    ``days`` days of the year.

    Example:
        >>> e = np.zeros((1, 1, len(pollutants()))); e[0, 0, pollutants().index("co2")] = 1e3
        >>> road_emissions_t_per_yr(e, 0.5)["co2"]   # 1 kg / 0.5 × 365 = 0.73 t
        0.73
    """
    total = np.asarray(link_emis_g, dtype=np.float64).sum(axis=(0, 1)) / sample_share
    out = {}
    for p, name in enumerate(pollutants()):
        scale = days if name == "energy" else days / G_PER_T
        out[name] = float(total[p] * scale)
    return out


def road_euro_nox_correction_t_per_yr(context: RunContext, trips: TripTable | None,
                                       days: float = DAYS_PER_YEAR) -> float:
    """Yearly NOx (t) that the fleet's Euro mix adds to the kernel's Euro 6d NOx.

    ``trips``' day stands for ``days`` days of the year.

    Each person trip's car and each hire leg's car gets its standard from
    :func:`twincity.emissions.euro.trip_euro_class` (the draw the low-emission-zone rule
    sees too); the correction is exact because the table's NOx of a combustion car is
    its energy × a constant. Zero without ``fleet.euro_mix``.
    """
    euro_mix = context.city.spec.fleet.euro_mix
    if trips is None or not euro_mix:
        return 0.0
    lay = trips.layout
    cars = pd.concat([trips.people(), trips.hire()])  # travellers' cars and hire cars
    names = cars["veh_class"].to_numpy()
    ids = trips.row_identity()
    ids = np.concatenate([ids[: lay.n_people], ids[lay.hire_slice]])
    idx = trip_euro_class(names, trip_uniforms(context, ids), euro_mix)
    grams = euro_nox_correction_g(names, idx, cars["energy_kwh"].to_numpy())
    return grams / trips.sample_share * days / G_PER_T


def road_freight_correction_per_yr(context: RunContext, trips: TripTable | None,
                                   days: float = DAYS_PER_YEAR) -> dict[str, float]:
    """Yearly amounts (t; kWh for energy) the freight mix adds to the articulated account.

    See :mod:`twincity.emissions.freight`; empty without ``fleet.freight_mix``;
    ``trips``' day stands for ``days`` days of the year.
    """
    mix = context.city.spec.fleet.freight_mix
    if trips is None or not mix:
        return {}
    freight = trips.freight()
    ids = trips.row_identity()[trips.layout.truck_slice]
    types = freight_types(context, ids, mix)
    grams = freight_correction(types, freight["energy_kwh"].to_numpy())
    scale = days / trips.sample_share
    return {p: v * scale * (1.0 if p == "energy" else 1.0 / G_PER_T) for p, v in grams.items()}


def bus_vehicle_km_per_day(city) -> list[tuple[str, float, float]]:
    """Estimated bus services: (name, vehicle-km per day, commercial speed km/h).

    See the module docstring for the rule. Example (the tiny city)::

        >>> from twincity.city.build import build_city                       # doctest: +SKIP
        >>> from twincity.scenario.loader import load_scenario              # doctest: +SKIP
        >>> city = build_city(load_scenario("tests/data/tiny.yaml"))        # doctest: +SKIP
        >>> [name for name, _, _ in bus_vehicle_km_per_day(city)]          # doctest: +SKIP
        ['feeder', 'BRT']
    """
    from twincity.traffic.transit import line_geometry

    ts = city.spec.transit
    net = city.network
    services_per_day = BUS_SERVICE_H_PER_DAY * 3600.0
    feeder = np.isin(net.road_class, [ROAD_CLASSES.index(c) for c in FEEDER_ROAD_CLASSES])
    feeder_km = float(net.length_m[feeder].sum()) / 1000.0
    out = [("feeder", feeder_km * services_per_day / ts.feeder_headway_s,
            ts.feeder_speed_mps * 3.6)] if ts.feeder else []
    for line in ts.lines:  # a handful of lines
        if line.kind not in BUS_KINDS:
            continue
        geo = line_geometry(line, net, city.centre_xy_m, city.radius_m, ts.stop_spacing_m,
                            getattr(city, "projection", None))
        x, y = geo.stop_x_m, geo.stop_y_m
        if geo.ring:
            x, y = np.append(x, x[0]), np.append(y, y[0])
        length_km = float(np.hypot(np.diff(x), np.diff(y)).sum()) / 1000.0
        peak = sum(line.trips_per_hour[7:9]) if line.trips_per_hour is not None else 0
        if peak > 0:  # a timetable (GTFS): its runs, scaled as a policy scales headway_s
            runs = sum(line.trips_per_hour) * (7200.0 / peak) / line.headway_s
        else:
            runs = (1 if geo.one_way else 2) * services_per_day / line.headway_s
        out.append((line.name, length_km * runs, line.speed_mps * 3.6))
    return out


class EmissionsSubsystem:
    """Emissions of the run's traffic and energy year, by source, and their KPIs."""

    name = "emissions"

    def __init__(self, context: RunContext, products: Products) -> None:
        """Read the population; the by-source table is built in :meth:`finish` from the products."""
        self.context = context
        self.products = products
        model = context
        self.population = float(model.city.spec.city.population)
        self._table: pd.DataFrame | None = None
        self.notes = [
            "emissions: road traffic per year = weekday days x the simulated weekday + weekend "
            "days x the weekend day (the weekday again without demand.weekend); buses run "
            "every day alike (x 365); yearly energy is the sum over representative days x "
            "weight_days",
            "emissions: bus emissions are an estimate from transit supply (line length x 2 "
            f"directions x {BUS_SERVICE_H_PER_DAY:g} service hours / peak headway"
            + ("; feeder buses on every arterial and collector link"
               if model.city.spec.transit.feeder else "")
            + ("; timetabled lines: their length x their departures of the day"
               if any(ln.trips_per_hour for ln in model.city.spec.transit.lines) else "")
            + "), not simulated vehicles"]
        if model.city.spec.fleet.freight_mix:
            self.notes.append("emissions: freight vehicles by type (fleet.freight_mix); their "
                              "non-exhaust PM2.5 stays at the articulated-truck value")

    def prepare(self) -> None:
        """Nothing before the first step."""

    def advance(self, start_s: float, end_s: float) -> None:
        """Nothing per step: the yearly account is made in :meth:`finish`."""

    def observations(self) -> dict[str, float]:
        """No per-step observations: emissions are yearly."""
        return {}

    def provide(self, product: str) -> None:
        """Emissions provide no products: always raises ``KeyError``."""
        raise KeyError(f"emissions provides no products (asked for {product!r})")

    def finish(self) -> None:
        """Build the by-source table from the traffic and energy products."""
        self._table = self._by_source(self.products.get("trips"),
                                      self.products.get("road_traffic"),
                                      self.products.get("energy_year"),
                                      self.products.get("weekend_trips"),
                                      self.products.get("weekend_road_traffic"))

    def road_year(self, trips: TripTable | None, traffic: RoadTraffic,
                  weekend_trips: TripTable | None = None,
                  weekend_traffic: RoadTraffic | None = None) -> tuple[dict[str, float], float]:
        """Yearly road-vehicle totals by pollutant (t; energy kWh) and vehicle-km.

        ``W_weekday ×`` the weekday ``+ W_weekend ×`` the weekend day (the weekday
        again when no weekend day is given), ``W`` from
        :meth:`~twincity.scenario.sections_climate.ClimateSpec.days_of_type`.
        """
        model = self.context
        climate = model.city.spec.climate
        if weekend_traffic is None:
            weekend_trips, weekend_traffic = trips, traffic
        total: dict[str, float] = {}
        vkm = 0.0
        for day_trips, day, days in ((trips, traffic, climate.days_of_type("weekday")),
                                     (weekend_trips, weekend_traffic,
                                      climate.days_of_type("weekend"))):
            if days <= 0.0:
                continue
            road = road_emissions_t_per_yr(day.link_emis_g, day.sample_share, days)
            road["nox"] += road_euro_nox_correction_t_per_yr(model, day_trips, days)
            for pol, amount in road_freight_correction_per_yr(model, day_trips, days).items():
                road[pol] += amount
            for pol, amount in road.items():
                total[pol] = total.get(pol, 0.0) + amount
            vkm += day.road_distance_m / 1000.0 / day.sample_share * days
        return total, vkm

    def _by_source(self, trips: TripTable | None, traffic: RoadTraffic | None,
                   energy: EnergyYear | None, weekend_trips: TripTable | None = None,
                   weekend_traffic: RoadTraffic | None = None) -> pd.DataFrame:
        rows: list[dict] = []
        model = self.context
        mean_delivered = float("nan")
        if energy is not None:
            mean_delivered = energy.mean_delivered_intensity_kg_per_kwh
        if traffic is not None:
            road, vkm = self.road_year(trips, traffic, weekend_trips, weekend_traffic)
            rows.append(dict(source="road_vehicles", sector="transport", estimate=False,
                             co2_t_per_yr=road["co2"], nox_t_per_yr=road["nox"],
                             pm25_t_per_yr=road["pm25_exhaust"] + road["pm25_nonexhaust"],
                             energy_kwh_per_yr=road["energy"], vehicle_km_per_yr=vkm))
        rows += self._bus_rows(model, mean_delivered)
        if energy is not None:
            b = model.city.spec.buildings
            gas, oil, dh = energy.gas_kwh, energy.oil_kwh, energy.district_heat_kwh
            for source, kwh, factor in (("buildings_gas", gas, GAS_CO2_KG_PER_KWH),
                                        ("buildings_oil", oil, OIL_CO2_KG_PER_KWH),
                                        ("buildings_district_heat", dh,
                                         b.district_heating_co2_kg_per_kwh)):
                rows.append(dict(source=source, sector="buildings", estimate=False,
                                 co2_t_per_yr=kwh * factor / KG_PER_T, nox_t_per_yr=np.nan,
                                 pm25_t_per_yr=np.nan, energy_kwh_per_yr=kwh,
                                 vehicle_km_per_yr=np.nan))
            total_kg, ev_kg = energy.electricity_co2_kg, energy.ev_electricity_co2_kg
            ev_kwh, bld_kwh = energy.ev_charging_kwh, energy.buildings_electricity_kwh
            for source, kg, kwh in (("electricity_buildings", total_kg - ev_kg, bld_kwh),
                                    ("electricity_ev_charging", ev_kg, ev_kwh)):
                rows.append(dict(source=source, sector="electricity", estimate=False,
                                 co2_t_per_yr=kg / KG_PER_T, nox_t_per_yr=np.nan,
                                 pm25_t_per_yr=np.nan, energy_kwh_per_yr=kwh,
                                 vehicle_km_per_yr=np.nan))
        return pd.DataFrame(rows, columns=list(COLUMNS))

    def _bus_rows(self, model: RunContext, intensity_kg_per_kwh: float) -> list[dict]:
        """The bus estimate, one row per bus class (see the module docstring)."""
        shares = model.city.spec.fleet.bus_shares
        services = bus_vehicle_km_per_day(model.city)
        rows = []
        for cls, share in shares.items():
            if share <= 0.0:
                continue
            acc = dict.fromkeys(("co2", "nox", "pm25", "energy", "vkm"), 0.0)
            for _, vkm_day, speed_kmh in services:
                vkm = vkm_day * share * DAYS_PER_YEAR
                ef = {p: float(emission_factor(cls, p, speed_kmh)) for p in pollutants()}
                acc["co2"] += vkm * ef["co2"] / G_PER_T
                acc["nox"] += vkm * ef["nox"] / G_PER_T
                acc["pm25"] += vkm * (ef["pm25_exhaust"] + ef["pm25_nonexhaust"]) / G_PER_T
                acc["energy"] += vkm * ef["energy"]
                acc["vkm"] += vkm
            if cls == "electric_bus":  # tailpipe 0: electricity at the grid intensity
                acc["co2"] = acc["energy"] * intensity_kg_per_kwh / KG_PER_T
            rows.append(dict(source=f"buses_{cls}", sector="transport", estimate=True,
                             co2_t_per_yr=acc["co2"], nox_t_per_yr=acc["nox"],
                             pm25_t_per_yr=acc["pm25"], energy_kwh_per_yr=acc["energy"],
                             vehicle_km_per_yr=acc["vkm"]))
        return rows

    def by_source(self) -> pd.DataFrame:
        """The ``emissions`` table: one row per source (computed at the end of the run)."""
        if self._table is None:
            self.finish()
        return self._table

    def tables(self) -> dict[str, pd.DataFrame]:
        """``emissions``: the yearly by-source table (:meth:`by_source`)."""
        return {"emissions": self.by_source()}

    def kpis(self) -> list[KPI]:
        """CO₂ per capita by sector and in total; bus CO₂, NOx and PM2.5 (t/yr)."""
        t = self.by_source()
        pop = self.population

        def sector(name: str) -> float:
            part = t.loc[t["sector"] == name, "co2_t_per_yr"]
            return float(part.sum()) if len(part) else float("nan")

        bus = t.loc[t["source"].str.startswith("buses_"), "co2_t_per_yr"]
        sectors = [sector(s) for s in ("transport", "buildings", "electricity")]
        return [
            make_kpi("co2_per_capita_transport", sectors[0] / pop),
            make_kpi("co2_per_capita_buildings", sectors[1] / pop),
            make_kpi("co2_per_capita_electricity", sectors[2] / pop),
            make_kpi("co2_per_capita_total", float(np.nansum(sectors)) / pop),
            make_kpi("bus_co2_t_per_yr", float(bus.sum())),
            make_kpi("nox_t_per_yr", float(np.nansum(t["nox_t_per_yr"]))),
            make_kpi("pm25_t_per_yr", float(np.nansum(t["pm25_t_per_yr"]))),
        ]
