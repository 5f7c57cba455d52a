"""Scenario sections describing the city, its people and how they travel.

Every field carries its unit in its name; see :mod:`twincity.scenario.base`
for the unit aliases a file may use instead (``_kmh``, ``_h``, ``_min`` …).
"""

from __future__ import annotations

import builtins
import math
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from twincity.defaults import MIN_SPEED_RATIO, STUCK_TIME_S
from twincity.scenario.base import Section
from twincity.vocab import BusClass, CarClass, EuroCarClass, FreightType, Mode, SpeedModel

PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]

#: Tolerance on shares that must sum to one.
SHARE_TOLERANCE = 1e-3


def check_shares(shares: dict[str, float], what: str) -> dict[str, float]:
    """Refuse shares that do not sum to one (within :data:`SHARE_TOLERANCE`)."""
    total = sum(shares.values())
    if not math.isclose(total, 1.0, abs_tol=SHARE_TOLERANCE):
        raise ValueError(f"{what} shares must sum to 1, got {total:.4g}")
    return shares


class CitySpec(Section):
    """Who the city is: identity, size and the money values people use."""

    name: str = Field(min_length=1, description="Display name, e.g. 'Sejong'.")
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code.")
    population: int = Field(
        gt=0, le=100_000_000,
        description="Residents (the whole city, not the simulated sample).")
    area_km2: PositiveFloat = Field(le=100_000, description="Administrative land area, km².")
    latitude_deg: float = Field(ge=-90, le=90, description="City centre latitude, degrees north.")
    longitude_deg: float = Field(ge=-180, le=180,
                                 description="City centre longitude, degrees east.")
    timezone: str = Field(description="IANA time zone, e.g. 'Asia/Seoul'.")
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code of local money.")
    value_of_time_per_h: PositiveFloat = Field(
        description="Value of travel time savings, local currency per person-hour.")
    ppp_per_usd: PositiveFloat = Field(
        description="Purchasing-power parity: local currency units per international dollar "
                    "(World Bank PA.NUS.PPP); converts money amounts between cities.")
    cars_per_1000: NonNegFloat = Field(description="Registered passenger cars per 1000 residents.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"expected an IANA time zone like 'Europe/Helsinki', got {value!r}") from None
        return value


class ZoneSpec(Section):
    """One traffic-analysis zone given explicitly (coordinates relative to the network)."""

    name: str = Field(min_length=1, description="Unique zone name.")
    x_m: float = Field(ge=-1e7, le=1e7,
                       description="Zone centre, metres east of the network's origin.")
    y_m: float = Field(ge=-1e7, le=1e7,
                       description="Zone centre, metres north of the network's origin.")
    population: int = Field(ge=0, description="Residents of the zone.")
    jobs: int = Field(ge=0, description="Jobs located in the zone.")


class ZoneLayoutSpec(Section):
    """Zones generated over the network: a monocentric city with exponential density."""

    count: int = Field(ge=2, le=5000, description="Number of zones.")
    population_gradient_m: PositiveFloat = Field(
        description="Distance over which residential density falls by e (negative exponential).")
    jobs: int = Field(gt=0, description="Jobs located in the city.")
    jobs_gradient_m: PositiveFloat = Field(
        description="Distance over which job density falls by e; smaller = more central jobs.")


class ZonesSpec(Section):
    """Traffic-analysis zones: generated, listed, or polygons from a file (exactly one)."""

    generate: ZoneLayoutSpec | None = None
    list: builtins.list[ZoneSpec] | None = None
    file: str | None = Field(
        default=None, min_length=1,
        description="GeoJSON of zone polygons in WGS84 lon/lat (relative to the scenario "
                    "file's folder), one feature per zone; needs a network with a geographic "
                    "origin (an OSM file, or network.origin_lon_deg/origin_lat_deg). Nodes "
                    "inside a polygon belong to its zone; nodes outside every polygon to the "
                    "nearest zone centre. `twincity import` writes one.")
    population_field: str = Field(
        default="population", min_length=1,
        description="Property of each `file` feature holding its residents.")
    jobs_field: str = Field(default="jobs", min_length=1,
                            description="Property of each `file` feature holding its jobs.")
    name_field: str = Field(default="name", min_length=1,
                            description="Property of each `file` feature naming the zone.")

    @model_validator(mode="after")
    def _exactly_one(self) -> ZonesSpec:
        given = sum(x is not None for x in (self.generate, self.list, self.file))
        if given != 1:
            raise ValueError("expected exactly one of 'generate', 'list' or 'file'")
        if self.list is not None:
            if len(self.list) < 2:
                raise ValueError("expected at least 2 zones")
            names = [z.name for z in self.list]
            if len(set(names)) != len(names):
                raise ValueError("zone names must be unique")
        return self


class WeekendSpec(Section):
    """The weekend day: weekend/weekday trip-rate ratios by purpose (cite their source).

    A weekend day keeps each weekday trip a keyed number of times (its ratio's integer
    part, plus one with probability its fractional part): a ratio below one keeps a
    subset, above one repeats some trips (see :mod:`twincity.traffic.weekend`).
    """

    commute_ratio: NonNegFloat = Field(
        le=5, description="Commute trips on an average weekend day per commute trip on a "
                          "weekday (those who work at weekends).")
    other_ratio: NonNegFloat = Field(
        le=5, description="Other (non-commute) trips on an average weekend day per weekday "
                          "trip of those purposes.")
    freight_ratio: NonNegFloat = Field(
        le=5, description="Freight vehicles on an average weekend day per weekday vehicle.")


class DemandSpec(Section):
    """How much people travel, when, where to and by what."""

    trips_per_person_per_day: PositiveFloat = Field(
        le=20, description="Trips per resident per weekday.")
    commute_share: Share = Field(
        description="Share of trips that are home–work commutes (destinations weighted by jobs; "
                    "the rest by jobs and population).")
    departure_profile: list[NonNegFloat] = Field(
        min_length=24, max_length=24,
        description="Relative number of departures in each hour 0–23 (normalised at load).")
    mode_constants: dict[Mode, Annotated[float, Field(ge=-24, le=24)]] = Field(
        description="Alternative-specific constants of the mode-choice logit, in hours of "
                    "travel time (car is the reference, usually 0); each within ±24 h.")
    logit_scale_per_h: PositiveFloat = Field(
        default=1.0, le=50, description="Logit scale: utility per hour of generalised cost.")
    gravity_decay_per_h: PositiveFloat = Field(
        le=50,
        default=1.5, description="Gravity-model decay of destination choice per hour of "
                                 "free-flow travel time.")
    fuel_cost_per_km: NonNegFloat = Field(description="Car running cost, local currency per km.")
    parking_cost_centre: NonNegFloat = Field(
        default=0.0, description="Parking charge per car trip ending in the central zones.")
    walk_speed_mps: PositiveFloat = Field(default=1.3, description="Walking speed.")
    bike_speed_mps: PositiveFloat = Field(default=4.2, description="Cycling speed.")
    bike_available_share: Share = Field(
        default=0.5, description="Share of people for whom cycling is an option.")

    loading_nodes_per_zone: int | None = Field(
        default=6, ge=1, description="Road nodes of a zone where its trips start and end (spread "
                                     "through the zone, centroid included); fewer nodes mean "
                                     "fewer shortest-path trees. null = every node of the zone.")
    observed_mode_shares: dict[Mode, Share] | None = Field(
        default=None, description="Published mode shares of trips (cite the source in the file); "
                                  "the calibration target of the mode constants and a check "
                                  "reported next to the simulated shares.")

    weekend: WeekendSpec | None = Field(
        default=None, description="The weekend day's demand as ratios to the weekday's by "
                                  "purpose; with weekend representative days "
                                  "(climate.representative_days) traffic then simulates a "
                                  "weekend day too. null: a weekend day's traffic is the "
                                  "weekday's (with a note).")

    @field_validator("observed_mode_shares")
    @classmethod
    def _observed_sum(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        return None if value is None else check_shares(value, "observed mode")

    @field_validator("departure_profile")
    @classmethod
    def _some_departures(cls, value: list[float]) -> list[float]:
        if sum(value) <= 0:
            raise ValueError("expected at least one hour with departures")
        return value

    @field_validator("mode_constants")
    @classmethod
    def _all_modes(cls, value: dict[str, float]) -> dict[str, float]:
        missing = {"car", "transit", "walk", "bike"} - set(value)
        if missing:
            raise ValueError(f"expected constants for every mode; missing {sorted(missing)}")
        return value


#: Euro standards, oldest first; "euro3" is Euro 3 and older.
EuroClass = Literal["euro3", "euro4", "euro5", "euro6", "euro6d"]


class HireSpec(Section):
    """Taxis and ride-hail cars (point-to-point transport): vehicles no traveller drives.

    Their passengers' trips are drawn from the day's person trips (keyed; see
    :mod:`twincity.traffic.hire`); empty running adds legs from a drop-off to the
    next pickup so that ``empty_km_share`` of their distance is driven empty.
    """

    trips_per_day: int = Field(
        default=0, ge=0, le=100_000_000,
        description="Trips with a passenger per weekday, city scale.")
    empty_km_share: Share = Field(
        default=0.0, lt=1.0,
        description="Share of hire-car vehicle-km driven without a passenger.")
    car_shares: dict[CarClass, Share] | None = Field(
        default=None,
        description="Hire cars by class (sums to 1); none given: the fleet's car_shares.")

    @field_validator("car_shares")
    @classmethod
    def _cars_sum(cls, value):
        return None if value is None else check_shares(value, "hire car fleet")


class FleetSpec(Section):
    """The vehicle fleet by emission class."""

    car_shares: dict[CarClass, Share] = Field(
        description="Passenger-car fleet by class; sums to 1.")
    bus_shares: dict[BusClass, Share] = Field(description="Bus fleet by class; sums to 1.")
    truck_share: Share = Field(
        default=0.05, description="Freight vehicles as a share of road vehicle trips.")
    freight_mix: dict[FreightType, Share] | None = Field(
        default=None,
        description="Freight vehicles by type (shares sum to 1); none given: all articulated.")
    hire: HireSpec = Field(
        default_factory=HireSpec,
        description="Taxis and ride-hail cars; none by default.")
    euro_mix: dict[EuroCarClass, dict[EuroClass, Share]] | None = Field(
        default=None,
        description="Euro standards of petrol and diesel cars, shares per class (each sums "
                    "to 1); a class not given is all Euro 6d.")

    @field_validator("freight_mix")
    @classmethod
    def _freight_sum(cls, value):
        return None if value is None else check_shares(value, "freight mix")

    @field_validator("euro_mix")
    @classmethod
    def _euro_sum(cls, value):
        for car, mix in (value or {}).items():
            check_shares(mix, f"{car} Euro mix")
        return value

    @field_validator("car_shares")
    @classmethod
    def _cars_sum(cls, value: dict[str, float]) -> dict[str, float]:
        return check_shares(value, "car fleet")

    @field_validator("bus_shares")
    @classmethod
    def _buses_sum(cls, value: dict[str, float]) -> dict[str, float]:
        return check_shares(value, "bus fleet")


class TransitLineSpec(Section):
    """A trunk transit line: along a corridor or a ring (synthetic), or along listed stops.

    With ``stops_lonlat`` (written by ``twincity import`` from a GTFS feed) the
    line runs one way along those stops with the scheduled in-vehicle times
    ``segment_s``; ``corridor_angle_deg`` and ``ring_share`` do not apply.
    """

    name: str = Field(min_length=1, description="Line name, e.g. 'B0' or 'M1'.")
    kind: Literal["metro", "rail", "brt", "tram", "bus", "ferry"] = Field(
        description="Mode of the line.")
    corridor_angle_deg: float = Field(
        default=0.0, description="Direction of a straight line through the centre (0 = east).")
    ring_share: Share | None = Field(
        default=None, description="If set, the line is a ring at this share of the city radius.")
    headway_s: PositiveFloat = Field(le=86400,
                                     description="Peak headway (files may write headway_min).")
    speed_mps: PositiveFloat = Field(le=100,
                                     description="Commercial in-vehicle speed incl. dwell times.")
    dedicated_lanes: bool = Field(
        default=False, description="Runs on its own right of way (BRT lanes taken from the road).")
    stops_lonlat: builtins.list[tuple[Annotated[float, Field(ge=-180, le=180)],
                                      Annotated[float, Field(ge=-90, le=90)]]] | None = Field(
        default=None, min_length=2,
        description="Stops in running order as [lon, lat] (WGS84 degrees); the line runs one "
                    "way along them (a GTFS route and direction).")
    segment_s: builtins.list[NonNegFloat] | None = Field(
        default=None, description="Scheduled in-vehicle time from each stop to the next "
                                  "(departure to departure), one fewer than stops_lonlat.")
    trips_per_hour: builtins.list[Annotated[int, Field(ge=0)]] | None = Field(
        default=None, min_length=24, max_length=24,
        description="Departures from the first stop in each hour 0–23 (GTFS service day); "
                    "headway_s is the peak (07–09) headway they imply.")
    source: str | None = Field(default=None,
                               description="Where the line comes from (feed, route, direction).")

    @model_validator(mode="after")
    def _listed_stops(self) -> TransitLineSpec:
        if self.segment_s is not None:
            if self.stops_lonlat is None:
                raise ValueError("segment_s needs stops_lonlat")
            if len(self.segment_s) != len(self.stops_lonlat) - 1:
                raise ValueError(f"segment_s has {len(self.segment_s)} values; expected one "
                                 f"per pair of consecutive stops ({len(self.stops_lonlat) - 1})")
        if self.stops_lonlat is not None and self.ring_share is not None:
            raise ValueError("give either stops_lonlat or ring_share, not both")
        return self


class TransitSpec(Section):
    """Public transport supply: trunk lines plus a feeder bus network everywhere."""

    fare: NonNegFloat = Field(description="Fare per trip, local currency.")
    lines: list[TransitLineSpec] = Field(default_factory=list)
    feeder_headway_s: PositiveFloat = Field(le=86400,
                                            description="Headway of the area-wide bus network.")
    feeder_speed_mps: PositiveFloat = Field(le=100,
                                            description="Commercial speed of feeder buses.")
    stop_spacing_m: PositiveFloat = Field(
        default=400.0, description="Typical distance between stops (sets access walking).")
    feeder: bool = Field(
        default=True, description="Run the area-wide feeder bus on every road link; false when "
                                  "`lines` list the whole network (a GTFS import).")


class PolicySpec(Section):
    """A policy the city applies: a registered name and its city-neutral parameters."""

    name: str = Field(min_length=1, description="Registered policy name, e.g. 'erp'.")
    label: str | None = Field(default=None, description="What the city calls it.")
    params: dict[str, Any] = Field(
        default_factory=dict, description="City-neutral parameters of the policy (`twincity "
                                          "policies` lists each policy's parameters).")
    in_force: bool = Field(
        default=True, description="The policy exists in this city today: every run of the city "
                                  "applies it (the scenario is the city *with* it), and its "
                                  "effect at home is measured by removing it (`twincity run "
                                  "--without city:label`). false: listed for transfer only.")


class SimulationSpec(Section):
    """How the model runs: clock, sample, seed."""

    seed: int = Field(default=0, ge=0, description="Root seed of every random stream.")
    start_s: NonNegFloat = Field(default=0.0, lt=86400,
                                 description="Start time of day (files: start_h).")
    duration_s: PositiveFloat = Field(default=86400.0, le=7 * 86400,
                                      description="Simulated span (files: duration_h), at most "
                                                  "a week.")
    tick_s: PositiveFloat = Field(default=1.0, ge=0.1, le=60,
                                  description="Traffic kernel time step.")
    interval_s: PositiveFloat = Field(
        default=900.0, ge=60, le=86400,
        description="Model step and reporting interval (files: interval_min).")
    sample_share: Annotated[float, Field(gt=0, le=1)] = Field(
        default=0.01, description="Share of trips simulated; road flow and storage capacities are "
                                  "scaled by the same share (the MATSim sample convention). "
                                  "This is the `scale` knob of a run's size.")
    stuck_time_s: PositiveFloat = Field(
        default=STUCK_TIME_S, description="A vehicle blocked this long is squeezed onto the next "
                                          "link (MATSim's qsim.stuckTime default, 10 s).")
    speed_model: SpeedModel = Field(
        default="free_flow",
        description="How long a vehicle takes on a link it enters: `free_flow` (its free-flow "
                    "time; delay comes from queues, the QSim default) or `greenshields` (free-flow "
                    "time over max(min_speed_ratio, 1 - occupancy / storage), Greenshields 1935).")
    min_speed_ratio: Annotated[float, Field(gt=0, le=1)] = Field(
        default=MIN_SPEED_RATIO,
        description="Greenshields only: the least speed on a full link, as a share of free speed.")
    routing_slot_s: PositiveFloat = Field(
        default=3600.0, ge=60, le=86400,
        description="Routes and car skims use link costs per slot of this length "
                    "(files: routing_slot_min).")
    equilibrium_days: int = Field(
        default=60, ge=1, le=300,
        description="Cap on the simulated days of the dynamic equilibrium (route, departure "
                    "time and mode choice) before the reported day; a run stopped by the cap "
                    "says so (converged: false). 1 = the warm-start plan, unequilibrated.")
    equilibrium_gap: Annotated[float, Field(gt=0, lt=1)] = Field(
        default=0.02, description="Converged when the relative gap (share of road vehicles' "
                                  "experienced generalised cost above their best remembered "
                                  "route and departure) is at most this on consecutive days.")

    @model_validator(mode="after")
    def _interval_fits(self) -> SimulationSpec:
        if self.interval_s < self.tick_s:
            raise ValueError("interval_s must be at least tick_s")
        return self
