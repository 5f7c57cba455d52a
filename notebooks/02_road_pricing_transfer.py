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
# # Singapore's road pricing in Sejong and Helsinki
#
# Singapore's Electronic Road Pricing (ERP) charges cars per passage of a
# gantry in the peak, and reviews the charges so that priced roads keep
# moving. Its scenario lists it as `singapore:erp` with city-neutral
# parameters (the most central share of the network, a charge in hours of
# the local value of time, the charging periods). ERP is *in force* in
# Singapore's scenario: every Singapore run has it. `twincity.transfer`
# measures it "with − without" in both cities over the same seeds: at home,
# Singapore as it is minus Singapore without ERP; in each target, the target
# with ERP added (adapted) minus the target as it is. It reports the paired
# effects with 95% confidence intervals (ERP's primary KPIs — car share,
# central peak delay, central vehicle-km, transport CO2 — at 95% each, the
# others Holm-adjusted), whether the two effects go the same way, and the
# transferability ratio (effect in the target / effect in Singapore, with a
# Fieller confidence interval) where Singapore's effect is significant.
#
# **Scale.** By default the *small* scale: 3 seeds, the morning peak only
# (06:00–10:00, which holds ERP's 07:30–09:30 period) and 3 days of route
# adjustment. Set `TWINCITY_NOTEBOOK_SCALE=full` (and e.g.
# `TWINCITY_NOTEBOOK_SEEDS=20`) for the whole day at the scenarios' own settings.
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
# local Dask worker processes (1 = run in this process)
WORKERS = int(os.environ.get("TWINCITY_NOTEBOOK_WORKERS", min(2, os.cpu_count() or 1)))
# runs are kept in a result store; a shared one lets notebooks reuse each other's runs
STORE = os.environ.get("TWINCITY_NOTEBOOK_STORE") or tempfile.mkdtemp(prefix="twincity-nb-")
KPIS = ["mode_share_car", "mode_share_transit", "vehicle_km", "travel_time_index",
        "total_delay", "mean_commute_time", "co2_per_capita_transport", "nox_t_per_yr"]
pd.set_option("display.precision", 4)

# %% [markdown]
# ## Run the transfers
#
# Both transfers share Singapore's runs through the store: the second one
# only runs Helsinki.

# %%
results = {
    target: twincity.transfer("singapore:erp", to=target, seeds=SEEDS, store=STORE,
                              workers=WORKERS, overrides=OVERRIDES, scenarios_dir=SCENARIOS,
                              kpis=KPIS)
    for target in ("sejong", "helsinki")
}
first = results["sejong"]
print(f"{first.policy}: {len(first.seeds)} seeds, overrides {first.overrides}")

# %% [markdown]
# ## How ERP was adapted in each city

# %%
notes = {first.origin: first.notes[first.origin]}
for r in results.values():
    notes[r.target] = r.notes[r.target]
display(Markdown("\n".join(f"- **{city}**: {note}" for city, note in notes.items())))

# %% [markdown]
# ## Effects and transferability ratios
#
# `effect` is the mean paired difference with − without in the KPI's unit;
# `%` is relative to the city's without arm; `direction` is "same direction"
# only when both effects are significant with one sign, "opposite" when both
# are significant with opposite signs, else "inconclusive"; the ratio is NaN
# where Singapore's effect is not significant.

# %%
columns = ["kpi", "role", "origin_rel_effect_pct", "origin_judgement", "target_rel_effect_pct",
           "target_judgement", "direction", "ratio", "ratio_ci_low", "ratio_ci_high"]
for r in results.values():
    display(Markdown(f"### {r.origin} → {r.target}"))
    display(r.table[columns].set_index("kpi"))

# %%
results["sejong"].plot()

# %%
results["helsinki"].plot()

# %% [markdown]
# ## Context: why effects may differ

# %%
context = pd.concat([first.context[["unit", first.origin]],
                     *[r.context[[r.target]] for r in results.values()]], axis=1)
context

# %% [markdown]
# ## Reading

# %%
def pct(row, side):
    return (f"{row[f'{side}_rel_effect_pct']:+.1f}% (95% CI {row[f'{side}_rel_ci_low_pct']:+.1f} "
            f"to {row[f'{side}_rel_ci_high_pct']:+.1f}; {row[f'{side}_judgement']})")


lines = []
home = first.table.set_index("kpi")
primary = [k for k in first.primary if k in home.index]
lines.append(f"In {first.origin} (with − without ERP), the primary KPIs moved: "
             + "; ".join(f"`{k}` {pct(home.loc[k], 'origin')}" for k in primary) + ".")
for r in results.values():
    t = r.table.set_index("kpi")
    parts = []
    for k in primary:
        row = t.loc[k]
        ratio = (f"ratio {row['ratio']:.2f} (Fieller 95% CI {row['ratio_ci_low']:.2f} to "
                 f"{row['ratio_ci_high']:.2f})" if pd.notna(row["ratio"])
                 else "ratio undefined: no significant home effect")
        parts.append(f"`{k}` {pct(row, 'target')}, {row['direction']}, {ratio}")
    vot = r.context.loc["Value of time"]
    share = r.context.loc["Car mode share (simulated, city as it is)"]
    lines.append(
        f"In {r.target} the adapted scheme (with − without): " + "; ".join(parts) + ". "
        f"{r.target}'s value of time is {vot[r.target]:.1f} intl $/h against "
        f"{vot[r.origin]:.1f} in {r.origin} (the charge scales with it), and its car share is "
        f"{share[r.target]:.0%} against {share[r.origin]:.0%}.")
    if not r.unconverged.empty:
        lines.append(f"{len(r.unconverged)} run(s) of this transfer did not converge; see the "
                     "report's warning.")
if not FULL:
    lines.append(f"(Small CI scale — {SEEDS} seeds, morning peak only — so these intervals are "
                 "wide and most comparisons inconclusive; the full scale narrows them.)")
Markdown("\n\n".join(lines))
