"""Why a paired arm is compared with a control, not its reference: ERP at home, both ways.

For each seed, Singapore's ERP effect (with − without, traffic only) is
measured four ways, each from an equilibrated reference plan:

* forward, old design: reference = with ERP (as it is), changed arm = without
  ERP continued from it; effect = reference − changed;
* reversed, old design: reference = without ERP, changed arm = with ERP continued;
* forward and reversed with a control: the same, but the reference's own
  settings are also continued from the plan for as many days as the changed
  arm took (:mod:`twincity.traffic.equilibrium`, "Paired arms"), and the effect
  is taken between the two continued arms.

If continuing alone moved the KPIs, the old design's two directions disagree
(the continued arm looks better whichever it is); the control design's agree
within noise. The control's drift from its reference is printed too.

    python benchmarks/equilibrium/pairing.py --seeds 3
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

from twincity.model import CityModel

ROOT = Path(__file__).resolve().parents[2]
KPIS = ("total_delay", "travel_time_index", "mode_share_car", "delay_central_peak")
POLICY = "singapore:erp"


def _model(seed: int, with_policy: bool, start_from=None, control_days=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        m = CityModel.from_file(ROOT / "scenarios" / "singapore.yaml", seed=seed,
                                without=[] if with_policy else [POLICY],
                                subsystems=("traffic",), start_from=start_from,
                                control_days=control_days)
    r = m.run()
    return m, {k: r.kpi(k) for k in KPIS}, r.equilibrium


def _pct(a: dict, b: dict) -> str:
    return ", ".join(f"{k} {100 * (a[k] / b[k] - 1):+.2f}%" for k in KPIS)


def one_way(seed: int, reference_with: bool) -> None:
    t0 = time.perf_counter()
    ref, k_ref, e_ref = _model(seed, reference_with)
    plan = ref.plan_state()
    _, k_changed, e_changed = _model(seed, not reference_with, start_from=plan)
    days = e_changed["iterations"]
    _, k_control, _ = _model(seed, reference_with, start_from=plan, control_days=days)
    way = "forward (reference with ERP)" if reference_with else "reversed (reference without)"
    with_old, without_old = (k_ref, k_changed) if reference_with else (k_changed, k_ref)
    with_new, without_new = (k_control, k_changed) if reference_with else (k_changed, k_control)
    print(f"seed {seed}, {way}: reference {e_ref['iterations']} days, changed arm {days} more "
          f"days ({'converged' if e_changed['converged'] else 'NOT converged'}); "
          f"{time.perf_counter() - t0:.0f} s\n"
          f"   effect vs the reference (old design): {_pct(with_old, without_old)}\n"
          f"   effect vs the control  (this design): {_pct(with_new, without_new)}\n"
          f"   control's drift from the reference:   {_pct(k_control, k_ref)}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[3])
    a = ap.parse_args()
    for seed in a.seeds:
        for reference_with in (True, False):
            one_way(seed, reference_with)


if __name__ == "__main__":
    main()
