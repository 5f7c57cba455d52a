"""grid_network: counts, geometry, two-way pairs and Manhattan shortest paths."""

from __future__ import annotations

import numpy as np
import pytest

from twincity.city.grid_network import grid_network
from twincity.defaults import JAM_DENSITY_VPKMPL
from twincity.errors import InputError
from twincity.traffic.routing import shortest_path_tree


@pytest.mark.parametrize("n", [2, 3, 7])
def test_counts(n):
    net = grid_network(n)
    assert net.n_nodes == n * n
    # n rows of n-1 horizontal roads and n-1 rows of n vertical ones, two links each
    assert net.n_links == 2 * (n * (n - 1) + (n - 1) * n)


def test_links_join_neighbours_at_spacing():
    net = grid_network(5, spacing_m=300.0)
    dx = net.node_x_m[net.link_to] - net.node_x_m[net.link_from]
    dy = net.node_y_m[net.link_to] - net.node_y_m[net.link_from]
    np.testing.assert_allclose(np.hypot(dx, dy), 300.0)
    np.testing.assert_allclose(net.length_m, 300.0)
    assert np.all((dx == 0) | (dy == 0))
    # every link's pair is its reverse
    assert np.array_equal(net.link_from[0::2], net.link_to[1::2])
    assert np.array_equal(net.link_to[0::2], net.link_from[1::2])
    # no duplicate directed links
    assert len(set(zip(net.link_from.tolist(), net.link_to.tolist(), strict=True))) == net.n_links


def test_degrees():
    n = 4
    net = grid_network(n)
    out_deg = np.diff(net.out_start)
    in_deg = np.diff(net.in_start)
    i, j = np.divmod(np.arange(n * n), n)
    expected = 4 - (i == 0) - (i == n - 1) - (j == 0) - (j == n - 1)
    assert np.array_equal(out_deg, expected)
    assert np.array_equal(in_deg, expected)


def test_link_attributes():
    net = grid_network(3, spacing_m=500.0, lanes=2, speed_mps=10.0, capacity_vph_per_lane=900.0)
    np.testing.assert_allclose(net.capacity_vph, 1800.0)
    np.testing.assert_allclose(net.free_flow_s, 50.0)
    np.testing.assert_allclose(net.storage_veh, 0.5 * 2 * JAM_DENSITY_VPKMPL)
    assert np.all(net.lanes == 2)


def test_shortest_paths_are_manhattan():
    n, spacing, speed = 6, 500.0, 50 / 3.6
    net = grid_network(n, spacing_m=spacing, speed_mps=speed)
    dist, _ = shortest_path_tree(net.out_start, net.out_link, net.link_to, net.free_flow_s, 0)
    i, j = np.divmod(np.arange(n * n), n)
    np.testing.assert_allclose(dist, (i + j) * spacing / speed)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"n": 1}, "n"), ({"n": 2.5}, "n"), ({"n": True}, "n"),
    ({"n": 3, "lanes": 0}, "lanes"),
    ({"n": 3, "spacing_m": 0.0}, "spacing_m"),
    ({"n": 3, "speed_mps": float("nan")}, "speed_mps"),
    ({"n": 3, "capacity_vph_per_lane": -1.0}, "capacity_vph_per_lane"),
])
def test_bad_input(kwargs, field):
    with pytest.raises(InputError, match=field):
        grid_network(**kwargs)
