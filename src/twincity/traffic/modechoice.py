"""Mode choice: a multinomial logit over car, transit, walk and bike.

Generalised cost per mode and zone pair, in the city's currency
(:func:`generalised_costs`), with ``VoT`` the value of time per hour:

* car: ``VoT × time + fuel_cost_per_km × km + tolls`` (+ ``parking_cost_centre``
  if the destination zone is central, :func:`central_zones`), from the car
  skims of the current (congested, tolled) road;
* transit: ``VoT × (access + wait + in-vehicle + transfer penalties) + fare``,
  from the transit skims of the current supply;
* walk / bike: ``VoT × distance / speed`` with the straight-line distance
  between zone centres × :data:`~twincity.traffic.transit.WALK_DETOUR` (the
  diagonal: half the distance to the nearest other zone centre).

Utility, with constants in hours and the scale in utility per hour as the
scenario schema states: ``V_m = λ · (ASC_m − GC_m / VoT)``, where ``λ`` is
``logit_scale_per_h``. (With ``λ = 1`` this is ``ASC_m − GC_m / VoT``; for
other scales the constant is scaled too, so that it stays in hours of travel
time.) A mode that is unavailable to a traveller (no car, no bike) or has no
path (infinite cost) gets ``V = −inf`` and probability 0.

Everything a policy changes — tolls, congested road times, capacities,
fares, headways, line speeds, parking charges — changes the skims or the
demand section passed in here; there is no other path into the choice.

Example:
    >>> logit_probabilities(np.array([[0.0, np.log(3.0)]])).round(3).tolist()
    [[0.25, 0.75]]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twincity.errors import InputError
from twincity.scenario.sections_city import DemandSpec
from twincity.traffic.skims import CarSkims, straight_line_m
from twincity.traffic.transit import WALK_DETOUR, TransitSkims
from twincity.vocab import BIKE, CAR, MODES, TRANSIT, WALK

#: Share of the city's jobs held by the "central" zones (parking charges, cordons).
CENTRAL_JOB_SHARE = 0.10


def central_zones(zones, centre_xy_m: tuple[float, float],
                  job_share: float = CENTRAL_JOB_SHARE) -> np.ndarray:
    """Mask of the central zones: the zones nearest the centre that together hold
    ``job_share`` of the jobs (the zone that crosses the threshold included; at
    least one zone).

    >>> from types import SimpleNamespace as NS
    >>> z = NS(x_m=np.array([0.0, 100.0, 900.0]), y_m=np.zeros(3), jobs=np.array([5, 10, 85]))
    >>> central_zones(z, (0.0, 0.0), 0.10).tolist()
    [True, True, False]
    """
    r = np.hypot(zones.x_m - centre_xy_m[0], zones.y_m - centre_xy_m[1])
    order = np.argsort(r, kind="stable")
    jobs = np.asarray(zones.jobs, dtype=np.float64)[order]
    before = np.concatenate([[0.0], np.cumsum(jobs)[:-1]])
    take = before < job_share * jobs.sum()
    take[0] = True
    mask = np.zeros(len(r), dtype=bool)
    mask[order[take]] = True
    return mask


def generalised_costs(city, car: CarSkims, transit: TransitSkims, *,
                      demand: DemandSpec | None = None,
                      value_of_time_per_h: float | None = None,
                      central: np.ndarray | None = None) -> np.ndarray:
    """Generalised cost ``gc[mode, origin, destination]`` in currency (``inf``: no path).

    ``demand`` overrides the scenario's demand section (fuel cost, parking,
    speeds), ``value_of_time_per_h`` the city's value of time, ``central`` the
    mask of central zones (default :func:`central_zones`).

    Example:
        >>> gc = generalised_costs(city, car_skims(...), transit_skims(city))  # doctest: +SKIP
    """
    d = city.spec.demand if demand is None else demand
    vot = city.spec.city.value_of_time_per_h if value_of_time_per_h is None \
        else float(value_of_time_per_h)
    zones = city.zones
    n = zones.n
    if central is None:
        central = central_zones(zones, city.centre_xy_m)
    for name, m in (("car", car.time_s), ("transit", transit.total_time_s)):
        if np.shape(m) != (n, n):
            raise InputError(f"expected {n}×{n} skims, got {np.shape(m)}", path=f"{name} skims")
    per_s = vot / 3600.0
    gc = np.empty((4, n, n), dtype=np.float64)
    gc[CAR] = (per_s * car.time_s + d.fuel_cost_per_km * car.distance_m / 1000.0 + car.toll
               + np.where(central, d.parking_cost_centre, 0.0)[None, :])
    gc[TRANSIT] = per_s * transit.total_time_s + transit.fare
    dist_m = straight_line_m(zones) * WALK_DETOUR
    gc[WALK] = per_s * dist_m / d.walk_speed_mps
    gc[BIKE] = per_s * dist_m / d.bike_speed_mps
    return gc


def logit_probabilities(utility: np.ndarray) -> np.ndarray:
    """Multinomial-logit probabilities along the last axis; ``−inf`` utilities get 0.

    A row with no finite utility gets all zeros.

    >>> logit_probabilities(np.array([[1.0, -np.inf, 1.0]])).tolist()
    [[0.5, 0.0, 0.5]]
    """
    u = np.asarray(utility, dtype=np.float64)
    top = np.max(u, axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    e = np.exp(u - top)
    s = e.sum(axis=-1, keepdims=True)
    return np.divide(e, s, out=np.zeros_like(e), where=s > 0)


def _constant_vector(constants: dict[str, float]) -> np.ndarray:
    missing = [m for m in MODES if m not in constants]
    if missing:
        raise InputError(f"expected constants for every mode; missing {missing}",
                         path="mode_constants")
    return np.array([constants[m] for m in MODES], dtype=np.float64)


def _utilities(gc, oz, dz, car_ok, bike_ok, asc, scale_per_h, vot):
    v = scale_per_h * (asc[None, :] - gc[:, oz, dz].T / vot)  # (trips, modes)
    v[~np.isfinite(v)] = -np.inf
    v[~np.asarray(car_ok, bool), CAR] = -np.inf
    v[~np.asarray(bike_ok, bool), BIKE] = -np.inf
    return v


def mode_probabilities(gc: np.ndarray, trips, constants: dict[str, float], *,
                       logit_scale_per_h: float, value_of_time_per_h: float) -> np.ndarray:
    """Choice probabilities ``p[trip, mode]`` (modes in :data:`MODES` order).

    ``trips`` needs ``origin_zone``, ``dest_zone``, ``car_available`` and
    ``bike_available`` arrays (a :class:`~twincity.traffic.demand.Trips`).

    Example:
        >>> p = mode_probabilities(gc, trips, spec.demand.mode_constants,
        ...                        logit_scale_per_h=3.0,
        ...                        value_of_time_per_h=15000.0)  # doctest: +SKIP
    """
    v = _utilities(gc, np.asarray(trips.origin_zone), np.asarray(trips.dest_zone),
                   trips.car_available, trips.bike_available, _constant_vector(constants),
                   float(logit_scale_per_h), float(value_of_time_per_h))
    return logit_probabilities(v)


def mode_utilities(gc: np.ndarray, trips, constants: dict[str, float], *,
                   logit_scale_per_h: float, value_of_time_per_h: float) -> np.ndarray:
    """Systematic utilities ``V[trip, mode]`` (−inf where unavailable), as the logit uses.

    Adding frozen standard Gumbel errors per traveller and mode and taking the
    best (:func:`choose_by_errors`) draws from exactly the logit probabilities
    of :func:`mode_probabilities`, but deterministically given the errors.
    """
    return _utilities(gc, np.asarray(trips.origin_zone), np.asarray(trips.dest_zone),
                      trips.car_available, trips.bike_available, _constant_vector(constants),
                      float(logit_scale_per_h), float(value_of_time_per_h))


def choose_by_errors(utility: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """The best mode (int8) per trip of ``utility + errors`` (random-utility choice).

    >>> choose_by_errors(np.array([[0.0, -np.inf, 0.1]]), np.array([[0.5, 9.0, 0.0]])).tolist()
    [0]
    """
    return np.argmax(np.asarray(utility) + errors, axis=1).astype(np.int8)


@dataclass(frozen=True, eq=False)
class Calibration:
    """Result of :func:`calibrate_mode_constants`.

    ``history`` holds, per iteration, the constants used and the shares they
    gave (before that iteration's update).
    """

    constants: dict[str, float]
    shares: dict[str, float]
    converged: bool
    iterations: int
    history: list[dict[str, dict[str, float]]] = field(default_factory=list)


def calibrate_mode_constants(gc: np.ndarray, trips, targets: dict[str, float],
                             constants: dict[str, float], *, logit_scale_per_h: float,
                             value_of_time_per_h: float, tolerance: float = 0.005,
                             max_iterations: int = 100) -> Calibration:
    """Fit the mode constants to target shares on fixed costs.

    Iterates ``ASC_m ← ASC_m + ln(target_m / share_m) / λ`` for every mode but
    car (the reference, kept at its given value) until every expected share
    (mean probability over ``trips``) is within ``tolerance`` (0.005 = 0.5
    percentage points) of its target. The division by the logit scale keeps
    the constants in hours. A mode with target 0 gets constant ``−inf``.
    Stops unconverged (``converged=False``) after ``max_iterations`` or when a
    mode with a positive target is unavailable to every trip.

    Trips are grouped by (origin, destination, car, bike) cell, so each
    iteration costs one logit per distinct cell.

    Example:
        >>> cal = calibrate_mode_constants(gc, trips, {"car": .6, "transit": .08,
        ...     "walk": .27, "bike": .05}, spec.demand.mode_constants,
        ...     logit_scale_per_h=3.0, value_of_time_per_h=15000.0)  # doctest: +SKIP
    """
    target = _constant_vector(targets)
    if np.any(target < 0) or abs(target.sum() - 1.0) > 1e-3:
        raise InputError("expected non-negative target shares summing to 1",
                         path="observed_mode_shares")
    asc = _constant_vector(constants)
    asc[target == 0] = -np.inf
    n_z = gc.shape[1]
    key = ((np.asarray(trips.origin_zone, np.int64) * n_z + np.asarray(trips.dest_zone))
           * 2 + np.asarray(trips.car_available, np.int64)) * 2 \
        + np.asarray(trips.bike_available, np.int64)
    cells, count = np.unique(key, return_counts=True)
    if len(cells) == 0:
        raise InputError("expected at least one trip to calibrate on", path="trips")
    weight = count / count.sum()
    bike_ok = (cells % 2).astype(bool)
    car_ok = ((cells // 2) % 2).astype(bool)
    od = cells // 4
    oz, dz = od // n_z, od % n_z
    scale, vot = float(logit_scale_per_h), float(value_of_time_per_h)
    history: list[dict[str, dict[str, float]]] = []
    converged = False
    it = 0
    shares = np.zeros(4)
    for it in range(1, max_iterations + 1):  # noqa: B007 - reported below
        p = logit_probabilities(_utilities(gc, oz, dz, car_ok, bike_ok, asc, scale, vot))
        shares = weight @ p
        history.append({"constants": dict(zip(MODES, asc.tolist(), strict=True)),
                        "shares": dict(zip(MODES, shares.tolist(), strict=True))})
        if np.max(np.abs(shares - target)) < tolerance:
            converged = True
            break
        fit = (target > 0) & (np.arange(4) != CAR)
        if np.any(fit & (shares <= 0)):
            break  # a wanted mode is chosen by nobody at any constant: cannot fit
        asc[fit] += np.log(target[fit] / shares[fit]) / scale
    return Calibration(constants=dict(zip(MODES, asc.tolist(), strict=True)),
                       shares=dict(zip(MODES, shares.tolist(), strict=True)),
                       converged=converged, iterations=it, history=history)


def mode_shares(modes: np.ndarray) -> dict[str, float]:
    """Share of trips by mode from drawn mode indices.

    >>> mode_shares(np.array([0, 0, 1, 2]))
    {'car': 0.5, 'transit': 0.25, 'walk': 0.25, 'bike': 0.0}
    """
    c = np.bincount(np.asarray(modes, np.int64), minlength=4)[:4]
    return dict(zip(MODES, (c / max(c.sum(), 1)).tolist(), strict=True))
