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
# # twincity quickstart: run a city, read its KPIs, map its roads
#
# One run of Sejong (a scenario file in `scenarios/`), its key performance
# indicators, and maps of link speeds in the peaks (`twincity.viz`).
#
# **Scale.** By default this notebook runs at the *small* scale:
# the morning peak only (06:00–10:00) with 3 days of day-to-day route
# adjustment, so that it finishes in seconds. Congestion is not fully
# equilibrated at that scale; set the environment variable
# `TWINCITY_NOTEBOOK_SCALE=full` to run the scenario as written (whole day).
# The test suite runs it at `TWINCITY_NOTEBOOK_SCALE=ci`: the same span on a smaller
# generated network with a 0.5% sample and one day of route adjustment.

# %%
# %matplotlib inline
import os
from pathlib import Path

import numpy as np
from IPython.display import Markdown

from twincity.model import CityModel
from twincity.viz.common import link_window
from twincity.viz.maps import link_map

ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "scenarios").is_dir())
SCALE = os.environ.get("TWINCITY_NOTEBOOK_SCALE", "small")
FULL = SCALE == "full"
SMALL = {"simulation.equilibrium_days": 3, "simulation.start_h": 6, "simulation.duration_h": 4}
# the test suite's scale (tests/test_notebooks.py): smaller still, as tests/test_readme_run.py
# runs the shipped cities: a smaller generated network, a 0.5% sample, one day of adjustment
CI = {**SMALL, "network.generator.scale": 0.2, "simulation.sample_share": 0.005,
      "simulation.equilibrium_days": 1}
OVERRIDES = {} if FULL else CI if SCALE == "ci" else SMALL
OVERRIDES

# %% [markdown]
# ## Run one city
#
# `CityModel.from_file` loads and validates the scenario, builds the city
# (network, zones, population, buildings, grid) and wraps it in a Mesa model;
# `run()` simulates the span and returns the results.

# %%
model = CityModel.from_file(ROOT / "scenarios" / "sejong.yaml", seed=7, overrides=OVERRIDES)
results = model.run()
kpis = results.kpi_table()
kpis

# %% [markdown]
# ## Link speeds in the morning and evening peaks
#
# `twincity.viz.maps.link_map` draws each link's flow-weighted speed relative
# to its free-flow speed (1 = free flow) in the AM (07:00–10:00) and PM
# (17:00–20:00) peaks, the two directions of a road side by side; links
# nobody drove in a window stay thin and grey (at the small scale the evening
# panel is empty). `twincity plot RESULTS` draws this and the other figures
# of a results folder into `plots/` and `report.html`.

# %%
link_map(results, "speed")

# %%
am = link_window(results, (7.0, 10.0))
flow = am["flow_veh"].to_numpy()
ratio = am["speed_ratio"].to_numpy()
net = model.city.network

# %% [markdown]
# ## Reading

# %%
k = dict(zip(kpis["name"], kpis["value"], strict=True))
slow = float(np.mean(ratio[flow > 0] < 0.5)) if (flow > 0).any() else float("nan")
Markdown(
    f"In this run {model.city.spec.city.name} made {k['person_trips_per_day']:,.0f} person trips; "
    f"{k['mode_share_car']:.0%} went by car, {k['mode_share_transit']:.0%} by transit, "
    f"{k['mode_share_walk']:.0%} on foot and {k['mode_share_bike']:.0%} by bike. Cars drove "
    f"{k['vehicle_km']:,.0f} vehicle-km, with a travel time index of "
    f"{k['travel_time_index']:.3f} (1 = free flow) and a mean commute of "
    f"{k['mean_commute_time']:.1f} min. In the morning peak (07:00–10:00) "
    f"{int((flow > 0).sum())} of "
    f"{net.n_links} links carried traffic in the sample, and {slow:.1%} of those ran below half "
    f"their free-flow speed. Transport emitted {k['co2_per_capita_transport']:.2f} t CO2 per "
    f"person per year out of {k['co2_per_capita_total']:.2f} t in total."
    + ("" if FULL else " (Small CI scale: trips departing 06:00–10:00 only, so daily totals "
                       "cover the morning peak; numbers are indicative only.)"))
