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
from pathlib import Path
from typing import Any

from twincity.errors import InputError
from twincity.policies.base import REGISTRY, Adaptation, Policy
from twincity.scenario.loader import deep_merge, load_scenario, nest_overrides
from twincity.scenario.yamlio import read_yaml


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


def make_policy(name: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Policy:
    """An instance of the registered policy ``name``."""
    _load_all()
    if name not in REGISTRY:
        raise InputError(f"unknown policy '{name}'; expected one of {', '.join(sorted(REGISTRY))}",
                         path="policies")
    return REGISTRY[name](params, **kwargs)


def resolve_policy(ref: str, scenarios_dir: str | Path) -> Policy:
    """The policy a reference names (see the module docstring)."""
    folder = Path(scenarios_dir)
    if ref.endswith((".yaml", ".yml")):
        path = (folder / ref) if not Path(ref).is_absolute() else Path(ref)
        data, _ = read_yaml(path)
        unknown = set(data) - {"name", "label", "params", "origin"}
        if unknown or "name" not in data:
            raise InputError("expected a policy file with name, label, params and origin "
                             f"(got {sorted(data)})", file=path)
        origin = None
        if data.get("origin"):
            origin = load_scenario(path.parent / data["origin"]).spec.city
        return make_policy(data["name"], data.get("params"), origin=origin,
                           label=data.get("label") or path.stem)
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
