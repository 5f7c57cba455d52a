"""Trip generation: gravity model (analytic 2×2, margins), totals, timing, options."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy import stats

from twincity.city.build import build_city
from twincity.errors import InputError
from twincity.scenario.loader import load_scenario
from twincity.traffic.demand import (
    car_available_probability,
    generate_trips,
    gravity_matrix,
    zone_node_lists,
)
from twincity.vocab import COMMUTE


@pytest.fixture(scope="module")
def city(request):
    return build_city(load_scenario(request.config.rootpath / "tests/data/tiny.yaml"))


def with_section(city, section: str, **changes):
    """The same city with some scenario fields changed (sections are frozen models)."""
    spec = city.spec
    new = spec.model_copy(update={section: getattr(spec, section).model_copy(update=changes)})
    return dataclasses.replace(city, loaded=dataclasses.replace(city.loaded, spec=new))


def test_gravity_margins_on_random_case():
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 100, 7)
    a = rng.uniform(0, 50, 7)
    t = rng.uniform(0.05, 1.5, (7, 7))
    g = gravity_matrix(p, a, t, 1.7, tolerance=1e-10)
    assert g.converged and g.iterations > 1 and g.max_error < 1e-10
    np.testing.assert_allclose(g.matrix.sum(axis=1), p, rtol=1e-8)
    np.testing.assert_allclose(g.matrix.sum(axis=0), a * p.sum() / a.sum(), rtol=1e-8)


def test_gravity_two_by_two_equals_analytic_solution():
    # With both margins fixed, a 2×2 table has one free cell x = T11, pinned by the
    # odds ratio T11·T22 / (T12·T21) = f11·f22 / (f12·f21) = θ of the friction.
    p = np.array([30.0, 70.0])
    a = np.array([55.0, 45.0])
    t = np.array([[0.2, 0.9], [0.6, 0.3]])
    decay = 2.0
    f = np.exp(-decay * t)
    theta = f[0, 0] * f[1, 1] / (f[0, 1] * f[1, 0])
    # x (a2 − p1 + x) = θ (p1 − x)(a1 − x)  →  (1−θ) x² + (a2 − p1 + θ(p1 + a1)) x − θ p1 a1 = 0
    roots = np.roots([1 - theta, a[1] - p[0] + theta * (p[0] + a[0]), -theta * p[0] * a[0]])
    x = next(r.real for r in roots if max(0.0, p[0] - a[1]) <= r.real <= min(p[0], a[0]))
    expected = np.array([[x, p[0] - x], [a[0] - x, a[1] - p[0] + x]])
    g = gravity_matrix(p, a, t, decay, tolerance=1e-12)
    np.testing.assert_allclose(g.matrix, expected, rtol=1e-9)


def test_gravity_refuses_bad_shapes():
    with pytest.raises(InputError, match="impedance"):
        gravity_matrix(np.ones(2), np.ones(2), np.ones((3, 3)), 1.0)


def test_totals_productions_and_zone_nodes(city):
    share = 0.2
    trips = generate_trips(city, np.random.default_rng(5), sample_share=share)
    d = city.spec.demand
    expected = city.zones.population * d.trips_per_person_per_day * share
    assert len(trips) == round(expected.sum())
    by_zone = np.bincount(trips.origin_zone, minlength=city.zones.n)
    assert np.all(np.abs(by_zone - expected) < 1.0)  # largest remainder
    # Trip ends are nodes of their zone (its Voronoi cell or its centroid).
    z = city.zones
    for zone, node in ((trips.origin_zone, trips.origin_node), (trips.dest_zone, trips.dest_node)):
        assert np.all((z.node_zone[node] == zone) | (z.node[zone] == node))
    # Every node of a zone is used: load spreads over the zone.
    start, nodes = zone_node_lists(z.node_zone, z.node)
    used = set(zip(trips.origin_zone.tolist(), trips.origin_node.tolist(), strict=True))
    assert len(used) == len(nodes)
    # … uniformly: the nodes of the busiest zone are drawn equally often.
    zb = int(np.argmax(np.diff(start)))
    mine = trips.origin_node[trips.origin_zone == zb]
    counts = np.array([np.sum(mine == n) for n in nodes[start[zb]:start[zb + 1]]])
    assert stats.chisquare(counts).pvalue > 1e-3
    commute = np.mean(trips.purpose == COMMUTE)
    assert abs(commute - d.commute_share) < 0.02
    assert trips.origin_zone.dtype == np.int32 and trips.departure_s.dtype == np.float64


def test_destinations_follow_the_gravity_model(city):
    trips = generate_trips(city, np.random.default_rng(11), sample_share=1.0)
    net = city.network
    from twincity.traffic.skims import car_skims

    imp_h = car_skims(net, city.zones, net.free_flow_s).time_s / 3600.0
    commute = trips.purpose == COMMUTE
    prod = np.bincount(trips.origin_zone[commute], minlength=city.zones.n)
    g = gravity_matrix(prod, city.zones.jobs, imp_h, city.spec.demand.gravity_decay_per_h)
    drawn = np.bincount(trips.dest_zone[commute], minlength=city.zones.n)
    # Attractions hold in expectation: within 4 binomial standard deviations.
    expected = g.matrix.sum(axis=0)
    sd = np.sqrt(expected * (1 - expected / expected.sum()))
    assert np.all(np.abs(drawn - expected) < 4 * sd + 1)


def test_departures_follow_the_profile(city):
    trips = generate_trips(city, np.random.default_rng(2), sample_share=0.5)
    prof = np.asarray(city.spec.demand.departure_profile)
    hours = np.bincount((trips.departure_s // 3600).astype(int), minlength=24)
    assert hours.sum() == len(trips)
    _, p = stats.chisquare(hours, prof / prof.sum() * len(trips))
    assert p > 1e-3
    # A skewed profile is followed too (the test can fail: it is not the default).
    one_peak = [0.0] * 24
    one_peak[8] = 3.0
    one_peak[17] = 1.0
    skew = generate_trips(with_section(city, "demand", departure_profile=one_peak),
                          np.random.default_rng(2), sample_share=0.1)
    h = skew.departure_s // 3600
    assert set(np.unique(h).tolist()) == {8.0, 17.0}
    assert abs(np.mean(h == 8) - 0.75) < 0.02
    within = skew.departure_s % 3600
    assert abs(np.mean(within < 1800) - 0.5) < 0.03  # uniform inside the hour


def test_car_and_bike_availability(city):
    c2 = with_section(with_section(city, "city", cars_per_1000=200.0), "demand",
                      bike_available_share=0.3)
    trips = generate_trips(c2, np.random.default_rng(9), sample_share=0.5)
    assert car_available_probability(200.0) == pytest.approx(0.5)
    assert abs(trips.car_available.mean() - 0.5) < 0.02
    assert abs(trips.bike_available.mean() - 0.3) < 0.02
    assert car_available_probability(900.0) == 1.0


def test_determinism_per_seed(city):
    a = generate_trips(city, np.random.default_rng(42))
    b = generate_trips(city, np.random.default_rng(42))
    c = generate_trips(city, np.random.default_rng(43))
    for f in dataclasses.fields(a):
        np.testing.assert_array_equal(getattr(a, f.name), getattr(b, f.name))
    assert not np.array_equal(a.departure_s, c.departure_s)


def test_bad_sample_share(city):
    with pytest.raises(InputError, match="sample_share"):
        generate_trips(city, np.random.default_rng(0), sample_share=0.0)
