"""What every figure needs: results from an object or a folder, names, clock, link windows.

Figures are built on ``matplotlib.figure.Figure`` directly (no pyplot state,
no GUI backend), so they work in scripts, workers, servers and notebooks.

Example:
    >>> hours_label((7.0, 10.0))
    '07:00–10:00'
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from twincity.errors import InputError
from twincity.results import Results

if TYPE_CHECKING:
    from matplotlib.figure import Figure



def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure with constrained layout, outside pyplot."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width_in, height_in), layout="constrained")


def as_results(source: Results | str | Path) -> Results:
    """``source`` itself, or the results folder it names read (one-line error if it is not one)."""
    if isinstance(source, Results):
        return source
    folder = Path(source)
    if not (folder / "summary.json").is_file():
        raise InputError(f"{folder}: not a results folder; expected summary.json written by "
                         "`twincity run`")
    return Results.read(folder)


def city_name(results: Results) -> str:
    """The city's name from the resolved scenario (``?`` when absent)."""
    return str(results.scenario.get("city", {}).get("name", "?"))


def run_label(results: Results) -> str:
    """City, policies added or left out, and seed: what a title says about where."""
    prov = results.provenance
    parts = [city_name(results)]
    added = [p.get("label", p.get("name", "?")) for p in prov.get("policies", [])
             if isinstance(p, dict) and not p.get("in_force")]
    if added:
        parts.append("+ " + ", ".join(added))
    if prov.get("without"):
        parts.append("without " + ", ".join(prov["without"]))
    if prov.get("seed") is not None:
        parts.append(f"seed {prov['seed']}")
    return " ".join(parts)


def sample_share(results: Results) -> float:
    """The simulated share of traffic (link counts are divided by it)."""
    return float(results.scenario.get("simulation", {}).get("sample_share", 1.0))


def hours_label(window_h: tuple[float, float]) -> str:
    """``HH:MM–HH:MM`` of a window in hours."""
    def hm(h: float) -> str:
        return f"{int(h) % 24:02d}:{round((h % 1) * 60):02d}"
    return f"{hm(window_h[0])}–{hm(window_h[1])}"


def require_table(results: Results, name: str, why: str) -> pd.DataFrame:
    """The table ``name``, or a one-line error saying what the figure needed it for."""
    table = results.tables.get(name)
    if table is None or table.empty:
        raise InputError(f"results of {city_name(results)} have no {name!r} table; {why}")
    return table


def link_window(results: Results, window_h: tuple[float, float] | None = None
                ) -> pd.DataFrame:
    """Per link, the traffic of a clock window (whole day when ``None``), at full scale.

    Columns: ``flow_veh`` (vehicles leaving the link, divided by the sample
    share), ``flow_vph`` (per hour of the window), ``volume_capacity`` (flow
    per hour over the link's capacity), ``speed_ratio`` (free-flow time over
    the flow-weighted mean travel time: 1 at free flow, NaN where nobody
    drove), ``queue_veh`` (largest queue at an interval's end), and the
    link's pollutant and energy columns (day totals at full scale).
    """
    net = require_table(results, "network", "maps need the road network (network.parquet, "
                                            "written by runs of this version: run it again)")
    links = require_table(results, "links", "maps need simulated traffic")
    share = sample_share(results)
    sim = results.scenario.get("simulation", {})
    start_s, interval_s = float(sim.get("start_s", 0.0)), float(sim.get("interval_s", 900.0))
    if window_h is None:
        rows = links
        hours = len(links["interval"].unique()) * interval_s / 3600.0
    else:
        clock_h = ((start_s + links["start_s"].to_numpy(float)) / 3600.0) % 24.0
        keep = (clock_h >= window_h[0]) & (clock_h < window_h[1])
        rows = links[keep]
        hours = len(np.unique(links["interval"].to_numpy()[keep])) * interval_s / 3600.0
    n = len(net)
    idx = rows["link"].to_numpy()
    out_veh = rows["outflow_veh"].to_numpy(float)
    flow = np.bincount(idx, weights=out_veh, minlength=n)
    time_sum = np.bincount(idx, weights=out_veh * np.nan_to_num(
        rows["mean_travel_time_s"].to_numpy(float)), minlength=n)
    queue = np.zeros(n)
    np.maximum.at(queue, idx, rows["queue_veh"].to_numpy(float))
    free = net["free_flow_time_s"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        speed_ratio = np.where(flow > 0, free * flow / time_sum, np.nan)
        flow_vph = flow / share / hours if hours > 0 else np.full(n, np.nan)
    out = pd.DataFrame({"link": np.arange(n), "flow_veh": flow / share, "flow_vph": flow_vph,
                        "volume_capacity": flow_vph / net["capacity_vph"].to_numpy(float),
                        "speed_ratio": np.minimum(speed_ratio, 1.0),
                        "queue_veh": queue / share})
    for col in ("co2_g", "nox_g", "pm25_exhaust_g", "pm25_nonexhaust_g", "energy_kwh"):
        if col in rows:
            out[col] = np.bincount(idx, weights=rows[col].to_numpy(float), minlength=n) / share
    return out


def finite_range(values: Any) -> tuple[float, float]:
    """(min, max) of the finite values, (0, 1) when there are none."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return (float(v.min()), float(v.max())) if v.size else (0.0, 1.0)
