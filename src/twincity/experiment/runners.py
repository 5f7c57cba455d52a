"""Run an experiment's specs in this process or on a Dask cluster, into a result store.

:func:`run_experiment` is the one entry point:

* It loads every spec's scenario once in the parent (which validates it and
  yields the content hash for its :func:`~twincity.experiment.spec.run_id`),
  resolves every policy reference (an unknown one fails the experiment
  before anything runs; the resolved parameters go into the run id), and
  skips runs the store has finished.
* ``workers == 1`` and no ``scheduler``: runs execute one after another in
  this process.
* Otherwise runs go to Dask distributed: a ``LocalCluster`` of ``workers``
  single-threaded worker *processes* (started for the experiment and closed
  after it), or an existing scheduler (``"tcp://host:port"``), ``Client`` or
  cluster object (e.g. dask-jobqueue's ``SLURMCluster``) given as
  ``scheduler``. LocalCluster workers get ``NUMBA_NUM_THREADS=1`` in their
  environment before they import numba, so N workers use N cores, not N².
  Workers of an existing scheduler must be started with it themselves (see
  ``docs/scaling-out.md``); a warning says when they were not.
* Before fanning out, the parent warms numba's on-disk cache: it builds the
  smallest pending spec's model and advances it one step, which compiles
  (and caches, ``cache=True``) every kernel that a step reaches, so workers
  load machine code instead of each compiling it. Kernels a single step does
  not reach are compiled by the first worker that needs them.
* The task a worker runs is :func:`run_task`, a plain module-level function
  of a :class:`RunSpec` returning plain data (:class:`RunOutput`: KPI
  records, provenance, notes, requested tables as DataFrames) — no jitted
  function or model object is ever pickled. The parent writes each output to
  the store as it completes (``as_completed``), with a progress bar over
  runs. A failing run does not stop the others; once all have been tried,
  :class:`RunsFailed` lists the failures.

Example:
    >>> from twincity.experiment import Experiment, ResultStore
    >>> exp = Experiment.grid(["tests/data/tiny.yaml"], [()], [1, 2],
    ...                       overrides={"simulation.duration_h": 1})
    >>> kpis = run_experiment(exp, ResultStore("out/exp"), workers=2)   # doctest: +SKIP
    >>> kpis.pivot_table(index="name", columns="seed", values="value")  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from twincity.errors import InputError
from twincity.experiment.spec import (
    RunSpec,
    build_model,
    describe_policies,
    execute,
    policy_folder,
    reference_plan,
    run_id,
)
from twincity.experiment.store import ResultStore, RunOutput, executor_info, kpi_records
from twincity.provenance import engine_fingerprint

#: Environment of LocalCluster worker processes: numba kernels single-threaded,
#: one worker per core.
WORKER_ENV = {"NUMBA_NUM_THREADS": "1"}

log = logging.getLogger(__name__)


class StoreWarning(UserWarning):
    """The result store holds runs of other twincity code (kept apart, not reused)."""


class RunsFailed(RuntimeError):  # noqa: N818 (a public name: the runs failed)
    """Some runs of an experiment raised; ``failures`` maps run id to its exception.

    Runs that finished are in the store; re-running the experiment retries
    only the failed ones.
    """

    def __init__(self, failures: dict[str, BaseException], labels: dict[str, str]) -> None:
        """Keep every failure; the message names the first and counts the rest."""
        self.failures = failures
        rid, exc = next(iter(failures.items()))
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        super().__init__(f"{len(failures)} run(s) failed; first: {labels.get(rid, rid)} "
                         f"[{rid}]: {type(exc).__name__}: {exc}{more}")


@dataclass(frozen=True)
class PlannedRun:
    """A spec with its run id, scenario hash and size (for picking the warm-up run)."""

    spec: RunSpec
    run_id: str
    scenario_hash: str
    size: float
    #: Run id of the reference whose plan a continued spec starts from (None otherwise).
    reference_id: str | None = None
    #: A control arm: the run id of the changed arm whose number of days it runs.
    control_for: str | None = None


def plan(specs: Iterable[RunSpec]) -> list[PlannedRun]:
    """Validate specs and give each its run id; duplicates (same run id) are dropped.

    Loads each distinct (scenario, overrides) once and resolves each distinct
    (scenario folder, policies) once; a bad scenario, an unknown policy
    reference or a ``without`` naming no policy in force raises here, before
    anything runs.

    >>> [run] = plan([RunSpec("tests/data/tiny.yaml", seed=1)] * 2)   # doctest: +SKIP
    >>> run.run_id == run_id(run.spec)                               # doctest: +SKIP
    True
    """
    from twincity.policies.registry import in_force_entries
    from twincity.scenario.loader import load_scenario

    loaded: dict[tuple[str, tuple], Any] = {}
    described: dict[tuple[Path, tuple[str, ...]], list[dict[str, Any]]] = {}
    out: dict[str, PlannedRun] = {}
    refs: dict[str, PlannedRun] = {}
    for spec in specs:
        if not isinstance(spec, RunSpec):
            raise InputError(f"expected RunSpec items, got {type(spec).__name__}")
        pkey = (policy_folder(spec), spec.policies)
        if pkey not in described:
            described[pkey] = describe_policies(spec)
        key = (spec.scenario, spec.overrides)
        if key not in loaded:
            loaded[key] = load_scenario(spec.scenario, spec.overrides_dict())
        scen = loaded[key]
        if spec.without:  # each must name a policy in force in this scenario
            in_force_entries(spec.scenario, scen.spec, spec.without)
        rid = run_id(spec, content_hash=scen.content_hash, policies=described[pkey])
        sim = scen.spec.simulation
        size = scen.spec.city.population * sim.sample_share * sim.duration_s
        if not spec.continues:
            out.setdefault(rid, PlannedRun(spec, rid, scen.content_hash, size))
            continue
        # a paired arm: its reference runs first (the plan comes from it), and the
        # changed arm and its control both run, whichever of them was asked for
        ref = spec.reference()
        ref_id = run_id(ref, content_hash=scen.content_hash, policies=[])
        refs.setdefault(ref_id, PlannedRun(ref, ref_id, scen.content_hash, size))
        changed = spec.changed() if spec.control_of else spec
        ckey = (policy_folder(changed), changed.policies)
        if ckey not in described:
            described[ckey] = describe_policies(changed)
        changed_id = run_id(changed, content_hash=scen.content_hash, policies=described[ckey])
        control = changed.control()
        control_id = run_id(control, content_hash=scen.content_hash, policies=[])
        out.setdefault(changed_id, PlannedRun(changed, changed_id, scen.content_hash, size,
                                              ref_id))
        out.setdefault(control_id, PlannedRun(control, control_id, scen.content_hash, size,
                                              ref_id, control_for=changed_id))
    for ref_id, ref in refs.items():
        out.setdefault(ref_id, ref)
    return list(out.values())


def run_task(spec: RunSpec, run_id: str, *, keep_tables: Sequence[str] = (),
             base_dir: str | None = None, plan_path: str | None = None,
             control_days: int | None = None) -> RunOutput:
    """Execute one spec and return its outputs as plain data (the task a worker runs).

    ``base_dir`` resolves a relative scenario path (the parent's working
    folder, so workers started elsewhere find the same file on a shared file
    system); the stored spec keeps the path as given. ``plan_path``: for a
    spec that ``continues``, its reference's saved plan (computed and saved
    there if missing); for a reference, where to save its plan. ``control_days``:
    a control arm's days (its changed arm's; computed when not given).

    >>> spec = RunSpec("tests/data/tiny.yaml", seed=1, overrides={"simulation.duration_h": 1})
    >>> run_task(spec, run_id(spec)).kpis[0]                     # doctest: +SKIP
    {'name': 'population', 'value': 20000.0, 'unit': 'persons', 'u4ssc': None}
    """
    runnable = spec
    if base_dir is not None and not Path(spec.scenario).is_absolute():
        runnable = replace(spec, scenario=str(Path(base_dir) / spec.scenario))
    start = time.perf_counter()
    if runnable.continues:
        results = execute(runnable, start_from=reference_plan(runnable, plan_path),
                          control_days=control_days)
    elif plan_path is not None:
        results = execute(runnable, save_plan=plan_path)
    else:
        results = execute(runnable)
    elapsed_s = time.perf_counter() - start
    content_hash = str(results.provenance.get("scenario_hash", ""))
    if spec.policies or spec.without or results.provenance.get("policies"):
        # the model's hash covers the scenario *with the policies' overrides*; the
        # plan hashed the scenario as given, so compare that one
        from twincity.experiment.spec import scenario_hash

        content_hash = scenario_hash(runnable)
    return RunOutput(
        run_id=run_id,
        spec=spec.to_dict(),
        scenario_hash=content_hash,
        kpis=kpi_records(results.kpis),
        provenance=dict(results.provenance),
        notes=list(results.notes),
        tables={name: results.tables[name] for name in keep_tables if name in results.tables},
        elapsed_s=elapsed_s,
        executor=executor_info(),
        equilibrium=equilibrium_record(results),
        engine_fingerprint=engine_fingerprint(),
    )


def equilibrium_record(results: Any) -> dict[str, Any] | None:
    """The run's ``equilibrium`` record (``{converged, relative_gap, ...}``) if it reports one.

    Read defensively: from the results summary, else from the provenance; ``None``
    when the run says nothing about convergence.
    """
    try:
        summary = results.summary()
    except Exception:  # a results object without a summary says nothing
        summary = {}
    eq = summary.get("equilibrium") if isinstance(summary, dict) else None
    if eq is None:
        eq = (getattr(results, "provenance", None) or {}).get("equilibrium")
    return dict(eq) if isinstance(eq, dict) else None


def warm_numba_cache(run: PlannedRun) -> float:
    """Build ``run``'s model and advance it one step so its kernels compile into the cache.

    Returns the seconds it took. Nothing is stored.
    """
    start = time.perf_counter()
    build_model(run.spec).step()
    return time.perf_counter() - start


def _check(output: RunOutput, run: PlannedRun) -> RunOutput:
    if output.engine_fingerprint != engine_fingerprint():
        raise InputError(f"the worker ran other twincity code (engine fingerprint "
                         f"{output.engine_fingerprint}, this process {engine_fingerprint()}); "
                         "expected workers with the same installed twincity")
    if output.scenario_hash != run.scenario_hash:
        raise InputError(f"the scenario changed while the experiment ran (content hash "
                         f"{output.scenario_hash[:12]} at run time, {run.scenario_hash[:12]} "
                         "when planned); expected unchanged inputs: re-run the experiment",
                         file=run.spec.scenario)
    return output


def _progress(total: int, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="runs", unit="run", disable=not enabled)


def plan_paths(pending: Sequence[PlannedRun], store: ResultStore) -> dict[str, str]:
    """Where each run reads or writes an equilibrated plan (continued arms and their references).

    Plans live under ``<store>/plans/<reference run id>.npz``.
    """
    folder = store.root / "plans"
    refs = {run.reference_id for run in pending if run.reference_id}
    return {run.run_id: str(folder / f"{run.reference_id or run.run_id}.npz")
            for run in pending if run.reference_id or run.run_id in refs}


def waves(pending: Sequence[PlannedRun]) -> list[list[PlannedRun]]:
    """Runs in the order they can go: references (and every other run), changed arms, controls."""
    first = [r for r in pending if r.reference_id is None]
    second = [r for r in pending if r.reference_id is not None and r.control_for is None]
    third = [r for r in pending if r.control_for is not None]
    return [w for w in (first, second, third) if w]


def control_days(run: PlannedRun, store: ResultStore) -> int | None:
    """A control arm's number of days: what its changed arm took (``None`` for other runs).

    Read from the changed arm's stored equilibrium record; a changed arm that
    did not finish fails its control with a clear error.
    """
    if run.control_for is None:
        return None
    if not store.done(run.control_for):
        raise InputError(f"the control {run.spec.label()} needs its changed arm "
                         f"[{run.control_for}], which did not finish")
    return int(store.record(run.control_for)["equilibrium"]["iterations"])


def _run_serial(pending: list[PlannedRun], store: ResultStore, progress: bool
                ) -> dict[str, BaseException]:
    failures: dict[str, BaseException] = {}
    plans = plan_paths(pending, store)
    with _progress(len(pending), progress) as bar:
        for run in (r for wave in waves(pending) for r in wave):
            try:
                output = _check(run_task(run.spec, run.run_id, keep_tables=store.tables,
                                         plan_path=plans.get(run.run_id),
                                         control_days=control_days(run, store)), run)
            except Exception as exc:
                failures[run.run_id] = exc
                log.warning("run %s (%s) failed: %s", run.run_id, run.spec.label(), exc)
            else:
                store.write(output)
            bar.update(1)
    return failures


def _worker_numba_threads() -> int:
    """(On a worker) numba's thread count there."""
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)


def _connect(workers: int, scheduler: Any) -> tuple[Any, list[Any]]:
    """A Dask client and the things to close when the experiment ends."""
    from distributed import Client, LocalCluster

    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               env=WORKER_ENV, dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
        return client, [client, cluster]
    if isinstance(scheduler, Client):
        return scheduler, []
    if isinstance(scheduler, str) or hasattr(scheduler, "scheduler_address"):
        client = Client(scheduler)  # an address, or a cluster object (e.g. SLURMCluster)
        return client, [client]
    raise InputError(f"expected a scheduler address ('tcp://host:port'), a Client or a "
                     f"cluster, got {type(scheduler).__name__}", path="scheduler")


def _run_dask(pending: list[PlannedRun], store: ResultStore, progress: bool, workers: int,
              scheduler: Any) -> dict[str, BaseException]:

    client, closers = _connect(workers, scheduler)
    failures: dict[str, BaseException] = {}
    outstanding: dict[Any, Any] = {}
    try:
        if scheduler is not None:
            threads = client.run(_worker_numba_threads)
            many = {w: n for w, n in threads.items() if n > 1}
            if many:
                warnings.warn(f"{len(many)} Dask worker(s) run numba with more than one thread "
                              f"(e.g. {next(iter(many.values()))}); start workers with "
                              "NUMBA_NUM_THREADS=1 (see docs/scaling-out.md)", stacklevel=3)
        base_dir = str(Path.cwd())
        plans = plan_paths(pending, store)
        with _progress(len(pending), progress) as bar:
            for wave in waves(pending):  # continued arms read the plans the first wave saved
                _run_wave(client, wave, store, base_dir, plans, outstanding, failures, bar)
    finally:
        if outstanding and client.status == "running":
            client.cancel(list(outstanding.values()))  # interrupted: free a shared cluster
        for obj in closers:
            obj.close()
    return failures


def _run_wave(client: Any, wave: list[PlannedRun], store: ResultStore, base_dir: str,
              plans: dict[str, str], outstanding: dict[Any, Any],
              failures: dict[str, BaseException], bar: Any) -> None:
    """Submit ``wave``'s runs and write each output to the store as it completes."""
    from distributed import as_completed

    ready = []
    for run in wave:
        try:
            ready.append((run, control_days(run, store)))
        except InputError as exc:  # a control whose changed arm failed
            failures[run.run_id] = exc
            bar.update(1)
    wave = [run for run, _ in ready]
    futures = [client.submit(run_task, run.spec, run.run_id, keep_tables=store.tables,
                             base_dir=base_dir, plan_path=plans.get(run.run_id),
                             control_days=days, key=f"twincity-run-{run.run_id}", pure=False)
               for run, days in ready]
    by_key = {future.key: run for future, run in zip(futures, wave, strict=True)}
    outstanding.update({future.key: future for future in futures})
    completed = as_completed(futures)
    del futures  # outstanding and as_completed hold them; each is released once written
    for future in completed:
        run = by_key[future.key]
        try:
            output = _check(future.result(), run)
        except Exception as exc:
            failures[run.run_id] = exc
            log.warning("run %s (%s) failed: %s", run.run_id, run.spec.label(), exc)
        else:
            store.write(output)
        outstanding.pop(future.key).release()  # the worker may drop the output now
        bar.update(1)


def run_experiment(specs: Iterable[RunSpec], store: ResultStore, *, workers: int = 1,
                   scheduler: Any = None, progress: bool = True,
                   warm_cache: bool = True) -> pd.DataFrame:
    """Run every spec not yet finished in ``store``; return the KPI rows of all ``specs``.

    A store holding runs of other twincity code (another engine
    fingerprint) gives a :class:`StoreWarning`; those runs are never reused.
    ``workers`` sizes the LocalCluster (``1`` with no ``scheduler`` runs in
    this process); ``scheduler`` is an address (``"tcp://host:port"``), a
    ``distributed.Client`` or a cluster object, and then the cluster's own
    workers are used. The returned DataFrame has the store's KPI columns
    (:data:`~twincity.experiment.store.KPI_SCHEMA`), for finished runs only.
    LocalCluster workers are spawned processes that import the calling
    script: guard a script's experiment with ``if __name__ == "__main__":``.

    >>> import tempfile
    >>> run_experiment([], ResultStore(tempfile.mkdtemp()), progress=False).columns.tolist()[:5]
    ['run_id', 'scenario', 'policies', 'without', 'control_of']
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InputError(f"expected a positive whole number of workers, got {workers!r}",
                         path="workers")
    planned = plan(specs)
    note = store.other_engines_note()
    if note:
        warnings.warn(note, StoreWarning, stacklevel=2)
    pending = [run for run in planned if not store.done(run.run_id)]
    skipped = len(planned) - len(pending)
    if skipped:
        log.info("%d of %d runs already finished in %s; skipping them",
                 skipped, len(planned), store.root)
    labels = {run.run_id: run.spec.label() for run in planned}
    if pending:
        if workers == 1 and scheduler is None:
            failures = _run_serial(pending, store, progress)
        else:
            if warm_cache:
                seconds = warm_numba_cache(min(pending, key=lambda r: r.size))
                log.info("numba cache warmed in %.1f s", seconds)
            failures = _run_dask(pending, store, progress, workers, scheduler)
        if failures:
            raise RunsFailed(failures, labels)
    return store.kpis([run.run_id for run in planned])
