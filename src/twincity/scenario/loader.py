"""Load a scenario file: safe YAML, ``extends:`` overlays, file references, validation.

Rules a scenario file follows:

* YAML is read with the safe loader only (see :mod:`twincity.scenario.yamlio`).
* ``extends: base.yaml`` overlays this file on another: mappings merge key by
  key (this file wins), anything else (numbers, strings, lists) is replaced
  whole. Chains are allowed up to :data:`MAX_EXTENDS` files deep; cycles are refused.
* Files named in a scenario (``extends``, ``network.file``) are resolved
  relative to the referencing file and must stay inside the folder of the
  scenario being loaded: ``../../etc/passwd`` is refused.
* Every problem is one :class:`~twincity.errors.ScenarioError` line naming the
  file, the line, the field path and what was expected.

Example:
    >>> loaded = load_scenario("scenarios/sejong.yaml")          # doctest: +SKIP
    >>> loaded.spec.city.population, loaded.content_hash[:8]      # doctest: +SKIP
    (392000, '3f1c…')
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from twincity.errors import ScenarioError
from twincity.policies.catalogue import check_policy_specs
from twincity.scenario.limits import check_plausible
from twincity.scenario.loaded import LoadedScenario
from twincity.scenario.schema import Scenario
from twincity.scenario.validation import same_quantity_keys, validation_error
from twincity.scenario.yamlio import FieldPath, LineMap, format_path, locate, read_yaml

#: Longest ``extends:`` chain (files overlaid on one another).
MAX_EXTENDS = 32

#: Field paths whose value is a file reference (resolved and confined to the scenario folder).
FILE_REFERENCES: tuple[FieldPath, ...] = (("network", "file"), ("zones", "file"),
                                         ("observations", "counts"),
                                         ("climate", "weather_file"))


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Overlay ``over`` on ``base``: mappings merge, everything else is replaced.

    A key of ``over`` also replaces a key of ``base`` that gives the same
    quantity in other units (an overlay writing ``headway_s`` replaces a base
    ``headway_min``).

    >>> deep_merge({"a": {"x": 1, "y": 2}, "b": [1]}, {"a": {"y": 3}, "b": [2]})
    {'a': {'x': 1, 'y': 3}, 'b': [2]}
    >>> deep_merge({"headway_min": 5}, {"headway_s": 60})
    {'headway_s': 60}
    """
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(key, str):
            for other in same_quantity_keys(key) - set(over):
                out.pop(other, None)
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_lines(base: LineMap, over: LineMap) -> LineMap:
    # leaves of the overlay replace whatever the base had below them (linear, not quadratic:
    # an overlay may hold many thousand lines)
    inner = {q[:k] for q in over for k in range(1, len(q))}
    replaced = {p for p in over if p not in inner}
    out = {p: v for p, v in base.items()
           if not any(p[:k] in replaced for k in range(1, len(p)))}
    out.update(over)
    return out


def safe_resolve(target: Path, **where: Any) -> Path:
    """``target.resolve()``; a symlink loop or an unusable path is one :class:`ScenarioError`."""
    try:
        return target.resolve()
    except (RuntimeError, OSError) as exc:
        reason = "a symlink loop" if "loop" in str(exc).lower() else f"unusable ({exc})"
        where = {"file": str(target), **where}
        raise ScenarioError(f"'{target.name}' is {reason}; expected a file", **where) from None


def confine(reference: Any, referrer: Path, root: Path, path: FieldPath,
             lines: LineMap) -> Path:
    """Resolve a file reference and refuse anything outside ``root``."""
    where = locate(lines, path, referrer)
    if not isinstance(reference, str) or not reference.strip():
        raise ScenarioError("expected a file path (text)", path=format_path(path), **where)
    candidate = Path(reference)
    if candidate.is_absolute():
        raise ScenarioError(f"expected a path relative to the scenario folder, got '{reference}'",
                            path=format_path(path), **where)
    resolved = safe_resolve(referrer.parent / candidate, path=format_path(path), **where)
    if not resolved.is_relative_to(root):
        raise ScenarioError(f"'{reference}' points outside the scenario folder {root}; "
                            "expected a file inside it", path=format_path(path), **where)
    if not resolved.exists():
        raise ScenarioError(f"referenced file '{reference}' does not exist",
                            path=format_path(path), **where)
    if not resolved.is_file():
        raise ScenarioError(f"referenced file '{reference}' is not a regular file; expected a "
                            "file", path=format_path(path), **where)
    return resolved


def _read_chain(path: Path, root: Path, stack: tuple[Path, ...]
                ) -> tuple[dict[str, Any], LineMap, list[Path]]:
    """Read ``path`` and everything it extends, returning the overlaid data."""
    data, lines = read_yaml(path)
    files = [path]
    parent = data.pop("extends", None)
    if parent is None:
        return data, lines, files
    base_path = confine(parent, path, root, ("extends",), lines)
    if base_path in stack or base_path == path:
        chain = " -> ".join(p.name for p in (*stack, path, base_path))
        raise ScenarioError(f"'extends' cycle: {chain}; expected a chain that ends",
                            path="extends", **locate(lines, ("extends",), path))
    if len(stack) + 1 >= MAX_EXTENDS:
        raise ScenarioError(f"'extends' chain longer than {MAX_EXTENDS} files; expected a "
                            "shorter chain", path="extends", **locate(lines, ("extends",), path))
    base, base_lines, base_files = _read_chain(base_path, root, (*stack, path))
    lines.pop(("extends",), None)
    return deep_merge(base, data), _merge_lines(base_lines, lines), base_files + files


def nest_overrides(overrides: dict[str, Any]) -> dict[str, Any]:
    """Dotted keys as nested mappings (nested values merge too).

    >>> nest_overrides({"simulation.seed": 3, "city": {"population": 5}})
    {'simulation': {'seed': 3}, 'city': {'population': 5}}
    """
    nested: dict[str, Any] = {}
    for key, value in overrides.items():
        parts = key.split(".")
        cursor = nested
        for part in parts[:-1]:
            cursor = cursor.setdefault(part, {})
        cursor[parts[-1]] = deep_merge(cursor.get(parts[-1], {}), value) \
            if isinstance(value, dict) else value
    return nested


def _apply_overrides(data: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Overlay ``{"simulation.seed": 3}``-style (or nested) overrides on the data."""
    return deep_merge(data, nest_overrides(overrides)) if overrides else data


def content_hash(spec: Scenario, referenced: list[Path]) -> str:
    """SHA-256 of the resolved scenario and of the bytes of every referenced file."""
    h = hashlib.sha256()
    h.update(json.dumps(spec.model_dump(mode="json"), sort_keys=True,
                        separators=(",", ":")).encode())
    for ref in referenced:
        h.update(hashlib.sha256(ref.read_bytes()).digest())
    return h.hexdigest()


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> LoadedScenario:
    """Load, overlay, confine and validate a scenario file.

    ``overrides`` (dotted keys or nested mappings) are applied last, e.g.
    ``{"simulation.seed": 7}``; experiments use them for variants.
    """
    path = Path(path)
    top = safe_resolve(path)
    root = top.parent
    data, lines, files = _read_chain(top, root, ())
    data = _apply_overrides(data, overrides)
    references: dict[str, Path] = {}
    for ref_path in FILE_REFERENCES:
        cursor: Any = data
        for part in ref_path:
            cursor = cursor.get(part) if isinstance(cursor, dict) else None
        if cursor is not None:
            referrer = Path(locate(lines, ref_path, top)["file"])
            references[format_path(ref_path)] = confine(cursor, referrer, root, ref_path, lines)
    try:
        spec = Scenario.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, lines, path) from None
    except RecursionError:
        raise ScenarioError("scenario nested too deeply; expected a scenario-shaped document",
                            file=str(path)) from None
    check_policy_specs(spec.policies, lines, path)
    check_plausible(spec, lines, path)
    referenced = list(references.values())
    return LoadedScenario(spec=spec, path=path, base_dir=root,
                          content_hash=content_hash(spec, referenced),
                          files=tuple(files + referenced), references=references, lines=lines)
