"""The energy subsystem: buildings, EV charging, rooftop PV, batteries and the grid per day.

The year is a set of *representative days* (``climate.representative_days``, each
standing for ``weight_days`` days; weights sum to 365). For every day:

1. **Weather** — 24 hours synthesised from the climate normals
   (:func:`~twincity.energy.weather.synthesize_weather`), days drawn in order from the
   model's ``"weather"`` stream.
2. **Buildings** — one 1R1C group per zone × use with floor area from the zone's
   *whole* population (not the traffic sample), simulated by the numba thermal kernel
   and summed per zone (:mod:`twincity.energy.buildings`).
3. **EV charging** — sessions from the reported traffic day's battery-electric car
   trips (:func:`charging_sessions`), their battery energy (the factor table's value at
   the 21.5 °C optimum) times the day's temperature factor at the arrival hour
   (:mod:`twincity.energy.ev`, Geotab 2020), scheduled per zone by the **grid
   operator**'s load-shifting rule (:class:`~twincity.operators.grid.GridOperator`,
   from the context): the scenario's ``charging.strategy``
   (:mod:`twincity.energy.charging`) unless a policy (smart charging) set another.
   The operator dispatches the day once *without* charging (buildings, PV and
   batteries only) and publishes the hourly **average** and marginal intensity as the
   day-ahead signal carbon-aware rules follow (by default the average, as published
   grid-intensity signals give); then the day is dispatched again with the charging
   load.
4. **PV and batteries** per zone — rooftop PV (per capita or a city total
   distributed by population) and behind-the-meter batteries (per capita) dispatched
   for self-consumption (:mod:`twincity.energy.storage`).
5. **Grid** — the grid operator dispatches the city's net load (Σ zones: import −
   export) plus the background load by merit order (units ranked by marginal cost, or
   by the costs its dispatch rules set, e.g. a carbon price), or prices it at the given
   hourly intensity (:func:`~twincity.energy.grid.dispatch_grid`).

Every hour then closes the balance (asserted in the tests at 1e-9)::

    Σ generation + unserved + PV
        = buildings + EV charging + background + surplus
          + grid losses + battery losses + Δ battery state of charge

**When it runs.** Building, PV and weather do not depend on traffic, but charging
needs the reported day's arrival times, known only after the traffic run. The whole
energy year is therefore computed in :meth:`EnergySubsystem.finish`, which
:meth:`CityModel.run <twincity.model.CityModel.run>` calls once at the end of the run;
``tables()``/``kpis()`` call it themselves if a caller steps the model by hand (the
result then reflects the trips simulated so far). ``advance`` does nothing.

**Assumptions to know.** Weekday representative days charge the reported traffic
weekday's trips; weekend days the simulated weekend traffic day's
(:mod:`twincity.traffic.weekend`, with ``demand.weekend``), or else the weekday's scaled
by ``charging.weekend_energy_share`` when the scenario gives one (same arrival times;
otherwise like the weekday, with a note). Charging energy varies with the day's
temperature.
Buildings follow their weekend profiles on weekend days (:mod:`.buildings`). Without a
traffic subsystem there is no EV charging. Electricity of trams, metro, rail and
electric buses is not part of the dispatched load.

Example:
    >>> from twincity.model import CityModel                                   # doctest: +SKIP
    >>> m = CityModel.from_file("tests/data/tiny.yaml")                         # doctest: +SKIP
    >>> r = m.run(); r.kpi("peak_load") > 0                                     # doctest: +SKIP
    True
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from twincity.energy.buildings import BuildingEnergy, build_building_groups, simulate_buildings
from twincity.energy.charging import (
    ChargingResult,
    ChargingSessions,
    access_uniforms,
    charger_power_kw,
)
from twincity.energy.ev import bev_temperature_factor
from twincity.energy.grid import GridResult
from twincity.energy.pv import pv_output_kwh
from twincity.energy.storage import StorageResult, self_consumption_dispatch
from twincity.energy.weather import (
    HourlyWeather,
    sky_factor,
    synthesize_weather,
    wind_availability,
)
from twincity.energy.weather_file import read_weather_file, weather_day
from twincity.kpi import make_kpi
from twincity.products import EnergyYear
from twincity.results import KPI
from twincity.scenario.sections_energy import ChargingSpec

if TYPE_CHECKING:
    from twincity.context import RunContext
    from twincity.subsystems import Products

#: Vehicles arriving at or after this hour (or before :data:`NIGHT_END_H`) park at home.
HOME_ARRIVAL_FROM_H = 15.0
#: Arrivals before this hour of the morning are late-night returns home.
NIGHT_END_H = 5.0
#: Fallback departure hours when the day has no BEV trips in the morning/afternoon window.
MORNING_DEPARTURE_H = 7.5
EVENING_DEPARTURE_H = 17.0
#: Fuels counted as renewable electricity (besides the city's own rooftop PV).
RENEWABLE_FUELS: tuple[str, ...] = ("hydro", "wind", "solar", "biomass")


def _median_or(values: np.ndarray, fallback: float) -> float:
    return float(np.median(values)) if values.size else fallback


def charging_sessions(trips: pd.DataFrame, sample_share: float, spec: ChargingSpec,
                      seed: int, identity: np.ndarray | None = None) -> ChargingSessions:
    """Charging sessions from a trip table (``TrafficSubsystem.trip_table()`` columns).

    The rule (documented assumption; trips are not chained per person):

    * every battery-electric car trip that arrived restores its own energy
      (``energy_kwh / sample_share``, city scale) in one session starting at arrival;
    * arrivals at or after 15:00, or before 05:00, are **home** sessions in the
      destination zone, parked until the next morning's departure (the median
      departure of the day's BEV trips leaving 05:00–12:00; 07:30 if none);
    * other arrivals are **work/destination** sessions in the destination zone, parked
      until the afternoon departure (median of BEV departures 15:00–21:00; 17:00 if none);
    * charger access is drawn with the spec's shares (:func:`charger_power_kw`) from
      numbers keyed by each trip's ``identity`` (the trip table's
      :meth:`~twincity.products.TripTable.row_identity`; default: row positions). A work
      session without a charger is charged at home instead: in the trip's origin zone,
      arriving at the afternoon departure time. A home session without a home charger
      uses a public charger in the same zone (power ``work_charger_kw``), so no trip's
      energy is dropped.

    Example:
        >>> import pandas as pd
        >>> t = pd.DataFrame({"veh_class": ["bev_car", "petrol_car"], "road": [True, True],
        ...     "arrival_s": [18 * 3600.0, 9 * 3600.0], "departure_s": [17 * 3600.0, 8 * 3600.0],
        ...     "energy_kwh": [0.5, 9.0], "origin_zone": [0, 1], "dest_zone": [1, 0]})
        >>> s = charging_sessions(t, 0.1, ChargingSpec(home_charger_share=1.0), seed=0)
        >>> s.energy_kwh.tolist(), s.zone.tolist(), s.at_home.tolist()
        ([5.0], [1], [True])
    """
    arrival_s = trips["arrival_s"].to_numpy(dtype=np.float64)
    energy = trips["energy_kwh"].to_numpy(dtype=np.float64)
    pick = ((trips["veh_class"].to_numpy() == "bev_car") & trips["road"].to_numpy(dtype=bool)
            & np.isfinite(arrival_s) & np.isfinite(energy) & (energy > 0.0))
    dep_all = trips["departure_s"].to_numpy(dtype=np.float64)[pick] / 3600.0
    arr = np.minimum(arrival_s[pick] / 3600.0, 47.999)
    hour = arr % 24.0
    home = (hour >= HOME_ARRIVAL_FROM_H) | (hour < NIGHT_END_H)
    dep_clock = dep_all % 24.0
    morning = _median_or(dep_clock[(dep_clock >= NIGHT_END_H) & (dep_clock < 12.0)],
                         MORNING_DEPARTURE_H)
    evening = _median_or(dep_clock[(dep_clock >= HOME_ARRIVAL_FROM_H) & (dep_clock < 21.0)],
                         EVENING_DEPARTURE_H)
    ids = (np.arange(len(trips)) if identity is None else np.asarray(identity))[pick]
    power = charger_power_kw(home, spec, access_uniforms(seed, ids))
    zone = trips["dest_zone"].to_numpy()[pick].astype(np.int64)
    # A work session without a charger moves home: origin zone, evening arrival.
    moved = ~home & (power <= 0.0)
    arr = np.where(moved, np.maximum(evening, arr), arr)
    zone = np.where(moved, trips["origin_zone"].to_numpy()[pick].astype(np.int64), zone)
    home = home | moved
    redraw = charger_power_kw(np.ones(int(moved.sum()), dtype=bool), spec,
                              access_uniforms(seed, ids[moved], home_fallback=True))
    power[moved] = redraw
    power = np.where(home & (power <= 0.0), spec.work_charger_kw, power)  # public charger
    departure = np.where(home, morning, evening)
    return ChargingSessions(arrival_h=arr, departure_h=departure,
                            energy_kwh=energy[pick] / sample_share, power_kw=power,
                            zone=zone, at_home=home)


def zone_sum(values: np.ndarray, zone: np.ndarray, n_zones: int) -> np.ndarray:
    """Sum rows of ``values`` (n, 24) into their zones → (n_zones, 24).

    Example:
        >>> zone_sum(np.ones((3, 24)), np.array([0, 1, 0]), 2)[:, 0].tolist()
        [2.0, 1.0]
    """
    out = np.zeros((n_zones, values.shape[1]))
    np.add.at(out, zone, values)
    return out


def standard_utc_offset_h(timezone: str) -> float:
    """The zone's standard-time offset from UTC in hours (DST removed).

    Example:
        >>> standard_utc_offset_h("Europe/Helsinki"), standard_utc_offset_h("Asia/Singapore")
        (2.0, 8.0)
    """
    tz = ZoneInfo(timezone)
    moment = datetime(2021, 1, 15, 12, tzinfo=tz)
    return (moment.utcoffset() - moment.dst()).total_seconds() / 3600.0


@dataclass(frozen=True)
class EnergyDay:
    """One representative day, zone-resolved where it matters; arrays (…, 24) in kWh."""

    name: str
    weight_days: float
    weather: HourlyWeather
    buildings: BuildingEnergy  # per group
    building_zone_kwh: np.ndarray  # (n_zones, 24) electricity
    charging: ChargingResult
    pv_kwh: np.ndarray  # (n_zones, 24)
    storage: StorageResult
    initial_soc_kwh: np.ndarray  # (n_zones,)
    grid: GridResult
    forecast_intensity_kg_per_kwh: np.ndarray

    @property
    def city_net_kwh(self) -> np.ndarray:
        """The city's net load on the grid (Σ zones import − export)."""
        return (self.storage.grid_import_kwh - self.storage.grid_export_kwh).sum(axis=0)

    @property
    def demand_kwh(self) -> np.ndarray:
        """City electricity demand per hour: buildings + EV charging."""
        return self.building_zone_kwh.sum(axis=0) + self.charging.load_kwh.sum(axis=0)


class EnergySubsystem:
    """Buildings, charging, PV, batteries and the grid over the representative days."""

    name = "energy"

    def __init__(self, context: RunContext, products: Products) -> None:
        """Building groups, weather, wind, PV and batteries; days are computed in :meth:`finish`."""
        self.context = context
        self.products = products
        city = context.city
        spec = city.spec
        self.population = float(spec.city.population)
        self.zone_population = np.asarray(city.zones.population, dtype=np.float64)
        self.n_zones = city.zones.n
        self.groups = build_building_groups(
            spec.buildings, self.zone_population,
            weekday_days=spec.climate.days_of_type("weekday"),
            weekend_days=spec.climate.days_of_type("weekend"))
        tz = standard_utc_offset_h(spec.city.timezone)
        rng = context.stream("weather")
        self.notes: list[str] = []
        lat, lon = spec.city.latitude_deg, spec.city.longitude_deg
        if spec.climate.weather_file is not None:
            wf = read_weather_file(city.loaded.reference("climate.weather_file"))
            self.weather = [weather_day(wf, d.day_of_year, lat, lon, tz)
                            for d in spec.climate.representative_days]
            if any(d.temp_anomaly_c != 0.0 for d in spec.climate.representative_days):
                self.notes.append(
                    "energy: temp_anomaly_c of the representative days is not applied to "
                    f"the weather file {wf.path.name}: its days are taken as they are")
            if max(abs(wf.latitude_deg - lat), abs(wf.longitude_deg - lon)) > 1.0:
                self.notes.append(
                    f"energy: the weather file {wf.path.name} is for {wf.latitude_deg:.2f}, "
                    f"{wf.longitude_deg:.2f} (lat, lon), over 1° from the city")
        else:
            k = sky_factor(spec.climate, lat, lon, tz)
            self.weather = [synthesize_weather(spec.climate, lat, lon, tz, d.day_of_year, rng,
                                               sky_factor=k, temp_anomaly_c=d.temp_anomaly_c)
                            for d in spec.climate.representative_days]  # a few dozen days
        wind_rng = context.stream("wind")
        self.wind = [wind_availability(spec.climate, d.day_of_year, wind_rng)
                     if spec.climate.wind_capacity_factor is not None else None
                     for d in spec.climate.representative_days]
        pv = spec.buildings.rooftop_pv
        share = self.zone_population / max(self.zone_population.sum(), 1.0)
        if pv.total_kwp is not None:
            self.pv_kwp = pv.total_kwp * share
        else:
            self.pv_kwp = (pv.per_capita_kwp or 0.0) * self.zone_population
        bat = spec.buildings.battery
        self.battery_kwh = bat.per_capita_kwh * self.zone_population
        self.battery_kw = bat.per_capita_kw * self.zone_population
        self.days: list[EnergyDay] | None = None
        self.sessions: ChargingSessions | None = None
        #: Sessions of the simulated weekend traffic day (None: weekend days use the weekday's).
        self.weekend_sessions: ChargingSessions | None = None

    # ------------------------------------------------------------------ protocol
    def prepare(self) -> None:
        """Nothing before the first step."""

    def advance(self, start_s: float, end_s: float) -> None:
        """Nothing to do per step: the energy days are computed in :meth:`finish`."""

    def observations(self) -> dict[str, float]:
        """No per-step observations: the energy year is computed in :meth:`finish`."""
        return {}

    def finish(self) -> None:
        """Compute every representative day from the traffic of the run (see module doc)."""
        spec = self.context.city.spec
        traffic = self.products.get("trips")
        if traffic is not None:
            self.sessions = charging_sessions(traffic.frame, traffic.sample_share,
                                              spec.charging, self.context.seed,
                                              traffic.row_identity())
        else:
            empty = np.zeros(0)
            self.sessions = ChargingSessions(empty, empty, empty, empty,
                                             np.zeros(0, np.int64), np.zeros(0, bool))
            self.notes.append("energy: no traffic subsystem, so no EV charging load")
        weekend = [d.name for d in spec.climate.representative_days if d.day_type == "weekend"]
        weekend_trips = self.products.get("weekend_trips")
        self.weekend_sessions = None
        if weekend and weekend_trips is not None and weekend_trips.day_type == "weekend":
            # the simulated weekend day's trips (traffic.weekend), their own sessions
            self.weekend_sessions = charging_sessions(
                weekend_trips.frame, weekend_trips.sample_share, spec.charging,
                self.context.seed, weekend_trips.row_identity())
            if spec.charging.weekend_energy_share is not None:
                self.notes.append("energy: charging.weekend_energy_share is not used: weekend "
                                  "days charge the simulated weekend day's trips")
        elif weekend and traffic is not None and spec.charging.weekend_energy_share is None:
            self.notes.append(f"energy: weekend days {weekend} use the simulated weekday's "
                              "EV charging (no weekend traffic day: set demand.weekend, or "
                              "charging.weekend_energy_share to scale it)")
        self.days = [self._simulate_day(d, w, wind) for d, w, wind in
                     zip(spec.climate.representative_days, self.weather, self.wind, strict=True)]
        if not np.isfinite(self.renewable_share()):
            self.notes.append("energy: renewable_share is not reported: the grid is a given "
                              "intensity series without a generation mix")
        unserved = sum(d.weight_days * float(d.grid.unserved_kwh.sum()) for d in self.days)
        if unserved > 0.0:
            demand = sum(d.weight_days * float(d.demand_kwh.sum()) for d in self.days)
            peak_mw = max(float(d.demand_kwh.max()) for d in self.days) / 1000.0
            self.notes.append(
                f"energy: the grid's generators could not serve {unserved:,.0f} kWh/yr "
                f"({unserved / demand:.1%} of demand, peak load {peak_mw:,.1f} MW): the "
                "listed capacity × fleet_share is too small for the city's load; the grid "
                "intensities cover only the energy served" if demand > 0 else
                f"energy: {unserved:,.0f} kWh/yr unserved by the grid's generators")
        unmet = sum(d.weight_days * d.charging.unmet_kwh.sum() for d in self.days)
        if unmet > 0.0:
            self.notes.append(f"energy: {unmet:,.0f} kWh/yr of EV battery energy did not fit "
                              "into parking times and was not charged")

    def _ensure(self) -> list[EnergyDay]:
        if self.days is None:
            self.finish()
        return self.days

    def _simulate_day(self, day, weather: HourlyWeather, wind: np.ndarray | None) -> EnergyDay:
        spec = self.context.city.spec
        b = spec.buildings
        be = simulate_buildings(self.groups, weather, b, day_type=day.day_type)
        bz = zone_sum(be.electricity_kwh, self.groups.zone, self.n_zones)
        pv = pv_output_kwh(weather, self.pv_kwp, b.rooftop_pv.performance_ratio,
                           tilt_deg=b.rooftop_pv.tilt_deg,
                           temp_coeff_per_k=b.rooftop_pv.temp_coeff_per_k)
        solar_cf = pv_output_kwh(weather, 1.0, b.rooftop_pv.performance_ratio)
        soc0 = b.battery.initial_soc_share * self.battery_kwh
        eta = b.battery.round_trip_efficiency

        operator = self.context.grid_operator

        def dispatch(load: np.ndarray) -> tuple[StorageResult, GridResult]:
            st = self_consumption_dispatch(load, pv, self.battery_kwh, self.battery_kw, eta, soc0)
            net = (st.grid_import_kwh - st.grid_export_kwh).sum(axis=0)
            return st, operator.dispatch(net, solar_availability=solar_cf,
                                         wind_availability=wind, month=day.month)

        # The operator's day-ahead signal: the day dispatched without charging; its rule
        # schedules the day's charging sessions against it.
        signal = operator.signal(dispatch(bz)[1])
        ch = operator.schedule_charging(self.day_sessions(weather, day.day_type), self.n_zones,
                                        signal)
        forecast = signal.average_intensity_kg_per_kwh
        storage, grid = dispatch(bz + ch.load_kwh)
        return EnergyDay(name=day.name, weight_days=float(day.weight_days), weather=weather,
                         buildings=be, building_zone_kwh=bz, charging=ch, pv_kwh=pv,
                         storage=storage, initial_soc_kwh=soc0, grid=grid,
                         forecast_intensity_kg_per_kwh=forecast)

    def day_sessions(self, weather: HourlyWeather,
                     day_type: str = "weekday") -> ChargingSessions:
        """The charging sessions of a day: battery energy × the temperature factor.

        The factor (:func:`twincity.energy.ev.bev_temperature_factor`) is taken at the
        hour the car arrives (the end of the trip whose energy the session restores). On
        a weekend day the sessions are the simulated weekend traffic day's (``demand.weekend``)
        or, without one, the weekday's × ``charging.weekend_energy_share`` if given.
        """
        s = self.sessions
        share = self.context.city.spec.charging.weekend_energy_share
        scale = share if day_type == "weekend" and share is not None else 1.0
        if day_type == "weekend" and self.weekend_sessions is not None:
            s, scale = self.weekend_sessions, 1.0
        hour = np.floor(s.arrival_h).astype(np.int64) % 24
        return replace(s, energy_kwh=s.energy_kwh * scale
                       * bev_temperature_factor(weather.temp_c[hour]))

    # ------------------------------------------------------------------ results
    def yearly(self, per_day) -> float:
        """Σ over representative days of ``per_day(day)`` × the day's weight.

        Example: ``energy.yearly(lambda d: d.demand_kwh.sum())`` is kWh per year.
        """
        return float(sum(d.weight_days * per_day(d) for d in self._ensure()))

    def hourly_table(self) -> pd.DataFrame:
        """``energy_hourly``: one row per representative day and hour, zone-summed (kWh)."""
        rows = []
        for d in self._ensure():  # a handful of days
            be, st, g = d.buildings, d.storage, d.grid
            soc_end = st.soc_kwh.sum(axis=0)
            soc_start = np.concatenate([[d.initial_soc_kwh.sum()], soc_end[:-1]])
            cols = {
                "day": np.full(24, d.name, dtype=object),
                "day_of_year": np.full(24, d.weather.day_of_year),
                "weight_days": np.full(24, d.weight_days),
                "hour": np.arange(24),
                "temp_c": d.weather.temp_c,
                "ghi_wm2": d.weather.ghi_wm2,
                "heat_kwh_th": be.heat_kwh_th.sum(axis=0),
                "hot_water_kwh_th": be.hot_water_kwh_th.sum(axis=0),
                "cool_kwh_th": be.cool_kwh_th.sum(axis=0),
                "base_electric_kwh": be.base_electric_kwh.sum(axis=0),
                "heat_pump_electric_kwh": be.heat_pump_electric_kwh.sum(axis=0),
                "resistance_electric_kwh": be.resistance_electric_kwh.sum(axis=0),
                "cooling_electric_kwh": be.cooling_electric_kwh.sum(axis=0),
                "buildings_electric_kwh": d.building_zone_kwh.sum(axis=0),
                "gas_kwh": be.gas_kwh.sum(axis=0),
                "oil_kwh": be.oil_kwh.sum(axis=0),
                "district_heat_fed_kwh": be.district_heat_kwh.sum(axis=0),
                "ev_charging_kwh": d.charging.load_kwh.sum(axis=0),
                "pv_kwh": d.pv_kwh.sum(axis=0),
                "battery_charge_kwh": st.charge_kwh.sum(axis=0),
                "battery_discharge_kwh": st.discharge_kwh.sum(axis=0),
                "battery_losses_kwh": st.losses_kwh.sum(axis=0),
                "battery_soc_start_kwh": soc_start,
                "battery_soc_kwh": soc_end,
                "city_net_load_kwh": d.city_net_kwh,
                "background_load_kwh": (g.background_kwh if g.background_kwh is not None
                                        else np.zeros(24)),
            }
            for fuel, gen in g.generation_by_fuel_kwh().items():
                cols[f"gen_{fuel}_kwh"] = gen
            cols |= {
                "generation_kwh": g.generation_kwh.sum(axis=0),
                "unserved_kwh": g.unserved_kwh,
                "surplus_kwh": g.surplus_kwh,
                "grid_losses_kwh": g.losses_kwh,
                "average_intensity_kg_per_kwh": g.average_intensity_kg_per_kwh,
                "delivered_intensity_kg_per_kwh": g.delivered_intensity_kg_per_kwh,
                "marginal_intensity_kg_per_kwh": g.marginal_intensity_kg_per_kwh,
                "forecast_intensity_kg_per_kwh": d.forecast_intensity_kg_per_kwh,
            }
            rows.append(pd.DataFrame(cols))
        table = pd.concat(rows, ignore_index=True)
        gen_cols = [c for c in table if c.startswith("gen_")]
        table[gen_cols] = table[gen_cols].fillna(0.0)
        return table

    def grid_import_kwh(self, d: EnergyDay) -> np.ndarray:
        """What the city draws from the grid each hour (its positive net load)."""
        return np.maximum(d.city_net_kwh, 0.0)

    def electricity_co2_kg(self, d: EnergyDay) -> tuple[np.ndarray, np.ndarray]:
        """(all, EV charging) electricity CO₂ per hour, kg, at the delivered intensity.

        The grid import is charged at the delivered intensity (generation emissions per
        kWh delivered, so transmission losses are included); EV charging gets the share
        of the import equal to its share of the hour's demand (attributional).
        """
        imp = self.grid_import_kwh(d)
        total = imp * d.grid.delivered_intensity_kg_per_kwh
        demand = d.demand_kwh
        with np.errstate(invalid="ignore", divide="ignore"):
            ev_share = np.where(demand > 0.0, d.charging.load_kwh.sum(axis=0) / demand, 0.0)
        return total, total * ev_share

    def renewable_share(self) -> float:
        """Share of the city's electricity from renewables (incl. local PV), yearly.

        Local PV used in the city is PV minus any city-level surplus; grid imports carry
        the hour's renewable share of generation (:data:`RENEWABLE_FUELS`). NaN with a
        fixed-intensity grid (no generation mix); the KPI is then left out, with a note.
        """
        ren = tot = 0.0
        for d in self._ensure():
            by_fuel = d.grid.generation_by_fuel_kwh()
            if "grid" in by_fuel:
                return float("nan")
            gen = d.grid.generation_kwh.sum(axis=0)
            ren_gen = sum((by_fuel[f] for f in RENEWABLE_FUELS if f in by_fuel), np.zeros(24))
            with np.errstate(invalid="ignore", divide="ignore"):
                frac = np.where(gen > 0.0, ren_gen / gen, 0.0)
            pv_used = np.maximum(d.pv_kwh.sum(axis=0) - np.maximum(-d.city_net_kwh, 0.0), 0.0)
            imp = self.grid_import_kwh(d)
            ren += d.weight_days * float((pv_used + imp * frac).sum())
            tot += d.weight_days * float((pv_used + imp).sum())
        return ren / tot if tot > 0 else float("nan")

    def tables(self) -> dict[str, pd.DataFrame]:
        """``energy_hourly``: see :meth:`hourly_table`."""
        return {"energy_hourly": self.hourly_table()}

    def provide(self, product: str) -> EnergyYear:
        """``energy_year``: the yearly electricity and fuel account (:class:`EnergyYear`)."""
        if product != "energy_year":
            raise KeyError(f"energy provides energy_year, not {product!r}")
        imp = self.yearly(lambda d: self.grid_import_kwh(d).sum())
        co2 = self.yearly(lambda d: self.electricity_co2_kg(d)[0].sum())
        mean_delivered = co2 / imp if imp > 0 else float(
            self.yearly(lambda d: d.grid.delivered_intensity_kg_per_kwh.mean()) / 365.0)
        return EnergyYear(
            grid_import_kwh=imp, electricity_co2_kg=co2,
            ev_electricity_co2_kg=self.yearly(lambda d: self.electricity_co2_kg(d)[1].sum()),
            ev_charging_kwh=self.yearly(lambda d: d.charging.load_kwh.sum()),
            buildings_electricity_kwh=self.yearly(lambda d: d.building_zone_kwh.sum()),
            gas_kwh=self.yearly(lambda d: d.buildings.gas_kwh.sum()),
            oil_kwh=self.yearly(lambda d: d.buildings.oil_kwh.sum()),
            district_heat_kwh=self.yearly(lambda d: d.buildings.district_heat_kwh.sum()),
            mean_delivered_intensity_kg_per_kwh=mean_delivered)

    def kpis(self) -> list[KPI]:
        """Electricity per capita, peak loads, grid intensity and renewable share (if a mix)."""
        days = self._ensure()
        pop = self.population
        peak_day, peak_h, peak_kwh = max(
            ((d, int(np.argmax(d.demand_kwh)), float(d.demand_kwh.max())) for d in days),
            key=lambda x: x[2])
        charging_peak = max(float(d.charging.load_kwh.sum(axis=0).max()) for d in days)
        mean_intensity = self.yearly(lambda d: d.grid.average_intensity_kg_per_kwh.mean()) / 365.0
        out = [
            make_kpi("electricity_per_capita",
                     self.yearly(lambda d: d.demand_kwh.sum()) / pop),
            make_kpi("peak_load", peak_kwh / 1000.0),
            make_kpi("ev_charging_peak", charging_peak / 1000.0),
            make_kpi("grid_intensity_mean", mean_intensity),
            make_kpi("grid_intensity_at_peak",
                     float(peak_day.grid.average_intensity_kg_per_kwh[peak_h])),
        ]
        renewable = self.renewable_share()
        if np.isfinite(renewable):  # undefined with a given intensity series (see notes)
            out.insert(2, make_kpi("renewable_share", renewable))
        return out
