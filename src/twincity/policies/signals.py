"""Adaptive traffic signals: green re-split among a junction's phases by demand.

Signalised junctions, their conflict groups (phases) and their base
fixed-time plan come from the built city (:mod:`twincity.city.signals`):
two phases per junction, approaches roughly opposite each other sharing one;
a cycle of ``cycle_s`` with ``lost_s`` lost per cycle; base effective greens
by Webster's split. This policy re-splits each junction's green among its
phases as demand changes, and every approach of a phase gets the phase's
green: for every junction ``Σ phase green + lost time = cycle``, so two
conflicting approaches never hold more than ``1 − lost / cycle`` of the cycle
between them.

Network capacities in a scenario are *effective* (saturation flow times the
approach's green ratio). The policy therefore first undoes the base plan:
:meth:`AdaptiveSignalsPolicy.modify_network` raises each approach's capacity
to its saturation flow, ``capacity / λ₀`` with ``λ₀ = g₀ / C`` of the base
plan, and :meth:`~AdaptiveSignalsPolicy.attach` sets the transport
authority's ``green_share`` of the approach to ``λ₀``. The kernel's discharge
capacity ``capacity × green_share`` is then what it was without the policy
(up to floating-point rounding): with ``adjust: none`` the run reproduces the
run without the policy. Capacity is counted once: the network holds
saturation flow, the green share the time it may discharge; the average
signal delay in the free-flow times (Webster's uniform delay of the base plan)
is a separate term and is not changed by re-splits (a limit: a phase given
more green would also wait less at an empty junction).

Then greens follow demand, by Webster's method: each phase's critical flow
ratio is the largest ``demand / saturation flow`` among its approaches
(demand = vehicles queued at the end of the last interval plus vehicles that
entered during it, or the vehicles entering over the equilibrated day), and
``cycle − lost`` is split in proportion to the critical flow ratios, each
phase at least ``min_green_s`` (:func:`~twincity.city.signals.webster_greens_s`).

* ``adjust: step`` — a :class:`SignalController` agent re-splits every model
  step of the reported day from the kernel's last interval, moving a share
  ``responsiveness`` (default 0.3) of the way to the Webster split (split
  optimisers such as SCOOT move splits in small steps each cycle; and one
  interval's counts in a sampled run are noisy). Each step's plan is a convex
  combination of feasible plans, so it is feasible too.
* ``adjust: review`` — a :class:`GreenPlanReview` rule sets a fixed-time plan
  by Webster's split of each approach's entries over the equilibrated day,
  between equilibrated states (for at most ``review_rounds`` rounds), so
  travellers' routes and modes adapt to it;
* ``adjust: both`` (default) — both; ``none`` — saturation flow and base
  green only (the identity check).

Mechanism: approach capacities of the road network and the transport
authority's ``green_share``, which the traffic kernel multiplies into each
link's discharge capacity.

Limits: two phases, approaches are links, not turning movements (no
protected left-turn phases); the cycle stays fixed; the re-split is
instantaneous (no transition between plans).

Example:
    >>> import numpy as np
    >>> from twincity.city.grid_network import grid_network
    >>> from twincity.city.signals import infer_signals
    >>> plan = infer_signals(grid_network(3))
    >>> sp = PhaseSplitter(plan, np.full(len(plan.links), 1800.0), min_green_s=7.0)
    >>> demand = np.where(plan.phase_of_approach % 2 == 0, 900.0, 0.0)  # first phases only
    >>> s = sp.target_shares(demand)
    >>> a, b = plan.approach_start[:2]   # an approach of each phase of junction 0
    >>> round(float(s[a]) * 90, 6), round(float(s[b]) * 90, 6)   # 90 − 8 − 7 s, and 7 s
    (75.0, 7.0)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import mesa
import numpy as np
from pydantic import Field, model_validator

from twincity.city.network import Network
from twincity.city.signals import (
    CYCLE_S,
    LOST_TIME_PER_PHASE_S,
    SignalPlan,
    critical_flow_ratio,
    resplit_green,
    webster_greens_s,
)
from twincity.policies.base import Adaptation, Policy
from twincity.scenario.base import Section

if TYPE_CHECKING:
    from twincity.city.build import City
    from twincity.context import RunContext
    from twincity.operators import TransportAuthority

__all__ = ["AdaptiveSignalsParams", "AdaptiveSignalsPolicy", "GreenPlanReview", "PhaseSplitter",
           "SignalController", "resplit_green"]


class AdaptiveSignalsParams(Section):
    """City-neutral parameters of adaptive signal control."""

    adjust: Literal["none", "step", "review", "both"] = Field(
        default="both", description="When greens follow demand (see the module docs).")
    min_green_s: float = Field(
        default=7.0, ge=0,
        description="Least effective green of a phase, s (FHWA Signal Timing Manual: 5–15 s).")
    responsiveness: float = Field(
        default=0.3, gt=0, le=1,
        description="Share of the way to the Webster split moved each step.")
    review_rounds: int = Field(
        default=2, ge=1, le=20,
        description="Most fixed-time plan reviews between equilibrated states.")

    @model_validator(mode="after")
    def _fits_the_cycle(self) -> AdaptiveSignalsParams:
        room = (CYCLE_S - 2 * LOST_TIME_PER_PHASE_S) / 2
        if self.min_green_s > room:
            raise ValueError(f"min_green_s {self.min_green_s:g} s leaves no room in a "
                             f"{CYCLE_S:g} s two-phase cycle; expected at most {room:g} s")
        return self


class PhaseSplitter:
    """A city's phases, their saturation flows and current greens; re-splits by demand.

    ``saturation_vph`` is per approach (in the order of ``plan.links``);
    ``phase_share`` holds the current green ratio ``g / C`` of each phase.
    """

    def __init__(self, plan: SignalPlan, saturation_vph: np.ndarray, min_green_s: float) -> None:
        self.plan = plan
        self.links = plan.links
        self.saturation_vph = np.asarray(saturation_vph, dtype=np.float64)
        self.min_green_s = float(min_green_s)
        self.phase_share = plan.green_s / plan.cycle_s
        self.counts = np.diff(plan.approach_start)
        self.history: list[dict] = []

    def target_phase_shares(self, demand_veh: np.ndarray) -> np.ndarray:
        """Webster's split: green ratio per phase for demand per approach."""
        p = self.plan
        y = critical_flow_ratio(p.approach_start, demand_veh / self.saturation_vph)
        return webster_greens_s(p.phase_start, y, p.cycle_s, p.lost_s,
                                self.min_green_s) / p.cycle_s

    def target_shares(self, demand_veh: np.ndarray) -> np.ndarray:
        """Webster's split as a green share per approach (each approach gets its phase's)."""
        return np.repeat(self.target_phase_shares(demand_veh), self.counts)

    def split(self, authority, demand_veh: np.ndarray, alpha: float = 1.0) -> np.ndarray:
        """Move ``alpha`` of the way to Webster's split; set and return approach shares."""
        target = self.target_phase_shares(demand_veh)
        self.phase_share = self.phase_share + alpha * (target - self.phase_share)
        shares = np.repeat(self.phase_share, self.counts)
        authority.green_share[self.links] = shares
        return shares


class SignalController(mesa.Agent):
    """Re-splits green every model step from the kernel's last interval (queue + inflow)."""

    def __init__(self, host: mesa.Model, authority: TransportAuthority, splitter: PhaseSplitter,
                 responsiveness: float) -> None:
        super().__init__(host)
        self.authority = authority
        self.splitter = splitter
        self.responsiveness = responsiveness

    def act(self) -> None:
        sim = self.authority.kernel
        if sim is None:
            return
        iv = round(sim.now_s / sim.interval_s)
        if iv == 0:
            return
        links = self.splitter.links
        demand = sim.queue_veh[iv - 1, links] + sim.inflow_veh[iv - 1, links]
        shares = self.splitter.split(self.authority, demand, self.responsiveness)
        self.authority.push_green(links)  # whatever the order in which agents act this step
        self.splitter.history.append({"interval": iv, "demand_veh": demand.copy(),
                                      "green_share": shares.copy()})


class GreenPlanReview:
    """Between equilibrated states: a fixed-time Webster plan from each approach's day volume.

    Reads the entries per routing slot and link of a
    :class:`~twincity.operators.ReviewState`; acts in rounds
    ``0..review_rounds-1``; returns whether any green moved by more than 0.1 %
    of the cycle.
    """

    def __init__(self, splitter: PhaseSplitter, review_rounds: int = 2) -> None:
        self.splitter = splitter
        self.review_rounds = int(review_rounds)

    def __call__(self, authority, state) -> bool:
        if state.round >= self.review_rounds:
            return False
        old = self.splitter.phase_share.copy()
        demand = np.asarray(state.flow_veh)[:, self.splitter.links].sum(axis=0)
        shares = self.splitter.split(authority, demand)
        self.splitter.history.append({"round": state.round, "demand_veh": demand,
                                      "green_share": shares.copy()})
        return bool(np.any(np.abs(self.splitter.phase_share - old) > 1e-3))


class AdaptiveSignalsPolicy(Policy):
    """Demand-responsive green splits among the phases of signalised junctions."""

    name = "adaptive_signals"
    summary = ("Re-split each signalised junction's green among its phases by demand "
               "(Webster's split of critical flow ratios), keeping cycle and lost time; per step "
               "and/or between equilibrated states.")
    Params = AdaptiveSignalsParams
    primary_kpis = ("total_delay", "travel_time_index")

    def adapt(self, city: City) -> Adaptation:
        p, plan = self.params, city.signals
        note = (f"{plan.n_junctions} signalised junctions of {city.network.n_nodes} nodes, "
                f"{len(plan.links)} approaches in {len(plan.green_s)} phases; cycle "
                f"{plan.cycle_s:g} s, {LOST_TIME_PER_PHASE_S:g} s lost per phase; approach "
                "capacities raised to saturation flow (÷ base green ratio) and green set to the "
                "base plan's, so the network is unchanged until greens follow demand "
                f"(adjust: {p.adjust}) by Webster's split, each phase at least "
                f"{p.min_green_s:g} s")
        return Adaptation(policy=self.name, note=note, concrete={
            **plan.to_dict(), "base_green_ratio": plan.green_ratio.tolist()})

    def modify_network(self, city: City, adaptation: Adaptation) -> Network:
        net = city.network
        links = np.asarray(adaptation.concrete["links"], dtype=np.int64)
        cap = np.array(net.capacity_vph, dtype=np.float64)
        cap[links] = cap[links] / np.asarray(adaptation.concrete["base_green_ratio"])
        return net.replace(capacity_vph=cap)

    def attach(self, context: RunContext, adaptation: Adaptation) -> None:
        p, c = self.params, adaptation.concrete
        plan = SignalPlan(
            nodes=np.asarray(c["nodes"], dtype=np.int64),
            phase_start=np.asarray(c["phase_start"], dtype=np.int64),
            approach_start=np.asarray(c["approach_start"], dtype=np.int64),
            links=np.asarray(c["links"], dtype=np.int64),
            green_s=np.asarray(c["green_s"], dtype=np.float64),
            lost_s=np.asarray(c["lost_s"], dtype=np.float64), cycle_s=float(c["cycle_s"]))
        ta = context.transport_authority
        ta.green_share[plan.links] = np.asarray(c["base_green_ratio"])
        # saturation flows: the network after modify_network
        splitter = PhaseSplitter(plan, context.city.network.capacity_vph[plan.links],
                                 p.min_green_s)
        if p.adjust in ("step", "both"):
            SignalController(context.host, ta, splitter, p.responsiveness)
        if p.adjust in ("review", "both"):
            ta.reviewers.append(GreenPlanReview(splitter, p.review_rounds))
