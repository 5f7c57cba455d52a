"""The scenario: one typed, frozen, validated description of a city.

The sections live in their own modules (city and travel, network, energy);
this module assembles them and adds the checks that span sections.
``Scenario.model_json_schema()`` is what ``twincity schema`` prints.

Example:
    >>> sorted(Scenario.model_fields)[:4]
    ['buildings', 'charging', 'city', 'climate']
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from twincity.scenario.base import UNIT_ALIASES, Section
from twincity.scenario.sections_city import (
    CitySpec,
    DemandSpec,
    FleetSpec,
    PolicySpec,
    SimulationSpec,
    TransitSpec,
    ZonesSpec,
)
from twincity.scenario.sections_climate import ClimateSpec
from twincity.scenario.sections_energy import BuildingsSpec, ChargingSpec, GridSpec
from twincity.scenario.sections_network import NetworkSpec
from twincity.scenario.sections_observations import ObservationsSpec

#: Relative tolerance between listed zone populations and the city's population.
ZONE_POPULATION_TOLERANCE = 0.01


class Scenario(Section):
    """A city scenario: who, where, how people travel, what buildings and grid supply them."""

    description: str = Field(default="", description="Free text: what this scenario is for.")
    city: CitySpec
    network: NetworkSpec
    zones: ZonesSpec
    demand: DemandSpec
    fleet: FleetSpec
    transit: TransitSpec
    buildings: BuildingsSpec
    climate: ClimateSpec
    grid: GridSpec
    charging: ChargingSpec = Field(default_factory=ChargingSpec)
    policies: list[PolicySpec] = Field(
        default_factory=list, description="The city's own (signature) policies; those "
                                          "`in_force` are applied in every run of the city.")
    simulation: SimulationSpec = Field(default_factory=SimulationSpec)
    observations: ObservationsSpec = Field(default_factory=ObservationsSpec)

    @model_validator(mode="after")
    def _zones_match_city(self) -> Scenario:
        if self.zones.list is not None:
            total = sum(z.population for z in self.zones.list)
            if abs(total - self.city.population) > ZONE_POPULATION_TOLERANCE * self.city.population:
                raise ValueError(
                    f"zones.list populations sum to {total}, expected the city population "
                    f"{self.city.population} (within {ZONE_POPULATION_TOLERANCE:.0%})")
        names = [p.name for p in self.policies]
        if len(set(names)) != len(names):
            raise ValueError("policies: each policy name may appear once")
        return self


def _add_unit_aliases(node: Any) -> None:
    """Let editors accept the unit aliases the loader converts (``speed_kmh`` …).

    Each SI property gets its alias properties; a required SI property becomes
    "one of the SI name or an alias is required".
    """
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            names_by_field: dict[str, list[str]] = {}
            for name, sub in list(props.items()):
                for alt, canon, _ in UNIT_ALIASES:
                    if name.endswith(canon):
                        alias = name[: -len(canon)] + alt
                        props.setdefault(alias, {**sub, "description":
                                                 f"Same as '{name}' in other units ({alt[1:]})."})
                        names_by_field.setdefault(name, [name]).append(alias)
            required = node.get("required", [])
            either = [n for n in required if n in names_by_field]
            if either:
                node["required"] = [n for n in required if n not in names_by_field]
                node.setdefault("allOf", []).extend(
                    {"anyOf": [{"required": [n]} for n in names_by_field[name]]}
                    for name in either)
        for value in node.values():
            _add_unit_aliases(value)
    elif isinstance(node, list):
        for value in node:
            _add_unit_aliases(value)


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, including ``extends`` and unit aliases."""
    schema = Scenario.model_json_schema()
    _add_unit_aliases(schema)
    schema["properties"]["extends"] = {
        "type": "string",
        "description": "Another scenario file (relative path, same folder tree) this one overlays.",
    }
    # A file that extends another may leave sections to its base; the loader checks the merge.
    required = schema.pop("required", [])
    schema["if"] = {"required": ["extends"]}
    schema["then"] = {}
    schema["else"] = {"required": required}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "twincity scenario"
    return schema
