"""The base of every scenario section: strict, frozen, SI inside.

Field names carry their unit (``speed_mps``, ``spacing_m``, ``duration_s``).
A scenario file may write the same quantity in a friendlier unit by changing
the suffix (``speed_kmh: 50``, ``spacing_km: 1.2``, ``duration_h: 24``);
:class:`Section` converts it to the SI field at load. The accepted
alternatives are listed in :data:`UNIT_ALIASES`.

Example:
    >>> class Road(Section):
    ...     speed_mps: float
    >>> Road.model_validate({"speed_kmh": 36}).speed_mps
    10.0
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Field types of the climate and energy sections (finite: :class:`Section` refuses NaN and ±inf).
Share = Annotated[float, Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Field(gt=0.0)]
NonNegative = Annotated[float, Field(ge=0.0)]

#: (suffix written in a file, SI suffix of the field, factor to multiply by).
#: Longer suffixes come first so ``_kmh`` is not read as ``_km``.
UNIT_ALIASES: tuple[tuple[str, str, float], ...] = (
    ("_g_per_kwh", "_kg_per_kwh", 1e-3),
    ("_t_per_mwh", "_kg_per_kwh", 1.0),
    ("_per_mwh", "_per_kwh", 1e-3),
    ("_vphpl", "_vph_per_lane", 1.0),
    ("_kmh", "_mps", 1 / 3.6),
    ("_km", "_m", 1000.0),
    ("_min", "_s", 60.0),
    ("_h", "_s", 3600.0),
    ("_mwp", "_kwp", 1000.0),
    ("_mwh", "_kwh", 1000.0),
    ("_gwh", "_kwh", 1e6),
    ("_mw", "_kw", 1000.0),
    ("_gw", "_kw", 1e6),
    ("_t", "_kg", 1000.0),
)


def _scale(value: Any, factor: float) -> Any:
    """Multiply a number or a (nested) list of numbers; leave anything else for validation."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value * factor
    if isinstance(value, list):
        return [_scale(v, factor) for v in value]
    return value


def convert_unit_aliases(data: Any, field_names: set[str]) -> Any:
    """Rename alias-suffixed keys of ``data`` to the SI field they stand for."""
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    written_as: dict[str, str] = {}
    for key, value in data.items():
        target, new_value = key, value
        if isinstance(key, str) and key not in field_names:
            for alt, canon, factor in UNIT_ALIASES:
                if key.endswith(alt) and key[: -len(alt)] + canon in field_names:
                    target, new_value = key[: -len(alt)] + canon, _scale(value, factor)
                    break
        if target in out:
            raise ValueError(f"'{written_as[target]}' and '{key}' give the same quantity twice; "
                             "keep one")
        out[target] = new_value
        written_as[target] = key
    return out


def one_or_many_schema(schema: dict[str, Any]) -> None:
    """JSON Schema of a list field that a file may also give as one number (repeated at load).

    Used as ``Field(json_schema_extra=one_or_many_schema)`` next to a ``mode="before"``
    validator that expands the number.
    """
    options = schema.pop("anyOf", None) or [{k: schema.pop(k) for k in ("type", "items")
                                              if k in schema}]
    items = [o["items"] for o in options if o.get("type") == "array" and "items" in o]
    schema["anyOf"] = [*items[:1], *options]


def one_to_twelve(value: object) -> object:
    """Expand one number to twelve monthly values; leave lists for validation.

    >>> one_to_twelve(2)[:3], one_to_twelve([1, 2])
    ([2.0, 2.0, 2.0], [1, 2])
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [float(value)] * 12
    return value


def check_len(values: tuple[float, ...], n: int, what: str) -> tuple[float, ...]:
    """``values`` if there are ``n`` of them, else a ValueError naming ``what`` was expected."""
    if len(values) != n:
        raise ValueError(f"expected {n} {what}, got {len(values)}")
    return values


class Section(BaseModel):
    """A strict, immutable part of a scenario (unknown fields are errors).

    Every number in every section must be finite: NaN and ±infinity are refused
    here, once, for all float fields (also inside lists, tuples and mappings).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True,
                              allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _unit_aliases(cls, data: Any) -> Any:
        return convert_unit_aliases(data, set(cls.model_fields))
