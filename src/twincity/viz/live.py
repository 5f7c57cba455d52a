"""What a running :class:`~twincity.model.CityModel` shows while it steps through its day.

Used by the dashboard (:mod:`twincity.viz.dashboard`) and usable from a
notebook: the clock, headline numbers so far (full scale: sample counts
divided by the sample share) and the link map of the last hour as SVG whose
links are ``<path>`` elements inside ``<g id="links">`` (links without
traffic in ``<g id="links-idle">``). Nothing here needs Solara.

Example:
    >>> clock_text(8 * 3600 + 15 * 60)
    '08:15'
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from twincity.results import Results

if TYPE_CHECKING:
    from twincity.model import CityModel

#: Headline numbers of :func:`live_kpis`: key → (label, unit).
LIVE_KPIS: dict[str, tuple[str, str]] = {
    "person_trips_planned": ("person trips in the simulated span", "trips"),
    "vehicles_on_road": ("vehicles on the road now", "veh"),
    "vehicle_km_so_far": ("road vehicle-km so far", "veh-km"),
    "delay_so_far": ("delay so far", "veh-h"),
    "co2_so_far": ("road CO₂ so far", "t"),
}


def clock_text(clock_s: float) -> str:
    """``HH:MM`` of a time of day in seconds."""
    minutes = round(clock_s / 60.0)
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def live_results(model: CityModel) -> Results:
    """The links so far and the network as a :class:`Results` the map functions read."""
    from twincity.city.maps import network_table

    cache = model.__dict__.setdefault("_viz_cache", {})
    if "network" not in cache:
        cache["network"] = network_table(model.city)
        cache["scenario"] = model.loaded.resolved_dict()
    tables = {"network": cache["network"]}
    traffic = model.traffic
    if traffic is not None:
        links = traffic.sim.link_table()
        units = {name: "kwh" if name == "energy" else "g" for name in traffic.pollutants}
        links = links.rename(columns={f"emission_{p}_g": f"{name}_{units[name]}"
                                      for p, name in enumerate(traffic.pollutants)})
        tables["links"] = links
    return Results(tables=tables, scenario=cache["scenario"], provenance={"seed": model.seed})


def live_kpis(model: CityModel) -> dict[str, float]:
    """Headline numbers of the day so far, at full scale (see :data:`LIVE_KPIS`)."""
    traffic = model.traffic
    if traffic is None:
        return {}
    share = traffic.share
    res = live_results(model)
    links, net = res.tables["links"], res.tables["network"]
    out_veh = links["outflow_veh"].to_numpy(float)
    idx = links["link"].to_numpy()
    length_m = net["length_m"].to_numpy(float)[idx]
    free_s = net["free_flow_time_s"].to_numpy(float)[idx]
    excess_s = np.nan_to_num(links["mean_travel_time_s"].to_numpy(float)) - free_s
    return {
        "person_trips_planned": len(traffic.trips) / share,
        "vehicles_on_road": traffic.observations()["vehicles_on_road"],
        "vehicle_km_so_far": float(np.sum(out_veh * length_m)) / share / 1000.0,
        "delay_so_far": float(np.sum(out_veh * np.maximum(excess_s, 0.0))) / share / 3600.0,
        "co2_so_far": float(links["co2_g"].sum()) / share / 1e6 if "co2_g" in links else 0.0,
    }


def live_map_svg(model: CityModel, width_in: float = 7.0) -> str:
    """The link map of the last simulated hour (speed relative to free flow) as SVG text."""
    from twincity.viz.common import hours_label, link_window, new_figure
    from twincity.viz.maps import METRICS, draw_links

    res = live_results(model)
    start_h = float(model.city.spec.simulation.start_s) / 3600.0
    hi = model.clock_s / 3600.0
    lo = max(start_h, hi - 1.0)
    values = np.full(len(res.tables["network"]), np.nan)
    if "links" in res.tables and hi > lo:   # (an hour across midnight shows no speeds)
        window = (lo % 24.0, (hi - 1e-6) % 24.0 + 1e-6)
        values = link_window(res, window)["speed_ratio"].to_numpy(float)
    m = METRICS["speed"]
    fig = new_figure(width_in, width_in * 0.9)
    ax = fig.add_subplot()
    lines = draw_links(ax, res, values, cmap=m.cmap, vmin=0.0, vmax=1.0)
    lines.set_gid("links")
    ax.collections[0].set_gid("links-idle")
    fig.colorbar(lines, ax=ax, label=m.label, shrink=0.8)
    when = hours_label((lo, hi)) if hi > lo else "start of the day (nothing driven yet)"
    ax.set_title(f"{model.city.spec.city.name}: speed / free flow, {when}")
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    # scale with its container (the viewBox keeps the proportions)
    return re.sub(r'^<svg([^>]*?) width="[^"]*" height="[^"]*"', r'<svg\1 width="100%"', text,
                  count=1)


def series_figure(model: CityModel) -> Any:
    """The day so far per interval: road vehicles, vehicle-km and delay, CO₂ (full scale)."""
    from twincity.viz.common import new_figure

    fig = new_figure(6.0, 6.4)
    top, mid, low = fig.subplots(3, 1, sharex=True)
    df = model.datacollector.get_model_vars_dataframe()
    if len(df) and "vehicles_on_road" in df:
        hours = df["time_s"].to_numpy(float) / 3600.0
        top.plot(hours, df["vehicles_on_road"].to_numpy(float), "o-", ms=3, label="on the road")
        if "vehicles_waiting_to_enter" in df:
            top.plot(hours, df["vehicles_waiting_to_enter"].to_numpy(float), "s-", ms=3,
                     label="waiting to enter")
        top.legend(fontsize="x-small")
    top.set_ylabel("vehicles")
    top.set_title("at the end of each interval", fontsize="small")
    series = interval_series(model)
    if series is not None:
        end_h = series["end_h"]
        mid.plot(end_h, series["vehicle_km"], "o-", ms=3, color="C2", label="vehicle-km")
        mid.set_ylabel("veh-km per interval")
        twin = mid.twinx()
        twin.plot(end_h, series["delay_h"], "s--", ms=3, color="C3", label="delay")
        twin.set_ylabel("delay, veh-h", color="C3")
        low.plot(end_h, series["co2_t"], "o-", ms=3, color="0.3")
    low.set_ylabel("road CO₂, t")
    low.set_xlabel("hour of day")
    return fig


def interval_series(model: CityModel) -> dict[str, np.ndarray] | None:
    """Per interval so far: end hour, vehicle-km, delay (veh-h) and road CO₂ (t), full scale."""
    traffic = model.traffic
    if traffic is None:
        return None
    res = live_results(model)
    links, net = res.tables["links"], res.tables["network"]
    if links.empty:
        return None
    idx = links["link"].to_numpy()
    out_veh = links["outflow_veh"].to_numpy(float)
    excess = np.maximum(np.nan_to_num(links["mean_travel_time_s"].to_numpy(float))
                        - net["free_flow_time_s"].to_numpy(float)[idx], 0.0)
    interval = links["interval"].to_numpy()
    n = int(interval.max()) + 1
    share = traffic.share

    def per(weights: np.ndarray) -> np.ndarray:
        return np.bincount(interval, weights=weights, minlength=n) / share

    sim = model.city.spec.simulation
    co2 = links["co2_g"].to_numpy(float) if "co2_g" in links else np.zeros(len(links))
    return {"end_h": (sim.start_s + (np.arange(n) + 1) * sim.interval_s) / 3600.0,
            "vehicle_km": per(out_veh * net["length_m"].to_numpy(float)[idx]) / 1000.0,
            "delay_h": per(out_veh * excess) / 3600.0,
            "co2_t": per(co2) / 1e6}
