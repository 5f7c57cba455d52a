"""Traffic diagnostics: equilibrium convergence, mode shares against observed, trip distributions.

Example:
    >>> from twincity.viz.traffic import convergence   # doctest: +SKIP
    >>> convergence("results/sejong-seed2013").savefig("gap.png")   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from twincity.results import Results
from twincity.viz.common import as_results, new_figure, require_table, run_label
from twincity.vocab import MODES

MODE_COLOURS = {"car": "#d95f02", "transit": "#7570b3", "walk": "#1b9e77", "bike": "#66a61e",
                "freight": "#666666"}


def convergence(source: Results | str | Path) -> Any:
    """Relative gap and the largest net mode imbalance, per equilibrium day.

    Log scale; the target gap (``simulation.equilibrium_gap``) is a dashed
    line, days with a pricing/signal review are marked. The title says whether
    the loop converged (``summary.json``'s ``equilibrium`` record).
    """
    from twincity.traffic.duerules import MODE_IMBALANCE_TOLERANCE

    results = as_results(source)
    days = require_table(results, "equilibration", "the convergence figure needs the "
                                                   "equilibrium's day records")
    eq = results.equilibrium or {}
    fig = new_figure(7.5, 4.5)
    ax = fig.add_subplot()
    day = days["day"].to_numpy(int) + 1
    ax.semilogy(day, days["relative_gap"], "o-", ms=3, label="relative gap (routes)")
    if "mode_imbalance" in days:
        ax.semilogy(day, days["mode_imbalance"], "s-", ms=3,
                    label="largest net imbalance of a mode")
    target = eq.get("target_gap",
                    results.scenario.get("simulation", {}).get("equilibrium_gap"))
    if target:
        ax.axhline(float(target), color="C0", ls="--", lw=1,
                   label=f"target gap {float(target):g}")
    if "mode_imbalance" in days:
        ax.axhline(MODE_IMBALANCE_TOLERANCE, color="C1", ls=":", lw=1,
                   label=f"mode target {MODE_IMBALANCE_TOLERANCE:.2%}")
    if "review" in days and days["review"].astype(bool).any():
        for d in day[days["review"].astype(bool).to_numpy()]:
            ax.axvline(d, color="0.6", lw=0.8, ls=":")
        ax.plot([], [], color="0.6", ls=":", label="pricing/signal review")
    ax.set_xlabel("equilibrium day")
    ax.set_ylabel("gap, share (log scale)")
    status = ("converged" if eq.get("converged") else "NOT converged"
              if eq.get("converged") is False else "")
    ax.set_title(f"{run_label(results)}: day-to-day equilibrium"
                 + (f" — {status} after {eq.get('iterations', len(days))} days" if status else ""))
    ax.legend(fontsize="small")
    return fig


def simulated_mode_shares(results: Results) -> dict[str, float]:
    """Shares of person trips by mode in the trip table (freight vehicles excluded)."""
    trips = require_table(results, "trips", "mode shares need the trip table")
    modes = trips["mode"].astype(str)
    people = modes[modes.isin(MODES)]
    counts = people.value_counts()
    total = float(counts.sum()) or 1.0
    return {m: float(counts.get(m, 0)) / total for m in MODES}


def mode_shares(source: Results | str | Path) -> Any:
    """Simulated vs observed shares of person trips by mode (observed from the scenario)."""
    results = as_results(source)
    sim = simulated_mode_shares(results)
    observed = (results.scenario.get("demand", {}) or {}).get("observed_mode_shares") or {}
    fig = new_figure(6.5, 4.2)
    ax = fig.add_subplot()
    x = np.arange(len(MODES))
    width = 0.38 if observed else 0.6
    bars = ax.bar(x - (width / 2 if observed else 0), [100 * sim[m] for m in MODES],
                  width, color=[MODE_COLOURS[m] for m in MODES], label="simulated")
    ax.bar_label(bars, fmt="%.1f", fontsize="small")
    if observed:
        obs = ax.bar(x + width / 2, [100 * float(observed.get(m, np.nan)) for m in MODES],
                     width, color="white", edgecolor=[MODE_COLOURS[m] for m in MODES],
                     hatch="//", label="observed (scenario's published shares)")
        ax.bar_label(obs, fmt="%.1f", fontsize="small")
    ax.set_xticks(x, MODES)
    ax.set_ylabel("share of person trips, %")
    ax.set_title(f"{run_label(results)}: mode shares"
                 + ("" if observed else " (no observed shares in the scenario)"))
    ax.legend(fontsize="small")
    return fig


def trip_distributions(source: Results | str | Path, bins: int = 30) -> Any:
    """Histograms of door-to-door time (min) and distance (km) of person trips by mode.

    Trips that were aborted or found no path are left out (and counted in the title).
    """
    results = as_results(source)
    trips = require_table(results, "trips", "trip distributions need the trip table")
    modes = trips["mode"].astype(str)
    ok = modes.isin(MODES).to_numpy().copy()
    for col in ("aborted", "no_path"):
        if col in trips:
            ok &= ~trips[col].astype(bool).to_numpy()
    dropped = int((modes.isin(MODES).to_numpy() & ~ok).sum())
    t = trips[ok]
    fig = new_figure(11.0, 4.2)
    left, right = fig.subplots(1, 2)
    for ax, col, scale, label in ((left, "travel_time_s", 1 / 60, "door-to-door time, min"),
                                  (right, "distance_m", 1e-3, "trip length, km")):
        values = t[col].to_numpy(float) * scale
        finite = np.isfinite(values)
        edges = np.histogram_bin_edges(values[finite], bins=bins) if finite.any() else bins
        absent = []
        for m in MODES:
            of_mode = (t["mode"].astype(str) == m).to_numpy()
            v = values[of_mode & finite]
            if v.size:
                ax.hist(v, bins=edges, histtype="step", lw=1.5, color=MODE_COLOURS[m],
                        label=f"{m} (n={v.size:,}, mean {v.mean():.1f})")
            elif of_mode.any():
                absent.append(m)
        if absent:   # e.g. transit trips carry skim times but no length
            ax.text(0.98, 0.5, f"no {label.split(',')[0]} in the trip table for "
                    f"{', '.join(absent)}", transform=ax.transAxes, ha="right",
                    fontsize="x-small", color="0.4")
        ax.set_xlabel(label)
        ax.set_ylabel("simulated person trips (sample)")
        ax.legend(fontsize="x-small")
    fig.suptitle(f"{run_label(results)}: person trips by mode"
                 + (f" ({dropped:,} aborted or without a path left out)" if dropped else ""))
    return fig
