"""Dynamic user equilibrium against UXsim and SUMO, by wall time to a common gap.

Usage (from the repository root):

    python benchmarks/peers/due.py --grid 10 --trips 50000 --lanes 2 --budget 600 \\
        --json benchmarks/latest/due-grid10-50000-2lane.json

Runs twincity's :class:`~twincity.traffic.equilibrium.DynamicEquilibrium`,
UXsim ``SolverDUE`` (C++ engine, vehicle logging on) and SUMO
``duaIterate.py --mesosim`` on the same network and trips (the scenario of
:mod:`scenario`, as in :mod:`compare`), each in its own process
(:mod:`due_workers`, which says how each method is set up), and reports per
iteration: wall time since the process started (less the benchmark's own
measuring), the tool's own convergence figure, the **common gap**
(:mod:`commongap`: every tool's day scored the same way by twincity), mean
travel time and completed trips.

**Bounded runs.** Each tool stops at ``--max-iter`` iterations or when an
iteration ends past ``--budget`` seconds (the parent kills it at budget + 50%
+ 60 s); the table says which. The machine has 2 cores shared with other
users: the 1-minute load average is printed before and after each run.

The headline is each tool's wall time to a common gap of 0.02 and 0.01, or
"not reached in N iterations / T s", and twincity's speed-up over the fastest
peer that reaches it (target ≥ 10×).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from compare import measure  # noqa: E402
from scenario import export, grid_scenario  # noqa: E402

TOOLS = ("twincity", "uxsim", "sumo")
GAPS = (0.02, 0.01)
#: twincity's wall time to a gap at least this many times below the fastest peer's.
TARGET_SPEEDUP = 10.0


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run_tool(tool: str, folder: Path, budget_s: float, max_iter: int, seed: int) -> dict:
    out = folder / f"due-{tool}.json"
    cmd = [sys.executable, str(HERE / "due_workers.py"), tool, str(folder), str(out),
           "--budget", str(budget_s), "--max-iter", str(max_iter), "--seed", str(seed)]
    load0 = loadavg()
    status, wall, rss, text = measure(cmd, budget_s * 1.5 + 60.0)
    doc = json.loads(out.read_text()) if out.exists() else {"tool": tool, "iterations": []}
    doc.update(status=status, process_wall_s=wall, peak_rss_mb=rss, load_before=load0,
               load_after=loadavg())
    if status != "ok":
        doc["stopped_by"] = "killed at the parent's limit" if status.startswith("timeout") \
            else status
        doc["log"] = text[-3000:]
    return doc


def time_to_gap(doc: dict, gap: float) -> float | None:
    """Wall time of the first iteration whose common gap is at most ``gap`` (None: never)."""
    return next((r["wall_s"] for r in doc["iterations"]
                 if r["common_gap"] is not None and r["common_gap"] <= gap), None)


def speedup_bound(docs: list[dict], gap: float) -> float | None:
    """When no peer reached ``gap``: the least ratio of a peer's last recorded wall time to
    twincity's time to the gap (a peer that never got there needs longer than that)."""
    tc = next((time_to_gap(d, gap) for d in docs if d["tool"] == "twincity"), None)
    lasts = [d["iterations"][-1]["wall_s"] for d in docs
             if d["tool"] != "twincity" and d["iterations"]]
    if tc is None or not lasts or any(time_to_gap(d, gap) is not None for d in docs
                                      if d["tool"] != "twincity"):
        return None
    return min(lasts) / tc


def _own(r: dict) -> str:
    return " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                    for k, v in r["own"].items())


def report(name: str, docs: list[dict]) -> list[str]:
    lines = [f"scenario {name}"]
    for doc in docs:
        its = doc["iterations"]
        lines += ["", f"[{doc['tool']}] {len(its)} iterations, stopped by "
                  f"{doc.get('stopped_by')}, budget {doc.get('budget_s')} s; process wall "
                  f"{doc.get('process_wall_s', 0):.1f} s, peak {doc.get('peak_rss_mb') or 0:.0f}"
                  f" MB; load average before {doc.get('load_before')}, after "
                  f"{doc.get('load_after')}"]
        lines.append(f"{'it':>3} {'wall s':>8} {'common gap':>10} {'mean tt s':>9} "
                     f"{'completed':>9}  own measure")
        for r in its:
            mt = r["mean_travel_time_s"]
            lines.append(f"{r['iteration']:>3} {r['wall_s']:>8.2f} {r['common_gap']:>10.5f} "
                         f"{'-' if mt is None else format(mt, '.1f'):>9} {r['completed']:>9}  "
                         f"{_own(r)}")
    lines += ["", "headline: wall time to a common gap"]
    by_tool = {d["tool"]: d for d in docs}
    for gap in GAPS:
        cells = []
        for tool, doc in by_tool.items():
            t = time_to_gap(doc, gap)
            its = doc["iterations"]
            last = its[-1]["wall_s"] if its else 0.0
            cells.append(f"{tool} {t:.1f} s" if t is not None else
                         f"{tool} not reached in {len(its)} iterations / {last:.0f} s")
        tc = time_to_gap(by_tool["twincity"], gap) if "twincity" in by_tool else None
        peers = [t for tool, d in by_tool.items() if tool != "twincity"
                 and (t := time_to_gap(d, gap)) is not None]
        if tc is not None and peers:
            ratio = min(peers) / tc
            verdict = (f"speed-up vs fastest peer reaching it {ratio:.1f}x (target >= "
                       f"{TARGET_SPEEDUP:.0f}x: {'met' if ratio >= TARGET_SPEEDUP else 'missed'})")
        elif tc is not None and (bound := speedup_bound(docs, gap)) is not None:
            verdict = (f"no peer reached it within its budget; speed-up > {bound:.1f}x (each "
                       f"peer's last recorded iteration over twincity's time: a lower bound)")
        elif tc is not None:
            verdict = "no peer reached it within its budget"
        else:
            verdict = "twincity did not reach it"
        lines.append(f"  gap {gap}: " + "; ".join(cells) + f" -> {verdict}")
    return lines


def warm_twincity(budget_s: float) -> None:
    """Compile/load twincity's kernels (and the measure's) once, on a tiny grid."""
    with tempfile.TemporaryDirectory() as tmp:
        name, w = grid_scenario(3, 200, 1)
        export(name, w, Path(tmp), sumo=False)
        doc = run_tool("twincity", Path(tmp), budget_s, 2, 1)
        if doc["status"] != "ok":
            raise RuntimeError(f"twincity warm-up failed: {doc.get('log')}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, default=10)
    ap.add_argument("--trips", type=int, default=50_000)
    ap.add_argument("--lanes", type=int, default=2)
    ap.add_argument("--tools", default=",".join(TOOLS))
    ap.add_argument("--budget", type=float, default=600.0, help="wall budget per tool (s)")
    ap.add_argument("--max-iter", type=int, default=50, help="iteration cap per tool")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write every record as JSON")
    ap.add_argument("--keep", type=Path, help="keep the scenario and tool outputs here")
    ap.add_argument("--update", action="store_true",
                    help="rerun only --tools and keep the other tools' runs of the --json file")
    a = ap.parse_args(argv)
    tools = [t for t in a.tools.split(",") if t]
    if set(tools) - set(TOOLS):
        ap.error(f"unknown tool: {sorted(set(tools) - set(TOOLS))}")
    folder = a.keep or Path(tempfile.mkdtemp(prefix="twincity-due-"))
    try:
        name, w = grid_scenario(a.grid, a.trips, a.lanes, a.seed)
        info = export(name, w, folder, sumo="sumo" in tools)
        if "twincity" in tools:
            warm_twincity(a.budget)
        docs = []
        for tool in tools:
            print(f"... {tool} (budget {a.budget:.0f} s, load {loadavg()})", file=sys.stderr,
                  flush=True)
            docs.append(run_tool(tool, folder, a.budget, a.max_iter, a.seed))
    finally:
        if a.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    if a.update and a.json and a.json.exists():
        old = json.loads(a.json.read_text())
        if old["scenario"] != info.__dict__:
            raise SystemExit(f"due.py: {a.json} holds another scenario; not updated")
        new = {d["tool"]: d for d in docs}
        docs = [new.pop(d["tool"], d) for d in old["runs"]] + list(new.values())
    if a.json:
        a.json.write_text(json.dumps({"scenario": info.__dict__, "runs": docs}, indent=1))
    print("\n".join(report(name, docs)))


if __name__ == "__main__":
    main()
