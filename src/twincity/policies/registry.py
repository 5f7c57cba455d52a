"""Finding policies by reference, and applying them to a city before a run.

A policy is referred to as

* ``city:label`` — a signature policy listed in ``scenarios/<city>.yaml`` under
  ``policies`` (its ``label``, or its registered ``name``), e.g. ``singapore:erp``;
* a policy file, ``scenarios/policies/<file>.yaml``: ``{name, label, params,
  origin}`` where ``origin`` is the city file whose money the parameters are in;
* a registered name with its default parameters, e.g. ``remote_work``.

Example:
    >>> p = resolve_policy("remote_work", "scenarios")       # doctest: +SKIP
    >>> p.label                                               # doctest: +SKIP
    'remote_work'
"""

from __future__ import annotations

import dataclasses
import difflib
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from twincity.errors import InputError, ScenarioError
from twincity.policies.base import REGISTRY, Adaptation, Policy
from twincity.scenario.base import Section
from twincity.scenario.loader import (
    _confine,
    _where,
    deep_merge,
    load_scenario,
    nest_overrides,
    safe_resolve,
    validation_error,
)
from twincity.scenario.yamlio import FieldPath, LineMap, format_path, read_yaml


class PolicyFile(Section):
    """A policy file: a registered policy, what to call it, its parameters, the money's city."""

    name: str = Field(min_length=1, description="Registered policy name.")
    label: str | None = Field(default=None, min_length=1, description="What to call it.")
    params: dict[str, Any] | None = Field(default=None,
                                          description="City-neutral parameters of the policy.")
    origin: str | None = Field(
        default=None, min_length=1,
        description="Scenario file whose money the parameters are in (relative path, inside "
                    "the scenarios folder).")


def _load_all() -> None:
    """Import the policy families so they register themselves."""
    from twincity.policies import (  # noqa: F401
        demand,
        energy,
        fleet,
        mobility,
        pricing,
        signals,
        transit,
    )


def policy_names() -> list[str]:
    """Every registered policy name."""
    _load_all()
    return sorted(REGISTRY)


def _unknown_name(name: str) -> str:
    _load_all()
    close = difflib.get_close_matches(str(name), sorted(REGISTRY), n=1)
    hint = f"did you mean '{close[0]}'?" if close else \
        f"expected one of {', '.join(sorted(REGISTRY))}"
    return f"unknown policy '{name}'; {hint}"


def check_policy_params(name: str, params: Any, lines: LineMap, file: str | Path,
                        at: FieldPath) -> Section:
    """Validate ``params`` of registered policy ``name`` written at ``at`` of ``file``.

    Errors are one line naming the file, the line and the parameter.
    """
    _load_all()
    where = _where(lines, (*at, "name"), Path(file))
    if not isinstance(name, str) or name not in REGISTRY:
        raise ScenarioError(_unknown_name(name), path=format_path((*at, "name")), **where)
    params_at = (*at, "params")
    try:
        return REGISTRY[name].Params.model_validate({} if params is None else params)
    except ValidationError as exc:
        err = validation_error(exc, lines, Path(file), model=REGISTRY[name].Params,
                               prefix=params_at)
        raise ScenarioError(f"{err.message} (parameters of policy '{name}')", path=err.path,
                            file=err.file, line=err.line) from None


def check_policy_specs(specs: Any, lines: LineMap, file: str | Path) -> None:
    """Check a scenario's ``policies:`` list against the registry and each parameter schema."""
    for i, spec in enumerate(specs):
        check_policy_params(spec.name, spec.params, lines, file, ("policies", i))


def read_policy_file(path: Path, scenarios_dir: str | Path | None = None) -> Policy:
    """A policy from a policy file, checked like a scenario (file, line, field).

    ``origin`` must be a relative path to a scenario inside the scenarios folder
    (``scenarios_dir`` when the policy file lies in it, else the policy file's own
    folder): never an absolute path or one leading out of that folder.
    """
    data, lines = read_yaml(path)
    try:
        spec = PolicyFile.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, lines, path, model=PolicyFile) from None
    params = check_policy_params(spec.name, spec.params, lines, path, ())
    origin = None
    if spec.origin is not None:
        real = safe_resolve(path)
        root = real.parent
        if scenarios_dir is not None:
            folder = safe_resolve(Path(scenarios_dir))
            if real.is_relative_to(folder):
                root = folder
        ref = _confine(spec.origin, real, root, ("origin",), lines)
        where = _where(lines, ("origin",), path)
        where["file"] = str(path)
        if not ref.name.endswith((".yaml", ".yml")):
            raise ScenarioError(f"'{spec.origin}' is not a scenario file; expected a .yaml "
                                "scenario", path="origin", **where)
        try:
            origin = load_scenario(ref).spec.city
        except InputError as exc:
            raise ScenarioError(f"'{spec.origin}' is not a valid scenario ({exc})",
                                path="origin", **where) from None
    return make_policy(spec.name, params, origin=origin, label=spec.label or path.stem)


def make_policy(name: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Policy:
    """An instance of the registered policy ``name``."""
    _load_all()
    if name not in REGISTRY:
        raise InputError(_unknown_name(name), path="policies")
    return REGISTRY[name](params, **kwargs)


def resolve_policy(ref: str, scenarios_dir: str | Path) -> Policy:
    """The policy a reference names (see the module docstring)."""
    folder = Path(scenarios_dir)
    if ref.endswith((".yaml", ".yml")):
        path = (folder / ref) if not Path(ref).is_absolute() else Path(ref)
        return read_policy_file(path, folder)
    if ":" in ref:
        city, label = ref.split(":", 1)
        path = folder / f"{city}.yaml"
        if not path.is_file():
            raise InputError(f"no scenario '{city}' for policy reference '{ref}' "
                             f"(looked for {path})", path="policies")
        spec = load_scenario(path).spec
        for p in spec.policies:
            if label in (p.label, p.name):
                return make_policy(p.name, p.params, origin=spec.city, label=ref)
        listed = ", ".join(f"{city}:{p.label or p.name}" for p in spec.policies) or "none"
        raise InputError(f"{city} has no policy '{label}'; it lists {listed}", path="policies")
    return make_policy(ref)


def apply_policies(path: str | Path, policies: list[Policy], *,
                   overrides: dict[str, Any] | None = None):
    """Build the city of scenario ``path`` with ``policies`` applied.

    Each policy is adapted to the city as built without policies; their
    scenario overrides are merged (later policies win) and the city is built
    again from them; then each policy may change the road network. Returns the
    city and the list of (policy, adaptation) pairs for the model to attach.
    """
    from twincity.city.build import build_city

    base = build_city(load_scenario(path, overrides))
    adaptations = [p.adapt(base) for p in policies]
    merged: dict[str, Any] = {}
    for a in adaptations:
        merged = deep_merge(merged, nest_overrides(a.overrides))
    city = base
    if merged:
        city = build_city(load_scenario(path, deep_merge(nest_overrides(overrides or {}), merged)))
    for p, a in zip(policies, adaptations, strict=True):
        net = p.modify_network(city, a)
        if net is not None:
            city = dataclasses.replace(city, network=net)
    return city, list(zip(policies, adaptations, strict=True))


def adaptation_table(applied: list[tuple[Policy, Adaptation]]):
    """One row per applied policy: name, label, concrete numbers (JSON) and the note."""
    import json

    import pandas as pd

    return pd.DataFrame([{"policy": p.name, "label": p.label,
                          "params": json.dumps(p.params.model_dump(mode="json")),
                          "concrete": json.dumps(a.concrete, default=str), "note": a.note}
                         for p, a in applied],
                        columns=["policy", "label", "params", "concrete", "note"])
