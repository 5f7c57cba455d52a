"""Mesoscopic queue-model traffic simulation: state container and ``advance`` API.

:class:`TrafficSim` builds the arrays of a :class:`~twincity.traffic.kernel.KernelState`
from a :class:`~twincity.city.network.Network` and trip arrays (departure time,
route as CSR, vehicle class), and advances it with one numba call per
:meth:`TrafficSim.advance`. The model itself (storage/spillback, flow
capacity, fair node logic, the gridlock squeeze, tolls, emissions) is described
in :mod:`twincity.traffic.kernel`.

Operator agents may change ``sim.capacity_vph``, ``sim.green_share`` and
``sim.toll_schedule`` (in place or by assignment) between calls; the next
:meth:`~TrafficSim.advance` honours them.

Example:
    >>> import numpy as np
    >>> from twincity.city.network import Network
    >>> net = Network.from_links(
    ...     node_x_m=np.array([0.0, 500.0, 1000.0]), node_y_m=np.zeros(3),
    ...     link_from=np.array([0, 1]), link_to=np.array([1, 2]),
    ...     length_m=np.array([500.0, 500.0]), lanes=np.array([1, 1]),
    ...     speed_mps=np.array([10.0, 10.0]), capacity_vph=np.array([1800.0, 1800.0]))
    >>> sim = TrafficSim(net, departure_s=np.array([0.0, 10.0]),
    ...                  route_start=np.array([0, 2, 3]), route_links=np.array([0, 1, 0]),
    ...                  veh_class=np.zeros(2, dtype=np.int8), horizon_s=600.0, seed=1)
    >>> sim.run()
    >>> sim.trip_table()["arrive_s"].tolist()
    [100.0, 60.0]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from twincity.city.network import Network, max_out_degree, route_turns
from twincity.defaults import MIN_SPEED_RATIO, STUCK_TIME_S, TOLL_SLOT_S
from twincity.errors import InputError
from twincity.traffic import kernel
from twincity.vocab import SPEED_MODELS

if TYPE_CHECKING:
    import pandas as pd



def _array(value, name: str, dtype, n: int | None = None, ndim: int = 1) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged input and the like
        raise InputError(f"expected an array, got {type(value).__name__}", path=name) from exc
    if arr.ndim != ndim:
        raise InputError(f"expected a {ndim}-d array, got shape {arr.shape}", path=name)
    if n is not None and arr.shape[0] != n:
        raise InputError(f"expected length {n}, got {arr.shape[0]}", path=name)
    if np.issubdtype(np.dtype(dtype), np.integer):
        if (arr.size and not np.issubdtype(arr.dtype, np.integer)
                and not (np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)))):
            raise InputError("expected integers", path=name)
    elif arr.size and not np.all(np.isfinite(arr.astype(np.float64))):
        raise InputError("expected finite numbers", path=name)
    return np.ascontiguousarray(arr, dtype=dtype)


class TrafficSim:
    """A mesoscopic queue simulation of fixed-route trips on a network.

    Args:
        net: the road network.
        departure_s: departure time of each trip (s from the start of the run).
        route_start: CSR offsets into ``route_links`` (length ``n_trips + 1``).
        route_links: consecutive links of each trip's route (each link's
            downstream node is the next link's upstream node).
        veh_class: vehicle class of each trip (row of ``ef_g_per_m``).
        tick_s: time step; ``interval_s`` and ``horizon_s`` must be multiples.
        interval_s: length of the per-link statistics intervals.
        horizon_s: end of the run; trips departing later never depart.
        seed: seed of the node-competition random stream (an int, a SeedSequence,
            or a Generator from which one 64-bit state is drawn).
        stuck_time_s: a head vehicle blocked this long is squeezed ahead.
        green_share: per-link share of capacity available (signals); default 1.
        toll_schedule: ``[n_slots, n_links]`` toll per traversal by time slot;
            default one slot equal to ``net.toll``.
        toll_slot_s: length of a toll slot (the last slot extends to the end).
        ef_g_per_m: optional ``[n_classes, n_pollutants, n_speed_bins]``
            emission factors by vehicle class and 1-km/h speed bin.
        energy_index: pollutant index accumulated per trip (``-1`` = off).
        speed_model: one of :data:`twincity.vocab.SPEED_MODELS` (see ``kernel._link_ticks``).
        min_speed_ratio: lower bound of speed / free speed (Greenshields only).

    Example: see the module docstring.
    """

    def __init__(
        self,
        net: Network,
        departure_s: np.ndarray,
        route_start: np.ndarray,
        route_links: np.ndarray,
        veh_class: np.ndarray,
        *,
        tick_s: float = 1.0,
        interval_s: float = 900.0,
        horizon_s: float,
        seed: int | np.random.SeedSequence | np.random.Generator,
        stuck_time_s: float = STUCK_TIME_S,
        green_share: np.ndarray | None = None,
        toll_schedule: np.ndarray | None = None,
        toll_slot_s: float = TOLL_SLOT_S,
        ef_g_per_m: np.ndarray | None = None,
        energy_index: int = -1,
        speed_model: str = "free_flow",
        min_speed_ratio: float = MIN_SPEED_RATIO,
    ) -> None:
        """Check the inputs and set up the kernel state at time 0 (arguments: see the class)."""
        self.net = net
        n_links, n_nodes = net.n_links, net.n_nodes
        if not tick_s > 0:
            raise InputError(f"expected a positive tick, got {tick_s}", path="tick_s")
        ticks_per_interval = round(interval_s / tick_s)
        horizon_ticks = round(horizon_s / tick_s)
        if (ticks_per_interval < 1
                or abs(ticks_per_interval * tick_s - interval_s) > 1e-9 * interval_s):
            raise InputError(f"expected a positive multiple of tick_s={tick_s}, got {interval_s}",
                             path="interval_s")
        if horizon_ticks < 1 or abs(horizon_ticks * tick_s - horizon_s) > 1e-9 * horizon_s:
            raise InputError(f"expected a positive multiple of tick_s={tick_s}, got {horizon_s}",
                             path="horizon_s")
        if not stuck_time_s > 0:
            raise InputError(f"expected a positive time, got {stuck_time_s}", path="stuck_time_s")
        if not toll_slot_s > 0:
            raise InputError(f"expected a positive time, got {toll_slot_s}", path="toll_slot_s")
        if speed_model not in SPEED_MODELS:
            raise InputError(f"expected one of {sorted(SPEED_MODELS)}, got {speed_model!r}",
                             path="speed_model")
        if not 0 < min_speed_ratio <= 1:
            raise InputError(f"expected a number in (0, 1], got {min_speed_ratio}",
                             path="min_speed_ratio")
        self.tick_s = float(tick_s)
        self.interval_s = float(interval_s)
        self.horizon_s = float(horizon_s)

        dep = _array(departure_s, "departure_s", np.float64)
        n = len(dep)
        if n and dep.min() < 0:
            raise InputError("expected departure times >= 0", path="departure_s")
        rs = _array(route_start, "route_start", np.int64, n + 1)
        rl = _array(route_links, "route_links", np.int32)
        vc = _array(veh_class, "veh_class", np.int8, n)
        if rs[0] != 0 or rs[-1] != len(rl) or np.any(np.diff(rs) < 0):
            raise InputError("expected non-decreasing offsets from 0 to len(route_links)",
                             path="route_start")
        if len(rl) and (rl.min() < 0 or rl.max() >= n_links):
            raise InputError(f"expected link indices in 0..{n_links - 1}", path="route_links")
        if len(rl) > 1:
            starts = np.zeros(len(rl), dtype=bool)
            starts[rs[:-1][rs[:-1] < len(rl)]] = True
            bad = (net.link_to[rl[:-1]] != net.link_from[rl[1:]]) & ~starts[1:]
            if bad.any():
                i = int(np.flatnonzero(bad)[0]) + 1
                trip = int(np.searchsorted(rs, i, side="right") - 1)
                raise InputError(f"route of trip {trip} is not connected at position "
                                 f"{i - rs[trip]}", path="route_links")
        self.departure_s = dep

        # ---- per-link parameters
        self.capacity_vph = np.array(net.capacity_vph, dtype=np.float64)
        self.green_share = (np.ones(n_links) if green_share is None
                            else _array(green_share, "green_share", np.float64, n_links).copy())
        if toll_schedule is None:
            tolls = np.array(net.toll, dtype=np.float64).reshape(1, n_links)
        else:
            tolls = _array(toll_schedule, "toll_schedule", np.float64, ndim=2).copy()
            if tolls.shape[1] != n_links or tolls.shape[0] < 1:
                raise InputError(f"expected shape (n_slots, {n_links}), got {tolls.shape}",
                                 path="toll_schedule")
        if ef_g_per_m is None:
            ef = np.zeros((1, 1, 1), dtype=np.float32)
            n_poll = 0
            if energy_index != -1:
                raise InputError("energy_index needs ef_g_per_m", path="energy_index")
        else:
            ef = _array(ef_g_per_m, "ef_g_per_m", np.float32, ndim=3)
            n_poll = ef.shape[1]
            if min(ef.shape) < 1:
                raise InputError(f"expected a non-empty table, got shape {ef.shape}",
                                 path="ef_g_per_m")
            if n and (vc.min() < 0 or vc.max() >= ef.shape[0]):
                raise InputError(f"expected classes in 0..{ef.shape[0] - 1}", path="veh_class")
            if not -1 <= energy_index < n_poll:
                raise InputError(f"expected -1..{n_poll - 1}, got {energy_index}",
                                 path="energy_index")
        self._check_link_params(self.capacity_vph, self.green_share, tolls)
        cpt = self.capacity_vph * self.green_share * (self.tick_s / 3600.0)

        ff_ticks = np.maximum(1, np.floor(net.free_flow_s / self.tick_s + 0.5)).astype(np.int32)
        max_ticks = int(ff_ticks.max()) if n_links else 1
        w = 64
        while w < max_ticks + 2 and w < 2**20:
            w *= 2
        # room above storage for squeezed vehicles (see the kernel's gridlock rule)
        ring_cap = (2 * np.ceil(net.storage_veh).astype(np.int64)
                    + kernel.RING_SLACK).astype(np.int32)
        ring_off = np.zeros(n_links, dtype=np.int64)
        if n_links:
            np.cumsum(ring_cap[:-1], out=ring_off[1:])
        max_in = int(np.diff(net.in_start).max()) if n_nodes else 0

        # ---- departures
        dep_tick = np.ceil(dep / self.tick_s - 1e-9).astype(np.int64)
        trip_ids = np.arange(n, dtype=np.int32)
        gorder = np.argsort(dep_tick, kind="stable").astype(np.int32)
        nonempty = rs[1:] > rs[:-1]
        first = rl[rs[:-1][nonempty]]
        ne_ids = trip_ids[nonempty]
        dep_order = ne_ids[np.lexsort((ne_ids, dep_tick[nonempty], first))].astype(np.int32)
        dep_off = np.zeros(n_links + 1, dtype=np.int64)
        np.cumsum(np.bincount(first, minlength=n_links), out=dep_off[1:])

        n_iv = -(-horizon_ticks // ticks_per_interval)
        n_turns = max_out_degree(net) + 1  # movements into each next link, and arrival
        if isinstance(seed, np.random.Generator):
            rng = seed.integers(1, 2**63, size=1, dtype=np.uint64)
        else:
            seed_seq = (seed if isinstance(seed, np.random.SeedSequence)
                        else np.random.SeedSequence(seed))
            rng = seed_seq.generate_state(1, dtype=np.uint64)
        if rng[0] == 0:
            rng[0] = np.uint64(0x9E3779B97F4A7C15)
        fparams = np.zeros(kernel.N_FPARAMS)
        fparams[kernel.F_TICK_S] = self.tick_s
        fparams[kernel.F_MIN_SPEED_RATIO] = min_speed_ratio
        fparams[kernel.F_TOLL_SLOT_S] = toll_slot_s
        iparams = np.zeros(kernel.N_IPARAMS, dtype=np.int64)
        iparams[kernel.I_TICKS_PER_INTERVAL] = ticks_per_interval
        iparams[kernel.I_N_INTERVALS] = n_iv
        iparams[kernel.I_STUCK_TICKS] = min(2**62, int(np.ceil(stuck_time_s / self.tick_s - 1e-9)))
        iparams[kernel.I_SPEED_MODEL] = SPEED_MODELS.index(speed_model)
        iparams[kernel.I_ENERGY_INDEX] = energy_index
        iparams[kernel.I_HORIZON_TICKS] = horizon_ticks
        iparams[kernel.I_HAS_EF] = int(ef_g_per_m is not None)

        i32 = lambda m, v=0: np.full(m, v, dtype=np.int32)  # noqa: E731
        nan32 = lambda m: np.full(m, np.nan, dtype=np.float32)  # noqa: E731
        self.state = kernel.KernelState(
            link_to=np.ascontiguousarray(net.link_to, dtype=np.int32),
            length_m=np.ascontiguousarray(net.length_m, dtype=np.float64),
            free_flow_s=np.ascontiguousarray(net.free_flow_s, dtype=np.float64),
            ff_ticks=ff_ticks,
            storage_veh=np.ascontiguousarray(net.storage_veh, dtype=np.float64),
            cpt=cpt.copy(),
            cpt_new=cpt.copy(),
            toll_schedule=tolls,
            ef_g_per_m=ef,
            ring=np.full(int(ring_cap.sum()), -1, dtype=np.int32),
            ring_off=ring_off,
            ring_cap=ring_cap,
            ring_head=i32(n_links),
            ring_len=i32(n_links),
            credit=(cpt > 0).astype(np.float64),  # a full vehicle unless closed
            credit_last=np.zeros(n_links, dtype=np.int64),
            where=np.zeros(n_links, dtype=np.int8),
            sched_tick=np.zeros(n_links, dtype=np.int64),
            cal_next=i32(n_links, -1),
            bucket=i32(w, -1),
            block_since=np.full(n_links, -1, dtype=np.int64),
            occ_last=np.zeros(n_links, dtype=np.int64),
            blocked=i32(n_links),
            blocked_on=i32(n_links),
            block_try=np.zeros(n_links, dtype=np.int64),
            exit_tick=np.full(n_links, -1, dtype=np.int64),
            blk_flag=np.zeros(n_links, dtype=np.int8),
            in_start=np.ascontiguousarray(net.in_start, dtype=np.int32),
            in_link=np.ascontiguousarray(net.in_link, dtype=np.int32),
            due_next=i32(n_links, -1),
            node_due_head=i32(n_nodes, -1),
            active_nodes=i32(n_nodes),
            scratch_link=i32(max(1, max_in)),
            scratch_w=np.zeros(max(1, max_in)),
            pend=i32(n_links),
            pend_flag=np.zeros(n_links, dtype=np.int8),
            dep_off=dep_off,
            dep_ptr=dep_off[:-1].copy(),
            dep_order=dep_order,
            inflow_veh=np.zeros((n_iv, n_links), dtype=np.int32),
            outflow_veh=np.zeros((n_iv, n_links), dtype=np.int32),
            travel_time_sum_s=np.zeros((n_iv, n_links)),
            turn_time_sum_s=np.zeros((n_iv, n_links, n_turns)),
            turn_veh=np.zeros((n_iv, n_links, n_turns), dtype=np.int32),
            depart_wait_sum_s=np.zeros((n_iv, n_links)),
            depart_veh=np.zeros((n_iv, n_links), dtype=np.int32),
            occupancy_veh_s=np.zeros((n_iv, n_links)),
            queue_veh=np.zeros((n_iv, n_links), dtype=np.int32),
            toll_revenue=np.zeros((n_iv, n_links)),
            link_emis_g=np.zeros((n_iv, n_links, n_poll), dtype=np.float32),
            dep_tick=dep_tick,
            gorder=gorder,
            route_start=rs,
            route_links=rl,
            route_turn=route_turns(net, rs, rl),
            veh_class=vc,
            pos=i32(n),
            ready_tick=i32(n),
            link_enter_tick=i32(n),
            enter_s=nan32(n),
            arrive_s=nan32(n),
            distance_m=np.zeros(n, dtype=np.float32),
            toll_paid=np.zeros(n, dtype=np.float32),
            trip_energy=np.zeros(n, dtype=np.float32),
            state=np.zeros(n, dtype=np.int8),
            stuck=np.zeros(n, dtype=np.int8),
            rng=rng,
            counters=np.zeros(kernel.N_COUNTERS, dtype=np.int64),
            fparams=fparams,
            iparams=iparams,
        )
        self._horizon_ticks = horizon_ticks

    # ------------------------------------------------------------------ running
    @staticmethod
    def _check_link_params(capacity_vph, green_share, tolls) -> None:
        if not (np.all(np.isfinite(capacity_vph)) and np.all(capacity_vph >= 0)):
            raise InputError("expected finite capacities >= 0", path="capacity_vph")
        if not (np.all(green_share >= 0) and np.all(green_share <= 1)):
            raise InputError("expected shares in [0, 1]", path="green_share")
        if not np.all(np.isfinite(tolls)):
            raise InputError("expected finite tolls", path="toll_schedule")

    @property
    def toll_schedule(self) -> np.ndarray:
        """Toll per traversal ``[n_slots, n_links]``; may be edited in place between calls."""
        return self.state.toll_schedule

    @toll_schedule.setter
    def toll_schedule(self, value: np.ndarray) -> None:
        arr = _array(value, "toll_schedule", np.float64, ndim=2)
        if arr.shape != self.state.toll_schedule.shape:
            raise InputError(f"expected shape {self.state.toll_schedule.shape}, got {arr.shape}",
                             path="toll_schedule")
        self.state.toll_schedule[:] = arr

    def advance(self, until_s: float) -> int:
        """Simulate up to time ``until_s`` (rounded up to a tick); return link transitions.

        Capacity, green share and toll changes made since the last call apply from now.
        """
        k_end = int(np.ceil(until_s / self.tick_s - 1e-9))
        if k_end > self._horizon_ticks:
            raise InputError(f"expected a time <= horizon_s={self.horizon_s}, got {until_s}",
                             path="until_s")
        st = self.state
        if k_end <= st.counters[kernel.C_NOW]:
            return 0
        if len(self.capacity_vph) != self.net.n_links or len(self.green_share) != self.net.n_links:
            raise InputError("capacity_vph and green_share must keep one value per link",
                             path="green_share")
        self._check_link_params(self.capacity_vph, self.green_share, st.toll_schedule)
        cpt = self.capacity_vph * self.green_share * (self.tick_s / 3600.0)
        if not np.array_equal(cpt, st.cpt):
            st.cpt_new[:] = cpt
            kernel.rebuild_calendar(st)
        return int(kernel.advance_ticks(st, k_end))

    def run(self) -> None:
        """Simulate to the horizon."""
        self.advance(self.horizon_s)

    # ------------------------------------------------------------------ results
    @property
    def now_s(self) -> float:
        """Simulated time reached."""
        return float(self.state.counters[kernel.C_NOW] * self.tick_s)

    @property
    def counters(self) -> dict[str, int]:
        """Global counts: departed, arrived, aborted (removed from a gridlock), waiting
        (departure buffers), en_route (on links), stuck (squeeze events), transitions
        (link entries). departed = arrived + aborted + waiting + en_route.
        """
        c = self.state.counters
        return {"departed": int(c[kernel.C_DEPARTED]), "arrived": int(c[kernel.C_ARRIVED]),
                "aborted": int(c[kernel.C_ABORTED]),
                "waiting": int(c[kernel.C_WAITING]), "en_route": int(c[kernel.C_EN_ROUTE]),
                "stuck": int(c[kernel.C_STUCK]), "transitions": int(c[kernel.C_TRANSITIONS])}

    @staticmethod
    def _ro(a: np.ndarray) -> np.ndarray:
        v = a.view()
        v.flags.writeable = False
        return v

    def _occupancy_now(self) -> np.ndarray:
        """Occupancy integrals with the current interval completed up to now (a copy;
        the state is not touched, so reading results never alters a run).
        """
        st = self.state
        occ = st.occupancy_veh_s.copy()
        k = int(st.counters[kernel.C_NOW])
        if k:
            tpi = int(st.iparams[kernel.I_TICKS_PER_INTERVAL])
            iv = min(k // tpi, int(st.iparams[kernel.I_N_INTERVALS]) - 1)
            occ[iv] += st.ring_len * (k - st.occ_last) * self.tick_s
        return occ

    @property
    def occupancy_veh(self) -> np.ndarray:
        """Vehicles on each link now."""
        return self._ro(self.state.ring_len)

    @property
    def trip_state(self) -> np.ndarray:
        """Trip states as codes into ``kernel.STATE_NAMES``."""
        return self._ro(self.state.state)

    def trip_table(self) -> pd.DataFrame:
        """One row per trip (times in s from the start; NaN where not reached)."""
        import pandas as pd  # imported on use: a kernel-only process starts 0.17 s faster

        st = self.state
        enter = st.enter_s.astype(np.float64)
        arrive = st.arrive_s.astype(np.float64)
        data = {
            "departure_s": self.departure_s,
            "enter_s": enter,
            "arrive_s": arrive,
            "travel_time_s": arrive - self.departure_s,
            "distance_m": st.distance_m.astype(np.float64),
            "toll_paid": st.toll_paid.astype(np.float64),
            "stuck": st.stuck.astype(bool),
            "state": pd.Categorical.from_codes(st.state, categories=list(kernel.STATE_NAMES)),
            "veh_class": st.veh_class,
        }
        if st.iparams[kernel.I_ENERGY_INDEX] >= 0:
            # unit: the table's per-metre unit times metres (g, or kWh for an energy row)
            data["trip_energy"] = st.trip_energy.astype(np.float64)
        return pd.DataFrame(data)

    def link_table(self) -> pd.DataFrame:
        """One row per interval and link, long format, for the intervals begun so far."""
        import pandas as pd

        st = self.state
        occ_veh_s = self._occupancy_now()
        n_iv, n_links = st.inflow_veh.shape
        k = int(st.counters[kernel.C_NOW])
        tpi = int(st.iparams[kernel.I_TICKS_PER_INTERVAL])
        n_seen = min(n_iv, -(-k // tpi)) if k else 0
        start_s = np.arange(n_seen) * self.interval_s
        end_s = np.minimum(start_s + self.interval_s, min(self.now_s, self.horizon_s))
        dur_s = np.repeat(end_s - start_s, n_links)
        out = st.outflow_veh[:n_seen].ravel().astype(np.float64)
        tt = st.travel_time_sum_s[:n_seen].ravel()
        length = np.tile(self.net.length_m, n_seen)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean_tt = np.where(out > 0, tt / out, np.nan)
            occ = occ_veh_s[:n_seen].ravel() / dur_s
        data = {
            "interval": np.repeat(np.arange(n_seen), n_links),
            "start_s": np.repeat(start_s, n_links),
            "link": np.tile(np.arange(n_links), n_seen),
            "inflow_veh": st.inflow_veh[:n_seen].ravel(),
            "outflow_veh": st.outflow_veh[:n_seen].ravel(),
            "mean_travel_time_s": mean_tt,
            "mean_speed_mps": length / mean_tt,
            "mean_occupancy_veh": occ,
            "mean_density_vpkm": occ / (length / 1000.0),
            "queue_veh": st.queue_veh[:n_seen].ravel(),
            "toll_revenue": st.toll_revenue[:n_seen].ravel(),
        }
        for p in range(st.link_emis_g.shape[2]):
            data[f"emission_{p}_g"] = st.link_emis_g[:n_seen, :, p].ravel().astype(np.float64)
        return pd.DataFrame(data)

    # read-only array views of the per-link per-interval results
    @property
    def inflow_veh(self) -> np.ndarray:
        """Vehicles entering each link, by interval (``[interval, link]``)."""
        return self._ro(self.state.inflow_veh)

    @property
    def outflow_veh(self) -> np.ndarray:
        """Vehicles leaving each link, by interval (``[interval, link]``)."""
        return self._ro(self.state.outflow_veh)

    @property
    def travel_time_sum_s(self) -> np.ndarray:
        """Link times of the vehicles leaving each link, summed by interval of exit (s)."""
        return self._ro(self.state.travel_time_sum_s)

    @property
    def turn_time_sum_s(self) -> np.ndarray:
        """Link times summed by interval of *entry* and movement (``[interval, link, turn]``).

        ``turn`` is the next link's :func:`~twincity.city.network.out_rank`, or
        :func:`~twincity.city.network.max_out_degree` for vehicles arriving; only
        vehicles that left the link are counted.
        """
        return self._ro(self.state.turn_time_sum_s)

    @property
    def turn_veh(self) -> np.ndarray:
        """Vehicles that left each link, by interval of entry and movement."""
        return self._ro(self.state.turn_veh)

    @property
    def depart_wait_sum_s(self) -> np.ndarray:
        """Waits to enter the first link (a full link holds departures back), summed by
        interval of departure and first link (``[interval, link]``).
        """
        return self._ro(self.state.depart_wait_sum_s)

    @property
    def depart_veh(self) -> np.ndarray:
        """Vehicles that entered each first link, by interval of departure."""
        return self._ro(self.state.depart_veh)

    @property
    def occupancy_veh_s(self) -> np.ndarray:
        """Occupancy integral per interval and link (veh·s), complete up to now."""
        return self._ro(self._occupancy_now())

    @property
    def queue_veh(self) -> np.ndarray:
        """Vehicles queued on each link (ready to leave, held) at the end of each interval."""
        return self._ro(self.state.queue_veh)

    @property
    def toll_revenue(self) -> np.ndarray:
        """Tolls collected on each link, by interval (city currency)."""
        return self._ro(self.state.toll_revenue)

    @property
    def link_emis_g(self) -> np.ndarray:
        """Emissions ``[n_intervals, n_links, n_pollutants]`` in g (float32)."""
        return self._ro(self.state.link_emis_g)

    @property
    def trip_energy(self) -> np.ndarray:
        """Per-trip sum of pollutant ``energy_index`` (table unit × m)."""
        return self._ro(self.state.trip_energy)
