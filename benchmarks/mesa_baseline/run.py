"""What the numba core buys: twincity's kernel vs the same queue model as Mesa agents.

Usage (from the repository root):

    python benchmarks/mesa_baseline/run.py --grid 6 --trips 2000 8000

Both simulate the same grid (500 m two-way links, 50 km/h, 1800 veh/h/lane),
the same random node-to-node trips departing over one hour, the same free-flow
shortest-path routes and a two-hour horizon. Wall times are of the simulation
only (scenario and routes built beforehand; twincity's numba cache warmed
first). Prints one row per trip count: trips completed, mean travel time and
wall time of each, and the speed-up.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from benchmarks.common import SEED, grid_workload  # noqa: E402
from queue_model import QueueModel  # noqa: E402


def run_twincity(w) -> tuple[int, float, float]:
    sim = w.sim(seed=SEED)
    t0 = time.perf_counter()
    sim.run()
    dt = time.perf_counter() - t0
    tt = sim.trip_table()
    done = tt["state"] == "arrived"
    return int(done.sum()), float(tt["travel_time_s"][done].mean()), dt


def run_mesa(w) -> tuple[int, float, float]:
    start, links = w.routes.start, w.routes.links
    routes = [links[start[i]:start[i + 1]].tolist() for i in range(w.n_trips)]
    t0 = time.perf_counter()
    model = QueueModel(w.net, w.departure_s, routes, w.horizon_s, seed=SEED)
    model.run()
    dt = time.perf_counter() - t0
    done, mean_tt = model.results()
    return done, mean_tt, dt


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, default=6)
    ap.add_argument("--lanes", type=int, default=1)
    ap.add_argument("--trips", type=int, nargs="+", default=[2000, 8000])
    a = ap.parse_args(argv)
    run_twincity(grid_workload(3, 10, 1))  # load / compile the kernel
    head = (f"{'trips':>7} {'tc done':>8} {'mesa done':>9} {'tc mean tt':>10} "
            f"{'mesa mean tt':>12} {'tc s':>7} {'mesa s':>8} {'speed-up':>9}")
    print(f"grid {a.grid}x{a.grid}, {a.lanes} lane(s), departures over 1 h, horizon 2 h")
    print(head)
    print("-" * len(head))
    for n in a.trips:
        w = grid_workload(a.grid, n, a.lanes)
        tc, mesa_ = run_twincity(w), run_mesa(w)
        print(f"{n:>7} {tc[0]:>8} {mesa_[0]:>9} {tc[1]:>10.1f} {mesa_[1]:>12.1f} "
              f"{tc[2]:>7.4f} {mesa_[2]:>8.2f} {mesa_[2] / tc[2]:>8.0f}x")


if __name__ == "__main__":
    main()
