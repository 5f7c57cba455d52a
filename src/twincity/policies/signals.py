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

The operators it attaches (:class:`~twincity.operators.signals.PhaseSplitter`,
:class:`~twincity.operators.signals.SignalController`,
:class:`~twincity.operators.signals.GreenPlanReview`) live with the other
operators in :mod:`twincity.operators.signals`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, model_validator

from twincity.city.network import Network
from twincity.city.signals import (
    CYCLE_S,
    LOST_TIME_PER_PHASE_S,
    SignalPlan,
)
from twincity.operators.signals import GreenPlanReview, PhaseSplitter, SignalController
from twincity.policies.base import Adaptation, Policy
from twincity.scenario.base import Section

if TYPE_CHECKING:
    from twincity.city.build import City
    from twincity.context import RunContext

__all__ = ["AdaptiveSignalsParams", "AdaptiveSignalsPolicy"]


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


class AdaptiveSignalsPolicy(Policy):
    """Demand-responsive green splits among the phases of signalised junctions."""

    name = "adaptive_signals"
    summary = ("Re-split each signalised junction's green among its phases by demand "
               "(Webster's split of critical flow ratios), keeping cycle and lost time; per step "
               "and/or between equilibrated states.")
    Params = AdaptiveSignalsParams
    primary_kpis = ("total_delay", "travel_time_index")

    def adapt(self, city: City) -> Adaptation:
        """The city's signal plan (junctions, phases, approaches, greens) as numbers."""
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
        """Approach capacities raised to saturation flow (÷ the base green ratio)."""
        net = city.network
        links = np.asarray(adaptation.concrete["links"], dtype=np.int64)
        cap = np.array(net.capacity_vph, dtype=np.float64)
        cap[links] = cap[links] / np.asarray(adaptation.concrete["base_green_ratio"])
        return net.replace(capacity_vph=cap)

    def attach(self, context: RunContext, adaptation: Adaptation) -> None:
        """Set base greens; add a per-step controller and/or a plan review, as ``adjust`` says."""
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
