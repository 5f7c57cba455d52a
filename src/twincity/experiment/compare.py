"""One policy across many cities: a city × KPI matrix of paired effects with CIs.

:func:`compare` runs two arms in every city over the same seeds (resumable
through the result store; a store shared with :func:`transfer` reuses its
runs). The design is "with − without" everywhere: in the policy's home city,
where it is in force, the city as it is minus the city ``without`` it;
elsewhere the city with the policy added (adapted) minus the city as it is,
its own in-force policies kept. It returns a :class:`CompareResult` with the
long effects table (:data:`~twincity.experiment.effects.EFFECT_COLUMNS`:
primary KPIs at 95%, secondary Holm-adjusted, each judged good or bad by the
KPI's direction), the adaptation note per city, a city × KPI matrix of
relative effects and a heatmap coloured by good/bad.

Example:
    >>> r = compare("helsinki:transit", seeds=5)                        # doctest: +SKIP
    >>> r.matrix()                                  # % of baseline      # doctest: +SKIP
    >>> r.plot().savefig("transit-everywhere.png")                      # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from twincity.errors import InputError
from twincity.experiment.common import (
    DEFAULT_ROOT_SEED,
    open_store,
    policy_notes,
    replication_seeds,
)
from twincity.experiment.effects import CONFIDENCE, effects_table
from twincity.experiment.store import ResultStore
from twincity.experiment.transfer import (
    city_name,
    convergence_flags,
    find_scenario,
    policy_reference,
    primary_kpis,
    run_arms,
    select_kpis,
    treatment_run_ids,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def shipped_cities(scenarios_dir: str | Path = "scenarios") -> list[Path]:
    """Every city's scenario file in ``scenarios_dir`` (sorted by name).

    A variant (a file with a top-level ``extends: …``, as the ``twincity diff`` example
    writes beside the cities) is not a city of its own and is left out.
    """
    found = sorted(path for path in Path(scenarios_dir).glob("*.yaml")
                   if not _is_variant(path))
    if not found:
        raise InputError(f"no scenario files in {scenarios_dir}", path="cities")
    return found


def _is_variant(path: Path) -> bool:
    """Whether the scenario file ``path`` overlays another (``extends:`` at the top)."""
    if not path.is_file():   # a FIFO or device is refused by the loader, never read here
        return False
    with path.open(encoding="utf-8", errors="replace") as lines:
        return any(line.startswith("extends:") for line in lines)


def compare(policy: str, *, cities: Sequence[str | Path] | None = None,
            seeds: int | Sequence[int] = 5,
            root_seed: int = DEFAULT_ROOT_SEED, workers: int = 1, scheduler: Any = None,
            store: ResultStore | str | Path | None = None,
            overrides: Mapping[str, Any] | None = None,
            scenarios_dir: str | Path = "scenarios", kpis: Sequence[str] | None = None,
            progress: bool = False) -> CompareResult:
    """Effects of ``policy`` in each of ``cities`` (default: every scenario in the folder).

    ``policy`` is a reference (``"helsinki:transit"``, a policy file, or a
    registered name with its defaults). Seeds, store and overrides as in
    :func:`~twincity.experiment.transfer.transfer`.

    >>> compare("remote_work", cities=["tests/data/tiny.yaml"], seeds=3)   # doctest: +SKIP
    """
    from twincity.policies.registry import resolve_policy

    folder = Path(scenarios_dir)
    ref = policy_reference(policy, folder)
    resolve_policy(ref, folder)  # an unknown policy fails before anything runs
    paths = ([find_scenario(c, folder) for c in cities] if cities
             else shipped_cities(folder))
    if len({p.resolve() for p in paths}) != len(paths):
        raise InputError("a city is listed twice; expected distinct cities", path="cities")
    seed_list = replication_seeds(seeds, root_seed)
    store = open_store(store)
    names = {p: city_name(p, overrides) for p in paths}
    if len(set(names.values())) != len(names):
        names = {p: f"{n} ({p.stem})" for p, n in names.items()}
    runs, arms = run_arms(paths, ref, seed_list, overrides=overrides, store=store,
                          workers=workers, scheduler=scheduler, progress=progress)
    city_of = {str(p): n for p, n in names.items()}
    runs = runs.assign(city=runs["scenario"].map(city_of))
    primary = primary_kpis(ref, folder)
    chosen = select_kpis(runs, kpis, primary)
    effects = effects_table(runs, city_of=city_of, kpi_names=chosen,
                            arms={s: a.store_arms() for s, a in arms.items()},
                            designs={s: a.design for s, a in arms.items()}, primary=primary)
    notes = {names[p]: policy_notes(store, treatment_run_ids(runs, str(p), arms[str(p)]), ref)
             for p in paths}
    flags = convergence_flags(store, runs["run_id"].unique()).assign(
        city=lambda f: f["scenario"].map(city_of))
    return CompareResult(policy=ref, cities=[names[p] for p in paths],
                         scenarios={names[p]: str(p) for p in paths}, seeds=seed_list, runs=runs,
                         effects=effects, notes=notes, overrides=dict(overrides or {}),
                         store=str(store.root),
                         designs={names[p]: arms[str(p)].design for p in paths},
                         primary=list(primary), unconverged=flags)


@dataclass
class CompareResult:
    """Outcome of :func:`compare`."""

    policy: str
    cities: list[str]
    scenarios: dict[str, str]
    seeds: list[int]
    runs: pd.DataFrame
    effects: pd.DataFrame
    notes: dict[str, str]
    overrides: dict[str, Any] = field(default_factory=dict)
    store: str | None = None
    confidence: float = CONFIDENCE
    #: Each city's design: "in_force" (removed at home) or "added".
    designs: dict[str, str] = field(default_factory=dict)
    #: The policy's primary KPIs (tested at 95% each; the rest Holm-adjusted).
    primary: list[str] = field(default_factory=list)
    #: Runs that report ``converged: false``.
    unconverged: pd.DataFrame = field(default_factory=pd.DataFrame)

    def matrix(self, value: str = "rel_effect_pct") -> pd.DataFrame:
        """City × KPI matrix of ``value`` (default: effect as % of baseline)."""
        m = self.effects.pivot(index="city", columns="kpi", values=value)
        kpis = list(dict.fromkeys(self.effects["kpi"]))
        return m.reindex(index=self.cities, columns=kpis)

    def plot(self) -> Figure:
        """Heatmap of relative effects coloured good/bad by each KPI's direction; ``*`` significant.

        Significant means: primary KPIs' 95% CI excludes 0; secondary KPIs'
        Holm-adjusted p < 0.05. Cells that are not significant stay uncoloured.
        """
        from twincity.experiment.report import plot_heatmap

        return plot_heatmap(self.matrix(), self.matrix("significant").astype(bool),
                            title=f"{self.policy}: effect, % of the without arm")

    def reading(self) -> str:
        """A short reading of the matrix, written from the numbers."""
        from twincity.experiment.report import compare_reading

        return compare_reading(self)

    def markdown(self) -> str:
        """The comparison report as Markdown."""
        from twincity.experiment.report import compare_markdown

        return compare_markdown(self)

    def write(self, out_dir: str | Path) -> Path:
        """report.md, report.html (self-contained), heatmap.png, runs.parquet and
        effects.parquet, written atomically.
        """
        from twincity.experiment.report import write_report_dir
        from twincity.viz.html import markdown_html

        def fill(tmp: Path) -> None:
            self.runs.to_parquet(tmp / "runs.parquet", index=False)
            self.effects.to_parquet(tmp / "effects.parquet", index=False)
            self.plot().savefig(tmp / "heatmap.png", dpi=110)
            meta = {"policy": self.policy, "cities": self.cities, "scenarios": self.scenarios,
                    "seeds": self.seeds, "overrides": self.overrides, "notes": self.notes,
                    "confidence": self.confidence, "store": self.store,
                    "designs": self.designs, "primary_kpis": self.primary,
                    "secondary_adjustment": "Holm",
                    "unconverged_runs": self.unconverged.to_dict(orient="records")}
            (tmp / "meta.json").write_text(json.dumps(meta, indent=2, default=str) + "\n")
            (tmp / "report.md").write_text(self.markdown())
            (tmp / "report.html").write_text(markdown_html(
                self.markdown(), f"{self.policy} in {len(self.cities)} cities", tmp))

        return write_report_dir(out_dir, fill)
