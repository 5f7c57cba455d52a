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
# indicators, and a map of link speeds in the morning peak drawn from the
# links table and the network's node coordinates.
#
# **Scale.** By default this notebook runs at the *small* scale used in CI:
# the morning peak only (06:00–10:00) with 3 days of day-to-day route
# adjustment, so that it finishes in seconds. Congestion is not fully
# equilibrated at that scale; set the environment variable
# `TWINCITY_NOTEBOOK_SCALE=full` to run the scenario as written (whole day).

# %%
# %matplotlib inline
import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown
from matplotlib.collections import LineCollection

from twincity.model import CityModel

ROOT = next(p for p in (Path.cwd(), *Path.cwd().parents) if (p / "scenarios").is_dir())
FULL = os.environ.get("TWINCITY_NOTEBOOK_SCALE", "small") == "full"
SMALL = {"simulation.equilibrium_days": 3, "simulation.start_h": 6, "simulation.duration_h": 4}
OVERRIDES = {} if FULL else SMALL
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
# ## A map of link speeds in the morning peak
#
# The links table has one row per link and reporting interval (``start_s``
# counts from the simulation's start). We take the intervals between 07:00
# and 09:00 of the clock, weight each interval's mean speed by the
# vehicles that left the link, and compare with the free-flow speed. Links
# nobody used keep their free-flow speed.

# %%
links = results.tables["links"]
net = model.city.network
clock_s = model.city.spec.simulation.start_s + links["start_s"]
peak = links[(clock_s >= 7 * 3600) & (clock_s < 9 * 3600)]
used = peak[peak["outflow_veh"] > 0]
weight = used["outflow_veh"].to_numpy()
speed_sum = np.bincount(used["link"], weights=used["mean_speed_mps"] * weight,
                        minlength=net.n_links)
flow = np.bincount(used["link"], weights=weight, minlength=net.n_links)
speed_kmh = np.where(flow > 0, speed_sum / np.maximum(flow, 1e-12), net.speed_mps) * 3.6
ratio = speed_kmh / (net.speed_mps * 3.6)

segments = np.stack([np.column_stack([net.node_x_m[net.link_from], net.node_y_m[net.link_from]]),
                     np.column_stack([net.node_x_m[net.link_to], net.node_y_m[net.link_to]])],
                    axis=1) / 1000
fig, ax = plt.subplots(figsize=(7, 6), layout="constrained")
lines = LineCollection(segments, array=speed_kmh, cmap="RdYlGn",
                       linewidths=0.4 + 0.5 * net.lanes)
ax.add_collection(lines)
ax.autoscale()
ax.set_aspect("equal")
ax.set_xlabel("x, km")
ax.set_ylabel("y, km")
ax.set_title(f"{model.city.spec.city.name}: mean link speed 07:00–09:00")
fig.colorbar(lines, ax=ax, label="speed, km/h")
plt.show()

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
    f"{k['mean_commute_time']:.1f} min. In the morning peak {int((flow > 0).sum())} of "
    f"{net.n_links} links carried traffic in the sample, and {slow:.1%} of those ran below half "
    f"their free-flow speed. Transport emitted {k['co2_per_capita_transport']:.2f} t CO2 per "
    f"person per year out of {k['co2_per_capita_total']:.2f} t in total."
    + ("" if FULL else " (Small CI scale: trips departing 06:00–10:00 only, so daily totals "
                       "cover the morning peak; numbers are indicative only.)"))
