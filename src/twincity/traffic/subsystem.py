"""The traffic subsystem: demand, mode choice, routes, dynamic equilibrium, the kernel.

Built from the run context (:class:`~twincity.context.RunContext`) when a
:class:`~twincity.model.CityModel` is made; it provides the ``trips`` and
``road_traffic`` products (:mod:`twincity.products`):

1. **Demand.** Trips of a sample of the population (``simulation.sample_share``)
   from the free-flow car skim (:func:`~twincity.traffic.demand.generate_trips`).
   Freight vehicles are added as ``fleet.truck_share`` of road vehicles: they
   take the origin and destination of a random car-available trip and depart
   uniformly between 06:00 and 20:00 (an assumption; no freight survey is used).
   Hire cars (taxis and ride-hail, ``fleet.hire``) carry a keyed share of the person
   trips and drive empty between them (:mod:`twincity.traffic.hire`).
2. **Warm start.** Modes are chosen on free-flow skims; each routing slot's
   road demand is then assigned by static user equilibrium (BPR costs,
   bi-conjugate Frank-Wolfe) and modes are chosen again on those times.
   First routes start from those link times and are spread over alternative
   paths by a discrete method of successive averages on BPR costs
   (:mod:`twincity.traffic.warmstart`).
3. **Dynamic equilibrium** (:meth:`TrafficSubsystem.equilibrate`, in
   :mod:`twincity.traffic.equilibrium`): simulated days with route memory,
   time-dependent column generation, departure-time choice and mode choice on
   frozen individual errors, until the relative gap is at most
   ``simulation.equilibrium_gap`` on consecutive days (or, said loudly, at the
   cap ``equilibrium_days``). Road-pricing reviews act between equilibrated states.
4. **The reported day**: the equilibrated plan, simulated once more interval
   by interval as the model steps, with operator agents acting.

Every random decision (vehicle class, freight vehicles, mode errors, route
spreading, swaps, kernel tie-breaking) uses numbers keyed by identity
(:mod:`twincity.draws`): two arms of an experiment share them.

Road flow capacities are multiplied by ``sample_share`` and storage by
``sample_share ** 0.75`` (MATSim's sample convention, see :func:`sampled_network`).
Transit, walk and bike trips are not vehicles on the roads: their times come
from the skims (door to door). Buses are not simulated as vehicles; transit
supply reaches cars only through dedicated lanes taken by policies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from twincity import draws
from twincity.city.network import Network
from twincity.context import TripRuleInput
from twincity.emissions.factors import ef_table_g_per_m, pollutants, vehicle_classes
from twincity.kpi import make_kpi
from twincity.products import RoadTraffic, TripTable
from twincity.results import KPI
from twincity.traffic import kpis as tk
from twincity.traffic.demand import Trips, generate_trips
from twincity.traffic.entries import EntryLayout
from twincity.traffic.equilibrium import DayRecord, DynamicEquilibrium, EquilibriumReport
from twincity.traffic.hire import HireLegs, hire_legs
from twincity.traffic.linkcosts import tolls_by_slot
from twincity.traffic.modechoice import (
    choose_by_errors,
    generalised_costs,
    mode_utilities,
)
from twincity.traffic.planstate import PlanState
from twincity.traffic.routes import (
    Routes,
    departure_slot,
    no_routes,
    representative_slots,
    route_trips,
    take_routes,
)
from twincity.traffic.simulation import TrafficSim
from twincity.traffic.skims import car_link_cost_s, car_skims, car_skims_sets
from twincity.traffic.transit import transit_skims
from twincity.traffic.triptable import build_trip_table
from twincity.traffic.warmstart import warm_start
from twincity.traffic.weekend import WeekendDay, entry_ratios, weekend_copies, weekend_frame
from twincity.vocab import (
    CAR,
    FREIGHT_PURPOSE,
    MODES,
    TRUCK,
)

if TYPE_CHECKING:
    from twincity.context import RunContext
    from twincity.subsystems import Products

#: Share of car-available travellers who drive: only sizes the freight fleet
#: (trucks = truck_share of road vehicles), before mode choice is known.
CAR_USE_OF_CAR_AVAILABLE = 0.6
#: Freight vehicles depart uniformly in this window (s after midnight).
TRUCK_WINDOW_S = (6 * 3600.0, 20 * 3600.0)


#: Storage capacity is scaled by ``share ** STORAGE_EXPONENT`` rather than by the share:
#: a small sample scaled linearly holds too few vehicles per link and gridlocks
#: spuriously (Ben-Dor, Ben-Elia & Benenson 2021, "Population downscaling in
#: multi-agent transportation simulations", Simul. Model. Pract. Theory 108; the
#: MATSim community's storageCapacityFactor = flowCapacityFactor^0.75 rule of thumb).
STORAGE_EXPONENT = 0.75


def sampled_network(net: Network, share: float) -> Network:
    """The network with flow and storage capacity scaled to a sample of the traffic.

    Flow capacity scales with the share; storage with ``share ** 0.75`` and at
    least one vehicle per link (see :data:`STORAGE_EXPONENT`).
    """
    return net.replace(capacity_vph=net.capacity_vph * share,
                       storage_veh=np.maximum(1.0, net.storage_veh * share ** STORAGE_EXPONENT))


class TrafficSubsystem:
    """Trips, their modes and routes, and the queue kernel simulating the day."""

    name = "traffic"

    def __init__(self, context: RunContext, products: Products | None = None) -> None:
        """Build the day's demand, vehicles and a warm-start plan (not yet equilibrated)."""
        self.context = context
        city = context.city
        spec = city.spec
        sim = spec.simulation
        self.seed = context.seed
        self.share = sim.sample_share
        self.vot = spec.city.value_of_time_per_h
        self.start_s, self.duration_s = sim.start_s, sim.duration_s
        self.slot_s = sim.routing_slot_s
        self.n_slots = max(1, int(np.ceil(sim.duration_s / self.slot_s - 1e-9)))
        self.net = sampled_network(city.network, self.share)
        self.authority = context.transport_authority
        self.classes = vehicle_classes()
        self.pollutants = pollutants()
        self.ef = ef_table_g_per_m(self.classes, self.pollutants)
        self.energy_index = self.pollutants.index("energy")

        free = car_skims(city.network, city.zones, city.network.free_flow_s)
        trips = generate_trips(city, context.stream("demand"), sample_share=self.share,
                               impedance_s=free.time_s)
        inside = (trips.departure_s >= self.start_s) & (
            trips.departure_s < self.start_s + self.duration_s)
        for rule in context.demand_rules:  # e.g. remote work: trips not made, keyed by identity
            inside &= ~rule(trips, np.arange(len(trips)), self.seed)
        #: Stable identity of each trip (its index in the generated demand): keys its draws.
        self.trip_id = np.flatnonzero(inside)
        self.trips: Trips = trips.take(self.trip_id)
        self._mode_errors: np.ndarray | None = None
        self.car_class = self._draw_car_classes()
        truck_trip = self._pick_truck_trips()
        t = self.trips
        self.n_trucks = len(truck_trip)
        self.hire = self._hire_legs(free.time_s)
        #: People first, then trucks, then hire legs: the order of every per-vehicle array.
        self.layout = EntryLayout(len(t), self.n_trucks, self.hire.n)
        self.truck_origin = t.origin_node[truck_trip]
        self.truck_dest = t.dest_node[truck_trip]
        self.truck_departure = self._truck_departures(truck_trip)
        #: Identities of book entries for keyed draws: trip ids, trucks by their trip, hire legs.
        self.identity = self.layout.identities(self.trip_id, self.trip_id[truck_trip],
                                               self.hire.identity)
        #: Vehicle class of each hire leg (index into :attr:`classes`).
        self.hire_class = self._draw_hire_classes()
        rule_input = TripRuleInput(
            trips=self.trips, car_class=np.asarray(self.classes, dtype=object)[self.car_class],
            context=context, trip_id=self.trip_id)
        for rule in self.authority.trip_rules:  # e.g. a low-emission zone bans some cars
            np.logical_and(self.trips.car_available, ~rule(rule_input),
                           out=self.trips.car_available)
        self.days: list[DayRecord] = []
        self.equilibrium: EquilibriumReport | None = None
        self.dynamic: DynamicEquilibrium | None = None
        self.notes: list[str] = []
        self.sim: TrafficSim | None = None
        self.unroutable = np.zeros(0, dtype=np.int64)
        self.sim_road = np.zeros(0, dtype=np.int64)
        self._trip_table: tuple | None = None
        #: The weekend day (demand.weekend and weekend days in the year), run at finish.
        self.weekend_spec = spec.demand.weekend \
            if spec.climate.days_of_type("weekend") > 0 else None
        self._weekend: WeekendDay | None = None
        # The route book: one entry per traveller, truck and hire leg (EntryLayout).
        lay, node_zone, h = self.layout, city.zones.node_zone, self.hire
        self.origin_node = lay.join(t.origin_node, self.truck_origin, h.origin_node)
        self.dest_node = lay.join(t.dest_node, self.truck_dest, h.dest_node)
        #: Desired departures (s after midnight); ``_departure`` is the chosen one.
        self.desired_s = lay.join(t.departure_s, self.truck_departure, h.departure_s)
        self.departure_s = self.desired_s.copy()
        #: Origin and destination zone of every book entry.
        self.origin_zone_of_entry = lay.join(t.origin_zone, node_zone[self.truck_origin],
                                             node_zone[h.origin_node])
        self.dest_zone_of_entry = lay.join(t.dest_zone, node_zone[self.truck_dest],
                                           node_zone[h.dest_node])
        #: Purpose code of every entry: the trip's, freight, the hire passenger's.
        self.entry_purpose = lay.join(t.purpose, np.full(self.n_trucks, FREIGHT_PURPOSE,
                                                         dtype=t.purpose.dtype), h.purpose)
        self.book: Routes = no_routes(lay.n)
        free_time = np.repeat(self.net.free_flow_s[None, :], self.n_slots, axis=0)
        self.flows_by_slot = np.ones_like(free_time)
        #: Each traveller's mode (index into twincity.vocab.MODES).
        self.mode = self.preferred_modes(self.skims_by_slot(free_time))
        warm_start(self, free_time)

    # ------------------------------------------------------------------ set-up
    def _draw_car_classes(self) -> np.ndarray:
        """Car class per traveller (fleet shares): index into :attr:`classes`.

        Keyed draws (:mod:`twincity.draws`): a traveller's class is the inverse
        CDF of her own uniform, so a policy that shifts fleet shares changes only
        the classes of travellers at the margin.
        """
        return self._classes_by_draw(self.context.city.spec.fleet.car_shares,
                                     draws.uniform(self.seed, "fleet", self.trip_id))

    def _draw_hire_classes(self) -> np.ndarray:
        """Car class per hire leg: ``fleet.hire.car_shares`` (or the fleet's), per car (keyed)."""
        fleet = self.context.city.spec.fleet
        return self._classes_by_draw(fleet.hire.car_shares or fleet.car_shares,
                                     draws.uniform(self.seed, "fleet", self.hire.car_identity))

    def _classes_by_draw(self, shares: dict[str, float], u: np.ndarray) -> np.ndarray:
        """Class index (into :attr:`classes`) at each uniform ``u`` by inverse CDF of ``shares``."""
        names = list(shares)
        p = np.array([shares[c] for c in names], dtype=np.float64)
        cdf = np.cumsum(p / p.sum())
        draw = np.minimum(np.searchsorted(cdf, u, side="right"), len(names) - 1)
        index = np.array([self.classes.index(c) for c in names], dtype=np.int8)
        return index[draw]

    def _hire_legs(self, free_time_s: np.ndarray) -> HireLegs:
        """The day's hire-car legs (:func:`~twincity.traffic.hire.hire_legs`)."""
        spec = self.context.city.spec
        hire = spec.fleet.hire
        city_trips = spec.city.population * spec.demand.trips_per_person_per_day
        net = self.context.city.network
        return hire_legs(self.trips, self.trip_id, self.seed,
                         passenger_share=min(1.0, hire.trips_per_day / city_trips),
                         empty_km_share=hire.empty_km_share, node_x_m=net.node_x_m,
                         node_y_m=net.node_y_m, free_time_s=free_time_s,
                         window_s=(self.start_s, self.start_s + self.duration_s))

    def _pick_truck_trips(self) -> np.ndarray:
        """Trips whose origin and destination the day's freight vehicles take (sorted).

        Freight vehicles take the origin and destination of the car-available
        trips with the smallest keyed numbers, so adding or removing some trips
        moves few trucks; there are ``fleet.truck_share`` of road vehicles.
        """
        fleet = self.context.city.spec.fleet
        cand = np.flatnonzero(self.trips.car_available)
        n_cars = round(len(cand) * CAR_USE_OF_CAR_AVAILABLE)
        n_trucks = round(fleet.truck_share / (1 - fleet.truck_share) * n_cars) \
            if len(cand) else 0
        order = np.argsort(draws.uniform(self.seed, "freight", self.trip_id[cand]),
                           kind="stable")
        return np.sort(cand[order[:n_trucks]])

    def _truck_departures(self, truck_trip: np.ndarray) -> np.ndarray:
        """Departures of the freight vehicles, uniform in :data:`TRUCK_WINDOW_S` (keyed)."""
        lo, hi = max(TRUCK_WINDOW_S[0], self.start_s), min(TRUCK_WINDOW_S[1],
                                                           self.start_s + self.duration_s)
        u_dep = draws.uniform(self.seed, "freight-departure", self.trip_id[truck_trip])
        return lo + u_dep * max(0.0, hi - lo)

    def planning_network(self) -> Network:
        """The sampled network with capacities after the authority's green shares."""
        return self.net.replace(capacity_vph=self.net.capacity_vph * self.authority.green_share)

    def tolls(self) -> np.ndarray:
        """Tolls per routing slot and link from the authority's schedule."""
        return tolls_by_slot(self.authority.toll_schedule, self.authority.toll_slot_s,
                             self.slot_s, self.n_slots)

    def _link_costs(self, link_time_s: np.ndarray) -> np.ndarray:
        return car_link_cost_s(link_time_s, self.tolls(), self.vot)

    def skims_by_slot(self, link_time_s: np.ndarray) -> np.ndarray:
        """Generalised costs ``gc[slot, mode, o, d]`` on the times of each slot."""
        city = self.context.city
        tolls, costs = self.tolls(), self._link_costs(link_time_s)
        weights = np.maximum(1.0, self.flows_by_slot)
        mean_time = (link_time_s * weights).sum(axis=0) / weights.sum(axis=0)
        transit = transit_skims(city, link_time_s=mean_time)
        rep = representative_slots(costs)
        reps = np.unique(rep)  # every representative slot's trees in one kernel call
        car = car_skims_sets(city.network, city.zones, costs[reps],
                             np.broadcast_to(link_time_s, costs.shape)[reps],
                             np.broadcast_to(tolls, costs.shape)[reps])
        gc = {int(r): generalised_costs(city, sk, transit)
              for r, sk in zip(reps, car, strict=True)}
        return np.stack([gc[int(r)] for r in rep])

    # ------------------------------------------------------------------ choices
    def mode_utilities(self, gc: np.ndarray) -> np.ndarray:
        """Utilities ``V[trip, mode]`` of every traveller on her desired departure slot's costs."""
        d = self.context.city.spec.demand
        slot = departure_slot(self.trips.departure_s - self.start_s, self.slot_s, self.n_slots)
        v = np.empty((len(self.trips), len(MODES)))
        for s in np.unique(slot):  # a loop over time slots, not travellers
            idx = np.flatnonzero(slot == s)
            v[idx] = mode_utilities(gc[s], self.trips.take(idx), d.mode_constants,
                                    logit_scale_per_h=d.logit_scale_per_h,
                                    value_of_time_per_h=self.vot)
        return v

    def mode_errors(self) -> np.ndarray:
        """Each traveller's frozen Gumbel error per mode, keyed by (trip id, mode).

        Frozen: computed once and kept (mode choice asks for them every day).
        """
        if self._mode_errors is None:
            n_m = len(MODES)
            ident = self.trip_id[:, None] * n_m + np.arange(n_m)[None, :]
            self._mode_errors = draws.gumbel(self.seed, "mode", ident)
        return self._mode_errors

    def preferred_modes(self, gc: np.ndarray) -> np.ndarray:
        """Each traveller's best mode on costs ``gc[slot, mode, o, d]`` with her frozen errors."""
        return choose_by_errors(self.mode_utilities(gc), self.mode_errors())

    def road_vehicles(self) -> np.ndarray:
        """Indices into the route book of today's road vehicles: drivers, trucks, hire legs."""
        drivers = np.flatnonzero(self.mode == CAR)
        return self.layout.join(drivers, self.layout.trucks(), self.layout.hire())

    def book_od(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Origin node, destination node and departure (from the start) of book entries."""
        return self.origin_node[idx], self.dest_node[idx], self.departure_s[idx] - self.start_s

    def reroute(self, idx: np.ndarray, link_time_s: np.ndarray) -> Routes:
        """Best routes of book entries ``idx`` under the given link times."""
        o, d, dep = self.book_od(idx)
        return route_trips(self.net, self._link_costs(link_time_s), self.slot_s, o, d, dep)

    def equilibrate(self, progress: bool = False, start: PlanState | None = None,
                    days: int | None = None) -> EquilibriumReport:
        """Run the dynamic equilibrium and make the reported day's kernel from its plan.

        ``start``: a reference arm's equilibrated plan to continue from (see
        :mod:`twincity.traffic.planstate`); ``days``: a control arm's fixed
        number of continued days. Returns (and keeps as
        ``self.equilibrium``) the report; a run that stops at the cap
        unconverged warns and says so in the notes.
        """
        self.dynamic = DynamicEquilibrium(self)
        self.equilibrium = self.dynamic.run(progress, start=start, days=days)
        self.notes.extend(self.equilibrium.notes)
        self.sim = self.make_sim()
        self.authority.bind_kernel(self.sim)
        return self.equilibrium

    def prepare(self) -> None:
        """The dynamic equilibrium, continued from the context's ``start_from`` if given."""
        c = self.context
        self.equilibrate(c.progress, start=c.start_from, days=c.control_days)

    # ------------------------------------------------------------------ kernel
    def make_sim(self) -> TrafficSim:
        """A kernel for today's road vehicles with their routes from the book.

        Every day uses the same kernel key: tie-breaking draws are keyed by
        (node, tick), so the reported day reproduces the last equilibrium day.
        """
        road = self.road_vehicles()
        routes = take_routes(self.book, road)
        # a vehicle with no path is reported (trip table ``no_path``), never simulated
        self.unroutable = road[~routes.ok]
        road = road[routes.ok]
        self.sim_road = road
        return self._kernel_for(road)

    def _kernel_for(self, road: np.ndarray) -> TrafficSim:
        """A kernel for book entries ``road`` (routable; people first, repeats allowed)."""
        routes = take_routes(self.book, road)
        cls = self.entry_classes(road)
        sim_spec = self.context.city.spec.simulation
        return TrafficSim(
            self.net, departure_s=self.departure_s[road] - self.start_s, route_start=routes.start,
            route_links=routes.links, veh_class=cls,
            tick_s=sim_spec.tick_s, interval_s=sim_spec.interval_s,
            horizon_s=self.duration_s, seed=self.context.stream_seed("kernel"),
            stuck_time_s=sim_spec.stuck_time_s, speed_model=sim_spec.speed_model,
            min_speed_ratio=sim_spec.min_speed_ratio, green_share=self.authority.green_share,
            toll_schedule=self.authority.toll_schedule, toll_slot_s=self.authority.toll_slot_s,
            ef_g_per_m=self.ef, energy_index=self.energy_index)

    def entry_classes(self, entries: np.ndarray) -> np.ndarray:
        """Vehicle class (index into :attr:`classes`) of book entries (any order)."""
        lay = self.layout
        cls = np.full(len(entries), self.classes.index(TRUCK), dtype=np.int8)
        person = lay.is_person(entries)
        cls[person] = self.car_class[entries[person]]
        hire = entries >= lay.hire_slice.start
        cls[hire] = self.hire_class[lay.hire_number(entries[hire])]
        return cls

    def advance(self, start_s: float, end_s: float) -> None:
        """Advance the reported day's kernel to ``end_s`` (model clock)."""
        self.sim.advance(min(end_s - self.start_s, self.duration_s))

    # ------------------------------------------------------------------ outputs
    def observations(self) -> dict[str, float]:
        """Vehicles on the road, arrived and waiting to enter, at city scale (÷ sample share)."""
        c = self.sim.counters
        return {"vehicles_on_road": c["en_route"] / self.share,
                "vehicles_arrived": c["arrived"] / self.share,
                "vehicles_waiting_to_enter": c["waiting"] / self.share}

    def trip_table(self) -> pd.DataFrame:
        """One row per person trip (every mode), then per freight vehicle, then per hire leg.

        Road trips carry the kernel's times; transit, walk and bike trips their
        door-to-door skim times (access + wait + in-vehicle for transit). Times are
        seconds after midnight; ``free_flow_time_s`` is the free-flow time of the
        route driven.
        """
        cached = self._trip_table  # tables(), kpis() and energy all ask
        if cached is not None and cached[0] is self.sim and cached[1] == self.sim.now_s:
            return cached[2].copy()
        table = build_trip_table(self)
        self._trip_table = (self.sim, self.sim.now_s, table)
        return table.copy()

    def tables(self) -> dict[str, pd.DataFrame]:
        """``trips``, ``links`` and ``equilibration`` (one row per day), with expansion factors."""
        links = self.sim.link_table()
        for p, name in enumerate(self.pollutants):
            unit = "kwh" if name == "energy" else "g"
            links = links.rename(columns={f"emission_{p}_g": f"{name}_{unit}"})
        days = pd.DataFrame([{"day": r.day, "relative_gap": r.relative_gap,
                              "mode_gap": r.mode_gap, "mode_imbalance": r.mode_imbalance,
                              "gap_levelled": r.gap_levelled, "car_trips": r.car_trips,
                              "route_swaps": r.route_swaps, "mode_swaps": r.mode_swaps,
                              "departure_shift_mean_s": r.departure_shift_mean_s,
                              "mean_road_time_s": r.mean_car_time_s, "review": r.review}
                             for r in self.days])
        expansion = 1.0 / self.share  # sample rows → city scale: multiply counts by this
        return {"trips": self.trip_table().assign(expansion_factor=expansion),
                "links": links.assign(expansion_factor=expansion), "equilibration": days}

    def provide(self, product: str) -> TripTable | RoadTraffic:
        """``trips``/``road_traffic`` of the reported weekday, as of now, or their weekend twins.

        ``weekend_trips`` and ``weekend_road_traffic`` are the simulated weekend day's
        (:mod:`twincity.traffic.weekend`; ``TripTable.day_type == "weekend"``), or the
        weekday's own when no weekend day is simulated (no ``demand.weekend`` or no
        weekend days in the year).
        """
        if product in ("weekend_trips", "weekend_road_traffic"):
            day = self.weekend_day()
            if day is None:
                return self.provide(product.removeprefix("weekend_"))
            if product == "weekend_trips":
                return TripTable(day.frame, self.layout, self.share, day_type="weekend",
                                 identity=self.identity)
            return day.road_traffic
        if product == "trips":
            return TripTable(self.trip_table(), self.layout, self.share,
                             identity=self.identity)
        if product == "road_traffic":
            return RoadTraffic(link_emis_g=self.sim.link_emis_g,
                               road_distance_m=float(self.sim.trip_table()["distance_m"].sum()),
                               sample_share=self.share, interval_s=self.sim.interval_s)
        raise KeyError(f"traffic provides trips, road_traffic and their weekend_ twins, "
                       f"not {product!r}")

    def weekend_day(self) -> WeekendDay | None:
        """The weekend day, simulated on first call (``None`` without one; module doc).

        One more run of the kernel over the whole day, with the weekday's equilibrated
        routes, departures and modes for the trips made at weekends (keyed copies, no
        Python loop over vehicles); operator agents do not act on it (the signal
        splits and tolls are those the reported day ended with).
        """
        if self.weekend_spec is None or self.sim is None:
            return None
        if self._weekend is not None:
            return self._weekend
        copies = weekend_copies(self.seed, self.identity,
                                entry_ratios(self.weekend_spec, self.entry_purpose))
        road = self.sim_road
        # every copy of a simulated weekday vehicle, in the weekday kernel's order
        entry = np.repeat(road, copies[road])
        sim = self._kernel_for(entry)
        sim.advance(self.duration_s)
        kernel = sim.trip_table()
        frame = weekend_frame(self.trip_table(), copies, entry, kernel)
        weekday = self.sim.trip_table()
        wd_arrived = weekday["state"] == "arrived"
        we_arrived = kernel["state"] == "arrived"
        self._weekend = WeekendDay(
            copies=copies, frame=frame,
            road_traffic=RoadTraffic(link_emis_g=sim.link_emis_g,
                                     road_distance_m=float(kernel["distance_m"].sum()),
                                     sample_share=self.share, interval_s=sim.interval_s),
            mean_road_time_s=float(kernel["travel_time_s"][we_arrived].mean()),
            weekday_mean_road_time_s=float(weekday["travel_time_s"][wd_arrived].mean()))
        w = self._weekend
        self.notes.append(
            f"traffic: weekend day (demand.weekend, not re-equilibrated: the weekday's "
            f"routes, departures and modes): {len(entry):,} road vehicles simulated "
            f"({len(entry) / max(len(road), 1):.0%} of the weekday's), mean road travel "
            f"time {w.mean_road_time_s / 60:.1f} min vs the weekday's "
            f"{w.weekday_mean_road_time_s / 60:.1f} min")
        return w

    def finish(self) -> None:
        """Simulate the weekend day (if the scenario has one): one more kernel run."""
        self.weekend_day()

    def kpis(self) -> list[KPI]:
        """Trip KPIs, congested lane-km, the relative gap and the central-area KPIs."""
        trips = self.trip_table()
        out = tk.trip_kpis(trips, sample_share=self.share)
        sim = self.sim
        with np.errstate(divide="ignore", invalid="ignore"):
            speed = np.where(sim.outflow_veh > 0, self.net.length_m[None, :] * sim.outflow_veh
                             / sim.travel_time_sum_s, np.nan)
        out += [
            make_kpi("congested_lane_km", tk.congested_lane_km(self.context.city.network, speed)),
            make_kpi("relative_gap", self.days[-1].relative_gap if self.days else float("nan")),
        ]
        sim_spec = self.context.city.spec.simulation
        out += tk.central_area_kpis(self.sim.link_table(), self.context.city.network,
                                    self.context.city.centre_xy_m, sample_share=self.share,
                                    start_s=sim_spec.start_s)
        return out
