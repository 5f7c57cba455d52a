"""Static user-equilibrium traffic assignment (Frank–Wolfe family) with BPR costs.

Link cost is the BPR travel time plus optional generalized-cost terms::

    c_a(v) = fft_a · (1 + alpha_a · (v / cap_a) ** beta_a) + toll_factor·toll_a
             + distance_factor·length_a

Methods: ``"fw"`` (Frank–Wolfe), ``"cfw"`` (conjugate FW) and ``"bfw"``
(bi-conjugate FW), both after Mitradjieva & Lundgren (2013), "Modified
Frank–Wolfe algorithm for the traffic assignment problem", Transportation
Science 47(1). Each step uses an exact line search: bisection on the
derivative of the Beckmann objective along the search direction.

Convergence is measured by the relative gap ``(TSTT − SPTT) / TSTT`` where
TSTT = Σ_a v_a c_a(v) and SPTT = Σ_od demand_od × shortest cost_od, both at
the current flows.

Units: flows in the demand's units (vehicles per hour for ``flow_vph``),
costs in the network's time units (seconds for a scenario network; the file's
own units for a TNTP network read with the default ``time_unit_s=1``).

Example:
    >>> import numpy as np
    >>> from twincity.city.network import Network
    >>> net = Network.from_links(                 # two parallel roads from node 0 to 1
    ...     node_x_m=np.zeros(2), node_y_m=np.zeros(2),
    ...     link_from=np.array([0, 0]), link_to=np.array([1, 1]),
    ...     length_m=np.array([1000.0, 1000.0]), lanes=np.array([1, 1]),
    ...     speed_mps=np.array([20.0, 10.0]), capacity_vph=np.array([1000.0, 1000.0]),
    ...     bpr_alpha=1.0, bpr_beta=1.0)
    >>> res = frank_wolfe(net, np.array([[0.0, 1500.0], [0.0, 0.0]]), np.array([0, 1]),
    ...                   gap=1e-8)
    >>> np.round(res.flow_vph, 1).tolist(), round(float(res.cost[0]), 3)
    ([1333.3, 166.7], 116.667)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from twincity.city.network import Network
from twincity.traffic.routing import load_all_or_nothing

METHODS = ("fw", "cfw", "bfw")
_MAX_CONJUGATE = 0.99999  # keep some of the new AON flow in the conjugate direction (δ)


# ---------------------------------------------------------------- kernels
@njit(cache=True)
def _bpr(flow, fft, alpha, beta, cap, extra, out):
    for a in range(flow.shape[0]):
        v = flow[a] if flow[a] > 0.0 else 0.0
        out[a] = fft[a] * (1.0 + alpha[a] * (v / cap[a]) ** beta[a]) + extra[a]


@njit(cache=True)
def _bpr_derivative(flow, fft, alpha, beta, cap, out):
    for a in range(flow.shape[0]):
        v = flow[a] if flow[a] > 0.0 else 0.0
        b = beta[a]
        if b == 0.0 or alpha[a] == 0.0:
            out[a] = 0.0
        elif v == 0.0:
            out[a] = fft[a] * alpha[a] / cap[a] if b == 1.0 else 0.0
        else:
            out[a] = fft[a] * alpha[a] * b * (v / cap[a]) ** (b - 1.0) / cap[a]


@njit(cache=True)
def _beckmann(flow, fft, alpha, beta, cap, extra):
    """Σ_a ∫_0^v c_a(x) dx."""
    total = 0.0
    for a in range(flow.shape[0]):
        v = flow[a] if flow[a] > 0.0 else 0.0
        b = beta[a]
        total += fft[a] * (v + alpha[a] * cap[a] / (b + 1.0) * (v / cap[a]) ** (b + 1.0))
        total += extra[a] * v
    return total


@njit(cache=True)
def _slope(x, d, tau, fft, alpha, beta, cap, extra):
    """Derivative of the Beckmann objective at x + tau·d along d."""
    s = 0.0
    for a in range(x.shape[0]):
        if d[a] == 0.0:
            continue
        v = x[a] + tau * d[a]
        if v < 0.0:
            v = 0.0
        s += d[a] * (fft[a] * (1.0 + alpha[a] * (v / cap[a]) ** beta[a]) + extra[a])
    return s


@njit(cache=True)
def _line_search(x, d, fft, alpha, beta, cap, extra, tol):
    """Step in [0, 1] minimising the Beckmann objective along d (bisection)."""
    if _slope(x, d, 1.0, fft, alpha, beta, cap, extra) <= 0.0:
        return 1.0
    if _slope(x, d, 0.0, fft, alpha, beta, cap, extra) >= 0.0:
        return 0.0
    lo = 0.0
    hi = 1.0
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        if _slope(x, d, mid, fft, alpha, beta, cap, extra) > 0.0:
            hi = mid
        else:
            lo = mid
    return 0.5 * (lo + hi)


# ----------------------------------------------------------------- result
@dataclass(frozen=True)
class AssignmentResult:
    """Outcome of :func:`frank_wolfe`.

    ``flow_vph`` and ``cost`` are per link; ``gaps`` the relative gap measured
    at each iteration (``gaps[0]`` at the initial all-or-nothing flows);
    ``iterations`` the number of flow updates; ``od_cost`` the shortest cost of
    each zone pair at the final flows (``inf`` where unreachable);
    ``unreachable_od`` the (origin zone, destination zone) pairs with demand but
    no path (their demand is not assigned; ``unreachable_demand`` sums it).
    """

    flow_vph: np.ndarray
    cost: np.ndarray
    gaps: np.ndarray
    iterations: int
    relative_gap: float
    converged: bool
    method: str
    tstt: float
    sptt: float
    objective: float
    od_cost: np.ndarray
    unreachable_od: np.ndarray
    unreachable_demand: float

    assigned_demand: float

    @property
    def mean_cost(self) -> float:
        """Average generalized cost per assigned traveller (TSTT / assigned demand)."""
        return self.tstt / self.assigned_demand if self.assigned_demand > 0 else 0.0


def bpr_cost(net: Network, flow_vph: np.ndarray, *, toll_factor: float = 0.0,
             distance_factor: float = 0.0) -> np.ndarray:
    """Generalized BPR cost of each link at ``flow_vph``.

    Example: ``bpr_cost(net, np.zeros(net.n_links))`` equals ``net.free_flow_s``.
    """
    out = np.empty(net.n_links)
    _bpr(np.ascontiguousarray(flow_vph, dtype=np.float64), net.free_flow_s, net.bpr_alpha,
         net.bpr_beta, net.capacity_vph, _extra(net, toll_factor, distance_factor), out)
    return out


def _extra(net: Network, toll_factor: float, distance_factor: float) -> np.ndarray:
    extra = np.zeros(net.n_links)
    if toll_factor:
        extra += toll_factor * net.toll
    if distance_factor:
        extra += distance_factor * net.length_m
    return extra


def frank_wolfe(net: Network, od_demand: np.ndarray, zone_nodes: np.ndarray, *,
                gap: float = 1e-4, max_iter: int = 1000, method: str = "bfw",
                toll_factor: float = 0.0, distance_factor: float = 0.0,
                no_through: np.ndarray | None = None, line_search_tol: float = 1e-12,
                progress: Callable[[int, float], None] | None = None) -> AssignmentResult:
    """Solve the static user equilibrium to a relative gap ``gap``.

    ``od_demand`` is zones × zones (flow per hour); ``zone_nodes[z]`` is the
    node index of zone ``z``. ``no_through`` is a node mask of centroids paths
    may not pass through. ``progress(iteration, relative_gap)`` is called at
    every iteration. Stops at ``gap`` or after ``max_iter`` updates
    (``converged`` says which).

    Example:
        >>> res = frank_wolfe(net, demand, meta.zone_nodes(net), gap=1e-5)  # doctest: +SKIP
        >>> res.relative_gap <= 1e-5                                         # doctest: +SKIP
        True
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not gap > 0:
        raise ValueError("gap must be positive")
    od_demand = np.asarray(od_demand, dtype=np.float64)
    zone_nodes = np.asarray(zone_nodes, dtype=np.int64)
    z = len(zone_nodes)
    if od_demand.shape != (z, z):
        raise ValueError(f"od_demand must be zones × zones ({z}, {z}), got {od_demand.shape}")
    if not np.all(np.isfinite(od_demand)) or np.any(od_demand < 0):
        raise ValueError("od_demand must be finite and non-negative")
    if z and (zone_nodes.min() < 0 or zone_nodes.max() >= net.n_nodes):
        raise ValueError("zone_nodes contains a value that is not a node index")

    fft, alpha, beta, cap = net.free_flow_s, net.bpr_alpha, net.bpr_beta, net.capacity_vph
    extra = _extra(net, toll_factor, distance_factor)
    rows = np.flatnonzero(od_demand.sum(axis=1) > 0)
    origins = zone_nodes[rows]
    demand = np.ascontiguousarray(od_demand[rows])
    csr = (net.out_start, net.out_link, net.link_to, net.link_from)

    def aon(c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return load_all_or_nothing(*csr, c, origins, zone_nodes, demand, no_through)

    cost = np.empty(net.n_links)
    _bpr(np.zeros(net.n_links), fft, alpha, beta, cap, extra, cost)
    x, od_cost = aon(cost)
    # OD pairs without a path: report them and assign the rest.
    lost = (demand > 0) & ~np.isfinite(od_cost)
    unreachable = np.column_stack([rows[np.nonzero(lost)[0]], np.nonzero(lost)[1]])
    unreachable_demand = float(demand[lost].sum())
    if unreachable_demand:
        demand = np.where(lost, 0.0, demand)
    assigned = float(demand.sum())

    gaps: list[float] = []
    hess = np.empty(net.n_links)
    s1 = s2 = None  # the previous two search targets (conjugate methods)
    tau_prev = 0.0
    iteration = 0
    rel_gap = np.inf
    tstt = sptt = 0.0
    while True:
        _bpr(x, fft, alpha, beta, cap, extra, cost)
        y, od_cost = aon(cost)
        finite = demand > 0
        tstt = float(x @ cost)
        sptt = float(np.sum(demand[finite] * od_cost[finite]))
        rel_gap = (tstt - sptt) / tstt if tstt > 0 else 0.0
        gaps.append(rel_gap)
        if progress is not None:
            progress(iteration, rel_gap)
        if rel_gap <= gap or iteration >= max_iter:
            break

        target = y
        if method != "fw" and s1 is not None:
            _bpr_derivative(x, fft, alpha, beta, cap, hess)
            if method == "bfw" and s2 is not None and tau_prev < 1.0 - 1e-12:
                target = _biconjugate_target(x, y, s1, s2, tau_prev, hess)
            else:
                target = _conjugate_target(x, y, s1, hess)
            if float(cost @ (target - x)) >= 0.0:  # not a descent direction: plain FW
                target = y
        direction = target - x
        tau = _line_search(x, direction, fft, alpha, beta, cap, extra, line_search_tol)
        x = x + tau * direction
        s2, s1, tau_prev = s1, target, tau
        iteration += 1

    x_final = np.maximum(x, 0.0)
    if len(rows) == z:
        od_matrix = od_cost
    else:  # some zones send nothing: still report their shortest costs
        od_matrix = load_all_or_nothing(*csr, cost, zone_nodes, zone_nodes, np.zeros((z, z)),
                                        no_through)[1]
    return AssignmentResult(
        flow_vph=x_final,
        cost=cost.copy(),
        gaps=np.asarray(gaps),
        iterations=iteration,
        relative_gap=float(rel_gap),
        converged=bool(rel_gap <= gap),
        method=method,
        tstt=tstt,
        sptt=sptt,
        objective=float(_beckmann(x_final, fft, alpha, beta, cap, extra)),
        od_cost=od_matrix,
        unreachable_od=unreachable.astype(np.int64).reshape(-1, 2),
        unreachable_demand=unreachable_demand,
        assigned_demand=assigned,
    )


def _conjugate_target(x, y, s1, hess):
    """CFW target s = α·s1 + (1−α)·y with s − x conjugate to s1 − x w.r.t. diag(hess)."""
    d1 = (s1 - x) * hess
    num = float(d1 @ (y - x))
    den = float(d1 @ (y - s1))
    alpha = 0.0
    if den != 0.0:
        alpha = min(max(num / den, 0.0), _MAX_CONJUGATE)
    return alpha * s1 + (1.0 - alpha) * y


def _biconjugate_target(x, y, s1, s2, tau_prev, hess):
    """BFW target β0·y + β1·s1 + β2·s2, conjugate to the last two directions."""
    d1 = s1 - x
    d2 = tau_prev * s1 + (1.0 - tau_prev) * s2 - x
    hd1 = hess * d1
    hd2 = hess * d2
    y_x = y - x
    den_mu = float(hd2 @ (s2 - s1))
    mu = -float(hd2 @ y_x) / den_mu if den_mu != 0.0 else 0.0
    mu = max(mu, 0.0)
    den_nu = float(hd1 @ d1)
    nu = (-float(hd1 @ y_x) / den_nu if den_nu != 0.0 else 0.0)
    nu = max(nu + mu * tau_prev / (1.0 - tau_prev), 0.0)
    b0 = 1.0 / (1.0 + mu + nu)
    return b0 * y + nu * b0 * s1 + mu * b0 * s2
