"""``benchmarks/latest/SUMMARY.md``: every headline ratio of issue 16 in one table.

Usage (from the repository root; ``run_all.sh`` calls it last):

    python benchmarks/summary.py [--latest benchmarks/latest]

Reads the JSON files the benchmarks wrote into ``latest/`` (DUE time to gap:
``due-*.json``; fixed routes: ``peers-*.json``; static assignment:
``static-aequilibrae.json``; start-up: ``startup.json``; ensembles:
``ensemble.json``) and writes one row per figure with its target, the verdict,
the load average it was measured under, plus the date, machine and versions.
A benchmark whose file is missing is listed as *not measured*. Nothing here is
typed in by hand: rerun the benchmarks, then this, and the table follows.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "peers"))

PACKAGES = ("twincity", "numba", "numpy", "uxsim", "eclipse-sumo", "aequilibrae", "dask",
            "distributed")


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "not installed"


def _verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "**missed**")


def due_rows(latest: Path) -> list[list[str]]:
    from due import GAPS, TARGET_SPEEDUP, speedup_bound, time_to_gap

    rows = []
    for f in sorted(latest.glob("due-*.json")):
        doc = json.loads(f.read_text())
        runs = {r["tool"]: r for r in doc["runs"]}
        name = doc["scenario"]["name"]
        load = "; ".join(f"{t}: {r.get('load_before')}" for t, r in runs.items())
        for gap in GAPS:
            times = {t: time_to_gap(r, gap) for t, r in runs.items()}
            cells = []
            for t, r in runs.items():
                its = r["iterations"]
                cells.append(f"{t} {times[t]:.1f} s" if times[t] is not None else
                             f"{t} not reached in {len(its)} it / "
                             f"{its[-1]['wall_s'] if its else 0:.0f} s"
                             + (" (capped)" if r.get("stopped_by") != "iterations" else ""))
            tc = times.get("twincity")
            peers = [v for t, v in times.items() if t != "twincity" and v is not None]
            ratio = min(peers) / tc if tc and peers else None
            bound = speedup_bound(doc["runs"], gap)
            first = gap == GAPS[0]
            if ratio is not None:
                shown, verdict = f"{ratio:.1f}x", _verdict(ratio >= TARGET_SPEEDUP) if first \
                    else "(reported)"
            elif bound is not None:
                shown = f"> {bound:.1f}x"
                verdict = ("met (lower bound; no peer reached the gap within its budget)"
                           if first and bound >= TARGET_SPEEDUP else
                           "no peer reached it within its budget")
            else:
                shown, verdict = "-", "no peer reached it" if tc else "twincity did not reach it"
            rows.append([f"DUE wall time to common gap {gap}, {name}", ", ".join(cells), shown,
                         f">= {TARGET_SPEEDUP:.0f}x" if first else "(reported)", verdict, load])
    return rows


def fixed_rows(latest: Path) -> list[list[str]]:
    from compare import UNCONGESTED_RATIO

    rows = []
    for f in sorted(latest.glob("peers-*.json")):
        doc = json.loads(f.read_text())
        sc = doc["scenario"]
        if sc["n_trips"] < 300_000:
            continue
        fixed = {r["tool"]: r for r in doc["runs"] if r["regime"] == "fixed"}
        tc = fixed.get("twincity")
        if not tc or tc["status"] != "ok":
            continue
        for tool in ("sumo-meso", "uxsim-cpp"):
            r = fixed.get(tool)
            if r is None:
                continue
            if r["status"] != "ok":
                rows.append([f"fixed routes, {sc['name']}: speed vs {tool}",
                             f"{tool} {r['status']}", "-", ">= 50x", "-", doc.get("load", "-")])
                continue
            ratio = r["wall_s"] / tc["wall_s"]
            dtt = tc["mean_travel_time_s"] / r["mean_travel_time_s"] - 1.0
            # travel times compare only when uncongested (compare.py's rule): in a jam each
            # tool completes a different subset of trips
            free = tc["mean_travel_time_s"] / sc["mean_free_flow_s"] < UNCONGESTED_RATIO
            extra = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
                              for k, v in r.get("extra", {}).items() if k != "log")
            rows.append([f"fixed routes, {sc['name']}: speed vs {tool}",
                         f"twincity {tc['wall_s']:.1f} s ({tc['peak_rss_mb'] or 0:.0f} MB, "
                         f"{tc['completed']:,} completed), {tool} {r['wall_s']:.1f} s "
                         f"({r['peak_rss_mb'] or 0:.0f} MB, {r['completed']:,} completed"
                         + (f", {extra}" if extra else "") + f"); mean tt {dtt:+.1%}"
                         + ("" if free else " (congested: travel times not comparable)"),
                         f"{ratio:.1f}x", ">= 50x, tt within ±15% (uncongested)",
                         _verdict(ratio >= 50 and (abs(dtt) <= 0.15 or not free))
                         + ("" if free else " (speed only)"), doc.get("load", "-")])
    return rows


def static_rows(latest: Path) -> list[list[str]]:
    f = latest / "static-aequilibrae.json"
    if not f.exists():
        return []
    rows = []
    for r in json.loads(f.read_text()):
        ratio = r["aequilibrae"]["s"] / r["twincity"]["s"]
        chicago = r["network"] == "ChicagoSketch" and r["gap"] <= 1e-5
        rows.append([f"static UE {r['network']} gap {r['gap']:g}: solve time vs AequilibraE "
                     f"{r['aequilibrae']['version']}",
                     f"twincity {r['twincity']['s']:.3f} s / {r['twincity']['iterations']} it, "
                     f"AequilibraE {r['aequilibrae']['s']:.3f} s / "
                     f"{r['aequilibrae']['iterations']} it; flows differ by at most "
                     f"{r['max_rel_flow_diff']:.1e} (relative)",
                     f"{ratio:.2f}x", ">= 2x, flows within 1e-3 (Chicago-Sketch, 1e-5)",
                     _verdict(ratio >= 2 and r["max_rel_flow_diff"] <= 1e-3) if chicago
                     else "(reported)", r["load"]])
    return rows


def startup_rows(latest: Path) -> list[list[str]]:
    f = latest / "startup.json"
    if not f.exists():
        return []
    doc = json.loads(f.read_text())
    c = doc["cases"]
    t = c["import twincity"]["best_s"]
    return [["`import twincity` (fresh interpreter, best of 7)",
             f"{t:.3f} s (bare python {c['python -c pass']['best_s']:.3f} s); `twincity --help` "
             f"{c['twincity --help']['best_s']:.3f} s, heavy libraries loaded: "
             f"{c['twincity --help']['heavy'] or 'none'}", "-", "<= 0.5 s", _verdict(t <= 0.5),
             doc["load_before"]]]


def ensemble_rows(latest: Path) -> list[list[str]]:
    f = latest / "ensemble.json"
    if not f.exists():
        return []
    d = json.loads(f.read_text())
    w = d["wall_s"]
    s = d["speedup"]
    return [[f"ensemble {d['runs']} x {d['city']}, 1 -> 2 Dask workers, 1 numba thread each",
             f"{w['1']:.1f} s -> {w['2']:.1f} s", f"{s:.2f}x", ">= 1.8x", _verdict(s >= 1.8),
             "; ".join(f"{k} worker(s): {v}" for k, v in d["load"].items())]]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latest", type=Path, default=HERE / "latest")
    a = ap.parse_args(argv)
    sections = {"dynamic equilibrium vs UXsim and SUMO (item 1)": due_rows(a.latest),
                "fixed routes at scale (item 2)": fixed_rows(a.latest),
                "static assignment vs AequilibraE (item 3)": static_rows(a.latest),
                "ensembles (item 5)": ensemble_rows(a.latest),
                "start-up (item 6)": startup_rows(a.latest)}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=HERE).stdout.strip()
    out = ["# Benchmark summary", "",
           f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M UTC} by `benchmarks/summary.py` from "
           f"the files in `benchmarks/latest/` (commit {commit}). Machine: {platform.node()}, "
           f"{Path('/proc/cpuinfo').read_text().count('processor')} cores (shared with other "
           f"users: the load average is given beside every figure), Python "
           f"{platform.python_version()}.", "",
           "Versions: " + ", ".join(f"{p} {_version(p)}" for p in PACKAGES), "",
           "| figure | measured | ratio | target | verdict | load average |",
           "|---|---|---:|---|---|---|"]
    for title, rows in sections.items():
        if not rows:
            out.append(f"| {title} | *not measured* | | | | |")
        for r in rows:
            out.append("| " + " | ".join(r) + " |")
    out += ["", "Ratios are the peer's wall time over twincity's (higher: twincity faster). "
            "DUE times are from each tool's process start to the end of the iteration whose "
            "common gap first met the threshold (see `benchmarks/peers/due.py` and "
            "`commongap.py`); capped runs were stopped at their wall budget.", ""]
    (a.latest / "SUMMARY.md").write_text("\n".join(out))
    print("\n".join(out))


if __name__ == "__main__":
    main()
