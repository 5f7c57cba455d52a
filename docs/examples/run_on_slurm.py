"""Run a twincity experiment on SLURM through dask-jobqueue (UNTESTED here: no SLURM).

Run this on a login node (or in a small job of its own), from the project
folder, with the venv that has twincity and dask-jobqueue:

    pip install dask-jobqueue
    python docs/examples/run_on_slurm.py

The scheduler runs in this process; SLURM jobs start the workers, which
connect back to it. Results land in the result store as runs finish; if this
process dies, run it again: finished runs are skipped.
"""

from pathlib import Path

import dask.config
import yaml
from dask_jobqueue import SLURMCluster

from twincity.experiment import Experiment, ResultStore, run_experiment, spawn_seeds

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    # Merge the example configuration into Dask's (keeping dask-jobqueue's defaults for
    # keys it does not set). Skip this if you copied slurm.yaml to ~/.config/dask/.
    with open(HERE / "slurm.yaml") as fh:
        dask.config.update(dask.config.config, yaml.safe_load(fh), priority="new")

    experiment = Experiment.grid(
        [Path("scenarios/sejong.yaml").resolve()],  # absolute: workers may start elsewhere
        policy_sets=[()],
        seeds=spawn_seeds(2026, 32),
    )
    cluster = SLURMCluster()          # every option from the configuration above
    cluster.scale(jobs=4)             # 4 jobs x 8 workers = 32 runs at a time
    # cluster.adapt(minimum_jobs=0, maximum_jobs=8)   # or grow and shrink with the queue
    print(cluster.job_script())       # what sbatch will receive: check it once
    try:
        kpis = run_experiment(experiment, ResultStore("results/sejong-seeds"),
                              scheduler=cluster)
    finally:
        cluster.close()
    print(kpis.pivot_table(index="name", values="value", aggfunc=["mean", "std"]))
