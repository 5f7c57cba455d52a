"""Ensemble scaling on Dask: the same runs on 1 and 2 worker processes, one numba thread each.

Usage (from the repository root):

    python benchmarks/scaling/ensemble.py --city sejong --runs 8

Each worker process gets ``NUMBA_NUM_THREADS=1`` (twincity's
``runners.WORKER_ENV``, set before numba loads), so a worker uses one core and
the speed-up from 1 to 2 workers measures cores, not numba's own threads
(with numba free to use both cores, 1 worker already keeps the machine busy
and the figure says nothing). The runs are ``--runs`` seeds of one shipped
city at its defaults (traffic, energy and emissions; its dynamic equilibrium
included), into a fresh result store each time; the numba cache is warmed
once first, and every worker makes one untimed run before the clock starts
(each process pays its own imports and numba's first calls). Reported: wall
time per configuration, runs per minute, speed-up and parallel efficiency, and
the load average (2 shared cores).

On a cluster the same call takes ``scheduler=`` a dask-jobqueue cluster
(``SLURMCluster(cores=1, processes=1, job_script_prologue=["export
NUMBA_NUM_THREADS=1"])``, see ``docs/scaling-out.md``): runs are independent
and each returns a few kB of KPIs, so throughput grows with workers until the
scheduler's per-task overhead (milliseconds) or the store's writer (one
process) matters — far beyond runs of seconds each.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def timed(experiment, workers: int, warm_spec) -> float:
    """Wall time of ``experiment`` on ``workers`` fresh workers, each warmed by one untimed
    run of ``warm_spec`` first (imports and numba's first calls are per process)."""
    from distributed import Client, LocalCluster

    from twincity.experiment import ResultStore, run_experiment
    from twincity.experiment.runners import WORKER_ENV, run_task

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, env=WORKER_ENV,
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            Client(cluster) as client, tempfile.TemporaryDirectory() as tmp:
        client.wait_for_workers(workers)
        client.run(run_task, warm_spec, "warm-up")  # on every worker
        t = time.perf_counter()
        run_experiment(experiment, ResultStore(tmp), scheduler=client, progress=False,
                       warm_cache=False)
        return time.perf_counter() - t


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--city", default="sejong",
                    help="a shipped city, or the path of a scenario file")
    ap.add_argument("--runs", type=int, default=8)
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    a = ap.parse_args(argv)
    from twincity.experiment import Experiment, spawn_seeds
    from twincity.experiment.runners import plan, warm_numba_cache

    path = Path(a.city) if a.city.endswith(".yaml") else ROOT / "scenarios" / f"{a.city}.yaml"
    exp = Experiment.grid([str(path)], [()], spawn_seeds(2026, a.runs))
    warm_spec = next(iter(Experiment.grid([str(path)], [()], [1])))
    warm_numba_cache(min(plan(exp), key=lambda r: r.size))
    walls, loads = {}, {}
    for workers in (1, 2):
        l0 = loadavg()
        walls[workers] = timed(exp, workers, warm_spec)
        loads[workers] = f"{l0} -> {loadavg()}"
        print(f"{workers} worker(s) x 1 numba thread: {a.runs} runs of {a.city} in "
              f"{walls[workers]:.1f} s ({60 * a.runs / walls[workers]:.1f} runs/min); "
              f"load average {l0} -> {loadavg()}", flush=True)
    s = walls[1] / walls[2]
    print(f"speed-up 1 -> 2 workers: {s:.2f}x (efficiency {s / 2:.0%}; target >= 1.8x: "
          f"{'met' if s >= 1.8 else 'missed'})")
    if a.json:
        a.json.write_text(json.dumps({"city": a.city, "runs": a.runs, "wall_s": walls,
                                      "load": loads, "speedup": s}, indent=1))


if __name__ == "__main__":
    main()
