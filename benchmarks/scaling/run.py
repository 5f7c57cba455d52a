"""Scaling run: 10k → 1M trips on the synthetic city, wall time and peak memory.

Usage (from the repository root):

    python benchmarks/scaling/run.py                       # 10k 30k 100k 300k 1M
    python benchmarks/scaling/run.py --trips 10000 30000   # a quick look

Each size runs in a fresh process (after one untimed run that fills the numba
cache) doing the whole pipeline: generate the synthetic city
(:data:`common.SYNTHETIC_CITY`), draw local trips (:func:`common.city_trips`: mean
straight-line distance 8 km) departing over
20 h, route them at free flow, build the :class:`TrafficSim`, simulate the
24 h horizon and collect the trip table. The parent records the process wall
time and its peak RSS (GNU ``time``); the child reports each phase.

Writes ``benchmarks/scaling/results.json``, ``benchmarks/scaling/scaling.png``
and the table between the ``scaling`` markers of ``benchmarks/README.md``
(with the machine: nproc, CPU model, RAM, and the load average before and
after).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

DEFAULT_TRIPS = [10_000, 30_000, 100_000, 300_000, 1_000_000]
README = HERE.parent / "README.md"
BEGIN, END = "<!-- scaling:begin -->", "<!-- scaling:end -->"


def one(n_trips: int) -> dict:
    """The pipeline for ``n_trips`` in this process; phase times in s."""
    from benchmarks.common import SEED, city_trips, synthetic_city

    phases = {}
    t = time.perf_counter()
    net = synthetic_city()
    phases["network_s"] = time.perf_counter() - t
    t = time.perf_counter()
    w = city_trips(net, n_trips)
    phases["trips_and_routing_s"] = time.perf_counter() - t
    t = time.perf_counter()
    sim = w.sim(seed=SEED)
    phases["sim_build_s"] = time.perf_counter() - t
    t = time.perf_counter()
    sim.run()
    phases["simulate_s"] = time.perf_counter() - t
    t = time.perf_counter()
    table = sim.trip_table()
    phases["trip_table_s"] = time.perf_counter() - t
    c = sim.counters
    return {"trips": n_trips, **phases, "pipeline_s": sum(phases.values()),
            "transitions": c["transitions"], "arrived": c["arrived"], "stuck": c["stuck"],
            "transitions_per_s": c["transitions"] / phases["simulate_s"],
            "mean_links_per_route": float(w.routes.lengths().mean()),
            "mean_travel_time_s": float(table["travel_time_s"].mean()),
            "n_nodes": net.n_nodes, "n_links": net.n_links}


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(ram_gib, 1),
            "python": platform.python_version(), "platform": platform.platform()}


def measured(n_trips: int) -> dict:
    """Run :func:`one` in a child process; add wall time and peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        out, rss = Path(tmp) / "out.json", Path(tmp) / "rss"
        cmd = [sys.executable, __file__, "--one", str(n_trips), "--out", str(out)]
        if Path("/usr/bin/time").exists():
            cmd = ["/usr/bin/time", "-f", "%M", "-o", str(rss), *cmd]
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t
        res = json.loads(out.read_text())
        res["process_wall_s"] = wall
        if rss.exists():
            res["peak_rss_mb"] = int(rss.read_text().split()[-1]) / 1024.0
    return res


def plot(rows: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["trips"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.loglog(n, [r["process_wall_s"] for r in rows], "o-", label="process wall")
    ax1.loglog(n, [r["trips_and_routing_s"] for r in rows], "s--", label="trips + routing")
    ax1.loglog(n, [r["simulate_s"] for r in rows], "^--", label="simulate")
    ax1.axhline(60.0, color="grey", lw=0.8, ls=":", label="60 s target (1M trips)")
    ax1.set_xlabel("trips")
    ax1.set_ylabel("seconds")
    ax1.legend(fontsize=8)
    ax1.grid(True, which="both", alpha=0.3)
    ax2.semilogx(n, [r.get("peak_rss_mb", float("nan")) for r in rows], "o-", color="C3")
    ax2.set_ylim(bottom=0)
    ax2.set_xlabel("trips")
    ax2.set_ylabel("peak RSS (MB)")
    ax2.grid(True, which="both", alpha=0.3)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def markdown(rows: list[dict], meta: dict) -> str:
    m = meta["machine"]
    lines = [
        f"Measured {meta['date']} on {m['nproc']} × {m['cpu']}, {m['ram_gib']} GiB RAM, "
        f"Python {m['python']}; load average before {meta['load_before']}, after "
        f"{meta['load_after']} (shared machine: other processes were running). "
        f"Network: {rows[0]['n_nodes']} nodes, {rows[0]['n_links']} links.",
        "",
        "| trips | process wall s | trips + routing s | simulate s | peak RSS MB "
        "| link transitions | M transitions/s | arrived | stuck |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['trips']:,} | {r['process_wall_s']:.2f} | {r['trips_and_routing_s']:.2f} "
            f"| {r['simulate_s']:.2f} | {r.get('peak_rss_mb', float('nan')):.0f} "
            f"| {r['transitions']:,} | {r['transitions_per_s'] / 1e6:.1f} | {r['arrived']:,} "
            f"| {r['stuck']:,} |")
    return "\n".join(lines)


def update_readme(text: str) -> None:
    if not README.exists():
        return
    doc = README.read_text()
    if BEGIN in doc and END in doc:
        head, rest = doc.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        README.write_text(f"{head}{BEGIN}\n{text}\n{END}{tail}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trips", type=int, nargs="+", default=DEFAULT_TRIPS)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--no-readme", action="store_true", help="do not update README.md")
    ap.add_argument("--replot", action="store_true",
                    help="redraw the PNG and table from results.json without measuring")
    a = ap.parse_args(argv)
    if a.replot:
        saved = json.loads((HERE / "results.json").read_text())
        rows, meta = saved["rows"], saved["meta"]
        m = meta["machine"]
        plot(rows, HERE / "scaling.png",
             f"twincity scaling, synthetic city ({rows[0]['n_nodes']} nodes, "
             f"{rows[0]['n_links']} links), {m['nproc']} × {m['cpu']}, {meta['date']}")
        if not a.no_readme:
            update_readme(markdown(rows, meta))
        return
    if a.one is not None:
        a.out.write_text(json.dumps(one(a.one)))
        return
    measured(1000)  # fill the numba cache; not reported
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    rows = []
    for n in a.trips:
        r = measured(n)
        rows.append(r)
        print(f"{n:>9} trips: wall {r['process_wall_s']:.2f} s (routing "
              f"{r['trips_and_routing_s']:.2f}, simulate {r['simulate_s']:.2f}), peak "
              f"{r.get('peak_rss_mb', float('nan')):.0f} MB, "
              f"{r['transitions_per_s'] / 1e6:.1f} M transitions/s", flush=True)
    meta = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine(),
            "load_before": load_before,
            "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    (HERE / "results.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    m = meta["machine"]
    plot(rows, HERE / "scaling.png",
         f"twincity scaling, synthetic city ({rows[0]['n_nodes']} nodes, {rows[0]['n_links']} "
         f"links), {m['nproc']} × {m['cpu']}, {meta['date']}")
    md = markdown(rows, meta)
    print(md)
    if not a.no_readme:
        update_readme(md)


if __name__ == "__main__":
    main()
