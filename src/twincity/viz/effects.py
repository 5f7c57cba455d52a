"""Figures of policy experiments: effects per KPI, transferability ratios, city × KPI heatmaps.

Effects are coloured by what they mean for the city — green good, red bad by
each KPI's good direction (:data:`twincity.kpi.CATALOGUE`), blue for
direction-less KPIs, grey when not significant — never by their sign. Each
KPI gets its own row *with its own scale* (small multiples), so one wide
interval cannot flatten every other row; rows are labelled in words with
the KPI's unit and carry the effect in that unit beside the %.

Example:
    >>> m = pd.DataFrame({"total_delay": [-5.0], "mode_share_transit": [-2.0]})
    >>> goodness(m).tolist()
    [[5.0, -2.0]]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from twincity.kpi import CATALOGUE, better_sign, kpi_label
from twincity.viz.common import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class TransferView(Protocol):
    """What the figures and reports read of a transfer's outcome
    (:class:`twincity.experiment.transfer.TransferResult` has it).
    """

    policy: str
    origin: str
    target: str
    scenarios: dict[str, str]
    seeds: list[int]
    effects: pd.DataFrame
    context: pd.DataFrame
    notes: dict[str, str]
    overrides: dict[str, Any]

    @property
    def table(self) -> pd.DataFrame:
        """Per KPI: origin and target effects and their ratio."""
        ...

    @property
    def cities(self) -> list[str]:
        """The origin and the target city, in that order."""
        ...

    def reading(self) -> str:
        """A short reading of the results, written from the numbers."""
        ...

#: Colours of effects judged by their KPI's good direction (not by sign).
JUDGEMENT_COLOURS = {"good": "#1a9641", "bad": "#d7191c", "neutral": "#2b83ba", "n.s.": "0.6"}
_CITY_MARKERS = ("o", "s", "D", "^", "v", "P")


def _row_limits(lows: np.ndarray, highs: np.ndarray, mids: np.ndarray) -> tuple[float, float]:
    """x-limits of one KPI's row: its intervals and zero, padded by 8%."""
    vals = np.concatenate([lows, highs, mids, [0.0]])
    vals = vals[np.isfinite(vals)]
    lo, hi = float(vals.min()), float(vals.max())
    pad = 0.08 * (hi - lo) if hi > lo else max(abs(hi), 1.0) * 0.1
    return lo - pad, hi + pad


def plot_effects(effects: pd.DataFrame, cities: Sequence[str], title: str = "") -> Figure:
    """Relative effect (%) per KPI with 95% CIs: one row per KPI on its own scale.

    Marker shape per city; colour good/bad by the KPI's direction
    (``judgement`` column: good, bad, neutral, n.s.). The right-hand text is
    the effect in the KPI's unit.
    """
    n = max(1, effects["kpi"].nunique())
    fig = new_figure(8.5, 1.3 + 0.55 * n * max(1, len(cities)) ** 0.5)
    _draw_effects(fig, effects, cities, title)
    return fig


def _draw_effects(fig: Any, effects: pd.DataFrame, cities: Sequence[str], title: str) -> None:
    """The rows of :func:`plot_effects` drawn into a figure or subfigure."""
    from matplotlib.lines import Line2D

    kpis = list(dict.fromkeys(effects["kpi"]))
    axes = fig.subplots(max(1, len(kpis)), 1, squeeze=False)[:, 0]
    step = 0.8 / max(1, len(cities))
    for ax, kpi in zip(axes, kpis, strict=False):
        rows = effects[effects["kpi"] == kpi].set_index("city").reindex(list(cities))
        mid = rows["rel_effect_pct"].to_numpy(float)
        lo = rows["rel_ci_low_pct"].to_numpy(float)
        hi = rows["rel_ci_high_pct"].to_numpy(float)
        judged = (rows["judgement"] if "judgement" in rows
                  else pd.Series("n.s.", index=rows.index)).fillna("n.s.").to_numpy()
        for i in range(len(cities)):
            if not math.isfinite(mid[i]):
                continue
            y = -0.4 + step * (i + 0.5)
            err = np.nan_to_num([[mid[i] - lo[i]], [hi[i] - mid[i]]])
            ax.errorbar([mid[i]], [y], xerr=err, fmt=_CITY_MARKERS[i % len(_CITY_MARKERS)],
                        color=JUDGEMENT_COLOURS.get(judged[i], "0.6"), capsize=3, ms=5)
        ax.axvline(0, color="0.5", lw=0.8)
        ax.set_xlim(*_row_limits(lo, hi, mid))
        ax.set_ylim(0.5, -0.5)
        ax.set_yticks([0], [kpi_label(kpi, str(rows["unit"].dropna().iloc[0])
                                      if "unit" in rows and rows["unit"].notna().any()
                                      else None)])
        ax.tick_params(axis="x", labelsize="x-small")
        if "effect" in rows:
            text = "Δ " + "; ".join(f"{e:+.3g}" for e in rows["effect"].to_numpy(float)
                                    if math.isfinite(e))
            ax.text(1.01, 0.5, text, transform=ax.transAxes, va="center", fontsize="x-small")
    axes[-1].set_xlabel("effect, % of the without arm (95% CI); each row on its own scale; "
                        "Δ: effect in the KPI's unit, cities in legend order")
    handles = [Line2D([], [], marker=_CITY_MARKERS[i % len(_CITY_MARKERS)], ls="", color="0.2",
                      label=c) for i, c in enumerate(cities)]
    handles += [Line2D([], [], marker="o", ls="", color=c, label=k)
                for k, c in JUDGEMENT_COLOURS.items()]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(8, len(handles)),
               fontsize="small")
    fig.suptitle(title or "effects per KPI (green good, red bad for the city; grey: not "
                          "significant)", fontsize="medium")


def plot_ratio(table: pd.DataFrame, origin: str, target: str) -> Figure:
    """Transferability ratio per KPI with its Fieller CI (dashed where unbounded)."""
    fig = new_figure(8.0, 1.2 + 0.42 * len(table))
    _ratio_axes(fig.add_subplot(), table, origin, target)
    return fig


def _ratio_axes(ax: Any, table: pd.DataFrame, origin: str, target: str) -> None:
    y = np.arange(len(table))
    ratio = table["ratio"].to_numpy(float)
    lo = table["ratio_ci_low"].to_numpy(float)
    hi = table["ratio_ci_high"].to_numpy(float)
    bounded = np.isfinite(lo) & np.isfinite(hi)
    finite = np.concatenate([ratio[np.isfinite(ratio)], lo[bounded], hi[bounded], [0.0, 1.0]])
    span = (float(finite.min()), float(finite.max()))
    pad = 0.1 * (span[1] - span[0] or 1.0)
    left, right = span[0] - pad, span[1] + pad
    for i in range(len(table)):
        if bounded[i]:
            ax.plot([lo[i], hi[i]], [y[i], y[i]], color="C0", lw=2)
        elif math.isfinite(ratio[i]):  # unbounded Fieller set: a dashed line across the axis
            ax.plot([left, right], [y[i], y[i]], color="0.6", lw=1, ls="--")
        if math.isfinite(ratio[i]):
            ax.plot(ratio[i], y[i], "o", color="C0")
        else:
            ax.text(0.5, y[i], "undefined: no significant home effect", fontsize="x-small",
                    color="0.5", va="center", transform=ax.get_yaxis_transform())
    ax.axvline(1, color="C2", lw=0.8, label="same effect as at home")
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_xlim(left, right)
    ax.set_yticks(y, [kpi_label(k) for k in table["kpi"]])
    ax.invert_yaxis()
    ax.set_xlabel(f"effect in {target} / effect in {origin} (Fieller 95% CI; dashed: "
                  "unbounded)")
    ax.legend(loc="best", fontsize="small")


def plot_transfer(result: TransferView) -> Figure:
    """The effects and the ratios of a transfer, as two figures side by side in one."""
    fig = new_figure(15.0, 1.6 + 0.6 * len(result.table))
    left, right = fig.subfigures(1, 2, width_ratios=[1.3, 1.0])
    _draw_effects(left, result.effects, result.cities, f"{result.policy}: effects")
    ax = right.add_subplot()
    _ratio_axes(ax, result.table, result.origin, result.target)
    ax.set_title("transferability ratio")
    return fig


def goodness(matrix: pd.DataFrame, significant: pd.DataFrame | None = None) -> np.ndarray:
    """Relative effects signed so that positive is good for the city (NaN: not judged).

    Each column (a KPI) is multiplied by its good direction (+1 higher is
    good, −1 lower is good); KPIs without a direction and cells that are not
    significant are NaN.
    """
    signs = np.array([better_sign(str(c)) for c in matrix.columns], dtype=float)
    out = matrix.to_numpy(float) * np.where(signs == 0, np.nan, signs)[None, :]
    if significant is not None:
        out = np.where(significant.to_numpy(bool), out, np.nan)
    return out


def plot_heatmap(matrix: pd.DataFrame, significant: pd.DataFrame | None = None,
                 title: str = "") -> Figure:
    """City × KPI heatmap of relative effects (%), coloured green good / red bad.

    The colour follows each KPI's good direction (a fall in delay and a rise in
    transit share are both green), not the sign; cells that are not
    significant (or KPIs without a direction) stay white. The colour scale is
    the 90th percentile of the judged magnitudes (larger ones saturate), so
    one huge effect does not wash out the rest. The text is the signed
    effect; ``*`` marks significant cells.
    """
    values = matrix.to_numpy(float)
    good = goodness(matrix, significant)
    fig = new_figure(2.2 + 0.8 * matrix.shape[1], 2.0 + 0.55 * matrix.shape[0])
    ax = fig.add_subplot()
    judged = np.abs(good[np.isfinite(good)])
    lim = float(np.percentile(judged, 90)) if judged.size else 1.0
    lim = lim if lim > 0 else 1.0
    image = ax.imshow(good, cmap="RdYlGn", vmin=-lim, vmax=lim, aspect="auto")
    labels = [kpi_label(str(c)) for c in matrix.columns]
    ax.set_xticks(np.arange(matrix.shape[1]), labels, rotation=60, ha="right",
                  fontsize="small")
    ax.set_yticks(np.arange(matrix.shape[0]), matrix.index)
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            if np.isfinite(values[i, j]):
                star = "*" if significant is not None and bool(significant.iloc[i, j]) else ""
                ax.text(j, i, f"{values[i, j]:+.1f}{star}", ha="center", va="center",
                        fontsize="x-small")
    fig.colorbar(image, ax=ax, extend="both",
                 label="effect, % of the without arm, signed good (+, green) / bad (−, red)")
    if title:
        ax.set_title(title)
    return fig


def kpi_direction_words(name: str) -> str:
    """``lower is better`` / ``higher is better`` / ``descriptive`` for a KPI."""
    d = CATALOGUE.get(name)
    return {"lower": "lower is better", "higher": "higher is better"}.get(
        d.better if d else "none", "descriptive")
