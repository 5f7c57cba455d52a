"""Run specs: what one run is (scenario, policies, seed, overrides), its id, and how to execute it.

A :class:`RunSpec` is frozen, hashable and JSON-serialisable, so it can be a
dictionary key, travel to a Dask worker, and be written next to its results.
Its :func:`run_id` names the run's results: it changes when the spec, the
scenario's content (including every file the scenario references) or the
engine's code changes (:func:`twincity.provenance.engine_fingerprint`), so a
result store never mistakes an old result for a new one.

Seeds for replications come from :func:`spawn_seeds`, which draws independent
child seeds from one root with numpy's ``SeedSequence``.

Example:
    >>> spec = RunSpec("tests/data/tiny.yaml", seed=3, overrides={"simulation.duration_h": 1})
    >>> spec.overrides
    (('simulation.duration_h', 1),)
    >>> RunSpec.from_dict(spec.to_dict()) == spec
    True
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from twincity.errors import InputError
from twincity.provenance import engine_fingerprint

if TYPE_CHECKING:
    from twincity.model import CityModel
    from twincity.policies.base import Policy
    from twincity.results import Results
    from twincity.traffic.planstate import PlanState

#: Hex digits kept of the SHA-256 run id (64 bits: collisions need ~4e9 runs).
RUN_ID_LENGTH = 16


def _freeze(value: Any, where: str) -> Any:
    """A hashable, JSON-ready copy of an override value (lists become tuples)."""
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"expected a finite number, got {value}", path=where)
        return value
    if isinstance(value, np.generic):
        return _freeze(value.item(), where)
    if isinstance(value, list | tuple):
        return tuple(_freeze(v, f"{where}[{i}]") for i, v in enumerate(value))
    raise InputError(f"expected a number, text, boolean or list, got {type(value).__name__}",
                     path=where)


def _thaw(value: Any) -> Any:
    """Undo :func:`_freeze`: tuples back to lists, as the scenario loader expects."""
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


def _flatten(overrides: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested override mappings as dotted keys: ``{"a": {"b": 1}}`` -> ``("a.b", 1)``."""
    for key, value in overrides.items():
        if not isinstance(key, str) or not key:
            raise InputError(f"expected a non-empty text key, got {key!r}",
                             path=f"overrides.{prefix}".rstrip("."))
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, dotted + ".")
        else:
            yield dotted, value


def normalise_overrides(overrides: Mapping[str, Any] | Iterable[tuple[str, Any]] | None
                        ) -> tuple[tuple[str, Any], ...]:
    """Overrides as sorted ``(dotted key, frozen value)`` pairs, one per key.

    >>> normalise_overrides({"simulation": {"duration_h": 2}, "demand.commute_share": 0.5})
    (('demand.commute_share', 0.5), ('simulation.duration_h', 2))
    """
    if not overrides:
        return ()
    mapping = overrides if isinstance(overrides, Mapping) else None
    if mapping is None:
        pairs = list(overrides)
        for pair in pairs:
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise InputError(f"expected (key, value) pairs, got {pair!r}", path="overrides")
        keys = [k for k, _ in pairs]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise InputError(f"override keys given more than once: {', '.join(twice)}",
                             path="overrides")
        mapping = dict(pairs)
    flat = list(_flatten(mapping))
    keys = [k for k, _ in flat]
    for key in keys:  # "a" and "a.b" both set: which one wins would be an accident
        parent = next((k for k in keys if key.startswith(k + ".")), None)
        if parent is not None:
            raise InputError(f"'{key}' and '{parent}' overlap; expected one of them",
                             path="overrides")
    return tuple(sorted((k, _freeze(v, f"overrides.{k}")) for k, v in flat))


@dataclass(frozen=True)
class RunSpec:
    """One run: a scenario file, the policies to add or remove, a seed and scenario overrides.

    ``scenario`` is kept as given (a path string); the same file named by a
    relative and by an absolute path gives two specs with different run ids.
    The scenario's own policies in force (``in_force: true``) are applied in
    every run of it. ``policies`` are references such as ``"singapore:erp"``
    added, in the order they are applied; ``without`` are references to the
    scenario's own policies in force that this run leaves out (the
    counterfactual "the city without its policy"). ``overrides`` may be
    given as a mapping (nested or with dotted keys); they are stored as
    sorted ``(dotted key, value)`` pairs with lists turned into tuples, so
    equal specs compare and hash equal.

    >>> a = RunSpec("city.yaml", seed=1, overrides={"simulation": {"duration_h": 1}})
    >>> a == RunSpec("city.yaml", seed=1, overrides=[("simulation.duration_h", 1)])
    True
    >>> a.to_json()
    '{"overrides":[["simulation.duration_h",1]],"policies":[],"scenario":"city.yaml","seed":1}'
    """

    scenario: str
    _: KW_ONLY
    policies: tuple[str, ...] = ()
    seed: int
    overrides: tuple[tuple[str, Any], ...] = ()
    without: tuple[str, ...] = ()
    #: Continue the traffic equilibrium from the :meth:`reference` run's equilibrated
    #: plan (the changed arm of a paired comparison, :mod:`twincity.traffic.planstate`).
    continues: bool = False
    #: A control arm: the city as it is, continued from the same plan for as many days
    #: as the changed arm named here (:func:`arm_key`: ``"policies|without"``) took,
    #: so both arms relax the reference's residual disequilibrium alike (see
    #: :mod:`twincity.traffic.equilibrium`). Empty for every other run.
    control_of: str = ""

    def __post_init__(self) -> None:
        """Normalise the scenario path and the policy and ``without`` names to text tuples.

        A missing scenario or a malformed or repeated name is an :class:`InputError`.
        """
        if isinstance(self.scenario, Path):
            object.__setattr__(self, "scenario", str(self.scenario))
        if not isinstance(self.scenario, str) or not self.scenario:
            raise InputError(f"expected a scenario file path, got {self.scenario!r}",
                             path="scenario")
        policies = (self.policies,) if isinstance(self.policies, str) else tuple(self.policies)
        for name in policies:
            if not isinstance(name, str) or not name.strip():
                raise InputError(f"expected policy names (text), got {name!r}", path="policies")
        twice = sorted({p for p in policies if policies.count(p) > 1})
        if twice:
            raise InputError(f"policies given more than once: {', '.join(twice)}",
                             path="policies")
        object.__setattr__(self, "policies", policies)
        without = (self.without,) if isinstance(self.without, str) else tuple(self.without)
        for name in without:
            if not isinstance(name, str) or not name.strip():
                raise InputError(f"expected policy references (text), got {name!r}",
                                 path="without")
        twice = sorted({p for p in without if without.count(p) > 1})
        if twice:
            raise InputError(f"policies removed more than once: {', '.join(twice)}",
                             path="without")
        object.__setattr__(self, "without", without)
        seed = self.seed.item() if isinstance(self.seed, np.integer) else self.seed
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise InputError(f"expected a non-negative integer seed, got {self.seed!r}",
                             path="seed")
        object.__setattr__(self, "seed", seed)
        object.__setattr__(self, "overrides", normalise_overrides(self.overrides))
        if not isinstance(self.continues, bool):
            raise InputError(f"expected true or false, got {self.continues!r}", path="continues")
        if not isinstance(self.control_of, str):
            raise InputError(f"expected text, got {self.control_of!r}", path="control_of")
        if self.control_of:
            if not self.continues or self.policies or self.without or "|" not in self.control_of:
                raise InputError("a control arm continues the city as it is (no policies of "
                                 "its own) and names its changed arm as 'policies|without'",
                                 path="control_of")
        elif self.continues and not (self.policies or self.without):
            raise InputError("a run that continues from its reference must add or remove a "
                             "policy (the reference is the city as it is)", path="continues")

    def reference(self) -> RunSpec:
        """The city as it is with this spec's seed and overrides (what a continued arm pivots on).

        >>> RunSpec("a.yaml", seed=2, policies=("x:toll",), continues=True).reference().label()
        'a.yaml seed=2'
        """
        return RunSpec(self.scenario, seed=self.seed, overrides=self.overrides)

    def control(self) -> RunSpec:
        """The control arm of this changed arm (see :attr:`control_of`).

        >>> RunSpec("a.yaml", seed=2, policies=("x:toll",), continues=True).control().label()
        'a.yaml seed=2 (control of x:toll)'
        """
        if not self.continues or self.control_of:
            raise ValueError("only a changed arm that continues has a control")
        return RunSpec(self.scenario, seed=self.seed, overrides=self.overrides, continues=True,
                       control_of=arm_key(self.policies, self.without))

    def changed(self) -> RunSpec:
        """The changed arm whose control this is (inverse of :meth:`control`)."""
        if not self.control_of:
            raise ValueError("not a control arm")
        pol, wo = self.control_of.split("|", 1)
        return RunSpec(self.scenario, seed=self.seed, overrides=self.overrides, continues=True,
                       policies=tuple(p for p in pol.split(",") if p),
                       without=tuple(w for w in wo.split(",") if w))

    def overrides_dict(self) -> dict[str, Any]:
        """Overrides as the ``{dotted key: value}`` mapping :func:`load_scenario` takes."""
        return {k: _thaw(v) for k, v in self.overrides}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (see :meth:`from_dict`); ``without`` only when not empty."""
        out = {"scenario": self.scenario, "policies": list(self.policies), "seed": self.seed,
               "overrides": [[k, _thaw(v)] for k, v in self.overrides]}
        if self.without:
            out["without"] = list(self.without)
        if self.continues:
            out["continues"] = True
        if self.control_of:
            out["control_of"] = self.control_of
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        """Inverse of :meth:`to_dict`."""
        extra = set(data) - {"scenario", "policies", "seed", "overrides", "without", "continues",
                             "control_of"}
        if extra:
            raise InputError(f"unknown run spec fields: {', '.join(sorted(extra))}")
        if "seed" not in data or "scenario" not in data:
            raise InputError("a run spec needs 'scenario' and 'seed'")
        overrides = data.get("overrides") or ()
        if isinstance(overrides, list | tuple):
            overrides = [tuple(pair) for pair in overrides]
        return cls(data["scenario"], policies=tuple(data.get("policies") or ()),
                   seed=data["seed"], overrides=overrides,
                   without=tuple(data.get("without") or ()),
                   continues=bool(data.get("continues", False)),
                   control_of=str(data.get("control_of", "")))

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no whitespace (what :func:`run_id` hashes)."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def label(self) -> str:
        """A short human label: ``tiny.yaml[erp] seed=3``, ``sejong.yaml[-sejong:brt] seed=3``."""
        change = self._change()
        policies = f"[{change}]" if change else ""
        paired = (f" (control of {self.changed()._change()})" if self.control_of
                  else " (continued)" if self.continues else "")
        return f"{Path(self.scenario).name}{policies} seed={self.seed}{paired}"

    def _change(self) -> str:
        """The policies added and removed, as :meth:`label` writes them: ``x:toll,-sejong:brt``."""
        return ",".join([*self.policies, *(f"-{w}" for w in self.without)])


def arm_key(policies: Sequence[str], without: Sequence[str]) -> str:
    """An arm as the store names it: ``"policies|without"``, each joined by ``,``.

    >>> arm_key(("singapore:erp",), ())
    'singapore:erp|'
    """
    return f"{','.join(policies)}|{','.join(without)}"


def scenario_hash(spec: RunSpec) -> str:
    """Content hash of the spec's scenario with its overrides applied (validates it too).

    >>> scenario_hash(RunSpec("tests/data/tiny.yaml", seed=1))[:12]   # doctest: +SKIP
    '523305970dd9'
    """
    from twincity.scenario.loader import load_scenario

    return load_scenario(spec.scenario, spec.overrides_dict()).content_hash


def run_id(spec: RunSpec, *, content_hash: str | None = None,
           policies: Sequence[Mapping[str, Any]] | None = None) -> str:
    """The id of a run: SHA-256 of the spec, the scenario's content, the policies and the code.

    The scenario's content hash (:func:`load_scenario`'s, which covers the
    resolved scenario after overrides and every file it references) is
    computed unless given. A spec with policies also hashes each policy's
    *resolved* description (:func:`describe_policies`: registered name,
    city-neutral parameters and the origin city's settings), so editing the
    origin scenario's policy parameters or money changes the id even though
    the reference (``"singapore:erp"``) is unchanged. Baselines hash exactly
    as before policies existed. The engine fingerprint (a hash of the
    installed twincity source) is part of every id: any change to the code
    gives every run a new id, so no stored result of other code is reused.
    Returns the first :data:`RUN_ID_LENGTH` hex digits.

    >>> spec = RunSpec("tests/data/tiny.yaml", seed=0)
    >>> run_id(spec)                                   # doctest: +SKIP
    '3e6e82320d6083e2'
    """
    h = hashlib.sha256()
    h.update(spec.to_json().encode())
    h.update(b"\0")
    h.update((content_hash or scenario_hash(spec)).encode())
    h.update(b"\0")
    h.update(engine_fingerprint().encode())
    if spec.policies:
        described = describe_policies(spec) if policies is None else list(policies)
        h.update(b"\0")
        h.update(json.dumps(described, sort_keys=True, separators=(",", ":"),
                            default=str).encode())
    return h.hexdigest()[:RUN_ID_LENGTH]


def spawn_seeds(root_seed: int, n: int) -> list[int]:
    """``n`` independent seeds for replications, derived from one root seed.

    ``SeedSequence(root_seed).spawn(n)`` gives ``n`` statistically independent
    child sequences; each child's first 32-bit state word,
    ``child.generate_state(1, np.uint32)[0]``, becomes a plain integer seed
    that a scenario (and :class:`RunSpec`) can carry. The same root always
    gives the same list, and the first ``k`` seeds of ``spawn_seeds(r, n)``
    are ``spawn_seeds(r, k)``, so adding replications keeps earlier ones.
    Seeds are 32-bit, so two of them coincide with probability about
    ``n**2 / 2**33`` (1e-4 for 1000 seeds); :class:`Experiment` drops
    duplicate specs rather than running one twice.

    >>> seeds = spawn_seeds(2026, 3)
    >>> seeds == spawn_seeds(2026, 3), seeds[:2] == spawn_seeds(2026, 2), len(set(seeds))
    (True, True, 3)
    """
    if isinstance(root_seed, bool) or not isinstance(root_seed, int | np.integer) or root_seed < 0:
        raise InputError(f"expected a non-negative integer root seed, got {root_seed!r}",
                         path="seed")
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise InputError(f"expected a non-negative number of seeds, got {n!r}")
    children = np.random.SeedSequence(int(root_seed)).spawn(int(n))
    return [int(child.generate_state(1, np.uint32)[0]) for child in children]


# ---------------------------------------------------------------------- execution
def policy_folder(spec: RunSpec) -> Path:
    """The folder policy references of ``spec`` resolve against: its scenario's folder."""
    return Path(spec.scenario).resolve().parent


def resolve_policies(spec: RunSpec) -> list[Policy]:
    """The :class:`~twincity.policies.base.Policy` objects ``spec.policies`` name.

    References are resolved as :meth:`CityModel.from_file` resolves them:
    ``"city:label"`` against ``<scenario folder>/<city>.yaml``, a policy file
    relative to the scenario's folder (or absolute), or a registered name.
    An unknown reference raises :class:`InputError` naming it.

    >>> [p.name for p in resolve_policies(RunSpec("tests/data/tiny.yaml", seed=1,
    ...                                           policies=("remote_work",)))]
    ['remote_work']
    """
    if not spec.policies:
        return []
    from twincity.policies.registry import resolve_policy

    folder = policy_folder(spec)
    return [resolve_policy(ref, folder) for ref in spec.policies]


def describe_policy(policy: Policy) -> dict[str, Any]:
    """A policy's description plus its origin city's settings (what its run id hashes).

    :meth:`Policy.describe` names the origin city only; its currency, purchasing
    power and value of time also decide the adapted numbers, so they are included.
    """
    out = dict(policy.describe())
    origin = getattr(policy, "origin", None)
    out["origin_city"] = origin.model_dump(mode="json") if origin is not None else None
    return out


def describe_policies(spec: RunSpec) -> list[dict[str, Any]]:
    """The resolved descriptions of ``spec``'s policies, in order (``[]`` for a baseline)."""
    return [describe_policy(p) for p in resolve_policies(spec)]


def check_without(spec: RunSpec) -> None:
    """Raise :class:`InputError` unless each ``spec.without`` names a policy in force there."""
    if not spec.without:
        return
    from twincity.policies.registry import in_force_entries
    from twincity.scenario.loader import load_scenario

    in_force_entries(spec.scenario, load_scenario(spec.scenario, spec.overrides_dict()).spec,
                     spec.without)


def check_policies(spec: RunSpec) -> list[dict[str, Any]]:
    """Resolve ``spec``'s policy references; raise :class:`InputError` for unknown ones.

    Returns their resolved descriptions (:func:`describe_policies`), which
    :func:`run_id` hashes.

    A ``without`` reference that names no policy in force in the scenario
    raises too.

    >>> check_policies(RunSpec("city.yaml", seed=1))            # a baseline passes
    []
    >>> check_policies(RunSpec("tests/data/tiny.yaml", seed=1, policies=("no_such",)))
    Traceback (most recent call last):
    twincity.errors.InputError: policies: unknown policy 'no_such'; expected one of ...
    """
    check_without(spec)
    return describe_policies(spec)


def build_model(spec: RunSpec, *, start_from: PlanState | None = None,
                 subsystems: tuple[str, ...] | None = None,
                 control_days: int | None = None) -> CityModel:
    """Build the model for ``spec``: load, apply the spec's policies, seed.

    Policy references resolve against the scenario's folder
    (:meth:`CityModel.from_file`); each is adapted to the city, changes its
    scenario and network, and attaches its rules to the operator agents.
    ``start_from``: the reference's plan a continued spec's equilibrium goes on from;
    ``control_days``: a control arm's days (its changed arm's).
    """
    from twincity.model import CityModel

    more = {} if subsystems is None else {"subsystems": subsystems}
    return CityModel.from_file(spec.scenario, seed=spec.seed, overrides=spec.overrides_dict(),
                               policies=list(spec.policies), without=spec.without,
                               start_from=start_from, control_days=control_days, **more)


def reference_plan(spec: RunSpec, saved: str | Path | None = None) -> PlanState:
    """The equilibrated plan of ``spec.reference()``: read from ``saved`` if that file exists.

    Otherwise the reference's traffic equilibrium is computed (its traffic
    alone decides the plan) and, when ``saved`` is given, written there. (A
    store keeps plans by the reference's run id, which the engine
    fingerprint is part of: a plan of other code is never found.)
    """
    from twincity.traffic.planstate import PlanState

    if saved is not None and Path(saved).is_file():
        return PlanState.load(saved)
    plan = build_model(spec.reference(), subsystems=("traffic",)).plan_state()
    if saved is not None:
        plan.save(saved)
    return plan


def execute(spec: RunSpec, *, start_from: PlanState | None = None,
            save_plan: str | Path | None = None, control_days: int | None = None) -> Results:
    """Run one spec to the end in this process and return its :class:`Results`.

    A spec that ``continues`` needs its reference's plan: given as
    ``start_from``, or else computed here (:func:`reference_plan`).
    ``save_plan``: write this run's equilibrated plan there (for arms that
    continue from it). A control arm (``spec.control_of``) runs ``control_days``
    continued days, computed here from its changed arm when not given.

    >>> spec = RunSpec("tests/data/tiny.yaml", seed=1, overrides={"simulation.duration_h": 1})
    >>> execute(spec).kpi("population")                # doctest: +SKIP
    20000.0
    """
    if spec.continues and start_from is None:
        start_from = reference_plan(spec)
    if spec.control_of and control_days is None:
        changed = build_model(spec.changed(), start_from=start_from, subsystems=("traffic",))
        control_days = changed.traffic.equilibrium.iterations
    model = build_model(spec, start_from=start_from if spec.continues else None,
                        control_days=control_days if spec.control_of else None)
    if save_plan is not None:
        model.plan_state().save(save_plan)
    return model.run()
