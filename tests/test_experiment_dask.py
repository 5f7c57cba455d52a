"""Dask runner: the same specs give the same results in-process and on a 2-worker LocalCluster.

Run alone with ``pytest tests/test_experiment_dask.py`` (or ``-k dask``); it
starts two worker processes and takes a few seconds.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from twincity.experiment import ResultStore, RunSpec, run_experiment, run_id


def test_dask_local_cluster_matches_serial_runs(tiny_path: Path, tmp_path: Path) -> None:
    specs = [RunSpec(str(tiny_path), seed=s, overrides={"simulation.duration_h": 1})
             for s in (11, 12)]
    serial = ResultStore(tmp_path / "serial", tables=["observables"])
    dask = ResultStore(tmp_path / "dask", tables=["observables"])
    expected = run_experiment(specs, serial, progress=False)
    got = run_experiment(specs, dask, workers=2, progress=False)

    assert len(got) == len(expected) > 0
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
    pd.testing.assert_frame_equal(dask.table("observables"), serial.table("observables"))
    for spec in specs:
        record = dask.record(run_id(spec))
        # ran in a worker process, whose numba was limited to one thread
        assert record["executor"]["pid"] != os.getpid()
        assert record["executor"]["numba_num_threads"] == 1
        assert record["scenario_hash"] == serial.record(run_id(spec))["scenario_hash"]


def test_dask_scheduler_address_uses_its_workers_and_warns_about_numba_threads(
        tiny_path: Path, tmp_path: Path) -> None:
    from distributed import LocalCluster

    specs = [RunSpec(str(tiny_path), seed=21, overrides={"simulation.duration_h": 1})]
    expected = run_experiment(specs, ResultStore(tmp_path / "serial"), progress=False)
    store = ResultStore(tmp_path / "remote")
    # a cluster someone else started, whose workers were not limited to one numba thread
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      env={"NUMBA_NUM_THREADS": "2"}, dashboard_address=None) as cluster:
        with pytest.warns(UserWarning, match="NUMBA_NUM_THREADS=1"):
            got = run_experiment(specs, store, scheduler=cluster.scheduler_address,
                                 progress=False)
        assert cluster.scheduler_address.startswith("tcp://")
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
    assert store.record(run_id(specs[0]))["executor"]["numba_num_threads"] == 2
