"""Is a city's sample share fine enough? KPIs, days to the gap and wall time by sample share.

A sampled simulation moves ``1 / sample_share`` real vehicles as one (capacities
scaled alike, the MATSim convention). Too coarse a sample makes queues lumpy:
one simulated vehicle joining a one-lane queue holds everyone behind it for
its whole headway (100 s at 2%), and the day-to-day loop cannot settle below
that granularity. This runs each city's default day (traffic only, to its
``simulation.equilibrium_gap``) at several shares and seeds and reports the
levels (car share, TTI, total delay), the days and gap reached, and the wall
time, so the shipped share can be chosen where the levels have stopped moving.

Usage (from the repository root):

    python benchmarks/equilibrium/sample.py --city singapore --shares 0.02 0.04 0.08
    python benchmarks/equilibrium/sample.py --city helsinki --shares 0.03 0.06 --seeds 1 2

Shares run in increasing order, so the peak RSS printed after each run is that
share's (the process's high-water mark so far).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import CITIES, KPIS, ROOT, run_city  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--city", action="append", choices=CITIES, required=True)
    ap.add_argument("--shares", type=float, nargs="+", required=True)
    ap.add_argument("--seeds", type=int, nargs="+", default=[None])
    a = ap.parse_args(argv)
    from twincity.model import CityModel

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        CityModel.from_file(ROOT / "tests" / "data" / "tiny.yaml", subsystems=("traffic",)).run()
    for city in a.city:
        for share in sorted(a.shares):
            for seed in a.seeds:
                t0 = time.perf_counter()
                r = run_city(city, {"simulation.sample_share": share}, seed=seed)
                wall = time.perf_counter() - t0
                rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
                print(f"{city} share {share:.3f} seed {seed}: {r['vehicles']} road vehicles, "
                      f"{'converged' if r['converged'] else 'NOT converged'} in {r['days']} "
                      f"days (gap {r['gap']:.4f}, {r['reviews']} reviews), wall {wall:.1f} s, "
                      f"peak RSS {rss_gb:.2f} GB; "
                      + ", ".join(f"{k} {r['kpis'][k]:.4g}" for k in KPIS), flush=True)


if __name__ == "__main__":
    main()
