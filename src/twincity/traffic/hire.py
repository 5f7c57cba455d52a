"""Hire cars (taxis and ride-hail): road vehicles no traveller of the sample drives.

Point-to-point transport is road demand that mode choice does not produce: a city
with many taxis and ride-hail cars (Singapore: about 613,000 trips a day) has more
cars on its roads than its private cars. Its legs are fixed demand, like freight:
they choose routes at the equilibrium and pay road charges, but keep their times.

* **Passenger legs.** Each person trip of the day carries a hire passenger with
  probability ``trips_per_day / (population × trips_per_person_per_day)``, by its own
  keyed number (:mod:`twincity.draws`, purpose ``"hire"``), so removing a trip
  (remote work) removes its taxi and a policy elsewhere leaves the draws alone. The
  hire leg copies the trip's origin, destination and desired departure. The person
  trip keeps its own mode in mode choice: hire passengers are counted as vehicles,
  not as a fifth mode (see the scenario's mode-share comment).
* **Empty legs.** Each car serves passenger legs one after another in the order of
  their keyed numbers (purpose ``"hire-chain"``): the leg from one drop-off to the
  next pickup is driven empty, departing its free-flow time before the pickup. Each
  such leg is kept with one probability, set so that the expected empty distance
  (straight line) is ``empty_km_share`` of all hire-car distance.
* **Cars.** Each chain's car has a class drawn from ``fleet.hire.car_shares`` (or the
  fleet's) by the passenger leg's keyed number; the empty leg before a pickup is
  driven by the car of the leg before it.

Example:
    >>> from types import SimpleNamespace as NS
    >>> trips = NS(origin_node=np.array([0, 1, 2, 3]), dest_node=np.array([1, 2, 3, 0]),
    ...            departure_s=np.full(4, 8 * 3600.0), purpose=np.zeros(4, np.int8),
    ...            origin_zone=np.zeros(4, np.int64), dest_zone=np.zeros(4, np.int64))
    >>> legs = hire_legs(trips, np.arange(4), seed=1, passenger_share=1.0, empty_km_share=0.0,
    ...                  node_x_m=np.array([0.0, 1e3, 1e3, 0.0]),
    ...                  node_y_m=np.array([0.0, 0.0, 1e3, 1e3]),
    ...                  free_time_s=np.zeros((1, 1)), window_s=(0.0, 86400.0))
    >>> int(legs.occupied.sum()), int((~legs.occupied).sum())
    (4, 0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twincity import draws
from twincity.traffic.entries import HIRE_IDENTITY_OFFSET

#: Identities of empty legs: the identity of the passenger leg they head to plus this.
EMPTY_LEG_OFFSET = 1 << 39


@dataclass(frozen=True)
class HireLegs:
    """The day's hire-car legs: passenger legs first, then empty legs (book order)."""

    origin_node: np.ndarray
    dest_node: np.ndarray
    #: Desired departure (s after midnight): the passenger's, or before the next pickup.
    departure_s: np.ndarray
    #: Purpose code of the passenger trip served (an empty leg: of the pickup it heads to).
    purpose: np.ndarray
    occupied: np.ndarray
    #: Stable identities for keyed draws (:data:`HIRE_IDENTITY_OFFSET` and above).
    identity: np.ndarray
    #: Identity (``HIRE_IDENTITY_OFFSET + trip id``) of the passenger leg whose car drives
    #: the leg: the car's class is drawn on it.
    car_identity: np.ndarray

    @property
    def n(self) -> int:
        """Legs in all."""
        return len(self.origin_node)


def no_hire() -> HireLegs:
    """No hire cars."""
    i, f = np.zeros(0, np.int64), np.zeros(0, np.float64)
    return HireLegs(i, i, f, np.zeros(0, np.int8), np.zeros(0, bool), i, i)


def hire_legs(trips, trip_id: np.ndarray, seed: int, passenger_share: float,
              empty_km_share: float, node_x_m: np.ndarray, node_y_m: np.ndarray,
              free_time_s: np.ndarray, window_s: tuple[float, float]) -> HireLegs:
    """Passenger and empty legs of the hire cars serving ``trips`` (module doc).

    ``trip_id``: the trips' stable identities; ``passenger_share``: probability that a
    trip is made by hire car; ``free_time_s``: the free-flow car skim (zone × zone, s);
    ``window_s``: (first, last) departure time of the simulated day.
    """
    ident = np.asarray(trip_id, dtype=np.int64)
    routable = trips.origin_node != trips.dest_node
    u = draws.uniform(seed, "hire", ident)
    pax = np.flatnonzero(routable & (u < passenger_share))
    if len(pax) == 0:
        return no_hire()
    occ_id = HIRE_IDENTITY_OFFSET + ident[pax]
    o, d = trips.origin_node[pax], trips.dest_node[pax]
    occ_m = np.hypot(node_x_m[d] - node_x_m[o], node_y_m[d] - node_y_m[o])
    # each car serves its legs in the order of their keyed numbers: leg k, then k + 1
    chain = pax[np.argsort(draws.uniform(seed, "hire-chain", ident[pax]), kind="stable")]
    prev, nxt = chain[:-1], chain[1:]
    from_node, to_node = trips.dest_node[prev], trips.origin_node[nxt]
    empty_m = np.hypot(node_x_m[to_node] - node_x_m[from_node],
                       node_y_m[to_node] - node_y_m[from_node])
    keep_p = 0.0
    if empty_km_share > 0 and empty_m.sum() > 0:
        wanted_m = empty_km_share / (1.0 - empty_km_share) * occ_m.sum()
        keep_p = min(1.0, wanted_m / empty_m.sum())
    to_id = HIRE_IDENTITY_OFFSET + ident[nxt]
    keep = (from_node != to_node) & (
        draws.uniform(seed, "hire-empty", to_id) < keep_p)
    prev, nxt, from_node, to_node = prev[keep], nxt[keep], from_node[keep], to_node[keep]
    lead_s = free_time_s[trips.dest_zone[prev], trips.origin_zone[nxt]]
    lo, hi = window_s
    empty_dep = np.clip(trips.departure_s[nxt] - lead_s, lo, hi - 1.0)
    n_occ, n_empty = len(pax), len(nxt)
    return HireLegs(
        origin_node=np.concatenate([o, from_node]).astype(np.int64),
        dest_node=np.concatenate([d, to_node]).astype(np.int64),
        departure_s=np.concatenate([trips.departure_s[pax], empty_dep]).astype(np.float64),
        purpose=np.concatenate([trips.purpose[pax], trips.purpose[nxt]]).astype(np.int8),
        occupied=np.concatenate([np.ones(n_occ, bool), np.zeros(n_empty, bool)]),
        identity=np.concatenate([occ_id, EMPTY_LEG_OFFSET + to_id[keep]]),
        car_identity=np.concatenate([occ_id, HIRE_IDENTITY_OFFSET + ident[prev]]))


def empty_km_share_of(legs: HireLegs, node_x_m: np.ndarray, node_y_m: np.ndarray) -> float:
    """Straight-line share of the legs' distance driven empty (a check on the draw).

    Example:
        >>> legs = no_hire()
        >>> empty_km_share_of(legs, np.zeros(1), np.zeros(1))
        0.0
    """
    m = np.hypot(node_x_m[legs.dest_node] - node_x_m[legs.origin_node],
                 node_y_m[legs.dest_node] - node_y_m[legs.origin_node])
    total = m.sum()
    return float(m[~legs.occupied].sum() / total) if total > 0 else 0.0
