"""Remote work, EV incentive and the low-emission zone, through the trips the model draws."""

from __future__ import annotations

import numpy as np
import pytest

from twincity.model import CityModel
from twincity.policies.demand import RemoteWorkPolicy
from twincity.policies.fleet import EvIncentivePolicy, LowEmissionZonePolicy, banned_trips
from twincity.vocab import CAR

DAY = {"simulation.duration_h": 24, "simulation.equilibrium_days": 1}
SHORT = {"simulation.start_h": 7, "simulation.duration_h": 3, "simulation.equilibrium_days": 2}


def _traffic(path, overrides, policies=()):
    return CityModel.from_file(path, overrides=overrides, subsystems=("traffic",),
                               policies=list(policies))


def test_remote_work_removes_the_share_of_commute_trips(tiny_path):
    r = 0.5
    base = _traffic(tiny_path, DAY).traffic
    home = _traffic(tiny_path, DAY, [RemoteWorkPolicy({"remote_share": r})]).traffic
    commute0 = int(np.sum(base.trips.purpose == 0))
    commute1 = int(np.sum(home.trips.purpose == 0))
    # each commute trip is dropped by its own keyed uniform: a binomial(commute0, r) count
    sd = np.sqrt(commute0 * r * (1 - r))
    assert abs(commute1 - commute0 * (1 - r)) < 4 * sd
    assert np.sum(home.trips.purpose == 1) == np.sum(base.trips.purpose == 1)  # others kept


def test_remote_work_keeps_every_other_trips_draws(tiny_path):
    """Common random numbers: the trips still made are the same trips with the same draws."""
    base = _traffic(tiny_path, DAY).traffic
    home = _traffic(tiny_path, DAY, [RemoteWorkPolicy({"remote_share": 0.3})]).traffic
    assert set(home.trip_id) < set(base.trip_id)
    where = np.searchsorted(base.trip_id, home.trip_id)
    for field in ("origin_node", "dest_node", "departure_s", "car_available"):
        np.testing.assert_array_equal(getattr(home.trips, field), getattr(base.trips, field)[where])
    np.testing.assert_array_equal(home.car_class, base.car_class[where])
    np.testing.assert_array_equal(home.mode_errors(), base.mode_errors()[where])


def test_ev_incentive_sets_the_bev_share_of_drawn_cars(tiny_path):
    target = 0.4
    model = _traffic(tiny_path, SHORT, [EvIncentivePolicy({"bev_share": target})])
    t = model.traffic
    bev = t.classes.index("bev_car")
    n = len(t.car_class)
    share = np.mean(t.car_class == bev)
    assert abs(share - target) < 4 * np.sqrt(target * (1 - target) / n)
    # the others keep their proportions (petrol : diesel = 0.6 : 0.25 in tiny.yaml)
    petrol, diesel = (np.sum(t.car_class == t.classes.index(c)) for c in ("petrol_car",
                                                                          "diesel_car"))
    assert petrol / diesel == pytest.approx(0.6 / 0.25, rel=0.15)
    drivers = model.run().tables["trips"].query("mode == 'car'")
    assert drivers["veh_class"].eq("bev_car").mean() == pytest.approx(target, abs=0.06)


def test_lez_banned_cars_never_drive_to_or_from_the_zone(tiny_path):
    params = {"central_share": 0.3, "compliance_renewal_share": 0.4}
    lez = CityModel.from_file(tiny_path, overrides=SHORT, subsystems=("traffic",),
                              policies=[LowEmissionZonePolicy(params)])
    base = _traffic(tiny_path, SHORT)
    zone = np.zeros(lez.city.network.n_nodes, dtype=bool)
    zone[lez.policies[0][1].concrete["zone_nodes"]] = True
    # an independent zone: the 30% of nodes nearest the centre
    net = lez.city.network
    d = np.hypot(net.node_x_m - lez.city.centre_xy_m[0], net.node_y_m - lez.city.centre_xy_m[1])
    assert zone.sum() == round(0.3 * net.n_nodes) and d[zone].max() <= d[~zone].min()

    def diesel_zone_drivers(model):
        t = model.traffic
        ends = zone[t.trips.origin_node] | zone[t.trips.dest_node]
        diesel = t.car_class == t.classes.index("diesel_car")
        return np.sum((t.mode == CAR) & diesel & ends), np.sum(diesel & ends)

    drove, _ = diesel_zone_drivers(base)
    assert drove > 0  # without the zone, diesel cars do drive there
    drove_lez, exposed_lez = diesel_zone_drivers(lez)
    assert exposed_lez > 0 and drove_lez == 0
    # diesel cars still drive elsewhere (the ban is the zone's, not city-wide)
    t = lez.traffic
    diesel = t.car_class == t.classes.index("diesel_car")
    assert np.sum((t.mode == CAR) & diesel) > 0
    # renewal: 40% of diesel cars replaced, others pro rata
    share = np.mean(diesel)
    expected = 0.25 * (1 - 0.4)
    assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / len(diesel))
    shares = lez.policies[0][1].concrete["car_shares"]
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["petrol_car"] / shares["hybrid_car"] == pytest.approx(0.6 / 0.1)


def test_banned_trips_is_class_and_zone_ends():
    zone = np.array([True, False, False, True])
    banned = np.array([False, True, False])
    car_class = np.array([1, 1, 1, 0, 2, 1])
    o = np.array([0, 1, 1, 0, 3, 2])
    d = np.array([1, 2, 3, 3, 3, 1])
    np.testing.assert_array_equal(banned_trips(zone, banned, car_class, o, d),
                                  [True, False, True, False, False, False])


