"""Inferred signals: which junctions, which phases, Webster greens and delay in free-flow times."""

from __future__ import annotations

import numpy as np
import pytest

from twincity.city.build import build_city
from twincity.city.network import ROAD_CLASSES, Network
from twincity.city.signals import (
    CYCLE_S,
    LOST_TIME_PER_PHASE_S,
    infer_signals,
    webster_greens_s,
    webster_uniform_delay_s,
    with_signal_delay,
)
from twincity.scenario.loader import load_scenario

ART, COL, LOC, MW = (ROAD_CLASSES.index(c) for c in ("arterial", "collector", "local", "motorway"))


def _star(arms: dict[str, int], cap_per_lane: dict[int, float] | None = None) -> Network:
    """A centre node 0 and one two-way arm per compass direction, of the given road class."""
    where = {"E": (400.0, 0.0), "W": (-400.0, 0.0), "N": (0.0, 400.0), "S": (0.0, -400.0)}
    cap_per_lane = cap_per_lane or {ART: 900.0, COL: 700.0, LOC: 600.0, MW: 1900.0}
    xs, ys, lf, lt, cl = [0.0], [0.0], [], [], []
    for i, (arm, c) in enumerate(arms.items(), start=1):
        xs.append(where[arm][0])
        ys.append(where[arm][1])
        lf += [i, 0]
        lt += [0, i]
        cl += [c, c]
    cl = np.array(cl)
    m = len(lf)
    return Network.from_links(
        node_x_m=np.array(xs), node_y_m=np.array(ys), link_from=np.array(lf),
        link_to=np.array(lt), length_m=np.full(m, 400.0), lanes=np.ones(m, dtype=int),
        speed_mps=np.full(m, 10.0), capacity_vph=np.array([cap_per_lane[c] for c in cl]),
        road_class=cl)


def test_uniform_delay_is_the_mean_wait_of_a_random_arrival():
    """Independent truth: arrivals uniform over a red-then-green cycle wait max(0, r − t)."""
    cycle, lam = 90.0, 0.4
    t = (np.arange(900_000) + 0.5) / 900_000 * cycle  # midpoint rule over the cycle
    wait = np.maximum(0.0, (1 - lam) * cycle - t)
    assert webster_uniform_delay_s(cycle, lam) == pytest.approx(wait.mean(), rel=1e-6)
    # Webster's factor 1 / (1 − xλ), capped at x = 1
    assert webster_uniform_delay_s(cycle, lam, 2.0) == pytest.approx(
        0.5 * cycle * 0.36 / 0.6)


def test_crossroads_of_arterial_and_collector():
    net = _star({"E": ART, "W": ART, "N": COL, "S": COL})
    plan = infer_signals(net)
    assert plan.nodes.tolist() == [0]
    into = {arm: 2 * i for i, arm in enumerate("EWNS")}  # link arm → centre
    phases = [sorted(plan.links[a:b].tolist()) for a, b in
              zip(plan.approach_start[:-1], plan.approach_start[1:], strict=True)]
    assert phases == [sorted([into["E"], into["W"]]), sorted([into["N"], into["S"]])]
    # Webster split of 90 − 8 s by y = 900/1900 : 700/1900
    g = (CYCLE_S - 2 * LOST_TIME_PER_PHASE_S) * np.array([900.0, 700.0]) / 1600.0
    np.testing.assert_allclose(plan.green_s, g)
    lam = np.repeat(g / CYCLE_S, 2)
    np.testing.assert_allclose(plan.green_ratio, lam)
    delayed = with_signal_delay(net, plan)
    expected = np.zeros(net.n_links)
    expected[plan.links] = 0.5 * CYCLE_S * (1 - lam) ** 2
    np.testing.assert_allclose(delayed.signal_delay_s, expected)
    np.testing.assert_allclose(delayed.free_flow_s, 40.0 + expected)
    # applying it again replaces rather than adds
    np.testing.assert_allclose(with_signal_delay(delayed, plan).free_flow_s, 40.0 + expected)


@pytest.mark.parametrize("arms", [
    {"E": ART, "W": ART, "N": LOC},            # local side street: priority, not signals
    {"E": COL, "W": COL, "N": COL, "S": COL},  # no arterial
    {"E": ART, "W": ART, "N": MW},             # motorway ramp: interchange
    {"E": ART, "W": ART},                      # two neighbours: not a junction
])
def test_junctions_that_are_not_signalised(arms):
    assert infer_signals(_star(arms)).n_junctions == 0


def test_t_junction_of_two_arterials_has_two_phases():
    plan = infer_signals(_star({"E": ART, "W": ART, "N": ART}))
    assert np.diff(plan.approach_start).tolist() == [2, 1]
    np.testing.assert_allclose(plan.green_s, [41.0, 41.0])


def test_green_split_respects_minimum_green_and_cycle():
    g = webster_greens_s(np.array([0, 2, 4]), np.array([0.9, 0.01, 0.0, 0.0]), 90.0,
                         np.array([8.0, 8.0]), 7.0)
    np.testing.assert_allclose(g, [75.0, 7.0, 41.0, 41.0])


def test_built_city_plans_fill_the_cycle_and_delays_are_in_free_flow(tiny_path):
    city = build_city(load_scenario(tiny_path))
    plan, net = city.signals, city.network
    assert plan.n_junctions > 0
    per_junction = np.add.reduceat(plan.green_s, plan.phase_start[:-1]) + plan.lost_s
    np.testing.assert_allclose(per_junction, plan.cycle_s, atol=1e-9)
    assert np.all(plan.green_s >= 7.0 - 1e-9)
    # conflict groups: two phases, each with at least one arterial/collector approach
    assert np.all(np.diff(plan.phase_start) == 2)
    assert not np.isin(net.road_class[plan.links], [MW]).any()
    lam = plan.green_ratio
    np.testing.assert_allclose(net.signal_delay_s[plan.links], 45.0 * (1 - lam) ** 2)
    others = np.setdiff1d(np.arange(net.n_links), plan.links)
    assert np.all(net.signal_delay_s[others] == 0)
    np.testing.assert_allclose(net.free_flow_s - net.signal_delay_s,
                               net.length_m / net.speed_mps)


def test_kernel_moves_an_empty_signalised_approach_at_free_flow_plus_delay():
    """A lone vehicle's experienced time on the approach is length/speed + Webster's delay."""
    from twincity.traffic.simulation import TrafficSim

    net = _star({"E": ART, "W": ART, "N": COL, "S": COL})
    plan = infer_signals(net)
    net = with_signal_delay(net, plan)
    approach, leave = 0, 3  # E → centre, centre → W
    lam = 900.0 / 1600.0 * (CYCLE_S - 8.0) / CYCLE_S
    expected = 40.0 + 0.5 * CYCLE_S * (1 - lam) ** 2  # by hand: 40 s + 10.64 s
    assert net.free_flow_s[approach] == pytest.approx(expected)
    assert net.signal_delay_s[leave] == 0.0
    sim = TrafficSim(net, departure_s=np.array([0.0]), route_start=np.array([0, 2]),
                     route_links=np.array([approach, leave]), veh_class=np.zeros(1, np.int8),
                     horizon_s=900.0, interval_s=900.0, seed=1)
    sim.run()
    on_approach = sim.travel_time_sum_s[0, approach] / sim.outflow_veh[0, approach]
    assert on_approach == pytest.approx(round(expected), abs=1.0)  # whole ticks of 1 s
    assert sim.trip_table()["travel_time_s"].iloc[0] == pytest.approx(expected + 40.0, abs=1.0)
