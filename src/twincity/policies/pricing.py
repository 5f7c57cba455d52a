"""Road pricing: cordon or gantry charges by time of day, with an optional review rule.

Modelled on Singapore's Electronic Road Pricing (ERP): charges per passage
that vary by 30-minute slot, reviewed so that traffic on priced roads keeps
moving (LTA reviews rates quarterly to hold arterial speeds within 20–30 km/h
and expressway speeds within 45–65 km/h).

City-neutral parameters: the priced area is the most central ``central_share``
of road nodes; the charge is ``charge_vot_h`` hours of the local value of
time (or ``charge_origin`` in the origin city's money, converted by
purchasing power); the schedule lists periods with a multiplier of the
charge. ``scheme`` is ``cordon`` (charged on every link entering the area),
``gantries`` (charged on entering links and on arterial and motorway links
inside) or ``cordon_expressways`` (the cordon plus gantries on the expressways
nearest the centre: the innermost ``expressway_share`` of the motorway length,
one gantry passage per ``expressway_gantry_spacing_m``, so a motorway link of
length L pays ``L / spacing`` charges, and at least one if it enters the area —
Singapore's ERP charges 28 expressway gantries beside 39 in the CBD and 10 on
arterials, and since 2020 mostly the expressways).

Mechanism: the transport authority's toll schedule. Tolls enter route costs
(toll / value of time), car skims and so mode choice, and are paid in the
kernel at link entry (trip table ``toll_paid``, link table ``toll_revenue``).
With ``review``, the authority reviews the schedule between equilibrated
states — like LTA's quarterly review, not after every simulated day — for at
most ``review_rounds`` rounds (:class:`SpeedBandReview`): per gantry (charged
link) and charged 30-min slot it raises the charge by ``review_step_share`` of
the base charge where the speed fell below the band and lowers it where it rose
above (never below zero): ``target_speed_kmh`` for arterials and other roads,
``motorway_speed_kmh`` for motorways, each road type reviewed on its own.
A link's speed is its length over its experienced mean time in the routing
slot holding the toll slot. Experienced times include the average signal
delay of a signalised approach, because the network's free-flow time does
(:mod:`twincity.city.signals`) and the kernel moves vehicles at it — as
LTA's speeds, measured along roads with their junctions, do. (An uncongested
signalised arterial at 50 km/h with 13 s of signal delay per 400 m block runs
at about 34 km/h: above the band, its charge is lowered.)

Example:
    >>> ErpPolicy({"central_share": 0.1, "charge_vot_h": 0.2}).params.scheme
    'cordon'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field, model_validator

from twincity.policies.base import Adaptation, Policy, central_node_mask, money_from_origin
from twincity.scenario.base import Section
from twincity.vocab import ARTERIAL, MOTORWAY

if TYPE_CHECKING:
    from twincity.city.build import City
    from twincity.context import RunContext


class ChargePeriod(Section):
    """A period of the day with a multiplier of the base charge."""

    start_h: float = Field(ge=0, lt=24, description="Start, hours after midnight.")
    end_h: float = Field(gt=0, le=24, description="End, hours after midnight.")
    multiplier: float = Field(default=1.0, ge=0, description="Share of the base charge.")

    @model_validator(mode="after")
    def _ordered(self) -> ChargePeriod:
        if self.end_h <= self.start_h:
            raise ValueError("end_h must be after start_h")
        return self


class ErpParams(Section):
    """City-neutral parameters of road pricing (see the module docstring)."""

    scheme: Literal["cordon", "gantries", "cordon_expressways"] = "cordon"
    central_share: float = Field(default=0.1, gt=0, lt=1,
                                 description="Share of road nodes, most central first, priced.")
    expressway_share: float = Field(
        default=0.25, gt=0, le=1,
        description="cordon_expressways: share of the motorway length, innermost first, "
                    "with gantries.")
    expressway_gantry_spacing_m: float = Field(
        default=2600.0, gt=0,
        description="cordon_expressways: one gantry passage per this distance on a charged "
                    "motorway (a link pays length / spacing charges).")
    charge_vot_h: float | None = Field(
        default=0.2, ge=0, description="Base charge per passage as hours of local value of time.")
    charge_origin: float | None = Field(
        default=None, ge=0, description="Base charge in the origin city's money (PPP-converted).")
    periods: list[ChargePeriod] = Field(
        default_factory=lambda: [ChargePeriod(start_h=7.5, end_h=9.5, multiplier=1.0),
                                 ChargePeriod(start_h=17.5, end_h=20.0, multiplier=0.8)],
        description="Charging periods; outside them passage is free.")
    review: bool = Field(default=False, description="Apply the speed-band review rule.")
    target_speed_kmh: tuple[float, float] = Field(
        default=(20.0, 30.0), description="Speed band the review aims for on priced roads "
                                          "other than motorways (ERP: arterials 20–30 km/h).")
    motorway_speed_kmh: tuple[float, float] = Field(
        default=(45.0, 65.0), description="Speed band on priced motorways (ERP: 45–65 km/h).")
    review_step_share: float = Field(
        default=0.25, gt=0, le=1,
        description="Change of a slot's charge per review, as a share of the base charge.")
    review_rounds: int = Field(
        default=2, ge=1, le=20,
        description="Most reviews, each between equilibrated states (LTA: quarterly).")

    @model_validator(mode="after")
    def _one_charge(self) -> ErpParams:
        if self.charge_origin is not None:
            object.__setattr__(self, "charge_vot_h", None)
        if self.charge_vot_h is None and self.charge_origin is None:
            raise ValueError("give charge_vot_h or charge_origin")
        for band in (self.target_speed_kmh, self.motorway_speed_kmh):
            if band[0] >= band[1]:
                raise ValueError("speed bands must be (low, high) with low < high")
        return self


def priced_links(city: City, params: ErpParams) -> tuple[np.ndarray, np.ndarray]:
    """(node mask of the priced area, charges per passage of each link as multiples of the base).

    A cordon or area gantry counts 1; a charged expressway link counts
    ``length_m / expressway_gantry_spacing_m``, or 1 if that is less and the
    link enters the cordon (its cordon passage is one whole charge); an
    uncharged link 0. The rule of the priced area is :func:`central_node_mask`;
    expressways are chosen by :func:`innermost_motorways`.
    """
    net = city.network
    inside = central_node_mask(city, params.central_share)
    charged = ~inside[net.link_from] & inside[net.link_to]
    if params.scheme == "gantries":
        major = np.isin(net.road_class, [MOTORWAY, ARTERIAL])
        charged = charged | (inside[net.link_from] & inside[net.link_to] & major)
    weight = charged.astype(np.float64)
    if params.scheme == "cordon_expressways":  # a cordon passage stays at least one charge
        express = innermost_motorways(city, params.expressway_share)
        weight[express] = np.maximum(weight[express],
                                     net.length_m[express] / params.expressway_gantry_spacing_m)
    return inside, weight


def innermost_motorways(city: City, length_share: float) -> np.ndarray:
    """Motorway links nearest the centre (by midpoint) up to ``length_share`` of their length.

    Example:
        >>> from types import SimpleNamespace
        >>> net = SimpleNamespace(road_class=np.array([MOTORWAY, MOTORWAY, ARTERIAL]),
        ...     link_from=np.array([0, 1, 0]), link_to=np.array([1, 2, 2]),
        ...     node_x_m=np.array([0.0, 1000.0, 3000.0]), node_y_m=np.zeros(3),
        ...     length_m=np.array([1000.0, 2000.0, 3000.0]))
        >>> innermost_motorways(SimpleNamespace(network=net, centre_xy_m=(0.0, 0.0)), 0.3).tolist()
        [0]
    """
    net = city.network
    motorway = np.flatnonzero(np.asarray(net.road_class) == MOTORWAY)
    mid_x = 0.5 * (net.node_x_m[net.link_from[motorway]] + net.node_x_m[net.link_to[motorway]])
    mid_y = 0.5 * (net.node_y_m[net.link_from[motorway]] + net.node_y_m[net.link_to[motorway]])
    order = motorway[np.argsort(np.hypot(mid_x - city.centre_xy_m[0], mid_y - city.centre_xy_m[1]),
                                kind="stable")]
    before_m = np.cumsum(net.length_m[order]) - net.length_m[order]
    return order[before_m < length_share * net.length_m[motorway].sum()]


class ErpPolicy(Policy):
    """Road pricing by time of day (Singapore ERP style)."""

    name = "congestion_pricing"
    summary = "Cordon or gantry charges by 30-min slot, optionally reviewed to a speed band."
    Params = ErpParams
    primary_kpis = ("mode_share_car", "delay_central_peak", "vehicle_km_central",
                    "co2_per_capita_transport")

    def adapt(self, city: City) -> Adaptation:
        """Charged links, the charge in the city's currency and the priced area."""
        p = self.params
        target = city.spec.city
        inside, weight = priced_links(city, p)
        charged = weight > 0
        if p.charge_origin is not None:
            charge = money_from_origin(p.charge_origin, self.origin, target)
            how = (f"{p.charge_origin:g} {self.origin.currency if self.origin else ''} converted "
                   f"by purchasing power ({self.origin.ppp_per_usd if self.origin else 1:g} → "
                   f"{target.ppp_per_usd:g} per intl $)")
        else:
            charge = p.charge_vot_h * target.value_of_time_per_h
            how = (f"{p.charge_vot_h:g} h × value of time {target.value_of_time_per_h:g} "
                   f"{target.currency}/h")
        radius = float(np.max(np.hypot(city.network.node_x_m[inside] - city.centre_xy_m[0],
                                       city.network.node_y_m[inside] - city.centre_xy_m[1])))
        periods = ", ".join(f"{q.start_h:g}–{q.end_h:g} h ×{q.multiplier:g}" for q in p.periods)
        motorway_band = (f" ({p.motorway_speed_kmh[0]:g}–{p.motorway_speed_kmh[1]:g} km/h on "
                         "motorways)" if np.any(charged & (np.asarray(city.network.road_class)
                                                           == MOTORWAY)) else "")
        expressways = ""
        if p.scheme == "cordon_expressways":  # the links priced_links charged as expressways
            express = innermost_motorways(city, p.expressway_share)
            expressways = (f", {len(express)} of them expressway links "
                           f"({city.network.length_m[express].sum() / 1000:.1f} km, "
                           f"{weight[express].sum():.0f} gantry passages end to end)")
        note = (f"{p.scheme}: the {p.central_share:.0%} most central nodes ({int(inside.sum())} "
                f"nodes, within {radius / 1000:.1f} km of the centre); {int(charged.sum())} links "
                f"charged{expressways}; base charge {charge:,.2f} {target.currency} per passage "
                f"({how}); "
                f"periods {periods}" + (
                    "; reviewed between equilibrated states (at most "
                    f"{p.review_rounds} rounds) to keep priced-link speeds, signal delay "
                    f"included, within {p.target_speed_kmh[0]:g}–{p.target_speed_kmh[1]:g} km/h"
                    f"{motorway_band}" if p.review else ""))
        return Adaptation(policy=self.name, note=note, concrete={
            "charged_links": np.flatnonzero(charged).tolist(), "charge": charge,
            "charges_per_passage": weight[charged].tolist(),
            "currency": target.currency, "area_nodes": int(inside.sum()),
            "area_radius_m": radius})

    def attach(self, context: RunContext, adaptation: Adaptation) -> None:
        """Add the charge by time slot to the authority's tolls, and its speed-band reviews."""
        ta = context.transport_authority
        links = np.asarray(adaptation.concrete["charged_links"], dtype=np.int64)
        per_passage = np.asarray(
            adaptation.concrete.get("charges_per_passage", np.ones(len(links))), dtype=np.float64)
        n_slots = ta.toll_schedule.shape[0]
        centre_h = (np.arange(n_slots) + 0.5) * ta.toll_slot_s / 3600.0 + \
            context.city.spec.simulation.start_s / 3600.0
        rate = np.zeros(n_slots)
        for q in self.params.periods:
            on = (centre_h % 24 >= q.start_h) & (centre_h % 24 < q.end_h)
            rate[on] = np.maximum(rate[on], q.multiplier * adaptation.concrete["charge"])
        ta.toll_schedule[:, links] += rate[:, None] * per_passage[None, :]
        if self.params.review:  # one rule per road type, each with ERP's own speed band
            p, net = self.params, context.city.network
            motorway = net.road_class[links] == MOTORWAY
            for group, band in ((~motorway, p.target_speed_kmh), (motorway, p.motorway_speed_kmh)):
                ta.reviewers.append(SpeedBandReview(
                    links[group], net.length_m[links[group]], rate > 0, band, p.review_step_share,
                    adaptation.concrete["charge"] * per_passage[group],
                    review_rounds=p.review_rounds))


class SpeedBandReview:
    """ERP's review rule: per charged slot and gantry, raise or lower the charge toward a band.

    Called with the authority and a :class:`~twincity.operators.ReviewState`
    between equilibrated states; acts in rounds ``0..review_rounds-1`` and
    returns whether any charge changed. A gantry's speed in a toll slot is
    ``length / link_time_s`` of the routing slot holding the toll slot's start;
    each gantry is reviewed on its own road, as LTA does. The step is
    ``step_share × base_charge`` (``base_charge`` a number or one per gantry);
    charges never go below zero.

    Example:
        >>> import numpy as np
        >>> from types import SimpleNamespace
        >>> from twincity.operators import ReviewState
        >>> ta = SimpleNamespace(toll_schedule=np.full((2, 1), 2.0), toll_slot_s=1800.0)
        >>> rule = SpeedBandReview(np.array([0]), np.array([1000.0]), np.array([True, False]),
        ...                        (20.0, 30.0), 0.25, base_charge=2.0)
        >>> state = ReviewState(round=0, link_time_s=np.array([[360.0]]),   # 10 km/h
        ...                     flow_veh=np.ones((1, 1)), slot_s=3600.0, relative_gap=0.01)
        >>> rule(ta, state), ta.toll_schedule[:, 0].tolist()
        (True, [2.5, 2.0])
    """

    def __init__(self, links: np.ndarray, length_m: np.ndarray, operating: np.ndarray,
                 band_kmh: tuple[float, float], step_share: float,
                 base_charge: float | np.ndarray,
                 review_rounds: int = 2) -> None:
        """A review of ``links`` stepping their charge by ``step_share`` of ``base_charge``."""
        self.links = np.asarray(links, dtype=np.int64)
        self.length_m = np.asarray(length_m, dtype=np.float64)
        self.operating = np.asarray(operating, dtype=bool)  # toll slots inside the periods
        self.low, self.high = band_kmh
        self.step = step_share * np.asarray(base_charge, dtype=np.float64)
        self.review_rounds = int(review_rounds)
        self.history: list[dict] = []

    def speeds_kmh(self, state, toll_slot_s: float, n_toll_slots: int) -> np.ndarray:
        """Speed ``[toll slot, gantry]`` in km/h from the state's experienced link times."""
        speed = self.length_m[None, :] / state.link_time_s[:, self.links] * 3.6
        start_s = np.arange(n_toll_slots) * toll_slot_s
        slot_of = np.minimum((start_s // state.slot_s).astype(np.int64), len(speed) - 1)
        return speed[slot_of]

    def __call__(self, authority, state) -> bool:
        """Raise the charge where speed is under the band, lower it above; True if any changed."""
        if state.round >= self.review_rounds or len(self.links) == 0:
            return False
        schedule = authority.toll_schedule
        v = self.speeds_kmh(state, authority.toll_slot_s, schedule.shape[0])
        charged = self.operating[:, None]
        step = np.where(charged & (v < self.low), self.step,
                        np.where(charged & (v > self.high), -self.step, 0.0))
        old = schedule[:, self.links]
        new = np.maximum(0.0, old + step)
        schedule[:, self.links] = new
        self.history.append({"round": state.round, "raised": int((new > old).sum()),
                             "lowered": int((new < old).sum())})
        return bool(np.any(new != old))
