"""Adaptive traffic signals: green time re-split among a junction's approaches by demand.

Signalised junctions are the nodes where at least ``min_major_approaches``
(default 3) motorway, arterial or collector links enter. The links of
``signalised_classes`` (default arterial, collector, local) entering such a
node are its approaches. Motorway links are left out by default: their
capacity in a scenario is a basic-segment value, not reduced for green time
(see :mod:`twincity.scenario.sections_network`), and they meet streets at
grade-separated ramps rather than at signals.

Network capacities in a scenario are *effective* (saturation flow times the
share of green an approach gets). The policy therefore first undoes the
green time: :meth:`AdaptiveSignalsPolicy.modify_network` raises each
approach's capacity to saturation flow, ``capacity / base_green_share``, and
:meth:`~AdaptiveSignalsPolicy.attach` sets the transport authority's
``green_share`` of the approach to ``base_green_share``. The kernel's
discharge capacity ``capacity × green_share`` is then what it was without the
policy: with ``adjust: none`` the run reproduces the run without the policy.
With the default ``base_green_share`` 0.5 this holds bit for bit (halving and
doubling are exact in floating point); other values reproduce it up to
floating-point rounding, which may flip discrete tie-breaks.

Then green shares follow demand. At each junction the total of its approaches'
green shares stays at its starting value (one cycle is shared, never
lengthened) and each approach gets a share proportional to its demand —
vehicles queued at the end of the last interval plus vehicles that entered the
link during it — per unit of its saturation flow (Webster's equal degree of
saturation: a two-lane arterial needs half the green of a one-lane street for
the same vehicles), within ``[min_green_share, max_green_share]`` (a bounded
proportional split, :func:`resplit_green`).

* ``adjust: step`` — a :class:`SignalController` agent re-splits every model
  step of the reported day from the kernel's last interval, moving a share
  ``responsiveness`` (default 0.3) of the way to the demand-proportional split
  (split optimisers such as SCOOT's move splits in small steps each cycle;
  and one interval's counts in a sampled run are noisy: on the tiny test city
  full jumps, ``responsiveness`` 1, raised total delay by a third, 0.3 left
  it unchanged);
* ``adjust: day`` — a :class:`GreenDayReview` rule re-splits between the
  simulated days of the day-to-day adjustment from the day's flows per link
  (a fixed-time plan proportional to daily volumes, so travellers' routes and
  modes adapt to it);
* ``adjust: both`` (default) — both; ``none`` — saturation flow and base
  green only (the identity check).

Mechanism: approach capacities of the road network and the transport
authority's ``green_share``, which the traffic kernel multiplies into each
link's discharge capacity.

Limits: approaches are links, not turning movements (no separate left-turn
phases); lost time per cycle is already in the base green share; the
re-split is instantaneous (no transition between plans). Until traffic
planning (warm-start assignment and route spreading) reads capacities after
green shares, the *planned* routes see saturation flows on approaches; the
reported day's kernel and each simulated day use the effective capacities
(see the report of this change: a traffic-side hook is requested).

Example:
    >>> import numpy as np
    >>> s = resplit_green(np.array([0, 3]), np.array([10.0, 0.0, 30.0]),
    ...                   np.array([1.5]), 0.2, 0.8)
    >>> s.round(3).tolist()
    [0.5, 0.2, 0.8]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import mesa
import numpy as np
from numba import njit
from pydantic import Field, model_validator

from twincity.city.network import ROAD_CLASSES, Network
from twincity.policies.base import Adaptation, Policy
from twincity.scenario.base import Section

if TYPE_CHECKING:
    from twincity.city.build import City
    from twincity.model import CityModel

#: Road classes whose links make a junction signalised.
MAJOR_CLASSES = ("motorway", "arterial", "collector")


class AdaptiveSignalsParams(Section):
    """City-neutral parameters of adaptive signal control."""

    adjust: Literal["none", "step", "day", "both"] = Field(
        default="both", description="When green shares follow demand (see the module docs).")
    base_green_share: float = Field(
        default=0.5, gt=0, le=1,
        description="Green share behind the network's effective approach capacities.")
    min_green_share: float = Field(default=0.2, ge=0, le=1,
                                   description="Least green share of an approach.")
    max_green_share: float = Field(default=0.8, gt=0, le=1,
                                   description="Largest green share of an approach.")
    min_major_approaches: int = Field(
        default=3, ge=1, description="Motorway/arterial/collector links entering a signalised "
                                     "junction, at least.")
    responsiveness: float = Field(
        default=0.3, gt=0, le=1,
        description="Share of the way to the demand-proportional split moved each step.")
    signalised_classes: list[Literal["motorway", "arterial", "collector", "local",
                                     "connector"]] = Field(
        default_factory=lambda: ["arterial", "collector", "local"], min_length=1,
        description="Road classes whose links into a signalised junction are its approaches.")

    @model_validator(mode="after")
    def _bounds(self) -> AdaptiveSignalsParams:
        if not self.min_green_share <= self.base_green_share <= self.max_green_share:
            raise ValueError("expected min_green_share <= base_green_share <= max_green_share")
        return self


def signalised_approaches(net: Network, min_major: int,
                          classes: tuple[str, ...] = ("arterial", "collector", "local"),
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Signalised nodes, and their approach links (of ``classes``) grouped by node (CSR).

    Returns ``(nodes, start, links)``: the approaches of ``nodes[k]`` are
    ``links[start[k]:start[k + 1]]``. Nodes left with a single approach are
    not signalised (nothing to share green with).
    """
    major = np.isin(net.road_class, [ROAD_CLASSES.index(c) for c in MAJOR_CLASSES])
    n_major_in = np.bincount(net.link_to[major], minlength=net.n_nodes)
    controlled = np.isin(net.road_class, [ROAD_CLASSES.index(c) for c in classes])
    n_approaches = np.bincount(net.link_to[controlled], minlength=net.n_nodes)
    signalised = (n_major_in >= min_major) & (n_approaches >= 2)
    nodes = np.flatnonzero(signalised)
    links = np.flatnonzero(signalised[net.link_to] & controlled)
    links = links[np.argsort(net.link_to[links], kind="stable")]
    start = np.searchsorted(net.link_to[links], nodes, side="left")
    return nodes, np.append(start, len(links)).astype(np.int64), links.astype(np.int64)


@njit(cache=True)
def _clipped_sum(lam: float, d: np.ndarray, lo: float, hi: float) -> float:
    total = 0.0
    for x in d:
        total += min(max(lam * x, lo), hi)
    return total


@njit(cache=True)
def resplit_green(start: np.ndarray, demand: np.ndarray, total: np.ndarray,
                  lo: float, hi: float) -> np.ndarray:
    """Green shares proportional to demand within ``[lo, hi]``, summing to ``total`` per group.

    Group ``k`` is ``demand[start[k]:start[k + 1]]``. The shares are
    ``clip(λ·demand, lo, hi)`` with the one ``λ`` that makes them sum to the
    group's total (the sum is monotone in ``λ``: bisection), so more demand
    never gets less green. Without demand the total is split equally; green
    that approaches with demand cannot take (all at ``hi``) goes equally to
    those without. ``total[k]`` must lie in ``[n·lo, n·hi]``.
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
        if dfree > 0:  # remove the bisection's last rounding from the free approaches
            s[free] += (t - s.sum()) * d[free] / dfree
        out[a:b] = s
    return out


class _Splitter:
    """Shared state of the step controller and the day review: groups, totals, bounds."""

    def __init__(self, start: np.ndarray, links: np.ndarray, total: np.ndarray,
                 lo: float, hi: float, saturation_vph: np.ndarray) -> None:
        self.start, self.links, self.total = start, links, total
        self.lo, self.hi = lo, hi
        self.saturation_vph = saturation_vph
        self.history: list[dict] = []

    def split(self, authority, demand_veh: np.ndarray, alpha: float = 1.0) -> np.ndarray:
        """Move ``alpha`` of the way to shares proportional to demand per unit saturation flow.

        Both the current and the target shares sum to each junction's total and
        lie within the bounds, so every step in between does too.
        """
        ratio = demand_veh / self.saturation_vph
        target = resplit_green(self.start, ratio, self.total, self.lo, self.hi)
        old = authority.green_share[self.links]
        shares = old + alpha * (target - old)
        authority.green_share[self.links] = shares
        return shares


class SignalController(mesa.Agent):
    """Re-splits green every model step from the kernel's last interval (queue + inflow)."""

    def __init__(self, model: CityModel, splitter: _Splitter, responsiveness: float) -> None:
        super().__init__(model)
        self.splitter = splitter
        self.responsiveness = responsiveness

    def act(self) -> None:
        traffic = getattr(self.model, "traffic", None)
        sim = None if traffic is None else traffic.sim
        if sim is None:
            return
        iv = round(sim.now_s / sim.interval_s)
        if iv == 0:
            return
        links = self.splitter.links
        demand = sim.queue_veh[iv - 1, links] + sim.inflow_veh[iv - 1, links]
        shares = self.splitter.split(self.model.transport_authority, demand, self.responsiveness)
        sim.green_share[links] = shares  # whatever the order in which agents act this step
        self.splitter.history.append({"interval": iv, "demand_veh": demand.copy(),
                                      "green_share": shares.copy()})


class GreenDayReview:
    """Between days: a fixed-time plan proportional to each approach's daily volume.

    Reads the day's vehicles per routing slot and link from the day record's
    ``flow_veh[slot, link]``.
    """

    def __init__(self, splitter: _Splitter) -> None:
        self.splitter = splitter

    def __call__(self, authority, day) -> None:
        demand = np.asarray(day.flow_veh)[:, self.splitter.links].sum(axis=0)
        shares = self.splitter.split(authority, demand)
        self.splitter.history.append({"day": day.day, "demand_veh": demand,
                                      "green_share": shares.copy()})


class AdaptiveSignalsPolicy(Policy):
    """Demand-responsive green splits at signalised junctions."""

    name = "adaptive_signals"
    summary = ("Re-split green among a junction's approaches by demand (queue + inflow), "
               "keeping the cycle; per step and/or between days.")
    Params = AdaptiveSignalsParams
    primary_kpis = ("total_delay", "travel_time_index")

    def adapt(self, city: City) -> Adaptation:
        p = self.params
        nodes, start, links = signalised_approaches(city.network, p.min_major_approaches,
                                                    tuple(p.signalised_classes))
        note = (f"{len(nodes)} signalised junctions (≥{p.min_major_approaches} "
                f"{'/'.join(MAJOR_CLASSES)} links entering) of {city.network.n_nodes} nodes, "
                f"{len(links)} {'/'.join(p.signalised_classes)} approaches; green split by "
                "demand per unit saturation flow; approach capacities raised to saturation flow "
                f"(÷ base green {p.base_green_share:g}) and green set to {p.base_green_share:g}, "
                f"so the network is unchanged until green follows demand "
                f"(adjust: {p.adjust}) within {p.min_green_share:g}–{p.max_green_share:g} "
                "with each junction's total green kept")
        return Adaptation(policy=self.name, note=note, concrete={
            "nodes": nodes.tolist(), "approach_start": start.tolist(),
            "approach_links": links.tolist(), "base_green_share": p.base_green_share})

    def modify_network(self, city: City, adaptation: Adaptation) -> Network:
        net = city.network
        links = np.asarray(adaptation.concrete["approach_links"], dtype=np.int64)
        cap = np.array(net.capacity_vph, dtype=np.float64)
        cap[links] = cap[links] / self.params.base_green_share
        return net.replace(capacity_vph=cap)

    def attach(self, model: CityModel, adaptation: Adaptation) -> None:
        p = self.params
        ta = model.transport_authority
        links = np.asarray(adaptation.concrete["approach_links"], dtype=np.int64)
        start = np.asarray(adaptation.concrete["approach_start"], dtype=np.int64)
        ta.green_share[links] = p.base_green_share
        total = np.diff(start) * p.base_green_share
        traffic_net = model.city.network  # saturation flows (after modify_network)
        splitter = _Splitter(start, links, total, p.min_green_share, p.max_green_share,
                             traffic_net.capacity_vph[links].astype(np.float64))
        if p.adjust in ("step", "both"):
            SignalController(model, splitter, p.responsiveness)
        if p.adjust in ("day", "both"):
            ta.reviewers.append(GreenDayReview(splitter))
