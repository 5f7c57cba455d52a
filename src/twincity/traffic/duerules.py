"""The rules of the dynamic equilibrium's travellers and when its loop stops.

What :class:`~twincity.traffic.equilibrium.DynamicEquilibrium` applies each
day, with the sources and measurements behind each value: the departure
shifts people consider and their schedule-delay weights, the swap step of
routes and departures and the floor of the mode step, the credibility weights
of sparse link-time cells, the cost resolution of a sampled run (the
indifference band) and the convergence tolerances.

Example:
    >>> [round(swap_step(d), 3) for d in (0, 8, 24)]
    [0.4, 0.2, 0.1]
"""

from __future__ import annotations

import numpy as np

#: Trips from one origin departing within this window share a time-dependent tree in
#: column generation (a proposal only: every route is then scored exactly).
COLUMN_WINDOW_S = 3600.0
#: Departure shifts people consider around their desired departure (s): one hour
#: earlier to half an hour later in 10-minute steps.
DEPARTURE_SHIFTS_S = np.arange(-3600.0, 1800.0 + 1.0, 600.0)
#: Schedule-delay weights relative to in-vehicle time: arriving early costs
#: 0.61 and late 2.38 times as much per minute as travelling (Small 1982, "The
#: scheduling of consumer activities: work trips", AER 72(3), table 2, model 1:
#: −0.0654 / −0.1053 and −0.2539 / −0.1053 per minute). Preferred arrival = desired
#: departure + free-flow time.
EARLY_WEIGHT = 0.61
LATE_WEIGHT = 2.38
#: A relative excess cost at which a vehicle swaps with the full step.
FULL_SWAP_GAP = 0.2
#: Swap step ``λ_d = SWAP_STEP_0 / (1 + d / SWAP_STEP_DAYS)``: a method of successive
#: averages slowed at the start (λ_0 = 0.4, halved after 8 days).
SWAP_STEP_0 = 0.4
SWAP_STEP_DAYS = 8.0
#: Credibility weights (in simulated vehicles) of the prior a sparse cell's mean is
#: shrunk toward (:func:`~twincity.traffic.linkcosts.credible_mean`): a movement's
#: interval mean toward its link's, a link's entry-interval mean toward the
#: exit-interval estimate. Chosen on Helsinki's convergence (gap after 30 days:
#: 0.0188 with plain means, 0.0114 with (2, 1) and (5, 2); days to 0.02: 23 → 10);
#: without them a traveller's own luck at a signal, alone in its cell, is read as
#: her route's expected time, and ~16% of vehicles stay "unhappy" (median excess
#: 14%) with alternatives that are only other cells' luck.
MOVEMENT_PRIOR_VEH = 5.0
LINK_PRIOR_VEH = 2.0
#: Lane saturation flow (veh/h) that sets the cost resolution of a sampled run
#: (HCM 2016 base saturation flow, 1,900 pc/h/lane, rounded down for mixed traffic).
LANE_SATURATION_VPH = 1800.0


def indifference_s(sample_share: float) -> float:
    """Cost resolution of a sampled simulation (s): one simulated vehicle's headway in a lane.

    A simulated vehicle stands for ``1 / sample_share`` real ones and joins or
    leaves a queue all at once, so alternatives that differ by less than its
    own headway at saturation cannot be told apart (it would erase the
    difference by moving). Used as the indifference band of a boundedly
    rational equilibrium (Mahmassani & Chang 1987, Transp. Sci. 21(2)).

    >>> round(indifference_s(0.05), 1)
    40.0
    """
    return 3600.0 / (LANE_SATURATION_VPH * sample_share)


#: Least share of the travellers preferring another mode who move to it each day. With
#: the route step's decay alone, mode choice lagged the network: car trips kept rising
#: by ~0.9% between days 10 and 46 in Sejong (delay +7% with them) while 0.25–0.33% of
#: travellers still preferred another mode; with this floor that share falls to
#: 0.11–0.18% and car trips move < 0.2% once the route gap reaches 0.02.
MODE_STEP_FLOOR = 0.3
#: Largest relative net imbalance of any mode at convergence:
#: |travellers preferring m − travellers using m| / travellers using m
#: (:func:`mode_imbalance`). This bounds how far each mode's share could still
#: move, whatever the mode's size; a bound on the share of *all* travellers who
#: prefer another mode (0.3%, used until 2026-12) let Singapore's 14.6% car share
#: drift up by 1.35% after the stop (0.3% of travellers is 2% of its car users).
MODE_IMBALANCE_TOLERANCE = 0.0025
#: Days in a row that must meet the criteria.
CONSECUTIVE = 2
#: The gap has *levelled off* when it is at least ``1 − LEVEL_DROP`` times its value
#: ``LEVEL_DAYS`` days earlier (:func:`gap_levelled`). A loop that crosses the target
#: while still falling fast stops mid-transient, and its KPIs depend on where: Helsinki
#: (6% sample, 2026-12-03) met 0.02 on day 7-9 at gaps of 0.013-0.017 while still
#: falling ~20% a day; continued to 0.01 its total delay moved by −1.45% (6 seeds,
#: −3.3…+0.1%); with this criterion it stops at ~0.009 on day 12-14 and moves −0.86%
#: (``benchmarks/latest/equilibrium-tight.txt``).
#: A gap at or below ``LEVEL_BELOW`` × the target counts as levelled: whatever it still
#: falls is a fraction of the target (the tiny test city stops at gaps of 0.001, not 0.0003).
LEVEL_DAYS = 3
LEVEL_DROP = 0.2
LEVEL_BELOW = 0.5
#: Smoothing of the link times mode choice sees: MSA weight 1/(d+1), never below
#: this. With a floor of 0.2 the first days' gridlocked times (Singapore's day 0:
#: 6× the converged delay) still weighed a third in the skims on day 9, so car
#: times looked too long and car use kept rising for 20 days after the route gap
#: was met; at 0.5 day 0 weighs 0.2% by day 9.
SMOOTHING_FLOOR = 0.5

def swap_step(day: int) -> float:
    """Share of willing movers who move on ``day``: ``λ_0 / (1 + day / SWAP_STEP_DAYS)``.

    Decays so the plan settles (the step sums diverge, their squares grow only
    logarithmically: the usual conditions of stochastic approximation).
    """
    return SWAP_STEP_0 / (1.0 + day / SWAP_STEP_DAYS)


def gap_levelled(gaps, target: float) -> bool:
    """Whether the last of a run's daily gaps has levelled off (see ``LEVEL_DROP``).

    Needs ``LEVEL_DAYS`` earlier days of the same run (a run younger than that
    has not shown that its gap stopped falling), unless the gap is at most
    ``LEVEL_BELOW`` × ``target``.

    >>> gap_levelled([0.034, 0.025, 0.020, 0.016], 0.02)   # still falling 20%+ in 3 days
    False
    >>> gap_levelled([0.019, 0.021, 0.018, 0.018], 0.02)   # wandering at its floor
    True
    >>> gap_levelled([0.018, 0.017], 0.02), gap_levelled([0.04, 0.008], 0.02)
    (False, True)
    """
    if gaps[-1] <= LEVEL_BELOW * target:
        return True
    if len(gaps) <= LEVEL_DAYS:
        return False
    return gaps[-1] >= (1.0 - LEVEL_DROP) * gaps[-1 - LEVEL_DAYS]


def mode_imbalance(preferred: np.ndarray, current: np.ndarray) -> float:
    """Largest relative net imbalance of a mode (the criterion of ``MODE_IMBALANCE_TOLERANCE``).

    ``preferred`` and ``current`` are travellers' mode codes; for each mode,
    the net number who would join it (prefer it minus use it) beyond one
    traveller (who cannot be split: in a small city one undecided traveller
    would otherwise hold the loop forever), over the number using it.

    >>> mode_imbalance(np.array([0, 0, 0, 0, 1]), np.array([0, 0, 1, 1, 1]))
    0.5
    >>> mode_imbalance(np.array([0, 0, 1]), np.array([0, 1, 1]))
    0.0
    """
    n = int(max(preferred.max(initial=0), current.max(initial=0))) + 1
    want = np.bincount(preferred, minlength=n)
    have = np.bincount(current, minlength=n)
    beyond_one = np.maximum(np.abs(want - have) - 1, 0)
    return float(np.max(beyond_one / np.maximum(have, 1), initial=0.0))
