"""Mode choice: closed-form logit, generalised costs, policy responses, calibration."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace as NS

import numpy as np
import pytest

from twincity import draws
from twincity.city.build import build_city
from twincity.errors import InputError
from twincity.scenario.loader import load_scenario
from twincity.traffic.demand import generate_trips
from twincity.traffic.modechoice import (
    calibrate_mode_constants,
    central_zones,
    choose_by_errors,
    generalised_costs,
    logit_probabilities,
    mode_probabilities,
    mode_shares,
)
from twincity.traffic.skims import car_link_cost_s, car_skims
from twincity.traffic.transit import transit_skims
from twincity.vocab import BIKE, CAR, MODES, TRANSIT, WALK

VOT = 15000.0


@pytest.fixture(scope="module")
def city(request):
    return build_city(load_scenario(request.config.rootpath / "tests/data/tiny.yaml"))


@pytest.fixture(scope="module")
def trips(city):
    return generate_trips(city, np.random.default_rng(4), sample_share=0.1)


def tolled_car(city, toll_per_link: float):
    net = city.network
    toll = np.full(net.n_links, toll_per_link)
    return car_skims(net, city.zones, car_link_cost_s(net.free_flow_s, toll, VOT),
                     net.free_flow_s, toll)


def shares(gc, trips, city):
    d = city.spec.demand
    p = mode_probabilities(gc, trips, d.mode_constants, logit_scale_per_h=d.logit_scale_per_h,
                           value_of_time_per_h=VOT)
    return p.mean(axis=0)


def test_two_mode_logit_equals_closed_form():
    rng = np.random.default_rng(0)
    n_z = 3
    gc = np.full((4, n_z, n_z), np.inf)
    gc[CAR] = rng.uniform(1000, 9000, (n_z, n_z))
    gc[TRANSIT] = rng.uniform(1000, 9000, (n_z, n_z))
    o, d = np.meshgrid(np.arange(n_z), np.arange(n_z), indexing="ij")
    t = NS(origin_zone=o.ravel(), dest_zone=d.ravel(), car_available=np.ones(9, bool),
           bike_available=np.zeros(9, bool))
    asc = {"car": 0.0, "transit": -0.2, "walk": 0.0, "bike": 0.0}
    lam = 2.5
    p = mode_probabilities(gc, t, asc, logit_scale_per_h=lam, value_of_time_per_h=VOT)
    dv = lam * ((asc["transit"] - gc[TRANSIT] / VOT) - (0.0 - gc[CAR] / VOT)).ravel()
    np.testing.assert_allclose(p[:, CAR], 1.0 / (1.0 + np.exp(dv)), rtol=1e-12)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert np.all(p[:, [WALK, BIKE]] == 0.0)  # no path (inf cost), no bike


def test_logit_is_stable_for_extreme_utilities():
    p = logit_probabilities(np.array([[1000.0, 0.0, -np.inf], [-np.inf, -np.inf, -np.inf]]))
    assert p.tolist() == [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]


def test_generalised_costs_compose_the_skims(city):
    car = tolled_car(city, 100.0)
    tr = transit_skims(city)
    central = central_zones(city.zones, city.centre_xy_m)
    gc = generalised_costs(city, car, tr, central=central)
    d = city.spec.demand
    expect_car = (VOT * car.time_s / 3600 + d.fuel_cost_per_km * car.distance_m / 1000
                  + car.toll + d.parking_cost_centre * central[None, :])
    np.testing.assert_allclose(gc[CAR], expect_car)
    np.testing.assert_allclose(gc[TRANSIT], VOT * tr.total_time_s / 3600 + tr.fare)
    np.testing.assert_allclose(gc[BIKE] / gc[WALK], d.walk_speed_mps / d.bike_speed_mps)
    # Parking is charged exactly on trips into central zones.
    free = generalised_costs(city, car, tr, central=central,
                             demand=d.model_copy(update={"parking_cost_centre": 0.0}))
    np.testing.assert_allclose(gc[CAR] - free[CAR],
                               np.broadcast_to(central * d.parking_cost_centre, gc[CAR].shape))


def test_central_zones_hold_a_tenth_of_jobs(city):
    z = city.zones
    mask = central_zones(z, city.centre_xy_m)
    r = z.distance_from_centre_m(city.centre_xy_m)
    assert r[mask].max() < r[~mask].min()  # the nearest zones
    assert z.jobs[mask].sum() >= 0.1 * z.jobs.sum()
    farthest = np.flatnonzero(mask)[np.argmax(r[mask])]
    assert z.jobs[mask].sum() - z.jobs[farthest] < 0.1 * z.jobs.sum()  # and no more


def test_raising_the_toll_lowers_the_car_share(city, trips):
    tr = transit_skims(city)
    car_share = [shares(generalised_costs(city, tolled_car(city, toll), tr), trips, city)[CAR]
                 for toll in (0.0, 50.0, 150.0, 400.0)]
    assert np.all(np.diff(car_share) < 0), car_share


def test_raising_the_fare_lowers_the_transit_share(city, trips):
    car = tolled_car(city, 0.0)
    out = []
    for fare in (0.0, 700.0, 1400.0, 3000.0):
        ts = city.spec.transit.model_copy(update={"fare": fare})
        out.append(shares(generalised_costs(city, car, transit_skims(city, transit=ts)),
                          trips, city)[TRANSIT])
    assert np.all(np.diff(out) < 0), out


def test_shorter_headway_raises_the_transit_share(city, trips):
    car = tolled_car(city, 0.0)
    ts = city.spec.transit
    slow = shares(generalised_costs(city, car, transit_skims(city)), trips, city)[TRANSIT]
    frequent = ts.model_copy(update={"feeder_headway_s": ts.feeder_headway_s / 3})
    fast = shares(generalised_costs(city, car, transit_skims(city, transit=frequent)),
                  trips, city)[TRANSIT]
    assert fast > slow


def test_unavailable_modes_are_never_chosen(city, trips):
    gc = generalised_costs(city, tolled_car(city, 0.0), transit_skims(city))
    t = dataclasses.replace(trips, car_available=np.zeros(len(trips), bool),
                            bike_available=np.arange(len(trips)) % 2 == 0)
    d = city.spec.demand
    p = mode_probabilities(gc, t, d.mode_constants, logit_scale_per_h=d.logit_scale_per_h,
                           value_of_time_per_h=VOT)
    assert np.all(p[:, CAR] == 0) and np.all(p[~t.bike_available, BIKE] == 0)
    ident = np.arange(len(t))[:, None] * len(MODES) + np.arange(len(MODES))[None, :]
    with np.errstate(divide="ignore"):
        modes = choose_by_errors(np.log(p), draws.gumbel(1, "mode", ident))
    assert not np.any(modes == CAR) and not np.any(modes[~t.bike_available] == BIKE)


def test_frozen_gumbel_errors_reproduce_logit_shares():
    """McFadden (1974): argmax of utility + i.i.d. Gumbel errors is a logit draw."""
    n = 40000
    p = np.array([0.5, 0.2, 0.3, 0.0])
    ident = np.arange(n)[:, None] * len(MODES) + np.arange(len(MODES))[None, :]
    errors = draws.gumbel(8, "mode", ident)
    with np.errstate(divide="ignore"):
        a = choose_by_errors(np.tile(np.log(p), (n, 1)), errors)
    np.testing.assert_array_equal(a, choose_by_errors(np.tile(np.log(p), (n, 1)), errors))
    s = mode_shares(a)
    assert s["bike"] == 0.0
    for m, share in zip(MODES, p, strict=True):
        assert abs(s[m] - share) < 0.01


def test_calibration_hits_targets_within_half_a_point(city, trips):
    gc = generalised_costs(city, tolled_car(city, 0.0), transit_skims(city))
    d = city.spec.demand
    targets = {"car": 0.55, "transit": 0.12, "walk": 0.25, "bike": 0.08}
    cal = calibrate_mode_constants(gc, trips, targets, d.mode_constants,
                                   logit_scale_per_h=d.logit_scale_per_h,
                                   value_of_time_per_h=VOT)
    assert cal.converged and cal.iterations == len(cal.history) > 1
    assert cal.constants["car"] == 0.0
    p = mode_probabilities(gc, trips, cal.constants, logit_scale_per_h=d.logit_scale_per_h,
                           value_of_time_per_h=VOT).mean(axis=0)
    for m in MODES:  # recomputed independently of the calibration's own bookkeeping
        assert abs(p[MODES.index(m)] - targets[m]) < 0.005
    errors = [max(abs(h["shares"][m] - targets[m]) for m in MODES) for h in cal.history]
    assert errors[-1] < 0.005 <= errors[0]


def test_calibration_reports_an_unreachable_target(city, trips):
    gc = generalised_costs(city, tolled_car(city, 0.0), transit_skims(city))
    t = dataclasses.replace(trips, car_available=np.arange(len(trips)) % 5 == 0)  # 20% cars
    d = city.spec.demand
    cal = calibrate_mode_constants(gc, t, {"car": 0.5, "transit": 0.2, "walk": 0.2,
                                           "bike": 0.1}, d.mode_constants,
                                   logit_scale_per_h=d.logit_scale_per_h,
                                   value_of_time_per_h=VOT, max_iterations=30)
    assert not cal.converged and cal.iterations == 30
    with pytest.raises(InputError, match="observed_mode_shares"):
        calibrate_mode_constants(gc, trips, {"car": 0.5, "transit": 0.2, "walk": 0.2,
                                             "bike": 0.2}, d.mode_constants,
                                 logit_scale_per_h=1.0, value_of_time_per_h=VOT)
