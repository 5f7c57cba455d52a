"""An experiment's design: an ordered set of distinct run specs (a grid, or any union).

Example:
    >>> exp = Experiment.grid(["a.yaml"], [(), ("x:toll",)], [1, 2])
    >>> len(exp), exp.specs[1].seed
    (4, 2)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from twincity.errors import InputError
from twincity.experiment.runners import run_experiment
from twincity.experiment.spec import RunSpec, spawn_seeds  # noqa: F401 (doctest)


@dataclass(frozen=True)
class Experiment:
    """An ordered set of distinct run specs.

    Duplicate specs are dropped (first kept): one spec is one run.

    >>> exp = Experiment.grid(["a.yaml", "b.yaml"], [(), ("x:toll",)], spawn_seeds(1, 2))
    >>> len(exp), exp.specs[0].scenario, exp.specs[-1].policies
    (8, 'a.yaml', ('x:toll',))
    """

    specs: tuple[RunSpec, ...]

    def __init__(self, specs: Iterable[RunSpec]) -> None:
        """An experiment of ``specs``, duplicates dropped and order kept (RunSpec items only)."""
        specs = tuple(specs)
        for s in specs:
            if not isinstance(s, RunSpec):
                raise InputError(f"expected RunSpec items, got {type(s).__name__}")
        object.__setattr__(self, "specs", tuple(dict.fromkeys(specs)))

    def __len__(self) -> int:
        """Number of runs."""
        return len(self.specs)

    def __iter__(self) -> Iterator[RunSpec]:
        """The run specs, in order."""
        return iter(self.specs)

    def __add__(self, other: Experiment) -> Experiment:
        """The runs of both experiments (duplicates dropped)."""
        return Experiment((*self.specs, *other.specs))

    @classmethod
    def grid(cls, scenarios: Iterable[str | Path], policy_sets: Iterable[Sequence[str]],
             seeds: Iterable[int], overrides: Mapping[str, Any] | Sequence[Mapping[str, Any]]
             | None = None) -> Experiment:
        """Every combination of scenario × policy set × override variant × seed.

        ``policy_sets`` holds one tuple of policy names per arm (``()`` is the
        baseline). ``overrides`` is one mapping applied to every run, or a
        list of mappings, each a variant (another axis of the grid).
        """
        policy_sets = [(p,) if isinstance(p, str) else tuple(p) for p in policy_sets]
        if overrides is None or isinstance(overrides, Mapping):
            variants: list[Any] = [overrides or {}]
        else:
            variants = list(overrides)
        return cls(RunSpec(str(scenario), policies=policies, seed=seed, overrides=variant)
                   for scenario, policies, variant, seed in itertools.product(
                       list(scenarios), policy_sets, variants, list(seeds)))

    def run(self, store: Any, **kwargs: Any) -> Any:
        """Shorthand for :func:`twincity.experiment.runners.run_experiment`."""
        return run_experiment(self.specs, store, **kwargs)
