"""Transit supply and skims: networkx on the transit graph, headways, fares, congestion."""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pytest

from twincity.city.build import build_city
from twincity.errors import InputError
from twincity.scenario.loader import load_scenario
from twincity.traffic.transit import (
    BUS_CAR_SPEED_RATIO,
    RIDE,
    build_transit_graph,
    transit_skims,
)


@pytest.fixture(scope="module")
def city(request):
    return build_city(load_scenario(request.config.rootpath / "tests/data/tiny.yaml"))


def feeder_only(city):
    ts = city.spec.transit.model_copy(update={"lines": []})
    new = city.spec.model_copy(update={"transit": ts})
    return dataclasses.replace(city, loaded=dataclasses.replace(city.loaded, spec=new))


def test_skims_equal_networkx_on_the_transit_graph(city):
    g = build_transit_graph(city, transfer_penalty_s=300.0)
    sk = transit_skims(city, graph=g)
    ng = g.network.to_networkx()  # weight: free_flow_s = generalised time per link
    nid = g.network.node_id
    for o in range(city.zones.n):
        dist = nx.single_source_dijkstra_path_length(ng, int(nid[g.origin_node[o]]),
                                                     weight="free_flow_s")
        ref = [dist[int(nid[d])] for d in g.dest_node]
        np.testing.assert_allclose(sk.total_time_s[o], ref, rtol=1e-12)
    parts = sk.access_s + sk.wait_s + sk.in_vehicle_s + sk.transfer_s
    np.testing.assert_allclose(parts, sk.total_time_s, rtol=1e-12)
    assert np.all(sk.boardings >= 1) and np.all(sk.in_vehicle_s > 0)  # no walk-only "transit"
    np.testing.assert_array_equal(sk.fare, city.spec.transit.fare)  # flat fare per trip


def test_line_geometry(city):
    g = build_transit_graph(city)
    (ring,) = g.lines  # tiny: one BRT ring at half the radius
    r = np.hypot(ring.stop_x_m - city.centre_xy_m[0], ring.stop_y_m - city.centre_xy_m[1])
    np.testing.assert_allclose(r, 0.5 * city.radius_m)
    spacing = np.hypot(np.diff(ring.stop_x_m), np.diff(ring.stop_y_m))
    assert np.all(np.abs(spacing - city.spec.transit.stop_spacing_m) < 0.25 * 400.0)
    line = city.spec.transit.lines[0].model_copy(update={"ring_share": None,
                                                          "corridor_angle_deg": 90.0})
    ts = city.spec.transit.model_copy(update={"lines": [line]})
    (corr,) = build_transit_graph(city, transit=ts).lines
    net = city.network
    np.testing.assert_allclose(corr.stop_x_m, city.centre_xy_m[0], atol=1e-9)
    assert corr.stop_y_m.min() == pytest.approx(net.node_y_m.min())
    assert corr.stop_y_m.max() == pytest.approx(net.node_y_m.max())


def test_shorter_headway_lowers_time_by_exactly_the_wait_change(city):
    c = feeder_only(city)
    ts = c.spec.transit
    before = transit_skims(c)
    after = transit_skims(c, transit=ts.model_copy(update={"feeder_headway_s": 300.0}))
    # One bus network: every trip boards once and waits half a headway.
    np.testing.assert_array_equal(before.boardings, 1.0)
    np.testing.assert_allclose(before.wait_s, ts.feeder_headway_s / 2)
    np.testing.assert_allclose(after.wait_s, 150.0)
    np.testing.assert_allclose(before.total_time_s - after.total_time_s,
                               (ts.feeder_headway_s - 300.0) / 2, rtol=1e-12)
    # With a trunk line too, a shorter trunk headway never lengthens a trip and
    # changes it by the wait alone wherever the route is unchanged.
    base = transit_skims(city)
    line = city.spec.transit.lines[0]
    faster = city.spec.transit.model_copy(
        update={"lines": [line.model_copy(update={"headway_s": line.headway_s / 2})]})
    new = transit_skims(city, transit=faster)
    assert np.all(new.total_time_s <= base.total_time_s + 1e-9)
    same = (np.isclose(new.access_s, base.access_s) & np.isclose(new.in_vehicle_s,
                                                                 base.in_vehicle_s))
    np.testing.assert_allclose((new.total_time_s - base.total_time_s)[same],
                               (new.wait_s - base.wait_s)[same])
    assert np.any(new.wait_s < base.wait_s)


def test_road_congestion_slows_feeder_buses(city):
    c = feeder_only(city)
    net = c.network
    slow = net.free_flow_s * 6.0
    g = build_transit_graph(c, link_time_s=slow)
    ride = g.kind == RIDE
    bus_speed = np.minimum(c.spec.transit.feeder_speed_mps,
                           BUS_CAR_SPEED_RATIO * net.length_m / slow)
    # Feeder ride links are built in road-link order.
    np.testing.assert_allclose(g.in_vehicle_s[ride], net.length_m / bus_speed, rtol=1e-12)
    free = transit_skims(c)
    jam = transit_skims(c, link_time_s=slow)
    # Every ride link is slower, so every route is (some riders now walk further instead).
    assert np.all(g.in_vehicle_s[ride] > build_transit_graph(c).in_vehicle_s[ride])
    assert np.all(jam.total_time_s > free.total_time_s)


def test_dedicated_lanes_shield_the_trunk_line(city):
    net = city.network
    slow = net.free_flow_s * 6.0
    g_free = build_transit_graph(city)
    g_jam = build_transit_graph(city, link_time_s=slow)
    trunk = np.flatnonzero(g_free.kind == RIDE)[net.n_links:]  # after the feeder's ride links
    np.testing.assert_array_equal(g_free.in_vehicle_s[trunk], g_jam.in_vehicle_s[trunk])
    line = city.spec.transit.lines[0].model_copy(update={"dedicated_lanes": False})
    mixed = city.spec.transit.model_copy(update={"lines": [line]})
    m_free = build_transit_graph(city, transit=mixed)
    m_jam = build_transit_graph(city, transit=mixed, link_time_s=slow)
    assert np.all(m_jam.in_vehicle_s[trunk] > m_free.in_vehicle_s[trunk])


def test_line_speed_fare_and_penalty_respond(city):
    base = transit_skims(city)
    line = city.spec.transit.lines[0]
    quick = city.spec.transit.model_copy(
        update={"lines": [line.model_copy(update={"speed_mps": 20.0})]})
    assert np.all(transit_skims(city, transit=quick).total_time_s <= base.total_time_s + 1e-9)
    dear = city.spec.transit.model_copy(update={"fare": 2000.0})
    np.testing.assert_array_equal(transit_skims(city, transit=dear).fare, 2000.0)
    harsh = transit_skims(city, transfer_penalty_s=1200.0)
    assert np.all(harsh.total_time_s >= base.total_time_s - 1e-9)
    with pytest.raises(InputError, match="transfer_penalty_s"):
        transit_skims(city, transfer_penalty_s=-1.0)
    with pytest.raises(InputError, match="link_time_s"):
        transit_skims(city, link_time_s=np.ones(3))
