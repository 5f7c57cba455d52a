"""Result store and serial runner: atomic markers, resume after interruption, no duplicates."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from twincity.errors import InputError
from twincity.experiment import (
    ResultStore,
    RunsFailed,
    RunSpec,
    execute,
    run_experiment,
    run_id,
    runners,
)
from twincity.experiment import store as store_module
from twincity.experiment.store import RunOutput
from twincity.results import KPI, Results

SHORT = {"simulation.duration_h": 1}


def _specs(path: Path, seeds: tuple[int, ...] = (1, 2, 3)) -> list[RunSpec]:
    return [RunSpec(str(path), seed=s, overrides=SHORT) for s in seeds]


class CountingExecute:
    """Wraps the real ``execute`` and counts which specs it ran."""

    def __init__(self) -> None:
        self.seeds: list[int] = []

    def __call__(self, spec: RunSpec) -> Results:
        self.seeds.append(spec.seed)
        return execute(spec)


def test_stored_kpis_and_tables_are_those_of_a_direct_run(tiny_path: Path, tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "store", tables=["observables"])
    specs = _specs(tiny_path, (4, 5))
    kpis = run_experiment(specs, store, progress=False)
    for spec in specs:
        direct = execute(spec)                            # a second, independent run
        rid = run_id(spec)
        mine = kpis[kpis.run_id == rid].set_index("name")
        assert sorted(mine.index) == sorted(k.name for k in direct.kpis)
        for k in direct.kpis:
            assert mine.loc[k.name, "value"] == k.value
            assert mine.loc[k.name, "unit"] == k.unit
        assert (mine["seed"] == spec.seed).all() and (mine["policies"] == "").all()
        table = store.table("observables", [rid]).drop(columns="run_id")
        pd.testing.assert_frame_equal(table, direct.tables["observables"], check_dtype=False)
        record = store.record(rid)
        assert RunSpec.from_dict(record["spec"]) == spec
        assert record["scenario_hash"] == direct.provenance["scenario_hash"]
        assert record["tables"] == {"observables": len(direct.tables["observables"])}
    assert store.kpis().equals(store.kpis([run_id(s) for s in sorted(specs, key=run_id)]))
    runs = store.runs()
    assert sorted(runs.seed) == [4, 5] and (runs.elapsed_s > 0).all()


def test_interrupted_run_is_redone_alone_and_nothing_is_duplicated(
        tiny_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counter = CountingExecute()
    monkeypatch.setattr(runners, "execute", counter)
    store = ResultStore(tmp_path / "store")
    specs = _specs(tiny_path)
    first = run_experiment(specs, store, progress=False)
    assert sorted(counter.seeds) == [1, 2, 3]
    n_kpis = len(first) // 3
    assert n_kpis >= 1 and len(first) == 3 * n_kpis

    # simulate a run interrupted after its KPI file but before its marker
    victim = run_id(specs[1])
    store.marker_path(victim).unlink()
    assert not store.done(victim)
    assert victim not in set(store.kpis().run_id)        # its orphaned file does not count
    assert store.kpi_path(victim).exists()
    others = {run_id(s): store.kpi_path(run_id(s)).read_bytes() for s in (specs[0], specs[2])}
    (store.root / "kpis" / ".half-written.parquet.tmp").write_bytes(b"not parquet")

    counter.seeds.clear()
    again = run_experiment(specs, store, progress=False)
    assert counter.seeds == [2]                          # only the interrupted run executed
    assert len(again) == len(first)
    assert not again.duplicated(["run_id", "name"]).any()
    pd.testing.assert_frame_equal(again.sort_values(["run_id", "name"]).reset_index(drop=True),
                                  first.sort_values(["run_id", "name"]).reset_index(drop=True))
    for rid, data in others.items():                     # finished runs were not rewritten
        assert store.kpi_path(rid).read_bytes() == data

    counter.seeds.clear()
    run_experiment(specs, store, progress=False)
    assert counter.seeds == []


def test_finished_experiment_starts_no_cluster(tiny_path: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    store = ResultStore(tmp_path / "store")
    specs = _specs(tiny_path, (1,))
    run_experiment(specs, store, progress=False)

    def no_cluster(*args: object) -> None:
        raise AssertionError("a cluster was started for an experiment with nothing to run")

    monkeypatch.setattr(runners, "_connect", no_cluster)
    assert len(run_experiment(specs, store, workers=2, progress=False)) > 0


def test_nan_kpis_and_codes_survive_the_store(tiny_path: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """KPIs whose codes are missing in one run and present in another share one schema."""
    def fake(spec: RunSpec) -> Results:
        results = execute(spec)
        code = "EN/EE/1" if spec.seed == 2 else None
        return Results(kpis=[KPI("energy_kwh", math.nan, "kWh", code),
                             KPI("co2_kg", 1.5 * spec.seed, "kg")],
                       provenance=results.provenance)

    monkeypatch.setattr(runners, "execute", fake)
    store = ResultStore(tmp_path / "store")
    kpis = run_experiment(_specs(tiny_path, (1, 2)), store, progress=False).set_index(
        ["seed", "name"])
    assert math.isnan(kpis.loc[(1, "energy_kwh"), "value"])
    assert kpis.loc[(2, "co2_kg"), "value"] == 3.0
    assert kpis.loc[(2, "energy_kwh"), "u4ssc"] == "EN/EE/1"
    assert pd.isna(kpis.loc[(1, "energy_kwh"), "u4ssc"])


def test_failed_runs_are_reported_and_retried_alone(tiny_path: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    failed: list[int] = []

    def flaky(spec: RunSpec) -> Results:
        calls.append(spec.seed)
        if spec.seed == 2 and not failed:
            failed.append(2)
            raise RuntimeError("worker lost")
        return execute(spec)

    monkeypatch.setattr(runners, "execute", flaky)
    store = ResultStore(tmp_path / "store")
    specs = _specs(tiny_path)
    with pytest.raises(RunsFailed, match=r"1 run\(s\) failed.*seed=2.*worker lost") as err:
        run_experiment(specs, store, progress=False)
    assert list(err.value.failures) == [run_id(specs[1])]
    assert store.finished() == {run_id(specs[0]), run_id(specs[2])}
    calls.clear()
    assert len(run_experiment(specs, store, progress=False).run_id.unique()) == 3
    assert calls == [2]


def test_scenario_changed_mid_experiment_is_not_stored_under_the_old_id(
        tiny_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tiny_dir / "tiny.yaml"

    def edit_then_run(spec: RunSpec) -> Results:
        path.write_text(path.read_text().replace("population: 20000", "population: 21000"))
        return execute(spec)

    monkeypatch.setattr(runners, "execute", edit_then_run)
    store = ResultStore(tmp_path / "store")
    with pytest.raises(RunsFailed, match="scenario changed while the experiment ran"):
        run_experiment(_specs(path, (1,)), store, progress=False)
    assert store.finished() == set()


def test_unsupported_policies_fail_before_anything_runs(tiny_path: Path, tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "store")
    specs = [*_specs(tiny_path, (1,)),
             RunSpec(str(tiny_path), policies=("singapore:erp",), seed=1, overrides=SHORT)]
    with pytest.raises(InputError, match="no scenario 'singapore' for policy reference"):
        run_experiment(specs, store, progress=False)
    assert store.finished() == set()


def test_store_refuses_unsafe_names_and_reports_missing_tables(tiny_path: Path,
                                                               tmp_path: Path) -> None:
    with pytest.raises(InputError):
        ResultStore(tmp_path / "a", tables=["../escape"])
    store = ResultStore(tmp_path / "b", tables=["trips_not_produced"])
    run_experiment(_specs(tiny_path, (1,)), store, progress=False)
    record = store.record(run_id(_specs(tiny_path, (1,))[0]))
    assert record["tables"] == {}
    assert any("trips_not_produced" in note for note in record["notes"])
    with pytest.raises(InputError, match="no finished run"):
        store.record("0000000000000000")
    store.discard(record["run_id"])
    assert store.finished() == set() and len(store.kpis()) == 0


def _output(rid: str, seed: int, table: pd.DataFrame) -> RunOutput:
    return RunOutput(run_id=rid, spec=RunSpec("x.yaml", seed=seed).to_dict(), scenario_hash="h",
                     kpis=[{"name": "co2_kg", "value": float(seed), "unit": "kg", "u4ssc": None}],
                     tables={"trips": table})


def test_a_write_that_dies_before_its_marker_leaves_no_finished_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ResultStore(tmp_path / "store", tables=["trips"])
    store.write(_output("aaaaaaaaaaaaaaaa", 1, pd.DataFrame({"length_m": [1.0]})))

    def die(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store_module, "atomic_write_text", die)   # the marker write fails
    with pytest.raises(OSError):
        store.write(_output("bbbbbbbbbbbbbbbb", 2, pd.DataFrame({"length_m": [2.0]})))
    # a re-write of a finished run that dies leaves it unfinished, not half old, half new
    with pytest.raises(OSError):
        store.write(_output("aaaaaaaaaaaaaaaa", 3, pd.DataFrame({"length_m": [3.0]})))
    assert store.kpi_path("bbbbbbbbbbbbbbbb").exists()            # the orphan is on disk...
    assert store.finished() == set()                              # ...but nothing counts
    assert len(store.kpis()) == 0 and len(store.table("trips")) == 0


def test_kept_tables_stack_across_runs_with_different_columns(tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "store", tables=["trips"])
    store.write(_output("aaaaaaaaaaaaaaaa", 1, pd.DataFrame({"length_m": [1.0, 2.0]})))
    store.write(_output("bbbbbbbbbbbbbbbb", 2, pd.DataFrame({"length_m": [3.0],
                                                             "mode": ["car"]})))
    trips = store.table("trips").sort_values("length_m").reset_index(drop=True)
    assert trips.length_m.tolist() == [1.0, 2.0, 3.0]
    assert trips.run_id.tolist() == ["aaaaaaaaaaaaaaaa"] * 2 + ["bbbbbbbbbbbbbbbb"]
    assert trips["mode"].isna().tolist() == [True, True, False]
    assert store.kpis().set_index("seed").value.to_dict() == {1: 1.0, 2: 2.0}


def test_dask_path_warms_the_cache_once_with_the_smallest_run(
        tiny_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    warmed: list[RunSpec] = []
    submitted: list[list[RunSpec]] = []
    monkeypatch.setattr(runners, "warm_numba_cache", lambda run: warmed.append(run.spec) or 0.0)
    monkeypatch.setattr(runners, "_run_dask", lambda pending, *args: submitted.append(
        [r.spec for r in pending]) or {})
    big = RunSpec(str(tiny_path), seed=1, overrides={"simulation.duration_h": 3})
    small = RunSpec(str(tiny_path), seed=1, overrides={"simulation.duration_h": 1,
                                                       "city.population": 5000})
    store = ResultStore(tmp_path / "store")
    run_experiment([big, small], store, workers=2, progress=False)
    assert warmed == [small]
    assert submitted == [[big, small]]
    run_experiment([big], store, workers=2, progress=False, warm_cache=False)
    assert warmed == [small]

