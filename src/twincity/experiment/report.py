"""Reports of policy experiments: Markdown tables, figures and atomic report folders.

Used by :class:`~twincity.experiment.transfer.TransferResult` and
:class:`~twincity.experiment.compare.CompareResult`. Figures are built on
``matplotlib.figure.Figure`` directly (no pyplot state, no GUI backend), so
they work in scripts, workers and notebooks alike. Every written sentence is
formatted from the computed numbers.

Example:
    >>> print(markdown_table(pd.DataFrame({"a": [1.5], "b": ["x"]})))
    | a | b |
    |---|---|
    | 1.5 | x |
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from twincity.outdir import check_out_dir, clean_stale_siblings, write_marker
from twincity.results import format_value, replace_dir

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from twincity.experiment.transfer import TransferResult


# ---------------------------------------------------------------------- formatting
def fmt(value: Any) -> str:
    """A number for a table cell (thousands separated; 4 significant digits; ±inf as ∞)."""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        return format_value(float(value))
    return str(value)


def fmt_ci(low: float, high: float, pct: bool = False) -> str:
    """``[low, high]`` for a cell; ``unbounded`` for an infinite Fieller set."""
    if math.isinf(low) or math.isinf(high):
        return "unbounded"
    if not (math.isfinite(low) and math.isfinite(high)):
        return "n/a"
    if pct:
        return f"[{low:+.2f}, {high:+.2f}]"
    return f"[{fmt(low)}, {fmt(high)}]"


def fmt_pct(value: float) -> str:
    """A signed percentage with two decimals, ``n/a`` when undefined (zero baseline).

    >>> fmt_pct(-3.14159), fmt_pct(float("nan"))
    ('-3.14', 'n/a')
    """
    return f"{value:+.2f}" if math.isfinite(value) else "n/a"


def markdown_table(frame: pd.DataFrame, index: bool = False) -> str:
    """A GitHub-flavoured Markdown table of ``frame`` (cells through :func:`fmt`)."""
    if index:
        frame = frame.reset_index()
    head = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(fmt(v) for v in row) + " |"
            for row in frame.itertuples(index=False, name=None)]
    return "\n".join([head, rule, *body])


# ---------------------------------------------------------------------- figures
def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _effects_axes(ax: Any, effects: pd.DataFrame, cities: Sequence[str]) -> None:
    kpis = list(dict.fromkeys(effects["kpi"]))
    y = np.arange(len(kpis))
    step = 0.8 / max(1, len(cities))
    for i, city in enumerate(cities):
        e = effects[effects["city"] == city].set_index("kpi").reindex(kpis)
        mid = e["rel_effect_pct"].to_numpy(float)
        err = np.vstack([mid - e["rel_ci_low_pct"].to_numpy(float),
                         e["rel_ci_high_pct"].to_numpy(float) - mid])
        ax.errorbar(mid, y - 0.4 + step * (i + 0.5), xerr=np.nan_to_num(err), fmt="o",
                    capsize=3, label=city)
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_yticks(y, kpis)
    ax.invert_yaxis()
    ax.set_xlabel("effect, % of baseline (95% CI)")
    ax.legend(loc="best", fontsize="small")


def plot_effects(effects: pd.DataFrame, cities: Sequence[str], title: str = "") -> Figure:
    """Relative effect (% of baseline) per KPI with 95% CI bars, one marker per city."""
    n = effects["kpi"].nunique()
    fig = _figure(7.5, 1.2 + 0.38 * n * max(1, len(cities)) ** 0.5)
    ax = fig.add_subplot()
    _effects_axes(ax, effects, cities)
    if title:
        ax.set_title(title)
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
        else:  # unbounded Fieller set: a dashed line across the axis
            ax.plot([left, right], [y[i], y[i]], color="0.6", lw=1, ls="--")
        colour = "C0" if not table["origin_ci_includes_zero"].iloc[i] else "0.5"
        ax.plot(ratio[i], y[i], "o", color=colour)
    ax.axvline(1, color="C2", lw=0.8, label="same effect")
    ax.axvline(0, color="0.5", lw=0.8)
    ax.set_xlim(left, right)
    ax.set_yticks(y, table["kpi"])
    ax.invert_yaxis()
    ax.set_xlabel(f"ratio {target} / {origin} (Fieller 95% CI; grey: origin CI includes 0)")
    ax.legend(loc="best", fontsize="small")


def plot_ratio(table: pd.DataFrame, origin: str, target: str) -> Figure:
    """Transferability ratio per KPI with its Fieller CI (dashed where unbounded)."""
    fig = _figure(7.5, 1.2 + 0.38 * len(table))
    _ratio_axes(fig.add_subplot(), table, origin, target)
    return fig


def plot_transfer(result: TransferResult) -> Figure:
    """Both panels of a transfer in one figure."""
    table = result.table
    fig = _figure(13.0, 1.4 + 0.45 * len(table))
    left, right = fig.subplots(1, 2, sharey=False)
    _effects_axes(left, result.effects, result.cities)
    left.set_title(f"{result.policy}: effects")
    _ratio_axes(right, table, result.origin, result.target)
    right.set_title("transferability ratio")
    return fig


def plot_heatmap(matrix: pd.DataFrame, significant: pd.DataFrame | None = None,
                 title: str = "") -> Figure:
    """City × KPI heatmap of relative effects (%), symmetric colour scale; ``*`` = CI excludes 0."""
    values = matrix.to_numpy(float)
    fig = _figure(1.6 + 0.75 * matrix.shape[1], 1.4 + 0.55 * matrix.shape[0])
    ax = fig.add_subplot()
    lim = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    image = ax.imshow(values, cmap="RdBu_r", vmin=-lim or -1, vmax=lim or 1, aspect="auto")
    ax.set_xticks(np.arange(matrix.shape[1]), matrix.columns, rotation=60, ha="right")
    ax.set_yticks(np.arange(matrix.shape[0]), matrix.index)
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            if np.isfinite(values[i, j]):
                star = "*" if significant is not None and bool(significant.iloc[i, j]) else ""
                ax.text(j, i, f"{values[i, j]:+.1f}{star}", ha="center", va="center",
                        fontsize="x-small")
    fig.colorbar(image, ax=ax, label="effect, % of baseline")
    if title:
        ax.set_title(title)
    return fig


# ---------------------------------------------------------------------- writing
def write_report_dir(out_dir: str | Path, fill: Callable[[Path], None]) -> Path:
    """Fill a temporary sibling folder with ``fill(tmp)`` and move it to ``out_dir`` whole.

    Like results folders, a report folder carries the twincity marker, and an existing
    folder without it is refused (see :func:`twincity.outdir.check_out_dir`).
    """
    out = Path(out_dir)
    check_out_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_siblings(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        tmp.chmod(0o755)
        write_marker(tmp, "report")
        fill(tmp)
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


# ---------------------------------------------------------------------- transfer text
def _effect_phrase(rel: float, lo: float, hi: float) -> str:
    return f"{rel:+.2f}% (95% CI {lo:+.2f} to {hi:+.2f})"


def transfer_reading(result: TransferResult) -> str:
    """A few sentences reading the transfer's numbers (nothing hard-coded)."""
    table = result.table
    o, t = result.origin, result.target
    lines = []
    # informative: origin effect distinguishable from 0 and not negligible (≥ 0.1% of baseline)
    informative = table[~table["origin_ci_includes_zero"]
                        & (table["origin_rel_effect_pct"].abs() >= 0.1)]
    if informative.empty:
        lines.append(f"With {len(result.seeds)} seeds, no KPI's effect in {o} is distinguishable "
                     "from zero, so no transferability ratio is informative; more seeds or a "
                     "stronger policy are needed.")
    else:
        top = informative.reindex(informative["origin_rel_effect_pct"].abs()
                                  .sort_values(ascending=False).index).head(4)
        for _, r in top.iterrows():
            ci = fmt_ci(r["ratio_ci_low"], r["ratio_ci_high"])
            ratio = (f"ratio {r['ratio']:.2f} (95% CI {ci}; {r['ratio_rel']:.2f} relative to "
                     "each baseline)"
                     if math.isfinite(r["ratio"]) else "ratio undefined")
            same = ("the same direction" if r["ratio"] > 0 else "the opposite direction"
                    if r["ratio"] < 0 else "no change")
            lines.append(
                f"`{r['kpi']}`: {_effect_phrase(r['origin_rel_effect_pct'], r['origin_rel_ci_low_pct'], r['origin_rel_ci_high_pct'])} in {o}, "  # noqa: E501
                f"{_effect_phrase(r['target_rel_effect_pct'], r['target_rel_ci_low_pct'], r['target_rel_ci_high_pct'])} in {t}; "  # noqa: E501
                f"{ratio}, {same}.")
        flagged = table.loc[table["origin_ci_includes_zero"], "kpi"].tolist()
        if flagged:
            lines.append(f"The origin effect's CI includes 0 for {', '.join(flagged)}: their "
                         "ratios are not informative.")
    ctx = result.context
    both = ctx[[o, t]].astype(float)
    ok = (both > 0).all(axis=1)
    if ok.any():
        logr = np.log(both.loc[ok, t] / both.loc[ok, o]).abs().sort_values(ascending=False)
        parts = [f"{name[0].lower()}{name[1:]} {fmt(both.loc[name, t])} vs "
                 f"{fmt(both.loc[name, o])}"
                 for name in logr.index[:3]]
        lines.append(f"The largest context differences ({t} vs {o}): {'; '.join(parts)}.")
    return "\n\n".join(lines)


def transfer_markdown(result: TransferResult) -> str:
    """The transfer report (figures referenced as effects.png and ratio.png)."""
    from twincity.experiment.transfer import RATIO_METHOD

    table = result.table
    o, t = result.origin, result.target
    eff = pd.DataFrame({
        "KPI": table["kpi"], "unit": table["unit"],
        f"{o} baseline": table["origin_baseline_mean"],
        f"{o} effect": table["origin_effect"],
        f"{o} 95% CI": [fmt_ci(a, b) for a, b in zip(table["origin_ci_low"],
                                                      table["origin_ci_high"], strict=True)],
        f"{o} %": [fmt_pct(v) for v in table["origin_rel_effect_pct"]],
        f"{t} baseline": table["target_baseline_mean"],
        f"{t} effect": table["target_effect"],
        f"{t} 95% CI": [fmt_ci(a, b) for a, b in zip(table["target_ci_low"],
                                                      table["target_ci_high"], strict=True)],
        f"{t} %": [fmt_pct(v) for v in table["target_rel_effect_pct"]],
    })
    ratio = pd.DataFrame({
        "KPI": table["kpi"], f"ratio {t}/{o}": table["ratio"],
        "95% CI (Fieller)": [fmt_ci(a, b) for a, b in zip(table["ratio_ci_low"],
                                                          table["ratio_ci_high"], strict=True)],
        "ratio of % effects": table["ratio_rel"],
        f"{o} CI includes 0": table["origin_ci_includes_zero"],
    })
    overrides = ", ".join(f"`{k}={v}`" for k, v in sorted(result.overrides.items())) or "none"
    parts = [
        f"# Policy transfer: {result.policy} from {o} to {t}",
        "",
        f"Baseline and policy runs in {o} ({result.scenarios[o]}) and {t} "
        f"({result.scenarios[t]}) over the same {len(result.seeds)} seeds "
        f"({', '.join(str(s) for s in result.seeds[:6])}{' …' if len(result.seeds) > 6 else ''});"
        f" overrides: {overrides}.",
        "",
        "## How the policy was adapted",
        "",
        *[f"- **{city}**: {note}" for city, note in result.notes.items()],
        "",
        "## Effects (policy − baseline)",
        "",
        "Mean of paired per-seed differences; 95% CI from the t distribution with n−1 degrees "
        "of freedom; % is relative to the mean baseline.",
        "",
        markdown_table(eff),
        "",
        "![effects](effects.png)",
        "",
        "## Transferability ratio",
        "",
        f"Ratio = effect in {t} / effect in {o} (absolute, in the KPI's unit). CI: "
        f"{RATIO_METHOD}. The ratio of % effects compares effects relative to each city's "
        "own baseline (point value).",
        "",
        markdown_table(ratio),
        "",
        "![ratio](ratio.png)",
        "",
        "## Context",
        "",
        markdown_table(result.context, index=True),
        "",
        "## Reading",
        "",
        result.reading(),
        "",
    ]
    return "\n".join(parts)


# ---------------------------------------------------------------------- compare text
def compare_reading(result: Any) -> str:
    """Per KPI with a significant effect somewhere: where it is largest and smallest."""
    eff = result.effects
    lines = []
    for kpi in dict.fromkeys(eff["kpi"]):
        rows = eff[(eff["kpi"] == kpi) & eff["significant"]]
        if rows.empty:
            continue
        top = rows.loc[rows["rel_effect_pct"].abs().idxmax()]
        text = (f"`{kpi}`: largest in {top['city']} "
                f"{_effect_phrase(top['rel_effect_pct'], top['rel_ci_low_pct'], top['rel_ci_high_pct'])}")  # noqa: E501
        rest = [c for c in result.cities if c not in set(rows["city"])]
        if rest:
            text += f"; not distinguishable from 0 in {', '.join(rest)}"
        lines.append(text + ".")
    if not lines:
        return (f"With {len(result.seeds)} seeds no effect of {result.policy} is "
                "distinguishable from zero in any city.")
    quiet = [k for k in dict.fromkeys(eff["kpi"]) if not eff.loc[eff["kpi"] == k,
                                                                  "significant"].any()]
    if quiet:
        lines.append(f"No city shows an effect distinguishable from 0 on {', '.join(quiet)}.")
    return "\n\n".join(lines)


def compare_markdown(result: Any) -> str:
    """The comparison report (heatmap referenced as heatmap.png)."""
    eff = result.effects
    cells = eff.assign(cell=[f"{r:+.2f}% {fmt_ci(lo, hi, pct=True)}" for r, lo, hi in
                             zip(eff["rel_effect_pct"], eff["rel_ci_low_pct"],
                                 eff["rel_ci_high_pct"], strict=True)])
    wide = cells.pivot(index="kpi", columns="city", values="cell").reindex(
        index=list(dict.fromkeys(eff["kpi"])), columns=result.cities)
    absolute = eff[["city", "kpi", "unit", "baseline_mean", "effect", "ci_low", "ci_high", "n"]]
    overrides = ", ".join(f"`{k}={v}`" for k, v in sorted(result.overrides.items())) or "none"
    return "\n".join([
        f"# {result.policy} in {len(result.cities)} cities",
        "",
        f"Baseline and policy over the same {len(result.seeds)} seeds in each city; "
        f"overrides: {overrides}. Effect = mean paired difference policy − baseline, 95% CI "
        "from the t distribution (n−1 degrees of freedom), shown as % of the city's baseline.",
        "",
        "## How the policy was adapted",
        "",
        *[f"- **{city}**: {note}" for city, note in result.notes.items()],
        "",
        "## Effects, % of baseline [95% CI]",
        "",
        markdown_table(wide, index=True),
        "",
        "![heatmap](heatmap.png)",
        "",
        "## Effects in KPI units",
        "",
        markdown_table(absolute.assign(ci=[fmt_ci(a, b) for a, b in zip(
            absolute["ci_low"], absolute["ci_high"], strict=True)]).drop(
                columns=["ci_low", "ci_high"])),
        "",
        "## Reading",
        "",
        result.reading(),
        "",
    ])
