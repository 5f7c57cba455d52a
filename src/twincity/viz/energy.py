"""Hourly energy of each representative day: what the city draws and what generates it.

One column of panels per representative day (``energy_hourly``'s ``day``; with more
than :data:`MAX_PANELS` days, as in the monthly scheme, the peak days and the
largest-weight day of January, April, July and October — see :func:`panel_days`):
above, the city's electric loads stacked (buildings' base use, heat pumps,
resistance heating, cooling, EV charging) with rooftop PV and battery
discharge drawn below zero (they serve the load locally) and the net load
the grid sees as a line; in the middle, the grid's generation by fuel
stacked (the whole grid the city sits in, with its background load); below,
the average and marginal CO₂ intensity of generation. All in MWh per hour
(= MW of mean power).

Example:
    >>> from twincity.viz.energy import energy_days   # doctest: +SKIP
    >>> energy_days("results/helsinki-seed1").savefig("energy.png")   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twincity.results import Results
from twincity.viz.common import as_results, new_figure, require_table, run_label

#: City loads stacked above zero: column, legend label.
LOADS: tuple[tuple[str, str], ...] = (
    ("base_electric_kwh", "buildings: appliances & lighting"),
    ("heat_pump_electric_kwh", "heat pumps"),
    ("resistance_electric_kwh", "resistance heating"),
    ("cooling_electric_kwh", "cooling"),
    ("ev_charging_kwh", "EV charging"),
)
#: Local supply drawn below zero.
LOCAL: tuple[tuple[str, str], ...] = (
    ("pv_kwh", "rooftop PV"),
    ("battery_discharge_kwh", "battery discharge"),
)
#: Generation by fuel, in merit order.
FUELS: tuple[str, ...] = ("nuclear", "coal", "gas", "oil", "hydro", "wind", "solar", "biomass")
FUEL_COLOURS = {"nuclear": "#7b3294", "coal": "#4d4d4d", "gas": "#f4a582", "oil": "#8c510a",
                "hydro": "#2166ac", "wind": "#92c5de", "solar": "#fddb36",
                "biomass": "#5aae61"}
#: kWh per hour → MWh per hour
_MWH = 1e-3
#: Most day columns drawn; more days are thinned by :func:`panel_days`.
MAX_PANELS = 8
#: A day standing for fewer days of the year than this is a peak day (always drawn).
PEAK_WEIGHT_DAYS = 5.0
_MONTH_START = np.cumsum((0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30))  # day of year − 1


def panel_days(hourly: pd.DataFrame, max_panels: int = MAX_PANELS) -> list[str]:
    """The representative days drawn, in day-of-year order: all of them up to
    ``max_panels``; otherwise the peak days (weight below :data:`PEAK_WEIGHT_DAYS`) and
    the largest-weight day of January, April, July and October (one per season).

    Example:
        >>> h = pd.DataFrame({"day": ["a", "b"], "day_of_year": [15, 196],
        ...                   "weight_days": [180.0, 185.0]})
        >>> panel_days(h)
        ['a', 'b']
    """
    days = (hourly.groupby("day", sort=False, observed=True)[["day_of_year", "weight_days"]]
            .first().reset_index())
    days["day"] = days["day"].astype(str)
    if len(days) <= max_panels:
        return list(days["day"])
    days["month"] = np.searchsorted(_MONTH_START, days["day_of_year"].to_numpy() - 1,
                                    side="right")
    keep = set(days.loc[days["weight_days"] < PEAK_WEIGHT_DAYS, "day"])
    for month in (1, 4, 7, 10):
        of_month = days[(days["month"] == month) & ~days["day"].isin(keep)]
        if len(of_month):
            keep.add(of_month.loc[of_month["weight_days"].idxmax(), "day"])
    chosen = days[days["day"].isin(keep)].sort_values("day_of_year", kind="stable")
    return list(chosen["day"])[:max_panels]


def energy_days(source: Results | str | Path) -> Any:
    """Loads vs local supply, generation by fuel and CO₂ intensity, per representative day."""
    results = as_results(source)
    hourly = require_table(results, "energy_hourly", "the energy figure needs the energy "
                                                     "subsystem's hourly table")
    days = panel_days(hourly)
    n_all = hourly["day"].nunique()
    fig = new_figure(3.4 * len(days) + 1.8, 9.0)
    axes = fig.subplots(3, len(days), squeeze=False, sharex=True, sharey="row")
    has_fuels = [f for f in FUELS if f"gen_{f}_kwh" in hourly
                 and float(hourly[f"gen_{f}_kwh"].sum()) > 0]
    for j, day in enumerate(days):
        d = hourly[hourly["day"].astype(str) == day].sort_values("hour")
        hours = np.append(d["hour"].to_numpy(float), d["hour"].iloc[-1] + 1.0)
        d = pd.concat([d, d.iloc[[-1]]])   # the last hour drawn to its end (step "post")
        weight = float(d["weight_days"].iloc[0]) if "weight_days" in d else float("nan")
        load_ax, gen_ax, int_ax = axes[:, j]
        present = [(c, lab) for c, lab in LOADS if c in d]
        load_ax.stackplot(hours, *[d[c].to_numpy(float) * _MWH for c, _ in present],
                          labels=[lab for _, lab in present], step="post", alpha=0.85)
        local = [(c, lab) for c, lab in LOCAL if c in d and float(d[c].sum()) > 0]
        if local:
            load_ax.stackplot(hours, *[-d[c].to_numpy(float) * _MWH for c, _ in local],
                              labels=[lab for _, lab in local], step="post",
                              colors=["#fee08b", "#abdda4"][:len(local)], alpha=0.85)
        if "city_net_load_kwh" in d:
            load_ax.step(hours, d["city_net_load_kwh"].to_numpy(float) * _MWH, where="post",
                         color="k", lw=1.2, label="net load on the grid")
        load_ax.axhline(0, color="0.4", lw=0.6)
        load_ax.set_title(f"{day.replace('_', ' ')}\n({weight:g} days/yr)", fontsize="medium")
        if has_fuels:
            gen_ax.stackplot(hours, *[d[f"gen_{f}_kwh"].to_numpy(float) * _MWH
                                      for f in has_fuels],
                             labels=has_fuels, colors=[FUEL_COLOURS[f] for f in has_fuels],
                             step="post")
            if "background_load_kwh" in d and "city_net_load_kwh" in d:
                total = (d["background_load_kwh"] + d["city_net_load_kwh"]).to_numpy(float)
                gen_ax.step(hours, total * _MWH, where="post", color="k", lw=1.0,
                            label="demand (background + city)")
        else:
            gen_ax.text(0.5, 0.5, "fixed-intensity grid:\nno generation mix", ha="center",
                        va="center", transform=gen_ax.transAxes, fontsize="small")
        for col, lab, style in (("average_intensity_kg_per_kwh", "average", "-"),
                                ("marginal_intensity_kg_per_kwh", "marginal", "--")):
            if col in d:
                int_ax.step(hours, d[col].to_numpy(float), where="post", ls=style, label=lab)
        int_ax.set_xlabel("hour of day (local)")
        int_ax.set_xticks(np.arange(0, 25, 6))
        int_ax.set_xlim(0, 24)
        int_ax.set_ylim(bottom=0)
    axes[0, 0].set_ylabel("city load, MWh per hour")
    axes[1, 0].set_ylabel("generation, MWh per hour")
    axes[2, 0].set_ylabel("CO₂ intensity, kg/kWh")
    for row in range(3):
        handles, labels = axes[row, 0].get_legend_handles_labels()
        if handles:
            axes[row, -1].legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0),
                                 fontsize="x-small")
    shown = "" if len(days) == n_all else f" ({len(days)} of {n_all} days: seasons and peaks)"
    fig.suptitle(f"{run_label(results)}: hourly electricity per representative day{shown}")
    return fig
