"""Car skims against networkx shortest paths, intrazonal rule, tree accumulation."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from twincity.city.build import build_city
from twincity.city.network import Network
from twincity.errors import InputError
from twincity.scenario.loader import load_scenario
from twincity.traffic.skims import (
    accumulate_along_trees,
    car_link_cost_s,
    car_skims,
    straight_line_m,
    tree_skims,
)


@pytest.fixture(scope="module")
def city(request):
    return build_city(load_scenario(request.config.rootpath / "tests/data/tiny.yaml"))


def _nx_reference(net: Network, cost: np.ndarray, attrs: dict[str, np.ndarray],
                  nodes: np.ndarray) -> dict[str, np.ndarray]:
    """Attribute sums along networkx's least-cost paths between ``nodes``."""
    g = nx.DiGraph()
    for k in np.argsort(-cost):  # parallel links: the cheapest is added last and kept
        g.add_edge(int(net.link_from[k]), int(net.link_to[k]), cost=float(cost[k]),
                   **{a: float(v[k]) for a, v in attrs.items()})
    out = {a: np.zeros((len(nodes), len(nodes))) for a in ("cost", *attrs)}
    for i, o in enumerate(nodes):
        paths = nx.single_source_dijkstra_path(g, int(o), weight="cost")
        for j, d in enumerate(nodes):
            path = paths[int(d)]
            for a in out:
                out[a][i, j] = sum(g.edges[u, v][a] for u, v in itertools.pairwise(path))
    return out


def test_free_flow_skims_equal_networkx(city):
    net, zones = city.network, city.zones
    sk = car_skims(net, zones, net.free_flow_s)
    ref = _nx_reference(net, net.free_flow_s, {"length_m": net.length_m}, zones.node)
    off = ~np.eye(zones.n, dtype=bool)
    np.testing.assert_allclose(sk.time_s[off], ref["cost"][off], rtol=1e-12)
    np.testing.assert_allclose(sk.distance_m[off], ref["length_m"][off], rtol=1e-12)
    np.testing.assert_allclose(sk.cost_s, sk.time_s)  # cost defaults to time


def test_tolled_skims_follow_generalised_cost_routes(city):
    net, zones = city.network, city.zones
    rng = np.random.default_rng(7)
    time = net.free_flow_s * rng.uniform(1.0, 3.0, net.n_links)  # "congested"
    toll = np.where(rng.random(net.n_links) < 0.3, rng.uniform(200, 2000, net.n_links), 0.0)
    vot = 15000.0
    cost = car_link_cost_s(time, toll, vot)
    sk = car_skims(net, zones, cost, time, toll)
    ref = _nx_reference(net, cost, {"time": time, "length_m": net.length_m, "toll": toll},
                        zones.node)
    off = ~np.eye(zones.n, dtype=bool)
    for mine, theirs in ((sk.cost_s, "cost"), (sk.time_s, "time"),
                         (sk.distance_m, "length_m"), (sk.toll, "toll")):
        np.testing.assert_allclose(mine[off], ref[theirs][off], rtol=1e-9, atol=1e-9)
    # The routed cost decomposes into time and toll on every pair, diagonal included.
    np.testing.assert_allclose(sk.cost_s, sk.time_s + sk.toll / vot * 3600.0, rtol=1e-12)
    # Tolls make some drivers detour: the toll-minimising routes are never faster.
    assert np.all(sk.time_s >= car_skims(net, zones, time).time_s - 1e-9)


def test_intrazonal_is_half_the_nearest_zone(city):
    net, zones = city.network, city.zones
    sk = car_skims(net, zones, net.free_flow_s)
    off = sk.cost_s + np.diag(np.full(zones.n, np.inf))
    nearest = off.argmin(axis=1)
    rows = np.arange(zones.n)
    np.testing.assert_allclose(np.diag(sk.time_s), 0.5 * sk.time_s[rows, nearest])
    np.testing.assert_allclose(np.diag(sk.distance_m), 0.5 * sk.distance_m[rows, nearest])
    assert np.all(np.diag(sk.time_s) < off.min(axis=1))


def test_accumulation_survives_zero_cost_ties_and_unreachable_nodes():
    # 0 → 1 (cost 0) → 2 (cost 0) → 3; node 4 cannot be reached.
    net = Network.from_links(
        node_x_m=np.arange(5.0), node_y_m=np.zeros(5), link_from=np.array([0, 1, 2, 4]),
        link_to=np.array([1, 2, 3, 0]), length_m=np.array([10.0, 20.0, 30.0, 40.0]),
        lanes=np.ones(4), speed_mps=np.ones(4), capacity_vph=np.ones(4))
    cost = np.array([0.0, 0.0, 5.0, 1.0])
    out = tree_skims(net, cost, net.length_m[None, :], np.array([0]), np.arange(5))
    assert out[0, 0].tolist() == [0.0, 10.0, 30.0, 60.0, np.inf]
    pred = np.array([[-1, 0, 1, 2, -1]], dtype=np.int32)
    ref = accumulate_along_trees(pred, net.link_from, np.array([0]), net.length_m)
    assert ref[0, 0].tolist() == [0.0, 10.0, 30.0, 60.0, np.inf]


def test_chunking_does_not_change_results(city):
    net, zones = city.network, city.zones
    attrs = np.stack([net.free_flow_s, net.length_m])
    a = tree_skims(net, net.free_flow_s, attrs, zones.node, zones.node, chunk=3)
    b = tree_skims(net, net.free_flow_s, attrs, zones.node, zones.node, chunk=64)
    np.testing.assert_array_equal(a, b)


def test_straight_line_diagonal_and_bad_input(city):
    d = straight_line_m(city.zones)
    off = d + np.diag(np.full(city.zones.n, np.inf))
    np.testing.assert_allclose(np.diag(d), 0.5 * off.min(axis=1))
    with pytest.raises(InputError, match="link_cost_s"):
        car_skims(city.network, city.zones, np.ones(3))
    with pytest.raises(InputError, match="non-negative"):
        car_skims(city.network, city.zones, -np.ones(city.network.n_links))
