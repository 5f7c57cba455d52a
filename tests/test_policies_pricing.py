"""Congestion pricing (ERP): who pays, where traffic goes, what is collected, the review rule."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import mesa
import numpy as np
import pytest
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from twincity.model import CityModel
from twincity.operators import ReviewState, TransportAuthority
from twincity.policies.pricing import ErpPolicy, SpeedBandReview
from twincity.policies.registry import apply_policies
from twincity.traffic.duerules import CONSECUTIVE, MODE_IMBALANCE_TOLERANCE, gap_levelled
from twincity.traffic.skims import car_link_cost_s, car_skims
from twincity.vocab import ROAD_CLASSES

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
    """A synthetic authority and state: two priced 1-km links, 4 toll slots in 2 routing slots."""
    authority = SimpleNamespace(toll_slot_s=1800.0, toll_schedule=np.full((4, 3), 2.0))
    t = np.asarray(link_time_s, dtype=float)
    state = ReviewState(round=0, link_time_s=t, flow_veh=np.ones_like(t), slot_s=3600.0,
                        relative_gap=0.01)
    return authority, state


def _rule(operating, band=(20.0, 30.0), step=0.25, rounds=2):
    return SpeedBandReview(np.array([0, 1]), np.array([1000.0, 1000.0]), np.asarray(operating),
                           band, step, base_charge=2.0, review_rounds=rounds)


def test_speed_band_review_raises_slow_slots_and_lowers_fast_ones():
    # routing slot 0: 1 km in 360 s = 10 km/h (below 20–30); slot 1: 1 km in 60 s = 60 km/h
    authority, state = _review_setup([[360.0, 360.0, 1.0], [60.0, 60.0, 1.0]])
    rule = _rule([True, True, True, False])
    assert rule(authority, state) is True
    np.testing.assert_allclose(authority.toll_schedule[:, :2],
                               [[2.5, 2.5], [2.5, 2.5], [1.5, 1.5], [2.0, 2.0]])
    np.testing.assert_allclose(authority.toll_schedule[:, 2], 2.0)  # not a priced link
    # counted per (toll slot, gantry): 2 slots × 2 links raised, 1 slot × 2 links lowered
    assert rule.history == [{"round": 0, "raised": 4, "lowered": 2}]


def test_speed_band_review_treats_each_gantry_on_its_own_road():
    # in the same slot link 0 crawls (10 km/h) and link 1 flows (60 km/h)
    authority, state = _review_setup([[360.0, 60.0, 1.0], [360.0, 60.0, 1.0]])
    _rule(np.ones(4, dtype=bool))(authority, state)
    np.testing.assert_allclose(authority.toll_schedule[:, 0], 2.5)
    np.testing.assert_allclose(authority.toll_schedule[:, 1], 1.5)


def test_speed_band_review_keeps_in_band_slots_and_never_goes_negative():
    # 1 km in 144 s = 25 km/h: inside the band; then 60 km/h in every round
    authority, state = _review_setup([[144.0, 144.0, 1.0], [60.0, 60.0, 1.0]])
    rule = _rule(np.ones(4, dtype=bool), step=1.0, rounds=3)
    changed = [rule(authority, dataclasses.replace(state, round=r)) for r in range(3)]
    assert changed == [True, False, False]  # a step of the whole charge: 2 → 0, then nothing
    np.testing.assert_allclose(authority.toll_schedule[:2, :2], 2.0)
    np.testing.assert_allclose(authority.toll_schedule[2:, :2], 0.0)


def test_speed_band_review_stops_after_its_rounds():
    authority, state = _review_setup([[360.0, 360.0, 1.0], [360.0, 360.0, 1.0]])
    rule = _rule(np.ones(4, dtype=bool), rounds=1)
    assert rule(authority, state) is True
    before = authority.toll_schedule.copy()
    assert rule(authority, dataclasses.replace(state, round=1)) is False
    np.testing.assert_array_equal(authority.toll_schedule, before)


def test_authority_review_rounds_and_changes():
    model = mesa.Model(rng=1)
    ta = TransportAuthority(model, toll_schedule=np.full((4, 3), 2.0), green_share=np.ones(3))
    assert ta.review_rounds == 0
    _, state = _review_setup([[144.0, 144.0, 1.0], [144.0, 144.0, 1.0]])  # in band
    assert ta.review(state) is False
    ta.reviewers += [_rule(np.ones(4, dtype=bool), rounds=1),
                     _rule(np.ones(4, dtype=bool), rounds=3)]
    assert ta.review_rounds == 3
    assert ta.review(state) is False  # both consulted, nothing out of band
    slow = dataclasses.replace(state, link_time_s=np.full((2, 3), 360.0))
    assert ta.review(slow) is True


def test_reviewed_schedule_still_charges_where_speeds_are_below_the_band(tiny_path):
    """ERP on the tiny city's gantries, reviewed over its rounds on a constructed state.

    Independent check: speeds by hand, 3.6 · length / (length / speed limit + Webster's
    uniform delay at the approach's green ratio) on empty roads, and a crawl on half of
    the gantries in the morning peak.
    """
    policy = ErpPolicy({"scheme": "gantries", "central_share": 0.3, "charge_vot_h": 0.2,
                        "review": True, "review_rounds": 2, "review_step_share": 0.25})
    city, applied = apply_policies(tiny_path, [policy])
    adaptation = applied[0][1]
    model = mesa.Model(rng=1)
    model.city = city
    net = city.network
    ta = TransportAuthority(model, toll_schedule=np.zeros((48, net.n_links)),
                            green_share=np.ones(net.n_links))
    model.transport_authority = ta
    policy.attach(model, adaptation)
    assert ta.review_rounds == 2
    initial = ta.toll_schedule.copy()
    charged = np.asarray(adaptation.concrete["charged_links"])
    arterial = net.road_class[charged] != ROAD_CLASSES.index("motorway")
    gantries = charged[arterial]
    assert len(gantries) >= 4
    # empty roads: free flow with the signal delay of signalised approaches
    lam = np.zeros(net.n_links)
    lam[city.signals.links] = city.signals.green_ratio
    delay = np.where(lam > 0, 0.5 * 90.0 * (1 - lam) ** 2, 0.0)
    empty_s = net.length_m / net.speed_mps + delay
    assert (delay[gantries] > 0).sum() >= 2  # signalised gantries: their speeds include it
    np.testing.assert_allclose(net.free_flow_s, empty_s)  # the network's own free flow agrees
    n_slots, slot_s = 24, 3600.0
    times = np.repeat(empty_s[None, :], n_slots, axis=0)
    crawl = gantries[::2]  # 12 km/h from 8:00 to 9:00
    start_h = city.spec.simulation.start_s / 3600.0
    peak = int(8 - start_h)
    times[peak, crawl] = net.length_m[crawl] / (12 / 3.6)
    base = adaptation.concrete["charge"]
    for r in range(ta.review_rounds):
        state = ReviewState(round=r, link_time_s=times, flow_veh=np.ones_like(times),
                            slot_s=slot_s, relative_gap=0.01)
        if not ta.review(state):
            break
    speed_kmh = 3.6 * net.length_m / times  # [routing slot, link]
    toll_slot_routing = (np.arange(48) * 1800.0 // slot_s).astype(int)
    v = speed_kmh[toll_slot_routing][:, gantries]  # [toll slot, gantry]
    operating = initial[:, gantries] > 0
    expected = np.where(operating & (v < 20), initial[:, gantries] + 2 * 0.25 * base,
                        np.where(operating & (v > 30),
                                 np.maximum(0.0, initial[:, gantries] - 2 * 0.25 * base),
                                 initial[:, gantries]))
    np.testing.assert_allclose(ta.toll_schedule[:, gantries], expected)
    slow = operating & (v < 20)
    assert slow.sum() >= 2  # the crawling gantries in the charged slots of the peak hour
    assert np.all(ta.toll_schedule[:, gantries][slow] > initial[:, gantries][slow])
    # the empty roads run above the band even with signal delay: lowered, still charged
    fast = operating & (v > 30)
    assert fast.any() and np.all(ta.toll_schedule[:, gantries][fast] > 0)
    assert np.all(ta.toll_schedule[:, gantries][fast] < initial[:, gantries][fast])
    # charges stay where there is a charging period and nowhere else
    np.testing.assert_array_equal(ta.toll_schedule[~operating.any(axis=1)][:, gantries], 0.0)


@pytest.mark.parametrize("gap, rounds, cap", [(0.999, [0, 1], 30), (1e-9, [], 6)])
def test_review_waits_for_an_equilibrated_state(tiny_path, gap, rounds, cap):
    """The day-to-day loop reviews only once its criteria hold, then re-equilibrates."""
    overrides = {**PEAK, "simulation.duration_h": 2, "simulation.equilibrium_days": cap,
                 "simulation.equilibrium_gap": gap}
    policy = ErpPolicy({**PARAMS, "review": True, "review_rounds": 2})
    model = CityModel.from_file(tiny_path, overrides=overrides, subsystems=("traffic",),
                                policies=[policy])
    rule = model.transport_authority.reviewers[0]
    assert [h["round"] for h in rule.history] == rounds
    days = model.traffic.days
    gaps = [d.relative_gap for d in days]
    levelled = [gap_levelled(gaps[:i + 1], gap) for i in range(len(days))]
    assert [d.gap_levelled for d in days] == levelled
    met = [d.relative_gap <= gap and d.mode_imbalance <= MODE_IMBALANCE_TOLERANCE and lev
           for d, lev in zip(days, levelled, strict=True)]
    # a review (and the end) comes after CONSECUTIVE days meeting the criteria, never earlier
    settled = 0
    for d, ok in zip(days, met, strict=True):
        settled = settled + 1 if ok else 0
        assert d.review == (settled >= CONSECUTIVE and d.day < days[-1].day)
        if d.review:
            settled = 0
    assert model.traffic.equilibrium.reviews == len(rounds)
    assert model.traffic.equilibrium.converged == bool(rounds)
    if rounds:
        assert settled >= CONSECUTIVE  # converged after the last review
    else:
        assert len(days) == cap


def test_cordon_expressways_charges_the_innermost_motorways_per_gantry_spacing(tiny_path):
    """Independent check by hand: motorway links sorted by their midpoint's distance to the
    centre, charged until ``expressway_share`` of the motorway length is reached, each paying
    length / spacing charges; the cordon's links pay one; nothing else pays."""
    from twincity.policies.pricing import innermost_motorways, priced_links
    from twincity.vocab import MOTORWAY

    city, _ = apply_policies(tiny_path, [], overrides=PEAK)
    net = city.network
    params = ErpPolicy({"scheme": "cordon_expressways", "central_share": 0.15,
                        "expressway_share": 0.3, "expressway_gantry_spacing_m": 2000.0}).params
    inside, weight = priced_links(city, params)
    cordon = ~inside[net.link_from] & inside[net.link_to]
    motorway = np.asarray(net.road_class) == MOTORWAY
    express = innermost_motorways(city, 0.3)
    assert motorway.sum() > len(express) > 0
    mid = np.hypot(0.5 * (net.node_x_m[net.link_from] + net.node_x_m[net.link_to])
                   - city.centre_xy_m[0],
                   0.5 * (net.node_y_m[net.link_from] + net.node_y_m[net.link_to])
                   - city.centre_xy_m[1])
    # the charged motorways are the nearest: none uncharged lies nearer than a charged one
    assert mid[motorway & ~np.isin(np.arange(net.n_links), express)].min() >= mid[express].max()
    # their length covers the share, less than one link short or over
    covered = net.length_m[express].sum() / net.length_m[motorway].sum()
    assert 0.3 <= covered < 0.3 + net.length_m[motorway].max() / net.length_m[motorway].sum()
    np.testing.assert_allclose(weight[express], net.length_m[express] / 2000.0)
    others = ~np.isin(np.arange(net.n_links), express)
    np.testing.assert_array_equal(weight[others], cordon[others].astype(float))
    # the cordon scheme is the same cordon without the expressways
    _, cordon_only = priced_links(city, ErpPolicy({"central_share": 0.15}).params)
    np.testing.assert_array_equal(cordon_only, cordon.astype(float))


def _line_city():
    """Six nodes, centre at node 0; a cordon of nodes 0 and 1 (``central_share`` 2/6).

    Links (from → to, class, length): 0: 2 → 1 motorway 3900 m, entering the cordon;
    1: 1 → 2 motorway 3900 m, leaving it; 2: 3 → 0 motorway 1300 m, entering it;
    3: 4 → 0 arterial 8000 m, entering it; 4: 2 → 5 motorway 8000 m, far out;
    5: 0 → 1 arterial 400 m, inside.
    """
    from twincity.vocab import ARTERIAL, MOTORWAY

    net = SimpleNamespace(
        n_nodes=6, node_x_m=np.array([0.0, 400.0, 4300.0, -1300.0, 0.0, 4300.0]),
        node_y_m=np.array([0.0, 0.0, 0.0, 0.0, 8000.0, 8000.0]),
        link_from=np.array([2, 1, 3, 4, 2, 0]), link_to=np.array([1, 2, 0, 0, 5, 1]),
        road_class=np.array([MOTORWAY, MOTORWAY, MOTORWAY, ARTERIAL, MOTORWAY, ARTERIAL]),
        length_m=np.array([3900.0, 3900.0, 1300.0, 8000.0, 8000.0, 400.0]))
    spec = SimpleNamespace(city=SimpleNamespace(value_of_time_per_h=10.0, currency="XYZ",
                                                ppp_per_usd=1.0))
    return SimpleNamespace(network=net, centre_xy_m=(0.0, 0.0), spec=spec)


#: On :func:`_line_city`: motorway midpoints lie 650 m (link 2), 2350 m (links 0 and 1) and
#: 5873 m (link 4) from the centre; 0.4 of the 17.1 km of motorway is 6.84 km, reached
#: after links 2, 0 and 1 (1.3 + 3.9 = 5.2 km before link 1 starts, 9.1 km before link 4).
LINE_EXPRESSWAYS = {"scheme": "cordon_expressways", "central_share": 0.34,
                    "expressway_share": 0.4, "expressway_gantry_spacing_m": 2600.0,
                    "charge_vot_h": 0.5}


def test_cordon_expressway_link_entering_the_cordon_pays_at_least_one_charge():
    """By hand on :func:`_line_city` (spacing 2600 m): links 0 and 1 pay 3900 / 2600 = 1.5;
    link 2 enters the cordon and is 1300 / 2600 = 0.5 gantry long, so it pays the cordon's
    one charge; the arterial entering pays 1; the far motorway and the inside link nothing."""
    from twincity.policies.pricing import priced_links

    city = _line_city()
    inside, weight = priced_links(city, ErpPolicy(LINE_EXPRESSWAYS).params)
    assert inside.tolist() == [True, True, False, False, False, False]
    np.testing.assert_allclose(weight, [1.5, 1.5, 1.0, 1.0, 0.0, 0.0])
    # the cordon alone charges the three links entering it, one charge each
    _, cordon = priced_links(city, ErpPolicy({**LINE_EXPRESSWAYS, "scheme": "cordon"}).params)
    np.testing.assert_array_equal(cordon, [1.0, 0.0, 1.0, 1.0, 0.0, 0.0])


def test_cordon_expressways_adaptation_names_the_innermost_motorways_whatever_their_charge():
    """The adaptation's expressways are the innermost motorways, also one whose charge is
    exactly one (link 2, entering the cordon): 3 links, 9.1 km, 1.5 + 1.5 + 1 = 4 charges
    end to end; each charged link carries its charges per passage, by hand."""
    adaptation = ErpPolicy(LINE_EXPRESSWAYS).adapt(_line_city())
    assert "4 links charged, 3 of them expressway links (9.1 km, 4 gantry passages" \
        in adaptation.note
    assert adaptation.concrete["charged_links"] == [0, 1, 2, 3]
    np.testing.assert_allclose(adaptation.concrete["charges_per_passage"], [1.5, 1.5, 1.0, 1.0])
    assert adaptation.concrete["charge"] == pytest.approx(0.5 * 10.0)
    # with the spacing equal to links 0 and 1's length, they too pay exactly one charge each
    exact = ErpPolicy({**LINE_EXPRESSWAYS, "expressway_gantry_spacing_m": 3900.0})
    assert "3 of them expressway links (9.1 km, 3 gantry passages" \
        in exact.adapt(_line_city()).note


def test_expressway_gantries_charge_by_length_and_move_drivers_off_them(runs):
    """With gantries on the inner motorways as well, fewer vehicle-km are driven on those
    motorways than with the cordon alone, and each passage pays its link's share of a gantry."""
    _, _, _, rcordon, path = runs
    params = {**PARAMS, "scheme": "cordon_expressways", "expressway_share": 0.4,
              "expressway_gantry_spacing_m": 1000.0}
    both = CityModel.from_file(path, overrides=PEAK, policies=[ErpPolicy(params)])
    rboth = both.run()
    concrete = both.policies[0][1].concrete
    links = np.asarray(concrete["charged_links"])
    per_passage = np.asarray(concrete["charges_per_passage"])
    net = both.city.network
    from twincity.policies.pricing import innermost_motorways
    express = innermost_motorways(both.city, 0.4)
    assert len(express) > 0 and np.isin(express, links).all()
    np.testing.assert_allclose(both.transport_authority.toll_schedule.max(axis=0)[links],
                               concrete["charge"] * per_passage)

    def vkm(results, on_links):
        t = results.tables["links"]
        t = t[t["link"].isin(on_links)]
        return float((t["outflow_veh"] * net.length_m[t["link"].to_numpy()]).sum())

    assert vkm(rboth, express) < 0.9 * vkm(rcordon, express)
