"""Policy transfer: trial one city's policy in another city and compare the effects.

:func:`transfer` runs two arms in each of two cities over the same seeds
(paired: both arms of a city share every seed) through
:func:`~twincity.experiment.runners.run_experiment` (serial or Dask;
resumable through the :class:`~twincity.experiment.store.ResultStore`). The
design is "with − without" in both cities:

* **at home** (the policy's origin city), when the policy is in force there
  (``in_force: true``, e.g. ``singapore:erp``): the city as it is, with its
  policy, minus the city ``without`` it (:attr:`RunSpec.without`). A policy
  the origin does not have in force is added there like anywhere else;
* **in the target**: the target with the policy added (adapted to it) minus
  the target as it is — its own in-force policies kept in both arms.

It returns a :class:`TransferResult`:

* ``table``: one row per KPI — the effect in each city (with − without,
  mean of paired differences, 95% t-interval, relative %, role primary or
  secondary with Holm-adjusted p-values for the secondary ones, good/bad by
  the KPI's direction), how the two effects compare (``direction``: "same
  direction" only when both are significant with one sign, "opposite" when
  both are significant with opposite signs, else "inconclusive"), and the
  transferability ratio (target effect / origin effect) with its Fieller 95%
  CI, reported only where the home effect is significant — see
  :mod:`twincity.experiment.effects`;
* ``effects``: the same effects in long form (city, KPI);
* ``context``: the two cities side by side (density, simulated transit share,
  car ownership, value of time, grid carbon intensity, degree days, commute
  time) to explain why effects differ;
* ``notes``: how the policy was adapted in each city (from the runs' records);
* ``plot()``, ``markdown()``, ``write(dir)`` (report.md, figures, Parquet).

The policy is applied *as adapted by its own* ``adapt(city)`` in each city:
the origin city runs it with its own numbers, the target with numbers mapped
to the target (value of time, purchasing power, its network's centre ...).

Example:
    >>> r = transfer("singapore:erp", to="sejong", seeds=5,
    ...              overrides={"simulation.equilibrium_days": 2})   # doctest: +SKIP
    >>> r.table[["kpi", "origin_effect", "target_effect", "ratio"]]  # doctest: +SKIP
    >>> r.write("results/erp-to-sejong")                              # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
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
from twincity.experiment.effects import (
    CONFIDENCE,
    classify_pair,
    effects_table,
    fieller_ratio,
    t_quantile,
)
from twincity.experiment.report import DESIGN_TEXT, RATIO_METHOD
from twincity.experiment.spec import RunSpec, arm_key
from twincity.experiment.store import ResultStore
from twincity.kpi import report_kpis

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: KPIs reported by default, in this order, when the runs produce them (the registry's).
DEFAULT_KPIS: tuple[str, ...] = report_kpis()

# ---------------------------------------------------------------------- finding inputs
def tidy_path(path: str | Path) -> Path:
    """``path`` without ``..`` parts, relative to the working folder when inside it.

    Run ids include the scenario path as given, so one file reached two ways
    (``scenarios/policies/../singapore.yaml``) is named one way and its runs
    are shared.

    >>> str(tidy_path("scenarios/policies/../sejong.yaml"))
    'scenarios/sejong.yaml'
    """
    clean = Path(os.path.normpath(path))
    if clean.is_absolute():
        try:
            return clean.relative_to(Path.cwd())
        except ValueError:
            return clean
    return clean


def find_scenario(city: str | Path, scenarios_dir: str | Path = "scenarios") -> Path:
    """A scenario file: ``city`` as a path, ``<scenarios_dir>/<city>.yaml`` or
    ``<scenarios_dir>/<city>/<city>.yaml``.

    >>> find_scenario("sejong").name                      # doctest: +SKIP
    'sejong.yaml'
    """
    path = Path(city)
    if path.suffix in (".yaml", ".yml"):
        if not path.is_file():
            raise InputError("no such scenario file", file=path)
        return tidy_path(path)
    from twincity.policies.registry import city_scenario_file

    found = city_scenario_file(str(city), scenarios_dir)
    candidate = tidy_path(found if found is not None else Path(scenarios_dir) / f"{city}.yaml")
    if found is None:
        shipped = sorted(p.stem for p in Path(scenarios_dir).glob("*.yaml"))
        raise InputError(f"no scenario for city '{city}' (looked for {candidate}); expected "
                         f"one of {', '.join(shipped) or 'none'} or a .yaml path",
                         path="cities")
    return candidate


def policy_reference(policy: str, scenarios_dir: str | Path) -> str:
    """``policy`` as a reference that resolves from the scenario folder.

    A policy *file* that exists relative to the working folder becomes an
    absolute path (the runs resolve references against their scenario's
    folder); ``city:label`` and registered names are kept.
    """
    if policy.endswith((".yaml", ".yml")):
        for path in (Path(policy), Path(scenarios_dir) / policy):
            if path.is_file():
                return str(path.resolve())
        raise InputError("no such policy file", file=policy)
    return policy


def origin_city(policy: str, scenarios_dir: str | Path, origin: str | Path | None) -> Path:
    """The scenario a policy comes from: ``origin`` if given, else the city its reference names.

    ``singapore:erp`` comes from ``singapore.yaml``; a policy file from its
    ``origin`` field. A registered name on its own has no origin city.
    """
    from twincity.policies.registry import resolve_policy

    folder = Path(scenarios_dir)
    resolved = resolve_policy(policy, folder)  # an unknown policy fails here, first
    if origin is not None:
        return find_scenario(origin, folder)
    if ":" in policy and not policy.endswith((".yaml", ".yml")):
        return find_scenario(policy.split(":", 1)[0], folder)
    if resolved.origin is not None:
        from twincity.scenario.yamlio import read_yaml

        data, _ = read_yaml(Path(policy))
        return tidy_path(Path(policy).parent / data["origin"])
    raise InputError(f"policy '{policy}' names no origin city; expected a reference like "
                     "'singapore:erp', a policy file with an origin, or an origin city "
                     "(--from / origin=)", path="policies")


def city_name(path: str | Path, overrides: Mapping[str, Any] | None = None) -> str:
    """The ``city.name`` of a scenario file."""
    from twincity.scenario.loader import load_scenario

    return load_scenario(path, dict(overrides or {})).spec.city.name


# ---------------------------------------------------------------------- context
#: Rows of the context table: (key, label, unit).
CONTEXT_ROWS: tuple[tuple[str, str, str], ...] = (
    ("population", "Population", "persons"),
    ("population_density", "Population density", "persons/km²"),
    ("cars_per_1000", "Car ownership", "cars/1000 persons"),
    ("mode_share_car", "Car mode share (simulated, city as it is)", "share"),
    ("mode_share_transit", "Transit mode share (simulated, city as it is)", "share"),
    ("value_of_time_intl_usd_per_h", "Value of time", "intl $/h (PPP)"),
    ("mean_commute_time", "Mean commute time (simulated, city as it is)", "min"),
    ("travel_time_index", "Travel time index (simulated, city as it is)", "ratio"),
    ("road_lane_km_per_1000", "Road lane-km per 1000 persons", "lane-km"),
    ("grid_intensity_mean", "Grid carbon intensity (simulated mean)", "kg CO2/kWh"),
    ("hdd", "Heating degree days (base 18 °C)", "K·d/yr"),
    ("cdd", "Cooling degree days (base 18 °C)", "K·d/yr"),
)


def city_context(path: str | Path, overrides: Mapping[str, Any] | None,
                 baseline_kpis: pd.DataFrame) -> dict[str, float]:
    """Context indicators of one city: scenario inputs plus mean baseline KPIs.

    ``baseline_kpis`` holds the store's KPI rows of this city as it is (its own
    policies in force, nothing added); simulated indicators are their means
    over seeds (NaN when absent).
    """
    from twincity.energy.weather import degree_days
    from twincity.scenario.loader import load_scenario

    spec = load_scenario(path, dict(overrides or {})).spec
    means = baseline_kpis.groupby("name")["value"].mean()
    dd = degree_days(spec.climate, 18.0)
    out = {
        "population": float(spec.city.population),
        "population_density": spec.city.population / spec.city.area_km2,
        "cars_per_1000": float(spec.city.cars_per_1000),
        "value_of_time_intl_usd_per_h": spec.city.value_of_time_per_h / spec.city.ppp_per_usd,
        "hdd": float(dd.hdd),
        "cdd": float(dd.cdd),
    }
    for key in ("mode_share_car", "mode_share_transit", "mean_commute_time",
                "travel_time_index", "road_lane_km_per_1000", "grid_intensity_mean"):
        out[key] = float(means.get(key, math.nan))
    return out


def context_table(contexts: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """Cities side by side: index = indicator label, columns ``unit`` and one per city."""
    rows = []
    for key, label, unit in CONTEXT_ROWS:
        row = {"indicator": label, "unit": unit}
        for city, ctx in contexts.items():
            row[city] = ctx.get(key, math.nan)
        rows.append(row)
    return pd.DataFrame(rows).set_index("indicator")


# ---------------------------------------------------------------------- running
def treatment_run_ids(runs: pd.DataFrame, scenario: str, arms: ArmPair) -> list[str]:
    """Run ids of the treatment arm (the policy in force: added, or the city as it is at home)."""
    _, (pol, wo, ctrl) = arms.store_arms()
    here = runs[(runs["scenario"] == scenario) & (runs["policies"] == pol)
                & (runs["without"] == wo) & (runs["control_of"] == ctrl)]
    return list(here["run_id"].unique())


def _as_is_rows(runs: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """KPI rows of the city as it is (the references): nothing added, its policies in force."""
    return runs[(runs["scenario"] == scenario) & (runs["policies"] == "")
                & (runs["without"] == "") & (runs["control_of"] == "")]


def policy_in_force_in(policy: str, scenario: Path) -> bool:
    """Whether ``policy`` (``city:label``) is in force in ``scenario`` (its own home city)."""
    from twincity.policies.registry import is_in_force_at_home

    if ":" not in policy or policy.endswith((".yaml", ".yml")):
        return False
    return (policy.split(":", 1)[0] == Path(scenario).stem
            and is_in_force_at_home(policy, Path(scenario).parent))


@dataclass(frozen=True)
class ArmPair:
    """The two arms of one city: ``control`` and ``treatment`` run specs' (policies, without).

    The arm that changes the city continues from the reference's plan; the
    arm of the city as it is is the paired control run beside it for as many
    days (:attr:`~twincity.experiment.spec.RunSpec.control_of`), not the
    reference itself.
    """

    design: str  # "in_force" (with − without at home) or "added"
    control: tuple[tuple[str, ...], tuple[str, ...]]
    treatment: tuple[tuple[str, ...], tuple[str, ...]]

    @property
    def changed(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The arm that changes the city: (policies, without), the one that is not empty."""
        return next(arm for arm in (self.control, self.treatment) if arm[0] or arm[1])

    def store_arms(self) -> tuple[tuple[str, str, str], tuple[str, str, str]]:
        """The arms as the store's (policies, without, control_of) columns name them."""
        return tuple((",".join(p), ",".join(w), "" if (p or w) else arm_key(*self.changed))
                     for p, w in (self.control, self.treatment))


def arm_pair(policy: str, scenario: Path) -> ArmPair:
    """With − without for ``policy`` in ``scenario``: removed at home if in force there, else added.

    >>> arm_pair("singapore:erp", Path("scenarios/singapore.yaml")).design   # doctest: +SKIP
    'in_force'
    """
    if policy_in_force_in(policy, scenario):
        return ArmPair("in_force", control=((), (policy,)), treatment=((), ()))
    return ArmPair("added", control=((), ()), treatment=((policy,), ()))


def arm_specs(scenarios: Sequence[Path], policy: str, seeds: Sequence[int], *,
              overrides: Mapping[str, Any] | None) -> tuple[list[RunSpec], dict[str, ArmPair]]:
    """The run specs of every scenario's two arms over ``seeds``, and each scenario's arms.

    Both arms continue from the equilibrated plan of the city as it is, same
    seed (:mod:`twincity.traffic.planstate`): the arm that changes the city
    (the policy added, or removed at home) until it is equilibrated again,
    and the city as it is (its control) for as many days, so the pair
    differs by the policy, not by where two day-to-day processes stopped.
    The reference that makes the plan runs too (:func:`~twincity.experiment.runners.plan`).
    """
    arms = {str(s): arm_pair(policy, s) for s in scenarios}
    specs = []
    for s in scenarios:
        p, w = arms[str(s)].changed
        for seed in seeds:
            changed = RunSpec(str(s), policies=p, without=w, seed=seed,
                              overrides=dict(overrides or {}), continues=True)
            specs += [changed, changed.control()]
    return specs, arms


def run_arms(scenarios: Sequence[Path], policy: str, seeds: Sequence[int], *,
             overrides: Mapping[str, Any] | None, store: ResultStore, workers: int,
             scheduler: Any, progress: bool) -> tuple[pd.DataFrame, dict[str, ArmPair]]:
    """Both arms of every scenario over ``seeds``; returns their KPI rows and the arms."""
    from twincity.experiment.runners import run_experiment

    specs, arms = arm_specs(scenarios, policy, seeds, overrides=overrides)
    kpis = run_experiment(specs, store, workers=workers, scheduler=scheduler,
                          progress=progress)
    return kpis, arms


def primary_kpis(policy: str, scenarios_dir: str | Path) -> tuple[str, ...]:
    """The primary KPIs the policy's class declares."""
    from twincity.policies.registry import resolve_policy

    return tuple(resolve_policy(policy, scenarios_dir).primary_kpis)


def convergence_flags(store: ResultStore, run_ids: Sequence[str]) -> pd.DataFrame:
    """Runs whose record says their equilibrium did not converge (``converged: false``).

    Columns: run_id, scenario, policies, without, control_of, seed,
    relative_gap, mode_imbalance, target_gap, gap_levelled (True in records
    older than the criterion). Runs that report nothing about convergence are
    not listed.
    """
    rows = []
    for rid in dict.fromkeys(run_ids):
        rec = store.record(rid)
        eq = rec.get("equilibrium") or (rec.get("provenance") or {}).get("equilibrium") or {}
        if isinstance(eq, Mapping) and eq.get("converged") is False:
            spec = rec.get("spec", {})
            rows.append({"run_id": rid, "scenario": spec.get("scenario"),
                         "policies": ",".join(spec.get("policies", [])),
                         "without": ",".join(spec.get("without", [])),
                         "control_of": spec.get("control_of", ""),
                         "seed": spec.get("seed"),
                         "relative_gap": eq.get("relative_gap", math.nan),
                         "mode_imbalance": eq.get("mode_imbalance", math.nan),
                         "target_gap": eq.get("target_gap", math.nan),
                         "gap_levelled": bool(eq.get("gap_levelled", True))})
    return pd.DataFrame(rows, columns=["run_id", "scenario", "policies", "without",
                                       "control_of", "seed", "relative_gap",
                                       "mode_imbalance", "target_gap", "gap_levelled"])


def select_kpis(kpis: pd.DataFrame, wanted: Sequence[str] | None,
                primary: Sequence[str] = ()) -> list[str]:
    """The KPIs to report: ``wanted`` (each must exist) or :data:`DEFAULT_KPIS` present.

    The policy's ``primary`` KPIs the runs produce come first and are always
    included.
    """
    have = set(kpis["name"].unique())
    if wanted:
        missing = [k for k in wanted if k not in have]
        if missing:
            raise InputError(f"the runs have no KPI {', '.join(missing)}; expected some of "
                             f"{', '.join(sorted(have))}", path="kpis")
        chosen = list(wanted)
    else:
        chosen = [k for k in DEFAULT_KPIS if k in have] or sorted(have)
    first = [k for k in primary if k in have]
    return first + [k for k in chosen if k not in first]


def transfer(policy: str, *, to: str | Path, origin: str | Path | None = None,
             seeds: int | Sequence[int] = 20, root_seed: int = DEFAULT_ROOT_SEED,
             workers: int = 1, scheduler: Any = None,
             store: ResultStore | str | Path | None = None,
             overrides: Mapping[str, Any] | None = None,
             scenarios_dir: str | Path = "scenarios", kpis: Sequence[str] | None = None,
             progress: bool = False) -> TransferResult:
    """Trial ``policy`` from its origin city in city ``to``; paired effects and their ratio.

    ``policy`` is a reference (``"singapore:erp"``, a policy file, or a
    registered name together with ``origin``). ``to``/``origin`` are city
    names in ``scenarios_dir`` or scenario paths. ``seeds`` is a count
    (spawned from ``root_seed``) or explicit seeds; the same seeds run the
    baseline and the policy in both cities. ``overrides`` apply to every run
    (e.g. ``{"simulation.equilibrium_days": 2}``). ``store`` keeps the runs
    (a re-run skips finished ones); ``None`` uses a fresh temporary folder.

    >>> r = transfer("remote_work", origin="tests/data/tiny.yaml", to="tests/data/tiny.yaml",
    ...              seeds=3)                                             # doctest: +SKIP
    """
    folder = Path(scenarios_dir)
    ref = policy_reference(policy, folder)
    origin_path = origin_city(ref, folder, origin)
    target_path = find_scenario(to, folder)
    if origin_path.resolve() == target_path.resolve():
        raise InputError(f"origin and target are the same scenario ({target_path}); expected "
                         "two different cities", path="to")
    seed_list = replication_seeds(seeds, root_seed)
    store = open_store(store)
    names = {origin_path: city_name(origin_path, overrides),
             target_path: city_name(target_path, overrides)}
    if names[origin_path] == names[target_path]:  # two files of one city: keep them apart
        names = {origin_path: f"{names[origin_path]} ({origin_path.stem})",
                 target_path: f"{names[target_path]} ({target_path.stem})"}
    runs, arms = run_arms([origin_path, target_path], ref, seed_list, overrides=overrides,
                          store=store, workers=workers, scheduler=scheduler,
                          progress=progress)
    city_of = {str(p): n for p, n in names.items()}
    runs = runs.assign(city=runs["scenario"].map(city_of))
    primary = primary_kpis(ref, folder)
    chosen = select_kpis(runs, kpis, primary)
    effects = effects_table(runs, city_of=city_of, kpi_names=chosen,
                            arms={s: a.store_arms() for s, a in arms.items()},
                            designs={s: a.design for s, a in arms.items()}, primary=primary)
    contexts = {names[p]: city_context(p, overrides, _as_is_rows(runs, str(p)))
                for p in (origin_path, target_path)}
    notes = {names[p]: policy_notes(store, treatment_run_ids(runs, str(p), arms[str(p)]),
                                     ref)
             for p in (origin_path, target_path)}
    flags = convergence_flags(store, runs["run_id"].unique()).assign(
        city=lambda f: f["scenario"].map(city_of))
    return TransferResult(policy=ref, origin=names[origin_path], target=names[target_path],
                          scenarios={names[p]: str(p) for p in names}, seeds=seed_list,
                          runs=runs, effects=effects, context=context_table(contexts),
                          notes=notes, overrides=dict(overrides or {}), store=str(store.root),
                          designs={names[p]: arms[str(p)].design for p in names},
                          primary=list(primary), unconverged=flags)


# ---------------------------------------------------------------------- result
def ratio_table(effects: pd.DataFrame, origin: str, target: str,
                confidence: float = CONFIDENCE) -> pd.DataFrame:
    """One row per KPI: both cities' effects, how they compare, the ratio and its Fieller CI.

    ``direction`` is :func:`~twincity.experiment.effects.classify_pair` of the
    two effects (each significant as its role demands: primary at 95%,
    secondary after Holm). ``ratio`` compares absolute effects (in the KPI's
    unit) and ``ratio_rel`` relative effects (% of each city's control arm, a
    point value); both are NaN, with ``ratio_note`` "undefined: no significant
    home effect", unless the origin (home) effect is significant.
    """
    cols = ["effect", "ci_low", "ci_high", "rel_effect_pct", "rel_ci_low_pct",
            "rel_ci_high_pct", "baseline_mean", "effect_se", "n", "p_value", "p_adjusted",
            "significant", "judgement"]
    o = effects[effects["city"] == origin].set_index("kpi")
    t = effects[effects["city"] == target].set_index("kpi")
    rows = []
    for kpi in [k for k in o.index if k in t.index]:
        a, b = t.loc[kpi], o.loc[kpi]
        df = min(int(a["n"]), int(b["n"])) - 1
        home_sig = bool(b.get("significant", b["ci_low"] > 0 or b["ci_high"] < 0))
        target_sig = bool(a.get("significant", a["ci_low"] > 0 or a["ci_high"] < 0))
        if home_sig and b["effect"] != 0:
            ratio = a["effect"] / b["effect"]
            lo, hi = fieller_ratio(float(a["effect"]), float(a["effect_se"]),
                                   float(b["effect"]), float(b["effect_se"]), df=df,
                                   confidence=confidence)
            rel_b = b["rel_effect_pct"]
            ratio_rel = a["rel_effect_pct"] / rel_b if rel_b else math.nan
            note = ""
        else:
            ratio = lo = hi = ratio_rel = math.nan
            note = "undefined: no significant home effect"
        row: dict[str, Any] = {"kpi": kpi, "unit": b["unit"], "role": b.get("role", "secondary"),
                               "better": b.get("better", "none")}
        row.update({f"origin_{c}": b.get(c, math.nan) for c in cols})
        row.update({f"target_{c}": a.get(c, math.nan) for c in cols})
        row.update({"direction": classify_pair(float(b["effect"]), home_sig,
                                               float(a["effect"]), target_sig),
                    "ratio": ratio, "ratio_ci_low": lo, "ratio_ci_high": hi,
                    "ratio_rel": ratio_rel, "ratio_note": note,
                    "ratio_df": df, "t_crit": t_quantile(df, confidence),
                    "origin_ci_includes_zero": bool(b["ci_low"] <= 0 <= b["ci_high"])})
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass
class TransferResult:
    """Outcome of :func:`transfer` (see the module docstring for the pieces)."""

    policy: str
    origin: str
    target: str
    scenarios: dict[str, str]
    seeds: list[int]
    runs: pd.DataFrame
    effects: pd.DataFrame
    context: pd.DataFrame
    notes: dict[str, str]
    overrides: dict[str, Any] = field(default_factory=dict)
    store: str | None = None
    confidence: float = CONFIDENCE
    #: Each city's design: "in_force" (removed at home) or "added".
    designs: dict[str, str] = field(default_factory=dict)
    #: The policy's primary KPIs (tested at 95% each; the rest Holm-adjusted).
    primary: list[str] = field(default_factory=list)
    #: Runs that report ``converged: false`` (:func:`convergence_flags`, plus ``city``).
    unconverged: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def table(self) -> pd.DataFrame:
        """Per KPI: origin and target effects with CIs, ratio target/origin with Fieller CI."""
        return ratio_table(self.effects, self.origin, self.target, self.confidence)

    @property
    def cities(self) -> list[str]:
        """The origin and the target city, in that order."""
        return [self.origin, self.target]

    def reading(self) -> str:
        """A short reading of the results, written from the numbers."""
        from twincity.experiment.report import transfer_reading

        return transfer_reading(self)

    def plot(self) -> Figure:
        """Relative effects with CIs in both cities (left) and the ratio with its CI (right)."""
        from twincity.experiment.report import plot_transfer

        return plot_transfer(self)

    def markdown(self) -> str:
        """The report as Markdown (figures referenced as ``effects.png``, ``ratio.png``)."""
        from twincity.experiment.report import transfer_markdown

        return transfer_markdown(self)

    def meta(self) -> dict[str, Any]:
        """What the report is about (JSON-ready)."""
        return {"policy": self.policy, "origin": self.origin, "target": self.target,
                "scenarios": self.scenarios, "seeds": self.seeds, "overrides": self.overrides,
                "confidence": self.confidence, "ratio_ci_method": RATIO_METHOD,
                "design": DESIGN_TEXT, "designs": self.designs, "primary_kpis": self.primary,
                "secondary_adjustment": "Holm",
                "unconverged_runs": self.unconverged.to_dict(orient="records"),
                "notes": self.notes, "store": self.store}

    def write(self, out_dir: str | Path) -> Path:
        """Write the reports, effects.png, ratio.png and the Parquet data atomically.

        Files: ``report.md``, ``report.html`` (self-contained: the PNGs inlined),
        ``effects.png``, ``ratio.png``, ``runs.parquet``
        (per-run KPIs), ``effects.parquet`` (long), ``transfer.parquet`` (per
        KPI with ratio), ``context.parquet``, ``meta.json``.
        """
        from twincity.experiment.report import plot_effects, plot_ratio, write_report_dir
        from twincity.viz.html import markdown_html

        def fill(tmp: Path) -> None:
            self.runs.to_parquet(tmp / "runs.parquet", index=False)
            self.effects.to_parquet(tmp / "effects.parquet", index=False)
            self.table.to_parquet(tmp / "transfer.parquet", index=False)
            self.context.reset_index().to_parquet(tmp / "context.parquet", index=False)
            (tmp / "meta.json").write_text(json.dumps(self.meta(), indent=2, default=str) + "\n")
            plot_effects(self.effects, self.cities,
                         title=f"{self.policy}: effect per KPI").savefig(tmp / "effects.png",
                                                                          dpi=110)
            plot_ratio(self.table, self.origin, self.target).savefig(tmp / "ratio.png", dpi=110)
            (tmp / "report.md").write_text(self.markdown())
            (tmp / "report.html").write_text(markdown_html(
                self.markdown(), f"{self.policy}: {self.origin} to {self.target}", tmp))

        return write_report_dir(out_dir, fill)
