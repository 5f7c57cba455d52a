"""Sensitivity indices of a sweep (Sobol S1/ST or RBD-FAST S1) with their confidence intervals.

Indices estimated from few runs mean little: Sobol's bootstrap intervals are
then wide, S1 can exceed 1 or fall below 0 and S1 can exceed ST, none of
which is possible for the true indices. :func:`index_warnings` lists each of
these symptoms, the figure prints them under the title and draws the
impossible region (below 0, above 1) shaded.

Example:
    >>> idx = pd.DataFrame({"kpi": ["vehicle_km"], "param": ["demand.commute_share"],
    ...                     "S1": [1.3], "S1_conf": [0.9], "ST": [0.8], "ST_conf": [0.2]})
    >>> for w in index_warnings(idx, runs=24): print(w)
    only 24 runs: indices from fewer than 500 runs are rough (see the intervals)
    vehicle_km / demand.commute_share: S1 = 1.30 outside [0, 1] (impossible for the true index)
    vehicle_km / demand.commute_share: S1 = 1.30 above ST = 0.80 (impossible for the true indices)
    vehicle_km / demand.commute_share: 95% interval of S1 is ±0.90 (uninformative beyond ±0.25)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from twincity.kpi import kpi_label
from twincity.viz.common import new_figure

#: Fewer runs than this: the warning says the indices are rough.
MIN_RUNS = 500
#: A 95% half-width above this makes an index uninformative.
MAX_HALF_WIDTH = 0.25


def index_warnings(indices: pd.DataFrame, runs: int | None = None) -> list[str]:
    """Why the indices of a sweep should not be trusted (empty when nothing is wrong)."""
    out = []
    if runs is not None and runs < MIN_RUNS:
        out.append(f"only {runs} runs: indices from fewer than {MIN_RUNS} runs are rough "
                   "(see the intervals)")
    for r in indices.itertuples(index=False):
        where = f"{r.kpi} / {r.param}"
        if np.isfinite(r.S1) and not -0.05 <= r.S1 <= 1.05:
            out.append(f"{where}: S1 = {r.S1:.2f} outside [0, 1] (impossible for the true "
                       "index)")
        if np.isfinite(r.S1) and np.isfinite(r.ST) and r.S1 > r.ST + 0.05:
            out.append(f"{where}: S1 = {r.S1:.2f} above ST = {r.ST:.2f} (impossible for the "
                       "true indices)")
        for name, conf in (("S1", r.S1_conf), ("ST", r.ST_conf)):
            if np.isfinite(conf) and conf > MAX_HALF_WIDTH:
                out.append(f"{where}: 95% interval of {name} is ±{conf:.2f} (uninformative "
                           f"beyond ±{MAX_HALF_WIDTH:g})")
    return out


def plot_indices(indices: pd.DataFrame, runs: int | None = None, method: str = "sobol",
                 title: str = "") -> Any:
    """One panel per KPI: S1 (and ST) per parameter with 95% intervals, warnings in the title."""
    kpis = list(dict.fromkeys(indices["kpi"]))
    params = list(dict.fromkeys(indices["param"]))
    fig = new_figure(4.2 * len(kpis) + 1.0, 2.2 + 0.45 * len(params))
    axes = fig.subplots(1, len(kpis), squeeze=False, sharey=True)[0]
    y = np.arange(len(params))
    for ax, kpi in zip(axes, kpis, strict=True):
        rows = indices[indices["kpi"] == kpi].set_index("param").reindex(params)
        ax.axvspan(-10, 0, color="0.92", zorder=0)
        ax.axvspan(1, 10, color="0.92", zorder=0)
        ax.errorbar(rows["S1"], y - 0.12, xerr=rows["S1_conf"].fillna(0), fmt="o", capsize=3,
                    color="C0", label="first order S1")
        if rows["ST"].notna().any():
            ax.errorbar(rows["ST"], y + 0.12, xerr=rows["ST_conf"].fillna(0), fmt="s",
                        capsize=3, color="C1", label="total ST")
        ends = np.concatenate([(rows["S1"] - rows["S1_conf"]).to_numpy(float),
                               (rows["S1"] + rows["S1_conf"]).to_numpy(float),
                               (rows["ST"] - rows["ST_conf"]).to_numpy(float),
                               (rows["ST"] + rows["ST_conf"]).to_numpy(float), [0.0, 1.0]])
        ends = ends[np.isfinite(ends)]
        ax.set_xlim(float(ends.min()) - 0.05, float(ends.max()) + 0.05)
        ax.set_title(kpi_label(kpi), fontsize="medium")
        ax.set_xlabel("index (95% CI); shaded: impossible values")
    axes[0].set_yticks(y, params)
    axes[0].invert_yaxis()
    axes[0].legend(fontsize="small", loc="best")
    name = "Sobol" if method == "sobol" else "RBD-FAST"
    warnings = index_warnings(indices, runs)
    head = title or f"{name} sensitivity indices" + (f" from {runs} runs" if runs else "")
    if warnings:
        shown = warnings[:4] + ([f"… and {len(warnings) - 4} more"] if len(warnings) > 4 else [])
        head += "\nWARNING: " + "\n".join(shown)
    fig.suptitle(head, fontsize="small" if warnings else "medium",
                 color="#b2182b" if warnings else "k")
    return fig
