"""twincity as an EMA workbench model: uncertainties from a scenario, levers from a policy.

The `EMA workbench <https://emaworkbench.readthedocs.io>`_ (``ema_workbench``
on PyPI) samples uncertainties and levers, runs a model over them and
analyses the results (PRIM scenario discovery, feature scoring, robust
optimisation). :func:`ema_model` wraps one twincity scenario as an EMA
``Model``: each uncertainty is a scenario field (a dotted override key, as
``--set`` takes) with a range, each lever a parameter of one registered
policy with a range, each outcome a KPI. Every experiment runs the city once
with the root ``seed`` (common random numbers: outcome differences come from
the parameters, not from the seed).

EMA names its parameters after Python identifiers, so a key's dots become
double underscores (``demand__trips_per_person_per_day``) and a lever is
``<policy>__<param>``; :func:`ema_name` gives the name.

Example:
    >>> from ema_workbench import SequentialEvaluator, perform_experiments  # doctest: +SKIP
    >>> model = ema_model("scenarios/sejong.yaml",
    ...                   uncertainties={"demand.trips_per_person_per_day": (2.2, 2.8)},
    ...                   policy="remote_work", levers={"remote_share": (0.0, 0.3)},
    ...                   outcomes=["vehicle_km"])                          # doctest: +SKIP
    >>> experiments, outcomes = perform_experiments(model, scenarios=8, policies=2,
    ...     evaluator=SequentialEvaluator(model))                            # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from twincity.errors import InputError


def ema_name(key: str, policy: str | None = None) -> str:
    """The EMA parameter name of a scenario key, or of a lever ``key`` of ``policy``.

    >>> ema_name("demand.trips_per_person_per_day"), ema_name("remote_share", "remote_work")
    ('demand__trips_per_person_per_day', 'remote_work__remote_share')
    """
    return key.replace(".", "__") if policy is None else f"{policy}__{key}"


class CityRunner:
    """The function an EMA ``Model`` calls: one twincity run per experiment (picklable)."""

    def __init__(self, scenario: str, uncertainties: Sequence[str], policy: str | None,
                 levers: Sequence[str], policy_params: Mapping[str, Any],
                 outcomes: Sequence[str], overrides: Mapping[str, Any], seed: int | None,
                 subsystems: tuple[str, ...]) -> None:
        """Keep what every run needs.

        ``uncertainties`` are scenario override keys and ``levers`` the policy's
        parameter names, both set per experiment; ``policy_params`` are the
        policy's fixed parameters, ``overrides`` fixed scenario overrides,
        ``outcomes`` the KPIs returned.
        """
        self.scenario, self.policy, self.seed = scenario, policy, seed
        self.uncertainties, self.levers = list(uncertainties), list(levers)
        self.policy_params, self.outcomes = dict(policy_params), list(outcomes)
        self.overrides, self.subsystems = dict(overrides), subsystems

    def __call__(self, **params: Any) -> dict[str, float]:
        """Run the city with this experiment's uncertainty and lever values; its outcome KPIs."""
        from twincity.model import CityModel
        from twincity.policies.registry import make_policy

        overrides = {**self.overrides,
                     **{k: float(params[ema_name(k)]) for k in self.uncertainties}}
        policies = []
        if self.policy is not None:
            chosen = {k: float(params[ema_name(k, self.policy)]) for k in self.levers}
            policies.append(make_policy(self.policy, {**self.policy_params, **chosen}))
        results = CityModel(self.scenario, seed=self.seed, overrides=overrides,
                            policies=policies, subsystems=self.subsystems).run()
        values = {k.name: float(k.value) for k in results.kpis}
        missing = [k for k in self.outcomes if k not in values]
        if missing:
            raise InputError(f"the run has no KPI {', '.join(missing)}; expected some of "
                             f"{', '.join(sorted(values))}", path="outcomes")
        return {k: values[k] for k in self.outcomes}


def ema_model(scenario: str | Path, *, uncertainties: Mapping[str, tuple[float, float]],
              outcomes: Sequence[str], policy: str | None = None,
              levers: Mapping[str, tuple[float, float]] | None = None,
              policy_params: Mapping[str, Any] | None = None,
              overrides: Mapping[str, Any] | None = None, seed: int | None = None,
              subsystems: tuple[str, ...] | None = None, name: str = "twincity") -> Any:
    """An ``ema_workbench.Model`` running ``scenario`` (needs ``pip install ema-workbench``).

    ``uncertainties`` maps scenario keys to (low, high); ``policy`` names a
    registered policy whose parameters in ``levers`` are ranged (the others
    at ``policy_params`` or their defaults); ``outcomes`` are KPI names;
    ``overrides`` are fixed for every experiment; ``subsystems`` default to
    all. The scenario and the policy are checked before any experiment runs.
    """
    from ema_workbench import Model, RealParameter, ScalarOutcome

    from twincity.model import SUBSYSTEMS
    from twincity.scenario.loader import load_scenario

    if not uncertainties and not levers:
        raise InputError("expected at least one uncertainty or lever", path="uncertainties")
    levers = dict(levers or {})
    if levers and policy is None:
        raise InputError("levers need the policy they belong to", path="policy")
    for key, (low, high) in {**uncertainties, **levers}.items():
        if not low < high:
            raise InputError(f"expected low < high, got {low}:{high}", path=key)
    fixed = dict(overrides or {})
    probe = {**fixed, **{k: (lo + hi) / 2 for k, (lo, hi) in uncertainties.items()}}
    load_scenario(scenario, probe)  # unknown keys or values out of range fail here
    if policy is not None:
        from twincity.policies.registry import make_policy

        mid = {k: (lo + hi) / 2 for k, (lo, hi) in levers.items()}
        make_policy(policy, {**(policy_params or {}), **mid})
    model = Model(name, function=CityRunner(
        str(scenario), list(uncertainties), policy, list(levers), policy_params or {},
        outcomes, fixed, seed, tuple(subsystems or SUBSYSTEMS)))
    model.uncertainties = [RealParameter(ema_name(k), lo, hi)
                           for k, (lo, hi) in uncertainties.items()]
    model.levers = [RealParameter(ema_name(k, policy), lo, hi) for k, (lo, hi) in levers.items()]
    model.outcomes = [ScalarOutcome(k) for k in outcomes]
    return model
