# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Helsinki's district heating and frequent transit in Singapore and Sejong
#
# Helsinki lists two signature policies: `helsinki:transit` (more frequent
# trunk and feeder services) and `helsinki:district_heating` (heat supplied
# by the district network for most buildings). Both are *in force* in
# Helsinki's scenario, over a stated counterfactual (a reduced service at 1.5×
# today's headways; buildings heated by boilers and resistance heating), so
# Helsinki's own effect is "with − without". We trial each in a tropical,
# transit-rich city (Singapore) and in a young, car-oriented planned city
# (Sejong) — there "with − without" is the city with the policy added minus
# the city as it is — and read the effects against each city's climate and
# travel.
#
# **Scale.** By default the *small* scale: 3 seeds, the morning peak only
# (06:00–10:00) and 3 days of route adjustment. Energy KPIs are yearly
# figures from representative days, so district heating's effect does not
# depend on the span. Set `TWINCITY_NOTEBOOK_SCALE=full` for the whole day.
# The test suite runs it at `TWINCITY_NOTEBOOK_SCALE=ci`: the same span on a smaller
# generated network with a 0.5% sample and one day of route adjustment, with 2 seeds
# (`TWINCITY_NOTEBOOK_SEEDS=2`) in the kernel's own process (`TWINCITY_NOTEBOOK_WORKERS=1`).

# %%
# %matplotlib inline
import os
import tempfile
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

import twincity

ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "scenarios").is_dir())
SCENARIOS = ROOT / "scenarios"
SCALE = os.environ.get("TWINCITY_NOTEBOOK_SCALE", "small")
FULL = SCALE == "full"
SMALL = {"simulation.equilibrium_days": 3, "simulation.start_h": 6, "simulation.duration_h": 4}
# the test suite's scale (tests/test_notebooks.py): smaller still, as tests/test_readme_run.py
# runs the shipped cities: a smaller generated network, a 0.5% sample, one day of adjustment
CI = {**SMALL, "network.generator.scale": 0.2, "simulation.sample_share": 0.005,
      "simulation.equilibrium_days": 1}
OVERRIDES = {} if FULL else CI if SCALE == "ci" else SMALL
SEEDS = int(os.environ.get("TWINCITY_NOTEBOOK_SEEDS", 20 if FULL else 3))
WORKERS = int(os.environ.get("TWINCITY_NOTEBOOK_WORKERS", min(2, os.cpu_count() or 1)))
STORE = os.environ.get("TWINCITY_NOTEBOOK_STORE") or tempfile.mkdtemp(prefix="twincity-nb-")
pd.set_option("display.precision", 4)

POLICIES = {
    "helsinki:transit": ["mode_share_transit", "mode_share_car", "vehicle_km",
                         "mean_commute_time", "co2_per_capita_transport"],
    "helsinki:district_heating": ["co2_per_capita_buildings", "co2_per_capita_total",
                                  "electricity_per_capita", "peak_load"],
}
TARGETS = ("singapore", "sejong")

# %% [markdown]
# ## Run the transfers
#
# Four transfers share their runs through the store: each target city as it
# is runs once; Helsinki runs as it is once and once without each policy.

# %%
results = {(policy, target): twincity.transfer(policy, to=target, seeds=SEEDS, store=STORE,
                                               workers=WORKERS, overrides=OVERRIDES,
                                               scenarios_dir=SCENARIOS, kpis=kpis)
           for policy, kpis in POLICIES.items() for target in TARGETS}

# %% [markdown]
# ## How each policy was adapted

# %%
lines = []
for policy in POLICIES:
    first = results[policy, TARGETS[0]]
    lines.append(f"**{policy}**")
    lines.append(f"- {first.origin}: {first.notes[first.origin]}")
    lines.extend(f"- {results[policy, t].target}: {results[policy, t].notes[results[policy, t].target]}"  # noqa: E501
                 for t in TARGETS)
Markdown("\n".join(lines))

# %% [markdown]
# ## Effects (with − without, % of the without arm, 95% CI) and ratios
#
# Primary KPIs at 95% each, the others Holm-adjusted; `judgement` is good or
# bad by the KPI's direction; `direction` is "same direction" only when both
# effects are significant with one sign; the ratio is NaN without a
# significant effect in Helsinki.

# %%
columns = ["kpi", "role", "origin_rel_effect_pct", "origin_judgement", "target_rel_effect_pct",
           "target_judgement", "direction", "ratio", "ratio_ci_low", "ratio_ci_high"]
for r in results.values():
    display(Markdown(f"### {r.policy}: {r.origin} → {r.target}"))
    display(r.table[columns].set_index("kpi"))

# %%
results["helsinki:transit", "singapore"].plot()

# %%
results["helsinki:district_heating", "sejong"].plot()

# %% [markdown]
# ## Context

# %%
some = results["helsinki:transit", TARGETS[0]]
targets = [results["helsinki:transit", t] for t in TARGETS]
context = pd.concat([some.context[["unit", some.origin]],
                     *[r.context[[r.target]] for r in targets]], axis=1)
context

# %% [markdown]
# ## Reading

# %%
def phrase(row, side):
    return (f"{row[f'{side}_rel_effect_pct']:+.1f}% (95% CI {row[f'{side}_rel_ci_low_pct']:+.1f} "
            f"to {row[f'{side}_rel_ci_high_pct']:+.1f}; {row[f'{side}_judgement']})")


def ratio_text(row):
    if pd.isna(row["ratio"]):
        return "undefined (no significant effect in Helsinki)"
    lo, hi = row["ratio_ci_low"], row["ratio_ci_high"]
    ci = "unbounded" if abs(lo) == float("inf") else f"{lo:.2f} to {hi:.2f}"
    return f"{row['ratio']:.2f} (Fieller 95% CI {ci})"


hdd = context.loc["Heating degree days (base 18 °C)"]
transit = context.loc["Transit mode share (simulated, city as it is)"]
out = []
for policy, kpi in (("helsinki:transit", "mode_share_transit"),
                    ("helsinki:district_heating", "co2_per_capita_buildings")):
    origin_row = results[policy, TARGETS[0]].table.set_index("kpi").loc[kpi]
    text = f"`{policy}` changed `{kpi}` in Helsinki by {phrase(origin_row, 'origin')}"
    for t in TARGETS:
        r = results[policy, t]
        row = r.table.set_index("kpi").loc[kpi]
        effect = ("no change (the KPI's baseline is zero)"
                  if pd.isna(row["target_rel_effect_pct"]) else phrase(row, "target"))
        text += (f"; in {r.target} by {effect} ({row['direction']}), ratio "
                 f"{ratio_text(row)}")
    out.append(text + ".")
cities = list(hdd.index.drop("unit"))
out.append("Heating degree days: " + ", ".join(f"{c} {hdd[c]:,.0f}" for c in cities)
           + "; simulated transit share (each city as it is): "
           + ", ".join(f"{c} {transit[c]:.0%}" for c in cities) + ".")
coldest = max(cities, key=lambda c: hdd[c])
warmest = min(cities, key=lambda c: hdd[c])
room = (f"{warmest} has essentially none ({hdd[warmest]:.0f})" if hdd[warmest] < 50 else
        f"{coldest} has {hdd[coldest] / hdd[warmest]:.1f}× the heating degree days of {warmest}")
out.append("District heating replaces heating fuel, so its room to act scales with the heating "
           f"demand: {room}.")
if not FULL:
    out.append(f"(Small CI scale — {SEEDS} seeds, morning peak only; indicative numbers.)")
Markdown("\n\n".join(out))
