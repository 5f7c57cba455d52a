"""Generate the field reference of scenario files (``scenarios/README.md``) from the schema.

Run ``python -m twincity.scenario.docs > scenarios/README.md`` after changing a
section; a test fails while the README and the schema disagree.

Example:
    >>> "| `city.population` |" in field_reference()
    True
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from twincity.scenario.base import UNIT_ALIASES
from twincity.scenario.schema import Scenario

HEADER = """# Scenario files

A scenario file (YAML) describes one city. The shipped cities:

* `sejong.yaml`, `singapore.yaml`, `helsinki.yaml` are **synthetic cities**: a
  generated monocentric network (grid, rings, radials, river), generated zones
  and corridor/ring transit lines, sized to each city's published aggregates;
  every figure carries a comment naming its public source and year.
  How far each figure was checked is said in its comment: a source and year
  alone means it was read there; *recalled, not checked* means it is quoted
  from that source but was not read from it here; *estimate* says what it was
  estimated from (no published figure found); *calibrated* names the published
  figure it was fitted to. Published-figure tests (`tests/test_energy_published.py`,
  `tests/test_energy_weather.py`, `tests/test_emission_factors.py`) check the
  results the figures produce.
* `helsinki_centre/helsinki_centre.yaml` is **real data**: OpenStreetMap roads,
  the HSY 2020 population grid and HSL GTFS timetables of central Helsinki
  (about 1.2 km², 5,374 residents), built by `twincity import` from
  `sources/helsinki_centre/`; its other sections are copied from `helsinki.yaml`
  and marked for editing, its jobs a proxy (see its README).
* `singapore_census/singapore_census.yaml` is `singapore.yaml` (synthetic streets and
  transit) with **real zones**: the 332 subzones of the 2020 census and their
  4,044,800 residents (built by `sources/singapore_census2020/build.py`).

* **Units are in field names**, SI inside (`speed_mps`, `length_m`,
  `duration_s`). A file may write a friendlier unit by changing the suffix;
  the loader converts: {aliases}.
* **`extends: other.yaml`** overlays this file on another: mappings merge key
  by key (this file wins), lists and values are replaced whole. Cycles are refused.
* **File references** (`extends`, `network.file`, `zones.file`, `observations.counts`,
  `climate.weather_file`) are relative to
  the file that names them and must stay inside the scenario's folder.
* **Bring your own city**: `twincity import` builds a scenario folder from an
  OpenStreetMap extract, zone polygons or a population grid, and a GTFS feed
  (see `docs/import.md`).
* `twincity schema` prints the JSON Schema for editors; `twincity validate FILE`
  checks a file and builds its city.
* **Bad input is refused with one line** naming the file, the line, the field
  and what was expected (exit status 2). Every number must be finite (no `.nan`,
  no `.inf`); the ranges below are checked, and so is the size of the whole run
  (estimated junctions, trips, kernel ticks and memory, before anything is built).
  A file is read only if it is a regular file of at most 20 MB, nested at most
  64 levels, expanding (aliases counted at every use) to at most a million
  values; an `extends` chain may be at most 32 files long.

This reference is generated from the schema by
`python -m twincity.scenario.docs > scenarios/README.md`; a test keeps it in sync.

| field | type | default | description |
|---|---|---|---|
"""


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in args if a is not type(None)) + (
            " (optional)" if type(None) in args else "")
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (list, tuple):
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"map {_type_name(args[0])} → {_type_name(args[1])}"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section"
    return getattr(annotation, "__name__", str(annotation))


def _sections(annotation: Any) -> list[type[BaseModel]]:
    """Models nested in an annotation (through lists, dicts, unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        out.extend(_sections(arg))
    return out


def _default(field: Any) -> str:
    if field.default is not PydanticUndefined:
        value = field.default
    elif field.default_factory is not None:
        try:
            value = field.default_factory()
        except TypeError:
            return "(computed)"
    else:
        return "required"
    if isinstance(value, BaseModel):
        return "(defaults)"
    if isinstance(value, list | tuple | dict):
        return "(see schema)" if value else "empty"
    return f"`{value}`"


def _bounds(field: Any) -> str:
    """The field's numeric range as text, e.g. ``" Range: ≥ 60, ≤ 86400."``."""
    parts = []
    for attr, sign in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")):
        for item in field.metadata:
            value = getattr(item, attr, None)
            if value is not None:
                parts.append(f"{sign} {value:,}" if isinstance(value, int | float)
                             else f"{sign} {value}")
    return f" Range: {', '.join(parts)}." if parts else ""


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows: list[str] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        subs = _sections(field.annotation)
        desc = field.description or ""
        if not desc and subs:
            desc = (subs[0].__doc__ or "").strip().splitlines()[0]
        desc = " ".join((desc + _bounds(field)).split()).replace("|", "\\|")
        rows.append(f"| `{path}` | {_type_name(field.annotation)} | {_default(field)} | {desc} |")
        for sub in subs:
            is_list = typing.get_origin(field.annotation) in (list, tuple) or any(
                typing.get_origin(a) in (list, tuple) for a in typing.get_args(field.annotation))
            is_map = typing.get_origin(field.annotation) is dict
            child = f"{path}[]." if is_list else f"{path}.<name>." if is_map else f"{path}."
            rows.extend(_rows(sub, child))
    return rows


def field_reference() -> str:
    """The whole Markdown reference of scenario fields."""
    aliases = ", ".join(f"`{alt}` → `{canon}`" for alt, canon, _ in UNIT_ALIASES)
    return HEADER.format(aliases=aliases) + "\n".join(_rows(Scenario, "")) + "\n"


if __name__ == "__main__":
    print(field_reference(), end="")
