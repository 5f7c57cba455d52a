"""Dynamic user equilibrium of routes, departure times and modes, by simulation.

The loop (simulation-based DUE with gap-based swapping, as in Lu, Mahmassani
& Zhou 2009, Transp. Res. B 43(3), and Sbayti, Lu & Mahmassani 2007, TRR 2029;
UXsim's ``SolverDUE`` is a close relative):

1. **Simulate** the day's plan in the queue kernel; read the experienced time
   of every link and movement (link into next link) by interval of *entry*
   (:func:`~twincity.traffic.linkcosts.movement_times_s`); a cell few
   simulated vehicles saw is shrunk toward its link's mean (credibility
   weights ``MOVEMENT_PRIOR_VEH``, ``LINK_PRIOR_VEH``), so one
   vehicle's luck at a signal is not read as everyone's expected time.
2. **Column generation**: each road vehicle's *route memory*
   (:class:`~twincity.traffic.routememory.RouteMemory`, at most
   :data:`~twincity.traffic.routememory.ROUTES_PER_TRAVELLER` routes in one
   CSR pool) gains the time-dependent best path from its current departure.
3. **Score** every remembered route × departure shift by walking it through
   those times (:func:`~twincity.traffic.tdroutes.score_alternatives`): link
   times interpolated in the entry time, the toll in force at each link entry,
   and for people the schedule delay against their preferred arrival (Vickrey
   1969; Small 1982 weights, ``EARLY_WEIGHT``, ``LATE_WEIGHT``).
   Trucks keep their departure and choose routes only.
4. **Relative gap** (below) of the day's plan.
5. **Swap** (gap-proportional, decaying step): a vehicle whose best alternative
   beats its plan by more than the indifference band moves to it with
   probability ``λ_d · min(1, g_i / G)``, ``g_i`` its relative excess cost,
   ``G`` = ``FULL_SWAP_GAP``, ``λ_d`` = ``swap_step``; the draw is
   keyed by (seed, vehicle, day).
6. **Mode choice** in the same loop on frozen individual Gumbel errors
   (:mod:`twincity.draws`) and skims from smoothed link times: a traveller
   whose best mode differs from her current one moves with probability
   ``max(λ_d, MODE_STEP_FLOOR)``.

**Relative gap** = Σ_i max(0, c_i − b_i − ε) / Σ_i c_i over road vehicles:
``c_i`` is the experienced generalised cost (s) of vehicle ``i``'s chosen
route and departure, ``b_i`` the least cost over its route memory (which
includes the day's time-dependent best path) × departure shifts, and ``ε``
the cost resolution of a sampled simulation (``indifference_s``: one
simulated vehicle's headway in a lane, 40 s at a 5% sample) — the
indifference band of a boundedly rational equilibrium (Mahmassani & Chang
1987). **Converged** when the gap is at most ``simulation.equilibrium_gap``
and has levelled off (fallen by less than ``LEVEL_DROP`` over the last
``LEVEL_DAYS`` days, or below half the target: a loop still falling fast
stops mid-transient, where its KPIs still move), and no mode's net
imbalance (travellers who would join it minus those who would leave it, over
its users) exceeds ``MODE_IMBALANCE_TOLERANCE``, on ``CONSECUTIVE``
consecutive days; otherwise the run stops at
``simulation.equilibrium_days`` and says so (a warning, the notes,
``converged: false`` in ``summary.json``).

**Paired arms** (:meth:`DynamicEquilibrium.resume`): both arms of a paired
experiment continue from the same reference plan (the city as it is,
equilibrated) with the same keyed draws: the changed arm until it meets the
criteria (``n`` days), the *control* (the reference's own settings) for exactly
those ``n`` days (``run(days=n)``). Both relax the reference's residual
disequilibrium alike, so their difference is the change's effect. Comparing
the changed arm with the reference itself is biased: at a gap of 0.02 each
continued day still lowers delay (Singapore, seed 3: the control's total delay
fell 2.6% in 14 continued days), so the arm that ran on looked better:
against the reference, ERP "raised" Singapore's delay by 1.8–2.9% with the
reference as it is and by 0.0–0.2% the other way round; against a control,
−0.86% and +0.66% (seed 3, 2026-12-03, ``benchmarks/equilibrium/pairing.py``).

Road-pricing reviews (LTA's quarterly review) act only between equilibrated
states, up to the authority's ``review_rounds`` times, each followed by
equilibration again. The reported day is the final plan simulated once more:
kernel tie-breaking is keyed by (node, tick), so it reproduces the last day.

The travellers' rules and the stopping criteria (departure shifts, schedule-delay
weights, swap and mode steps, credibility weights, tolerances) live in
:mod:`twincity.traffic.duerules`.
"""

from __future__ import annotations

import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from twincity import draws
from twincity.city.network import route_turns
from twincity.operators import ReviewState
from twincity.traffic.duerules import (
    COLUMN_WINDOW_S,
    CONSECUTIVE,
    DEPARTURE_SHIFTS_S,
    EARLY_WEIGHT,
    FULL_SWAP_GAP,
    LATE_WEIGHT,
    LEVEL_DAYS,
    LEVEL_DROP,
    LINK_PRIOR_VEH,
    MODE_IMBALANCE_TOLERANCE,
    MODE_STEP_FLOOR,
    MOVEMENT_PRIOR_VEH,
    SMOOTHING_FLOOR,
    gap_levelled,
    indifference_s,
    mode_imbalance,
    swap_step,
)
from twincity.traffic.linkcosts import (
    by_slot,
    entry_times_s,
    movement_times_s,
    slot_times_s,
)
from twincity.traffic.modechoice import CAR, choose_by_errors
from twincity.traffic.planstate import PlanState, topology_key
from twincity.traffic.routememory import RouteMemory, route_hashes
from twincity.traffic.routes import Routes, take_routes
from twincity.traffic.tdroutes import score_alternatives, td_best_routes

if TYPE_CHECKING:
    from twincity.traffic.plan import TrafficPlan
    from twincity.traffic.simulation import TrafficSim

@dataclass
class DayRecord:
    """What one simulated day of the equilibration showed."""

    day: int
    relative_gap: float
    car_trips: int
    mean_car_time_s: float
    link_time_s: np.ndarray  # [slot, link], experienced
    flow_veh: np.ndarray | None = None  # vehicles leaving each link per slot [slot, link]
    mode_gap: float = 0.0  # share of travellers preferring another mode
    mode_imbalance: float = 0.0  # largest relative net imbalance of a mode (the criterion)
    gap_levelled: bool = False  # the gap has stopped falling fast (duerules.gap_levelled)
    departure_shift_mean_s: float = 0.0
    route_swaps: int = 0
    mode_swaps: int = 0
    review: bool = False  # the authority revised its settings after this day


@dataclass
class EquilibriumReport:
    """Whether and how the equilibration ended."""

    converged: bool
    relative_gap: float
    mode_gap: float
    mode_imbalance: float
    iterations: int
    reviews: int
    target_gap: float
    #: Days of the reference arm's equilibration this one continued from (None: a cold start).
    continued_from_day: int | None = None
    #: Whether the last day's gap had levelled off (see ``duerules.LEVEL_DROP``).
    gap_levelled: bool = True
    notes: list[str] = field(default_factory=list)

    def record(self) -> dict:
        """JSON-ready summary (goes into ``summary.json``)."""
        return {"converged": self.converged, "relative_gap": self.relative_gap,
                "mode_gap": self.mode_gap, "mode_imbalance": self.mode_imbalance,
                "iterations": self.iterations,
                "reviews": self.reviews, "target_gap": self.target_gap,
                "gap_levelled": self.gap_levelled,
                "continued_from_day": self.continued_from_day}


class DynamicEquilibrium:
    """Equilibrates a :class:`~twincity.traffic.subsystem.TrafficSubsystem`'s plan in place.

    The subsystem owns the population arrays (trips, modes, route book,
    departures); this class owns the day-to-day state (route memory, chosen
    alternative, smoothed times) and the loop. ``run()`` leaves the subsystem
    with its equilibrated plan and returns an :class:`EquilibriumReport`.
    """

    def __init__(self, traffic: TrafficPlan,
                 shifts_s: np.ndarray = DEPARTURE_SHIFTS_S) -> None:
        """Empty day-to-day state for ``traffic``'s entries; ``shifts_s``: departure shifts (s)."""
        self.ts = traffic
        t = traffic
        self.seed = t.context.seed
        spec = t.context.city.spec.simulation
        self.target_gap = spec.equilibrium_gap
        self.max_days = spec.equilibrium_days
        self.interval_s = spec.interval_s
        self.band_s = indifference_s(spec.sample_share)
        self.n_people = t.layout.n_people
        n = t.layout.n
        self.memory = RouteMemory(t.net, n)
        self.chosen = np.zeros(n, dtype=np.int64)  # slot in the memory
        self.shifts_s = np.asarray(shifts_s, dtype=np.float64)
        self.shift = np.full(n, self._zero_shift, dtype=np.int64)
        self.preferred_arrival_s = np.full(n, np.nan)
        #: Each entry's excess cost (s) and each traveller's preferred mode on the last day.
        self.excess_s = np.full(n, np.nan)
        self.preferred_mode = np.full(self.n_people, -1, dtype=np.int8)
        self.toll_initial = np.array(traffic.authority.toll_schedule, dtype=np.float64)
        self.days_done = 0  # days simulated, counting a continued arm's reference days
        self.reviews = 0  # review rounds the authority has made (a continued arm inherits them)
        self.time_s: dict[str, float] = {}  # wall time per phase of the loop
        #: Work done, independent of the machine's load: time-dependent trees grown,
        #: nodes they settled, route × departure walks scored (and candidate walks
        #: skipped because the vehicle already remembered the path).
        self.counts: dict[str, int] = {}
        self.smoothed: np.ndarray | None = None  # [slot, link]
        self.link_iv: np.ndarray | None = None  # [interval, link] by entry, the last day
        self.movement_iv: np.ndarray | None = None  # [interval, link, movement], the last day
        self.score_iv: np.ndarray | None = None  # what routes are scored on (the last day)
        self.depart_wait_iv: np.ndarray | None = None  # [interval, link] wait to enter

    # ------------------------------------------------------------ alternatives
    def departure_of(self, idx: np.ndarray, shift: np.ndarray) -> np.ndarray:
        """Departure (s from the start of the run) of entries ``idx`` at shift indices."""
        t = self.ts
        dep = t.desired_s[idx] - t.start_s
        people = t.layout.is_person(idx)
        dep = dep + np.where(people, self.shifts_s[shift], 0.0)
        return np.clip(dep, 0.0, t.duration_s - 1.0)

    def _toll_cost_s(self) -> np.ndarray:
        a = self.ts.authority
        return a.toll_schedule * (3600.0 / self.ts.vot)

    def score(self, idx: np.ndarray, times_iv: np.ndarray, candidate: Routes | None = None,
              cand_hash: np.ndarray | None = None):
        """Current cost, best cost, best alternative and eviction slot of entries ``idx``.

        See :func:`~twincity.traffic.tdroutes.score_alternatives`: alternatives
        are ``route slot * n_shifts + shift``, slot ``k`` being ``candidate``'s
        route of the entry (a new path not yet remembered; one the entry already
        remembers is not walked twice). ``cand_hash``: the candidates'
        fingerprints, if computed.
        """
        t = self.ts
        if candidate is None:
            cs, cl = np.zeros(len(idx) + 1, np.int64), np.zeros(0, np.int32)
            ct = np.zeros(0, np.int8)
            known = np.zeros(len(idx), dtype=bool)
        else:
            cs, cl = candidate.start, candidate.links
            ct = route_turns(t.net, cs, cl)
            known = self.memory.known_slot(idx, candidate, cand_hash) >= 0
        shifts = np.where(t.layout.is_person(idx), len(self.shifts_s), 1)
        walks = (self.memory.route_id[idx] >= 0).sum(axis=1) + ((np.diff(cs) > 0) & ~known)
        self.counts["route walks"] = self.counts.get("route walks", 0) + int(
            np.dot(walks, shifts))
        self.counts["remembered candidates not walked"] = self.counts.get(
            "remembered candidates not walked", 0) + int(np.dot(known, shifts))
        return score_alternatives(
            self.memory.start, self.memory.links, self.memory.turns, self.memory.route_id[idx],
            cs, cl, ct, t.desired_s[idx] - t.start_s, self.shifts_s, t.layout.is_person(idx),
            self.preferred_arrival_s[idx] - t.start_s, self.chosen[idx], self.shift[idx],
            times_iv, self.depart_wait_iv, float(self.interval_s), self._toll_cost_s(),
            float(t.authority.toll_slot_s), EARLY_WEIGHT, LATE_WEIGHT, float(t.duration_s),
            cand_known=known)

    @property
    def _zero_shift(self) -> int:
        return int(np.argmin(np.abs(self.shifts_s)))

    # ------------------------------------------------------------ book keeping
    def _sync_book(self) -> None:
        """The subsystem's route book and departures from the chosen alternatives."""
        t = self.ts
        n = len(self.chosen)
        rid = self.memory.route_id[np.arange(n), self.chosen]
        t.book = self.memory.routes(rid)
        t.departure_s = t.start_s + self.departure_of(np.arange(n), self.shift)

    def seed_routes(self, road: np.ndarray) -> None:
        """Put the subsystem's current book routes (warm start) into the memory, chosen."""
        self.seed_routes_from(road, take_routes(self.ts.book, road))

    def seed_routes_from(self, entries: np.ndarray, routes: Routes) -> None:
        """Remember ``routes`` (one per entry) and make them the entries' choice."""
        slot = self.memory.add(entries, routes, evict=np.zeros(len(entries), dtype=np.int64))
        ok = slot >= 0
        self.chosen[entries[ok]] = slot[ok]
        self._set_preferred_arrival(entries, routes)

    def _set_preferred_arrival(self, entries: np.ndarray, routes: Routes) -> None:
        """Preferred arrival (once known): desired departure + free-flow time of ``routes``."""
        ff = np.bincount(np.repeat(np.arange(len(entries)), np.diff(routes.start)),
                         weights=self.ts.net.free_flow_s[routes.links], minlength=len(entries))
        new = np.isnan(self.preferred_arrival_s[entries]) & routes.ok
        self.preferred_arrival_s[entries[new]] = self.ts.desired_s[entries[new]] + ff[new]

    # ------------------------------------------------------------ one day
    def _experienced(self, sim: TrafficSim) -> tuple[np.ndarray, np.ndarray]:
        """Interval and slot link times of a simulated day."""
        t = self.ts
        cap = t.planning_network().capacity_vph
        kw = dict(free_flow_s=t.net.free_flow_s, capacity_vph=cap)
        exit_iv = slot_times_s(sim.travel_time_sum_s, sim.outflow_veh, sim.queue_veh,
                               intervals_per_slot=1, **kw)
        turn_veh = sim.turn_veh
        iv = entry_times_s(sim.turn_time_sum_s.sum(axis=2), turn_veh.sum(axis=2),
                           free_flow_s=t.net.free_flow_s, fallback_s=exit_iv,
                           prior_veh=LINK_PRIOR_VEH)
        self.movement_iv = movement_times_s(sim.turn_time_sum_s, turn_veh, link_times_s=iv,
                                            prior_veh=MOVEMENT_PRIOR_VEH)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.depart_wait_iv = np.where(sim.depart_veh > 0,
                                           sim.depart_wait_sum_s / sim.depart_veh, 0.0)
        per = max(1, round(t.slot_s / sim.interval_s))
        slot = slot_times_s(sim.travel_time_sum_s, sim.outflow_veh, sim.queue_veh,
                            intervals_per_slot=per, **kw)
        t.flows_by_slot = by_slot(sim.outflow_veh.astype(np.float64), per)[: t.n_slots].sum(
            axis=1)
        return iv, slot[: t.n_slots]

    @contextmanager
    def _clock(self, phase: str):
        """Add the wall time of the block to ``time_s[phase]`` (where the time goes)."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.time_s[phase] = self.time_s.get(phase, 0.0) + time.perf_counter() - t0

    def _entries(self, sim: TrafficSim) -> np.ndarray:
        """Vehicles entering each link per routing slot ``[slot, link]`` on a simulated day."""
        t = self.ts
        per = max(1, round(t.slot_s / sim.interval_s))
        return by_slot(sim.inflow_veh.astype(np.float64), per)[: t.n_slots].sum(axis=1)

    def _gap(self, current: np.ndarray, best: np.ndarray) -> float:
        """Relative gap Σ max(0, c − b − ε) / Σc over entries with finite costs (ε: the band)."""
        ok = np.isfinite(current) & np.isfinite(best)
        total = float(current[ok].sum())
        excess = np.maximum(0.0, current[ok] - best[ok] - self.band_s)
        return float(excess.sum() / total) if total > 0 else 0.0

    def run(self, progress: bool = False, start: PlanState | None = None,
            days: int | None = None) -> EquilibriumReport:
        """Equilibrate the subsystem's plan (see the module docstring).

        With ``start`` (a reference arm's :class:`~twincity.traffic.planstate.PlanState`),
        continue from that equilibrated plan instead of the warm start: the
        day count, and with it the swap step and the keyed draws, carries on
        from the reference's. With ``days`` (a paired control arm), run exactly
        that many days, with no early stop and no pricing review (the
        reference's reviews stand); ``converged`` then says whether the
        criteria held on its last day.
        """
        from tqdm.auto import tqdm

        t = self.ts
        first_day = 0
        if start is not None:
            first_day = self.resume(start)
        else:
            self.seed_routes(t.road_vehicles())
        reviews0 = self.reviews
        self._sync_book()
        d_shifts = len(self.shifts_s)
        streak, reviews, converged = 0, reviews0, False
        record: DayRecord | None = None
        n_days = self.max_days if days is None else days
        bar = tqdm(total=n_days, desc="equilibrium", unit="day", disable=not progress,
                   leave=False)
        with bar:
            for i in range(n_days):
                day = first_day + i  # sets the swap step and keys the day's draws
                self.days_done = day + 1
                with self._clock("kernel"):
                    sim = t.make_sim()
                    sim.run()
                    link_iv, link_slot = self._experienced(sim)
                # mode choice sees link times smoothed over days (MSA, floored weight)
                w = max(1.0 / (day + 1), SMOOTHING_FLOOR)
                self.smoothed = link_slot if self.smoothed is None else (
                    self.smoothed + w * (link_slot - self.smoothed))
                self.link_iv, self.score_iv = link_iv, self.movement_iv
                road = t.road_vehicles()
                # column generation: the time-dependent best path from today's departure
                o, dst, _ = t.book_od(road)
                dep = self.departure_of(road, self.shift[road])
                with self._clock("column generation"):
                    best_path = td_best_routes(t.net, self.link_iv, self.interval_s,
                                               self._toll_cost_s(), t.authority.toll_slot_s,
                                               o, dst, dep, window_s=COLUMN_WINDOW_S,
                                               stats=self.counts)
                with self._clock("scoring"):
                    h = route_hashes(best_path.start, best_path.links)
                    cur, best, best_alt, evict = self.score(road, self.score_iv, best_path, h)
                # remember the day's path (in the worst slot); a best alternative on it
                # moves to the slot it took
                slot = self.memory.add(road, best_path, evict, hashes=h)
                on_new = best_alt // d_shifts == self.memory.k
                best_alt[on_new] = slot[on_new] * d_shifts + best_alt[on_new] % d_shifts
                gap = self._gap(cur, best)
                with self._clock("mode choice"):
                    preferred = t.preferred_modes(t.skims_by_slot(self.smoothed))
                self.excess_s[:] = np.nan
                self.excess_s[road] = cur - best
                self.preferred_mode = preferred
                unhappy = np.flatnonzero(preferred != t.mode)
                mode_gap = len(unhappy) / max(1, self.n_people)
                imbalance = mode_imbalance(preferred, t.mode)
                # t.days holds this run's days only (a continued arm starts its own list)
                levelled = gap_levelled([*(d.relative_gap for d in t.days), gap],
                                        self.target_gap)
                tt = sim.state.arrive_s - sim.departure_s
                record = DayRecord(
                    day=i, relative_gap=gap, car_trips=int(np.sum(t.mode == CAR)),
                    mean_car_time_s=float(np.nanmean(tt)) if len(tt) else np.nan,
                    link_time_s=link_slot, flow_veh=t.flows_by_slot, mode_gap=mode_gap,
                    mode_imbalance=imbalance, gap_levelled=levelled,
                    departure_shift_mean_s=float(np.mean(self.shifts_s[self.shift[road]]
                                                         * t.layout.is_person(road))))
                t.days.append(record)
                bar.update(1)
                bar.set_postfix(gap=f"{gap:.4f}", modes=f"{imbalance:.4f}")
                met = (gap <= self.target_gap and imbalance <= MODE_IMBALANCE_TOLERANCE
                       and levelled)
                streak = streak + 1 if met else 0
                if days is not None:  # a control: its changed arm's days, no stop or review
                    converged = met  # a fixed-length run: its end must be an equilibrium
                elif streak >= CONSECUTIVE:
                    # the authority reviews between equilibrated states (LTA's quarterly
                    # review); a changed setting means equilibrating again under it
                    last = i == n_days - 1  # no days left to re-equilibrate
                    if not last and reviews < t.authority.review_rounds and t.authority.review(
                            ReviewState(
                                round=reviews, link_time_s=link_slot,
                                flow_veh=self._entries(sim), slot_s=t.slot_s, relative_gap=gap)):
                        reviews += 1
                        self.reviews = reviews
                        record.review = True
                        streak = 0
                    else:
                        converged = True
                        break
                if i == n_days - 1:
                    break
                record.route_swaps, record.mode_swaps = self._swap(
                    day, road, cur, best, best_alt, preferred, unhappy)
                self._sync_book()
        rep = EquilibriumReport(
            converged=converged, relative_gap=record.relative_gap if record else float("nan"),
            mode_gap=record.mode_gap if record else float("nan"),
            mode_imbalance=record.mode_imbalance if record else float("nan"),
            iterations=len(t.days),
            reviews=reviews - reviews0, target_gap=self.target_gap,
            continued_from_day=first_day if start is not None else None,
            gap_levelled=record.gap_levelled if record else False)
        if not converged:
            how = (f"control arm: its {days} continued days (as many as its changed arm took) "
                   "ended off equilibrium" if days is not None else
                   f"equilibrium NOT reached: stopped at the cap of {self.max_days} days")
            fix = "" if days is not None else "; raise simulation.equilibrium_days"
            falling = ("" if rep.gap_levelled else
                       f", too few days ({rep.iterations}) to tell it has levelled off"
                       if rep.iterations <= LEVEL_DAYS else
                       f", still falling (by more than {LEVEL_DROP:.0%} in {LEVEL_DAYS} days)")
            msg = (f"{how} with relative gap {rep.relative_gap:.4f} (target {self.target_gap})"
                   f"{falling} and a mode imbalance of {rep.mode_imbalance:.3%} (target "
                   f"{MODE_IMBALANCE_TOLERANCE:.2%}){fix}")
            warnings.warn(msg, RuntimeWarning, stacklevel=2)
            rep.notes.append(msg)
        else:
            since = ("" if start is None else
                     f" (continuing from the reference arm's plan, equilibrated in "
                     f"{first_day} days)")
            if days is not None:
                since += f"; a control arm, run for its changed arm's {days} days"
            rep.notes.append(
                f"equilibrium reached in {rep.iterations} days{since}: relative gap "
                f"{rep.relative_gap:.4f} ≤ {self.target_gap} and levelled off, mode imbalance "
                f"{rep.mode_imbalance:.2%} ≤ {MODE_IMBALANCE_TOLERANCE:.2%} "
                f"({rep.mode_gap:.2%} of travellers preferring another mode); "
                f"{reviews - reviews0} road-pricing review(s)")
        return rep


    def _swap(self, day: int, road: np.ndarray, cur: np.ndarray, best: np.ndarray,
              best_alt: np.ndarray, preferred: np.ndarray,
              unhappy: np.ndarray) -> tuple[int, int]:
        """Move willing vehicles to their best alternative and travellers to their best mode.

        Gap-proportional route/departure swaps with the decaying step of
        ``day``, which also keys the draws; returns (route swaps, mode swaps).
        """
        t = self.ts
        d_shifts = len(self.shifts_s)
        step = swap_step(day)
        excess = cur - best
        ok = np.isfinite(cur) & np.isfinite(best) & (excess > self.band_s)
        rel = np.where(ok, excess / np.maximum(cur, 1e-9), 0.0)
        p = step * np.minimum(1.0, rel / FULL_SWAP_GAP)
        u = draws.uniform(self.seed, "route-swap", t.identity[road], day)
        move = np.flatnonzero(u < p)
        self.chosen[road[move]] = best_alt[move] // d_shifts
        self.shift[road[move]] = best_alt[move] % d_shifts
        # modes: frozen errors, smoothed skims, the decaying step but never below the floor
        um = draws.uniform(self.seed, "mode-swap", t.identity[unhappy], day)
        movers = unhappy[um < max(step, MODE_STEP_FLOOR)]
        was_car = t.mode[movers] == CAR
        t.mode[movers] = preferred[movers]
        self._give_routes(movers[(t.mode[movers] == CAR) & ~was_car])
        return len(move), len(movers)

    # ------------------------------------------------------------ paired arms
    def snapshot(self) -> PlanState:
        """The equilibrated plan, keyed by identity (what a paired arm continues from)."""
        t, m = self.ts, self.memory
        if m.n_routes:
            m._compact()
        return PlanState(
            identity=t.identity.copy(), origin_node=t.origin_node.astype(np.int64),
            dest_node=t.dest_node.astype(np.int64), desired_s=t.desired_s.copy(),
            n_people=self.n_people, mode=t.mode.copy(), route_id=m.route_id.copy(),
            route_hash=m.route_hash.copy(), start=m.start.copy(), links=m.links.copy(),
            turns=m.turns.copy(), chosen=self.chosen.copy(), shift=self.shift.copy(),
            preferred_arrival_s=self.preferred_arrival_s.copy(),
            smoothed_s=np.array(self.smoothed, dtype=np.float64),
            flows_by_slot=np.array(t.flows_by_slot, dtype=np.float64),
            toll_initial=self.toll_initial.copy(),
            toll_final=np.array(t.authority.toll_schedule, dtype=np.float64),
            reviews=self.reviews, days=self.days_done,
            topology=topology_key(t.net))

    def resume(self, state: PlanState) -> int:
        """Take over ``state``'s plan for every entry it holds; return the day to go on from.

        Entries the state lacks keep the warm start. A traveller whose
        reference mode is not available here (a car the policy bans) takes her
        best available mode at once; road vehicles without a route get the best
        path on the reference's smoothed times.
        """
        t, m = self.ts, self.memory
        if state.topology != topology_key(t.net):
            raise ValueError("the reference plan was made on another road topology; "
                             "a paired arm can continue only from the same network")
        n = len(self.chosen)
        src = state.matches(t.identity, t.origin_node, t.dest_node, t.desired_s)
        person = t.layout.is_person(np.arange(n))
        src[(src >= 0) & (person != (src < state.n_people))] = -1
        got = np.flatnonzero(src >= 0)
        m.start, m.links, m.turns = state.start.copy(), state.links.copy(), state.turns.copy()
        m.route_id[got], m.route_hash[got] = state.route_id[src[got]], state.route_hash[src[got]]
        self.chosen[got], self.shift[got] = state.chosen[src[got]], state.shift[src[got]]
        self.preferred_arrival_s[got] = state.preferred_arrival_s[src[got]]
        people = got[t.layout.is_person(got)]
        t.mode[people] = state.mode[src[people]]
        toll = t.authority.toll_schedule
        if toll.shape == state.toll_initial.shape:  # the same charge in force: as reviewed
            same = np.isclose(toll, state.toll_initial) & (state.toll_initial > 0)
            toll[same] = state.toll_final[same]
            if np.any(same & (state.toll_final != state.toll_initial)):
                self.reviews = state.reviews
        self.smoothed = state.smoothed_s.copy()
        t.flows_by_slot = state.flows_by_slot.copy()
        v = t.mode_utilities(t.skims_by_slot(self.smoothed))
        banned = ~np.isfinite(v[np.arange(self.n_people), t.mode])
        t.mode[banned] = choose_by_errors(v[banned], t.mode_errors()[banned])
        road = t.road_vehicles()
        lacking = road[m.route_id[road, self.chosen[road]] < 0]
        self.seed_routes(lacking)  # warm-start routes where the book has them
        lacking = lacking[m.route_id[lacking, self.chosen[lacking]] < 0]
        if len(lacking):
            self.shift[lacking] = self._zero_shift
            self.seed_routes_from(lacking, t.reroute(lacking, self.smoothed))
        return state.days

    def _give_routes(self, entries: np.ndarray) -> None:
        """Routes for travellers new to driving: their best remembered alternative, or a new path.

        Someone who never drove gets the time-dependent best path from her
        desired departure under the last day's times.
        """
        if len(entries) == 0:
            return
        t = self.ts
        need = entries[(self.memory.route_id[entries] < 0).all(axis=1)]
        if len(need):
            self.shift[need] = self._zero_shift
            o, dst, _ = t.book_od(need)
            dep = self.departure_of(need, self.shift[need])
            r = td_best_routes(t.net, self.link_iv, self.interval_s, self._toll_cost_s(),
                               t.authority.toll_slot_s, o, dst, dep, stats=self.counts)
            self.memory.add(need, r, evict=np.zeros(len(need), dtype=np.int64))
            self._set_preferred_arrival(need, r)
        _, _, best_alt, _ = self.score(entries, self.score_iv)
        ok = best_alt >= 0
        d = len(self.shifts_s)
        self.chosen[entries[ok]] = best_alt[ok] // d
        self.shift[entries[ok]] = best_alt[ok] % d
