"""Building energy: a 1R1C thermal kernel over building groups (zone × use).

Each group is one lumped thermal zone: conductance ``UA = envelope loss × floor
area`` (W/K) and heat capacity ``C = heat capacity per m² × floor area`` (J/K).
Over a sub-step Δt with constant outdoor temperature and gains Q the exact
solution of C·dT/dt = UA·(T_out − T) + Q is

    T(t+Δt) = T_eq + (T(t) − T_eq)·exp(−Δt·UA/C),   T_eq = T_out + Q/UA.

Ideal setpoint control: when the free-floating T(t+Δt) would leave
[heating setpoint, cooling setpoint], the constant heating (cooling) power that
lands exactly on the setpoint is solved from the same exponential, so steady
state gives the analytic UA·ΔT − Q. Gains are internal gains (the use's
W/m² times its daily profile, mean 1) plus solar gains = solar aperture × GHI (a
documented simplification: the horizontal irradiance stands in for the irradiance
on windows of all orientations). The day is repeated ``warmup_days`` times before
the reported day so that the result is the periodic steady state of that day.

Domestic hot water: ``hot_water_kwh_per_m2_yr`` of useful heat per m² (an annual
figure, kept over the year like base electricity), drawn over the day by the use's
profile. It is added to the space heat the heating systems supply (heat pumps at the
space-heating COP, a simplification: hot water needs a higher sink temperature).

Final energy: heat delivered (space heat + hot water) is split by the city's
heating-system shares into gas
(÷ boiler efficiency), oil (÷ oil boiler efficiency), district heat fed
(÷ (1 − network losses)), heat-pump electricity (÷ COP(T_out)) and resistance
electricity (÷ 1); cooling electricity = cooling × cooled share ÷ cooling COP; base
electricity = floor area × kWh/m²/yr ÷ 365 distributed by the use's daily profile.

Day types: on weekend days a use may follow another profile or be
``unoccupied`` (all day at its weekday profile's lowest hour, i.e. the night
load of a closed office or school). ``base_electric_kwh_per_m2_yr`` stays an
annual figure: with ``W_wd`` weekdays and ``W_we`` weekend days of weekend/
weekday energy ratio ``r``, a weekday carries ``annual / (W_wd + r·W_we)``.
Internal gains scale the same way (occupancy and appliances).

Not modelled (yet): night set-back of set-points, latent cooling loads,
orientation-resolved solar gains.

Example:
    >>> import numpy as np
    >>> heat, cool, t_in = simulate_thermal(
    ...     np.full(24, 0.0), np.zeros(24), np.array([100.0]), np.array([1e7]),
    ...     np.zeros((1, 24)), np.array([0.0]), np.array([20.0]), np.array([26.0]))
    >>> round(float(heat[0].sum()), 6)   # 100 W/K × 20 K × 24 h = 48 kWh
    48.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from twincity.energy.weather import HourlyWeather
from twincity.scenario.sections_energy import BuildingsSpec, HeatPumpSpec

# Stylised hourly shapes (relative; normalised to sum 1 below) for hour h = [h, h+1):
# residential with a morning and a larger evening peak, office and school daytime
# occupancy, retail opening hours, and a flat profile for continuous uses.
# fmt: off
_RAW_PROFILES: dict[str, tuple[float, ...]] = {
    "residential": (0.55, 0.5, 0.47, 0.45, 0.45, 0.5, 0.7, 0.95, 0.9, 0.75, 0.7, 0.7,
                    0.72, 0.7, 0.7, 0.75, 0.85, 1.05, 1.3, 1.45, 1.45, 1.3, 1.05, 0.75),
    "office": (0.3, 0.3, 0.3, 0.3, 0.3, 0.32, 0.4, 0.7, 1.0, 1.1, 1.1, 1.1,
               1.05, 1.1, 1.1, 1.05, 1.0, 0.8, 0.55, 0.45, 0.4, 0.35, 0.32, 0.3),
    "retail": (0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.3, 0.45, 0.7, 0.95, 1.05, 1.1,
               1.1, 1.1, 1.1, 1.1, 1.1, 1.1, 1.05, 1.0, 0.9, 0.6, 0.35, 0.3),
    "school": (0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.7, 1.1, 1.2, 1.2, 1.2,
               1.1, 1.1, 1.0, 0.8, 0.5, 0.35, 0.3, 0.25, 0.25, 0.2, 0.2, 0.2),
    "flat": (1.0,) * 24,
}
# fmt: on
PROFILE_NAMES: tuple[str, ...] = tuple(_RAW_PROFILES)
#: Daily profiles, one row per name in :data:`PROFILE_NAMES`, each row sums to 1.
DAILY_PROFILES: np.ndarray = np.array(
    [np.asarray(v) / np.sum(v) for v in _RAW_PROFILES.values()], dtype=np.float64
)


@dataclass(frozen=True)
class BuildingGroups:
    """Building groups (zone × use with floor area > 0) as a struct of arrays."""

    zone: np.ndarray  # int64, zone index
    use: np.ndarray  # int64, index into use_names
    use_names: tuple[str, ...]
    floor_area_m2: np.ndarray
    ua_w_per_k: np.ndarray
    heat_capacity_j_per_k: np.ndarray
    internal_gains_w: np.ndarray  # daily mean
    solar_aperture_m2: np.ndarray
    heating_setpoint_c: np.ndarray
    cooling_setpoint_c: np.ndarray
    cooling_cop: np.ndarray
    cooled_share: np.ndarray
    base_electric_kwh_per_day: np.ndarray  # on a weekday
    hot_water_kwh_per_day: np.ndarray  # useful heat on a weekday
    profile: np.ndarray  # int64, row of DAILY_PROFILES
    weekend_shape: np.ndarray  # (n, 24): weekend hours relative to a weekday's total (sum r)

    @property
    def size(self) -> int:
        """Number of building groups (zone × use)."""
        return int(self.zone.size)


@dataclass(frozen=True)
class BuildingEnergy:
    """Hourly energy of every group, shape (n_groups, 24), kWh."""

    heat_kwh_th: np.ndarray  # space heating
    cool_kwh_th: np.ndarray
    indoor_temp_c: np.ndarray
    base_electric_kwh: np.ndarray
    heat_pump_electric_kwh: np.ndarray
    resistance_electric_kwh: np.ndarray
    cooling_electric_kwh: np.ndarray
    gas_kwh: np.ndarray
    oil_kwh: np.ndarray
    district_heat_kwh: np.ndarray  # heat fed into the district network
    hot_water_kwh_th: np.ndarray  # domestic hot water (useful heat)

    @property
    def electricity_kwh(self) -> np.ndarray:
        """All electricity drawn by the group (base + heat pumps + resistance + cooling)."""
        return (
            self.base_electric_kwh
            + self.heat_pump_electric_kwh
            + self.resistance_electric_kwh
            + self.cooling_electric_kwh
        )


def weekend_shapes(profiles: list[str], weekend_profiles: list[str | None]) -> np.ndarray:
    """Weekend hour shares of a weekday's daily energy, one row per use (sums = ratio r).

    Example:
        >>> weekend_shapes(["office", "retail"], ["unoccupied", None]).sum(axis=1).round(2)
        array([0.46, 1.  ])
    """
    rows = []
    for prof, weekend in zip(profiles, weekend_profiles, strict=True):
        weekday = DAILY_PROFILES[PROFILE_NAMES.index(prof)]
        if weekend is None:
            rows.append(weekday)
        elif weekend == "unoccupied":
            rows.append(np.full(24, weekday.min()))
        else:
            rows.append(DAILY_PROFILES[PROFILE_NAMES.index(weekend)])
    return np.array(rows, dtype=np.float64).reshape(len(rows), 24)


def build_building_groups(spec: BuildingsSpec, zone_population: np.ndarray, *,
                          weekday_days: float = 365.0,
                          weekend_days: float = 0.0) -> BuildingGroups:
    """Groups for every zone × use from per-capita floor areas.

    ``weekday_days``/``weekend_days`` are the year's days of each type (the weights of
    the representative days): they turn annual base electricity into a weekday's.

    Example:
        >>> from twincity.scenario.sections_energy import BuildingsSpec
        >>> spec = BuildingsSpec.model_validate({
        ...     "uses": {"residential": {"floor_area_m2_per_capita": 30,
        ...              "envelope_loss_w_per_m2k": 1.0, "internal_gains_w_per_m2": 4,
        ...              "base_electric_kwh_per_m2_yr": 30, "profile": "residential"}},
        ...     "heating_shares": {"gas_boiler": 1.0}})
        >>> build_building_groups(spec, np.array([1000.0, 0.0])).floor_area_m2.tolist()
        [30000.0]
    """
    pop = np.asarray(zone_population, dtype=np.float64)
    if pop.ndim != 1 or np.any(pop < 0) or not np.all(np.isfinite(pop)):
        raise ValueError("zone_population must be a 1-D array of non-negative numbers")
    names = tuple(spec.uses)
    uses = [spec.uses[n] for n in names]
    zone, use = np.meshgrid(np.arange(pop.size), np.arange(len(names)), indexing="ij")
    zone, use = zone.ravel(), use.ravel()

    def by_use(attr: str) -> np.ndarray:
        return np.array([getattr(u, attr) for u in uses], dtype=np.float64)

    area = pop[zone] * by_use("floor_area_m2_per_capita")[use]
    keep = area > 0.0  # no group for a use a zone does not have
    area = area[keep]
    zone, use = zone[keep], use[keep]

    def pick(attr: str) -> np.ndarray:
        return by_use(attr)[use]

    profile = np.array([PROFILE_NAMES.index(u.profile) for u in uses], dtype=np.int64)[use]
    weekend = weekend_shapes([u.profile for u in uses], [u.weekend_profile for u in uses])
    ratio = weekend.sum(axis=1)  # weekend/weekday energy per use
    days_per_year = (weekday_days + ratio * weekend_days)[use]  # weekday-equivalent days
    return BuildingGroups(
        zone=zone.astype(np.int64),
        use=use.astype(np.int64),
        use_names=names,
        floor_area_m2=area,
        ua_w_per_k=area * pick("envelope_loss_w_per_m2k"),
        heat_capacity_j_per_k=area * pick("heat_capacity_j_per_m2k"),
        internal_gains_w=area * pick("internal_gains_w_per_m2") * 365.0 / days_per_year,
        solar_aperture_m2=area * pick("solar_aperture_m2_per_m2"),
        heating_setpoint_c=pick("heating_setpoint_c"),
        cooling_setpoint_c=pick("cooling_setpoint_c"),
        cooling_cop=pick("cooling_cop"),
        cooled_share=pick("cooled_share"),
        base_electric_kwh_per_day=area * pick("base_electric_kwh_per_m2_yr") / days_per_year,
        hot_water_kwh_per_day=area * pick("hot_water_kwh_per_m2_yr") / days_per_year,
        profile=profile,
        weekend_shape=weekend[use],
    )


def heat_pump_cop(outdoor_temp_c: np.ndarray, hp: HeatPumpSpec) -> np.ndarray:
    """Heating COP at each outdoor temperature (see :class:`HeatPumpSpec`).

    Example:
        >>> from twincity.scenario.sections_energy import HeatPumpSpec
        >>> cop = heat_pump_cop(np.array([-10.0, 7.0]), HeatPumpSpec())
        >>> bool(cop[0] < cop[1])
        True
    """
    t = np.asarray(outdoor_temp_c, dtype=np.float64)
    if hp.model == "staffell_ashp":
        lift = hp.sink_temp_c - t
        cop = (6.08 - 0.09 * lift + 0.0005 * lift**2) * hp.correction_factor
    elif hp.model == "staffell_gshp":
        lift = np.full_like(t, hp.sink_temp_c - hp.ground_temp_c)
        cop = (10.29 - 0.21 * lift + 0.0012 * lift**2) * hp.correction_factor
    else:  # carnot
        lift = np.maximum(hp.sink_temp_c - t, 1.0)
        cop = hp.carnot_fraction * (hp.sink_temp_c + 273.15) / lift
    return np.clip(cop, hp.cop_min, hp.cop_max)


@njit(cache=True)
def _thermal_kernel(
    t_out,
    ghi,
    ua,
    cap,
    gains_w,
    aperture,
    t_heat,
    t_cool,
    substeps,
    warmup_days,
    heat_kwh,
    cool_kwh,
    t_in,
):
    n = ua.size
    dt = 3600.0 / substeps
    for i in range(n):
        a = np.exp(-dt * ua[i] / cap[i])
        one_minus_a = 1.0 - a
        temp = t_heat[i]
        for day in range(warmup_days + 1):
            report = day == warmup_days
            for h in range(24):
                q_free = gains_w[i, h] + aperture[i] * ghi[h]
                t_eq = t_out[h] + q_free / ua[i]
                e_heat = 0.0
                e_cool = 0.0
                t_sum = 0.0
                for _ in range(substeps):
                    t_next = t_eq + (temp - t_eq) * a
                    if t_next < t_heat[i]:
                        t_req = (t_heat[i] - temp * a) / one_minus_a
                        e_heat += (ua[i] * (t_req - t_out[h]) - q_free) * dt
                        t_next = t_heat[i]
                    elif t_next > t_cool[i]:
                        t_req = (t_cool[i] - temp * a) / one_minus_a
                        e_cool += (q_free - ua[i] * (t_req - t_out[h])) * dt
                        t_next = t_cool[i]
                    temp = t_next
                    t_sum += temp
                if report:
                    heat_kwh[i, h] = e_heat / 3.6e6
                    cool_kwh[i, h] = e_cool / 3.6e6
                    t_in[i, h] = t_sum / substeps


def simulate_thermal(
    outdoor_temp_c: np.ndarray,
    ghi_wm2: np.ndarray,
    ua_w_per_k: np.ndarray,
    heat_capacity_j_per_k: np.ndarray,
    gains_w: np.ndarray,
    solar_aperture_m2: np.ndarray,
    heating_setpoint_c: np.ndarray,
    cooling_setpoint_c: np.ndarray,
    *,
    substeps_per_hour: int = 6,
    warmup_days: int = 3,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the 1R1C kernel; returns heat kWh_th, cooling kWh_th, mean indoor °C, each (n, 24).

    ``gains_w`` is (n, 24): internal gains per hour in W (solar gains are added from
    ``ghi_wm2`` × ``solar_aperture_m2``).
    """
    ua = np.ascontiguousarray(ua_w_per_k, dtype=np.float64)
    n = ua.size
    if np.any(ua <= 0.0) or np.any(np.asarray(heat_capacity_j_per_k) <= 0.0):
        raise ValueError("conductance and heat capacity must be positive")
    heat = np.zeros((n, 24))
    cool = np.zeros((n, 24))
    t_in = np.zeros((n, 24))
    _thermal_kernel(
        np.ascontiguousarray(outdoor_temp_c, dtype=np.float64),
        np.ascontiguousarray(ghi_wm2, dtype=np.float64),
        ua,
        np.ascontiguousarray(heat_capacity_j_per_k, dtype=np.float64),
        np.ascontiguousarray(np.broadcast_to(gains_w, (n, 24)), dtype=np.float64),
        np.ascontiguousarray(solar_aperture_m2, dtype=np.float64),
        np.ascontiguousarray(heating_setpoint_c, dtype=np.float64),
        np.ascontiguousarray(cooling_setpoint_c, dtype=np.float64),
        int(substeps_per_hour),
        int(warmup_days),
        heat,
        cool,
        t_in,
    )
    return heat, cool, t_in


def simulate_buildings(
    groups: BuildingGroups,
    weather: HourlyWeather,
    spec: BuildingsSpec,
    *,
    substeps_per_hour: int = 6,
    warmup_days: int = 3,
    day_type: str = "weekday",
) -> BuildingEnergy:
    """Hourly useful and final energy of every building group for one weather day.

    ``day_type`` ``"weekend"`` uses the groups' weekend shapes for base electricity and
    internal gains (the thermal periodic steady state is then that of a weekend day).

    Example:
        >>> import numpy as np
        >>> from twincity.scenario.sections_energy import BuildingsSpec
        >>> from twincity.energy.weather import HourlyWeather
        >>> spec = BuildingsSpec.model_validate({
        ...     "uses": {"office": {"floor_area_m2_per_capita": 10,
        ...              "envelope_loss_w_per_m2k": 1.0, "internal_gains_w_per_m2": 0,
        ...              "base_electric_kwh_per_m2_yr": 0, "profile": "office"}},
        ...     "heating_shares": {"gas_boiler": 1.0}, "boiler_efficiency": 0.8})
        >>> g = build_building_groups(spec, np.array([100.0]))
        >>> w = HourlyWeather(1, 60.0, 25.0, 2.0, np.full(24, 10.0), np.zeros(24),
        ...                   np.zeros(24), np.zeros(24), 1.0)
        >>> e = simulate_buildings(g, w, spec)
        >>> round(float(e.gas_kwh.sum()), 6)   # 1000 W/K × 10 K × 24 h / 0.8
        300.0
    """
    if day_type not in ("weekday", "weekend"):
        raise ValueError(f"day_type must be 'weekday' or 'weekend', got {day_type!r}")
    # (n, 24): shares of a weekday's energy (weekday rows sum to 1, weekend rows to r)
    prof = DAILY_PROFILES[groups.profile] if day_type == "weekday" else groups.weekend_shape
    gains = groups.internal_gains_w[:, None] * prof * 24.0  # mean over the day = daily mean
    heat, cool, t_in = simulate_thermal(
        weather.temp_c,
        weather.ghi_wm2,
        groups.ua_w_per_k,
        groups.heat_capacity_j_per_k,
        gains,
        groups.solar_aperture_m2,
        groups.heating_setpoint_c,
        groups.cooling_setpoint_c,
        substeps_per_hour=substeps_per_hour,
        warmup_days=warmup_days,
    )
    cool = cool * groups.cooled_share[:, None]
    hot_water = groups.hot_water_kwh_per_day[:, None] * prof
    supplied = heat + hot_water  # what the heating systems deliver
    s = spec.heating_shares
    cop = heat_pump_cop(weather.temp_c, spec.heat_pump)[None, :]
    return BuildingEnergy(
        heat_kwh_th=heat,
        cool_kwh_th=cool,
        indoor_temp_c=t_in,
        base_electric_kwh=groups.base_electric_kwh_per_day[:, None] * prof,
        heat_pump_electric_kwh=supplied * s.heat_pump / cop,
        resistance_electric_kwh=supplied * s.electric_resistance,
        cooling_electric_kwh=cool / groups.cooling_cop[:, None],
        gas_kwh=supplied * s.gas_boiler / spec.boiler_efficiency,
        oil_kwh=supplied * s.oil_boiler / spec.oil_boiler_efficiency,
        district_heat_kwh=supplied * s.district_heating
        / (1.0 - spec.district_heating_loss_share),
        hot_water_kwh_th=hot_water,
    )
