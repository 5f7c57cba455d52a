"""One tool, one scenario, one process: the twincity and UXsim runners.

Run as ``python workers.py TOOL SCENARIO_DIR REGIME OUT_JSON [--seed S]`` with
TOOL in ``twincity``, ``uxsim-cpp``, ``uxsim-py`` and REGIME in ``fixed``
(the scenario's free-flow shortest-path routes, identical for every tool) or
``dynamic`` (each tool routes and reroutes by its own method). The parent
(:mod:`compare`) measures the process's wall time and peak RSS; the worker
writes trips completed, mean travel time of completed trips (arrival minus
planned departure, so waiting to enter the network counts) and the time of its
simulation phase (``sim_s``: everything after reading the scenario file,
twincity's imports included), with a breakdown by phase.

twincity's dynamic regime is a day-to-day replanning loop (MATSim style):
free-flow routes, then :data:`REPLAN_ITERATIONS` times: simulate, take each
link's experienced travel time per 15-min interval, reroute a shrinking
random share of the trips time-dependently on those times (``route_trips``
with one routing slot per interval), and the reported figures are those of
the final simulation. UXsim's dynamic regime is its own dynamic user optimum
route choice (DUO, updated every 600 s) and SUMO's is rerouting devices.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

#: Replanning iterations of twincity's dynamic regime.
REPLAN_ITERATIONS = 3
#: Interval of experienced link times used for rerouting (s).
REPLAN_SLOT_S = 900.0


def load_case(folder: Path) -> dict:
    with np.load(folder / "scenario.npz") as z:
        return {k: z[k] for k in z.files}


# ---------------------------------------------------------------------- twincity
def _experienced_cost_s(sim, net) -> np.ndarray:
    """Mean experienced link time per interval (free flow where nobody left the link;
    a whole interval where vehicles queued but none left)."""
    out = sim.outflow_veh.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        tt = np.where(out > 0, sim.travel_time_sum_s / out, net.free_flow_s[None, :])
    tt = np.where((out == 0) & (sim.queue_veh > 0), np.maximum(tt, sim.interval_s), tt)
    return np.maximum(tt, net.free_flow_s[None, :])


def run_twincity(d: dict, regime: str, seed: int) -> dict:
    """Phases reported: ``import_s`` (twincity, numba, pandas), ``load_s`` (the first
    kernel call: numba loads the compiled kernel from its cache), ``kernel_s`` (the rest
    of the simulation), and for the dynamic regime ``routing_s``."""
    t0 = time.perf_counter()
    from twincity.city.network import Network
    from twincity.traffic.routes import replace_routes, route_trips
    from twincity.traffic.simulation import TrafficSim

    phases = {"import_s": time.perf_counter() - t0, "load_s": 0.0, "kernel_s": 0.0,
              "routing_s": 0.0}
    net = Network.from_links(
        node_x_m=d["node_x_m"], node_y_m=d["node_y_m"], link_from=d["link_from"],
        link_to=d["link_to"], length_m=d["length_m"], lanes=d["lanes"],
        speed_mps=d["speed_mps"], capacity_vph=d["capacity_vph"],
        storage_veh=d["storage_veh"], free_flow_s=d["free_flow_s"])
    dep, o, dst = d["departure_s"], d["origin"], d["dest"]
    horizon = float(d["horizon_s"])
    n = len(dep)

    def simulate(start, links):
        sim = TrafficSim(net, dep, start, links, np.zeros(n, dtype=np.int8), horizon_s=horizon,
                         interval_s=REPLAN_SLOT_S, seed=seed,
                         stuck_time_s=300.0)  # as SUMO's --time-to-teleport in compare.py
        t = time.perf_counter()
        sim.advance(sim.tick_s)
        t1 = time.perf_counter()
        sim.run()
        phases["load_s"] += t1 - t
        phases["kernel_s"] += time.perf_counter() - t1
        return sim

    def routed(*args):
        t = time.perf_counter()
        r = route_trips(net, *args)
        phases["routing_s"] += time.perf_counter() - t
        return r

    if regime == "fixed":
        sim = simulate(d["route_start"], d["route_links"])
    else:
        routes = routed(net.free_flow_s[None, :], 1e12, o, dst, dep)
        rng = np.random.default_rng(seed)
        sim = simulate(routes.start, routes.links)
        for it in range(REPLAN_ITERATIONS):
            cost = _experienced_cost_s(sim, net)
            which = np.flatnonzero(rng.random(n) < 1.0 / (it + 2))
            new = routed(cost, REPLAN_SLOT_S, o[which], dst[which], dep[which])
            routes = replace_routes(routes, which, new)
            sim = simulate(routes.start, routes.links)
    tt = sim.trip_table()
    done = tt["state"] == "arrived"
    if regime == "fixed":
        del phases["routing_s"]
    return {"completed": int(done.sum()),
            "mean_travel_time_s": float(tt["travel_time_s"][done].mean()),
            "sim_s": time.perf_counter() - t0, "stuck": sim.counters["stuck"], **phases}


# ------------------------------------------------------------------------ UXsim
def uxsim_world(d: dict, seed: int, cpp: bool, logging_interval: int = -1):
    """A UXsim ``World`` of the scenario's network and trips (one vehicle per trip)."""
    import uxsim

    W = uxsim.World(name="compare", deltan=1, reaction_time=1, tmax=float(d["horizon_s"]),
                    print_mode=0, save_mode=0, show_mode=0, show_progress=0,
                    vehicle_logging_timestep_interval=logging_interval, random_seed=seed,
                    cpp=cpp)
    for i, (x, y) in enumerate(zip(d["node_x_m"], d["node_y_m"], strict=True)):
        W.addNode(f"n{i}", float(x), float(y))
    for k in range(len(d["link_from"])):
        length, lanes = float(d["length_m"][k]), int(d["lanes"][k])
        W.addLink(f"l{k}", f"n{d['link_from'][k]}", f"n{d['link_to'][k]}", length=length,
                  free_flow_speed=float(d["speed_mps"][k]),
                  jam_density_per_lane=float(d["storage_veh"][k]) / (length * lanes),
                  number_of_lanes=lanes, capacity_out=float(d["capacity_vph"][k]) / 3600.0)
    for t, o, dst in zip(d["departure_s"], d["origin"], d["dest"], strict=True):
        W.addVehicle(f"n{o}", f"n{dst}", float(t))
    return W


def run_uxsim(d: dict, regime: str, seed: int, cpp: bool) -> dict:
    import uxsim  # noqa: F401  (imported before the clock starts, as before)

    t0 = time.perf_counter()
    W = uxsim_world(d, seed, cpp)
    if regime == "fixed":
        start, links = d["route_start"], d["route_links"]
        for i, veh in enumerate(W.VEHICLES.values()):
            veh.enforce_route([f"l{k}" for k in links[start[i]:start[i + 1]]])
    t1 = time.perf_counter()
    W.exec_simulation()
    t2 = time.perf_counter()
    tts = [v.travel_time for v in W.VEHICLES.values() if v.state == "end"]
    return {"completed": len(tts), "mean_travel_time_s": float(np.mean(tts)) if tts else None,
            "sim_s": t2 - t0, "build_s": t1 - t0, "exec_s": t2 - t1}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tool", choices=["twincity", "uxsim-cpp", "uxsim-py"])
    ap.add_argument("folder", type=Path)
    ap.add_argument("regime", choices=["fixed", "dynamic"])
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    d = load_case(a.folder)
    if a.tool == "twincity":
        res = run_twincity(d, a.regime, a.seed)
    else:
        res = run_uxsim(d, a.regime, a.seed, cpp=a.tool == "uxsim-cpp")
    a.out.write_text(json.dumps(res))


if __name__ == "__main__":
    main()
