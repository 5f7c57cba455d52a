"""Global sensitivity of KPIs to uncertain scenario parameters (SALib).

:func:`sweep` samples uncertain parameters (scenario overrides with ranges),
runs one scenario per sample through
:func:`~twincity.experiment.runners.run_experiment` (serial or Dask,
resumable through the result store) and computes sensitivity indices with
SALib:

* ``method="sobol"`` (default): Sobol/Saltelli sampling
  (``SALib.sample.sobol.sample``, ``N·(D+2)`` runs for ``D`` parameters
  without second-order terms) and ``SALib.analyze.sobol.analyze``:
  first-order ``S1`` and total ``ST`` indices with bootstrap confidence
  half-widths. ``N`` should be a power of 2; below :data:`MIN_SOBOL_SAMPLES`,
  or when indices are wide or outside [0, 1], a :class:`SweepWarning` says
  so (and :attr:`SweepResult.notes` keeps it).
* ``method="lhs"``: a Latin hypercube of ``N`` runs
  (``SALib.sample.latin.sample``, ``N ≥ 16``) and RBD-FAST first-order
  indices (``SALib.analyze.rbd_fast.analyze`` with :func:`rbd_harmonics`
  harmonics); no total indices (``ST`` is NaN).

Every run uses the same simulation seed (common random numbers), so the
indices describe the parameters, not seed noise; the seed's own spread is
not part of the decomposition. Integer bounds (``"2:6"``) give integer
values (rounded).

Example:
    >>> r = sweep("scenarios/sejong.yaml",
    ...           {"demand.trips_per_person_per_day": (2.0, 2.8)},
    ...           kpis=["vehicle_km"], samples=8)                  # doctest: +SKIP
    >>> r.indices                                                   # doctest: +SKIP
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twincity.errors import InputError
from twincity.experiment.common import DEFAULT_ROOT_SEED, open_store
from twincity.experiment.spec import RunSpec
from twincity.experiment.store import ResultStore

#: Base samples below which Sobol indices are mostly sampling noise: with Saltelli's
#: estimators the bootstrap half-widths at N = 64 are typically 0.1-0.3 for a few
#: parameters (Saltelli et al. 2010, doi:10.1016/j.cpc.2009.09.018, use N ≥ 500).
MIN_SOBOL_SAMPLES = 64
#: Confidence half-width of an index beyond which it is reported as unresolved.
MAX_INDEX_HALF_WIDTH = 0.1


class SweepWarning(UserWarning):
    """A sensitivity analysis too small to trust (few samples, wide or impossible indices)."""


#: Columns of :attr:`SweepResult.indices`.
INDEX_COLUMNS = ["kpi", "param", "S1", "S1_conf", "ST", "ST_conf"]


def parse_param(text: str) -> tuple[str, tuple[float, float]]:
    """``"key=low:high"`` as ``(key, (low, high))``; ints stay ints.

    >>> parse_param("demand.trips_per_person_per_day=2.0:2.8")
    ('demand.trips_per_person_per_day', (2.0, 2.8))
    >>> parse_param("simulation.equilibrium_days=2:6")
    ('simulation.equilibrium_days', (2, 6))
    """
    key, sep, rng = text.partition("=")
    low, colon, high = rng.partition(":")
    if not sep or not colon or not key.strip():
        raise InputError(f"expected KEY=LOW:HIGH, got {text!r}", path="--param")
    try:
        bounds = tuple(int(v) if v.strip().lstrip("-").isdigit() else float(v)
                       for v in (low, high))
    except ValueError:
        raise InputError(f"expected numbers in LOW:HIGH, got {rng!r}",
                         path=f"--param {key}") from None
    return key.strip(), check_bounds(key.strip(), bounds)


def check_bounds(key: str, bounds: Sequence[float]) -> tuple[float, float]:
    """``(low, high)`` with ``low < high``, both finite."""
    if len(bounds) != 2:
        raise InputError(f"expected (low, high), got {bounds!r}", path=f"params.{key}")
    low, high = bounds
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise InputError(f"expected low < high, got {low}:{high}", path=f"params.{key}")
    return (low, high)


def sample_params(params: Mapping[str, tuple[float, float]], samples: int, method: str,
                  seed: int) -> np.ndarray:
    """The SALib sample matrix (rows = runs, columns = parameters in ``params`` order)."""
    problem = _problem(params)
    if method == "sobol":
        from SALib.sample import sobol

        x = sobol.sample(problem, samples, calc_second_order=False, seed=seed)
    elif method == "lhs":
        from SALib.sample import latin

        if samples < 16:
            raise InputError(f"expected at least 16 samples for a Latin hypercube with "
                             f"RBD-FAST, got {samples}", path="samples")
        x = latin.sample(problem, samples, seed=seed)
    else:
        raise InputError(f"unknown method {method!r}; expected 'sobol' or 'lhs'", path="method")
    for j, (low, high) in enumerate(params.values()):
        if isinstance(low, int) and isinstance(high, int):
            x[:, j] = np.clip(np.rint(x[:, j]), low, high)
    return x


def rbd_harmonics(n: int) -> int:
    """Harmonics RBD-FAST sums over for ``n`` samples: SALib's 10, fewer for small ``n``.

    RBD-FAST's bias correction divides by ``1 − 2M/n``-like terms; with
    ``n`` not much larger than ``2M`` (SALib's default ``M = 10`` at 16
    samples) every index degenerates to 1, so ``M = n // 16`` (1 to 10).

    >>> rbd_harmonics(16), rbd_harmonics(64), rbd_harmonics(1000)
    (1, 4, 10)
    """
    return max(1, min(10, n // 16))


def _problem(params: Mapping[str, tuple[float, float]]) -> dict[str, Any]:
    return {"num_vars": len(params), "names": list(params),
            "bounds": [[float(lo), float(hi)] for lo, hi in params.values()]}


def _value(x: float, bounds: tuple[float, float]) -> float | int:
    return int(x) if isinstance(bounds[0], int) and isinstance(bounds[1], int) else float(x)


def sweep(scenario: str | Path, params: Mapping[str, tuple[float, float]], *,
          kpis: Sequence[str], samples: int = 8, method: str = "sobol",
          policies: Sequence[str] = (), seed: int = DEFAULT_ROOT_SEED, workers: int = 1,
          scheduler: Any = None, store: ResultStore | str | Path | None = None,
          overrides: Mapping[str, Any] | None = None, progress: bool = False) -> SweepResult:
    """Sample ``params`` (override key → (low, high)), run, and compute sensitivity indices.

    ``kpis`` are the KPIs analysed; ``samples`` is SALib's ``N``;
    ``overrides`` are fixed for every run; ``policies`` apply to every run.

    >>> sweep("tests/data/tiny.yaml", {"demand.commute_share": (0.3, 0.5)},
    ...       kpis=["vehicle_km"], samples=4)                       # doctest: +SKIP
    """
    from twincity.experiment.runners import plan, run_experiment

    if not params:
        raise InputError("expected at least one uncertain parameter", path="params")
    if not kpis:
        raise InputError("expected at least one KPI", path="kpis")
    params = {k: check_bounds(k, b) for k, b in params.items()}
    fixed = dict(overrides or {})
    clash = sorted(set(fixed) & set(params))
    if clash:
        raise InputError(f"{', '.join(clash)} both fixed and uncertain; expected one",
                         path="params")
    x = sample_params(params, samples, method, seed)
    specs = [RunSpec(str(scenario), policies=tuple(policies), seed=seed,
                     overrides={**fixed, **{k: _value(v, b) for (k, b), v in
                                            zip(params.items(), row, strict=True)}})
             for row in x]
    run_ids = {p.spec: p.run_id for p in plan(specs)}
    runs = run_experiment(specs, open_store(store), workers=workers, scheduler=scheduler,
                          progress=progress)
    wide = runs.pivot_table(index="run_id", columns="name", values="value", aggfunc="first")
    missing = [k for k in kpis if k not in wide.columns]
    if missing:
        raise InputError(f"the runs have no KPI {', '.join(missing)}; expected some of "
                         f"{', '.join(sorted(wide.columns))}", path="kpis")
    table = pd.DataFrame(x, columns=list(params))
    table.insert(0, "run_id", [run_ids[s] for s in specs])
    for k in kpis:
        table[k] = wide.loc[table["run_id"], k].to_numpy()
    indices = analyse(params, x, table[list(kpis)], method, seed)
    notes = adequacy_notes(indices, samples, method)
    for note in notes:
        warnings.warn(note, SweepWarning, stacklevel=2)
    return SweepResult(scenario=str(scenario), params=params, method=method, samples=table,
                       indices=indices, policies=list(policies), overrides=fixed, seed=seed,
                       notes=notes)


def adequacy_notes(indices: pd.DataFrame, samples: int, method: str) -> list[str]:
    """Why the indices may not be worth reading: too few samples, wide or impossible values.

    An index is impossible when it lies outside [0, 1] by more than its own
    confidence half-width (sampling noise, not a property of the model).

    >>> ok = pd.DataFrame({"kpi": ["k"], "param": ["p"], "S1": [0.5], "S1_conf": [0.02],
    ...                    "ST": [0.6], "ST_conf": [0.03]})
    >>> adequacy_notes(ok, 512, "sobol")
    []
    >>> bad = ok.assign(S1=[2.16], S1_conf=[0.5])
    >>> len(adequacy_notes(bad, 2, "sobol"))
    3
    """
    notes = []
    if method == "sobol" and samples < MIN_SOBOL_SAMPLES:
        notes.append(f"{samples} base samples are too few for Sobol indices (expected at least "
                     f"{MIN_SOBOL_SAMPLES}, better 512 or more): read them as noise")
    cols = [("S1", "S1_conf"), ("ST", "ST_conf")]
    wide = [f"{r.kpi}/{r.param} {name}" for r in indices.itertuples() for name, conf in cols
            if np.isfinite(getattr(r, conf)) and getattr(r, conf) > MAX_INDEX_HALF_WIDTH]
    if wide:
        notes.append(f"{len(wide)} indices have 95% half-widths above {MAX_INDEX_HALF_WIDTH} "
                     f"(e.g. {wide[0]}): increase --samples")
    impossible = [f"{r.kpi}/{r.param} {name} = {getattr(r, name):.3g}"
                  for r in indices.itertuples() for name, conf in cols
                  if np.isfinite(getattr(r, name))
                  and not -getattr(r, conf) <= getattr(r, name) <= 1 + getattr(r, conf)]
    if impossible:
        notes.append(f"indices outside [0, 1] beyond their confidence (e.g. {impossible[0]}): "
                     "the sample is too small for this model")
    return notes


def analyse(params: Mapping[str, tuple[float, float]], x: np.ndarray, y: pd.DataFrame,
            method: str, seed: int) -> pd.DataFrame:
    """Sensitivity indices of each KPI column of ``y`` (rows aligned with ``x``)."""
    problem = _problem(params)
    rows = []
    for kpi in y.columns:
        values = y[kpi].to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(values)):
            raise InputError(f"KPI {kpi} is missing (NaN) in some runs; expected a value in "
                             "every run", path="kpis")
        if method == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(problem, values, calc_second_order=False, seed=seed,
                                print_to_console=False)
            st, st_conf = res["ST"], res["ST_conf"]
        else:
            from SALib.analyze import rbd_fast

            res = rbd_fast.analyze(problem, x, values, M=rbd_harmonics(len(values)), seed=seed,
                                   print_to_console=False)
            st = st_conf = np.full(len(params), np.nan)
        for j, name in enumerate(params):
            rows.append({"kpi": kpi, "param": name, "S1": float(res["S1"][j]),
                         "S1_conf": float(res["S1_conf"][j]), "ST": float(st[j]),
                         "ST_conf": float(st_conf[j])})
    return pd.DataFrame(rows, columns=INDEX_COLUMNS)


@dataclass
class SweepResult:
    """Outcome of :func:`sweep`: the sample table (params, run id, KPIs) and the indices."""

    scenario: str
    params: dict[str, tuple[float, float]]
    method: str
    samples: pd.DataFrame
    indices: pd.DataFrame
    policies: list[str] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)
    seed: int = DEFAULT_ROOT_SEED
    #: Why the indices may not be worth reading (:func:`adequacy_notes`); empty when fine.
    notes: list[str] = field(default_factory=list)

    def write(self, path: str | Path) -> Path:
        """The sample table as Parquet, the indices next to it (``*.indices.parquet``) and
        their plot (``*.indices.png``).
        """
        from twincity.ioutil import atomic_write_bytes

        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(out, self.samples.to_parquet(index=False))
        atomic_write_bytes(out.with_suffix(".indices.parquet"),
                           self.indices.to_parquet(index=False))
        buf = io.BytesIO()
        self.plot().savefig(buf, format="png", dpi=110)
        atomic_write_bytes(out.with_suffix(".indices.png"), buf.getvalue())
        return out

    def warnings(self) -> list[str]:
        """Why these indices should not be trusted (small sample, impossible values, wide CIs)."""
        from twincity.viz.sensitivity import index_warnings

        return index_warnings(self.indices, runs=len(self.samples))

    def plot(self):
        """The indices per KPI and parameter with their 95% intervals and the warnings."""
        from twincity.viz.sensitivity import plot_indices

        return plot_indices(self.indices, runs=len(self.samples), method=self.method,
                            title="")
