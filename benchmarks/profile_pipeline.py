"""Where the time goes: cProfile of the 1M-trip pipeline and of a shipped city-day.

Usage (from the repository root):

    python benchmarks/profile_pipeline.py                 # both, top 25 by cumulative time
    python benchmarks/profile_pipeline.py --only city --city singapore

cProfile sees Python-level calls; a numba kernel shows as one call (its own
time is ``tottime`` of ``advance_ticks``, ``shortest_path_trees``, …). The
numba cache is warmed first so compilation is not profiled.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchmarks.common import SCENARIOS, SEED, city_trips, synthetic_city


def _report(prof: cProfile.Profile, title: str, top: int) -> str:
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    return f"==== {title}\n{out.getvalue()}"


def profile_pipeline(n_trips: int, top: int) -> str:
    net = synthetic_city()
    city_trips(net, 1000).sim(seed=SEED).run()  # warm the cache
    prof = cProfile.Profile()
    prof.enable()
    w = city_trips(net, n_trips)
    sim = w.sim(seed=SEED)
    sim.run()
    sim.trip_table()
    prof.disable()
    return _report(prof, f"pipeline: {n_trips} local trips on the synthetic city "
                         f"({sim.counters['transitions']} link transitions)", top)


def profile_city_day(city: str, top: int) -> str:
    from twincity.city.build import build_city
    from twincity.model import CityModel
    from twincity.scenario.loader import load_scenario

    built = build_city(load_scenario(SCENARIOS / f"{city}.yaml"))
    CityModel(built, seed=SEED).run()  # warm the cache
    prof = cProfile.Profile()
    prof.enable()
    CityModel(built, seed=SEED).run()
    prof.disable()
    return _report(prof, f"city-day: CityModel({city}).run()", top)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=["pipeline", "city"])
    ap.add_argument("--trips", type=int, default=1_000_000)
    ap.add_argument("--city", default="sejong")
    ap.add_argument("--top", type=int, default=25)
    a = ap.parse_args(argv)
    if a.only in (None, "pipeline"):
        print(profile_pipeline(a.trips, a.top))
    if a.only in (None, "city"):
        print(profile_city_day(a.city, a.top))


if __name__ == "__main__":
    main()
