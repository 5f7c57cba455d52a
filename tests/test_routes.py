"""Time-dependent routing of trips: against networkx, and CSR bookkeeping."""

from __future__ import annotations

import networkx as nx
import numpy as np

from twincity.city.build import build_city
from twincity.scenario.loader import load_scenario
from twincity.traffic import routes as R


def test_routes_match_networkx_per_slot(tiny_path) -> None:
    net = build_city(load_scenario(tiny_path)).network
    rng = np.random.default_rng(0)
    costs = net.free_flow_s[None, :] * rng.uniform(0.5, 3.0, (3, net.n_links))
    n = 200
    o = rng.integers(0, net.n_nodes, n)
    d = rng.integers(0, net.n_nodes, n)
    dep = rng.uniform(0, 3 * 3600, n)
    r = R.route_trips(net, costs, 3600.0, o, d, dep)
    slot = R.departure_slot(dep, 3600.0, 3)
    for s in range(3):
        g = nx.DiGraph()
        for k in range(net.n_links):  # the generator makes no parallel links
            g.add_edge(int(net.link_from[k]), int(net.link_to[k]), w=costs[s, k])
        for i in np.flatnonzero(slot == s)[:30]:
            expect = nx.shortest_path_length(g, int(o[i]), int(d[i]), weight="w")
            assert np.isclose(r.cost_s[i], expect)
    # the route cost equals the sum of its link costs, and routes are connected paths
    assert np.allclose(R.route_costs(r.start, r.links, costs, slot), r.cost_s)
    for i in range(n):
        lk = r.links[r.start[i]:r.start[i + 1]]
        if len(lk):
            assert net.link_from[lk[0]] == o[i] and net.link_to[lk[-1]] == d[i]
            assert np.all(net.link_to[lk[:-1]] == net.link_from[lk[1:]])


def test_replace_routes_swaps_only_the_chosen_trips(tiny_path) -> None:
    net = build_city(load_scenario(tiny_path)).network
    rng = np.random.default_rng(1)
    o = rng.integers(0, net.n_nodes, 50)
    d = rng.integers(0, net.n_nodes, 50)
    dep = np.zeros(50)
    a = R.route_trips(net, net.free_flow_s, 3600.0, o, d, dep)
    b = R.route_trips(net, net.length_m, 3600.0, o, d, dep)
    which = np.array([3, 7, 20, 49])
    c = R.replace_routes(a, which, R.route_trips(net, net.length_m, 3600.0, o[which],
                                                 d[which], dep[which]))
    for i in range(50):
        src = b if i in which else a
        assert np.array_equal(c.links[c.start[i]:c.start[i + 1]],
                              src.links[src.start[i]:src.start[i + 1]])


def test_batches_give_the_same_routes(tiny_path, monkeypatch) -> None:
    net = build_city(load_scenario(tiny_path)).network
    rng = np.random.default_rng(2)
    o = rng.integers(0, net.n_nodes, 100)
    d = rng.integers(0, net.n_nodes, 100)
    whole = R.route_trips(net, net.free_flow_s, 3600.0, o, d, np.zeros(100))
    monkeypatch.setattr(R, "TREE_BATCH_BYTES", 12 * net.n_nodes * 3)  # 3 trees per batch
    batched = R.route_trips(net, net.free_flow_s, 3600.0, o, d, np.zeros(100))
    assert np.array_equal(whole.start, batched.start)
    assert np.array_equal(whole.links, batched.links)
