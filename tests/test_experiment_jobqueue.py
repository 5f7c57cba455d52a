"""The dask-jobqueue example configurations render the job scripts the docs promise.

dask-jobqueue is optional; without it these tests are skipped. No job is
submitted (there is no SLURM or PBS here): the cluster object only renders
its job script, which is the part of the configuration a site cannot check
without a queue.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO

jobqueue = pytest.importorskip("dask_jobqueue")
dask_config = pytest.importorskip("dask.config")

EXAMPLES = REPO / "docs" / "examples"


def _dotted(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        if isinstance(value, dict) and value:
            yield from _dotted(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _job_script(cls: Any, path: Path) -> str:
    config = yaml.safe_load(path.read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)  # renamed/deprecated keys would warn
        with dask_config.set(dict(_dotted(config))):
            cluster = cls(scheduler_options={"dashboard_address": None})
            try:
                return cluster.job_script()
            finally:
                cluster.close()


@pytest.mark.parametrize(("name", "cls", "directive"), [
    ("slurm.yaml", "SLURMCluster", "#SBATCH --cpus-per-task=8"),
    ("pbs.yaml", "PBSCluster", "#PBS -l select=1:ncpus=8:mem=32GB"),
])
def test_example_job_scripts_run_single_threaded_workers(name: str, cls: str,
                                                         directive: str) -> None:
    script = _job_script(getattr(jobqueue, cls), EXAMPLES / name)
    assert directive in script
    assert "export NUMBA_NUM_THREADS=1" in script
    # the prologue comes before the worker command, so numba reads it on import
    assert script.index("NUMBA_NUM_THREADS") < script.index("distributed.cli.dask_worker")
    assert "--nworkers 8" in script and "--nthreads 1" in script
    assert "/path/to/venv/bin/python -m distributed.cli.dask_worker" in script
