"""Fit a city's travel demand to traffic counts: the trip rate and the departure profile.

Demand enters the counted flows through the trips that depart in each clock hour:
``a_h = trips_per_person_per_day × p_h / Σp`` per resident (``p`` is
``demand.departure_profile``). :func:`fit_to_counts` adjusts them by a fixed-point
iteration, each round running the city's traffic (no energy or emissions), comparing
its hourly link flows with the counts (:func:`twincity.counts.compare_counts`) and
taking, on the counted link-hours, the ratio ``r`` of counted to model vehicles:

* ``fit="scale"``: one ratio over all counted hours; the trip rate is multiplied by
  it, the profile kept (the shape of the day is the scenario's);
* ``fit="profile"``: one ratio per counted hour ``h``; that hour's departures ``a_h``
  are multiplied by ``r_h``. Hours without counts keep their departures per
  resident, so the fitted trip rate is ``Σ a_h`` and the profile ``a`` (written
  rescaled to the scenario profile's sum, for reading).

Flows respond to departures not exactly in proportion (congestion, mode and route
choice, trips that cross the hour), hence the rounds. The fit stops when every
ratio is within ``tolerance`` of 1 (``converged``; the values are the ones last
simulated) or after ``rounds`` rounds (the values are then the last update, not yet
simulated). Trucks are part of the model flows: their number follows the trip rate
(``fleet.truck_share`` of road vehicles), their departure times do not follow the
profile (uniform over the truck window), so the per-hour ratios absorb them. A
counted hour in which the model has no flow at all cannot be scaled and is reported.

Example:
    >>> fit = fit_to_counts("tests/data/tiny.yaml", "counts.csv")   # doctest: +SKIP
    >>> print(fit.yaml())                                           # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from twincity.counts import compare_counts, read_counts
from twincity.errors import InputError

#: The scenario fields a fit to counts adjusts.
DEMAND_RATE = "demand.trips_per_person_per_day"
DEPARTURE_PROFILE = "demand.departure_profile"
#: What :func:`fit_to_counts` can fit.
FIT_KINDS = ("profile", "scale")


@dataclass
class CountFit:
    """Outcome of :func:`fit_to_counts`: the fitted demand and every round."""

    trips_per_person_per_day: float
    departure_profile: list[float]
    fitted: str
    rounds: list[dict[str, Any]]
    converged: bool
    notes: list[str]

    def yaml(self) -> str:
        """The lines to put into the scenario's ``demand`` section."""
        why = f"  # fitted to traffic counts (twincity calibrate --counts --fit {self.fitted})"
        lines = [f"trips_per_person_per_day: {self.trips_per_person_per_day:.3f}{why}"]
        if self.fitted == "profile":
            values = ", ".join(f"{v:.3g}" for v in self.departure_profile)
            lines.append(f"departure_profile: [{values}]{why}")
        return "\n".join(lines)


def fit_to_counts(path: str | Path, counts_file: str | Path, *,
                  fit: Literal["profile", "scale"] = "profile", seed: int | None = None,
                  overrides: dict[str, Any] | None = None, rounds: int = 4,
                  tolerance: float = 0.02) -> CountFit:
    """Fit the trip rate (``scale``), or the rate and the departure profile (``profile``),
    of the scenario at ``path`` to the hourly counts in ``counts_file`` (module docstring).
    """
    from twincity.city.maps import network_table
    from twincity.model import CityModel
    from twincity.scenario.loader import load_scenario

    if fit not in FIT_KINDS:
        raise InputError(f"fit={fit!r}; expected one of {', '.join(FIT_KINDS)}", path="fit")
    fixed = dict(overrides or {})
    loaded = load_scenario(path, fixed)
    sim, demand = loaded.spec.simulation, loaded.spec.demand
    profile = np.asarray(demand.departure_profile, dtype=np.float64)
    # departures per resident in each clock hour: what the fit adjusts
    per_hour = demand.trips_per_person_per_day * profile / profile.sum()
    counts = None
    history: list[dict[str, Any]] = []
    notes: list[str] = []
    for i in range(1, rounds + 1):
        rate, shape = float(per_hour.sum()), _shape(per_hour, profile)
        model = CityModel(path, seed=seed, subsystems=("traffic",),
                          overrides={**fixed, DEMAND_RATE: rate, DEPARTURE_PROFILE: shape})
        links = model.run().tables["links"]
        if counts is None:
            counts = read_counts(counts_file, network=network_table(model.city))
        c = compare_counts(links, counts, start_s=sim.start_s, interval_s=sim.interval_s,
                           duration_s=sim.duration_s)
        by_hour = c.by_hour.set_index("hour")
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio_h = (by_hour["count"] / by_hour["model_vph"]).to_dict()
        total = 1.0 / c.summary["model_over_count"]
        history.append({"round": i, "trips_per_person_per_day": rate,
                        "departure_profile": shape, "model_over_count":
                        c.summary["model_over_count"], "share_geh_lt_5":
                        c.summary["share_geh_lt_5"], "mean_geh": c.summary["mean_geh"],
                        "count_over_model_by_hour": ratio_h})
        if not math.isfinite(total) or total <= 0:
            raise InputError("the model has no flow on the counted link-hours; expected "
                             "counts on links the simulated traffic uses", file=counts_file)
        if fit == "scale":
            ratios = {h: total for h in range(24)}
            worst = abs(total - 1.0)
        else:
            ratios = {h: r for h, r in ratio_h.items() if math.isfinite(r) and r > 0}
            empty = sorted(int(h) for h, r in ratio_h.items() if h not in ratios)
            if empty and i == 1:
                notes.append(f"hours {empty}: counts but no model flow on the counted links; "
                             "their departures are left as they are")
            worst = max(abs(r - 1.0) for r in ratios.values())
        if worst <= tolerance:
            return CountFit(rate, shape, fit, history, True, notes)
        for h, r in ratios.items():
            per_hour[int(h)] *= r
    rate, shape = float(per_hour.sum()), _shape(per_hour, profile)
    return CountFit(rate, shape, fit, history, False, notes)


def _shape(per_hour: np.ndarray, profile: np.ndarray) -> list[float]:
    """Departures per hour as a profile on the scenario profile's scale (same sum)."""
    return (per_hour * profile.sum() / per_hour.sum()).tolist()
