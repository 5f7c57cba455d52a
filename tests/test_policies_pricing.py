"""Congestion pricing (ERP): who pays, where traffic goes, what is collected, the review rule."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from twincity.model import CityModel
from twincity.policies.pricing import ErpPolicy, SpeedBandReview
from twincity.policies.registry import apply_policies
from twincity.traffic.skims import car_link_cost_s, car_skims
from twincity.traffic.subsystem import DayRecord

#: Morning peak on the tiny city: the default charging period 7:30–9:30 lies inside.
PEAK = {"simulation.start_h": 7, "simulation.duration_h": 3, "simulation.equilibrium_days": 3}
#: A charge large enough to move drivers on the tiny city (0.5 h of value of time).
PARAMS = {"central_share": 0.15, "charge_vot_h": 0.5}


@pytest.fixture(scope="module")
def runs(request):
    path = request.config.rootpath / "tests" / "data" / "tiny.yaml"
    base = CityModel.from_file(path, overrides=PEAK)
    priced = CityModel.from_file(path, overrides=PEAK, policies=[ErpPolicy(PARAMS)])
    return base, base.run(), priced, priced.run(), path


def _node_costs(net, cost_s, sources):
    graph = csr_matrix((cost_s, (net.link_from, net.link_to)), shape=(net.n_nodes,) * 2)
    return dijkstra(graph, indices=sources)


def test_car_cost_rises_only_where_every_best_route_crosses_the_cordon(runs):
    """Second implementation: scipy Dijkstra with and without the charged links.

    An OD pair's tolled cost equals its free cost when some best route avoids
    the charged links (the network without them is as short), and rises when
    every best route crosses; it never exceeds the detour avoiding them.
    """
    _, _, _, _, path = runs
    city, applied = apply_policies(path, [ErpPolicy(PARAMS)], overrides=PEAK)
    charged = np.asarray(applied[0][1].concrete["charged_links"])
    toll = np.zeros(city.network.n_links)
    toll[charged] = applied[0][1].concrete["charge"]
    net, zones, vot = city.network, city.zones, city.spec.city.value_of_time_per_h
    free = car_skims(net, zones, net.free_flow_s).cost_s
    tolled = car_skims(net, zones, car_link_cost_s(net.free_flow_s, toll, vot),
                       net.free_flow_s, toll).cost_s
    direct = _node_costs(net, net.free_flow_s, zones.node)[:, zones.node]
    avoid_cost = net.free_flow_s.copy()
    avoid_cost[charged] = 1e12
    avoid = _node_costs(net, avoid_cost, zones.node)[:, zones.node]
    off = ~np.eye(zones.n, dtype=bool)
    np.testing.assert_allclose(free[off], direct[off], rtol=1e-9)
    crosses = off & (avoid > direct * (1 + 1e-9))
    stays = off & ~crosses
    assert crosses.sum() > 0 and stays.sum() > 0
    np.testing.assert_allclose(tolled[stays], free[stays], rtol=1e-9)
    assert np.all(tolled[crosses] > free[crosses] + 1e-6)
    assert np.all(tolled[crosses] <= avoid[crosses] + 1e-6)  # the toll-free detour bounds it


def test_pricing_lowers_vehicle_km_on_charged_links(runs):
    _, rb, priced, rp, _ = runs
    charged = np.asarray(priced.policies[0][1].concrete["charged_links"])
    length = priced.city.network.length_m

    def charged_vkm(results):
        links = results.tables["links"]
        on = links[links["link"].isin(charged)]
        return float((on["outflow_veh"] * length[on["link"].to_numpy()]).sum())

    assert charged_vkm(rp) < 0.8 * charged_vkm(rb)
    # the car is dearer for some: car trips do not rise
    mode_b = (rb.tables["trips"]["mode"] == "car").sum()
    assert (rp.tables["trips"]["mode"] == "car").sum() <= mode_b


def test_revenue_equals_tolls_paid_and_link_entries_times_schedule(runs):
    _, _, priced, rp, _ = runs
    trips, links = rp.tables["trips"], rp.tables["links"]
    paid = float(trips["toll_paid"].sum())
    assert paid > 0
    assert float(links["toll_revenue"].sum()) == pytest.approx(paid, rel=1e-5)
    ta = priced.transport_authority
    slot = np.minimum((links["start_s"].to_numpy() // ta.toll_slot_s).astype(int),
                      ta.toll_schedule.shape[0] - 1)
    expected = links["inflow_veh"].to_numpy() * ta.toll_schedule[slot, links["link"].to_numpy()]
    assert float(expected.sum()) == pytest.approx(paid, rel=1e-5)
    # only charged links earn; nobody pays outside the charging periods
    earning = links.loc[links["toll_revenue"] > 0, "link"].unique()
    assert set(earning) <= set(priced.policies[0][1].concrete["charged_links"])


def _review_setup(link_time_s):
    """A synthetic authority and day: two priced links of 1 km, 4 toll slots in 2 routing slots."""
    city = SimpleNamespace(network=SimpleNamespace(length_m=np.array([1000.0, 1000.0, 500.0])),
                           spec=SimpleNamespace(simulation=SimpleNamespace(routing_slot_s=3600.0)))
    authority = SimpleNamespace(model=SimpleNamespace(city=city), toll_slot_s=1800.0,
                                toll_schedule=np.full((4, 3), 2.0))
    day = DayRecord(day=0, relative_gap=0.0, car_trips=0, switched=0, mean_car_time_s=0.0,
                    link_time_s=np.asarray(link_time_s, dtype=float))
    return authority, day


def test_speed_band_review_raises_slow_slots_and_lowers_fast_ones():
    # routing slot 0: 1 km in 360 s = 10 km/h (below 20–30); slot 1: 1 km in 60 s = 60 km/h
    authority, day = _review_setup([[360.0, 360.0, 1.0], [60.0, 60.0, 1.0]])
    rule = SpeedBandReview(np.array([0, 1]), np.array([True, True, True, False]),
                           (20.0, 30.0), 0.25, base_charge=2.0)
    rule(authority, day)
    np.testing.assert_allclose(authority.toll_schedule[:, :2],
                               [[2.5, 2.5], [2.5, 2.5], [1.5, 1.5], [2.0, 2.0]])
    np.testing.assert_allclose(authority.toll_schedule[:, 2], 2.0)  # not a priced link
    # counted per (toll slot, gantry): 2 slots × 2 links raised, 1 slot × 2 links lowered
    assert rule.history == [{"day": 0, "raised": 4, "lowered": 2}]


def test_speed_band_review_treats_each_gantry_on_its_own_road():
    # in the same slot link 0 crawls (10 km/h) and link 1 flows (60 km/h)
    authority, day = _review_setup([[360.0, 60.0, 1.0], [360.0, 60.0, 1.0]])
    rule = SpeedBandReview(np.array([0, 1]), np.ones(4, dtype=bool), (20.0, 30.0), 0.25,
                           base_charge=2.0)
    rule(authority, day)
    np.testing.assert_allclose(authority.toll_schedule[:, 0], 2.5)
    np.testing.assert_allclose(authority.toll_schedule[:, 1], 1.5)


def test_speed_band_review_keeps_in_band_slots_and_never_goes_negative():
    # 1 km in 144 s = 25 km/h: inside the band; then 60 km/h repeatedly
    authority, day = _review_setup([[144.0, 144.0, 1.0], [60.0, 60.0, 1.0]])
    rule = SpeedBandReview(np.array([0, 1]), np.ones(4, dtype=bool), (20.0, 30.0), 1.0,
                           base_charge=2.0)
    for _ in range(3):
        rule(authority, day)
    np.testing.assert_allclose(authority.toll_schedule[:2, :2], 2.0)
    np.testing.assert_allclose(authority.toll_schedule[2:, :2], 0.0)
