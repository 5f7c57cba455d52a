"""Link maps: speed relative to free flow, volume/capacity, queues, emissions, differences.

Each link is a segment shifted to the right of its direction of travel
(:func:`twincity.viz.geometry.offset_segments`), coloured by a per-link value
and drawn wider with more lanes. Links nobody drove in a window are drawn thin
and grey (no speed to show). Axes are km east/north of the network's centre
with longitude/latitude on the top and right axes and a scale bar; no web
tiles (no network access is assumed).

Example:
    >>> from twincity.viz.maps import link_map            # doctest: +SKIP
    >>> link_map("results/sejong-seed2013").savefig("speed.png")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from twincity.errors import InputError
from twincity.results import Results
from twincity.traffic.kpis import PEAK_PERIODS_H
from twincity.viz.common import (
    as_results,
    city_name,
    finite_range,
    hours_label,
    link_window,
    new_figure,
    require_table,
    run_label,
)
from twincity.viz.geometry import (
    add_lonlat_axes,
    add_scale_bar,
    default_offset_m,
    link_zone,
    network_centre_m,
    offset_segments,
    zone_raster,
)


@dataclass(frozen=True)
class Metric:
    """A per-link quantity a map can show: its column, label with unit, colours and range."""

    column: str
    label: str
    cmap: str
    vmin: float | None = None
    vmax: float | None = None
    scale: float = 1.0   # column value × scale = shown value


#: The link quantities of :func:`link_map` and :func:`difference_map`.
METRICS: dict[str, Metric] = {
    "speed": Metric("speed_ratio", "speed / free-flow speed (1 = free flow)", "RdYlGn", 0.0, 1.0),
    "vc": Metric("volume_capacity", "volume / capacity (flow per hour over capacity)",
                 "magma_r", 0.0, None),
    "queue": Metric("queue_veh", "largest queue, vehicles", "Reds", 0.0, None),
    "flow": Metric("flow_veh", "vehicles leaving the link, veh", "viridis", 0.0, None),
    "co2": Metric("co2_g", "CO₂, kg per km of link per day", "YlOrBr", 0.0, None, 1e-3),
    "nox": Metric("nox_g", "NOx, g per km of link per day", "YlOrBr", 0.0, None),
    "pm25": Metric("pm25_exhaust_g", "exhaust PM2.5, g per km of link per day", "YlOrBr", 0.0,
                   None),
}
#: Metrics that are amounts per link, shown per km of link.
PER_KM = ("co2", "nox", "pm25")


def _metric(name: str) -> Metric:
    if name not in METRICS:
        raise InputError(f"unknown map metric {name!r}; expected one of {', '.join(METRICS)}")
    return METRICS[name]


def metric_values(results: Results, name: str, window_h: tuple[float, float] | None
                  ) -> np.ndarray:
    """The per-link values a map of ``name`` shows (NaN: nothing to show on that link)."""
    m = _metric(name)
    table = link_window(results, window_h)
    if m.column not in table:
        raise InputError(f"results of {city_name(results)} have no {m.column!r} link column; "
                         f"the {name!r} map needs it")
    values = table[m.column].to_numpy(float) * m.scale
    if name in PER_KM:
        length_km = results.tables["network"]["length_m"].to_numpy(float) / 1000.0
        values = values / np.maximum(length_km, 1e-3)
    return values


def draw_links(ax: Any, results: Results, values: np.ndarray, *, cmap: str, vmin: float,
               vmax: float, offset_m: float | None = None) -> Any:
    """Draw every link of ``results`` on ``ax`` coloured by ``values``; return the collection.

    Links with a NaN value are drawn thin in light grey (no value), in a
    collection of their own beneath, so the colour bar spans only values.
    """
    from matplotlib.collections import LineCollection

    net = results.tables["network"]
    cx, cy = network_centre_m(net)
    offset = default_offset_m(net) if offset_m is None else offset_m
    seg_km = (offset_segments(net, offset) - np.array([cx, cy])) / 1000.0
    lanes = net["lanes"].to_numpy(float)
    shown = np.isfinite(values)
    ax.add_collection(LineCollection(seg_km[~shown], colors="0.85", linewidths=0.5,
                                     label="_no value"))
    lines = LineCollection(seg_km[shown], array=values[shown], cmap=cmap,
                           linewidths=0.6 + 0.45 * np.clip(lanes[shown], 1, 5))
    lines.set_clim(vmin, vmax)
    ax.add_collection(lines)
    ax.autoscale_view()
    _km_axes(ax)
    city = results.scenario.get("city", {})
    if "longitude_deg" in city and "latitude_deg" in city:
        add_lonlat_axes(ax, float(city["longitude_deg"]), float(city["latitude_deg"]))
    add_scale_bar(ax)
    return lines


def _limits(m: Metric, values: list[np.ndarray]) -> tuple[float, float]:
    lo, hi = finite_range(np.concatenate(values))
    vmin = m.vmin if m.vmin is not None else lo
    vmax = m.vmax if m.vmax is not None else max(hi, vmin + 1e-9)
    return vmin, vmax


def link_map(source: Results | str | Path, metric: str = "speed",
             windows_h: Sequence[tuple[float, float] | None] = PEAK_PERIODS_H) -> Any:
    """Maps of one link quantity, one panel per clock window (AM and PM peaks by default).

    ``metric``: ``speed`` (speed relative to free flow), ``vc`` (volume/capacity),
    ``queue``, ``flow``, or an emission (``co2``, ``nox``, ``pm25`` per km of link).
    A window of ``None`` is the whole simulated day. Panels share one colour scale.
    """
    results = as_results(source)
    m = _metric(metric)
    values = [metric_values(results, metric, w) for w in windows_h]
    vmin, vmax = _limits(m, values)
    fig = new_figure(6.0 * len(values) + 0.8, 6.2)
    axes = fig.subplots(1, len(values), squeeze=False)[0]
    lines = None
    for ax, v, w in zip(axes, values, windows_h, strict=True):
        lines = draw_links(ax, results, v, cmap=m.cmap, vmin=vmin, vmax=vmax)
        ax.set_title(hours_label(w) if w is not None else "whole simulated day")
    fig.colorbar(lines, ax=list(axes), label=m.label, shrink=0.8)
    fig.suptitle(f"{run_label(results)}: {m.label.split(',')[0].split(' (')[0]} per link "
                 "(directions offset to the right of travel)")
    return fig


def difference_map(policy: Results | str | Path, baseline: Results | str | Path,
                   metric: str = "flow", window_h: tuple[float, float] | None = None) -> Any:
    """Where traffic or emissions moved: ``policy − baseline`` per link, diverging colours.

    The two results must share the road network (same links in the same order);
    the colour scale is symmetric about zero (blue: less, red: more under the
    policy). Speed differences are of the ratio to free flow, links unused in
    either run count as free flow.
    """
    a, b = as_results(policy), as_results(baseline)
    net_a, net_b = (require_table(r, "network", "difference maps need the road network")
                    for r in (a, b))
    same = len(net_a) == len(net_b) and np.array_equal(
        net_a[["from_node", "to_node"]].to_numpy(), net_b[["from_node", "to_node"]].to_numpy())
    if not same:
        raise InputError(f"{run_label(a)} and {run_label(b)} have different road networks; a "
                         "difference map needs the same links")
    m = _metric(metric)
    va, vb = metric_values(a, metric, window_h), metric_values(b, metric, window_h)
    fill = 1.0 if metric == "speed" else 0.0
    diff = np.nan_to_num(va, nan=fill) - np.nan_to_num(vb, nan=fill)
    lim = float(np.max(np.abs(diff))) if diff.size else 0.0
    lim = lim if lim > 0 else 1.0
    fig = new_figure(7.4, 6.4)
    ax = fig.add_subplot()
    lines = draw_links(ax, a, diff, cmap="RdBu_r", vmin=-lim, vmax=lim)
    fig.colorbar(lines, ax=ax, label=f"difference in {m.label}", shrink=0.8)
    when = hours_label(window_h) if window_h is not None else "whole simulated day"
    ax.set_title(f"{run_label(a)} − {run_label(b)}\n{m.label.split(',')[0]} ({when}); "
                 f"red: more, blue: less", fontsize="medium")
    return fig


def emission_map(source: Results | str | Path, pollutant: str = "nox",
                 cell_km: float = 1.0) -> Any:
    """Road emissions of the simulated day: per km of link, per km² and per zone.

    Left: each link's emission per km of link per day. Middle: the same
    emissions summed into hexagonal cells of ``cell_km`` (each link's
    emission at its midpoint), in kg per km² per year. Right (when the
    results carry zones): per zone, the emissions of the links whose midpoint
    lies in the zone over the zone's area (zones: nearest zone centre,
    clipped to the network's convex hull), kg per km² per year. All count the
    road vehicles as the kernel simulated them (Euro 6d NOx,
    articulated-truck freight); the yearly KPIs add the fleet's Euro mix and
    freight types.
    """
    results = as_results(source)
    if pollutant not in PER_KM:
        raise InputError(f"unknown pollutant {pollutant!r}; expected one of {', '.join(PER_KM)}")
    m = METRICS[pollutant]
    per_km = metric_values(results, pollutant, None)
    per_km = np.where(per_km > 0, per_km, np.nan)
    has_zones = "zones" in results.tables and not results.tables["zones"].empty
    fig = new_figure(19.5 if has_zones else 13.0, 6.2)
    left, right, *rest = fig.subplots(1, 3 if has_zones else 2)
    vmin, vmax = _limits(m, [per_km])
    lines = draw_links(left, results, per_km, cmap=m.cmap, vmin=vmin, vmax=vmax)
    fig.colorbar(lines, ax=left, label=m.label, shrink=0.8)
    left.set_title("per km of link, per day")
    net = results.tables["network"]
    cx, cy = network_centre_m(net)
    mid_x = (net["from_x_m"].to_numpy(float) + net["to_x_m"].to_numpy(float)) / 2000 - cx / 1000
    mid_y = (net["from_y_m"].to_numpy(float) + net["to_y_m"].to_numpy(float)) / 2000 - cy / 1000
    table = link_window(results, None)
    grams_day = table[m.column].to_numpy(float)
    kg_year = grams_day * 365.0 / 1000.0
    span = max(np.ptp(mid_x), np.ptp(mid_y), cell_km)
    gridsize = max(3, round(span / cell_km))
    hexes = right.hexbin(mid_x, mid_y, C=kg_year, reduce_C_function=np.sum, gridsize=gridsize,
                         cmap=m.cmap, mincnt=1)
    # hexbin sums per cell; divide by the cell's area to get a density
    area_km2 = _hex_area_km2(hexes)
    hexes.set_array(hexes.get_array() / area_km2)
    hexes.autoscale()
    _density_axes(fig, right, hexes, m, f"per km² (hexagons of {area_km2:.2g} km²), "
                  "per year at the weekday's rate (× 365)")
    if has_zones:
        _zone_panel(fig, rest[0], results, kg_year, m, cx, cy)
    fig.suptitle(f"{run_label(results)}: road {m.label.split(',')[0]} emissions (simulated "
                 "vehicles, before the Euro-mix and freight corrections of the KPIs)")
    return fig


def zone_densities(results: Results, kg_year: np.ndarray, cell_m: float
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple]:
    """Per zone: kg/yr, area (km²) and kg/km²/yr, and the zone raster with its extent."""
    net, zones = results.tables["network"], results.tables["zones"]
    raster, extent = zone_raster(net, zones, cell_m)
    n = len(zones)
    area_km2 = np.bincount(raster[raster >= 0], minlength=n) * (cell_m / 1000.0) ** 2
    kg = np.bincount(link_zone(net, zones), weights=kg_year, minlength=n)
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(area_km2 > 0, kg / area_km2, np.nan)
    return kg, area_km2, density, (raster, extent)


def _zone_panel(fig: Any, ax: Any, results: Results, kg_year: np.ndarray, m: Metric,
                cx: float, cy: float) -> None:
    net = results.tables["network"]
    span_m = max(float(np.ptp(net[["from_x_m", "to_x_m"]].to_numpy())),
                 float(np.ptp(net[["from_y_m", "to_y_m"]].to_numpy())), 1.0)
    _, _, density, (raster, extent) = zone_densities(results, kg_year, span_m / 200.0)
    image = np.where(raster >= 0, density[np.maximum(raster, 0)], np.nan)
    km = [(extent[0] - cx) / 1000, (extent[1] - cx) / 1000,
          (extent[2] - cy) / 1000, (extent[3] - cy) / 1000]
    shown = ax.imshow(image, origin="lower", extent=km, cmap=m.cmap, interpolation="nearest")
    zones = results.tables["zones"]
    ax.plot((zones["x_m"] - cx) / 1000, (zones["y_m"] - cy) / 1000, "k.", ms=2,
            label="zone centres")
    _density_axes(fig, ax, shown, m, f"per zone ({len(zones)} zones), per km², per year")


def _density_axes(fig: Any, ax: Any, mappable: Any, m: Metric, title: str) -> None:
    """Colour bar in kg per km² per year, km axes, title and scale bar of a density panel."""
    fig.colorbar(mappable, ax=ax, label=f"{m.label.split(',')[0]}, kg per km² per year",
                 shrink=0.8)
    _km_axes(ax)
    ax.set_title(title)
    add_scale_bar(ax)


def _km_axes(ax: Any) -> None:
    ax.set_aspect("equal")
    ax.set_xlabel("km east of the centre")
    ax.set_ylabel("km north of the centre")


def _hex_area_km2(hexes: Any) -> float:
    """Area of one hexagon of a hexbin collection (its path in data units)."""
    verts = hexes.get_paths()[0].vertices[:6]
    x, y = verts[:, 0], verts[:, 1]
    return float(0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))

