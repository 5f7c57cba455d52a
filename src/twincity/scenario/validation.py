"""Pydantic validation errors as one line naming file, line and field ("did you mean").

Example:
    >>> sorted(same_quantity_keys("headway_s"))
    ['headway_h', 'headway_min']
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from twincity.errors import ScenarioError
from twincity.scenario.base import UNIT_ALIASES
from twincity.scenario.schema import Scenario
from twincity.scenario.yamlio import FieldPath, LineMap, format_path, locate


def same_quantity_keys(key: str) -> set[str]:
    """Keys naming the same quantity in other units (``headway_s`` ↔ ``headway_min`` …)."""
    out: set[str] = set()
    for alt, canon, _ in UNIT_ALIASES:
        for a, b in ((canon, alt), (alt, canon)):
            if key.endswith(a):
                out.add(key[: -len(a)] + b)
    out.discard(key)
    return out


def _expected(error: Mapping[str, Any]) -> str:
    """Turn one pydantic error into 'what was expected, what was found'."""
    kind, msg, found = error["type"], error["msg"], error.get("input")
    shown = repr(found) if not isinstance(found, dict | list) else type(found).__name__
    if len(shown) > 60:
        shown = shown[:57] + "..."
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"expected a number {msg.removeprefix('Input should be ')}, got {shown}"
    if kind == "value_error":
        return f"{msg.removeprefix('Value error, ')}"
    if kind == "literal_error":
        return f"expected {msg.removeprefix('Input should be ')}, got {shown}"
    return f"expected {msg.removeprefix('Input should be ').removeprefix('a valid ')}, got {shown}"


def _known_fields(loc: tuple[Any, ...], model: Any = None) -> list[str]:
    """Field names valid at the parent of ``loc`` (for 'did you mean')."""
    model = Scenario if model is None else model
    for part in loc[:-1]:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return []
        annotation = fields[part].annotation
        for candidate in getattr(annotation, "__args__", (annotation,)):
            if hasattr(candidate, "model_fields"):
                model = candidate
                break
        else:
            return []
    return sorted(getattr(model, "model_fields", {}))


def validation_error(exc: ValidationError, lines: LineMap, file: Path, *,
                     model: Any = None, prefix: FieldPath = ()) -> ScenarioError:
    """One-line :class:`ScenarioError` for the first problem pydantic found.

    ``model`` is the model validated (default :class:`Scenario`), found at
    ``prefix`` inside the document ``lines`` describes.
    """
    errors = exc.errors()
    first = errors[0]
    inner = tuple(p for p in first["loc"] if not (isinstance(p, str) and "[" in p))
    loc = (*prefix, *inner)
    message = _expected(first)
    if first["type"] == "extra_forbidden":
        known = _known_fields(inner, model)
        close = difflib.get_close_matches(str(loc[-1]), known, n=1)
        message += f"; did you mean '{close[0]}'?" if close else (
            f"; expected one of: {', '.join(known)}" if known else "")
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    if loc and loc not in lines and isinstance(loc[-1], str):
        for alt in sorted(same_quantity_keys(loc[-1])):
            written = (*loc[:-1], alt)
            if written in lines:  # the file wrote another unit: say so, point at its line
                message += f" ({alt} is converted to {loc[-1]})"
                return ScenarioError(message, path=format_path(written),
                                     **locate(lines, written, file))
    return ScenarioError(message, path=format_path(loc) or None, **locate(lines, loc, file))
