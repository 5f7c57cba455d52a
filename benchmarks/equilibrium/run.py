"""Converged city-days: wall time, days to the gap, where the time goes, KPI stability.

For each shipped city, builds the model (traffic only), runs the dynamic
equilibrium to ``simulation.equilibrium_gap`` and reports the relative gap per
iteration, the wall time of each phase (build, warm start, kernel days, column
generation, scoring, mode choice) and the traffic KPIs. With ``--tight GAP`` it
continues the same run from its equilibrated plan to a tighter gap (nothing
held: every traveller may move) and reports how much TTI, total delay and car
share move (the equilibrium issue's check: ≤ 1% from 0.02 to 0.01); with
``--cold`` the tighter run starts afresh instead, which adds the spread between
two day-to-day processes to the change.

Usage (from the repository root):

    python benchmarks/equilibrium/run.py                       # all three cities
    python benchmarks/equilibrium/run.py --city sejong --tight 0.01

The numba cache is warmed on the tiny test city first, so compilation is not timed.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITIES = ("sejong", "singapore", "helsinki")
KPIS = ("mode_share_car", "travel_time_index", "total_delay")


def run_city(city: str, overrides: dict, start_from=None) -> dict:
    from twincity.model import CityModel, prepare_city

    t0 = time.perf_counter()
    built, applied = prepare_city(ROOT / "scenarios" / f"{city}.yaml", overrides=overrides)
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # reported below instead
        model = CityModel(built, policies=applied, subsystems=("traffic",),
                          start_from=start_from)
    t2 = time.perf_counter()
    res = model.run()
    t3 = time.perf_counter()
    traffic = model.traffic
    eq = traffic.equilibrium
    loop_s = sum(traffic.dynamic.time_s.values())
    return {"city": city, "build_s": t1 - t0, "model_s": t2 - t1, "reported_day_s": t3 - t2,
            "phases_s": dict(traffic.dynamic.time_s), "loop_s": loop_s,
            "converged": eq.converged, "days": eq.iterations, "gap": eq.relative_gap,
            "reviews": eq.reviews, "gaps": [r.relative_gap for r in traffic.days],
            "kpis": {k: res.kpi(k) for k in KPIS}, "vehicles": len(traffic._sim_road),
            "plan": model.plan_state()}


def describe(r: dict) -> str:
    total = r["build_s"] + r["model_s"] + r["reported_day_s"]
    lines = [f"== {r['city']}: {r['vehicles']} road vehicles; "
             f"{'converged' if r['converged'] else 'NOT converged'} in {r['days']} days "
             f"(gap {r['gap']:.4f}, {r['reviews']} pricing reviews); "
             f"wall {total:.1f} s = build {r['build_s']:.1f} + model {r['model_s']:.1f} "
             f"(equilibrium loop {r['loop_s']:.1f}) + reported day {r['reported_day_s']:.1f}",
             "   loop phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in r["phases_s"].items()),
             "   gap per day: " + " ".join(f"{g:.3f}" for g in r["gaps"]),
             "   KPIs: " + ", ".join(f"{k} {v:.4g}" for k, v in r["kpis"].items())]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--city", action="append", choices=CITIES)
    ap.add_argument("--tight", type=float, default=None,
                    help="Also continue to this gap and report the KPI change.")
    ap.add_argument("--cold", action="store_true", help="Run the tighter gap afresh.")
    a = ap.parse_args(argv)
    from twincity.model import CityModel

    CityModel.from_file(ROOT / "tests" / "data" / "tiny.yaml", subsystems=("traffic",)).run()
    for city in a.city or CITIES:
        base = run_city(city, {})
        print(describe(base), flush=True)
        if a.tight:
            plan = None
            if not a.cold:  # the same run, continued: release the residue it held
                plan = base["plan"]
                plan.excess_s[:], plan.preferred_mode[:] = float("nan"), -1
            tight = run_city(city, {"simulation.equilibrium_gap": a.tight}, start_from=plan)
            print(describe(tight))
            moves = ", ".join(f"{k} {100 * (tight['kpis'][k] / base['kpis'][k] - 1):+.2f}%"
                              for k in KPIS)
            how = "afresh" if a.cold else "continued"
            print(f"   gap {a.tight} ({how}) vs default: {moves}", flush=True)


if __name__ == "__main__":
    main()
