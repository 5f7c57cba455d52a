"""Common random numbers at a shipped city's default scale: a near-null policy against the baseline.

For each seed, the city as it is and the city with a road charge at 1% of
Singapore's ERP (cordon, charge 0.0015 h of the local value of time) are run
(traffic only); as paired experiments do, the near-null arm continues from the
baseline's equilibrated plan and is compared with the control, the city as it is
continued for as many days (``--cold``: both arms afresh). Reports the share of
travellers whose mode differs and, for car share, TTI and total delay, the
standard deviation of the paired differences over the seed-to-seed
standard deviation of the levels (issue 9 asks ≤ 0.3).

    python benchmarks/equilibrium/crn.py sejong --seeds 1 2 3 4
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from twincity.model import CityModel
from twincity.policies.pricing import ErpPolicy

ROOT = Path(__file__).resolve().parents[2]
KPIS = ("mode_share_car", "travel_time_index", "total_delay")
NEAR_NULL = {"scheme": "cordon", "central_share": 0.1, "charge_vot_h": 0.0015, "review": False,
             "periods": [{"start_h": 7.5, "end_h": 9.5, "multiplier": 1.0},
                         {"start_h": 17.5, "end_h": 20.0, "multiplier": 1.0}]}


def _run(city: str, seed: int, policies=(), overrides=None, start_from=None,
         control_days=None):
    t0 = time.perf_counter()
    model = CityModel.from_file(ROOT / "scenarios" / f"{city}.yaml", seed=seed,
                                policies=list(policies), subsystems=("traffic",),
                                overrides=overrides or {}, start_from=start_from,
                                control_days=control_days)
    res = model.run()
    return model, res, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("city")
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="scenario override, e.g. simulation.equilibrium_gap=0.01")
    ap.add_argument("--cold", action="store_true",
                    help="start the near-null arm afresh instead of from the baseline's plan")
    args = ap.parse_args()
    overrides = {k: float(v) for k, v in (s.split("=", 1) for s in args.set)}
    levels, diffs, agree = {k: [] for k in KPIS}, {k: [] for k in KPIS}, []
    for seed in args.seeds:
        mb, rb, tb = _run(args.city, seed, overrides=overrides)
        start = None if args.cold else mb.plan_state()
        mn, rn, tn = _run(args.city, seed, [ErpPolicy(NEAR_NULL)], overrides=overrides,
                          start_from=start)
        base_days = rb.equilibrium["iterations"]
        if start is not None:  # the control: the city as it is, continued as many days
            days = rn.equilibrium["iterations"]
            mb, rb, tc = _run(args.city, seed, overrides=overrides, start_from=start,
                              control_days=days)
            tn += tc
        agree.append(float(np.mean(mb.traffic.mode == mn.traffic.mode)))
        for k in KPIS:
            levels[k].append(rb.kpi(k))
            diffs[k].append(rn.kpi(k) - rb.kpi(k))
        print(f"seed {seed}: base {tb:.1f} s ({base_days} days), near-null + control "
              f"{tn:.1f} s ({rn.equilibrium['iterations']} days each, control gap "
              f"{rb.equilibrium['relative_gap']:.4f}); mode agreement "
              f"{agree[-1]:.2%}; " + ", ".join(f"{k} {levels[k][-1]:.4g} Δ{diffs[k][-1]:+.3g}"
                                               for k in KPIS), flush=True)
    print(f"== {args.city} {overrides or ''}: mode agreement {np.mean(agree):.2%} (min "
          f"{np.min(agree):.2%})")
    for k in KPIS:
        ratio = np.std(diffs[k], ddof=1) / np.std(levels[k], ddof=1)
        print(f"   {k}: paired SD {np.std(diffs[k], ddof=1):.4g} / seed SD "
              f"{np.std(levels[k], ddof=1):.4g} = {ratio:.2f} {'✓' if ratio <= 0.3 else '✗'}")


if __name__ == "__main__":
    main()
