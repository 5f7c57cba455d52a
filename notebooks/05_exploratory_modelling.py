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
# # Exploratory modelling: Sejong under deep uncertainty, with the EMA workbench
#
# The [EMA workbench](https://emaworkbench.readthedocs.io) samples a model's
# *uncertainties* (what the city cannot choose) and *levers* (what it can),
# runs every combination and finds out which conditions lead to an outcome
# of concern. `twincity.experiment.ema.ema_model` wraps a scenario as an EMA
# model: uncertainties are scenario fields (the keys `--set` takes), levers
# are parameters of a registered policy, outcomes are KPIs.
#
# Here: Sejong's trip rate and share of commute trips are uncertain; the
# lever is the share of commuters working from home (the `remote_work`
# policy). We then ask PRIM (the Patient Rule Induction Method, scenario
# discovery) which region of the uncertainties gives the highest road
# vehicle-km.
#
# **Scale.** By default this notebook runs at the *small* scale used in CI:
# the morning peak (07:00–09:00), traffic only, a 1% sample, one day of
# route choice, 8 × 2 experiments. Set `TWINCITY_NOTEBOOK_SCALE=full` for a
# whole day at the scenario's sample and 64 × 4 experiments (hours of CPU).
# Needs `pip install ema-workbench`.

# %%
import os
from pathlib import Path

import numpy as np
import pandas as pd
from ema_workbench import SequentialEvaluator, perform_experiments
from ema_workbench.analysis import prim
from IPython.display import Markdown

from twincity.experiment.ema import ema_model, ema_name

ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "scenarios").is_dir())
FULL = os.environ.get("TWINCITY_NOTEBOOK_SCALE", "small") == "full"
SMALL = {"simulation.start_h": 7, "simulation.duration_h": 2,
         "simulation.equilibrium_days": 1, "simulation.sample_share": 0.01}
OVERRIDES = {} if FULL else SMALL
N_SCENARIOS, N_POLICIES = (64, 4) if FULL else (8, 2)

# %% [markdown]
# ## The model: uncertainties from the scenario, a lever from a policy

# %%
UNCERTAIN = {"demand.trips_per_person_per_day": (2.2, 3.0),   # Sejong's 2.6 ± ~15%
             "demand.commute_share": (0.3, 0.5)}
model = ema_model(ROOT / "scenarios" / "sejong.yaml", uncertainties=UNCERTAIN,
                  policy="remote_work", levers={"remote_share": (0.0, 0.3)},
                  outcomes=["vehicle_km", "total_delay", "mode_share_car"],
                  overrides=OVERRIDES, seed=7,
                  subsystems=None if FULL else ("traffic",))
[u.name for u in model.uncertainties], [lever.name for lever in model.levers]

# %% [markdown]
# ## Experiments: Latin hypercube over uncertainties × levers

# %%
SEED = 2026  # one root seed: the samples (and every run's seed, 7) are reproducible
experiments, outcomes = perform_experiments(
    model, scenarios=N_SCENARIOS, policies=N_POLICIES, evaluator=SequentialEvaluator(model),
    uncertainty_sampling_kwargs={"rng": SEED}, lever_sampling_kwargs={"rng": SEED + 1})
table = experiments[[*map(ema_name, UNCERTAIN), ema_name("remote_share", "remote_work")]].assign(
    **{k: v for k, v in outcomes.items()})
table.round(3)

# %% [markdown]
# ## Scenario discovery: when is vehicle-km highest?
#
# The cases of concern are the top quarter of vehicle-km. PRIM peels the
# uncertainty space down to a box that holds many of them (*coverage*) and
# few others (*density*).

# %%
x = experiments[[*map(ema_name, UNCERTAIN), ema_name("remote_share", "remote_work")]]
threshold = float(np.quantile(outcomes["vehicle_km"], 0.75))
of_concern = outcomes["vehicle_km"] >= threshold
box = prim.Prim(x, of_concern, peel_alpha=0.1).find_box()
trajectory = box.peeling_trajectory
trajectory[["coverage", "density", "mass", "res_dim"]].round(3).tail()

# %% [markdown]
# The box PRIM stops at, with the range it keeps of each restricted dimension
# (and the quasi-p-value of each restriction):

# %%
stats, limits = box.inspect(style="data")[0]
limits

# %% [markdown]
# ## Reading

# %%
vkm = pd.Series(outcomes["vehicle_km"])
lever = x[ema_name("remote_share", "remote_work")]
rate = x[ema_name("demand.trips_per_person_per_day")]
slope_rate = float(np.polyfit(rate, vkm, 1)[0])
slope_lever = float(np.polyfit(lever, vkm, 1)[0])
restricted = ", ".join(f"{name.split('__')[-1]} in [{lo:.3g}, {hi:.3g}]"
                       for name, (lo, hi) in limits.iloc[:, :2].iterrows()) or "no restriction"
Markdown(
    f"Across {len(vkm)} runs of **Sejong** ({'full' if FULL else 'small'} scale), road "
    f"vehicle-km ranged from {vkm.min():,.0f} to {vkm.max():,.0f}. A linear fit gives "
    f"{slope_rate:+,.0f} veh-km per extra trip per person per day and "
    f"{slope_lever / 10:+,.0f} veh-km per 10 points of remote work. The top quarter "
    f"(≥ {threshold:,.0f} veh-km) is the outcome of concern; PRIM's box ({restricted}) "
    f"covers {stats['coverage']:.0%} of those cases at a density of "
    f"{stats['density']:.0%}. At the small scale these are {len(vkm)} runs of a two-hour "
    "peak: a demonstration of the workflow, not a finding.")
