"""A regular square grid of two-way roads: the benchmark and test network.

``grid_network(n)`` lays ``n × n`` junctions ``spacing_m`` apart (node
``i·n + j`` at ``x = j·spacing_m``, ``y = i·spacing_m``) and joins every pair
of horizontal or vertical neighbours with two directed links of equal length,
lanes, speed and per-lane capacity. Links are numbered in pairs: link ``2e``
and its reverse ``2e + 1``. Storage is the default of
:meth:`~twincity.city.network.Network.from_links` (length × lanes × jam density).

Example:
    >>> net = grid_network(3, spacing_m=500.0, lanes=2)
    >>> net.n_nodes, net.n_links, float(net.capacity_vph[0])
    (9, 24, 3600.0)
"""

from __future__ import annotations

import numbers

import numpy as np

from twincity.city.network import Network
from twincity.errors import InputError

#: Default per-lane capacity: the common planning figure for an urban lane
#: (one vehicle per 2 s of green).
DEFAULT_CAPACITY_VPH_PER_LANE = 1800.0


def _positive(value: float, name: str) -> float:
    if not isinstance(value, numbers.Real) or not np.isfinite(value) or value <= 0:
        raise InputError(f"expected a positive finite number, got {value!r}", path=name)
    return float(value)


def grid_network(n: int, spacing_m: float = 500.0, lanes: int = 1,
                 speed_mps: float = 50 / 3.6,
                 capacity_vph_per_lane: float = DEFAULT_CAPACITY_VPH_PER_LANE) -> Network:
    """An ``n × n`` grid of two-way roads ``spacing_m`` long (``4·n·(n−1)`` links).

    Example:
        >>> net = grid_network(10)
        >>> net.n_nodes, net.n_links, round(float(net.free_flow_s[0]), 1)
        (100, 360, 36.0)
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 2:
        raise InputError(f"expected an integer >= 2, got {n!r}", path="n")
    if isinstance(lanes, bool) or not isinstance(lanes, numbers.Integral) or lanes < 1:
        raise InputError(f"expected an integer >= 1, got {lanes!r}", path="lanes")
    spacing_m = _positive(spacing_m, "spacing_m")
    speed_mps = _positive(speed_mps, "speed_mps")
    capacity_vph_per_lane = _positive(capacity_vph_per_lane, "capacity_vph_per_lane")
    n = int(n)
    node = np.arange(n * n, dtype=np.int64).reshape(n, n)  # node[i, j]: row i (y), column j (x)
    # undirected roads: horizontal then vertical neighbours
    a = np.concatenate([node[:, :-1].ravel(), node[:-1, :].ravel()])
    b = np.concatenate([node[:, 1:].ravel(), node[1:, :].ravel()])
    link_from = np.column_stack([a, b]).ravel()  # 2e = a→b, 2e+1 = b→a
    link_to = np.column_stack([b, a]).ravel()
    m = len(link_from)
    flat = node.ravel()
    return Network.from_links(
        node_x_m=(flat % n) * spacing_m, node_y_m=(flat // n) * spacing_m,
        link_from=link_from, link_to=link_to,
        length_m=np.full(m, spacing_m), lanes=np.full(m, int(lanes)),
        speed_mps=np.full(m, speed_mps),
        capacity_vph=np.full(m, capacity_vph_per_lane * int(lanes)),
    )
