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
# the local value of time, the charging periods). `twincity.transfer` adapts
# it to each target city, runs baseline and policy over the same seeds in the
# origin and the target, and reports the paired effects with 95% confidence
# intervals and the transferability ratio (effect in the target / effect in
# Singapore, with a Fieller confidence interval).
#
# **Scale.** By default the *small* CI scale: 3 seeds, the morning peak only
# (06:00–10:00, which holds ERP's 07:30–09:30 period) and 3 days of route
# adjustment. Set `TWINCITY_NOTEBOOK_SCALE=full` (and e.g.
# `TWINCITY_NOTEBOOK_SEEDS=20`) for the whole day at the scenarios' own settings.

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
FULL = os.environ.get("TWINCITY_NOTEBOOK_SCALE", "small") == "full"
SMALL = {"simulation.equilibrium_days": 3, "simulation.start_h": 6, "simulation.duration_h": 4}
OVERRIDES = {} if FULL else SMALL
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
# `effect` is the mean paired difference policy − baseline in the KPI's unit;
# `%` is relative to the city's baseline; the ratio compares absolute effects.

# %%
columns = ["kpi", "origin_rel_effect_pct", "origin_rel_ci_low_pct", "origin_rel_ci_high_pct",
           "target_rel_effect_pct", "target_rel_ci_low_pct", "target_rel_ci_high_pct",
           "ratio", "ratio_ci_low", "ratio_ci_high", "origin_ci_includes_zero"]
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
            f"to {row[f'{side}_rel_ci_high_pct']:+.1f})")


lines = []
origin_row = first.table.set_index("kpi").loc["vehicle_km"]
lines.append(f"In {first.origin}, ERP changed car vehicle-km by {pct(origin_row, 'origin')} and "
             f"the car mode share by "
             f"{pct(first.table.set_index('kpi').loc['mode_share_car'], 'origin')}.")
for r in results.values():
    t = r.table.set_index("kpi")
    row = t.loc["vehicle_km"]
    verdict = ("not informative, because the origin effect's CI includes 0"
               if row["origin_ci_includes_zero"] else
               f"{row['ratio']:.2f} (Fieller 95% CI {row['ratio_ci_low']:.2f} to "
               f"{row['ratio_ci_high']:.2f})")
    vot = r.context.loc["Value of time"]
    share = r.context.loc["Car mode share (simulated baseline)"]
    lines.append(
        f"In {r.target} the adapted scheme changed vehicle-km by {pct(row, 'target')}; the "
        f"transferability ratio of vehicle-km is {verdict}. {r.target}'s value of time is "
        f"{vot[r.target]:.1f} intl $/h against {vot[r.origin]:.1f} in {r.origin} (the charge "
        f"scales with it), and its baseline car share is {share[r.target]:.0%} against "
        f"{share[r.origin]:.0%}.")
ratios = {r.target: r.table.set_index("kpi").loc["vehicle_km", "ratio_rel"]
          for r in results.values()}

def direction(v):
    return "same direction" if v > 0 else "opposite direction" if v < 0 else "no change"


lines.append("Relative to each city's own baseline, the vehicle-km effect is "
             + "; ".join(f"{v:.2f}× Singapore's in {k} ({direction(v)})"
                         for k, v in ratios.items()) + ".")
if not FULL:
    lines.append(f"(Small CI scale — {SEEDS} seeds, morning peak only — so these intervals are "
                 "wide and the numbers indicative; the full scale narrows them.)")
Markdown("\n\n".join(lines))
