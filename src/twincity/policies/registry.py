"""Finding policies by reference, and applying them to a city before a run.

A policy is referred to as

* ``city:label`` — a signature policy listed in ``scenarios/<city>.yaml`` under
  ``policies`` (its ``label``, or its registered ``name``), e.g. ``singapore:erp``;
* a policy file, ``scenarios/policies/<file>.yaml``: ``{name, label, params,
  origin}`` where ``origin`` is the city file whose money the parameters are in;
* a registered name with its default parameters, e.g. ``remote_work``.

A city's policies listed with ``in_force: true`` exist there today: every run
of the city applies them (:func:`apply_policies`), and ``without`` removes
them (the counterfactual of the city without its policy).

Example:
    >>> p = resolve_policy("remote_work", "scenarios")       # doctest: +SKIP
    >>> p.label                                               # doctest: +SKIP
    'remote_work'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from twincity.errors import InputError, ScenarioError
from twincity.policies.base import REGISTRY, Adaptation, Policy
from twincity.policies.catalogue import (  # noqa: F401 (policy_names: the registry's API)
    check_policy_params,
    load_all,
    policy_names,
    unknown_name,
)
from twincity.scenario.base import Section
from twincity.scenario.loader import (
    confine,
    deep_merge,
    load_scenario,
    nest_overrides,
    safe_resolve,
)
from twincity.scenario.schema import Scenario
from twincity.scenario.sections_city import PolicySpec
from twincity.scenario.validation import validation_error
from twincity.scenario.yamlio import locate, read_yaml


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
        ref = confine(spec.origin, real, root, ("origin",), lines)
        where = locate(lines, ("origin",), path)
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
    load_all()
    if name not in REGISTRY:
        raise InputError(unknown_name(name), path="policies")
    return REGISTRY[name](params, **kwargs)


def city_scenario_file(city: str, folder: str | Path) -> Path | None:
    """The scenario file of ``city`` seen from a scenarios ``folder``, or ``None``.

    Looks for ``<folder>/<city>.yaml``, then a scenario in its own folder
    (``<folder>/<city>/<city>.yaml``, as ``twincity import`` writes), then the same two
    one level up (a scenario in its own folder referring to the shipped cities).

    >>> city_scenario_file("sejong", "scenarios/helsinki_centre").name   # doctest: +SKIP
    'sejong.yaml'
    """
    folder = Path(folder)
    for base in (folder, folder.parent):
        for path in (base / f"{city}.yaml", base / city / f"{city}.yaml"):
            if path.is_file():
                return path
    return None


def resolve_policy(ref: str, scenarios_dir: str | Path) -> Policy:
    """The policy a reference names (see the module docstring)."""
    folder = Path(scenarios_dir)
    if ref.endswith((".yaml", ".yml")):
        path = (folder / ref) if not Path(ref).is_absolute() else Path(ref)
        return read_policy_file(path, folder)
    if ":" in ref:
        city, label = ref.split(":", 1)
        path = city_scenario_file(city, folder)
        if path is None:
            raise InputError(f"no scenario '{city}' for policy reference '{ref}' "
                             f"(looked for {folder / f'{city}.yaml'} and beside it)",
                             path="policies")
        spec = load_scenario(path).spec
        for p in spec.policies:
            if label in (p.label, p.name):
                return make_policy(p.name, p.params, origin=spec.city, label=ref)
        listed = ", ".join(f"{city}:{p.label or p.name}" for p in spec.policies) or "none"
        raise InputError(f"{city} has no policy '{label}'; it lists {listed}", path="policies")
    return make_policy(ref)


def _city_key(path: str | Path) -> str:
    """How references name the city of scenario ``path``: its file stem (``sejong``)."""
    return Path(path).stem


def _matches(entry: PolicySpec, label: str) -> bool:
    return label in (entry.label, entry.name)


def in_force_entries(path: str | Path, spec: Scenario, without: Sequence[str] = ()
                     ) -> list[PolicySpec]:
    """The scenario's policies in force, minus those ``without`` removes.

    ``without`` holds references ``city:label`` (``city`` is the scenario's
    file stem) or bare labels of this scenario's in-force policies. A
    reference to another city, to a policy the city does not list, or to one
    listed with ``in_force: false`` is an :class:`InputError` (removing
    nothing must not pass silently).

    >>> from twincity.scenario.loader import load_scenario
    >>> spec = load_scenario("scenarios/sejong.yaml").spec          # doctest: +SKIP
    >>> [p.label for p in in_force_entries("scenarios/sejong.yaml", spec,
    ...                                    without=["sejong:brt"])]   # doctest: +SKIP
    []
    """
    key = _city_key(path)
    listed = ", ".join(f"{key}:{p.label or p.name}" for p in spec.policies if p.in_force)
    removed: set[int] = set()
    for ref in without:
        city, sep, label = ref.rpartition(":")
        if sep and city != key:
            raise InputError(f"'{ref}' is not a policy of {key}; expected one of its policies in "
                             f"force ({listed or 'none'})", path="without")
        hits = [i for i, p in enumerate(spec.policies) if _matches(p, label)]
        if not hits:
            raise InputError(f"{key} has no policy '{label}'; its policies in force are "
                             f"{listed or 'none'}", path="without")
        if not spec.policies[hits[0]].in_force:
            raise InputError(f"{key}:{label} is listed with in_force: false, so there is nothing "
                             f"to remove; its policies in force are {listed or 'none'}",
                             path="without")
        removed.update(hits)
    return [p for i, p in enumerate(spec.policies) if p.in_force and i not in removed]


def in_force_policies(path: str | Path, spec: Scenario, without: Sequence[str] = ()
                      ) -> list[Policy]:
    """The :class:`Policy` objects in force in scenario ``path`` (labelled ``city:label``)."""
    key = _city_key(path)
    out = []
    for entry in in_force_entries(path, spec, without):
        policy = make_policy(entry.name, entry.params, origin=spec.city,
                             label=f"{key}:{entry.label or entry.name}")
        policy.in_force = True
        out.append(policy)
    return out


def is_in_force_at_home(ref: str, scenarios_dir: str | Path) -> bool:
    """Whether reference ``city:label`` names a policy in force in that city's scenario.

    >>> is_in_force_at_home("singapore:erp", "scenarios")            # doctest: +SKIP
    True
    """
    if ":" not in ref or ref.endswith((".yaml", ".yml")):
        return False
    city, label = ref.split(":", 1)
    path = Path(scenarios_dir) / f"{city}.yaml"
    if not path.is_file():
        return False
    spec = load_scenario(path).spec
    return any(_matches(p, label) and p.in_force for p in spec.policies)


def _check_not_in_force(policies: Sequence[Policy], in_force: Sequence[Policy],
                        city_name: str) -> None:
    """Refuse adding a policy that is already in force in the city (it would act twice)."""
    have = {p.label for p in in_force}
    keys = [(p.name, p.params) for p in in_force]
    for p in policies:
        home = p.origin is not None and p.origin.name == city_name
        if p.label in have or (home and (p.name, p.params) in keys):
            raise InputError(f"{p.label} is already in force in {city_name}: every run of the city "
                             "applies it; its effect at home is the run without it (--without "
                             f"{p.label}) against the run with it", path="policies")


def apply_policies(path: str | Path, policies: list[Policy], *,
                   overrides: dict[str, Any] | None = None, without: Sequence[str] = (),
                   in_force: bool = True):
    """Build the city of scenario ``path`` with its policies in force and ``policies`` applied.

    The scenario's own policies in force (``in_force: true``, minus those
    ``without`` removes; none when ``in_force`` is false) come first, then
    ``policies`` in order. Each policy is adapted to the city as left by the
    ones before it (so a frequency increase added to a city with a BRT in force
    also runs the BRT more often, and the BRT's lines are added to the city's
    service as it is); its scenario overrides are merged into the scenario
    (later policies win), then it may change the road network. Returns the city
    and the list of (policy, adaptation) pairs for the model to attach.
    """
    from twincity.city.build import build_city

    user = nest_overrides(overrides or {})
    loaded = load_scenario(path, overrides)
    chain = (in_force_policies(path, loaded.spec, without) if in_force else []) + list(policies)
    if in_force:
        _check_not_in_force(policies, chain[:len(chain) - len(policies)],
                            loaded.spec.city.name)
    city = build_city(loaded)
    merged: dict[str, Any] = {}
    applied: list[tuple[Policy, Adaptation]] = []
    for p in chain:
        a = p.adapt(city)
        if a.overrides:
            rebuild = any(k.split(".", 1)[0] in ("network", "zones", "city") for k in a.overrides)
            merged = deep_merge(merged, nest_overrides(a.overrides))
            loaded = load_scenario(path, deep_merge(user, merged))
            if rebuild:  # the road network or the zones change: build again, replay lane changes
                city = build_city(loaded)
                for q, b in applied:
                    net = q.modify_network(city, b)
                    if net is not None:
                        city = dataclasses.replace(city, network=net)
            else:
                city = dataclasses.replace(city, loaded=loaded)
        net = p.modify_network(city, a)
        if net is not None:
            city = dataclasses.replace(city, network=net)
        applied.append((p, a))
    return city, applied


def adaptation_table(applied: list[tuple[Policy, Adaptation]]):
    """One row per applied policy: name, label, in force at home, concrete numbers (JSON), note."""
    import json

    import pandas as pd

    return pd.DataFrame([{"policy": p.name, "label": p.label,
                          "in_force": bool(getattr(p, "in_force", False)),
                          "params": json.dumps(p.params.model_dump(mode="json")),
                          "concrete": json.dumps(a.concrete, default=str), "note": a.note}
                         for p, a in applied],
                        columns=["policy", "label", "in_force", "params", "concrete", "note"])
