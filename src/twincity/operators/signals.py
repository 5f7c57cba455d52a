"""The signal operators: a junction's green split by demand, per step or between states.

:class:`PhaseSplitter` holds a city's phases, their saturation flows and
current greens and re-splits green by Webster's method (the green-split
kernel, :func:`twincity.city.signals.webster_greens_s`);
:class:`SignalController` is the ``mesa.Agent`` re-splitting each model step
from the kernel's last interval; :class:`GreenPlanReview` is the transport
authority's review rule setting a fixed-time plan between equilibrated
states. The adaptive-signals policy (:mod:`twincity.policies.signals`)
attaches them; they change the authority's ``green_share`` only.

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

from typing import TYPE_CHECKING

import mesa
import numpy as np

from twincity.city.signals import SignalPlan, critical_flow_ratio, webster_greens_s

if TYPE_CHECKING:
    from twincity.operators.transport import TransportAuthority


class PhaseSplitter:
    """A city's phases, their saturation flows and current greens; re-splits by demand.

    ``saturation_vph`` is per approach (in the order of ``plan.links``);
    ``phase_share`` holds the current green ratio ``g / C`` of each phase.
    """

    def __init__(self, plan: SignalPlan, saturation_vph: np.ndarray, min_green_s: float) -> None:
        """Start from the plan's fixed-time greens; ``saturation_vph`` per approach."""
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
        """A controller moving ``responsiveness`` of the way to Webster's split each step."""
        super().__init__(host)
        self.authority = authority
        self.splitter = splitter
        self.responsiveness = responsiveness

    def act(self) -> None:
        """Re-split green from the last interval's queue and inflow and hand it to the kernel."""
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
        """A review acting in rounds ``0..review_rounds-1``."""
        self.splitter = splitter
        self.review_rounds = int(review_rounds)

    def __call__(self, authority, state) -> bool:
        """Set Webster's split for the approaches' volumes in ``state``; True if a phase moved."""
        if state.round >= self.review_rounds:
            return False
        old = self.splitter.phase_share.copy()
        demand = np.asarray(state.flow_veh)[:, self.splitter.links].sum(axis=0)
        shares = self.splitter.split(authority, demand)
        self.splitter.history.append({"round": state.round, "demand_veh": demand,
                                      "green_share": shares.copy()})
        return bool(np.any(np.abs(self.splitter.phase_share - old) > 1e-3))
