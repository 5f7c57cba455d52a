"""Traffic kernel throughput on the synthetic city: 10k / 100k / 1M trips.

The trips are *local* (destinations at an exponential straight-line distance,
mean 8 km; see :func:`common.city_trips`), which the network carries without
gridlock at every size. ``KernelGridlock`` is the stress case: 1M uniform
node-to-node trips, which funnel onto the motorways and gridlock the city
(about one trip in nine arrives): the kernel's blocked-link and squeeze paths.

Routes are built once per size (``setup_cache``, free-flow shortest paths); each
timed sample simulates a fresh :class:`TrafficSim` over the whole 24 h horizon
(``number = 1`` makes asv call ``setup`` — which builds the sim — before every
sample, so only ``run()`` is timed). ``track_`` benchmarks record derived rates:
link transitions per second of kernel time (one core; the kernel is serial).
``peakmem_`` measures the whole pipeline for one size in its own process:
network, trips, routing, sim build and run.
"""

from __future__ import annotations

import time

import numpy as np

from .common import SEED, city_trips, synthetic_city

TRIP_COUNTS = [10_000, 100_000, 1_000_000]


class KernelThroughput:
    """Simulate N random trips on the synthetic city (departures over 20 h, 24 h horizon)."""

    params = [TRIP_COUNTS]
    param_names = ["trips"]
    number = 1
    repeat = (1, 3, 120.0)
    warmup_time = 0.0
    timeout = 1200

    def setup_cache(self):
        net = synthetic_city()
        return {n: city_trips(net, n) for n in TRIP_COUNTS}

    def setup(self, workloads, trips):
        self.sim = workloads[trips].sim(seed=SEED)
        self.sim.advance(1.0)  # load/compile the kernel outside the timed region

    def time_run(self, workloads, trips):
        self.sim.run()

    def track_transitions_per_s(self, workloads, trips):
        t0 = time.perf_counter()
        self.sim.run()
        dt = time.perf_counter() - t0
        return self.sim.counters["transitions"] / dt

    track_transitions_per_s.unit = "transitions/s"

    def track_transitions(self, workloads, trips):
        self.sim.run()
        return self.sim.counters["transitions"]

    track_transitions.unit = "transitions"

    def track_arrived_share(self, workloads, trips):
        self.sim.run()
        return self.sim.counters["arrived"] / trips

    track_arrived_share.unit = "share"


class KernelGridlock:
    """1M uniform node-to-node trips on the synthetic city: a gridlocked day."""

    params = [[1_000_000]]
    param_names = ["trips"]
    number = 1
    repeat = (1, 2, 120.0)
    warmup_time = 0.0
    timeout = 1800

    def setup_cache(self):
        return city_trips(synthetic_city(), 1_000_000, mean_trip_m=None)

    def setup(self, workload, trips):
        self.sim = workload.sim(seed=SEED)
        self.sim.advance(1.0)

    def time_run(self, workload, trips):
        self.sim.run()

    def track_transitions_per_s(self, workload, trips):
        t0 = time.perf_counter()
        self.sim.run()
        dt = time.perf_counter() - t0
        return self.sim.counters["transitions"] / dt

    track_transitions_per_s.unit = "transitions/s"


class TripTable:
    """Collecting the per-trip result table after a run."""

    params = [[100_000]]
    param_names = ["trips"]
    timeout = 600

    def setup(self, trips):
        self.sim = city_trips(synthetic_city(), trips).sim(seed=SEED)
        self.sim.run()

    def time_trip_table(self, trips):
        self.sim.trip_table()

    def time_link_table(self, trips):
        self.sim.link_table()


class PipelineMemory:
    """Peak RSS of network + trips + routing + simulation of N trips, in one process."""

    params = [TRIP_COUNTS]
    param_names = ["trips"]
    timeout = 1200

    def peakmem_route_and_simulate(self, trips):
        sim = city_trips(synthetic_city(), trips).sim(seed=SEED)
        sim.run()
        assert np.isfinite(sim.now_s)
