"""Numba kernel of the mesoscopic queue model (the MATSim-QSim family).

The whole simulation state lives in :class:`KernelState`, a named tuple of
numpy arrays built by :class:`twincity.traffic.simulation.TrafficSim`; this
module only holds the jitted functions that advance it. One call of
:func:`advance_ticks` runs many ticks, so Python overhead is paid once per call.

Model, per tick ``k`` (time ``k·tick_s``):

1. *Release*: trips whose departure tick (``ceil(departure_s / tick_s)``) is
   ``k`` join the departure buffer of their first link (FIFO by departure).
2. *Nodes*: every link whose head vehicle is due (its earliest exit tick has
   come and the link has flow credit) or that was blocked last tick is served
   by its downstream node. A node serves its due incoming links one after the
   other in a random order drawn with weights proportional to their current
   capacity (QSim's fair node logic); each link moves head vehicles while it
   has credit and the head can go on: it arrives (leaves the network, using
   outflow capacity but no downstream storage) or enters its next link if that
   link's occupancy is below its storage capacity (spillback).
3. *Entry*: departure buffers move vehicles into their first link while it has
   storage; a departing vehicle starts at the link's upstream end and
   traverses it.
4. At an interval end, occupancy integrals are closed and queue lengths taken.

Link travel time: a vehicle entering a link at tick ``k`` may leave it no
earlier than ``k + max(1, round(t / tick_s))`` where ``t`` is the free-flow
time, or, with the Greenshields option (``speed_model = 1``),
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
link's ring buffer (storage rounded up + :data:`RING_SLACK`); if even that is
full the vehicle keeps waiting. Vehicles in a departure buffer are never
squeezed; they wait for storage.

Cost is per link transition: a calendar (ring of buckets by tick, linked lists
of links) wakes a link when its head vehicle becomes ready or its credit
reaches one; blocked links sit in a list retried each tick; per-link FIFO queues
are ring buffers sized by storage.

Randomness: one xorshift64* state (``rng[0]``) advanced only when a node has
more than one due link; no global RNG, so runs are deterministic per seed.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

#: Tolerance on flow credit (credit counts as one vehicle from ``1 - EPS``).
EPS = 1e-9
#: Extra ring-buffer slots per link beyond ``ceil(storage)`` for squeezed vehicles.
RING_SLACK = 8
#: A tick that never comes (link with zero capacity).
NEVER = np.int64(2**62)

# ``where`` of a link: what holds it at the moment.
IDLE = 0  # empty, not scheduled
SCHEDULED = 1  # in the calendar at sched_tick
BLOCKED = 2  # in the blocked list, retried next tick
DUE = 3  # being served this tick
PARKED = 4  # has vehicles but zero capacity: waits for a capacity change

# Trip states.
PLANNED = 0
WAITING = 1
EN_ROUTE = 2
ARRIVED = 3
STATE_NAMES = ("planned", "waiting", "en_route", "arrived")

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
N_COUNTERS = 10

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
    travel_time_sum_s: np.ndarray  # float64[I, L]
    occupancy_veh_s: np.ndarray  # float64[I, L]
    queue_veh: np.ndarray  # int32[I, L]
    toll_revenue: np.ndarray  # float64[I, L]
    link_emis_g: np.ndarray  # float32[I, L, P] (I x L x 0 when off)
    # --- trips
    dep_tick: np.ndarray  # int64[T]
    gorder: np.ndarray  # int32[T] trips by departure tick
    route_start: np.ndarray  # int64[T+1]
    route_links: np.ndarray  # int32[R]
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
@njit(cache=True)
def _rand_u01(rng):
    """Uniform in [0, 1) from xorshift64* (state in ``rng[0]``, never zero)."""
    x = rng[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    rng[0] = x
    y = (x * np.uint64(2685821657736338717)) >> np.uint64(11)
    return float(y) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def _settle_credit(st, l, k):
    """Accrue link ``l``'s flow credit up to tick ``k`` (grows only while < 1)."""
    last = st.credit_last[l]
    if k > last:
        c = st.credit[l]
        cpt = st.cpt[l]
        if c < 1.0 - EPS and cpt > 0.0:
            need = math.ceil((1.0 - EPS - c) / cpt)
            st.credit[l] = c + min(k - last, need) * cpt
        st.credit_last[l] = k


@njit(cache=True)
def _credit_tick(st, l):
    """First tick at which link ``l`` has one vehicle of credit (credit settled)."""
    c = st.credit[l]
    if c >= 1.0 - EPS:
        return st.credit_last[l]
    cpt = st.cpt[l]
    if cpt <= 0.0:
        return NEVER
    return st.credit_last[l] + math.ceil((1.0 - EPS - c) / cpt)


@njit(cache=True)
def _schedule(st, l, k_min):
    """Put non-empty link ``l`` in the calendar at the tick its head may leave."""
    trip = st.ring[st.ring_off[l] + st.ring_head[l]]
    t = max(np.int64(st.ready_tick[trip]), _credit_tick(st, l), k_min)
    if t >= NEVER:
        st.where[l] = PARKED
        return
    b = t & (len(st.bucket) - 1)
    st.cal_next[l] = st.bucket[b]
    st.bucket[b] = l
    st.sched_tick[l] = t
    st.where[l] = SCHEDULED


@njit(cache=True)
def _interval(st, k):
    iv = k // st.iparams[I_TICKS_PER_INTERVAL]
    n_iv = st.iparams[I_N_INTERVALS]
    return iv if iv < n_iv else n_iv - 1


@njit(cache=True)
def _integrate_occupancy(st, l, k, iv):
    """Add occupancy × time since the last change to interval ``iv``."""
    dt = k - st.occ_last[l]
    if dt > 0:
        st.occupancy_veh_s[iv, l] += st.ring_len[l] * dt * st.fparams[F_TICK_S]
        st.occ_last[l] = k


@njit(cache=True)
def _enter_link(st, trip, l, k, iv):
    """Vehicle of ``trip`` enters link ``l`` at tick ``k`` (storage checked by caller)."""
    _integrate_occupancy(st, l, k, iv)
    occ = st.ring_len[l]
    cap = st.ring_cap[l]
    slot = st.ring_head[l] + occ
    if slot >= cap:
        slot -= cap
    st.ring[st.ring_off[l] + slot] = trip
    st.ring_len[l] = occ + 1
    tick_s = st.fparams[F_TICK_S]
    if st.iparams[I_SPEED_MODEL] == 1:
        ratio = max(st.fparams[F_MIN_SPEED_RATIO], 1.0 - occ / st.storage_veh[l])
        tt = max(1, int(st.free_flow_s[l] / ratio / tick_s + 0.5))
    else:
        tt = st.ff_ticks[l]
    st.ready_tick[trip] = k + tt
    st.link_enter_tick[trip] = k
    st.inflow_veh[iv, l] += 1
    n_slots = st.toll_schedule.shape[0]
    s = int(k * tick_s / st.fparams[F_TOLL_SLOT_S])
    if s >= n_slots:
        s = n_slots - 1
    toll = st.toll_schedule[s, l]
    if toll != 0.0:
        st.toll_paid[trip] += toll
        st.toll_revenue[iv, l] += toll
    st.counters[C_TRANSITIONS] += 1
    if st.where[l] == IDLE:
        _settle_credit(st, l, k)
        _schedule(st, l, k + 1)


@njit(cache=True)
def _exit_link(st, trip, l, k, iv):
    """Head vehicle (``trip``) leaves link ``l`` at tick ``k``: FIFO pop and accounting."""
    _integrate_occupancy(st, l, k, iv)
    h = st.ring_head[l] + 1
    if h >= st.ring_cap[l]:
        h = 0
    st.ring_head[l] = h
    st.ring_len[l] -= 1
    length = st.length_m[l]
    trav_s = (k - st.link_enter_tick[trip]) * st.fparams[F_TICK_S]
    st.outflow_veh[iv, l] += 1
    st.travel_time_sum_s[iv, l] += trav_s
    st.distance_m[trip] += length
    if st.iparams[I_HAS_EF] != 0:
        ef = st.ef_g_per_m
        b = int(math.floor(length / trav_s * 3.6))
        if b >= ef.shape[2]:
            b = ef.shape[2] - 1
        c = st.veh_class[trip]
        for p in range(ef.shape[1]):
            st.link_emis_g[iv, l, p] += ef[c, p, b] * length
        ei = st.iparams[I_ENERGY_INDEX]
        if ei >= 0:
            st.trip_energy[trip] += ef[c, ei, b] * length


@njit(cache=True)
def _serve_link(st, l, k, iv):
    """Move head vehicles out of link ``l`` at tick ``k`` while credit and room allow."""
    _settle_credit(st, l, k)
    off = st.ring_off[l]
    tick_s = st.fparams[F_TICK_S]
    while True:
        if st.ring_len[l] == 0:
            st.where[l] = IDLE
            st.block_since[l] = -1
            return
        trip = st.ring[off + st.ring_head[l]]
        if st.ready_tick[trip] > k or st.credit[l] < 1.0 - EPS:
            _schedule(st, l, k + 1)
            return
        rs = st.route_start[trip]
        p = st.pos[trip]
        if rs + p + 1 >= st.route_start[trip + 1]:  # last link: arrival
            _exit_link(st, trip, l, k, iv)
            st.state[trip] = ARRIVED
            st.arrive_s[trip] = k * tick_s
            st.counters[C_ARRIVED] += 1
            st.counters[C_EN_ROUTE] -= 1
        else:
            nl = st.route_links[rs + p + 1]
            if st.ring_len[nl] >= st.storage_veh[nl]:
                if st.block_since[l] < 0:
                    st.block_since[l] = k
                if (k - st.block_since[l] >= st.iparams[I_STUCK_TICKS]
                        and st.ring_len[nl] < st.ring_cap[nl]):
                    st.stuck[trip] = 1
                    st.counters[C_STUCK] += 1
                else:
                    st.blocked[st.counters[C_NBLOCKED]] = l
                    st.counters[C_NBLOCKED] += 1
                    st.where[l] = BLOCKED
                    return
            _exit_link(st, trip, l, k, iv)
            st.pos[trip] = p + 1
            _enter_link(st, trip, nl, k, iv)
        st.credit[l] -= 1.0
        st.block_since[l] = -1


@njit(cache=True)
def _mark_due(st, l, n_active):
    """Add link ``l`` to its downstream node's due list; return the new active count."""
    n = st.link_to[l]
    if st.node_due_head[n] < 0:
        st.active_nodes[n_active] = n
        n_active += 1
    st.due_next[l] = st.node_due_head[n]
    st.node_due_head[n] = l
    st.where[l] = DUE
    return n_active


@njit(cache=True)
def _serve_node(st, n, k, iv):
    """Serve node ``n``'s due incoming links in a capacity-weighted random order."""
    m = 0
    l = st.node_due_head[n]
    while l >= 0:
        st.scratch_link[m] = l
        st.scratch_w[m] = st.cpt[l]
        m += 1
        l = st.due_next[l]
    st.node_due_head[n] = -1
    for j in range(m):
        if m - j > 1:
            total = 0.0
            for i in range(j, m):
                total += st.scratch_w[i]
            u = _rand_u01(st.rng) * total
            pick = m - 1
            acc = 0.0
            for i in range(j, m):
                acc += st.scratch_w[i]
                if u < acc:
                    pick = i
                    break
            tl = st.scratch_link[j]
            tw = st.scratch_w[j]
            st.scratch_link[j] = st.scratch_link[pick]
            st.scratch_w[j] = st.scratch_w[pick]
            st.scratch_link[pick] = tl
            st.scratch_w[pick] = tw
        _serve_link(st, st.scratch_link[j], k, iv)


@njit(cache=True)
def _release_departures(st, k):
    """Trips whose departure tick has come join their first link's buffer."""
    g = st.counters[C_GPTR]
    n = len(st.gorder)
    tick_s = st.fparams[F_TICK_S]
    while g < n:
        trip = st.gorder[g]
        if st.dep_tick[trip] > k:
            break
        g += 1
        st.counters[C_DEPARTED] += 1
        rs = st.route_start[trip]
        if rs == st.route_start[trip + 1]:  # empty route: arrives on departure
            st.state[trip] = ARRIVED
            st.enter_s[trip] = k * tick_s
            st.arrive_s[trip] = k * tick_s
            st.counters[C_ARRIVED] += 1
            continue
        st.state[trip] = WAITING
        st.counters[C_WAITING] += 1
        l = st.route_links[rs]
        if st.pend_flag[l] == 0:
            st.pend_flag[l] = 1
            st.pend[st.counters[C_NPEND]] = l
            st.counters[C_NPEND] += 1
    st.counters[C_GPTR] = g


@njit(cache=True)
def _enter_from_buffers(st, k, iv):
    """Departure buffers feed their links while storage remains (FIFO)."""
    tick_s = st.fparams[F_TICK_S]
    keep = 0
    for i in range(st.counters[C_NPEND]):
        l = st.pend[i]
        p = st.dep_ptr[l]
        end = st.dep_off[l + 1]
        while p < end:
            trip = st.dep_order[p]
            if st.dep_tick[trip] > k or st.ring_len[l] >= st.storage_veh[l]:
                break
            st.pos[trip] = 0
            st.state[trip] = EN_ROUTE
            st.enter_s[trip] = k * tick_s
            st.counters[C_WAITING] -= 1
            st.counters[C_EN_ROUTE] += 1
            _enter_link(st, trip, l, k, iv)
            p += 1
        st.dep_ptr[l] = p
        if p < end and st.dep_tick[st.dep_order[p]] <= k:
            st.pend[keep] = l
            keep += 1
        else:
            st.pend_flag[l] = 0
    st.counters[C_NPEND] = keep


@njit(cache=True)
def _close_interval(st, k_end, iv):
    """Close interval ``iv`` at tick ``k_end``: occupancy integrals and queue lengths."""
    for l in range(len(st.ring_len)):
        _integrate_occupancy(st, l, k_end, iv)
        occ = st.ring_len[l]
        if occ == 0:
            continue
        off = st.ring_off[l]
        cap = st.ring_cap[l]
        h = st.ring_head[l]
        q = 0
        for j in range(occ):
            s = h + j
            if s >= cap:
                s -= cap
            if st.ready_tick[st.ring[off + s]] < k_end:
                q += 1
        st.queue_veh[iv, l] = q


# ------------------------------------------------------------------ entry points
@njit(cache=True)
def rebuild_calendar(st):
    """Apply ``cpt_new`` (capacity changes between calls) and rebuild the calendar.

    Credit is first settled up to now with the capacity that was in force.
    """
    k = st.counters[C_NOW]
    for l in range(len(st.cpt)):
        _settle_credit(st, l, k)
        st.cpt[l] = st.cpt_new[l]
    st.bucket[:] = -1
    for l in range(len(st.cpt)):
        w = st.where[l]
        if w == SCHEDULED or w == PARKED:
            _schedule(st, l, k)


@njit(cache=True)
def advance_ticks(st, k_end):
    """Simulate ticks ``counters[C_NOW] .. k_end - 1``; return link transitions done.

    Example (from Python): ``advance_ticks(sim.state, 3600)`` runs up to 1 h at 1 s ticks.
    """
    c = st.counters
    k0 = c[C_NOW]
    tr0 = c[C_TRANSITIONS]
    tpi = st.iparams[I_TICKS_PER_INTERVAL]
    horizon = st.iparams[I_HORIZON_TICKS]
    mask = len(st.bucket) - 1
    for k in range(k0, k_end):
        iv = _interval(st, k)
        _release_departures(st, k)
        # links due now: the calendar bucket of tick k plus last tick's blocked links
        n_active = 0
        b = k & mask
        l = st.bucket[b]
        st.bucket[b] = -1
        while l >= 0:
            nxt = st.cal_next[l]
            if st.sched_tick[l] > k:  # a later lap of the ring
                st.cal_next[l] = st.bucket[b]
                st.bucket[b] = l
            else:
                n_active = _mark_due(st, l, n_active)
            l = nxt
        for i in range(c[C_NBLOCKED]):
            n_active = _mark_due(st, st.blocked[i], n_active)
        c[C_NBLOCKED] = 0
        for i in range(n_active):
            _serve_node(st, st.active_nodes[i], k, iv)
        if c[C_NPEND] > 0:
            _enter_from_buffers(st, k, iv)
        if (k + 1) % tpi == 0 or k + 1 == horizon:
            _close_interval(st, k + 1, iv)
        c[C_NOW] = k + 1
    return c[C_TRANSITIONS] - tr0
