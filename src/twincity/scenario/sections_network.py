"""Scenario section for the road network: generate a synthetic one, or import a file.

A scenario's ``network`` section holds exactly one of

* ``generator:`` — a :class:`StreetGeneratorSpec` for the deterministic synthetic
  monocentric city of :func:`twincity.city.generator.generate_network`, or
* ``file:`` — a path (relative to the scenario file) of a GraphML, OSM XML or
  TNTP network, with an optional ``format`` (default from the suffix).

Every field carries its unit in its name; a file may use the aliases of
:mod:`twincity.scenario.base` (``speed_kmh``, ``capacity_vphpl``,
``arterial_spacing_km`` …).

Example:
    >>> spec = NetworkSpec.model_validate(
    ...     {"generator": {"urban_area_km2": 20, "arterial_spacing_m": 700,
    ...                    "road_classes": {"arterial": {"speed_kmh": 36}}}})
    >>> spec.generator.road_classes["arterial"].speed_mps
    10.0
    >>> spec.generator.road_classes["motorway"].lanes
    2
    >>> NetworkSpec.model_validate({"file": "sioux_falls_net.tntp"}).format
    'tntp'
"""

from __future__ import annotations

import math
from pathlib import PurePath
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from twincity.defaults import JAM_DENSITY_VPKMPL
from twincity.scenario.base import Section, convert_unit_aliases
from twincity.vocab import ROAD_CLASSES

PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]

#: Network file formats the importer understands.
NetworkFormat = Literal["graphml", "osm", "tntp"]

#: File suffix (lower case) → format, longest first so ``.osm.xml`` wins over ``.xml``.
FORMAT_BY_SUFFIX: tuple[tuple[str, str], ...] = (
    (".osm.pbf", "osm"),
    (".osm.xml", "osm"),
    (".graphml", "graphml"),
    (".osm", "osm"),
    (".tntp", "tntp"),
)


class RoadClassSpec(Section):
    """Cross-section and performance of one road class (per direction of travel)."""

    lanes: int = Field(ge=1, le=8, description="Lanes per direction.")
    speed_mps: PositiveFloat = Field(le=100,
                                     description="Free-flow speed (files may write speed_kmh).")
    capacity_vph_per_lane: PositiveFloat = Field(
        le=10_000,
        description="Saturation flow per lane, vehicles per hour (files may write capacity_vphpl);"
                    " for signalised roads the effective value after green time.")
    jam_density_vpkm_per_lane: PositiveFloat = Field(
        default=JAM_DENSITY_VPKMPL,
        description="Vehicles per km per lane at standstill; sets a link's storage capacity.")


#: Defaults for the classes the generator uses. Speeds are the posted limits of a
#: typical European/Korean city; per-lane capacities are effective values:
#: motorway near HCM basic-segment capacity, arterial and collector reduced for
#: signal green time at junctions.
DEFAULT_ROAD_CLASSES: dict[str, RoadClassSpec] = {
    "motorway": RoadClassSpec(lanes=2, speed_mps=90 / 3.6, capacity_vph_per_lane=1900.0),
    "arterial": RoadClassSpec(lanes=2, speed_mps=50 / 3.6, capacity_vph_per_lane=900.0),
    "collector": RoadClassSpec(lanes=1, speed_mps=40 / 3.6, capacity_vph_per_lane=700.0),
}


class RiverSpec(Section):
    """A straight river band across the city, crossed only at a few bridges."""

    angle_deg: float = Field(
        default=0.0, ge=-360, le=360,
        description="Direction of the river line, degrees anticlockwise from east (x axis).")
    offset_share: float = Field(
        default=0.0, gt=-0.9, lt=0.9, allow_inf_nan=False,
        description="Signed distance of the river line from the city centre as a share of the "
                    "radius (positive = to the left of the flow direction).")
    bridges: int = Field(default=3, ge=1, le=50,
                         description="Road crossings kept; they are the crossings nearest to the "
                                     "centre, spread along the river.")
    width_m: PositiveFloat = Field(default=100.0, description="Width of the river band.")


class StreetGeneratorSpec(Section):
    """A deterministic synthetic monocentric road network.

    The built-up area is a disc of radius ``sqrt(urban_area_km2 × scale / π)``
    covered by a jittered arterial grid, with collector roads at half spacing
    in the centre, motorway ring roads and radial expressways joined to the
    grid at interchanges, an optional river with a few bridges, and a share of
    grid links removed for irregularity (never disconnecting the network).

    ``seed`` is the network's own seed: the streets stay the same when a run
    changes the simulation seed; change ``seed`` to get another street layout
    with the same statistics.
    """

    urban_area_km2: PositiveFloat = Field(
        default=30.0, le=20_000,
        description="Built-up area the network covers (before `scale`), km².")
    scale: PositiveFloat = Field(
        default=1.0, le=1000,
        description="Multiplies the urban area the generator covers: 1.0 = the default small "
                    "arterial skeleton sized for runs of seconds; grow it to grow the network.")
    arterial_spacing_m: PositiveFloat = Field(
        default=800.0, ge=50, le=20_000,
        description="Distance between parallel arterial roads (block size).")
    collector_density: float = Field(
        default=0.2, ge=0, le=1, allow_inf_nan=False,
        description="Share of the urban area, around the centre, that also gets collector roads "
                    "at half the arterial spacing.")
    ring_roads_share: list[Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]] = Field(
        default_factory=lambda: [0.6],
        description="Radii of motorway ring roads as shares of the city radius, each in (0, 1); "
                    "may be empty.")
    radials: int = Field(default=4, ge=0, le=32,
                         description="Radial expressways from near the centre to the edge.")
    interchange_spacing_m: PositiveFloat = Field(
        default=2000.0, ge=100,
        description="Typical distance between interchanges joining a ring road or radial "
                    "expressway to the grid.")
    jitter_share: float = Field(
        default=0.1, ge=0, le=0.4, allow_inf_nan=False,
        description="Random displacement of grid junctions, as a share of the local spacing.")
    drop_share: float = Field(
        default=0.05, ge=0, le=0.5, allow_inf_nan=False,
        description="Share of grid links removed for irregularity (never disconnecting).")
    river: RiverSpec | None = Field(default=None, description="An optional river with bridges.")
    road_classes: dict[str, RoadClassSpec] = Field(
        default_factory=lambda: dict(DEFAULT_ROAD_CLASSES),
        description="Road class name → lanes, speed and capacity. Classes not given, and fields "
                    "not given within a class, keep their defaults.")
    seed: int = Field(default=1, ge=0,
                      description="The network's own random seed (independent of the run seed).")

    @field_validator("road_classes", mode="before")
    @classmethod
    def _merge_with_defaults(cls, value: Any) -> Any:
        """Let a file override single fields of single classes (e.g. arterial lanes only)."""
        if not isinstance(value, dict):
            return value
        unknown = sorted(str(k) for k in value if k not in ROAD_CLASSES)
        if unknown:
            raise ValueError(f"unknown road class {unknown[0]!r}; expected one of "
                             f"{', '.join(ROAD_CLASSES)}")
        merged: dict[str, Any] = dict(DEFAULT_ROAD_CLASSES)
        fields = set(RoadClassSpec.model_fields)
        for name, given in value.items():
            if isinstance(given, dict) and name in DEFAULT_ROAD_CLASSES:
                given = {**DEFAULT_ROAD_CLASSES[name].model_dump(),
                         **convert_unit_aliases(given, fields)}
            merged[name] = given
        return merged

    @field_validator("ring_roads_share")
    @classmethod
    def _distinct_rings(cls, value: list[float]) -> list[float]:
        if len(set(value)) != len(value):
            raise ValueError(f"ring road radii must be distinct, got {value}")
        return sorted(value)

    @model_validator(mode="after")
    def _big_enough(self) -> StreetGeneratorSpec:
        if self.radius_m < 1.5 * self.arterial_spacing_m:
            raise ValueError(
                f"urban_area_km2 × scale = {self.urban_area_km2 * self.scale:.4g} km² gives a city "
                f"radius of {self.radius_m:.0f} m; expected at least 1.5 × arterial_spacing_m "
                f"({1.5 * self.arterial_spacing_m:.0f} m): enlarge the area or shrink the spacing")
        return self

    @property
    def radius_m(self) -> float:
        """Radius of the built-up disc, m."""
        return math.sqrt(self.urban_area_km2 * self.scale * 1e6 / math.pi)


def format_from_suffix(file: str) -> str | None:
    """The network format implied by a file name, or ``None`` if the suffix is unknown."""
    name = PurePath(file).name.lower()
    for suffix, fmt in FORMAT_BY_SUFFIX:
        if name.endswith(suffix):
            return fmt
    return None


class NetworkSpec(Section):
    """The road network: exactly one of ``generator`` or ``file``."""

    generator: StreetGeneratorSpec | None = Field(
        default=None, description="Build a synthetic network with these parameters.")
    file: str | None = Field(
        default=None, min_length=1,
        description="Network file, relative to the scenario file's folder.")
    format: NetworkFormat | None = Field(
        default=None,
        description="Format of `file`: graphml, osm (XML or .osm.pbf) or tntp (default from "
                    "the file suffix).")
    origin_lon_deg: float | None = Field(
        default=None, ge=-180, le=180,
        description="Longitude of the point x_m = y_m = 0 of a network in metres (or the "
                    "projection origin of an OSM file); with origin_lat_deg it places the city "
                    "on the map. Default: an OSM file's node centroid; a generated network's "
                    "city.longitude_deg.")
    origin_lat_deg: float | None = Field(default=None, ge=-90, le=90,
                                         description="Latitude of that point (see "
                                                     "origin_lon_deg).")

    @model_validator(mode="before")
    @classmethod
    def _format_from_suffix(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("file"), str) \
                and data.get("format") is None:
            fmt = format_from_suffix(data["file"])
            if fmt is None:
                raise ValueError(
                    f"cannot tell the format of network file {data['file']!r} from its suffix; "
                    "expected .graphml, .osm, .osm.xml, .osm.pbf or .tntp, or give 'format'")
            data = {**data, "format": fmt}
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> NetworkSpec:
        if (self.generator is None) == (self.file is None):
            given = "both" if self.generator is not None else "neither"
            raise ValueError(f"give exactly one of 'generator' (a synthetic network) or 'file' "
                             f"(a network to import); got {given}")
        if (self.origin_lon_deg is None) != (self.origin_lat_deg is None):
            raise ValueError("give both origin_lon_deg and origin_lat_deg, or neither")
        if self.file is None and self.format is not None:
            raise ValueError("'format' applies only to a network 'file', not to 'generator'")
        return self
