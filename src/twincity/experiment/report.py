"""Reports of policy experiments: Markdown tables, texts and atomic report folders.

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
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from twincity.outdir import check_out_dir, write_folder
from twincity.results import format_value

# The figures live in twincity.viz.effects; these names stay importable from here.
from twincity.viz.effects import (  # noqa: F401
    JUDGEMENT_COLOURS,
    goodness,
    plot_effects,
    plot_heatmap,
    plot_ratio,
    plot_transfer,
)

if TYPE_CHECKING:
    from twincity.viz.effects import TransferView


#: How the ratio's interval is computed, in words, for reports.
RATIO_METHOD = ("Fieller's theorem for the ratio of two independent means (the cities are "
                "simulated independently), t with n−1 degrees of freedom; reported only where "
                "the home effect is significant (else undefined: no significant home effect)")

#: The design, in words, for reports.
DESIGN_TEXT = (
    "Design: with − without in both cities, paired by seed. Effect at home = the home city "
    "with its policy in force − the same city without it (the policy removed: `--without`); "
    "effect in the target = the target with the policy added (adapted to it) − the target as "
    "it is (its own policies in force kept in both arms). Both arms of a city run the same "
    "seeds and continue from the equilibrated plan of the city as it is (same seed): the arm "
    "that changes the city until it re-equilibrates under the change, the city as it is (the "
    "control) for as many days, so the pair differs by the policy, not by where two "
    "day-to-day processes stopped or by how long one of them ran on.")


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


def pct_cell(value: float) -> str:
    """A signed percentage with its sign, or ``n/a`` (never ``n/a%``) when undefined.

    >>> pct_cell(-3.14159), pct_cell(float("nan"))
    ('-3.14%', 'n/a')
    """
    return f"{value:+.2f}%" if math.isfinite(value) else "n/a"


def markdown_table(frame: pd.DataFrame, index: bool = False) -> str:
    """A GitHub-flavoured Markdown table of ``frame`` (cells through :func:`fmt`)."""
    if index:
        frame = frame.reset_index()
    head = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(fmt(v) for v in row) + " |"
            for row in frame.itertuples(index=False, name=None)]
    return "\n".join([head, rule, *body])


# ---------------------------------------------------------------------- writing
def write_report_dir(out_dir: str | Path, fill: Callable[[Path], None]) -> Path:
    """Fill a temporary sibling folder with ``fill(tmp)`` and move it to ``out_dir`` whole.

    Like results folders, a report folder carries the twincity marker, and an existing
    folder without it is refused (see :func:`twincity.outdir.check_out_dir`).
    """
    check_out_dir(out_dir)
    return write_folder(out_dir, fill, "report")


# ---------------------------------------------------------------------- transfer text
def _effect_phrase(rel: float, lo: float, hi: float) -> str:
    return f"{rel:+.2f}% (95% CI {lo:+.2f} to {hi:+.2f})"


def multiplicity_text(primary: Sequence[str], n_secondary: int) -> str:
    """How significance is decided, in words (primary at 95%, secondary Holm-adjusted)."""
    prim = ", ".join(f"`{k}`" for k in primary) or "none declared"
    return (f"Primary KPIs of the policy ({prim}): each tested on its own, significant when its "
            f"95% t-interval of paired differences excludes 0. Secondary KPIs ({n_secondary} "
            "per city): p-values of the paired t-test adjusted with Holm's step-down method "
            "across them within each city (family-wise error 5%); significant when the "
            "adjusted p < 0.05. Their 95% CIs are shown unadjusted. Effects are judged good or "
            "bad by the KPI's good direction (lower delay, higher transit share …), not by "
            "their sign; n.s. = not significant.")


def convergence_text(flags: pd.DataFrame | None) -> str:
    """A warning paragraph listing runs that did not converge, or ''."""
    if flags is None or flags.empty:
        return ""
    from twincity.traffic.duerules import MODE_IMBALANCE_TOLERANCE

    def finite(x: Any) -> bool:
        return isinstance(x, float | int) and math.isfinite(x)

    parts = []
    for r in flags.itertuples(index=False):
        arm = ("+" + r.policies if r.policies else "") + ("−" + r.without if r.without else "")
        if getattr(r, "control_of", ""):
            arm = "as is (the control, run its changed arm's days)"
        gap = getattr(r, "relative_gap", math.nan)
        why = [f"gap {gap:.3f}" if finite(gap) else "gap n/a"]
        target = getattr(r, "target_gap", math.nan)
        if finite(gap) and finite(target) and gap <= target:
            why[0] += f" ≤ {target:g}"
            if not getattr(r, "gap_levelled", True):
                why[0] += " but still falling"
        imbalance = getattr(r, "mode_imbalance", math.nan)
        if finite(imbalance) and imbalance > MODE_IMBALANCE_TOLERANCE:
            why.append(f"mode imbalance {imbalance:.2%} > {MODE_IMBALANCE_TOLERANCE:.2%}")
        parts.append(f"{getattr(r, 'city', None) or r.scenario} {arm or 'as is'} seed {r.seed} "
                     f"({', '.join(why)})")
    return (f"**Warning: {len(flags)} run(s) did not end at their equilibrium** "
            f"(`converged: false`): {'; '.join(parts)}. Their levels and effects depend on "
            "where the day-to-day loop stopped; treat the effects of these cities with care.")


def _verdict(judgement: str, p_adjusted: float, role: str) -> str:
    """``good``/``bad``/… with the Holm-adjusted p-value of a secondary KPI."""
    if role == "primary" or not math.isfinite(p_adjusted):
        return str(judgement)
    return f"{judgement}, Holm p {p_adjusted:.2g}"


def _role_order(table: pd.DataFrame) -> pd.DataFrame:
    if "role" not in table:
        return table
    return pd.concat([table[table["role"] == "primary"], table[table["role"] != "primary"]])


def transfer_reading(result: TransferView) -> str:
    """A few sentences reading the transfer's numbers (nothing hard-coded, nothing over-claimed).

    Per KPI (primary first) the two effects are classified: "the same
    direction" only when both are significant with one sign, "opposite
    directions" when both are significant with opposite signs, otherwise
    inconclusive. A ratio is quoted only where the home effect is significant.
    """
    table = _role_order(result.table)
    o, t = result.origin, result.target
    lines = []
    warn = convergence_text(getattr(result, "unconverged", None))
    if warn:
        lines.append(warn)
    home_sig = table[table["origin_significant"].astype(bool)] if len(table) else table
    if home_sig.empty:
        lines.append(f"With {len(result.seeds)} seeds, no KPI's effect in {o} (home) is "
                     "significant, so no transferability ratio is defined; more seeds or a "
                     "stronger policy are needed.")
    for _, r in table.iterrows():
        if not (r["origin_significant"] or r["target_significant"]):
            continue
        tag = "primary" if r.get("role") == "primary" else "secondary"
        home = (f"{_effect_phrase(r['origin_rel_effect_pct'], r['origin_rel_ci_low_pct'], r['origin_rel_ci_high_pct'])}"  # noqa: E501
                f" [{_verdict(r['origin_judgement'], r['origin_p_adjusted'], tag)}]")
        there = (f"{_effect_phrase(r['target_rel_effect_pct'], r['target_rel_ci_low_pct'], r['target_rel_ci_high_pct'])}"  # noqa: E501
                 f" [{_verdict(r['target_judgement'], r['target_p_adjusted'], tag)}]")
        if r["direction"] == "same direction":
            verdict = "the same direction in both cities"
        elif r["direction"] == "opposite":
            verdict = "opposite directions"
        else:
            which = o if not r["origin_significant"] else t
            verdict = f"inconclusive (the effect in {which} is not significant)"
        if math.isfinite(r["ratio"]):
            ci = fmt_ci(r["ratio_ci_low"], r["ratio_ci_high"])
            ratio = f"ratio {r['ratio']:.2f} (95% CI {ci})"
        else:
            ratio = "ratio undefined: no significant home effect"
        lines.append(f"`{r['kpi']}` ({tag}): {home} in {o}, {there} in {t}; {verdict}; "
                     f"{ratio}.")
    quiet = table.loc[~(table["origin_significant"].astype(bool)
                        | table["target_significant"].astype(bool)), "kpi"].tolist()
    if quiet:
        lines.append(f"Not significant in either city: {', '.join(quiet)}.")
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


def _design_sentence(city: str, design: str, policy: str, home: bool) -> str:
    if design == "in_force":
        return (f"- **{city}** (home, policy in force): {city} as it is − {city} without "
                f"`{policy}` (`--without {policy}`).")
    where = "home, policy not in force there" if home else "target"
    return (f"- **{city}** ({where}): {city} with `{policy}` added and adapted − {city} as it "
            "is (its own policies in force kept in both arms).")


def transfer_markdown(result: TransferView) -> str:
    """The transfer report (figures referenced as effects.png and ratio.png)."""
    table = _role_order(result.table)
    o, t = result.origin, result.target

    def sig(p_adj: float, role: str, judged: str) -> str:
        p = "n/a" if not math.isfinite(p_adj) else f"{p_adj:.3g}"
        return f"{judged} (p{'' if role == 'primary' else ' Holm'} {p})"

    eff = pd.DataFrame({
        "KPI": table["kpi"], "role": table["role"], "unit": table["unit"],
        "good": table["better"],
        f"{o} without": table["origin_baseline_mean"],
        f"{o} effect": table["origin_effect"],
        f"{o} 95% CI": [fmt_ci(a, b) for a, b in zip(table["origin_ci_low"],
                                                      table["origin_ci_high"], strict=True)],
        f"{o} %": [fmt_pct(v) for v in table["origin_rel_effect_pct"]],
        f"{o} verdict": [sig(p, r, j) for p, r, j in zip(
            table["origin_p_adjusted"], table["role"], table["origin_judgement"], strict=True)],
        f"{t} without": table["target_baseline_mean"],
        f"{t} effect": table["target_effect"],
        f"{t} 95% CI": [fmt_ci(a, b) for a, b in zip(table["target_ci_low"],
                                                      table["target_ci_high"], strict=True)],
        f"{t} %": [fmt_pct(v) for v in table["target_rel_effect_pct"]],
        f"{t} verdict": [sig(p, r, j) for p, r, j in zip(
            table["target_p_adjusted"], table["role"], table["target_judgement"], strict=True)],
    })
    ratio = pd.DataFrame({
        "KPI": table["kpi"], "direction": table["direction"],
        f"ratio {t}/{o}": [fmt(v) if math.isfinite(v) else n for v, n in zip(
            table["ratio"], table["ratio_note"], strict=True)],
        "95% CI (Fieller)": [fmt_ci(a, b) if math.isfinite(r) else "—" for a, b, r in zip(
            table["ratio_ci_low"], table["ratio_ci_high"], table["ratio"], strict=True)],
        "ratio of % effects": table["ratio_rel"],
    })
    overrides = ", ".join(f"`{k}={v}`" for k, v in sorted(result.overrides.items())) or "none"
    n_secondary = int((table["role"] != "primary").sum())
    designs = getattr(result, "designs", {}) or {}
    warn = convergence_text(getattr(result, "unconverged", None))
    parts = [
        f"# Policy transfer: {result.policy} from {o} to {t}",
        "",
        f"Runs in {o} ({result.scenarios[o]}) and {t} ({result.scenarios[t]}) over the same "
        f"{len(result.seeds)} seeds "
        f"({', '.join(str(s) for s in result.seeds[:6])}{' …' if len(result.seeds) > 6 else ''});"
        f" overrides: {overrides}.",
        "",
        *([warn, ""] if warn else []),
        "## Design",
        "",
        DESIGN_TEXT,
        "",
        *[_design_sentence(city, designs.get(city, "added"), result.policy, city == o)
          for city in (o, t)],
        "",
        "## How the policy was adapted",
        "",
        *[f"- **{city}**: {note}" for city, note in result.notes.items()],
        "",
        "## Effects (with − without)",
        "",
        "Mean of paired per-seed differences; 95% CI from the t distribution with n−1 degrees "
        "of freedom; % is relative to the mean of the without arm. "
        + multiplicity_text(getattr(result, "primary", []), n_secondary),
        "",
        markdown_table(eff),
        "",
        "![effects](effects.png)",
        "",
        "## Do the effects transfer?",
        "",
        "Direction: \"same direction\" only when both effects are significant with the same "
        "sign; \"opposite\" when both are significant with opposite signs; otherwise "
        "\"inconclusive\". "
        f"Ratio = effect in {t} / effect in {o} (absolute, in the KPI's unit). CI: "
        f"{RATIO_METHOD}. The ratio of % effects compares effects relative to each city's "
        "own without arm (point value).",
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
    """Per KPI with a significant effect somewhere: where, how large, good or bad."""
    eff = result.effects
    lines = []
    warn = convergence_text(getattr(result, "unconverged", None))
    if warn:
        lines.append(warn)
    kpis = list(dict.fromkeys(_role_order(eff)["kpi"]))
    for kpi in kpis:
        rows = eff[(eff["kpi"] == kpi) & eff["significant"].astype(bool)]
        if rows.empty:
            continue
        tag = "primary" if (rows["role"] == "primary").any() else "secondary"
        parts = [f"{r['city']} {_effect_phrase(r['rel_effect_pct'], r['rel_ci_low_pct'], r['rel_ci_high_pct'])}"  # noqa: E501
                 f" [{_verdict(r['judgement'], r['p_adjusted'], r['role'])}]"
                 for _, r in rows.reindex(rows["rel_effect_pct"].abs()
                                          .sort_values(ascending=False).index).iterrows()]
        text = f"`{kpi}` ({tag}): {'; '.join(parts)}"
        rest = [c for c in result.cities if c not in set(rows["city"])]
        if rest:
            text += f"; not significant in {', '.join(rest)}"
        lines.append(text + ".")
    if len(lines) == (1 if warn else 0):
        lines.append(f"With {len(result.seeds)} seeds no effect of {result.policy} is "
                     "significant in any city.")
        return "\n\n".join(lines)
    quiet = [k for k in kpis if not eff.loc[eff["kpi"] == k, "significant"].astype(bool).any()]
    if quiet:
        lines.append(f"Not significant in any city: {', '.join(quiet)}.")
    return "\n\n".join(lines)


def compare_markdown(result: Any) -> str:
    """The comparison report (heatmap referenced as heatmap.png)."""
    eff = result.effects
    cells = eff.assign(cell=[
        f"{r:+.2f}% {fmt_ci(lo, hi, pct=True)} {j}" for r, lo, hi, j in
        zip(eff["rel_effect_pct"], eff["rel_ci_low_pct"], eff["rel_ci_high_pct"],
            eff["judgement"], strict=True)])
    order = list(dict.fromkeys(_role_order(eff)["kpi"]))
    wide = cells.pivot(index="kpi", columns="city", values="cell").reindex(
        index=order, columns=result.cities)
    absolute = eff[["city", "kpi", "role", "unit", "baseline_mean", "effect", "ci_low",
                    "ci_high", "p_adjusted", "judgement", "n"]]
    overrides = ", ".join(f"`{k}={v}`" for k, v in sorted(result.overrides.items())) or "none"
    designs = getattr(result, "designs", {}) or {}
    n_secondary = int(eff.loc[eff["role"] != "primary", "kpi"].nunique())
    warn = convergence_text(getattr(result, "unconverged", None))
    return "\n".join([
        f"# {result.policy} in {len(result.cities)} cities",
        "",
        f"Two arms over the same {len(result.seeds)} seeds in each city (paired); overrides: "
        f"{overrides}. Effect = mean paired difference with − without, 95% CI from the t "
        "distribution (n−1 degrees of freedom), shown as % of the city's without arm.",
        "",
        *([warn, ""] if warn else []),
        "## Design",
        "",
        "With − without in every city: where the policy is in force (its home city) the city "
        "as it is minus the city without it; elsewhere the city with the policy added "
        "(adapted) minus the city as it is, its own policies in force kept in both arms.",
        "",
        *[_design_sentence(city, designs.get(city, "added"), result.policy,
                           designs.get(city) == "in_force") for city in result.cities],
        "",
        multiplicity_text(getattr(result, "primary", []), n_secondary),
        "",
        "## How the policy was adapted",
        "",
        *[f"- **{city}**: {note}" for city, note in result.notes.items()],
        "",
        "## Effects, % of the without arm [95% CI] and verdict",
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
