"""Tests of the mesoscopic queue kernel against analytic results and conservation laws."""

from __future__ import annotations

import numpy as np
import pytest

from twincity.city.network import Network
from twincity.errors import InputError
from twincity.traffic import kernel as K
from twincity.traffic.simulation import TrafficSim


def chain(n_links, *, length_m=500.0, speed_mps=12.5, capacity_vph=3600.0, storage_veh=None):
    """Links 0..n-1 in a row, node i → node i+1; per-link values may be arrays."""
    b = lambda v: np.broadcast_to(np.asarray(v, dtype=float), (n_links,)).copy()  # noqa: E731
    return Network.from_links(
        node_x_m=np.arange(n_links + 1) * 500.0, node_y_m=np.zeros(n_links + 1),
        link_from=np.arange(n_links), link_to=np.arange(1, n_links + 1),
        length_m=b(length_m), lanes=np.ones(n_links, dtype=int), speed_mps=b(speed_mps),
        capacity_vph=b(capacity_vph),
        storage_veh=None if storage_veh is None else b(storage_veh))


def routes_csr(routes):
    start = np.zeros(len(routes) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in routes], out=start[1:])
    links = np.concatenate([np.asarray(r, dtype=np.int32) for r in routes]) if routes else \
        np.zeros(0, dtype=np.int32)
    return start, links


def make_sim(net, dep, routes, **kw):
    rs, rl = routes_csr(routes)
    kw.setdefault("horizon_s", 3600.0)
    kw.setdefault("seed", 0)
    return TrafficSim(net, np.asarray(dep, dtype=float), rs, rl,
                      np.zeros(len(dep), dtype=np.int8), **kw)


def grid_net(n=4, storage_veh=4.0, capacity_vph=900.0):
    a, b = [], []
    for i in range(n):
        for j in range(n):
            u = i * n + j
            if j + 1 < n:
                a += [u, u + 1]
                b += [u + 1, u]
            if i + 1 < n:
                a += [u, u + n]
                b += [u + n, u]
    m = len(a)
    ij = np.arange(n * n)
    return Network.from_links(
        node_x_m=(ij % n) * 200.0, node_y_m=(ij // n) * 200.0, link_from=np.array(a),
        link_to=np.array(b), length_m=np.full(m, 200.0), lanes=np.ones(m, dtype=int),
        speed_mps=np.full(m, 10.0), capacity_vph=np.full(m, capacity_vph),
        storage_veh=np.full(m, storage_veh))


def random_walk_routes(net, n_trips, rng, max_len=8):
    """Random non-reversing walks (connected routes) of 1..max_len links."""
    routes = []
    for _ in range(n_trips):
        lk = int(rng.integers(net.n_links))
        r = [lk]
        for _ in range(int(rng.integers(0, max_len))):
            n = net.link_to[r[-1]]
            outs = net.out_link[net.out_start[n]:net.out_start[n + 1]]
            outs = [o for o in outs if net.link_to[o] != net.link_from[r[-1]]]
            r.append(int(rng.choice(outs)))
        routes.append(r)
    return routes


# ---------------------------------------------------------------- free flow
def test_free_flow_travel_time_and_distance():
    net = chain(3, length_m=[500.0, 250.0, 1000.0], speed_mps=[12.5, 10.0, 20.0])
    sim = make_sim(net, [0.0, 7.3], [[0, 1, 2], [1, 2]])
    sim.run()
    t = sim.trip_table()
    # 40 + 25 + 50 s; the second trip departs at the next tick (8 s)
    np.testing.assert_allclose(t["arrive_s"], [115.0, 8.0 + 75.0])
    np.testing.assert_allclose(t["distance_m"], [1750.0, 1250.0])
    np.testing.assert_allclose(t["enter_s"], [0.0, 8.0])
    assert list(t["state"]) == ["arrived", "arrived"]


def test_link_table_units_in_free_flow():
    net = chain(2, length_m=[500.0, 1000.0], speed_mps=[12.5, 20.0])
    sim = make_sim(net, np.arange(90) * 10.0, [[0, 1]] * 90, interval_s=900.0, horizon_s=1800.0)
    sim.run()
    lt = sim.link_table()
    assert list(lt.columns[:4]) == ["interval", "start_s", "link", "inflow_veh"]
    first = lt[lt["interval"] == 0]
    np.testing.assert_allclose(first["mean_speed_mps"], [12.5, 20.0])
    np.testing.assert_allclose(first["mean_travel_time_s"], [40.0, 50.0])
    # one vehicle per 10 s spends 40 s on link 0: 4 on average, less the first 40 s ramp
    occ = (900 * 4 - (3 + 2 + 1) * 10) / 900
    assert first["mean_occupancy_veh"].iloc[0] == pytest.approx(occ, rel=1e-9)
    assert first["mean_density_vpkm"].iloc[0] == pytest.approx(occ / 0.5, rel=1e-9)
    assert lt["inflow_veh"].sum() == lt["outflow_veh"].sum() == 180
    with pytest.raises(ValueError):
        sim.outflow_veh[0, 0] = 1  # results are read-only views


def test_zero_trips_runs():
    sim = make_sim(chain(2), [], [])
    sim.run()
    assert sim.counters["departed"] == 0 and sim.counters["arrived"] == 0
    assert len(sim.trip_table()) == 0
    lt = sim.link_table()
    assert len(lt) == 4 * 2 and lt["outflow_veh"].sum() == 0


def test_empty_route_arrives_on_departure():
    sim = make_sim(chain(1), [5.0, 0.0], [[], [0]])
    sim.run()
    t = sim.trip_table()
    assert t["arrive_s"][0] == 5.0 and t["distance_m"][0] == 0.0
    assert sim.counters["arrived"] == 2


# ---------------------------------------------------------------- conservation
def test_conservation_every_tick_on_congested_grid():
    rng = np.random.default_rng(3)
    net = grid_net()
    routes = random_walk_routes(net, 300, rng)
    dep = rng.uniform(0, 300, len(routes))
    sim = make_sim(net, dep, routes, horizon_s=900.0, stuck_time_s=30.0, interval_s=60.0)
    max_waiting = 0
    for k in range(1, 901):
        sim.advance(float(k))
        c = sim.counters
        max_waiting = max(max_waiting, c["waiting"])
        states = np.bincount(sim.trip_state, minlength=4)
        assert c["departed"] == c["arrived"] + c["aborted"] + c["waiting"] + c["en_route"]
        assert c["en_route"] == sim.occupancy_veh.sum() == states[K.EN_ROUTE]
        assert c["waiting"] == states[K.WAITING] and c["arrived"] == states[K.ARRIVED]
        assert c["departed"] == np.count_nonzero(np.ceil(dep) <= k - 1)
    assert c["arrived"] == len(routes)
    assert max_waiting > 0 and c["stuck"] > 0  # departure buffers and squeezes were exercised
    lt = sim.link_table()
    # every link entry is matched by an exit once the network is empty
    assert lt["inflow_veh"].sum() == lt["outflow_veh"].sum() == sum(len(r) for r in routes)
    assert c["transitions"] == lt["inflow_veh"].sum()
    t = sim.trip_table()
    lengths = np.array([net.length_m[r].sum() for r in routes])
    np.testing.assert_allclose(t["distance_m"], lengths, rtol=1e-6)


# ---------------------------------------------------------------- bottleneck
@pytest.mark.parametrize(("capacity_vph", "tick_s"), [(1800.0, 1.0), (1000.0, 1.0), (1000.0, 2.0)])
def test_dd1_queue_delay(capacity_vph, tick_s):
    """Arrivals at 1 veh/s into a bottleneck of rate mu: total delay N(N-1)/2 (1/mu - 1/lambda)."""
    n = 600
    net = chain(2, length_m=[500.0, 500.0], capacity_vph=[capacity_vph, 7200.0],
                storage_veh=[2 * n, 2 * n])
    sim = make_sim(net, np.arange(n, dtype=float), [[0, 1]] * n, horizon_s=3 * 3600.0,
                   tick_s=tick_s)
    sim.run()
    t = sim.trip_table()
    free_s = 40.0 + 40.0
    delay = (t["arrive_s"] - t["departure_s"] - free_s).to_numpy()
    mu, lam = capacity_vph / 3600.0, 1.0
    expected = n * (n - 1) / 2 * (1 / mu - 1 / lam)
    assert delay.sum() == pytest.approx(expected, rel=0.01)
    # time spent on the bottleneck link from the trip table equals its occupancy integral
    on_link0_s = (t["arrive_s"] - 40.0 - t["enter_s"]).sum()
    assert sim.occupancy_veh_s[:, 0].sum() == pytest.approx(on_link0_s, rel=1e-9)
    # queue at the end of the first interval: arrived at the head minus discharged
    assert sim.queue_veh[0, 0] == pytest.approx(min(n, 900 - 40) - (900 - 40) * mu, abs=3)


def saturated_outflow(green_share=None, capacity_vph=1000.0):
    n = 4000
    net = chain(2, capacity_vph=[capacity_vph, 7200.0], storage_veh=[2 * n, 100.0])
    sim = make_sim(net, np.arange(n) * 0.5, [[0, 1]] * n, horizon_s=2 * 3600.0,
                   green_share=green_share)
    sim.run()
    # intervals 1..6 (900..6300 s) are saturated throughout
    return sim.outflow_veh[1:7, 0].sum() / (6 * 900.0) * 3600.0


def test_saturated_discharge_equals_capacity():
    assert saturated_outflow() == pytest.approx(1000.0, rel=0.01)


def test_green_share_halves_discharge():
    full = saturated_outflow()
    half = saturated_outflow(green_share=np.array([0.5, 1.0]))
    assert half / full == pytest.approx(0.5, rel=0.01)


def test_capacity_change_between_calls_is_honoured():
    n = 6000
    net = chain(2, capacity_vph=[1000.0, 7200.0], storage_veh=[2 * n, 100.0])
    sim = make_sim(net, np.arange(n) * 0.5, [[0, 1]] * n, horizon_s=2 * 3600.0)
    sim.advance(3600.0)
    sim.capacity_vph[0] = 2000.0  # in place, as an operator agent would
    sim.run()
    assert sim.outflow_veh[1:4, 0].sum() / 2700.0 * 3600.0 == pytest.approx(1000.0, rel=0.01)
    assert sim.outflow_veh[4:8, 0].sum() == pytest.approx(2000.0, rel=0.01)


def test_many_small_calls_equal_one_call():
    rng = np.random.default_rng(7)
    net = grid_net()
    routes = random_walk_routes(net, 200, rng)
    dep = rng.uniform(0, 200, len(routes))
    one = make_sim(net, dep, routes, horizon_s=900.0, stuck_time_s=20.0, seed=4)
    one.run()
    many = make_sim(net, dep, routes, horizon_s=900.0, stuck_time_s=20.0, seed=4)
    for t in np.arange(7.0, 900.0, 7.0):
        many.advance(t)
        many.link_table()  # reading results must not alter the run
    many.run()
    assert one.counters == many.counters and one.counters["stuck"] > 0
    for field in ("arrive_s", "enter_s", "stuck"):
        np.testing.assert_array_equal(getattr(one.state, field), getattr(many.state, field))
    np.testing.assert_array_equal(one.occupancy_veh_s, many.occupancy_veh_s)
    # statistics intervals are bookkeeping only: they do not change the dynamics
    fine = make_sim(net, dep, routes, horizon_s=900.0, stuck_time_s=20.0, seed=4,
                    interval_s=60.0)
    fine.run()
    np.testing.assert_array_equal(one.state.arrive_s, fine.state.arrive_s)
    np.testing.assert_allclose(one.occupancy_veh_s.sum(), fine.occupancy_veh_s.sum())


def test_fifo_on_link_with_density_dependent_speed():
    """A later vehicle meeting a lighter link would be faster, but may not overtake."""
    net = chain(1, length_m=10000.0, speed_mps=10.0, storage_veh=10.0)
    dep = [0.0] * 9 + [2001.0]
    sim = make_sim(net, dep, [[0]] * 10, horizon_s=7200.0, speed_model="greenshields")
    sim.run()
    arr = sim.trip_table()["arrive_s"].to_numpy()
    # ninth vehicle met 8 others: 1000 s / 0.2; the last met 6: it would be ready at 4501 s
    assert arr[8] == 5000.0
    assert np.all(np.diff(arr) >= 0)
    assert arr[9] == 5001.0  # right behind vehicle 8 (capacity 1 veh/s)


def test_departure_buffer_is_fifo_by_departure_time():
    net = chain(1, capacity_vph=360.0, storage_veh=2.0)
    dep = np.array([50.0, 40.0, 30.0, 20.0, 10.0, 0.0])  # trip ids in reverse departure order
    sim = make_sim(net, dep, [[0]] * 6)
    sim.advance(60.0)
    c = sim.counters  # storage 2: departures at 40 s and 50 s still wait in the buffer
    assert (c["arrived"], c["en_route"], c["waiting"]) == (2, 2, 2)
    sim.run()
    t = sim.trip_table()
    order = np.argsort(dep)
    assert np.all(np.diff(t["enter_s"].to_numpy()[order]) > 0)
    assert np.all(np.diff(t["arrive_s"].to_numpy()[order]) > 0)
    # the link discharges one vehicle per 10 s once the first two have traversed it
    np.testing.assert_allclose(np.sort(t["arrive_s"]), [40.0, 50.0, 80.0, 90.0, 120.0, 130.0])


def test_spillback_stops_upstream_and_resumes_on_capacity_change():
    net = chain(2, storage_veh=[50.0, 5.0])
    n = 30
    sim = make_sim(net, np.arange(n, dtype=float), [[0, 1]] * n, interval_s=300.0,
                   green_share=np.array([1.0, 0.0]), stuck_time_s=1e9)
    sim.advance(900.0)
    assert sim.occupancy_veh[1] == 5  # downstream full
    assert sim.outflow_veh[:, 0].sum() == 5  # upstream outflow stopped at its storage
    q = sim.queue_veh[:3, 0]
    assert q[0] == 30 - 5 - 0 and q[2] == 25  # everyone else waits on link 0
    assert sim.counters["arrived"] == 0
    sim.green_share[1] = 1.0  # the operator turns the light green
    sim.advance(1800.0)
    assert sim.counters["arrived"] == n


def test_spillback_with_bottleneck_grows_upstream_queue():
    net = chain(3, storage_veh=[1000.0, 5.0, 100.0], capacity_vph=[3600.0, 360.0, 3600.0])
    n = 600
    sim = make_sim(net, np.arange(n, dtype=float), [[0, 1, 2]] * n, interval_s=120.0)
    sim.advance(600.0)
    q = sim.queue_veh[:5, 0]
    assert np.all(np.diff(q) > 0)  # the queue spills back and grows on link 0
    # link 0 discharges only as fast as link 1 (0.1 veh/s) once link 1 is full
    assert sim.outflow_veh[2:5, 0].sum() == pytest.approx(360 * 0.1, abs=2)


# ---------------------------------------------------------------- node logic
def merge_net(cap_a, cap_b):
    """Links 0 (cap_a) and 1 (cap_b) merge at node 2 into link 2 (bottleneck 1800 vph)."""
    return Network.from_links(
        node_x_m=np.array([0.0, 0.0, 500.0, 1000.0, 1500.0]),
        node_y_m=np.array([0.0, 100.0, 0.0, 0.0, 0.0]),
        link_from=np.array([0, 1, 2, 3]), link_to=np.array([2, 2, 3, 4]),
        length_m=np.full(4, 500.0), lanes=np.ones(4, dtype=int), speed_mps=np.full(4, 12.5),
        capacity_vph=np.array([cap_a, cap_b, 1800.0, 7200.0]),
        storage_veh=np.array([20000.0, 20000.0, 30.0, 100.0]))


def merge_sim(seed, cap_a=3600.0, cap_b=3600.0, n=8000, until_s=1800.0):
    net = merge_net(cap_a, cap_b)
    routes = [[0, 2, 3]] * n + [[1, 2, 3]] * n
    dep = np.concatenate([np.arange(n) * 0.5, np.arange(n) * 0.5])
    sim = make_sim(net, dep, routes, seed=seed, horizon_s=3 * 3600.0)
    sim.advance(until_s)
    return sim


def test_same_seed_identical_different_seed_differs():
    a, b, c = merge_sim(1), merge_sim(1), merge_sim(2)
    for field in ("arrive_s", "enter_s", "distance_m"):
        np.testing.assert_array_equal(getattr(a.state, field), getattr(b.state, field))
    np.testing.assert_array_equal(a.outflow_veh, b.outflow_veh)
    assert not np.array_equal(np.nan_to_num(a.state.arrive_s), np.nan_to_num(c.state.arrive_s))


@pytest.mark.parametrize("cap_a", [3600.0, 7200.0])
def test_node_shares_contested_capacity_by_incoming_capacity(cap_a):
    """Both approaches saturated and never short of credit (>= 1 veh/tick): each gets
    the merge's downstream space in proportion to its capacity."""
    sim = merge_sim(5, cap_a=cap_a, until_s=3600.0)
    out = sim.outflow_veh[:4].sum(axis=0)
    # the merge's downstream link discharges at capacity from 80 s (two 40 s links) on
    assert out[2] == pytest.approx(0.5 * (3600.0 - 80.0), abs=2)
    share_a = out[0] / (out[0] + out[1])
    assert share_a == pytest.approx(cap_a / (cap_a + 3600.0), abs=0.03)


# ---------------------------------------------------------------- gridlock
def ring_net(storage):
    return Network.from_links(
        node_x_m=np.array([0.0, 500.0, 500.0, 0.0]), node_y_m=np.array([0.0, 0.0, 500.0, 500.0]),
        link_from=np.arange(4), link_to=(np.arange(4) + 1) % 4, length_m=np.full(4, 500.0),
        lanes=np.ones(4, dtype=int), speed_mps=np.full(4, 12.5), capacity_vph=np.full(4, 1800.0),
        storage_veh=np.full(4, storage))


def ring_sim(stuck_time_s):
    routes = [[i % 4, (i + 1) % 4, (i + 2) % 4] for i in range(12)]  # 3 vehicles per link
    return make_sim(ring_net(3.0), np.zeros(12), routes, stuck_time_s=stuck_time_s,
                    horizon_s=3600.0)


def test_gridlock_without_squeeze_stays_stuck():
    sim = ring_sim(1e9)
    sim.run()
    assert sim.counters["arrived"] == 0 and sim.counters["stuck"] == 0
    assert np.all(sim.occupancy_veh == 3)


def test_stuck_rule_squeezes_and_counts():
    sim = ring_sim(120.0)
    sim.advance(40.0 + 119.0)
    assert sim.counters["stuck"] == 0  # heads ready at 40 s, blocked for 119 s
    sim.advance(40.0 + 121.0)
    assert sim.counters["stuck"] >= 1
    sim.run()
    t = sim.trip_table()
    assert sim.counters["arrived"] == 12
    assert 1 <= t["stuck"].sum() <= sim.counters["stuck"]


# ---------------------------------------------------------------- tolls and emissions
def test_toll_revenue_by_slot():
    net = chain(3)
    rng = np.random.default_rng(1)
    n = 400
    dep = np.sort(rng.uniform(0, 3400, n))
    routes = [[0, 1, 2] if i % 2 else [1, 2] for i in range(n)]
    tolls = np.array([[1.0, 2.0, 0.0], [3.0, 0.5, 4.0]])
    sim = make_sim(net, dep, routes, toll_schedule=tolls, toll_slot_s=1800.0, horizon_s=5400.0)
    sim.run()
    rev = sim.toll_revenue
    slot_of_interval = np.minimum(np.arange(rev.shape[0]) * 900 // 1800, 1)
    np.testing.assert_allclose(rev, sim.inflow_veh * tolls[slot_of_interval])
    assert sim.trip_table()["toll_paid"].sum() == pytest.approx(rev.sum(), rel=1e-6)
    assert sim.link_table()["toll_revenue"].sum() == pytest.approx(rev.sum())


def test_default_tolls_come_from_network():
    net = chain(2).replace(toll=np.array([0.0, 2.5]))
    sim = make_sim(net, [0.0, 1.0], [[0, 1], [1]])
    sim.run()
    np.testing.assert_allclose(sim.trip_table()["toll_paid"], [2.5, 2.5])


def synthetic_ef():
    c, p, b = np.meshgrid(np.arange(2), np.arange(3), np.arange(131), indexing="ij")
    return ((c + 1) * (p + 1) * (1.0 + b / 100.0)).astype(np.float32)


def test_emissions_free_flow_equal_ef_times_length():
    net = chain(2, length_m=[500.0, 1000.0], speed_mps=[12.5, 25.0])
    ef = synthetic_ef()
    rs, rl = routes_csr([[0, 1], [1]])
    sim = TrafficSim(net, np.array([0.0, 0.0]), rs, rl, np.array([0, 1], dtype=np.int8),
                     horizon_s=900.0, seed=0, ef_g_per_m=ef, energy_index=2)
    sim.run()
    emis = sim.link_emis_g.sum(axis=0)  # [links, pollutants]
    # link 0: class 0 at 45 km/h; link 1: class 0 and class 1 at 90 km/h
    np.testing.assert_allclose(emis[0], ef[0, :, 45] * 500.0, rtol=1e-6)
    np.testing.assert_allclose(emis[1], (ef[0, :, 90] + ef[1, :, 90]) * 1000.0, rtol=1e-6)
    np.testing.assert_allclose(sim.trip_energy,
                               [ef[0, 2, 45] * 500 + ef[0, 2, 90] * 1000, ef[1, 2, 90] * 1000],
                               rtol=1e-6)


def test_emissions_use_simulated_speed_in_congestion():
    net = chain(1, length_m=500.0, speed_mps=12.5, capacity_vph=360.0)
    ef = synthetic_ef()
    sim = make_sim(net, [0.0, 0.0], [[0], [0]], ef_g_per_m=ef, horizon_s=900.0)
    sim.run()
    # second vehicle leaves 10 s after the first (capacity 0.1 veh/s): 500 m in 50 s = 36 km/h
    expected = (ef[0, :, 45] + ef[0, :, 36]) * 500.0
    np.testing.assert_allclose(sim.link_emis_g.sum(axis=0)[0], expected, rtol=1e-6)


# ---------------------------------------------------------------- input errors
def test_bad_inputs_raise_input_error():
    net = chain(3)
    with pytest.raises(InputError, match="not connected"):
        make_sim(net, [0.0], [[0, 2]])
    with pytest.raises(InputError, match="route_links"):
        make_sim(net, [0.0], [[5]])
    with pytest.raises(InputError, match="interval_s"):
        make_sim(net, [0.0], [[0]], interval_s=0.5, tick_s=2.0)
    with pytest.raises(InputError, match="green_share"):
        make_sim(net, [0.0], [[0]], green_share=np.array([1.0, 2.0, 1.0]))
    sim = make_sim(net, [0.0], [[0]])
    with pytest.raises(InputError, match="until_s"):
        sim.advance(1e6)
