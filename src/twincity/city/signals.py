"""Traffic signals of a road network: where they are, their phases, and their average delay.

A network carries no signal data (OSM node tags such as
``highway=traffic_signals`` are not read by :mod:`twincity.city.io_osm`), so
signals are *inferred* from the road hierarchy by a simple rule:

**Signalised junctions.** A node is signalised when

* at least three distinct neighbouring nodes join it (a real junction),
* no motorway-class link enters or leaves it (interchanges are grade
  separated; ramps merge without signals),
* at least two arterial links enter it (it lies on an arterial), and
* both of its phases (below) have an arterial or collector approach (an
  arterial crossing a collector or another arterial is signalised; local side
  streets joining an arterial are priority-controlled).

**Approaches and phases (conflict groups).** Every non-motorway,
non-connector link entering a signalised node is an approach. Approaches are
grouped by bearing into two phases: the *major* approach (highest road class,
then largest capacity, then lowest link index) sets the junction's axis;
approaches whose direction of travel is within 45° of that axis, either way,
share phase 0 (opposite approaches move together), the others phase 1. A
junction thus runs a two-phase plan (no protected turn phases): approaches of
the same phase do not conflict, approaches of different phases do.

**Timing.** A fixed cycle :data:`CYCLE_S` with :data:`LOST_TIME_PER_PHASE_S`
lost per phase (so ``lost_s = 2 × 4 s``), and effective greens by Webster's
(1958) rule: the green available, ``cycle − lost``, split in proportion to
each phase's critical flow ratio ``y = q / s`` (the largest over its
approaches), each phase at least :data:`MIN_GREEN_S`
(:func:`webster_greens_s`). For the build-time plan the design flow of an
approach is its capacity in the network (``y = capacity / (lanes × 1900)``):
scenario capacities of signalised roads are *effective* values (saturation
flow × the green ratio assumed by the road class, see
:mod:`twincity.city.osm_defaults`), so this split gives arterials the larger
green the scenario's capacities already assume.

**Delay.** Each approach's average delay is the uniform-delay term of Webster
(1958), ``d = 0.5 C (1 − λ)² / (1 − min(x, 1) λ)`` with ``λ = g / C``
(:func:`webster_uniform_delay_s`), evaluated at a vanishing degree of
saturation ``x = 0``: the delay of a vehicle arriving at a random moment of
the cycle on an empty road. :func:`with_signal_delay` adds it to the approach
link's free-flow time and records it in ``Network.signal_delay_s``, so
skims, static assignment, the kernel and the ERP speed review all see it.
The growth of delay with flow is *not* in this term: it comes from the
approach's effective capacity (the kernel's queue, the BPR function), which
already holds only the green share of the saturation flow — adding Webster's
``x``-dependent factor or his overflow term too would count queueing twice.

Sources: Webster, F. V. (1958) *Traffic Signal Settings*, Road Research
Technical Paper 39, HMSO (delay formula, green split by flow ratios);
HCM 2016 (6th ed.), ch. 19: base saturation flow 1900 pc/h/ln (Eq. 19-8),
start-up lost time 2 s and clearance lost time (yellow + all-red − extension)
about 2 s, so about 4 s lost per phase; FHWA *Signal Timing Manual*, 2nd ed.
(NCHRP Report 812, 2015), ch. 5: typical cycle lengths of 60–120 s at urban
arterial junctions (90 s taken) and minimum greens of 5–15 s (7 s taken, a
through movement with pedestrian clearance not counted).

Example:
    >>> import numpy as np
    >>> round(float(webster_uniform_delay_s(90.0, 0.5)), 2)   # 0.5 · 90 · 0.5²
    11.25
    >>> webster_greens_s(np.array([0, 2]), np.array([0.3, 0.1]), 90.0,
    ...                  np.array([8.0]), 7.0).tolist()   # 82 s split 3:1
    [61.5, 20.5]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from twincity.city.network import Network
from twincity.city.osm_defaults import BASE_SATURATION_VPHPL
from twincity.vocab import ARTERIAL, COLLECTOR, CONNECTOR, MOTORWAY

#: Cycle length of fixed-time urban signals, s (FHWA Signal Timing Manual 2015,
#: typical 60–120 s at arterial junctions).
CYCLE_S = 90.0
#: Lost time per phase, s: HCM 2016 start-up lost time 2 s + clearance lost time ~2 s.
LOST_TIME_PER_PHASE_S = 4.0
#: Least effective green of a phase, s (FHWA Signal Timing Manual 2015: 5–15 s).
MIN_GREEN_S = 7.0
#: Approaches within this angle of a junction's axis (either way) share its first phase.
PHASE_AXIS_DEG = 45.0



@dataclass(frozen=True, eq=False)
class SignalPlan:
    """Signalised junctions, their phases and approaches (nested CSR), and green times.

    Junction ``j`` (node ``nodes[j]``) has phases ``phase_start[j]:phase_start[j+1]``;
    phase ``p`` has approach links ``links[approach_start[p]:approach_start[p+1]]``
    and effective green ``green_s[p]``. Each junction loses ``lost_s[j]`` per
    cycle of ``cycle_s``: ``Σ green_s + lost_s = cycle_s`` at every junction.
    """

    nodes: np.ndarray
    phase_start: np.ndarray
    approach_start: np.ndarray
    links: np.ndarray
    green_s: np.ndarray
    lost_s: np.ndarray
    cycle_s: float

    @property
    def n_junctions(self) -> int:
        """Number of signalised junctions."""
        return len(self.nodes)

    @property
    def phase_of_approach(self) -> np.ndarray:
        """Phase index of each approach in ``links``."""
        return np.repeat(np.arange(len(self.green_s)), np.diff(self.approach_start))

    @property
    def junction_of_phase(self) -> np.ndarray:
        """Junction index of each phase."""
        return np.repeat(np.arange(self.n_junctions), np.diff(self.phase_start))

    @property
    def green_ratio(self) -> np.ndarray:
        """Effective green ratio ``g / C`` of each approach in ``links``."""
        return self.green_s[self.phase_of_approach] / self.cycle_s

    def delay_s(self) -> np.ndarray:
        """Webster's uniform delay of each approach in ``links`` at vanishing flow."""
        return webster_uniform_delay_s(self.cycle_s, self.green_ratio)

    def to_dict(self) -> dict:
        """Plain lists (for a policy's adaptation record)."""
        return {"nodes": self.nodes.tolist(), "phase_start": self.phase_start.tolist(),
                "approach_start": self.approach_start.tolist(), "links": self.links.tolist(),
                "green_s": self.green_s.tolist(), "lost_s": self.lost_s.tolist(),
                "cycle_s": self.cycle_s}


def no_signals() -> SignalPlan:
    """A plan without signalised junctions."""
    z = np.zeros(0, dtype=np.int64)
    return SignalPlan(nodes=z, phase_start=np.zeros(1, np.int64),
                      approach_start=np.zeros(1, np.int64), links=z, green_s=np.zeros(0),
                      lost_s=np.zeros(0), cycle_s=CYCLE_S)


def webster_uniform_delay_s(cycle_s: float, green_ratio, degree_of_saturation=0.0):
    """Webster's (1958) uniform delay ``0.5 C (1 − λ)² / (1 − min(x, 1) λ)``, s per vehicle.

    >>> round(float(webster_uniform_delay_s(90.0, 0.5, 1.0)), 2)   # 0.5 · 90 · 0.5 at x = 1
    22.5
    """
    lam = np.asarray(green_ratio, dtype=np.float64)
    x = np.minimum(np.asarray(degree_of_saturation, dtype=np.float64), 1.0)
    return 0.5 * cycle_s * (1.0 - lam) ** 2 / (1.0 - x * lam)


@njit(cache=True)
def _clipped_sum(lam: float, d: np.ndarray, lo: float, hi: float) -> float:
    total = 0.0
    for x in d:
        total += min(max(lam * x, lo), hi)
    return total


@njit(cache=True)
def resplit_green(start: np.ndarray, demand: np.ndarray, total: np.ndarray,
                  lo: float, hi: float) -> np.ndarray:
    """Shares proportional to demand within ``[lo, hi]``, summing to ``total`` per group.

    Group ``k`` is ``demand[start[k]:start[k + 1]]``. The shares are
    ``clip(λ·demand, lo, hi)`` with the one ``λ`` that makes them sum to the
    group's total (the sum is monotone in ``λ``: bisection), so more demand
    never gets less. Without demand the total is split equally; what members
    with demand cannot take (all at ``hi``) goes equally to those without.
    ``total[k]`` must lie in ``[n·lo, n·hi]``.

    >>> resplit_green(np.array([0, 3]), np.array([10.0, 0.0, 30.0]),
    ...               np.array([1.5]), 0.2, 0.8).round(3).tolist()
    [0.5, 0.2, 0.8]
    """
    out = np.empty(len(demand))
    for k in range(len(start) - 1):
        a, b = start[k], start[k + 1]
        n = b - a
        if n == 0:
            continue
        d = np.maximum(demand[a:b], 0.0)
        t = total[k]
        dmax = d.max()
        if dmax <= 0.0:
            out[a:b] = t / n
            continue
        lam_hi = hi / d[d > 0].min()
        if _clipped_sum(lam_hi, d, lo, hi) <= t:
            s = np.minimum(np.maximum(lam_hi * d, lo), hi)
            idle = d <= 0.0
            n_idle = idle.sum()
            if n_idle:
                s[idle] += (t - s.sum()) / n_idle
            out[a:b] = s
            continue
        lam_lo = 0.0
        for _ in range(200):
            mid = 0.5 * (lam_lo + lam_hi)
            if _clipped_sum(mid, d, lo, hi) < t:
                lam_lo = mid
            else:
                lam_hi = mid
            if lam_hi - lam_lo <= 1e-15 * lam_hi:
                break
        s = np.minimum(np.maximum(lam_hi * d, lo), hi)
        free = (s > lo) & (s < hi)
        dfree = d[free].sum()
        if dfree > 0:  # remove the bisection's last rounding from the free members
            s[free] += (t - s.sum()) * d[free] / dfree
        out[a:b] = s
    return out


def webster_greens_s(phase_start: np.ndarray, critical_y: np.ndarray, cycle_s: float,
                     lost_s: np.ndarray, min_green_s: float = MIN_GREEN_S) -> np.ndarray:
    """Effective green per phase: ``cycle − lost`` split by critical flow ratio (Webster).

    ``critical_y[p]`` is the largest flow ratio ``q / s`` among phase ``p``'s
    approaches; greens are proportional to it, each at least ``min_green_s``
    (a bounded proportional split, :func:`resplit_green`), and sum to
    ``cycle_s − lost_s[j]`` at each junction. Without flow the green is split
    equally. Example: see the module docstring.
    """
    available = (cycle_s - np.asarray(lost_s, dtype=np.float64)) / cycle_s
    share = resplit_green(np.asarray(phase_start, dtype=np.int64),
                          np.asarray(critical_y, dtype=np.float64), available,
                          min_green_s / cycle_s, 1.0)
    return share * cycle_s


def critical_flow_ratio(approach_start: np.ndarray, flow_ratio: np.ndarray) -> np.ndarray:
    """Largest flow ratio per phase (phases must not be empty).

    >>> critical_flow_ratio(np.array([0, 2, 3]), np.array([0.1, 0.3, 0.2])).tolist()
    [0.3, 0.2]
    """
    if len(approach_start) <= 1:
        return np.zeros(0)
    return np.maximum.reduceat(np.asarray(flow_ratio, dtype=np.float64),
                               np.asarray(approach_start[:-1], dtype=np.int64))


def _undirected_degree(net: Network) -> np.ndarray:
    a = np.minimum(net.link_from, net.link_to).astype(np.int64)
    b = np.maximum(net.link_from, net.link_to).astype(np.int64)
    pairs = np.unique(a[a != b] * net.n_nodes + b[a != b])
    return np.bincount(np.concatenate([pairs // net.n_nodes, pairs % net.n_nodes]),
                       minlength=net.n_nodes)


def infer_signals(net: Network, *, cycle_s: float = CYCLE_S,
                  lost_per_phase_s: float = LOST_TIME_PER_PHASE_S,
                  min_green_s: float = MIN_GREEN_S,
                  saturation_vphpl: float = BASE_SATURATION_VPHPL) -> SignalPlan:
    """Signalised junctions, two-phase conflict groups and a Webster plan (module docs).

    Vectorised over links and nodes (no loop over junctions).

    >>> from twincity.city.grid_network import grid_network
    >>> plan = infer_signals(grid_network(3))   # corners have two neighbours only
    >>> plan.nodes.tolist(), plan.green_s[:2].tolist(), round(float(plan.delay_s()[0]), 2)
    ([1, 3, 4, 5, 7], [41.0, 41.0], 13.34)
    """
    n = net.n_nodes
    cls = net.road_class.astype(np.int64)
    mw = cls == MOTORWAY
    touches_mw = (np.bincount(net.link_to[mw], minlength=n)
                  + np.bincount(net.link_from[mw], minlength=n)) > 0
    n_art_in = np.bincount(net.link_to[cls == ARTERIAL], minlength=n)
    candidate = (_undirected_degree(net) >= 3) & ~touches_mw & (n_art_in >= 2)
    appr = np.flatnonzero(candidate[net.link_to] & ~mw & (cls != CONNECTOR)
                          & (net.link_from != net.link_to))
    if len(appr) == 0:
        return no_signals()
    node = net.link_to[appr].astype(np.int64)
    theta = np.arctan2(net.node_y_m[net.link_to[appr]] - net.node_y_m[net.link_from[appr]],
                       net.node_x_m[net.link_to[appr]] - net.node_x_m[net.link_from[appr]])
    # the major approach of each node: highest class (lowest index), largest capacity, first link
    order = np.lexsort((appr, -net.capacity_vph[appr], cls[appr], node))
    first = order[np.r_[True, node[order][1:] != node[order][:-1]]]
    axis = np.zeros(n)
    axis[node[first]] = theta[first]
    on_axis = np.abs(np.cos(theta - axis[node])) >= np.cos(np.radians(PHASE_AXIS_DEG)) - 1e-12
    phase = np.where(on_axis, 0, 1)
    major = cls[appr] <= COLLECTOR
    has = np.zeros((n, 2), dtype=bool)
    np.logical_or.at(has, (node[major], phase[major]), True)
    keep = has[node, 0] & has[node, 1]
    appr, node, phase = appr[keep], node[keep], phase[keep]
    if len(appr) == 0:
        return no_signals()
    order = np.lexsort((appr, phase, node))
    appr, node, phase = appr[order], node[order], phase[order]
    new_phase = np.r_[True, (node[1:] != node[:-1]) | (phase[1:] != phase[:-1])]
    approach_start = np.append(np.flatnonzero(new_phase), len(appr)).astype(np.int64)
    phase_node = node[new_phase]
    new_junction = np.r_[True, phase_node[1:] != phase_node[:-1]]
    phase_start = np.append(np.flatnonzero(new_junction), len(phase_node)).astype(np.int64)
    nodes = phase_node[new_junction].astype(np.int64)
    lost_s = np.diff(phase_start) * float(lost_per_phase_s)
    # design flow ratio of an approach loaded to its (effective) capacity
    y = net.capacity_vph[appr] / (net.lanes[appr] * saturation_vphpl)
    green_s = webster_greens_s(phase_start, critical_flow_ratio(approach_start, y), cycle_s,
                               lost_s, min_green_s)
    return SignalPlan(nodes=nodes, phase_start=phase_start, approach_start=approach_start,
                      links=appr.astype(np.int64), green_s=green_s, lost_s=lost_s,
                      cycle_s=float(cycle_s))


def with_signal_delay(net: Network, plan: SignalPlan) -> Network:
    """The network with each approach's average signal delay added to its free-flow time.

    Any delay already recorded in ``net.signal_delay_s`` is replaced, not
    added to. Links not in the plan get zero delay.
    """
    delay = np.zeros(net.n_links)
    delay[plan.links] = plan.delay_s()
    return net.replace(free_flow_s=net.free_flow_s - net.signal_delay_s + delay,
                       signal_delay_s=delay)
