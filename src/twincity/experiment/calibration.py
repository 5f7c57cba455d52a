"""Calibrate a city's mode constants to its published mode shares, at equilibrium.

The procedure (what ``twincity calibrate`` runs, and how the shipped cities'
``demand.mode_constants`` were obtained):

1. Build the model with the current constants: demand, warm start and the
   dynamic equilibrium give congested car skims and transit skims.
2. On those costs (each slot's generalised costs weighted by its departures),
   fit the constants of transit, walk and bike (car is the reference, 0) so the
   expected logit shares match ``demand.observed_mode_shares``
   (:func:`~twincity.traffic.modechoice.calibrate_mode_constants`).
3. Congestion depends on the car share, so repeat from 1 with the new
   constants for a few rounds, until the simulated shares (drawn, on the
   reported day) are within the tolerance of the targets or rounds run out.

Example:
    >>> result = calibrate_city("scenarios/sejong.yaml", rounds=3)   # doctest: +SKIP
    >>> result.constants["transit"]                                  # doctest: +SKIP
    0.42
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twincity.errors import ScenarioError
from twincity.traffic.modechoice import calibrate_mode_constants
from twincity.traffic.routes import departure_slot
from twincity.vocab import MODES


@dataclass
class CityCalibration:
    """Outcome of :func:`calibrate_city`: constants, shares reached, one row per round."""

    constants: dict[str, float]
    shares: dict[str, float]
    targets: dict[str, float]
    rounds: list[dict] = field(default_factory=list)

    @property
    def max_error(self) -> float:
        """Largest absolute difference between a mode's simulated and target share."""
        return max(abs(self.shares[m] - self.targets[m]) for m in MODES)

    def yaml(self) -> str:
        """The ``mode_constants`` line to paste into the scenario file."""
        body = ", ".join(f"{m}: {self.constants[m]:.3f}" for m in MODES)
        return f"mode_constants: {{{body}}}"


def _daily_costs(traffic) -> np.ndarray:
    """Each slot's generalised costs weighted by its departures: ``gc[mode, o, d]``."""
    link_time = traffic.days[-1].link_time_s if traffic.days else None
    gc = traffic.skims_by_slot(link_time)
    slot = departure_slot(traffic.trips.departure_s - traffic.start_s, traffic.slot_s,
                          traffic.n_slots)
    w = np.bincount(slot, minlength=traffic.n_slots).astype(np.float64)
    w /= w.sum()
    finite = np.where(np.isfinite(gc), gc, np.nan)
    out = np.nansum(finite * w[:, None, None, None], axis=0)
    out[np.all(~np.isfinite(gc), axis=0)] = np.inf
    return out


def calibrate_city(path: str | Path, *, rounds: int = 3, tolerance: float = 0.01,
                   seed: int | None = None, overrides: dict | None = None,
                   progress: bool = False) -> CityCalibration:
    """Fit ``demand.mode_constants`` of the scenario at ``path`` (see the module docstring)."""
    from twincity.model import CityModel
    from twincity.scenario.loader import load_scenario

    loaded = load_scenario(path, overrides)
    targets = loaded.spec.demand.observed_mode_shares
    if targets is None:
        raise ScenarioError("no published mode shares to calibrate to; expected "
                            "demand.observed_mode_shares", path="demand.observed_mode_shares",
                            **loaded.where(("demand",)))
    constants = dict(loaded.spec.demand.mode_constants)
    history: list[dict] = []
    shares: dict[str, float] = {}
    for r in range(rounds):
        ov = {**(overrides or {}), "demand.mode_constants": constants}
        model = CityModel.from_file(path, seed=seed, overrides=ov, subsystems=("traffic",),
                                    progress=progress)
        traffic = model.traffic
        shares = {m: float(np.mean(traffic.mode == i)) for i, m in enumerate(MODES)}
        history.append({"round": r, "constants": dict(constants), "shares": shares,
                        "relative_gap": traffic.days[-1].relative_gap if traffic.days else None})
        if max(abs(shares[m] - targets[m]) for m in MODES) < tolerance:
            break
        d = model.city.spec.demand
        fit = calibrate_mode_constants(_daily_costs(traffic), traffic.trips, targets, constants,
                                       logit_scale_per_h=d.logit_scale_per_h,
                                       value_of_time_per_h=model.city.spec.city.value_of_time_per_h,
                                       tolerance=tolerance / 4)
        constants = {m: round(v, 4) for m, v in fit.constants.items()}
    return CityCalibration(constants=history[-1]["constants"], shares=shares,
                           targets=dict(targets), rounds=history)
