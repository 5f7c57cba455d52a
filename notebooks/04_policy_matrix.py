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
# # Every signature policy in every city
#
# Each shipped city lists its signature policies in its scenario file
# (`policies:`). Here every one of them runs in every city with
# `twincity.compare`: "with − without" over the same seeds — in its home city,
# where it is in force, the city as it is minus the city without it;
# elsewhere the city with it added minus the city as it is — and the effects
# are collected into a policy × city matrix per KPI. Each policy's primary
# KPIs are tested at 95%, the others with Holm's adjustment; colours say good
# (green) or bad (red) by each KPI's direction.
#
# **Scale.** By default the *small* scale: 3 seeds, the morning peak only
# (06:00–10:00), 3 days of route adjustment. Set `TWINCITY_NOTEBOOK_SCALE=full`
# for the whole day at the scenarios' own settings.
# The test suite runs it at `TWINCITY_NOTEBOOK_SCALE=ci`: the same span on a smaller
# generated network with a 0.5% sample and one day of route adjustment, with 2 seeds
# (`TWINCITY_NOTEBOOK_SEEDS=2`) in the kernel's own process (`TWINCITY_NOTEBOOK_WORKERS=1`).

# %%
# %matplotlib inline
import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Markdown

import twincity
from twincity.kpi import better_sign
from twincity.scenario.loader import load_scenario

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
KPIS = ["mode_share_car", "mode_share_transit", "vehicle_km", "mean_commute_time",
        "co2_per_capita_transport", "co2_per_capita_buildings", "co2_per_capita_total"]

# %% [markdown]
# ## The signature policies, read from the scenario files

# %%
CITY_FILES = sorted(SCENARIOS.glob("*.yaml"))
POLICIES = [f"{path.stem}:{p.label or p.name}" for path in CITY_FILES
            for p in load_scenario(path).spec.policies]
POLICIES

# %% [markdown]
# ## Run every policy in every city

# %%
runs = {policy: twincity.compare(policy, cities=[p.stem for p in CITY_FILES], seeds=SEEDS,
                                 store=STORE, workers=WORKERS, overrides=OVERRIDES,
                                 scenarios_dir=SCENARIOS, kpis=KPIS)
        for policy in POLICIES}
effects = pd.concat([r.effects.assign(policy=p) for p, r in runs.items()], ignore_index=True)
effects[["policy", "city", "kpi", "role", "effect", "ci_low", "ci_high", "rel_effect_pct",
         "p_adjusted", "significant", "judgement"]].head(12)

# %% [markdown]
# ## How each policy was adapted in each city

# %%
Markdown("\n".join(f"- **{p}** in {city}: {note}" for p, r in runs.items()
                   for city, note in r.notes.items()))

# %% [markdown]
# ## Policy × city matrices (% of the without arm; * = significant; green good, red bad)

# %%
shown = ["vehicle_km", "mode_share_transit", "co2_per_capita_total"]
cities = runs[POLICIES[0]].cities
fig, axes = plt.subplots(1, len(shown), figsize=(4.2 * len(shown), 0.6 * len(POLICIES) + 1.8),
                         layout="constrained")
for ax, kpi in zip(axes, shown, strict=True):
    sub = effects[effects["kpi"] == kpi]
    m = sub.pivot(index="policy", columns="city", values="rel_effect_pct").reindex(
        index=POLICIES, columns=cities)
    sig = sub.pivot(index="policy", columns="city", values="significant").reindex(
        index=POLICIES, columns=cities).fillna(False)
    # positive = good for the city (by the KPI's direction); not significant: uncoloured
    good = np.where(sig.to_numpy(bool), m.to_numpy(float) * better_sign(kpi), np.nan)
    lim = float(np.nanmax(np.abs(good))) if np.isfinite(good).any() else 1.0
    ax.imshow(good, cmap="RdYlGn", vmin=-lim, vmax=lim, aspect="auto")
    ax.set_xticks(range(len(cities)), cities)
    ax.set_yticks(range(len(POLICIES)), POLICIES if ax is axes[0] else [""] * len(POLICIES))
    for i in range(len(POLICIES)):
        for j in range(len(cities)):
            v = m.iloc[i, j]
            if np.isfinite(v):
                ax.text(j, i, f"{v:+.1f}{'*' if sig.iloc[i, j] else ''}", ha="center",
                        va="center", fontsize="small")
    ax.set_title(kpi)
plt.show()

# %%
runs[POLICIES[0]].plot()

# %% [markdown]
# ## Reading

# %%
lines = []
for kpi, what in (("vehicle_km", "car vehicle-km"), ("co2_per_capita_total", "total CO2")):
    sub = effects[(effects["kpi"] == kpi) & effects["significant"]]
    if sub.empty:
        lines.append(f"No policy changed {what} significantly in any city.")
        continue
    best = sub.loc[sub["rel_effect_pct"].idxmin()]
    worst = sub.loc[sub["rel_effect_pct"].idxmax()]
    text = (f"The largest cut in {what}: `{best['policy']}` in {best['city']}, "
            f"{best['rel_effect_pct']:+.1f}% (95% CI {best['rel_ci_low_pct']:+.1f} to "
            f"{best['rel_ci_high_pct']:+.1f})")
    if worst["rel_effect_pct"] > 0:
        text += (f"; the largest increase: `{worst['policy']}` in {worst['city']}, "
                 f"{worst['rel_effect_pct']:+.1f}%")
    lines.append(text + ".")
for policy in POLICIES:
    home = policy.split(":")[0]
    sub = effects[(effects["policy"] == policy) & effects["significant"]]
    counts = sub.groupby("city").size().reindex(cities, fill_value=0)
    home_city = next(c for c, path in runs[policy].scenarios.items() if Path(path).stem == home)
    lines.append(f"`{policy}` moved {counts[home_city]} of {len(KPIS)} KPIs significantly in "
                 f"its home city {home_city} (with − without), and "
                 + ", ".join(f"{counts[c]} in {c}" for c in cities if c != home_city) + ".")
if not FULL:
    lines.append(f"(Small CI scale — {SEEDS} seeds, morning peak only; indicative numbers.)")
Markdown("\n\n".join(lines))
