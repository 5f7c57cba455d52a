"""Adaptive signals: bounded proportional splits, signalised junctions, identity when static."""

from __future__ import annotations

import numpy as np

from twincity.city.network import ROAD_CLASSES
from twincity.model import CityModel
from twincity.policies.registry import apply_policies
from twincity.policies.signals import (
    AdaptiveSignalsPolicy,
    SignalController,
    resplit_green,
    signalised_approaches,
)
from twincity.traffic.subsystem import sampled_network

SHORT = {"simulation.start_h": 7, "simulation.duration_h": 2, "simulation.equilibrium_days": 2}


def test_split_is_proportional_inside_the_bounds():
    start = np.array([0, 3, 5])
    demand = np.array([10.0, 20.0, 30.0, 5.0, 5.0])
    total = np.array([1.5, 1.0])
    s = resplit_green(start, demand, total, 0.1, 0.9)
    np.testing.assert_allclose(s[:3], [0.25, 0.5, 0.75])  # 1.5 × (1, 2, 3) / 6
    np.testing.assert_allclose(s[3:], [0.5, 0.5])


def test_split_water_fills_at_the_bounds_and_splits_equally_without_demand():
    s = resplit_green(np.array([0, 3, 6]), np.array([10.0, 0.0, 30.0, 0.0, 0.0, 0.0]),
                      np.array([1.5, 1.5]), 0.2, 0.8)
    # 0 demand → floor 0.2; 30 → capped 0.8; the rest (0.5) to the remaining approach
    np.testing.assert_allclose(s, [0.5, 0.2, 0.8, 0.5, 0.5, 0.5])


def test_split_keeps_totals_bounds_and_order_on_random_junctions():
    rng = np.random.default_rng(5)
    sizes = rng.integers(1, 7, 200)
    start = np.concatenate([[0], np.cumsum(sizes)])
    demand = rng.exponential(10.0, start[-1]) * (rng.random(start[-1]) < 0.8)
    lo, hi = 0.15, 0.7
    total = sizes * rng.uniform(lo, hi, len(sizes))
    s = resplit_green(start, demand, total, lo, hi)
    np.testing.assert_allclose(np.add.reduceat(s, start[:-1]), total, rtol=1e-9)
    assert s.min() >= lo - 1e-9 and s.max() <= hi + 1e-9
    for k in range(len(sizes)):  # more demand never gets less green
        a, b = start[k], start[k + 1]
        order = np.argsort(demand[a:b], kind="stable")
        assert np.all(np.diff(s[a:b][order]) >= -1e-9)


def test_signalised_junctions_are_those_with_three_major_approaches(tiny_path):
    """Second implementation: walk networkx in-edges node by node."""
    city, _ = apply_policies(tiny_path, [])
    net = city.network
    nodes, start, links = signalised_approaches(net, 3)
    g = net.to_networkx()
    cls = {k: ROAD_CLASSES[int(net.road_class[k])] for k in range(net.n_links)}
    ids = {(int(net.link_from[k]), int(net.link_to[k])): k for k in range(net.n_links)}
    expected = {}
    for v in g.nodes:
        into = [ids[(u, v)] for u in g.predecessors(v)]
        n_major = sum(cls[k] in ("motorway", "arterial", "collector") for k in into)
        controlled = sorted(k for k in into if cls[k] in ("arterial", "collector", "local"))
        if n_major >= 3 and len(controlled) >= 2:
            expected[v] = controlled
    assert nodes.tolist() == sorted(expected) and len(nodes) > 0
    for k, v in enumerate(nodes):
        assert sorted(links[start[k]:start[k + 1]].tolist()) == expected[v]
    assert not any(cls[k] == "motorway" for k in links.tolist())  # not green-reduced


def test_saturation_flow_times_base_green_is_the_same_kernel(tiny_path):
    """Same routes, network with approach capacities / 0.5 and green 0.5: identical day."""
    model = CityModel.from_file(tiny_path, overrides=SHORT, subsystems=("traffic",))
    t = model.traffic
    before = t._make_sim("kernel-check")
    before.run()
    policy = AdaptiveSignalsPolicy({"adjust": "none"})
    adaptation = policy.adapt(model.city)
    links = adaptation.concrete["approach_links"]
    t.net = sampled_network(policy.modify_network(model.city, adaptation), t.share)
    assert np.all(t.net.capacity_vph[links] > model.city.network.capacity_vph[links] * t.share)
    t.authority.green_share[links] = 0.5
    after = t._make_sim("kernel-check")
    after.run()
    for name in ("inflow_veh", "outflow_veh", "queue_veh", "travel_time_sum_s"):
        np.testing.assert_array_equal(getattr(after, name), getattr(before, name))
    assert after.trip_table().equals(before.trip_table())  # NaN (not arrived) equal to NaN


def test_static_policy_reproduces_the_run_without_it(tiny_path):
    base = CityModel.from_file(tiny_path, overrides=SHORT, subsystems=("traffic",)).run()
    static = CityModel.from_file(tiny_path, overrides=SHORT, subsystems=("traffic",),
                                 policies=[AdaptiveSignalsPolicy({"adjust": "none"})]).run()
    for name in ("trips", "links"):
        a, b = base.tables[name], static.tables[name]
        assert a.equals(b), name


def test_green_follows_demand_each_step(tiny_path):
    model = CityModel.from_file(tiny_path, overrides=SHORT, subsystems=("traffic",),
                                policies=[AdaptiveSignalsPolicy({"adjust": "step",
                                                                 "responsiveness": 1.0})])
    model.run()
    ctrl = [a for a in model.agents if isinstance(a, SignalController)]
    assert len(ctrl) == 1
    sp = ctrl[0].splitter
    assert len(sp.history) >= 3  # one per step after the first
    start, links = sp.start, sp.links
    for rec in sp.history:
        shares = rec["green_share"]
        np.testing.assert_allclose(np.add.reduceat(shares, start[:-1]),
                                   np.diff(start) * 0.5, rtol=1e-9)
    last = sp.history[-1]
    # the kernel and the authority run the last split
    np.testing.assert_array_equal(model.traffic.sim.green_share[links], last["green_share"])
    np.testing.assert_array_equal(model.transport_authority.green_share[links],
                                  last["green_share"])
    # shares moved away from the base and rank like demand at busy junctions
    busy = [rec for rec in sp.history if rec["demand_veh"].sum() > 0]
    assert busy
    moved = np.concatenate([np.abs(r["green_share"] - 0.5) for r in busy])
    assert moved.max() > 0.05
    corr = [np.corrcoef(r["demand_veh"], r["green_share"])[0, 1] for r in busy
            if r["demand_veh"].std() > 0 and r["green_share"].std() > 0]
    assert np.mean(corr) > 0.5


def test_green_follows_daily_volumes_between_days(tiny_path):
    model = CityModel.from_file(tiny_path, overrides=SHORT, subsystems=("traffic",),
                                policies=[AdaptiveSignalsPolicy({"adjust": "day"})])
    rule = model.transport_authority.reviewers[-1]
    assert rule.splitter.history
    rec = rule.splitter.history[-1]
    assert np.corrcoef(rec["demand_veh"], rec["green_share"])[0, 1] > 0.5


