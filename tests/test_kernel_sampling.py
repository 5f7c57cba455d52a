"""The queue kernel at a sampled link is an M/D/1 queue at the *sampled* capacity.

A sampled run (``simulation.sample_share`` = s) scales flow capacities by s, so
one simulated vehicle holds a link for ``1 / (s · capacity)`` — its headway,
100 s for a 1,800 veh/h lane at s = 2%. With random arrivals below capacity
(utilisation ρ) the mean wait of such a queue is Pollaczek–Khinchine's for
deterministic service (M/D/1; Kleinrock 1975, *Queueing Systems* I, ch. 5):
``W = ρ h / (2 (1 − ρ))``, h the headway. The real city's queue has s times the
arrivals and a headway s times shorter, so its wait is s times smaller: the
sampled queue adds a spurious wait of about ``(1/s − 1)`` times the real one at
every moderately loaded link. This is why congestion levels fall as the sample
grows (``docs/sampling.md``, ``benchmarks/equilibrium/sample.py``); deterministic
(overloaded) queues scale exactly, which a bottleneck test elsewhere checks
(``tests/test_equilibrium.py``, Vickrey).
"""

from __future__ import annotations

import numpy as np
import pytest

from twincity.city.network import Network
from twincity.traffic.simulation import TrafficSim

FREE_FLOW_S = 100.0


def _mean_wait_s(capacity_vph: float, rho: float, n: int = 20_000, seed: int = 3) -> float:
    """Mean time beyond free flow of ``n`` Poisson arrivals at one link (utilisation ``rho``)."""
    net = Network.from_links(
        node_x_m=np.array([0.0, 1000.0]), node_y_m=np.zeros(2), link_from=np.array([0]),
        link_to=np.array([1]), length_m=np.array([1000.0]),
        lanes=np.array([20.0]),  # storage for any queue: the wait is at the exit only
        speed_mps=np.array([10.0]), capacity_vph=np.array([capacity_vph]))
    rng = np.random.default_rng(seed)
    departure_s = np.cumsum(rng.exponential(3600.0 / (rho * capacity_vph), n))
    sim = TrafficSim(net, departure_s=departure_s,
                     route_start=np.arange(n + 1, dtype=np.int64),
                     route_links=np.zeros(n, dtype=np.int32), veh_class=np.zeros(n, np.int8),
                     horizon_s=float(np.ceil(departure_s[-1] / 3600.0 + 20.0) * 3600.0),
                     interval_s=3600.0, seed=1)
    sim.run()
    assert np.all(sim.state.arrive_s > 0)  # everyone got through
    return float(np.mean(sim.state.arrive_s - sim.departure_s - FREE_FLOW_S))


@pytest.mark.parametrize("capacity_vph", [36.0, 360.0])
@pytest.mark.parametrize("rho", [0.5, 0.7])
def test_a_sampled_link_queues_like_md1_at_its_sampled_capacity(capacity_vph, rho) -> None:
    # 36 veh/h: a 1,800 veh/h lane at a 2% sample (100-s headway); 360 veh/h: at 20%.
    # Departures are released at whole ticks (ceil), which adds up to 1 s.
    headway_s = 3600.0 / capacity_vph
    md1_s = rho * headway_s / (2.0 * (1.0 - rho))
    assert _mean_wait_s(capacity_vph, rho) == pytest.approx(md1_s + 0.5, rel=0.06, abs=0.6)


def test_the_spurious_wait_shrinks_as_the_sample_grows() -> None:
    # the same lane (1,800 veh/h) at 2% and at 20%: the wait scales as 1 / share
    wait_2 = _mean_wait_s(0.02 * 1800.0, 0.7)
    wait_20 = _mean_wait_s(0.20 * 1800.0, 0.7)
    assert wait_2 / wait_20 == pytest.approx(10.0, rel=0.1)
