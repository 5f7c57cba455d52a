"""Converged city-days: wall time, days to the gap, where the time goes, KPI stability.

For each shipped city, builds the model (traffic only), runs the dynamic
equilibrium to ``simulation.equilibrium_gap`` and reports the relative gap per
iteration, the wall time of each phase (build, warm start, kernel days, column
generation, scoring, mode choice) and the traffic KPIs. With ``--tight GAP`` it
continues the same run from its equilibrated plan to a tighter gap and
reports how much TTI, total delay and car share move (the equilibrium issue's
check: ≤ 1% from 0.02 to 0.01); with ``--cold`` the tighter run starts afresh
instead, which adds the spread between two day-to-day processes to the change.
With ``--seeds`` the check runs per seed and reports the mean change with its
95% CI beside the seed-to-seed spread of the levels: one run's KPIs wander by a
few percent from day to day near equilibrium (each simulated vehicle moves
1/sample_share real ones), so a single seed cannot tell a systematic shift
from that wander.

Usage (from the repository root):

    python benchmarks/equilibrium/run.py                       # all three cities
    python benchmarks/equilibrium/run.py --city sejong --tight 0.01
    python benchmarks/equilibrium/run.py --tight 0.01 --seeds 1 2 3 4 5 6

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


def run_city(city: str, overrides: dict, start_from=None, seed: int | None = None) -> dict:
    from twincity.model import CityModel, prepare_city

    t0 = time.perf_counter()
    built, applied = prepare_city(ROOT / "scenarios" / f"{city}.yaml", overrides=overrides)
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # reported below instead
        model = CityModel(built, policies=applied, subsystems=("traffic",),
                          start_from=start_from, seed=seed)
    t2 = time.perf_counter()
    res = model.run()
    t3 = time.perf_counter()
    traffic = model.traffic
    eq = traffic.equilibrium
    loop_s = sum(traffic.dynamic.time_s.values())
    return {"city": city, "build_s": t1 - t0, "model_s": t2 - t1, "reported_day_s": t3 - t2,
            "phases_s": dict(traffic.dynamic.time_s), "loop_s": loop_s,
            "counts": dict(getattr(traffic.dynamic, "counts", {})),
            "converged": eq.converged, "days": eq.iterations, "gap": eq.relative_gap,
            "reviews": eq.reviews, "gaps": [r.relative_gap for r in traffic.days],
            "kpis": {k: res.kpi(k) for k in KPIS}, "vehicles": len(traffic.sim_road),
            "plan": model.plan_state()}


def describe(r: dict) -> str:
    total = r["build_s"] + r["model_s"] + r["reported_day_s"]
    lines = [f"== {r['city']}: {r['vehicles']} road vehicles; "
             f"{'converged' if r['converged'] else 'NOT converged'} in {r['days']} days "
             f"(gap {r['gap']:.4f}, {r['reviews']} pricing reviews); "
             f"wall {total:.1f} s = build {r['build_s']:.1f} + model {r['model_s']:.1f} "
             f"(equilibrium loop {r['loop_s']:.1f}) + reported day {r['reported_day_s']:.1f}",
             "   loop phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in r["phases_s"].items()),
             "   work (load-independent): "
             + (", ".join(f"{k} {v:,}" for k, v in r["counts"].items())
                or "not counted by this engine"),
             "   gap per day: " + " ".join(f"{g:.3f}" for g in r["gaps"]),
             "   KPIs: " + ", ".join(f"{k} {v:.4g}" for k, v in r["kpis"].items())]
    return "\n".join(lines)


def tighten(city: str, gap: float, cold: bool, seed: int | None) -> tuple[dict, dict]:
    """The city at its default gap and at ``gap`` (continued from it unless ``cold``)."""
    base = run_city(city, {}, seed=seed)
    plan = None if cold else base["plan"]  # the same run, continued
    tight = run_city(city, {"simulation.equilibrium_gap": gap}, start_from=plan, seed=seed)
    return base, tight


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--city", action="append", choices=CITIES)
    ap.add_argument("--tight", type=float, default=None,
                    help="Also continue to this gap and report the KPI change.")
    ap.add_argument("--cold", action="store_true", help="Run the tighter gap afresh.")
    ap.add_argument("--seeds", type=int, nargs="+", default=None,
                    help="Run the --tight check for these seeds (default: the scenario's).")
    a = ap.parse_args(argv)
    import numpy as np
    from scipy import stats

    from twincity.model import CityModel

    CityModel.from_file(ROOT / "tests" / "data" / "tiny.yaml", subsystems=("traffic",)).run()
    how = "afresh" if a.cold else "continued"
    for city in a.city or CITIES:
        if not a.tight:
            print(describe(run_city(city, {})), flush=True)
            continue
        change = {k: [] for k in KPIS}
        level = {k: [] for k in KPIS}
        for seed in a.seeds or [None]:
            base, tight = tighten(city, a.tight, a.cold, seed)
            if a.seeds is None:
                print(describe(base) + "\n" + describe(tight))
            for k in KPIS:
                level[k].append(base["kpis"][k])
                change[k].append(100 * (tight["kpis"][k] / base["kpis"][k] - 1))
            print(f"   seed {seed}: default {base['days']} days gap {base['gap']:.4f} → "
                  f"{'reached' if tight['converged'] else 'NOT reached'} {tight['gap']:.4f} in "
                  f"{tight['days']} more days ({how}): "
                  + ", ".join(f"{k} {change[k][-1]:+.2f}%" for k in KPIS), flush=True)
        if a.seeds and len(a.seeds) > 1:
            n = len(a.seeds)
            t = stats.t.ppf(0.975, n - 1)
            for k in KPIS:
                m, se = np.mean(change[k]), np.std(change[k], ddof=1) / np.sqrt(n)
                spread = 100 * np.std(level[k], ddof=1) / np.mean(level[k])
                ok = max(abs(m - t * se), abs(m + t * se)) <= 1.0
                print(f"== {city} {k}: gap {a.tight} vs default, mean over {n} seeds "
                      f"{m:+.2f}% (95% CI [{m - t * se:+.2f}, {m + t * se:+.2f}]%; single seeds "
                      f"{min(change[k]):+.2f}…{max(change[k]):+.2f}%); seed-to-seed SD of the "
                      f"level {spread:.2f}% {'✓ CI within ±1%' if ok else '✗'}", flush=True)


if __name__ == "__main__":
    main()
