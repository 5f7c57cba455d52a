"""Two scenario files, paired: the effect of whatever differs between them, with CIs.

:func:`diff` runs a base and a variant scenario over the same seeds
(resumable through the result store) and reports per KPI the paired effect
``variant − base`` with its 95% t-interval, Holm-adjusted across the KPIs,
judged good or bad by each KPI's direction — the table ``transfer`` gives,
for any two scenario files, with no policy to register. A variant is
typically a file that ``extends`` the base and changes a few fields.

Example:
    >>> r = diff("scenarios/sejong.yaml", "sejong_more_buses.yaml", seeds=10)  # doctest: +SKIP
    >>> r.effects[["kpi", "rel_effect_pct", "significant"]]                     # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from twincity.errors import InputError
from twincity.experiment.common import DEFAULT_ROOT_SEED, open_store, replication_seeds
from twincity.experiment.effects import CONFIDENCE, effects_table
from twincity.experiment.runners import run_experiment
from twincity.experiment.spec import RunSpec
from twincity.experiment.store import ResultStore
from twincity.experiment.transfer import (
    convergence_flags,
    select_kpis,
)

#: The arm labels :func:`effects_table` pairs: control = base, treatment = variant.
_ARMS = (("", ""), ("variant", ""))


def diff(base: str | Path, variant: str | Path, *, seeds: int | Sequence[int] = 10,
         root_seed: int = DEFAULT_ROOT_SEED, workers: int = 1, scheduler: Any = None,
         store: ResultStore | str | Path | None = None,
         overrides: Mapping[str, Any] | None = None, kpis: Sequence[str] | None = None,
         progress: bool = False) -> DiffResult:
    """Paired effects ``variant − base`` of two scenario files over the same seeds.

    ``seeds`` is a count (spawned from ``root_seed``) or explicit seeds;
    ``overrides`` apply to both files; ``kpis`` default to the headline KPIs.

    >>> diff("a.yaml", "a.yaml", seeds=3)
    Traceback (most recent call last):
    ...
    twincity.errors.InputError: variant: base and variant are the same file; expected two scenarios
    """
    base, variant = str(base), str(variant)
    if Path(base).resolve() == Path(variant).resolve():
        raise InputError("base and variant are the same file; expected two scenarios",
                         path="variant")
    seed_list = replication_seeds(seeds, root_seed)
    store = open_store(store)
    specs = [RunSpec(path, seed=s, overrides=overrides or {})
             for path in (base, variant) for s in seed_list]
    runs = run_experiment(specs, store, workers=workers, scheduler=scheduler,
                          progress=progress)
    label = f"{Path(variant).stem} − {Path(base).stem}"
    paired = pd.concat([runs[runs["scenario"] == base].assign(policies=_ARMS[0][0]),
                        runs[runs["scenario"] == variant].assign(policies=_ARMS[1][0])]
                       ).assign(scenario=label, without="")
    chosen = select_kpis(runs, kpis)
    effects = effects_table(paired, city_of={label: label}, kpi_names=chosen,
                            arms={label: _ARMS}, designs={label: "variant"})
    return DiffResult(base=base, variant=variant, seeds=seed_list, runs=runs, effects=effects,
                      overrides=dict(overrides or {}), store=str(store.root),
                      unconverged=convergence_flags(store, runs["run_id"].unique()))


@dataclass
class DiffResult:
    """Outcome of :func:`diff`: the runs and the paired effects (``EFFECT_COLUMNS``)."""

    base: str
    variant: str
    seeds: list[int]
    runs: pd.DataFrame
    effects: pd.DataFrame
    overrides: dict[str, Any] = field(default_factory=dict)
    store: str | None = None
    confidence: float = CONFIDENCE
    #: Runs that report ``converged: false``.
    unconverged: pd.DataFrame = field(default_factory=pd.DataFrame)

    def markdown(self) -> str:
        """report.md: design, effects table and convergence warning."""
        from twincity.experiment.report import convergence_text, markdown_table

        cols = ["kpi", "unit", "baseline_mean", "policy_mean", "effect", "ci_low", "ci_high",
                "rel_effect_pct", "p_adjusted", "judgement"]
        table = self.effects[cols].rename(columns={"baseline_mean": "base_mean",
                                                   "policy_mean": "variant_mean"})
        lines = [f"# {Path(self.variant).name} − {Path(self.base).name}", "",
                 f"Paired design: both scenarios run with the same {len(self.seeds)} seeds; "
                 "effect = variant − base, mean of the per-seed differences with its "
                 f"{self.confidence:.0%} t-interval; p-values Holm-adjusted across the KPIs; "
                 "judged good or bad by each KPI's direction.", ""]
        if self.overrides:
            lines += [f"Overrides in both: `{json.dumps(self.overrides, sort_keys=True)}`", ""]
        warn = convergence_text(self.unconverged)
        if warn:
            lines += [warn, ""]
        lines += [markdown_table(table), ""]
        return "\n".join(lines)

    def write(self, out_dir: str | Path) -> Path:
        """report.md, effects.parquet and runs.parquet, written atomically."""
        from twincity.experiment.report import write_report_dir

        def fill(tmp: Path) -> None:
            (tmp / "report.md").write_text(self.markdown())
            self.effects.to_parquet(tmp / "effects.parquet", index=False)
            self.runs.to_parquet(tmp / "runs.parquet", index=False)

        return write_report_dir(out_dir, fill)
