"""One tool's dynamic user equilibrium on one scenario, in one process, iteration by iteration.

Run as ``python due_workers.py TOOL SCENARIO_DIR OUT_JSON --budget S --max-iter N``
with TOOL in ``twincity``, ``uxsim``, ``sumo``. Each iteration (simulated day)
appends a record to ``OUT_JSON`` (rewritten atomically after every iteration,
so a run killed at its budget keeps what it did):

- ``wall_s``: wall time from the process start to the end of this iteration,
  *less* the time spent computing the common measure (``measure_s``), which is
  the benchmark's, not the tool's;
- the tool's own convergence figures (``own``);
- ``common_gap`` (:mod:`commongap`), ``mean_travel_time_s`` (arrival minus
  planned departure, completed trips) and ``completed``.

The three methods, all route choice only (fixed departures), starting from
free-flow routes (UXsim: its DUO routing on the first day, its own start):

- **twincity**: :class:`twincity.traffic.equilibrium.DynamicEquilibrium`
  itself, on a bare network and trip list (:class:`BareTraffic` gives it what
  it reads of a city's traffic subsystem), one departure shift (0 s), the
  whole population simulated (``sample_share`` 1: indifference band 2 s),
  ``equilibrium_gap`` out of reach so it runs to the iteration cap or budget.
- **UXsim** ``SolverDUE(cpp=True)`` with its defaults (10 random routes per
  OD, swap probability 0.05). Vehicle logging is ON (interval 1): the C++
  engine records which links a vehicle entered only when logging, and
  ``SolverDUE`` reads each vehicle's travelled route from that record; with
  logging off (``-1``) it sees no routes, swaps nobody and reports a 0 gap
  every iteration, i.e. it measures nothing.
- **SUMO** ``duaIterate.py --mesosim`` (Gawron route choice, its defaults),
  ``--max-convergence-deviation`` set out of reach so it prints its own
  convergence figure (relative std. dev. of mean travel time over the last 3
  steps) without stopping; per-step wall time from its own step log.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

T0 = time.perf_counter()  # the process's start, as near as Python allows

from commongap import INTERVAL_S, common_gap, gap_from_traversals  # noqa: E402
from commongap import link_times_from_stats as _lt  # noqa: E402
from workers import load_case  # noqa: E402


class Budget(Exception):
    """The wall budget is spent: stop after the iteration just recorded."""


class Log:
    """Per-iteration records, written atomically after each one."""

    def __init__(self, out: Path, tool: str, budget_s: float, max_iter: int) -> None:
        self.out, self.measure_s = out, 0.0
        self.doc = {"tool": tool, "budget_s": budget_s, "max_iter": max_iter,
                    "stopped_by": "iterations", "iterations": []}

    def wall(self) -> float:
        return time.perf_counter() - T0 - self.measure_s

    def add(self, rec: dict) -> None:
        self.doc["iterations"].append(rec)
        tmp = self.out.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.doc))
        os.replace(tmp, self.out)


def _network(d: dict):
    from twincity.city.network import Network

    return Network.from_links(
        node_x_m=d["node_x_m"], node_y_m=d["node_y_m"], link_from=d["link_from"],
        link_to=d["link_to"], length_m=d["length_m"], lanes=d["lanes"],
        speed_mps=d["speed_mps"], capacity_vph=d["capacity_vph"],
        storage_veh=d["storage_veh"], free_flow_s=d["free_flow_s"])


# ---------------------------------------------------------------------- twincity
class _Days(list):
    """``TrafficSubsystem.days``: calls ``hook`` on each day's record as the loop appends it."""

    def __init__(self, hook) -> None:
        super().__init__()
        self.hook = hook

    def append(self, record) -> None:
        super().append(record)
        self.hook(record)


class BareTraffic:
    """What :class:`DynamicEquilibrium` reads of a traffic subsystem, for a bare network
    and trip list: everyone drives, no trucks, no tolls, no mode choice."""

    def __init__(self, net, d: dict, seed: int, max_days: int, hook) -> None:
        from twincity.traffic.modechoice import CAR
        from twincity.traffic.routes import Routes

        n = len(d["departure_s"])
        self.net, self.n_trucks, self.start_s = net, 0, 0.0
        self.duration_s = float(d["horizon_s"])
        spec = SimpleNamespace(equilibrium_gap=1e-9, equilibrium_days=max_days,
                               interval_s=INTERVAL_S, sample_share=1.0)
        self.context = SimpleNamespace(seed=seed, city=SimpleNamespace(
            spec=SimpleNamespace(simulation=spec)))
        from twincity.traffic.entries import EntryLayout

        self.layout = EntryLayout(n_people=n, n_trucks=0)
        self.authority = SimpleNamespace(toll_schedule=np.zeros((1, net.n_links)),
                                         toll_slot_s=self.duration_s, review_rounds=0)
        self.vot, self.slot_s = 1.0, 3600.0
        self.n_slots = int(np.ceil(self.duration_s / self.slot_s))
        self.origin_node, self.dest_node = d["origin"].astype(np.int64), d["dest"].astype(np.int64)
        self.desired_s = d["departure_s"].astype(np.float64)
        self.departure_s = self.desired_s.copy()
        self.mode = np.full(n, CAR, dtype=np.int8)
        self.identity = np.arange(n, dtype=np.int64)
        self.book = Routes(start=d["route_start"], links=d["route_links"],
                           ok=np.ones(n, dtype=bool), cost_s=np.zeros(n))
        self.days = _Days(hook)
        self.flows_by_slot = None
        self.sim = None
        self.seed = seed

    def planning_network(self):
        return self.net

    def road_vehicles(self) -> np.ndarray:
        return np.arange(len(self.mode))

    def book_od(self, idx):
        return self.origin_node[idx], self.dest_node[idx], self.departure_s[idx] - self.start_s

    def skims_by_slot(self, link_time_s):
        return None

    def preferred_modes(self, skims) -> np.ndarray:
        return self.mode.copy()

    def make_sim(self):
        from twincity.traffic.simulation import TrafficSim

        n = len(self.mode)
        self.sim = TrafficSim(self.net, departure_s=self.departure_s, route_start=self.book.start,
                              route_links=self.book.links, veh_class=np.zeros(n, np.int8),
                              interval_s=INTERVAL_S, horizon_s=self.duration_s, seed=self.seed)
        return self.sim


def run_twincity(d: dict, log: Log, max_iter: int, budget_s: float, seed: int) -> None:
    from twincity.traffic import kernel as K
    from twincity.traffic.equilibrium import DynamicEquilibrium

    net = _network(d)
    arrived = list(K.STATE_NAMES).index("arrived")

    def hook(rec) -> None:
        wall = log.wall()
        t = time.perf_counter()
        sim, book = host.sim, host.book
        done = sim.trip_state == arrived
        tt = (sim.state.arrive_s - sim.departure_s)[done]
        lt = _lt(sim.turn_time_sum_s.sum(axis=2), sim.turn_veh.sum(axis=2),
                 sim.travel_time_sum_s, sim.outflow_veh, free_flow_s=net.free_flow_s)
        trips = np.flatnonzero(done)
        counts = np.diff(book.start)[trips]
        start = np.concatenate([[0], np.cumsum(counts)])
        links = np.concatenate([book.links[book.start[i]:book.start[i + 1]] for i in trips]) \
            if len(trips) else np.zeros(0, np.int64)
        gap = common_gap(net, lt, d["origin"][trips], d["dest"][trips],
                         d["departure_s"][trips], start, links)[0]
        log.measure_s += time.perf_counter() - t
        log.add({"iteration": rec.day, "wall_s": wall, "common_gap": gap,
                 "mean_travel_time_s": float(tt.mean()) if len(tt) else None,
                 "completed": int(done.sum()),
                 "own": {"relative_gap": rec.relative_gap},
                 "stuck": int(sim.counters["stuck"])})
        if wall > budget_s:
            raise Budget

    host = BareTraffic(net, d, seed, max_iter, hook)
    eq = DynamicEquilibrium(host, shifts_s=np.array([0.0]))
    try:
        eq.run()
    except Budget:
        log.doc["stopped_by"] = "budget"
    log.doc["phases_s"] = eq.time_s


# ------------------------------------------------------------------------ UXsim
def run_uxsim(d: dict, log: Log, max_iter: int, budget_s: float, seed: int) -> None:
    import random

    from uxsim.DTAsolvers import SolverDUE
    from workers import uxsim_world

    random.seed(seed)
    net = _network(d)
    n = len(d["departure_s"])
    horizon = float(d["horizon_s"])

    def make_world():
        # logging ON: see the module docstring (SolverDUE needs the travelled routes)
        return uxsim_world(d, seed, cpp=True, logging_interval=1)

    state = {"calls": 0, "done": 0}

    def record(W) -> None:
        wall = log.wall()
        t = time.perf_counter()
        link_of = {lk.id: int(lk.name[1:]) for lk in W.LINKS}
        e = W._cpp_world.build_enter_log_data()
        veh = np.asarray(e["vehicle_index"], np.int64)
        lk = np.array([link_of[int(x)] for x in e["link_id"]], np.int64)
        t_in = np.asarray(e["time"], np.float64)
        order = np.lexsort((t_in, veh))
        veh, lk, t_in = veh[order], lk[order], t_in[order]
        arrive = np.full(n, np.nan)
        for i, v in enumerate(W._veh_by_index):
            c = v._cpp_vehicle
            if c.arrival_time >= 0 and not c.flag_trip_aborted:
                arrive[i] = c.arrival_time
        done = np.isfinite(arrive)
        t_out = np.empty_like(t_in)
        same = veh[1:] == veh[:-1]
        t_out[:-1] = np.where(same, t_in[1:], arrive[veh[:-1]])
        if len(t_out):
            t_out[-1] = arrive[veh[-1]]
        gap = gap_from_traversals(net, d["origin"], d["dest"], d["departure_s"], veh, lk, t_in,
                                  t_out, done, horizon)
        tt = arrive[done] - d["departure_s"][done]
        log.measure_s += time.perf_counter() - t
        i = state["done"]
        state["done"] += 1
        log.add({"iteration": i, "wall_s": wall, "common_gap": gap,
                 "mean_travel_time_s": float(tt.mean()) if len(tt) else None,
                 "completed": int(done.sum()),
                 "own": {"time_gap_per_vehicle_s": float(solver.t_gaps[i]),
                         "route_changes": float(solver.n_swaps[i]),
                         "potential_route_changes": float(solver.potential_swaps[i])}})
        if wall > budget_s:
            raise Budget

    def func_world():
        state["calls"] += 1
        if state["calls"] >= 3:  # the previous iteration (simulation and swap) is over
            record(solver.W_intermid_solution)
        return make_world()

    solver = SolverDUE(func_world, cpp=True)
    try:
        solver.solve(max_iter, print_progress=False)
        record(solver.W_sol)
    except Budget:
        log.doc["stopped_by"] = "budget"


# ------------------------------------------------------------------------- SUMO
def _sumo_home() -> Path:
    import sumo

    return Path(sumo.__file__).parent


def _parse_step(folder: Path, step: int, net, d: dict) -> dict:
    """Common gap, mean travel time and completed trips of duaIterate step ``step``."""
    n = len(d["departure_s"])
    veh_l, link_l, tin_l, tout_l = [], [], [], []
    done = np.zeros(n, dtype=bool)
    for _, el in ET.iterparse(folder / f"{step:03d}" / f"vehroute_{step:03d}.xml"):
        if el.tag != "vehicle":
            continue
        v = int(el.get("id"))
        route = el.find("route")
        if route is None:
            routes = el.find("routeDistribution")
            route = routes.findall("route")[-1]
        edges = [int(e[1:]) for e in route.get("edges").split()]
        exits = [float(x) for x in route.get("exitTimes").split()]
        t_in = [float(el.get("depart")), *exits[:-1]]
        veh_l.append(np.full(len(edges), v))
        link_l.append(edges)
        tin_l.append(t_in)
        tout_l.append(exits)
        done[v] = el.get("arrival") is not None
        el.clear()
    veh, lk = np.concatenate(veh_l), np.concatenate(link_l).astype(np.int64)
    gap = gap_from_traversals(net, d["origin"], d["dest"], d["departure_s"], veh, lk,
                              np.concatenate(tin_l), np.concatenate(tout_l), done,
                              float(d["horizon_s"]))
    root = ET.parse(folder / f"{step:03d}" / f"tripinfo_{step:03d}.xml").getroot()
    tts = [float(t.get("duration")) + float(t.get("departDelay")) for t in root.iter("tripinfo")]
    return {"common_gap": gap, "mean_travel_time_s": float(np.mean(tts)) if tts else None,
            "completed": len(tts)}


def run_sumo(d: dict, log: Log, max_iter: int, budget_s: float, seed: int,
             scenario: Path) -> None:
    home = _sumo_home()
    os.environ.setdefault("SUMO_HOME", str(home))
    work = log.out.parent / "sumo-dua"
    work.mkdir(exist_ok=True)
    sumo_dir = scenario.resolve() / "sumo"
    cmd = [sys.executable, str(home / "tools" / "assign" / "duaIterate.py"),
           "-n", str(sumo_dir / "net.net.xml"), "-t", str(sumo_dir / "dynamic.rou.xml"),
           "--mesosim", "-l", str(max_iter), "-e", f"{float(d['horizon_s']):.0f}",
           "-x", "detailed", "--no-gzip", "--time-to-teleport", "300",
           "--max-convergence-deviation", "1e-12", "--convergence-iterations", "3",
           "sumo--junction-taz", "true", "sumo--seed", str(seed),
           "duarouter--junction-taz", "true", "duarouter--seed", str(seed)]
    # the SUMO binaries from the eclipse-sumo wheel, not a Python wrapper per call
    os.environ["PATH"] = f"{home / 'bin'}{os.pathsep}{os.environ['PATH']}"
    t_start = log.wall()
    # duaIterate writes its step log to stdout.log (not to stdout): follow that file
    stdout_log = work / "stdout.log"
    stdout_log.unlink(missing_ok=True)
    proc = subprocess.Popen(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    steps, own, seen = [], {}, 0
    t_killed = None

    def follow() -> None:
        nonlocal seen
        if not stdout_log.exists():
            return
        lines = stdout_log.read_text(errors="replace").splitlines()
        for line in lines[seen:]:
            m = re.match(r"< relative travel time deviation in the last (\d+) steps: ([\d.]+)",
                         line)
            if m:
                own[len(steps)] = float(m.group(2))
            m = re.match(r"< Step (\d+) ended", line)
            if m:
                steps.append((int(m.group(1)), log.wall() - t_start))
        seen = len(lines)

    while proc.poll() is None:
        time.sleep(0.2)
        follow()
        # like the other tools: stop once a step has ended past the budget
        if steps and steps[-1][1] + t_start > budget_s and t_killed is None:
            os.killpg(proc.pid, signal.SIGKILL)  # duaIterate and the sumo it runs
            t_killed = log.wall()
    follow()
    proc.wait()
    if t_killed is not None:
        log.doc["stopped_by"] = "budget"
    net = _network(d)
    for step, wall in steps:
        t = time.perf_counter()
        rec = _parse_step(work, step, net, d)
        log.measure_s += time.perf_counter() - t
        log.add({"iteration": step, "wall_s": t_start + wall, **rec,
                 "own": {"rel_tt_stddev_last3": own.get(step)}})


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tool", choices=["twincity", "uxsim", "sumo"])
    ap.add_argument("folder", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--budget", type=float, default=600.0, help="wall budget (s)")
    ap.add_argument("--max-iter", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    d = load_case(a.folder)
    log = Log(a.out, a.tool, a.budget, a.max_iter)
    if a.tool == "twincity":
        run_twincity(d, log, a.max_iter, a.budget, a.seed)
    elif a.tool == "uxsim":
        run_uxsim(d, log, a.max_iter, a.budget, a.seed)
    else:
        run_sumo(d, log, a.max_iter, a.budget, a.seed, a.folder)
    log.doc["end_wall_s"] = log.wall()
    tmp = a.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(log.doc))
    os.replace(tmp, a.out)


if __name__ == "__main__":
    main()
