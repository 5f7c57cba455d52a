"""Numba kernel of the mesoscopic queue model (the MATSim-QSim family).

The whole simulation state lives in :class:`KernelState`, a named tuple of
numpy arrays built by :class:`twincity.traffic.simulation.TrafficSim`; this
module only holds the jitted functions that advance it. One call of
:func:`advance_ticks` runs many ticks, so Python overhead is paid once per call.

Model, per tick ``k`` (time ``k·tick_s``):

1. *Release*: trips whose departure tick (``ceil(departure_s / tick_s)``) is
   ``k`` join the departure buffer of their first link (FIFO by departure).
2. *Nodes*: every link whose head vehicle is due (its earliest exit tick has
   come and the link has flow credit) or that is blocked and whose downstream
   link released a vehicle last tick is served by its downstream node, along
   with the node's other blocked incoming links. A node
   serves its due incoming links one after the other in a random order drawn
   with weights proportional to their current capacity (QSim's fair node
   logic); each link moves head vehicles while it has credit and the head can
   go on: it arrives (leaves the network, using outflow capacity but no
   downstream storage) or enters its next link if that link's occupancy is
   below its storage capacity (spillback). A link whose capacity is zero
   (``green_share`` 0) passes nobody, banked credit included.
3. *Entry*: departure buffers move vehicles into their first link while it has
   storage; a departing vehicle starts at the link's upstream end and
   traverses it.
4. At an interval end, occupancy integrals are closed and queue lengths taken.

Link travel time: a vehicle entering a link at tick ``k`` may leave it no
earlier than ``k + max(1, round(t / tick_s))`` where ``t`` is the free-flow
time, or, with the Greenshields option (``speed_model = SPEED_GREENSHIELDS``),
``free_flow_s / max(min_speed_ratio, 1 - occupancy / storage)`` using the
occupancy met at entry.

Flow capacity: each link accrues ``capacity_vph · green_share · tick_s / 3600``
credit per tick, one vehicle uses one unit. As in QSim, credit only grows while
below one, so the fractional remainder is carried between ticks but an idle
link cannot bank capacity beyond one vehicle plus one tick. Accrual is lazy
(settled when a link is touched), so idle links cost nothing.

Gridlock ("squeeze", QSim's default ``stuckTime``): a head vehicle that has
been ready and blocked by downstream storage for ``stuck_ticks`` ticks is
moved into its next link anyway, above storage; its trip is flagged ``stuck``
and a global counter increments. A squeeze needs physical room in the next
link's ring buffer (twice the storage rounded up, + :data:`RING_SLACK`); if
even that is full, the vehicle is removed from the network (MATSim's
``removeStuckVehicles``): its trip ends ``aborted``, never ``arrived``, so a
gridlock dissolves instead of freezing the rest of the day. Vehicles in a departure buffer are never
squeezed; they wait for storage.

Tolls: ``toll_schedule[slot, link]`` is charged when a vehicle enters a link
(its first link included), slot ``floor(t / toll_slot_s)`` clamped to the last
row; it adds to the trip's ``toll_paid`` and the link's interval revenue.

Emissions (optional): when a vehicle leaves a link after traversal time ``T``,
its speed bin is ``floor(3.6 · length / T)`` (km/h, clamped to the table) and
``ef_g_per_m[class, :, bin] · length`` is added to ``link_emis_g`` of the exit
interval; pollutant ``energy_index`` (if >= 0) also to the trip's ``trip_energy``.

Per link and interval: entries, exits, the sum of the traversal times of the
exits, the occupancy integral (veh·s), toll revenue, and the queue at the
interval end (vehicles whose earliest exit tick has passed). Per trip: entry
and arrival times, distance (links completed), tolls, stuck flag, state.

Cost is per link transition: a calendar (ring of buckets by tick, linked lists
of links) wakes a link when its head vehicle becomes ready or its credit
reaches one; a blocked link sits in a list and is served again the tick after
its downstream link has released a vehicle, when its stuck time is up, or
whenever another incoming link of its node is served (so that it competes);
per-link FIFO queues are ring buffers sized by storage. What does cost per tick
is a cheap scan of the blocked links and of the links with waiting departures,
so a gridlocked network runs slower per transition than a flowing one.

Not modelled (known simplifications): no lanes or turn pockets within a link,
no "holes" travelling back upstream (QSim's optional kinematic-waves mode), no
inflow capacity; space freed at a node may be used in the same tick or the
next depending on the order in which nodes are served (as in QSim); vehicles
start at the upstream end of their first link and leave at the end of their
last one.

Randomness: when a node has more than one due link, the order is drawn from a
counter-based hash of (seed key ``rng[0]``, node, tick, draw) — no advancing
state — so two runs that differ somewhere else in the city (a policy arm) make
the same draws at every node and tick where their states agree (common random
numbers, :mod:`twincity.draws`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from twincity.draws import hash_u01

#: Tolerance on flow credit (credit counts as one vehicle from ``1 - EPS``).
EPS = 1e-9
#: Extra ring-buffer slots per link beyond ``ceil(storage)`` for squeezed vehicles.
RING_SLACK = 8

# ``where`` of a link: what holds it at the moment.
IDLE = 0  # empty, not scheduled
SCHEDULED = 1  # in the calendar at sched_tick
BLOCKED = 2  # in the blocked list, retried when its downstream link changes
DUE = 3  # being served this tick
PARKED = 4  # has vehicles but zero capacity: waits for a capacity change

# Trip states.
PLANNED = 0
WAITING = 1
EN_ROUTE = 2
ARRIVED = 3
ABORTED = 4  # removed from a gridlock with no room left to squeeze into
STATE_NAMES = ("planned", "waiting", "en_route", "arrived", "aborted")

# Indices into ``counters`` (int64).
C_DEPARTED = 0
C_ARRIVED = 1
C_WAITING = 2
C_EN_ROUTE = 3
C_STUCK = 4
C_NOW = 5  # next tick to simulate (= ticks done)
C_GPTR = 6  # next trip (in departure order) to release
C_NBLOCKED = 7
C_NPEND = 8
C_TRANSITIONS = 9  # link entries, departures included
C_ABORTED = 10
N_COUNTERS = 11

# Indices into ``fparams`` (float64) and ``iparams`` (int64).
F_TICK_S = 0
F_MIN_SPEED_RATIO = 1
F_TOLL_SLOT_S = 2
N_FPARAMS = 3
I_TICKS_PER_INTERVAL = 0
I_N_INTERVALS = 1
I_STUCK_TICKS = 2
I_SPEED_MODEL = 3
I_ENERGY_INDEX = 4
I_HORIZON_TICKS = 5
I_HAS_EF = 6
N_IPARAMS = 7

# Codes of ``iparams[I_SPEED_MODEL]``: the index in twincity.vocab.SPEED_MODELS.
SPEED_FREE_FLOW = 0
SPEED_GREENSHIELDS = 1


class KernelState(NamedTuple):
    """All arrays of one simulation (see ``TrafficSim`` for how they are built)."""

    # --- links: constant during a call
    link_to: np.ndarray  # int32[L]
    length_m: np.ndarray  # float64[L]
    free_flow_s: np.ndarray  # float64[L]
    ff_ticks: np.ndarray  # int32[L]
    storage_veh: np.ndarray  # float64[L]
    cpt: np.ndarray  # float64[L] capacity per tick in force
    cpt_new: np.ndarray  # float64[L] capacity per tick requested for the next call
    toll_schedule: np.ndarray  # float64[S, L]
    ef_g_per_m: np.ndarray  # float32[C, P, B] (1x1x1 zeros when off)
    # --- links: dynamic
    ring: np.ndarray  # int32[sum ring_cap] trip ids
    ring_off: np.ndarray  # int64[L]
    ring_cap: np.ndarray  # int32[L]
    ring_head: np.ndarray  # int32[L]
    ring_len: np.ndarray  # int32[L] = occupancy (vehicles on the link)
    credit: np.ndarray  # float64[L]
    credit_last: np.ndarray  # int64[L] tick up to which credit is settled
    where: np.ndarray  # int8[L]
    sched_tick: np.ndarray  # int64[L]
    cal_next: np.ndarray  # int32[L]
    bucket: np.ndarray  # int32[W], W a power of two
    block_since: np.ndarray  # int64[L], -1 when not blocked
    occ_last: np.ndarray  # int64[L] tick up to which occupancy is integrated
    blocked: np.ndarray  # int32[L] list of blocked links
    blocked_on: np.ndarray  # int32[L] downstream link a blocked link waits for
    block_try: np.ndarray  # int64[L] tick of a blocked link's last failed attempt
    exit_tick: np.ndarray  # int64[L] tick of the last exit from the link
    blk_flag: np.ndarray  # int8[L] 1 while the link is in the blocked list
    in_start: np.ndarray  # int32[N+1] CSR of incoming links by node
    in_link: np.ndarray  # int32[E]
    due_next: np.ndarray  # int32[L]
    node_due_head: np.ndarray  # int32[N]
    active_nodes: np.ndarray  # int32[N]
    scratch_link: np.ndarray  # int32[max in-degree]
    scratch_w: np.ndarray  # float64[max in-degree]
    pend: np.ndarray  # int32[L] links with waiting departures
    pend_flag: np.ndarray  # int8[L]
    dep_off: np.ndarray  # int64[L+1] CSR of trips by first link
    dep_ptr: np.ndarray  # int64[L] next trip of the segment to enter
    dep_order: np.ndarray  # int32[T'] trips by (first link, departure)
    # --- per link per interval outputs
    inflow_veh: np.ndarray  # int32[I, L]
    outflow_veh: np.ndarray  # int32[I, L]
    travel_time_sum_s: np.ndarray  # float64[I, L] by interval of exit
    turn_time_sum_s: np.ndarray  # float64[I, L, D] the same by entry interval and movement
    turn_veh: np.ndarray  # int32[I, L, D] vehicles that left, by entry interval and movement
    depart_wait_sum_s: np.ndarray  # float64[I, L] wait to enter the first link, by departure
    depart_veh: np.ndarray  # int32[I, L] vehicles that entered their first link, by departure
    occupancy_veh_s: np.ndarray  # float64[I, L]
    queue_veh: np.ndarray  # int32[I, L]
    toll_revenue: np.ndarray  # float64[I, L]
    link_emis_g: np.ndarray  # float32[I, L, P] (I x L x 0 when off)
    # --- trips
    dep_tick: np.ndarray  # int64[T]
    gorder: np.ndarray  # int32[T] trips by departure tick
    route_start: np.ndarray  # int64[T+1]
    route_links: np.ndarray  # int32[R]
    route_turn: np.ndarray  # int8[R] movement at the end of each route link (see city.network)
    veh_class: np.ndarray  # int8[T]
    pos: np.ndarray  # int32[T] index of the current link within the route
    ready_tick: np.ndarray  # int32[T] earliest exit tick from the current link
    link_enter_tick: np.ndarray  # int32[T]
    enter_s: np.ndarray  # float32[T] (NaN before entry)
    arrive_s: np.ndarray  # float32[T] (NaN before arrival)
    distance_m: np.ndarray  # float32[T]
    toll_paid: np.ndarray  # float32[T]
    trip_energy: np.ndarray  # float32[T]
    state: np.ndarray  # int8[T]
    stuck: np.ndarray  # int8[T]
    # --- misc
    rng: np.ndarray  # uint64[1]
    counters: np.ndarray  # int64[N_COUNTERS]
    fparams: np.ndarray  # float64[N_FPARAMS]
    iparams: np.ndarray  # int64[N_IPARAMS]


# ----------------------------------------------------------------- helpers
# Helpers take arrays as explicit arguments: reading arrays out of the named
# tuple inside hot loops costs a reference-count update per access in numba.


@njit(cache=True, error_model="numpy", inline="always")
def _settle_credit(credit, credit_last, cpt, lk, k):
    """Accrue link ``lk``'s flow credit up to tick ``k`` (grows only while < 1)."""
    last = credit_last[lk]
    if k > last:
        c = credit[lk]
        r = cpt[lk]
        if c < 1.0 - EPS and r > 0.0:
            need = math.ceil((1.0 - EPS - c) / r)
            credit[lk] = c + min(k - last, need) * r
        credit_last[lk] = k


@njit(cache=True, error_model="numpy", inline="always")
def _schedule(lk, k_min, ready, credit, credit_last, cpt, where, sched_tick, cal_next, bucket):
    """Put non-empty link ``lk`` (head ready at ``ready``, credit settled) in the calendar."""
    c = credit[lk]
    if c >= 1.0 - EPS:
        t_credit = credit_last[lk]
    elif cpt[lk] <= 0.0:
        where[lk] = PARKED
        return
    else:
        t_credit = credit_last[lk] + math.ceil((1.0 - EPS - c) / cpt[lk])
    t = max(ready, t_credit, k_min)
    b = t & (len(bucket) - 1)
    cal_next[lk] = bucket[b]
    bucket[b] = lk
    sched_tick[lk] = t
    where[lk] = SCHEDULED


@njit(cache=True, error_model="numpy", inline="always")
def _link_ticks(speed_model, min_speed_ratio, tick_s, occ, lk, free_flow_s, ff_ticks,
                storage_veh):
    """Ticks a vehicle entering link ``lk`` behind ``occ`` others needs to reach its end.

    ``SPEED_FREE_FLOW``: the free-flow time (delay comes from queues only).
    ``SPEED_GREENSHIELDS``: the free-flow time over ``max(min_speed_ratio, 1 − occ /
    storage)``, Greenshields' (1935) linear speed–density relation.
    """
    if speed_model == SPEED_GREENSHIELDS:
        ratio = max(min_speed_ratio, 1.0 - occ / storage_veh[lk])
        return max(1, int(free_flow_s[lk] / ratio / tick_s + 0.5))
    return ff_ticks[lk]


@njit(cache=True, error_model="numpy")
def _enter_link(trip, lk, k, iv, fparams, iparams, free_flow_s, ff_ticks, storage_veh, ring,
                ring_off, ring_cap, ring_head, ring_len,
                ready_tick, link_enter_tick, inflow_veh, occupancy_veh_s, occ_last,
                toll_schedule, toll_paid, toll_revenue,
                credit, credit_last, cpt, where, sched_tick, cal_next, bucket):
    """Vehicle of ``trip`` enters link ``lk`` at tick ``k`` (storage checked by caller)."""
    tick_s = fparams[F_TICK_S]
    occ = ring_len[lk]
    occupancy_veh_s[iv, lk] += occ * (k - occ_last[lk]) * tick_s
    occ_last[lk] = k
    slot = ring_head[lk] + occ
    if slot >= ring_cap[lk]:
        slot -= ring_cap[lk]
    ring[ring_off[lk] + slot] = trip
    ring_len[lk] = occ + 1
    tt = _link_ticks(iparams[I_SPEED_MODEL], fparams[F_MIN_SPEED_RATIO], tick_s, occ, lk,
                     free_flow_s, ff_ticks, storage_veh)
    ready_tick[trip] = k + tt
    link_enter_tick[trip] = k
    inflow_veh[iv, lk] += 1
    s = int(k * tick_s / fparams[F_TOLL_SLOT_S])
    if s >= toll_schedule.shape[0]:
        s = toll_schedule.shape[0] - 1
    toll = toll_schedule[s, lk]
    if toll != 0.0:
        toll_paid[trip] += toll
        toll_revenue[iv, lk] += toll
    if where[lk] == IDLE:
        _settle_credit(credit, credit_last, cpt, lk, k)
        _schedule(lk, k + 1, k + tt, credit, credit_last, cpt, where, sched_tick, cal_next,
                  bucket)


@njit(cache=True, error_model="numpy")
def _close_interval(k_end, iv, tick_s, ring, ring_off, ring_cap, ring_head, ring_len,
                    ready_tick, occupancy_veh_s, occ_last, queue_veh):
    """Close interval ``iv`` at tick ``k_end``: occupancy integrals and queue lengths."""
    for lk in range(len(ring_len)):
        occ = ring_len[lk]
        occupancy_veh_s[iv, lk] += occ * (k_end - occ_last[lk]) * tick_s
        occ_last[lk] = k_end
        off = ring_off[lk]
        cap = ring_cap[lk]
        h = ring_head[lk]
        q = 0
        for j in range(occ):
            s = h + j
            if s >= cap:
                s -= cap
            if ready_tick[ring[off + s]] < k_end:
                q += 1
        queue_veh[iv, lk] = q


# ------------------------------------------------------------------ entry points
@njit(cache=True, error_model="numpy")
def rebuild_calendar(st):
    """Apply ``cpt_new`` (capacity changes between calls) and rebuild the calendar.

    Credit is first settled up to now with the capacity that was in force.
    """
    k = st.counters[C_NOW]
    credit, credit_last, cpt, where = st.credit, st.credit_last, st.cpt, st.where
    ring, ring_off, ring_head, ready_tick = st.ring, st.ring_off, st.ring_head, st.ready_tick
    for lk in range(len(cpt)):
        _settle_credit(credit, credit_last, cpt, lk, k)
        cpt[lk] = st.cpt_new[lk]
        if cpt[lk] <= 0.0:  # a closed link (red light) passes nobody, banked credit too
            credit[lk] = min(credit[lk], 0.0)
    st.bucket[:] = -1
    for lk in range(len(cpt)):
        if where[lk] == SCHEDULED or where[lk] == PARKED:
            head = ring[ring_off[lk] + ring_head[lk]]
            _schedule(lk, k, np.int64(ready_tick[head]), credit, credit_last, cpt, where,
                      st.sched_tick, st.cal_next, st.bucket)


def advance_ticks(st: KernelState, k_end: int) -> int:
    """Simulate ticks ``counters[C_NOW] .. k_end - 1``; return the link transitions done.

    Example: ``advance_ticks(sim.state, 3600)`` runs up to 1 h at 1 s ticks.
    """
    return _advance(*st, k_end)


@njit(cache=True, error_model="numpy")
def _advance(link_to, length_m, free_flow_s, ff_ticks, storage_veh, cpt, cpt_new,
             toll_schedule, ef_g_per_m, ring, ring_off, ring_cap, ring_head, ring_len, credit,
             credit_last, where, sched_tick, cal_next, bucket, block_since, occ_last, blocked,
             blocked_on, block_try, exit_tick, blk_flag, in_start, in_link,
             due_next, node_due_head, active_nodes, scratch_link, scratch_w, pend, pend_flag,
             dep_off, dep_ptr, dep_order, inflow_veh, outflow_veh, travel_time_sum_s,
             turn_time_sum_s, turn_veh, depart_wait_sum_s, depart_veh, occupancy_veh_s,
             queue_veh, toll_revenue, link_emis_g,
             dep_tick, gorder, route_start, route_links, route_turn, veh_class, pos, ready_tick,
             link_enter_tick, enter_s, arrive_s, distance_m, toll_paid, trip_energy, state,
             stuck, rng, counters, fparams, iparams, k_end):
    c = counters
    tick_s = fparams[F_TICK_S]
    tpi = iparams[I_TICKS_PER_INTERVAL]
    n_iv = iparams[I_N_INTERVALS]
    stuck_ticks = iparams[I_STUCK_TICKS]
    energy_index = iparams[I_ENERGY_INDEX]
    horizon = iparams[I_HORIZON_TICKS]
    has_ef = iparams[I_HAS_EF] != 0
    speed_model = iparams[I_SPEED_MODEL]
    min_speed_ratio = fparams[F_MIN_SPEED_RATIO]
    n_slots = toll_schedule.shape[0]
    mask = len(bucket) - 1
    n_trips = len(gorder)
    k0 = c[C_NOW]
    tr0 = c[C_TRANSITIONS]
    n_blocked = c[C_NBLOCKED]
    n_pend = c[C_NPEND]
    g = c[C_GPTR]
    for k in range(k0, k_end):
        iv = min(k // tpi, n_iv - 1)
        toll_slot = min(int(k * tick_s / fparams[F_TOLL_SLOT_S]), n_slots - 1)
        # -- 1. release: departing trips join their first link's buffer
        while g < n_trips:
            trip = gorder[g]
            if dep_tick[trip] > k:
                break
            g += 1
            c[C_DEPARTED] += 1
            rs = route_start[trip]
            if rs == route_start[trip + 1]:  # empty route: arrives on departure
                state[trip] = ARRIVED
                enter_s[trip] = k * tick_s
                arrive_s[trip] = k * tick_s
                c[C_ARRIVED] += 1
                continue
            state[trip] = WAITING
            c[C_WAITING] += 1
            lk = route_links[rs]
            if pend_flag[lk] == 0:
                pend_flag[lk] = 1
                pend[n_pend] = lk
                n_pend += 1
        # -- 2. due links: this tick's calendar bucket plus last tick's blocked links
        n_active = 0
        b = k & mask
        lk = bucket[b]
        bucket[b] = -1
        while lk >= 0:
            nxt = cal_next[lk]
            if sched_tick[lk] > k:  # a later lap of the ring
                cal_next[lk] = bucket[b]
                bucket[b] = lk
            else:
                n = link_to[lk]
                if node_due_head[n] < 0:
                    active_nodes[n_active] = n
                    n_active += 1
                due_next[lk] = node_due_head[n]
                node_due_head[n] = lk
                where[lk] = DUE
            lk = nxt
        # a blocked link is retried once its downstream link has changed (a vehicle
        # left it) since the failed attempt, when its stuck time is up, or (below)
        # whenever another incoming link of its node is served
        keep = 0
        for i in range(n_blocked):
            lk = blocked[i]
            if where[lk] != BLOCKED:  # served meanwhile along with its node
                blk_flag[lk] = 0
                continue
            if exit_tick[blocked_on[lk]] < block_try[lk] and k - block_since[lk] < stuck_ticks:
                blocked[keep] = lk
                keep += 1
                continue
            blk_flag[lk] = 0
            n = link_to[lk]
            if node_due_head[n] < 0:
                active_nodes[n_active] = n
                n_active += 1
            due_next[lk] = node_due_head[n]
            node_due_head[n] = lk
            where[lk] = DUE
        n_blocked = keep
        # -- 3. nodes serve their due incoming links, capacity-weighted random order
        for a in range(n_active):
            n = active_nodes[a]
            m = 0
            lk = node_due_head[n]
            while lk >= 0:
                scratch_link[m] = lk
                scratch_w[m] = cpt[lk]
                m += 1
                lk = due_next[lk]
            node_due_head[n] = -1
            # blocked links of this node compete too (they stay in the blocked list)
            for e in range(in_start[n], in_start[n + 1]):
                lk = in_link[e]
                if where[lk] == BLOCKED:
                    where[lk] = DUE
                    scratch_link[m] = lk
                    scratch_w[m] = cpt[lk]
                    m += 1
            for j in range(m):
                if m - j > 1:
                    total = 0.0
                    for i in range(j, m):
                        total += scratch_w[i]
                    u = hash_u01(rng[0], n, k, j) * total
                    pick = m - 1
                    acc = 0.0
                    for i in range(j, m):
                        acc += scratch_w[i]
                        if u < acc:
                            pick = i
                            break
                    tl = scratch_link[j]
                    tw = scratch_w[j]
                    scratch_link[j] = scratch_link[pick]
                    scratch_w[j] = scratch_w[pick]
                    scratch_link[pick] = tl
                    scratch_w[pick] = tw
                lk = scratch_link[j]
                # serve link lk: move head vehicles while credit and room allow.
                # (Hand-inlined: numba's inliner adds a reference-count update per
                # array argument, which would dominate the cost of a transition.)
                last = credit_last[lk]
                if k > last:  # settle credit (as _settle_credit)
                    cr = credit[lk]
                    r = cpt[lk]
                    if cr < 1.0 - EPS and r > 0.0:
                        credit[lk] = cr + min(k - last, math.ceil((1.0 - EPS - cr) / r)) * r
                    credit_last[lk] = k
                off = ring_off[lk]
                while True:
                    if ring_len[lk] == 0:
                        where[lk] = IDLE
                        block_since[lk] = -1
                        break
                    trip = ring[off + ring_head[lk]]
                    cr = credit[lk]
                    if ready_tick[trip] > k or cr < 1.0 - EPS:  # reschedule (as _schedule)
                        if cr >= 1.0 - EPS:
                            t = credit_last[lk]
                        elif cpt[lk] <= 0.0:
                            where[lk] = PARKED
                            break
                        else:
                            t = credit_last[lk] + math.ceil((1.0 - EPS - cr) / cpt[lk])
                        t = max(t, np.int64(ready_tick[trip]), k + 1)
                        bb = t & mask
                        cal_next[lk] = bucket[bb]
                        bucket[bb] = lk
                        sched_tick[lk] = t
                        where[lk] = SCHEDULED
                        break
                    rs = route_start[trip]
                    p = pos[trip]
                    nl = -1
                    abort = False
                    if rs + p + 1 < route_start[trip + 1]:
                        nl = route_links[rs + p + 1]
                        if ring_len[nl] >= storage_veh[nl]:  # spillback
                            if block_since[lk] < 0:
                                block_since[lk] = k
                            if k - block_since[lk] >= stuck_ticks:
                                stuck[trip] = 1  # squeeze
                                c[C_STUCK] += 1
                                # no physical room even above storage: remove the vehicle
                                abort = ring_len[nl] >= ring_cap[nl]
                            else:
                                if blk_flag[lk] == 0:
                                    blk_flag[lk] = 1
                                    blocked[n_blocked] = lk
                                    n_blocked += 1
                                blocked_on[lk] = nl
                                block_try[lk] = k
                                where[lk] = BLOCKED
                                break
                    # leave lk (as _exit_link)
                    occupancy_veh_s[iv, lk] += ring_len[lk] * (k - occ_last[lk]) * tick_s
                    occ_last[lk] = k
                    h = ring_head[lk] + 1
                    if h >= ring_cap[lk]:
                        h = 0
                    ring_head[lk] = h
                    ring_len[lk] -= 1
                    exit_tick[lk] = k
                    length = length_m[lk]
                    trav_s = (k - link_enter_tick[trip]) * tick_s
                    outflow_veh[iv, lk] += 1
                    travel_time_sum_s[iv, lk] += trav_s
                    ie = min(link_enter_tick[trip] // tpi, n_iv - 1)
                    mv = route_turn[rs + p]
                    turn_veh[ie, lk, mv] += 1
                    turn_time_sum_s[ie, lk, mv] += trav_s
                    distance_m[trip] += length
                    if has_ef:
                        sb = math.floor(length / trav_s * 3.6)
                        if sb >= ef_g_per_m.shape[2]:
                            sb = ef_g_per_m.shape[2] - 1
                        vc = veh_class[trip]
                        for q in range(ef_g_per_m.shape[1]):
                            link_emis_g[iv, lk, q] += ef_g_per_m[vc, q, sb] * length
                        if energy_index >= 0:
                            trip_energy[trip] += ef_g_per_m[vc, energy_index, sb] * length
                    credit[lk] -= 1.0
                    block_since[lk] = -1
                    if abort:
                        state[trip] = ABORTED
                        c[C_ABORTED] += 1
                        c[C_EN_ROUTE] -= 1
                        continue
                    if nl < 0:  # arrival
                        state[trip] = ARRIVED
                        arrive_s[trip] = k * tick_s
                        c[C_ARRIVED] += 1
                        c[C_EN_ROUTE] -= 1
                        continue
                    # enter nl (as _enter_link)
                    pos[trip] = p + 1
                    occ = ring_len[nl]
                    occupancy_veh_s[iv, nl] += occ * (k - occ_last[nl]) * tick_s
                    occ_last[nl] = k
                    slot = ring_head[nl] + occ
                    if slot >= ring_cap[nl]:
                        slot -= ring_cap[nl]
                    ring[ring_off[nl] + slot] = trip
                    ring_len[nl] = occ + 1
                    tt = _link_ticks(speed_model, min_speed_ratio, tick_s, occ, nl,
                                     free_flow_s, ff_ticks, storage_veh)
                    ready_tick[trip] = k + tt
                    link_enter_tick[trip] = k
                    inflow_veh[iv, nl] += 1
                    toll = toll_schedule[toll_slot, nl]
                    if toll != 0.0:
                        toll_paid[trip] += toll
                        toll_revenue[iv, nl] += toll
                    c[C_TRANSITIONS] += 1
                    if where[nl] == IDLE:  # settle credit and schedule (hand-inlined)
                        last = credit_last[nl]
                        cr = credit[nl]
                        r = cpt[nl]
                        if cr < 1.0 - EPS and r > 0.0:
                            cr += min(k - last, math.ceil((1.0 - EPS - cr) / r)) * r
                            credit[nl] = cr
                        credit_last[nl] = k
                        if cr >= 1.0 - EPS:
                            t = k + tt
                        elif r <= 0.0:
                            where[nl] = PARKED
                            continue
                        else:
                            t = max(k + tt, k + math.ceil((1.0 - EPS - cr) / r))
                        bb = t & mask
                        cal_next[nl] = bucket[bb]
                        bucket[bb] = nl
                        sched_tick[nl] = t
                        where[nl] = SCHEDULED
        # -- 4. departure buffers feed their links while storage remains (FIFO)
        if n_pend > 0:
            keep = 0
            for i in range(n_pend):
                lk = pend[i]
                p = dep_ptr[lk]
                end = dep_off[lk + 1]
                while p < end:
                    trip = dep_order[p]
                    if dep_tick[trip] > k or ring_len[lk] >= storage_veh[lk]:
                        break
                    pos[trip] = 0
                    state[trip] = EN_ROUTE
                    enter_s[trip] = k * tick_s
                    iv_dep = min(dep_tick[trip] // tpi, n_iv - 1)
                    depart_veh[iv_dep, lk] += 1
                    depart_wait_sum_s[iv_dep, lk] += (k - dep_tick[trip]) * tick_s
                    c[C_WAITING] -= 1
                    c[C_EN_ROUTE] += 1
                    _enter_link(trip, lk, k, iv, fparams, iparams, free_flow_s, ff_ticks,
                                storage_veh, ring, ring_off, ring_cap, ring_head, ring_len,
                                ready_tick, link_enter_tick, inflow_veh, occupancy_veh_s, occ_last,
                                toll_schedule, toll_paid, toll_revenue, credit, credit_last,
                                cpt, where, sched_tick, cal_next, bucket)
                    c[C_TRANSITIONS] += 1
                    p += 1
                dep_ptr[lk] = p
                if p < end and dep_tick[dep_order[p]] <= k:
                    pend[keep] = lk
                    keep += 1
                else:
                    pend_flag[lk] = 0
            n_pend = keep
        # -- 5. interval end
        if (k + 1) % tpi == 0 or k + 1 == horizon:
            _close_interval(k + 1, iv, tick_s, ring, ring_off, ring_cap, ring_head, ring_len,
                            ready_tick, occupancy_veh_s, occ_last, queue_veh)
        c[C_NOW] = k + 1
    c[C_NBLOCKED] = n_blocked
    c[C_NPEND] = n_pend
    c[C_GPTR] = g
    return c[C_TRANSITIONS] - tr0
