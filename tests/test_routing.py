"""Dijkstra trees, route extraction and all-or-nothing loading against second implementations."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from twincity.city.network import Network
from twincity.traffic.routing import (
    extract_routes,
    load_all_or_nothing,
    shortest_path_tree,
    shortest_path_trees,
)


def _random_net(seed: int, n: int = 40, m: int = 160) -> tuple[Network, np.ndarray]:
    """A random directed multigraph (parallel links, self-loops); node n-1 is isolated."""
    rng = np.random.default_rng(seed)
    link_from = rng.integers(0, n - 1, m)
    link_to = rng.integers(0, n - 1, m)
    cost = rng.uniform(0.0, 10.0, m)
    cost[rng.random(m) < 0.05] = 0.0  # zero-cost links exercise ties
    net = Network.from_links(
        node_x_m=np.zeros(n), node_y_m=np.zeros(n), link_from=link_from, link_to=link_to,
        length_m=np.ones(m), lanes=np.ones(m), speed_mps=np.ones(m),
        capacity_vph=np.ones(m))
    return net, cost


def _nx_graph(net: Network, cost: np.ndarray, blocked: np.ndarray | None = None,
              origin: int = -1) -> nx.DiGraph:
    """Cheapest parallel link per node pair; no links out of blocked nodes except the origin."""
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    for k in range(net.n_links):
        u, v = int(net.link_from[k]), int(net.link_to[k])
        if blocked is not None and blocked[u] and u != origin:
            continue
        if not g.has_edge(u, v) or g[u][v]["w"] > cost[k]:
            g.add_edge(u, v, w=float(cost[k]))
    return g


def _csr(net: Network):
    return net.out_start, net.out_link, net.link_to


@pytest.mark.parametrize("seed", range(5))
def test_distances_match_networkx(seed):
    net, cost = _random_net(seed)
    origins = np.arange(net.n_nodes)
    dist, pred = shortest_path_trees(*_csr(net), cost, origins)
    for o in origins[::7]:
        ref = nx.single_source_dijkstra_path_length(_nx_graph(net, cost), int(o), weight="w")
        expected = np.full(net.n_nodes, np.inf)
        expected[list(ref)] = list(ref.values())
        np.testing.assert_allclose(dist[o], expected, rtol=1e-12, atol=1e-12)
    # The predecessor tree is consistent with the distances.
    for o in origins:
        reached = np.flatnonzero(pred[o] >= 0)
        links = pred[o][reached]
        assert np.all(net.link_to[links] == reached)
        np.testing.assert_allclose(dist[o][net.link_from[links]] + cost[links], dist[o][reached])
        assert pred[o][o] == -1 and dist[o][o] == 0.0


@pytest.mark.parametrize("seed", range(3))
def test_no_through_nodes_end_paths_but_do_not_relay_them(seed):
    net, cost = _random_net(seed)
    blocked = np.random.default_rng(100 + seed).random(net.n_nodes) < 0.3
    for o in range(0, net.n_nodes, 5):
        dist, pred = shortest_path_tree(*_csr(net), cost, o, no_through=blocked)
        ref = nx.single_source_dijkstra_path_length(_nx_graph(net, cost, blocked, o), o,
                                                    weight="w")
        expected = np.full(net.n_nodes, np.inf)
        expected[list(ref)] = list(ref.values())
        np.testing.assert_allclose(dist, expected, rtol=1e-12, atol=1e-12)
        used = pred[pred >= 0]
        assert not np.any(blocked[net.link_from[used]] & (net.link_from[used] != o))


def test_extract_routes_costs_equal_distances_and_missing_paths_are_flagged():
    net, cost = _random_net(7)
    origins = np.arange(0, net.n_nodes, 3)
    dist, pred = shortest_path_trees(*_csr(net), cost, origins)
    k, n = len(origins), net.n_nodes
    tree = np.repeat(np.arange(k), n)
    orig = np.repeat(origins, n)
    dest = np.tile(np.arange(n), k)
    start, links, ok = extract_routes(pred, net.link_from, tree, orig, dest)
    reach = np.isfinite(dist[tree, dest])
    assert np.array_equal(ok, reach) and (~ok).any()  # some pairs have no path
    assert np.all(np.diff(start)[~ok] == 0)
    assert links.dtype == np.int32
    route_cost = np.add.reduceat(np.append(cost[links], 0.0), start[:-1]) * (np.diff(start) > 0)
    np.testing.assert_allclose(route_cost[ok], dist[tree, dest][ok], atol=1e-9)
    for i in np.flatnonzero(ok & (np.diff(start) > 0))[::11]:
        r = links[start[i]:start[i + 1]]
        assert net.link_from[r[0]] == orig[i] and net.link_to[r[-1]] == dest[i]
        assert np.all(net.link_to[r[:-1]] == net.link_from[r[1:]])  # connected, in order


def test_all_or_nothing_equals_loading_each_path():
    net, cost = _random_net(11, n=50, m=220)
    rng = np.random.default_rng(3)
    origins = rng.choice(net.n_nodes - 1, 12, replace=False)
    demand = rng.uniform(0, 100, (12, 15)) * (rng.random((12, 15)) < 0.7)
    dests = rng.choice(net.n_nodes - 1, 15, replace=False)
    dests[-1] = net.n_nodes - 1  # the isolated node
    demand[:, -1] = 1.0
    blocked = np.zeros(net.n_nodes, dtype=bool)
    blocked[dests[:4]] = True
    flow, od_cost = load_all_or_nothing(*_csr(net), net.link_from, cost, origins, dests,
                                        demand, blocked)
    dist, pred = shortest_path_trees(*_csr(net), cost, origins, blocked)
    np.testing.assert_array_equal(od_cost, dist[:, dests])
    tree = np.repeat(np.arange(12), 15)
    start, links, ok = extract_routes(pred, net.link_from, tree, origins[tree],
                                      np.tile(dests, 12))
    weights = np.repeat(demand.ravel() * ok, np.diff(start))
    per_path = np.bincount(links, weights=weights, minlength=net.n_links)
    np.testing.assert_allclose(flow, per_path, rtol=1e-12, atol=1e-9)
    assert (~ok & (demand.ravel() > 0)).any()  # unreachable demand exists and was not loaded


def test_bad_arguments_raise():
    net, cost = _random_net(1)
    with pytest.raises(ValueError, match="non-negative"):
        shortest_path_tree(*_csr(net), -cost, 0)
    with pytest.raises(ValueError, match="origin"):
        shortest_path_trees(*_csr(net), cost, np.array([net.n_nodes]))
    with pytest.raises(ValueError, match="no_through"):
        shortest_path_tree(*_csr(net), cost, 0, no_through=np.zeros(3, dtype=bool))
