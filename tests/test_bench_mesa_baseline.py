"""The benchmark workloads and the Mesa per-vehicle baseline, checked against TrafficSim.

The Mesa baseline (benchmarks/mesa_baseline/queue_model.py) is a second,
independent implementation of the queue model: uncongested, every trip's
arrival must equal the kernel's exactly (departure tick + free-flow ticks);
congested, both conserve trips and agree on the totals.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH / "mesa_baseline"))
sys.path.insert(0, str(BENCH))

from benchmarks.common import grid_workload, random_trips  # noqa: E402
from queue_model import QueueModel  # noqa: E402


def _mesa(w, seed=3):
    s, lk = w.routes.start, w.routes.links
    m = QueueModel(w.net, w.departure_s, [lk[s[i]:s[i + 1]].tolist() for i in range(w.n_trips)],
                   w.horizon_s, seed=seed)
    m.run()
    return m


def test_random_trips_reproducible_and_valid():
    rng = lambda: np.random.default_rng(5)  # noqa: E731
    o, d, dep = random_trips(20, 1000, 3600.0, rng())
    o2, d2, dep2 = random_trips(20, 1000, 3600.0, rng())
    assert np.array_equal(o, o2) and np.array_equal(d, d2) and np.array_equal(dep, dep2)
    assert np.all(o != d) and np.all(np.diff(dep) >= 0)
    assert dep.min() >= 0 and dep.max() < 3600.0
    # destinations cover every node (uniform over the other nodes)
    assert set(d.tolist()) == set(range(20))


def test_grid_routes_are_manhattan():
    w = grid_workload(5, 200, 1)
    n = 5
    oi, oj = np.divmod(w.origin, n)
    di, dj = np.divmod(w.dest, n)
    assert np.array_equal(w.routes.lengths(), np.abs(oi - di) + np.abs(oj - dj))


def test_mesa_matches_kernel_trip_by_trip_when_uncongested():
    w = grid_workload(4, 60, 2)  # 60 trips in an hour on 2-lane links: no interaction
    sim = w.sim()
    sim.run()
    m = _mesa(w)
    kernel = sim.trip_table()["arrive_s"].to_numpy()
    mesa_arrive = np.array([v.arrive_s for v in m.vehicles], dtype=float)
    ff_ticks = np.maximum(1, np.floor(w.net.free_flow_s + 0.5))
    expected = np.ceil(w.departure_s) + np.add.reduceat(
        ff_ticks[w.routes.links], w.routes.start[:-1])
    np.testing.assert_array_equal(kernel, expected)
    np.testing.assert_array_equal(mesa_arrive, expected)
    assert m.transitions == sim.counters["transitions"]


@pytest.mark.parametrize("lanes", [1])
def test_mesa_and_kernel_agree_when_congested(lanes):
    w = grid_workload(4, 17000, lanes)  # queues on the central links, short of gridlock
    sim = w.sim()
    sim.run()
    m = _mesa(w)
    c = sim.counters
    assert c["departed"] == w.n_trips
    # conservation in both: every trip arrived, on a link, or waiting
    assert c["arrived"] + c["en_route"] + c["waiting"] == w.n_trips
    in_mesa = sum(len(q) for q in m.queue) + sum(len(b) for b in m.buffer)
    assert m.arrived + in_mesa == w.n_trips
    done_k, mean_k = c["arrived"], float(np.nanmean(sim.trip_table()["travel_time_s"]))
    done_m, mean_m = m.results()
    free_flow = float(np.mean(w.routes.cost_s))
    assert mean_k > 1.2 * free_flow  # really congested
    assert abs(done_m - done_k) <= 0.02 * w.n_trips
    assert mean_m == pytest.approx(mean_k, rel=0.05)
