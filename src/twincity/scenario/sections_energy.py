"""Scenario sections of the energy subsystem: buildings, grid, EV charging.

The climate and its representative days are in
:mod:`twincity.scenario.sections_climate`; their names are re-exported here.

Every field carries its unit; a scenario file may use the friendlier suffixes of
:data:`twincity.scenario.base.UNIT_ALIASES` (``capacity_mw``, ``marginal_cost_per_mwh``,
``co2_g_per_kwh``, ``off_peak_start_h``, ``total_mwp`` ...).

Conventions chosen here (the energy kernels rely on them):

* Floor area is given **per capita** for each building use (m² of conditioned floor
  per resident); the city builder multiplies by each zone's population.
* ``envelope_loss_w_per_m2k`` is the specific heat-loss coefficient (transmission plus
  ventilation) per m² of *floor*, so a group's conductance is ``UA = loss × floor area``.
* Heating-system shares are shares of *heated floor area* and are city wide.
* Money (``marginal_cost_per_kwh``) is in the scenario's currency.

Example:
    >>> HeatingShares(gas_boiler=0.3, heat_pump=0.7).district_heating
    0.0
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from twincity.scenario.base import (
    NonNegative,
    Positive,
    Section,
    Share,
    check_len,
    one_or_many_schema,
    one_to_twelve,
)
from twincity.scenario.sections_climate import DAYS_IN_MONTH as DAYS_IN_MONTH
from twincity.scenario.sections_climate import ClimateSpec as ClimateSpec
from twincity.scenario.sections_climate import RepresentativeDay as RepresentativeDay
from twincity.scenario.sections_climate import month_day_counts as month_day_counts
from twincity.scenario.sections_climate import monthly_days as monthly_days

_SHARE_TOL = 1e-6


# --------------------------------------------------------------------------- buildings


class BuildingUseSpec(Section):
    """Physics and load of one building use (residential, office, ...).

    ``heat_capacity_j_per_m2k`` is the effective internal heat capacity per m² of
    floor (ISO 13790 classes: very light 80 kJ, light 110 kJ, medium 165 kJ, heavy
    260 kJ, very heavy 370 kJ per m²K). ``solar_aperture_m2_per_m2`` is the effective
    collecting area for solar gains per m² floor (window area × g-value × shading).
    ``cooled_share`` is the share of floor area with air conditioning.
    ``hot_water_kwh_per_m2_yr`` is domestic hot water heat (0 by default: none modelled).
    """

    floor_area_m2_per_capita: NonNegative = Field(
        description="Conditioned floor area of this use per resident, m².")
    envelope_loss_w_per_m2k: Positive = Field(
        description="Specific heat loss (transmission + ventilation) per m² of floor, W/(m²K).")
    internal_gains_w_per_m2: NonNegative = Field(
        description="Daily mean internal heat gains (people, appliances, lighting), W/m².")
    base_electric_kwh_per_m2_yr: NonNegative = Field(
        description="Electricity for uses other than heating and cooling, kWh/(m² yr).")
    hot_water_kwh_per_m2_yr: NonNegative = Field(
        default=0.0,
        description="Useful heat for domestic hot water (incl. circulation losses), "
                    "kWh/(m² yr); supplied by the city's heating systems like space heat, "
                    "spread over the day by the use's profile.")
    profile: Literal["residential", "office", "retail", "school", "flat"] = Field(
        description="Daily occupancy/load shape used for internal gains and base electricity.")
    weekend_profile: Literal["residential", "office", "retail", "school", "flat",
                             "unoccupied"] | None = Field(
        default=None,
        description="Shape on weekend days: a named profile (a full day's load), "
                    "'unoccupied' (closed: all day at the weekday profile's lowest hour), "
                    "or unset (as on weekdays). Annual base electricity is kept: weekday "
                    "days carry what closed weekends do not use.")
    heating_setpoint_c: float = Field(
        default=20.0, ge=5.0, le=30.0,
        description="Indoor temperature below which the building is heated, °C.")
    cooling_setpoint_c: float = Field(
        default=26.0, ge=15.0, le=40.0,
        description="Indoor temperature above which cooled floor is cooled, °C.")
    cooling_cop: Positive = Field(
        default=3.0,
        description="Cooling plant COP (heat removed per unit of electricity).")
    cooled_share: Share = Field(
        default=1.0,
        description="Share of floor area with air conditioning.")
    heat_capacity_j_per_m2k: Positive = Field(
        default=165_000.0,
        description="Internal heat capacity per m² of floor, J/(m²K) (ISO 13790 classes).")
    solar_aperture_m2_per_m2: NonNegative = Field(
        default=0.03,
        description="Solar collecting area per m² of floor (windows × g-value × shading).")

    @model_validator(mode="after")
    def _deadband(self) -> BuildingUseSpec:
        if self.cooling_setpoint_c <= self.heating_setpoint_c:
            raise ValueError(
                f"cooling_setpoint_c ({self.cooling_setpoint_c}) must exceed "
                f"heating_setpoint_c ({self.heating_setpoint_c})"
            )
        return self


class HeatingShares(Section):
    """Shares of heated floor area by heating system; must sum to 1."""

    gas_boiler: Share = Field(
        default=0.0,
        description="Share of heated floor area with gas boilers.")
    heat_pump: Share = Field(
        default=0.0,
        description="Share of heated floor area with electric heat pumps.")
    district_heating: Share = Field(
        default=0.0,
        description="Share of heated floor area on district heating.")
    electric_resistance: Share = Field(
        default=0.0,
        description="Share of heated floor area with direct electric (resistance) heating.")
    oil_boiler: Share = Field(
        default=0.0,
        description="Share of heated floor area with oil boilers.")

    @model_validator(mode="after")
    def _sum_to_one(self) -> HeatingShares:
        total = (
            self.gas_boiler
            + self.heat_pump
            + self.district_heating
            + self.electric_resistance
            + self.oil_boiler
        )
        if abs(total - 1.0) > _SHARE_TOL:
            raise ValueError(f"shares must sum to 1, got {total:g}")
        return self


class HeatPumpSpec(Section):
    """Heat-pump COP as a function of outdoor temperature.

    ``staffell_ashp`` / ``staffell_gshp``: quadratic fits in the temperature lift
    ΔT = sink − source of Staffell et al. (2012, Energy Environ. Sci. 5, 9291), as used
    by Ruhnau et al. (2019, Sci. Data 6:189): ASHP 6.08 − 0.09ΔT + 0.0005ΔT², GSHP
    10.29 − 0.21ΔT + 0.0012ΔT² (GSHP source fixed at ``ground_temp_c``), times a
    real-world ``correction_factor``. ``carnot``: ``carnot_fraction`` × T_sink/ΔT (K).
    The result is clipped to [``cop_min``, ``cop_max``].
    """

    model: Literal["staffell_ashp", "staffell_gshp", "carnot"] = Field(
        default="staffell_ashp",
        description="COP model: Staffell air-source or ground-source fit, or a share of Carnot.")
    sink_temp_c: float = Field(
        default=40.0, ge=20.0, le=80.0,
        description="Supply (sink) temperature of the heating system, °C.")
    correction_factor: Positive = Field(
        default=0.85,
        description="Real-world correction applied to the Staffell COP fits.")
    carnot_fraction: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        default=0.45,
        description="Share of the Carnot COP reached (model 'carnot').")
    ground_temp_c: float = Field(
        default=10.0,
        description="Source temperature of ground-source heat pumps, °C.")
    cop_min: Positive = Field(
        default=1.0,
        description="Lower bound of the COP.")
    cop_max: Positive = Field(
        default=7.0,
        description="Upper bound of the COP.")

    @model_validator(mode="after")
    def _bounds(self) -> HeatPumpSpec:
        if self.cop_max < self.cop_min:
            raise ValueError(f"cop_max ({self.cop_max}) must be >= cop_min ({self.cop_min})")
        return self


class RooftopPVSpec(Section):
    """Rooftop PV: capacity per capita *or* a city total (distributed by population).

    ``tilt_deg`` defaults to the city latitude; panels face the equator.
    """

    per_capita_kwp: NonNegative | None = Field(
        default=None,
        description="Installed rooftop PV per resident, kWp (or give total_kwp).")
    total_kwp: NonNegative | None = Field(
        default=None,
        description="Installed rooftop PV in the city, kWp, spread over zones by population.")
    performance_ratio: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        default=0.8,
        description="AC yield over nominal yield (inverter, wiring, soiling, mismatch losses).")
    tilt_deg: Annotated[float, Field(ge=0.0, le=90.0)] | None = Field(
        default=None,
        description="Panel tilt from horizontal, degrees, equator-facing; default the latitude.")
    temp_coeff_per_k: Annotated[float, Field(le=0.0, ge=-0.01)] = Field(
        default=-0.004,
        description="Relative change of PV power per K of cell temperature above 25 °C.")

    @model_validator(mode="after")
    def _one_capacity(self) -> RooftopPVSpec:
        if self.per_capita_kwp is not None and self.total_kwp is not None:
            raise ValueError("give either per_capita_kwp or total_kwp, not both")
        return self


class BatterySpec(Section):
    """Behind-the-meter batteries, per capita; round trip split √η each way."""

    per_capita_kwh: NonNegative = Field(
        default=0.0,
        description="Behind-the-meter battery energy capacity per resident, kWh.")
    per_capita_kw: NonNegative = Field(
        default=0.0,
        description="Behind-the-meter battery power per resident, kW.")
    round_trip_efficiency: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        default=0.9,
        description="Battery round-trip efficiency (split as its square root each way).")
    initial_soc_share: Share = Field(
        default=0.5,
        description="State of charge at the start of each simulated day, share of capacity.")


class BuildingsSpec(Section):
    """Building stock of a city by use, heating systems, rooftop PV and batteries.

    ``district_heating_loss_share`` is the share of heat fed into the district network
    that is lost before the buildings (fed = delivered / (1 − losses));
    ``district_heating_co2_kg_per_kwh`` is per kWh *fed*, so emissions are
    ``fed × district_heating_co2_kg_per_kwh``.
    """

    uses: dict[str, BuildingUseSpec] = Field(
        min_length=1,
        description="Building uses by name (residential, office, ...): physics and loads.")
    heating_shares: HeatingShares = Field(
        description="Shares of heated floor area by heating system (sum 1).")
    boiler_efficiency: Annotated[float, Field(gt=0.0, le=1.1)] = Field(
        default=0.9,
        description="Seasonal efficiency of gas boilers (heat per fuel, net calorific value).")
    oil_boiler_efficiency: Annotated[float, Field(gt=0.0, le=1.1)] = Field(
        default=0.85,
        description="Seasonal efficiency of oil boilers.")
    heat_pump: HeatPumpSpec = Field(
        default_factory=HeatPumpSpec,
        description="How heat-pump COP depends on outdoor temperature.")
    district_heating_co2_kg_per_kwh: NonNegative = Field(
        default=0.0,
        description="CO2 per kWh of heat fed into the district network, kg/kWh.")
    district_heating_loss_share: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        default=0.1,
        description="Share of heat fed into the district network lost before the buildings.")
    rooftop_pv: RooftopPVSpec = Field(
        default_factory=RooftopPVSpec,
        description="Rooftop photovoltaics on the city's buildings.")
    battery: BatterySpec = Field(
        default_factory=BatterySpec,
        description="Behind-the-meter batteries dispatched for PV self-consumption.")

    @field_validator("uses")
    @classmethod
    def _use_names(cls, value: dict[str, BuildingUseSpec]) -> dict[str, BuildingUseSpec]:
        for name in value:
            if not name.isidentifier():
                raise ValueError(f"building use names must be identifiers, got {name!r}")
        return value


# --------------------------------------------------------------------------- grid

Fuel = Literal["nuclear", "coal", "peat", "gas", "oil", "hydro", "wind", "solar", "imports",
               "biomass"]


class PowerPlantSpec(Section):
    """One (aggregated) generating unit of the merit order; imports are units too.

    ``availability``: one capacity factor or 24 hourly ones (0..1). Solar without one
    follows the synthetic irradiance of the day (PV yield per kWp); wind without one
    follows the day's wind (``climate.wind_capacity_factor`` and the synthetic hourly
    variation); other fuels default to 1. ``must_run``: share of capacity that runs
    whatever the price (heat-led CHP, inflexible nuclear), one value or twelve monthly
    ones. ``daily_energy_share``: an energy-limited unit (reservoir hydro) generates at
    most capacity × 24 h × this share a day, in the hours of highest residual load.
    """

    fuel: Fuel = Field(
        description="Fuel or source of the unit; imports are dispatched by cost like any unit.")
    name: str | None = Field(
        default=None,
        description="Optional display name of the unit.")
    capacity_kw: Positive = Field(
        description="Net generating capacity, kW (files may write capacity_mw).")
    marginal_cost_per_kwh: float = Field(
        description="Marginal cost of generation, currency per kWh (sets the merit order).")
    co2_kg_per_kwh: NonNegative = Field(
        description="Direct CO2 per kWh generated, kg/kWh.")
    availability: tuple[Share, ...] | None = Field(
        default=None, json_schema_extra=one_or_many_schema,
        description="Capacity factor: one value or 24 hourly values (0..1); wind and solar "
                    "default to the day's weather.")
    must_run: tuple[Share, ...] = Field(
        default=(0.0,) * 12, json_schema_extra=one_or_many_schema,
        description="Share of capacity run whatever the price: one value or twelve monthly.")
    daily_energy_share: Share | None = Field(
        default=None,
        description="Energy-limited unit: daily output at most capacity x 24 h x this share.")

    @field_validator("availability", mode="before")
    @classmethod
    def _one_or_24(cls, value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return [float(value)] * 24
        return value

    @field_validator("must_run", mode="before")
    @classmethod
    def _must_run_one_or_12(cls, value: object) -> object:
        return one_to_twelve(value)

    @model_validator(mode="after")
    def _profile(self) -> PowerPlantSpec:
        if self.availability is not None:
            check_len(self.availability, 24, "hourly availability values (or one)")
        check_len(self.must_run, 12, "monthly must_run shares (or one)")
        return self


class GridSpec(Section):
    """The electricity supply: a merit order of generators *or* a fixed hourly intensity.

    A city usually draws on a national fleet: list the national generators and set
    ``fleet_share`` to the share of that fleet serving the simulated population (e.g.
    the city's share of national electricity demand); capacities are scaled by it so
    the city's load meets a proportionate merit order. ``background_load_kw`` (one value
    or 24 hourly values, national scale) is the rest of the system's demand that the
    simulation does not model (industry, other cities, unmodelled uses); it is scaled
    by ``fleet_share`` too and dispatched together with the city's net load, so the
    intensities are those of the system the city actually draws on.
    """

    generators: tuple[PowerPlantSpec, ...] | None = Field(
        default=None,
        description="The merit order of generating units (or give hourly_intensity_kg_per_kwh).")
    hourly_intensity_kg_per_kwh: tuple[NonNegative, ...] | None = Field(
        default=None,
        description="24 hourly grid carbon intensities, kg/kWh, used instead of a dispatch.")
    transmission_loss_share: Annotated[float, Field(ge=0.0, lt=0.5)] = Field(
        default=0.0,
        description="Share of generation lost in transmission and distribution.")
    fleet_share: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        default=1.0,
        description="Share of the listed (national) fleet serving the simulated city.")
    background_load_kw: tuple[NonNegative, ...] | None = Field(
        default=None,
        description="Rest of the system's demand, national scale, kW: one value or 24.")

    @field_validator("background_load_kw", mode="before")
    @classmethod
    def _background_one_or_24(cls, value: object) -> object:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return [float(value)] * 24
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> GridSpec:
        has_gen = self.generators is not None
        has_int = self.hourly_intensity_kg_per_kwh is not None
        if has_gen == has_int:
            raise ValueError(
                "give exactly one of generators (a merit order) or "
                "hourly_intensity_kg_per_kwh (24 values)"
            )
        if self.generators is not None and len(self.generators) == 0:
            raise ValueError("generators must list at least one generator")
        if self.hourly_intensity_kg_per_kwh is not None:
            check_len(self.hourly_intensity_kg_per_kwh, 24, "hourly intensity values")
        if self.background_load_kw is not None:
            check_len(self.background_load_kw, 24, "hourly background load values (or one)")
        return self


# --------------------------------------------------------------------------- charging


class ChargingSpec(Section):
    """How EVs charge: strategy, charger power and access, the off-peak window.

    Times of day are seconds since midnight (write ``off_peak_start_h: 22``). The
    window may wrap midnight. ``charger_efficiency`` converts battery energy to energy
    drawn from the grid.
    """

    strategy: Literal["uncontrolled", "off_peak", "carbon_aware"] = Field(
        default="uncontrolled",
        description="How EVs charge: on arrival, in the off-peak window, or in low-carbon hours.")
    home_charger_kw: Positive = Field(
        default=7.4,
        description="Power of a home charger, kW.")
    work_charger_kw: Positive = Field(
        default=11.0,
        description="Power of a workplace (and public) charger, kW.")
    home_charger_share: Share = Field(
        default=0.7,
        description="Share of EV owners with a charger at home.")
    work_charger_share: Share = Field(
        default=0.3,
        description="Share of EV commuters with a charger at work.")
    off_peak_start_s: float = Field(
        default=22 * 3600.0, ge=0.0, lt=86400.0,
        description="Start of the off-peak window, s after midnight (files: off_peak_start_h).")
    off_peak_end_s: float = Field(
        default=6 * 3600.0, ge=0.0, lt=86400.0,
        description="End of the off-peak window, s after midnight; may wrap midnight.")
    charger_efficiency: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        default=0.9,
        description="Battery energy stored per kWh drawn from the grid.")
    weekend_energy_share: NonNegative | None = Field(
        default=None,
        description="EV charging energy on a weekend day as a share of the simulated weekday's "
                    "(cite its source, e.g. a weekend/weekday car-kilometre ratio), used only "
                    "when traffic simulates no weekend day (demand.weekend: weekend days then "
                    "charge its trips); unset: weekend days charge like the weekday (with a "
                    "note).")

    @model_validator(mode="after")
    def _window(self) -> ChargingSpec:
        if math.isclose(self.off_peak_start_s, self.off_peak_end_s):
            raise ValueError("off-peak window is empty: start equals end")
        return self
