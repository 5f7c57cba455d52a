"""Dynamic user equilibrium against analytic truths: a two-route split, Vickrey, Braess.

The loop (:class:`~twincity.traffic.equilibrium.DynamicEquilibrium`) runs here on
a small road-only plan (:class:`RoadPlan`): fixed travellers who all drive, the
real queue kernel, no mode choice. The truths are independent of the code:

* **Two routes, stationary demand** (Wardrop's first principle with a point
  queue): route A (300 s free flow, 1,200 veh/h) and route B (420 s, 2,400
  veh/h) serve 1,800 veh/h. At equilibrium A carries its capacity, 1,200 veh/h,
  behind a standing queue of 120 s so both routes take 420 s, and B the other
  600 veh/h at free flow.
* **Vickrey's bottleneck** (Vickrey 1969; Arnott, de Palma & Lindsey 1990, AER 80):
  ``N`` commuters with the same preferred arrival through a bottleneck of
  capacity ``s``, early and late costing ``β`` and ``γ`` per unit time: at
  equilibrium everyone's cost (queueing + schedule delay) is ``δ N / s`` with
  ``δ = βγ / (β + γ)``, and departures span ``N / s``.
* **Braess's paradox** (Braess 1968, Unternehmensforschung 12) with point
  queues: adding a shortcut raises every trip's equilibrium time from 660 s to
  1,110 s (the closed form in the test's docstring).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from twincity.city.network import Network
from twincity.operators import TransportAuthority
from twincity.traffic.duerules import EARLY_WEIGHT, LATE_WEIGHT
from twincity.traffic.entries import EntryLayout
from twincity.traffic.equilibrium import DynamicEquilibrium
from twincity.traffic.routes import Routes, take_routes
from twincity.traffic.simulation import TrafficSim
from twincity.vocab import CAR


class RoadPlan:
    """Just what :class:`DynamicEquilibrium` needs of a traffic subsystem: everyone drives."""

    def __init__(self, net: Network, origin: np.ndarray, dest: np.ndarray,
                 desired_s: np.ndarray, routes: Routes, *, duration_s: float,
                 interval_s: float = 900.0, days: int = 60, gap: float = 0.02) -> None:
        import mesa

        n = len(origin)
        self.context = SimpleNamespace(seed=1, city=SimpleNamespace(spec=SimpleNamespace(
            simulation=SimpleNamespace(equilibrium_gap=gap, equilibrium_days=days,
                                       interval_s=interval_s, sample_share=1.0))))
        self.layout = EntryLayout(n_people=n, n_trucks=0)
        self.net = net
        self.mode = np.full(n, CAR, dtype=np.int8)
        self.identity = np.arange(n)
        self.start_s, self.duration_s = 0.0, duration_s
        self.slot_s, self.n_slots = duration_s, 1
        self.vot = 3600.0
        self.authority = TransportAuthority(mesa.Model(rng=1),
                                            toll_schedule=np.zeros((1, net.n_links)),
                                            green_share=np.ones(net.n_links))
        self.origin_node, self.dest_node = origin, dest
        self.desired_s = desired_s.astype(np.float64)
        self.departure_s = self.desired_s.copy()
        self.book = routes
        self.days = []
        self.flows_by_slot = np.ones((1, net.n_links))

    def planning_network(self) -> Network:
        return self.net

    def road_vehicles(self) -> np.ndarray:
        return np.arange(len(self.origin_node))

    def book_od(self, idx):
        return self.origin_node[idx], self.dest_node[idx], self.departure_s[idx] - self.start_s

    def skims_by_slot(self, link_time_s):
        return None

    def preferred_modes(self, gc) -> np.ndarray:
        return self.mode.copy()

    def make_sim(self) -> TrafficSim:
        road = self.road_vehicles()
        r = take_routes(self.book, road)
        self.sim_road = road
        return TrafficSim(self.net, departure_s=self.departure_s - self.start_s,
                          route_start=r.start, route_links=r.links,
                          veh_class=np.zeros(len(road), dtype=np.int8), tick_s=1.0,
                          interval_s=self.context.city.spec.simulation.interval_s,
                          horizon_s=self.duration_s, seed=7, stuck_time_s=10.0)


def _routes(paths: list[list[int]]) -> Routes:
    lens = np.array([len(p) for p in paths])
    start = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    links = np.concatenate([np.asarray(p, dtype=np.int32) for p in paths])
    return Routes(start=start, links=links, ok=np.ones(len(paths), bool),
                  cost_s=np.zeros(len(paths)))


def test_two_routes_split_as_wardrop_with_a_point_queue() -> None:
    # link 0: A, 0→1 direct (300 s, 1,200 veh/h); links 1, 2: B via node 2 (210 s each)
    net = Network.from_links(
        node_x_m=np.array([0.0, 3000.0, 1500.0]), node_y_m=np.array([0.0, 0.0, 2000.0]),
        link_from=np.array([0, 0, 2]), link_to=np.array([1, 2, 1]),
        length_m=np.array([3000.0, 2100.0, 2100.0]), lanes=np.array([1.0, 2.0, 2.0]),
        speed_mps=np.full(3, 10.0), capacity_vph=np.array([1200.0, 2400.0, 2400.0]))
    n = 5400  # 1,800 veh/h for 3 h
    desired = np.linspace(0.0, 3 * 3600.0, n, endpoint=False)
    plan = RoadPlan(net, np.zeros(n, np.int32), np.ones(n, np.int32), desired,
                    _routes([[0]] * n), duration_s=5 * 3600.0, days=40)
    de = DynamicEquilibrium(plan, shifts_s=np.array([0.0]))  # routes only: the stationary split
    report = de.run()
    # every vehicle is one vehicle here, so queues move one headway (3 s) at a time and
    # the day-to-day pattern keeps some noise: the split and the times are the truth tested
    assert report.iterations == 40 and report.relative_gap < 0.1
    mid = (desired > 3600.0) & (desired < 7200.0)
    on_a = np.diff(plan.book.start) == 1
    assert on_a[mid].mean() == pytest.approx(1200 / 1800, abs=0.05)
    sim = plan.make_sim()
    sim.run()
    tt = (sim.state.arrive_s - sim.departure_s)[mid]
    assert tt[on_a[mid]].mean() == pytest.approx(420.0, abs=45.0)
    assert tt[~on_a[mid]].mean() == pytest.approx(420.0, abs=45.0)


def test_departure_times_spread_as_in_vickreys_bottleneck() -> None:
    """600 commuters, one 600 veh/h bottleneck, the same preferred arrival (±5 min).

    Vickrey's equilibrium: each pays δ N / s in queueing plus schedule delay
    (δ = βγ / (β + γ) with Small's weights: 0.486 h here) and departures span
    N / s = 1 h. The discrete model (10-minute shifts, 5-minute measurement
    intervals) gets within 10% of the cost and 20% of the span.

    What this does NOT show: the loop does not reach the gap on a pure
    bottleneck (0.47 at day 60). Day-to-day departure-time dynamics at a single
    bottleneck are unstable under the usual adjustment rules (Iryo 2008, J. Adv.
    Transp. 42(3); Jin 2018, arXiv:1801.09653), and here the mean cost swings
    from −28% (day 45) to +2% (day 60) around Vickrey's: the day-60 plan is
    tested, not a converged equilibrium. Smith's (1984) proportional switch
    kept it within 3% from day 18 to 60 but slowed the cities' convergence
    (Helsinki 0.02 at day ~18 instead of ~9), so it was not adopted.
    """
    net = Network.from_links(
        node_x_m=np.array([0.0, 600.0]), node_y_m=np.zeros(2), link_from=np.array([0]),
        link_to=np.array([1]), length_m=np.array([600.0]), lanes=np.array([1.0]),
        speed_mps=np.array([10.0]), capacity_vph=np.array([600.0]))
    n, capacity_vph = 600, 600.0
    desired = 3 * 3600.0 + np.linspace(-300.0, 300.0, n, endpoint=False)
    plan = RoadPlan(net, np.zeros(n, np.int32), np.ones(n, np.int32), desired,
                    _routes([[0]] * n), duration_s=6 * 3600.0, days=60, interval_s=300.0)
    de = DynamicEquilibrium(plan)
    de.run()
    sim = plan.make_sim()
    sim.run()
    arrive = sim.state.arrive_s.astype(np.float64)
    depart = sim.departure_s
    preferred = de.preferred_arrival_s
    free_flow_s = 60.0
    cost_s = (arrive - depart - free_flow_s + EARLY_WEIGHT * np.maximum(0.0, preferred - arrive)
              + LATE_WEIGHT * np.maximum(0.0, arrive - preferred))
    delta = EARLY_WEIGHT * LATE_WEIGHT / (EARLY_WEIGHT + LATE_WEIGHT)
    vickrey_s = delta * n / capacity_vph * 3600.0
    assert cost_s.mean() == pytest.approx(vickrey_s, rel=0.10)
    span_s = depart.max() - depart.min()
    assert span_s == pytest.approx(n / capacity_vph * 3600.0, rel=0.20)


def _braess_net(shortcut: bool) -> Network:
    """O=0, A=1, B=2, D=3: O→A and B→D short bottlenecks, A→D and O→B long, A→B the shortcut."""
    links = [(0, 1, 600.0, 1200.0), (1, 3, 6000.0, 3600.0), (0, 2, 6000.0, 3600.0),
             (2, 3, 600.0, 1200.0)] + ([(1, 2, 300.0, 3600.0)] if shortcut else [])
    f, t, length, cap = (np.array(c) for c in zip(*links, strict=True))
    # four lanes of storage on every link: each queue stands inside its own bottleneck link
    return Network.from_links(
        node_x_m=np.array([0.0, 600.0, 600.0, 1200.0]),
        node_y_m=np.array([0.0, 500.0, -500.0, 0.0]),
        link_from=f.astype(np.int64), link_to=t.astype(np.int64), length_m=length,
        lanes=np.full(len(f), 4.0), speed_mps=np.full(len(f), 10.0), capacity_vph=cap)


def test_a_shortcut_slows_everyone_as_in_braess_paradox() -> None:
    """Braess (1968) with point queues, 1,800 veh/h from O to D for 3 h.

    Without the shortcut the demand splits 900/900 below both bottlenecks'
    1,200 veh/h: 660 s each way. With a 30-s shortcut A→B, the stationary
    equilibrium uses all three routes at 600 veh/h each, both bottlenecks run
    at capacity behind a standing queue ``w`` with 660 + w = 210 + 2w, so
    w = 450 s and every trip takes 1,110 s — 450 s longer, though a link was added.
    """
    n = 5400
    desired = np.linspace(0.0, 3 * 3600.0, n, endpoint=False)
    mid = (desired > 3600.0) & (desired < 7200.0)
    mean_s = {}
    for shortcut in (False, True):
        net = _braess_net(shortcut)
        plan = RoadPlan(net, np.zeros(n, np.int32), np.full(n, 3, np.int32), desired,
                        _routes([[0, 1]] * n), duration_s=6 * 3600.0, days=40)
        report = DynamicEquilibrium(plan, shifts_s=np.array([0.0])).run()
        assert report.relative_gap < 0.1  # one simulated vehicle each: some noise stays
        sim = plan.make_sim()
        sim.run()
        tt = (sim.state.arrive_s - sim.departure_s)[mid]
        mean_s[shortcut] = float(tt.mean())
        if shortcut:
            via = np.array([len(plan.book.links[a:b]) for a, b in
                            zip(plan.book.start[:-1], plan.book.start[1:], strict=True)])[mid]
            assert np.mean(via == 3) == pytest.approx(1 / 3, abs=0.08)  # O→A→B→D
    assert mean_s[False] == pytest.approx(660.0, abs=30.0)
    assert mean_s[True] == pytest.approx(1110.0, rel=0.10)
