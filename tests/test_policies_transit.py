"""Transit policies: BRT takes lanes only where it runs and adds a line; frequency halves waits."""

from __future__ import annotations

import numpy as np

from twincity.city.build import build_city
from twincity.city.network import ROAD_CLASSES
from twincity.policies.registry import apply_policies
from twincity.policies.transit import BrtPolicy, TransitServicePolicy
from twincity.scenario.loader import load_scenario
from twincity.traffic.transit import transit_skims


def test_brt_takes_a_lane_only_on_links_along_the_corridor(tiny_path):
    params = {"corridor_angle_deg": 30.0, "corridor_width_m": 300.0}
    base = build_city(load_scenario(tiny_path))
    city, applied = apply_policies(tiny_path, [BrtPolicy(params)])
    hit = np.zeros(base.network.n_links, dtype=bool)
    hit[applied[0][1].concrete["links"]] = True
    # independent geometry: distance of each link's midpoint from the line through the centre
    b, n = base.network, city.network
    mx = 0.5 * (b.node_x_m[b.link_from] + b.node_x_m[b.link_to]) - base.centre_xy_m[0]
    my = 0.5 * (b.node_y_m[b.link_from] + b.node_y_m[b.link_to]) - base.centre_xy_m[1]
    ux, uy = np.cos(np.deg2rad(30.0)), np.sin(np.deg2rad(30.0))
    dist = np.abs(mx * uy - my * ux)
    major = np.isin(b.road_class, [ROAD_CLASSES.index("arterial"), ROAD_CLASSES.index("motorway")])
    np.testing.assert_array_equal(hit, major & (dist <= 300.0) & (b.lanes > 1))
    assert hit.sum() > 0
    np.testing.assert_array_equal(n.lanes[hit], b.lanes[hit] - 1)
    np.testing.assert_allclose(n.capacity_vph[hit] / b.capacity_vph[hit],
                               (b.lanes[hit] - 1) / b.lanes[hit])
    for name in ("lanes", "capacity_vph", "storage_veh", "length_m", "free_flow_s"):
        np.testing.assert_array_equal(getattr(n, name)[~hit], getattr(b, name)[~hit])
    lines = city.spec.transit.lines
    assert len(lines) == len(base.spec.transit.lines) + 1
    assert lines[-1].kind == "brt" and lines[-1].dedicated_lanes
    # a line added to the supply can only shorten transit journeys
    before, after = transit_skims(base), transit_skims(city)
    assert np.all(after.total_time_s <= before.total_time_s + 1e-6)
    assert np.any(after.total_time_s < before.total_time_s - 1.0)


def test_doubling_frequency_halves_the_waits(tiny_path):
    base = build_city(load_scenario(tiny_path))
    city, _ = apply_policies(tiny_path, [TransitServicePolicy({"frequency_factor": 2.0})])
    t0, t1 = base.spec.transit, city.spec.transit
    assert t1.feeder_headway_s == t0.feeder_headway_s / 2
    assert [ln.headway_s for ln in t1.lines] == [ln.headway_s / 2 for ln in t0.lines]
    assert t1.fare == t0.fare
    before, after = transit_skims(base), transit_skims(city)
    # where the journey is the same (same boardings and riding time) the wait is exactly half
    same = (before.boardings == after.boardings) & np.isclose(before.in_vehicle_s,
                                                              after.in_vehicle_s)
    assert same.mean() > 0.5
    np.testing.assert_allclose(after.wait_s[same], before.wait_s[same] / 2, rtol=1e-9)
    # elsewhere a route with more waiting became better: never worse than halving the old one
    assert np.all(after.total_time_s <= before.total_time_s - before.wait_s / 2 + 1e-6)
