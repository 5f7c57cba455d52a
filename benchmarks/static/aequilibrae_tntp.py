"""Static user equilibrium: twincity's Frank-Wolfe family against AequilibraE on TNTP networks.

Usage (from the repository root):

    python benchmarks/static/aequilibrae_tntp.py    # SiouxFalls (+ Chicago-Sketch if present)
    python benchmarks/static/aequilibrae_tntp.py --data /path/to/tntp --gaps 1e-4 1e-5

For each network in the TNTP data folder (``/work/shared/data/tntp`` or
``--data``; ``SiouxFalls``, ``ChicagoSketch`` when present) and each target
relative gap, both tools solve the same problem with bi-conjugate Frank-Wolfe
(Mitradjieva & Lundgren 2013, the algorithm both implement) from the same
inputs: twincity reads the TNTP files (:mod:`twincity.city.io_tntp`) and the
very same arrays (free-flow time, capacity, ``b``, ``power``, the trip
matrix, centroids closed to through traffic before ``FIRST THRU NODE``) are
handed to AequilibraE as a ``Graph`` and an in-memory matrix. Reported:
iterations, solve time (the best of ``--repeat`` runs, after one untimed run so
numba's compile is not counted; AequilibraE's graph preparation timed apart, and
AequilibraE run on 1 and on 2 threads with the faster counted: on a busy shared
machine its 2-thread runs spend most of their time waiting on each other),
the reached gap, and link flows against the best-known published solution
(``*_flow.tntp``: max relative and RMS deviation) and between the two tools.

Adaptations AequilibraE needs (stated per network in the output): it rejects
a free-flow time of 0 (such links get 1e-6 of the file's time unit in both
tools) and a BPR power below 1 (raised to 1 in both tools). Gap definitions
match: both use (TSTT − SPTT) / TSTT.

Two cores; the load average is printed beside the timings.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

DATA = Path("/work/shared/data/tntp")
NETWORKS = {"SiouxFalls": "SiouxFalls", "ChicagoSketch": "ChicagoSketch"}


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def load(folder: Path, name: str):
    from twincity.city.io_tntp import read_tntp_flows, read_tntp_network, read_tntp_trips

    net, meta = read_tntp_network(folder / f"{name}_net.tntp")
    demand = read_tntp_trips(folder / f"{name}_trips.tntp")
    ref = None
    flow_file = folder / f"{name}_flow.tntp"
    if flow_file.exists():
        ref = read_tntp_flows(flow_file).on(net)[0]
    notes = []
    fft = net.free_flow_s.copy()
    beta = np.broadcast_to(net.bpr_beta, fft.shape).copy()
    if (fft <= 0).any():
        notes.append(f"{int((fft <= 0).sum())} links with free-flow time 0 set to 1e-6")
        fft[fft <= 0] = 1e-6
    if (beta < 1).any():
        notes.append(f"{int((beta < 1).sum())} links with power < 1 raised to 1")
        beta[beta < 1] = 1.0
    net = net.replace(free_flow_s=fft, bpr_beta=beta)
    return net, meta, demand, ref, notes


def solve_twincity(net, meta, demand, gap: float, repeat: int):
    from twincity.traffic.assignment import frank_wolfe

    kw = dict(gap=gap, method="bfw", max_iter=20000, no_through=meta.no_through(net))
    zones = meta.zone_nodes(net)
    frank_wolfe(net, demand, zones, **kw)  # compile / load the kernels
    best, res = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        res = frank_wolfe(net, demand, zones, **kw)
        best = min(best, time.perf_counter() - t)
    return best, res.iterations, res.relative_gap, res.flow_vph


def solve_aequilibrae(net, meta, demand, gap: float, repeat: int, cores: int = 0):
    import pandas as pd
    from aequilibrae.matrix import AequilibraeMatrix
    from aequilibrae.paths import Graph, TrafficAssignment, TrafficClass

    t0 = time.perf_counter()
    zones = meta.zone_nodes(net)
    node_id = np.asarray(net.node_id, dtype=np.int64)
    df = pd.DataFrame({
        "link_id": np.arange(1, net.n_links + 1), "a_node": node_id[net.link_from],
        "b_node": node_id[net.link_to], "direction": 1,
        "free_flow_time": net.free_flow_s.astype(float),
        "capacity": net.capacity_vph.astype(float),
        "alpha": np.broadcast_to(net.bpr_alpha, net.n_links).astype(float),
        "beta": np.broadcast_to(net.bpr_beta, net.n_links).astype(float)})
    centroids = node_id[zones].astype(np.int64)
    g = Graph()
    g.network = df
    g.prepare_graph(centroids)
    g.set_graph("free_flow_time")
    g.set_blocked_centroid_flows(bool(meta.no_through(net).any()))
    mat = AequilibraeMatrix()
    mat.create_empty(zones=len(zones), matrix_names=["demand"], memory_only=True)
    mat.index[:] = centroids
    mat.matrices[:, :, 0] = demand
    mat.computational_view(["demand"])
    setup_s = time.perf_counter() - t0
    best, ta = np.inf, None
    for _ in range(repeat):
        ta = TrafficAssignment()
        ta.set_classes([TrafficClass("car", g, mat)])
        if cores:
            ta.set_cores(cores)
        ta.set_vdf("BPR")
        ta.set_vdf_parameters({"alpha": "alpha", "beta": "beta"})
        ta.set_capacity_field("capacity")
        ta.set_time_field("free_flow_time")
        ta.set_algorithm("bfw")
        ta.max_iter = 20000
        ta.rgap_target = gap
        t = time.perf_counter()
        ta.execute(log_specification=False)
        best = min(best, time.perf_counter() - t)
    rep = ta.assignment.convergence_report
    flows = ta.results()["demand_tot"].reindex(df["link_id"]).to_numpy()
    return best, setup_s, int(rep["iteration"][-1]), float(rep["rgap"][-1]), flows


def deviation(flow: np.ndarray, ref: np.ndarray) -> str:
    rel = np.abs(flow - ref) / np.maximum(ref, 1e-9)
    rms = np.sqrt(np.mean((flow - ref) ** 2)) / np.mean(ref)
    return f"max rel {rel.max():.2e}, RMS/mean {rms:.2e}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--gaps", type=float, nargs="+", default=[1e-4, 1e-5])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    a = ap.parse_args(argv)
    from importlib.metadata import version

    os.environ.setdefault("TQDM_DISABLE", "1")  # AequilibraE's progress bars
    ae_version = version("aequilibrae")
    print(f"aequilibrae {ae_version}")
    rows = []
    for name in NETWORKS:
        folder = a.data / name
        if not (folder / f"{name}_net.tntp").exists():
            print(f"== {name}: not present in {a.data}; skipped")
            continue
        net, meta, demand, ref, notes = load(folder, name)
        print(f"== {name}: {net.n_nodes} nodes, {net.n_links} links, {len(demand)} zones; "
              f"adaptations: {'; '.join(notes) or 'none needed'}")
        for gap in a.gaps:
            l0 = loadavg()
            tc_s, tc_it, tc_gap, tc_flow = solve_twincity(net, meta, demand, gap, a.repeat)
            # AequilibraE on 1 and on 2 threads (set_cores); the faster counts: on a busy
            # machine its 2-thread runs wait on each other (OpenMP) far longer than they compute
            ae = {c: solve_aequilibrae(net, meta, demand, gap, a.repeat, cores=c) for c in (1, 2)}
            cores = min(ae, key=lambda c: ae[c][0])
            ae_s, ae_setup, ae_it, ae_gap, ae_flow = ae[cores]
            other = ae[3 - cores][0]
            print(f"  gap {gap:g} (load {l0} -> {loadavg()}):")
            print(f"    twincity    {tc_it:5d} it  {tc_s:8.3f} s  gap {tc_gap:.2e}"
                  + (f"  vs best-known: {deviation(tc_flow, ref)}" if ref is not None else ""))
            print(f"    aequilibrae {ae_it:5d} it  {ae_s:8.3f} s  gap {ae_gap:.2e}"
                  + (f"  vs best-known: {deviation(ae_flow, ref)}" if ref is not None else "")
                  + f"  (+ {ae_setup:.3f} s graph/matrix setup; {cores} thread(s), "
                  f"{other:.3f} s on {3 - cores})")
            print(f"    solve-time ratio aequilibrae/twincity {ae_s / tc_s:.2f}x; flows between "
                  f"the tools: {deviation(tc_flow, ae_flow)}")
            rows.append({"network": name, "gap": gap, "load": f"{l0} -> {loadavg()}",
                         "twincity": {"s": tc_s, "iterations": tc_it, "gap": tc_gap},
                         "aequilibrae": {"s": ae_s, "setup_s": ae_setup, "iterations": ae_it,
                                         "gap": ae_gap, "version": ae_version,
                                         "threads": cores, "other_threads_s": other},
                         "max_rel_flow_diff": float(np.max(np.abs(tc_flow - ae_flow)
                                                           / np.maximum(ae_flow, 1e-9))),
                         "adaptations": notes})
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
