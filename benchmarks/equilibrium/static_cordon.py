"""A road charge at fixed demand, by static assignment: does diversion alone add delay?

A second implementation beside the dynamic equilibrium. The city is built with
its road charge (in force, or added with ``--policy``). Each charged routing slot's
road OD from the warm start (the travellers' modes and departures before any
simulated day, so both arms have the same demand) is assigned by bi-conjugate
Frank-Wolfe twice, to a relative gap of 1e-4: with the charges, at the value of
time, and without them. The script reports, per slot and in all, the change in
vehicle-hours of delay (BPR time minus free flow), total travel time and vehicle-km.

At fixed demand, a charge that is not the marginal external cost can only move
traffic. A cordon moves it onto the roads around it, and total delay can rise: the
"second-best" cordon of the pricing literature (Verhoef 2002, "Second-best
congestion pricing in general networks", Transp. Res. B 36). The charge lowers
total delay only if the trips it removes or retimes outweigh what diversion
adds. That part is the dynamic equilibrium's (mode and departure-time choice).

    python benchmarks/equilibrium/static_cordon.py singapore --seed 3
    python benchmarks/equilibrium/static_cordon.py sejong --policy singapore:erp --seed 3
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np

from twincity.model import CityModel
from twincity.traffic.assignment import bpr_cost, frank_wolfe
from twincity.traffic.routes import departure_slot

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    """Run the comparison and print one line per charged slot and a total."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("city")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--policy", action="append", default=[])
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    model = CityModel(ROOT / "scenarios" / f"{args.city}.yaml", seed=args.seed,
                      policies=args.policy, subsystems=["traffic"])
    t = model.traffic
    zones = model.city.zones
    road = t.road_vehicles()
    slot = departure_slot(t.departure_s[road] - t.start_s, t.slot_s, t.n_slots)
    cell = t.origin_zone_of_entry[road].astype(np.int64) * zones.n + t.dest_zone_of_entry[road]
    tolls = t.tolls()
    per_h = 3600.0 / t.slot_s
    scale = 1.0 / t.share / per_h  # sample flow per hour over the slot → city vehicles
    total = np.zeros((2, 3))
    print(f"# {args.city}, seed {args.seed}, policies added {args.policy or 'none'}: "
          "static UE per charged slot, with − without the charges (fixed demand)")
    for s in np.unique(slot):
        if tolls[s].max() <= 0:
            continue
        od = np.bincount(cell[slot == s], minlength=zones.n ** 2).reshape(
            zones.n, zones.n) * per_h
        arms = []
        for toll in (tolls[s], np.zeros_like(tolls[s])):
            net = t.planning_network().replace(toll=toll)
            res = frank_wolfe(net, od, zones.node, gap=1e-4, max_iter=1000, method="bfw",
                              toll_factor=3600.0 / t.vot)
            if not res.converged:
                print(f"  slot {s}: Frank-Wolfe stopped at gap {res.relative_gap:.2e}")
            time_s = bpr_cost(net, res.flow_vph)
            arms.append(np.array([np.sum(res.flow_vph * (time_s - net.free_flow_s)) / 3600,
                                  np.sum(res.flow_vph * time_s) / 3600,
                                  np.sum(res.flow_vph * net.length_m) / 1000]) * scale)
        total += np.array(arms)
        (d1, t1, k1), (d0, t0, k0) = arms
        hour = (t.start_s + s * t.slot_s) / 3600
        print(f"slot from {hour:5.2f} h: delay {d1:8.0f} vs {d0:8.0f} veh-h "
              f"({100 * (d1 / d0 - 1):+6.1f}%)  travel time {100 * (t1 / t0 - 1):+5.2f}%  "
              f"vehicle-km {100 * (k1 / k0 - 1):+5.2f}%")
    (d1, t1, k1), (d0, t0, k0) = total
    print(f"charged slots: delay {d1:.0f} vs {d0:.0f} veh-h ({100 * (d1 / d0 - 1):+.1f}%), "
          f"travel time {100 * (t1 / t0 - 1):+.2f}%, vehicle-km {100 * (k1 / k0 - 1):+.2f}%")


if __name__ == "__main__":
    main()
