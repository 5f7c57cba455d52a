"""Travel demand: who travels from where to where, when, and with which options.

:func:`generate_trips` turns a city into a population of trips (a struct of
arrays, :class:`Trips`) in four vectorised steps:

1. **Productions.** Each zone produces ``population × trips_per_person_per_day
   × sample_share`` trips, integerised by largest remainder so the total is
   exactly the rounded expectation; each zone's trips are split into
   commute / other by a binomial draw with ``commute_share``.
2. **Distribution.** A doubly constrained gravity model per purpose
   (:func:`gravity_matrix`): productions are the zone's residents' trips,
   attractions are jobs (commute) or jobs + population (other), scaled to the
   same total; friction ``exp(−gravity_decay_per_h × t_h)`` on the free-flow
   car time skim; Furness (IPF) balancing to a stated tolerance. Each origin's
   trips are then drawn over destinations by one multinomial per origin, so
   productions hold exactly and attractions in expectation.
3. **Timing.** The departure hour is drawn from ``departure_profile``
   (normalised) and the minute uniformly within the hour.
4. **Options.** Car and bike availability per person (see
   :func:`car_available_probability` for the household-to-person mapping).

Trips start and end at a road node of their zones drawn uniformly over the
zone's nodes (its Voronoi cell plus its centroid node), so load spreads over
the zone instead of piling onto one centroid. An intrazonal trip can draw the
same node twice; it then has an empty route (the traffic kernel's caller treats
it as not using the road).

Example:
    >>> g = gravity_matrix(np.array([10.0, 20.0]), np.array([15.0, 15.0]),
    ...                    np.array([[0.1, 0.5], [0.5, 0.1]]), 1.5)
    >>> np.round(g.matrix.sum(axis=1), 6).tolist(), np.round(g.matrix.sum(axis=0), 6).tolist()
    ([10.0, 20.0], [15.0, 15.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twincity.city.zones import largest_remainder
from twincity.errors import InputError
from twincity.vocab import COMMUTE, OTHER

#: Persons who can use one car of a car-owning household (as driver or
#: passenger). Estimate: car-owning households are larger than the average
#: household (Korea 2.3, Finland 2.0, Singapore 3.1 persons per household in
#: 2020–2023 censuses); 2.5 is our round estimate, not a published figure.
PERSONS_PER_CAR_HOUSEHOLD = 2.5


@dataclass(frozen=True, eq=False)
class Trips:
    """A population of person trips as arrays (one element per trip).

    ``origin_zone``/``dest_zone`` index zones, ``origin_node``/``dest_node`` road
    nodes, ``departure_s`` seconds after midnight, ``purpose`` 0 commute /
    1 other, ``car_available`` and ``bike_available`` whether the traveller
    can choose those modes.
    """

    origin_zone: np.ndarray
    dest_zone: np.ndarray
    origin_node: np.ndarray
    dest_node: np.ndarray
    departure_s: np.ndarray
    purpose: np.ndarray
    car_available: np.ndarray
    bike_available: np.ndarray

    def __len__(self) -> int:
        """Number of trips."""
        return len(self.origin_zone)

    def take(self, index: np.ndarray) -> Trips:
        """A subset (or reordering) of the trips."""
        return Trips(**{k: getattr(self, k)[index] for k in self.__dataclass_fields__})


@dataclass(frozen=True, eq=False)
class GravityResult:
    """A balanced trip matrix and how the Furness iterations went."""

    matrix: np.ndarray
    iterations: int
    max_error: float
    converged: bool


def gravity_matrix(productions: np.ndarray, attractions: np.ndarray, impedance_h: np.ndarray,
                   decay_per_h: float, *, tolerance: float = 1e-9,
                   max_iterations: int = 1000) -> GravityResult:
    """Doubly constrained gravity model balanced by Furness (IPF).

    ``T[i, j] = a_i b_j P_i A_j exp(−decay × t_ij)`` with row sums ``P`` and
    column sums ``A`` (attractions are first scaled to the productions' total).
    Iterates until the largest row or column error, relative to the total, is
    below ``tolerance``. Unreachable pairs (``inf`` impedance) get no trips.

    Example:
        >>> g = gravity_matrix(np.array([1.0, 1.0]), np.array([1.0, 1.0]),
        ...                    np.zeros((2, 2)), 1.0)
        >>> g.matrix.tolist(), g.converged
        ([[0.5, 0.5], [0.5, 0.5]], True)
    """
    p = np.asarray(productions, dtype=np.float64)
    a = np.asarray(attractions, dtype=np.float64)
    t = np.asarray(impedance_h, dtype=np.float64)
    n = len(p)
    if a.shape != (n,) or t.shape != (n, n):
        raise InputError(f"expected {n} attractions and a {n}×{n} impedance, got "
                         f"{a.shape} and {t.shape}", path="gravity")
    if np.any(p < 0) or np.any(a < 0) or np.any(np.isnan(t)):
        raise InputError("expected non-negative productions and attractions and a "
                         "NaN-free impedance", path="gravity")
    if max_iterations < 1 or not tolerance > 0:
        raise InputError("expected max_iterations ≥ 1 and a positive tolerance", path="gravity")
    total = p.sum()
    if total <= 0:
        return GravityResult(np.zeros((n, n)), 0, 0.0, True)
    if a.sum() <= 0:
        raise InputError("no zone attracts trips; expected some positive attractions",
                         path="gravity")
    a = a * (total / a.sum())
    friction = np.exp(-decay_per_h * t)  # inf impedance → 0
    col = np.ones(n)
    err = np.inf
    it = 0
    for it in range(1, max_iterations + 1):  # noqa: B007 - reported below
        row_den = friction @ col
        row = np.divide(p, row_den, out=np.zeros(n), where=row_den > 0)
        col_den = row @ friction
        col = np.divide(a, col_den, out=np.zeros(n), where=col_den > 0)
        m = row[:, None] * friction * col[None, :]
        err = max(np.abs(m.sum(axis=1) - p).max(), np.abs(m.sum(axis=0) - a).max()) / total
        if err < tolerance:
            break
    return GravityResult(m, it, float(err), bool(err < tolerance))


def car_available_probability(cars_per_1000: float,
                              persons_per_car_household: float = PERSONS_PER_CAR_HOUSEHOLD
                              ) -> float:
    """Probability that a person can use a car for a trip.

    Mapping (an estimate, stated): one car serves one car-owning household,
    whose ``persons_per_car_household`` members can all use it (as driver or
    passenger), so ``P = min(1, cars_per_1000 / 1000 × persons_per_car_household)``.

    >>> car_available_probability(110.0)
    0.275
    """
    return float(min(1.0, cars_per_1000 / 1000.0 * persons_per_car_household))


def zone_node_lists(node_zone: np.ndarray, centroid_node: np.ndarray,
                    max_per_zone: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Nodes of each zone as CSR (``start``, ``nodes``): its Voronoi cell plus its centroid.

    With ``max_per_zone``, a zone with more nodes keeps its centroid and nodes
    evenly spaced through its (index-ordered) list, so trip ends still spread
    over the zone while routing needs fewer shortest-path trees.

    >>> zone_node_lists(np.array([0, 0, 1]), np.array([0, 0]))
    (array([0, 2, 4]), array([0, 1, 0, 2]))
    >>> zone_node_lists(np.array([0, 0, 0, 0, 1]), np.array([2, 4]), max_per_zone=2)
    (array([0, 2, 3]), array([0, 2, 4]))
    """
    n_zones = len(centroid_node)
    zone = np.concatenate([node_zone, np.arange(n_zones)])
    node = np.concatenate([np.arange(len(node_zone)), centroid_node])
    pairs = np.unique(np.column_stack([zone, node]).astype(np.int64), axis=0)  # sorted by zone
    if max_per_zone is not None:
        count = np.bincount(pairs[:, 0], minlength=n_zones)
        first = np.concatenate([[0], np.cumsum(count)[:-1]])
        rank = np.arange(len(pairs)) - first[pairs[:, 0]]
        size = count[pairs[:, 0]]
        k = max(1, int(max_per_zone))
        step = np.maximum(1, size // k)
        keep = (size <= k) | ((rank % step == 0) & (rank // step < k - 1))
        keep |= pairs[:, 1] == centroid_node[pairs[:, 0]]
        pairs = pairs[keep]
    start = np.zeros(n_zones + 1, dtype=np.int64)
    np.cumsum(np.bincount(pairs[:, 0], minlength=n_zones), out=start[1:])
    return start, pairs[:, 1]


def _draw_nodes(zone: np.ndarray, start: np.ndarray, nodes: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    count = start[zone + 1] - start[zone]
    pick = start[zone] + np.floor(rng.random(len(zone)) * count).astype(np.int64)
    return nodes[np.minimum(pick, start[zone + 1] - 1)].astype(np.int32)


def _distribute(productions: np.ndarray, attractions: np.ndarray, impedance_h: np.ndarray,
                decay_per_h: float, rng: np.random.Generator) -> tuple[np.ndarray, GravityResult]:
    """OD trip counts: gravity shares, then one multinomial per origin zone."""
    g = gravity_matrix(productions.astype(np.float64), attractions, impedance_h, decay_per_h)
    row = g.matrix.sum(axis=1, keepdims=True)
    probs = np.divide(g.matrix, row, out=np.zeros_like(g.matrix), where=row > 0)
    empty = row[:, 0] <= 0
    probs[empty, 0] = 1.0  # no trips drawn from these rows anyway
    return rng.multinomial(productions, probs), g


def generate_trips(city, rng: np.random.Generator, *, sample_share: float | None = None,
                   impedance_s: np.ndarray | None = None,
                   persons_per_car_household: float = PERSONS_PER_CAR_HOUSEHOLD,
                   report: dict | None = None) -> Trips:
    """Draw the day's trips of ``city`` (see the module docstring for the steps).

    ``sample_share`` defaults to the scenario's ``simulation.sample_share``;
    ``impedance_s`` (zones × zones) to the free-flow car time skim. If
    ``report`` is a dict it receives the gravity iterations and errors.

    Example:
        >>> trips = generate_trips(city, np.random.default_rng(1))  # doctest: +SKIP
        >>> len(trips)                                               # doctest: +SKIP
        5000
    """
    spec = city.spec
    d = spec.demand
    zones = city.zones
    share = spec.simulation.sample_share if sample_share is None else float(sample_share)
    if not 0 < share <= 1:
        raise InputError(f"expected a share in (0, 1], got {share}", path="sample_share")
    if impedance_s is None:
        from twincity.traffic.skims import car_skims

        net = city.network
        impedance_s = car_skims(net, zones, net.free_flow_s).time_s
    impedance_s = np.asarray(impedance_s, dtype=np.float64)
    if impedance_s.shape != (zones.n, zones.n):
        raise InputError(f"expected a {zones.n}×{zones.n} matrix, got {impedance_s.shape}",
                         path="impedance_s")

    expected = zones.population.astype(np.float64) * d.trips_per_person_per_day * share
    total = int(np.rint(expected.sum()))
    productions = (largest_remainder(expected, total) if total > 0
                   else np.zeros(zones.n, dtype=np.int64))
    commute = rng.binomial(productions, d.commute_share)
    other = productions - commute

    imp_h = impedance_s / 3600.0
    jobs = zones.jobs.astype(np.float64)
    od_c, g_c = _distribute(commute, jobs, imp_h, d.gravity_decay_per_h, rng)
    od_o, g_o = _distribute(other, jobs + zones.population, imp_h, d.gravity_decay_per_h, rng)
    if report is not None:
        report.update(gravity_iterations={"commute": g_c.iterations, "other": g_o.iterations},
                      gravity_max_error={"commute": g_c.max_error, "other": g_o.max_error})

    n_z = zones.n
    cells = np.arange(n_z * n_z)
    cell = np.concatenate([np.repeat(cells, od_c.ravel()), np.repeat(cells, od_o.ravel())])
    purpose = np.concatenate([np.full(int(od_c.sum()), COMMUTE, np.int8),
                              np.full(int(od_o.sum()), OTHER, np.int8)])
    n = len(cell)
    oz = (cell // n_z).astype(np.int32)
    dz = (cell % n_z).astype(np.int32)

    start, nodes = zone_node_lists(zones.node_zone, zones.node, d.loading_nodes_per_zone)
    onode = _draw_nodes(oz, start, nodes, rng)
    dnode = _draw_nodes(dz, start, nodes, rng)

    profile = np.asarray(d.departure_profile, dtype=np.float64)
    hour = rng.choice(24, size=n, p=profile / profile.sum())
    departure_s = (hour + rng.random(n)) * 3600.0

    p_car = car_available_probability(spec.city.cars_per_1000, persons_per_car_household)
    car = rng.random(n) < p_car
    bike = rng.random(n) < d.bike_available_share
    return Trips(origin_zone=oz, dest_zone=dz, origin_node=onode, dest_node=dnode,
                 departure_s=departure_s, purpose=purpose, car_available=car,
                 bike_available=bike)
