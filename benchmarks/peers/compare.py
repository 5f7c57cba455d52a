"""twincity side by side with UXsim and SUMO on the same scenario.

Usage (from the repository root):

    python benchmarks/peers/compare.py --grid 10 --trips 50000 --lanes 2
    python benchmarks/peers/compare.py --city sejong --trips 50000

Fairness, as far as the tools allow:

- **Same network, trips and horizon.** twincity builds the scenario once
  (:mod:`scenario`) and writes it for every tool: node/link arrays and trips
  for twincity and UXsim, plain XML through ``netconvert`` for SUMO. Links keep
  their length, lanes and free speed; outflow capacity (1800 veh/h/lane on the
  grid) is set in twincity and UXsim (``capacity_out``); jam density is
  133.3 veh/km/lane in twincity and UXsim, and SUMO's default car (5 m + 2.5 m
  gap) has the same spacing. SUMO's capacities follow from its own models
  (car following and junctions in the microsimulation, headway defaults in
  meso) and are not calibrated to 1800 veh/h/lane: compare congested cases
  with that in mind.
- **Same routing regime.** ``fixed``: every tool drives the same free-flow
  shortest-path routes computed once by twincity (UXsim ``enforce_route``,
  SUMO ``<route edges>``). ``dynamic``: each tool's own dynamic routing
  (twincity: day-to-day time-dependent replanning, see :mod:`workers`;
  UXsim: DUO route choice; SUMO: routing at departure and rerouting devices
  every 300 s).
- **Uncongested and congested cases are labelled separately**: a case is
  *uncongested* when twincity's mean travel time in the fixed regime is within
  10 % of the mean free-flow time of the routes.
- **Measured the same way.** Each tool runs in its own process; the parent
  takes wall time (process start to exit: loading the scenario files,
  building the tool's model, simulating) and peak RSS from ``os.wait4``.
  ``sim s`` is the tool's own simulation phase (twincity/UXsim: after reading
  the scenario file; SUMO: its ``clockDuration``). Per-vehicle UXsim
  (``deltan=1``), vehicle logging off, one thread. twincity's numba cache is
  warmed before the timed runs (compile time is measured by the asv
  ``timeraw_`` benchmarks).
- Trips completed = arrived by the end of the horizon; mean travel time over
  completed trips, arrival minus planned departure (SUMO: duration plus
  departure delay).

The last line is ``speedup vs fastest peer: X.XX``: the wall time of the
fastest peer run divided by twincity's, in the ``fixed`` regime (the like-for-like
one). A peer that is not installed is listed as such and skipped.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scenario import ScenarioInfo, city_scenario, export, grid_scenario  # noqa: E402

TOOLS = ("twincity", "uxsim-cpp", "uxsim-py", "sumo-meso", "sumo-micro")
REGIMES = ("fixed", "dynamic")
#: twincity's mean travel time / mean free-flow time below this is "uncongested".
UNCONGESTED_RATIO = 1.10


@dataclass
class Run:
    tool: str
    regime: str
    status: str = "ok"
    completed: int | None = None
    mean_travel_time_s: float | None = None
    wall_s: float | None = None
    sim_s: float | None = None
    peak_rss_mb: float | None = None
    extra: dict = field(default_factory=dict)


def sumo_binary() -> str | None:
    """The ``sumo`` executable itself. The ``eclipse-sumo`` wheel puts a Python wrapper
    script on PATH that starts the binary in a subprocess; timing the binary directly
    keeps a Python start-up out of SUMO's wall time."""
    spec = importlib.util.find_spec("sumo")
    if spec is not None and spec.origin:
        exe = Path(spec.origin).parent / "bin" / "sumo"
        if exe.exists():
            os.environ.setdefault("SUMO_HOME", str(exe.parents[1]))
            return str(exe)
    return shutil.which("sumo")


def availability(tool: str) -> str | None:
    """None if the tool can run here, else why not."""
    if tool.startswith("uxsim"):
        if importlib.util.find_spec("uxsim") is None:
            return "not installed (pip install uxsim)"
        if tool == "uxsim-cpp":
            try:
                import uxsim.uxsim_cpp  # noqa: F401
            except ImportError:
                return "no C++ engine in this uxsim"
    if tool.startswith("sumo") and sumo_binary() is None:
        return "not installed (pip install eclipse-sumo)"
    return None


def _vm_hwm_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def measure(cmd: list[str], timeout_s: float) -> tuple[str, float, float | None, str]:
    """Run ``cmd``; return (status, wall s, peak RSS MB, output).

    Peak RSS comes from ``/usr/bin/time -f %M`` (GNU time reports its child's
    ``ru_maxrss``). Not from our own ``wait4``: Linux carries a parent's RSS
    high-water mark into a forked child's ``ru_maxrss`` across ``exec``, so
    children of this (numba-loaded) process would all report at least its size.
    Without GNU time, ``VmHWM`` of the child is polled from ``/proc``.
    """
    gnu_time = Path("/usr/bin/time")
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as rss_file:
        full = ([str(gnu_time), "-f", "%M", "-o", rss_file.name, *cmd] if gnu_time.exists()
                else cmd)
        t0 = time.perf_counter()
        # own session: a timeout kills the whole group (GNU time and the tool under it)
        proc = subprocess.Popen(full, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        status, hwm_kb = "ok", None
        while proc.poll() is None:
            if not gnu_time.exists():
                hwm_kb = _vm_hwm_kb(proc.pid) or hwm_kb
            if time.perf_counter() - t0 > timeout_s:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                status = f"timeout > {timeout_s:.0f} s"
                break
            time.sleep(0.01)
        wall = time.perf_counter() - t0
        if gnu_time.exists():
            text_kb = rss_file.read().strip().splitlines()
            hwm_kb = int(text_kb[-1]) if text_kb and text_kb[-1].isdigit() else None
        out.seek(0)
        text = out.read().decode(errors="replace")
    if status == "ok" and proc.returncode != 0:
        status = f"failed (exit {proc.returncode})"
    return status, wall, (hwm_kb / 1024.0 if hwm_kb else None), text


def run_worker(tool: str, folder: Path, regime: str, seed: int, timeout_s: float) -> Run:
    res_path = folder / f"{tool}-{regime}.json"
    cmd = [sys.executable, str(HERE / "workers.py"), tool, str(folder), regime, str(res_path),
           "--seed", str(seed)]
    status, wall, rss, text = measure(cmd, timeout_s)
    run = Run(tool, regime, status, wall_s=wall, peak_rss_mb=rss)
    if status == "ok":
        r = json.loads(res_path.read_text())
        run.completed, run.mean_travel_time_s, run.sim_s = (
            r.pop("completed"), r.pop("mean_travel_time_s"), r.pop("sim_s"))
        run.extra = r
    else:
        run.extra = {"log": text[-2000:]}
    return run


def run_sumo(tool: str, folder: Path, regime: str, seed: int, horizon_s: float,
             timeout_s: float) -> Run:
    sumo = folder / "sumo"
    stats = sumo / f"{tool}-{regime}.stats.xml"
    cmd = [sumo_binary(), "-n", str(sumo / "net.net.xml"), "-r", str(sumo / f"{regime}.rou.xml"),
           "--begin", "0", "--end", f"{horizon_s:.0f}", "--seed", str(seed),
           "--no-step-log", "true", "--no-warnings", "true", "--time-to-teleport", "300",
           "--duration-log.statistics", "true",
           "--statistic-output", str(stats)]
    if tool == "sumo-meso":
        cmd += ["--mesosim", "true"]
    if regime == "dynamic":
        cmd += ["--junction-taz", "true", "--device.rerouting.probability", "1",
                "--device.rerouting.period", "300"]
    status, wall, rss, text = measure(cmd, timeout_s)
    run = Run(tool, regime, status, wall_s=wall, peak_rss_mb=rss)
    if status == "ok":
        root = ET.parse(stats).getroot()
        trip = root.find("vehicleTripStatistics").attrib
        run.completed = int(trip["count"])
        if run.completed:
            run.mean_travel_time_s = float(trip["duration"]) + float(trip["departDelay"])
        run.sim_s = float(root.find("performance").attrib["clockDuration"])
        run.extra = {"teleports": int(root.find("teleports").attrib["total"])}
    else:
        run.extra = {"log": text[-2000:]}
    return run


def warm_twincity_cache() -> None:
    """Compile/load the numba kernels once so no timed run pays for compilation."""
    with tempfile.TemporaryDirectory() as tmp:
        _, w = grid_scenario(3, 20, 1)
        export("warm", w, Path(tmp), sumo=False)
        for regime in REGIMES:
            r = run_worker("twincity", Path(tmp), regime, 1, 600)
            if r.status != "ok":
                raise RuntimeError(f"twincity warm-up failed: {r.extra.get('log')}")


def _fmt(x, spec: str) -> str:
    return "-" if x is None else format(x, spec)


def table(info: ScenarioInfo, runs: list[Run], missing: dict[str, str]) -> list[str]:
    lines = [f"scenario {info.name}: {info.n_nodes} nodes, {info.n_links} links, "
             f"{info.n_trips} trips, horizon {info.horizon_s:.0f} s, mean free-flow trip "
             f"{info.mean_free_flow_s:.1f} s"]
    for regime in REGIMES:
        rs = [r for r in runs if r.regime == regime]
        if not rs:
            continue
        tc = next((r for r in rs if r.tool == "twincity" and r.status == "ok"), None)
        label = ""
        if tc is not None and tc.mean_travel_time_s is not None:
            ratio = tc.mean_travel_time_s / info.mean_free_flow_s
            label = (f"{'uncongested' if ratio < UNCONGESTED_RATIO else 'congested'}: twincity "
                     f"mean travel time = {ratio:.2f} × free flow")
        lines.append("")
        lines.append(f"[{regime} routing] {label}")
        head = (f"{'tool':<11} {'completed':>9} {'mean tt s':>9} {'tt/tc':>6} {'wall s':>8} "
                f"{'sim s':>8} {'peak MB':>8} {'wall/tc':>8}  note")
        lines.append(head)
        lines.append("-" * len(head))
        for r in rs:
            tt_ratio = (r.mean_travel_time_s / tc.mean_travel_time_s
                        if tc and r.mean_travel_time_s and tc.mean_travel_time_s else None)
            w_ratio = r.wall_s / tc.wall_s if tc and r.wall_s and r.status == "ok" else None
            note = "" if r.status == "ok" else r.status
            extra = {k: v for k, v in r.extra.items() if k != "log"}
            if extra:
                note = (note + " " + " ".join(f"{k}={v:.3g}" if isinstance(v, float)
                                              else f"{k}={v}" for k, v in extra.items())).strip()
            lines.append(f"{r.tool:<11} {_fmt(r.completed, 'd'):>9} "
                         f"{_fmt(r.mean_travel_time_s, '.1f'):>9} {_fmt(tt_ratio, '.3f'):>6} "
                         f"{_fmt(r.wall_s, '.2f'):>8} {_fmt(r.sim_s, '.2f'):>8} "
                         f"{_fmt(r.peak_rss_mb, '.0f'):>8} {_fmt(w_ratio, '.2f'):>8}  {note}")
    for tool, why in missing.items():
        lines.append(f"{tool:<11} {why}")
    return lines


#: Issue targets: twincity's wall time at least this many times below each peer's.
SPEED_TARGETS = {"sumo-meso": 5.0, "uxsim-cpp": 5.0, "uxsim-py": 100.0}
#: Uncongested mean travel time within this relative distance of each peer's.
TT_TOLERANCE = 0.15


def targets(info: ScenarioInfo, runs: list[Run]) -> list[str]:
    """How the fixed-regime runs compare with the project's targets (reported, not asserted)."""
    fixed = {r.tool: r for r in runs if r.regime == "fixed" and r.status == "ok"}
    tc = fixed.get("twincity")
    if tc is None:
        return []
    lines = ["", "targets (fixed routing):"]
    for tool, want in SPEED_TARGETS.items():
        r = fixed.get(tool)
        if r is None:
            continue
        got = r.wall_s / tc.wall_s
        verdict = "met" if got >= want else f"missed by {want / got:.1f}x"
        lines.append(f"  speed vs {tool:<10} {got:8.2f}x (target >= {want:.0f}x): {verdict}")
    uncongested = (tc.mean_travel_time_s is not None
                   and tc.mean_travel_time_s / info.mean_free_flow_s < UNCONGESTED_RATIO)
    for tool, r in fixed.items():
        if tool == "twincity" or not r.mean_travel_time_s or not uncongested:
            continue
        rel = tc.mean_travel_time_s / r.mean_travel_time_s - 1.0
        verdict = "met" if abs(rel) <= TT_TOLERANCE else "missed"
        lines.append(f"  mean travel time vs {tool:<10} {rel:+7.1%} (target within "
                     f"±{TT_TOLERANCE:.0%}): {verdict}")
    return lines


def speedup(runs: list[Run]) -> str:
    fixed = [r for r in runs if r.regime == "fixed" and r.status == "ok"]
    tc = next((r for r in fixed if r.tool == "twincity"), None)
    peers = [r.wall_s for r in fixed if r.tool != "twincity"]
    if tc is None or not peers:
        return "speedup vs fastest peer: n/a"
    return f"speedup vs fastest peer: {min(peers) / tc.wall_s:.2f}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="twincity vs UXsim vs SUMO on one scenario")
    src = ap.add_mutually_exclusive_group()
    src.add_argument("--grid", type=int, default=10, help="G for a G×G grid (default 10)")
    src.add_argument("--city", help="a shipped city (e.g. sejong)")
    ap.add_argument("--trips", type=int, default=10_000)
    ap.add_argument("--lanes", type=int, default=1, help="lanes per link (grid only)")
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of "
                    + ", ".join(TOOLS))
    ap.add_argument("--regimes", default=",".join(REGIMES))
    ap.add_argument("--seed", type=int, default=1, help="simulation seed of every tool")
    ap.add_argument("--timeout", type=float, default=3600.0, help="per run, seconds")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per tool and regime; the fastest is reported")
    ap.add_argument("--keep", type=Path, help="write the scenario files here and keep them")
    ap.add_argument("--json", type=Path, help="also write the runs as JSON")
    a = ap.parse_args(argv)
    tools = [t for t in a.tools.split(",") if t]
    regimes = [r for r in a.regimes.split(",") if r]
    unknown = set(tools) - set(TOOLS) | set(regimes) - set(REGIMES)
    if unknown:
        ap.error(f"unknown tool or regime: {sorted(unknown)}")

    missing = {t: why for t in tools if (why := availability(t)) is not None}
    folder = a.keep or Path(tempfile.mkdtemp(prefix="twincity-peers-"))
    from twincity.errors import InputError

    try:
        name, w = (city_scenario(a.city, a.trips) if a.city
                   else grid_scenario(a.grid, a.trips, a.lanes))
    except (InputError, FileNotFoundError) as exc:
        print(f"compare.py: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    need_sumo = any(t.startswith("sumo") and t not in missing for t in tools)
    info = export(name, w, folder, sumo=need_sumo)
    warm_twincity_cache()
    load0 = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    runs: list[Run] = []
    try:
        for regime in regimes:
            for tool in tools:
                if tool in missing:
                    continue
                best = None
                for rep in range(max(1, a.repeat)):
                    print(f"... {tool} {regime} ({rep + 1}/{a.repeat})", file=sys.stderr,
                          flush=True)
                    if tool.startswith("sumo"):
                        r = run_sumo(tool, folder, regime, a.seed, info.horizon_s, a.timeout)
                    else:
                        r = run_worker(tool, folder, regime, a.seed, a.timeout)
                    if r.status != "ok":
                        print(r.extra.get("log", ""), file=sys.stderr)
                        best = r
                        break
                    if best is None or r.wall_s < best.wall_s:
                        best = r
                runs.append(best)
    finally:
        if a.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    load = f"{load0} -> {' '.join(Path('/proc/loadavg').read_text().split()[:3])}"
    if a.json:
        a.json.write_text(json.dumps({"scenario": info.__dict__, "load": load,
                                      "runs": [r.__dict__ for r in runs]}, indent=1))
    print("\n".join(table(info, runs, missing) + targets(info, runs)))
    print(f"load average (1, 5, 15 min) before -> after: {load}")
    print(speedup(runs))


if __name__ == "__main__":
    main()
