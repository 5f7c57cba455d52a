"""Fleet policies: EV purchase incentive, low-emission zone.

``ev_incentive``: the battery-electric share of the car fleet reaches
``bev_share`` (an incentive's outcome stated as a fleet share); the other
classes shrink pro rata. Mechanism: the fleet shares the traffic subsystem
draws each car's class from, hence per-link emissions and EV charging energy.

``low_emission_zone``: the most central ``central_share`` of road nodes form
a zone that cars of ``banned_classes`` (default ``diesel_car``) may not drive
to or from. Mechanisms: (1) a trip by a banned car class whose origin or
destination node is in the zone loses its car availability, so mode choice
moves it to transit, walking or cycling (a transport-authority *trip rule*
the traffic subsystem applies once cars are drawn); (2) a
``compliance_renewal_share`` of the banned cars owned city-wide are replaced
by compliant classes, pro rata to their fleet shares (the fleet shares the
traffic subsystem draws car classes from). Through traffic is not
restricted: a banned car passing the zone on its route is allowed (routes
are not constrained by class). Freight is not banned: the model has a
single truck class with no compliant alternative, so a truck ban could only
delete deliveries, whereas real zones (London ULEZ, Paris ZFE, the German
Umweltzonen) require newer trucks, which the model cannot express.

With ``min_euro`` the rule is by Euro standard, as real zones are (London's ULEZ:
diesel Euro 6, petrol Euro 4): a car of a banned class is banned only if its standard
(drawn per trip from ``fleet.euro_mix``, :mod:`twincity.emissions.euro`, the same draw
the emission account uses) is older than the class's minimum, and renewal turns
``compliance_renewal_share`` of the non-compliant cars into Euro 6d cars of the same
fuel (``fleet.euro_mix``). Without it, whole classes are banned as above.

Example:
    >>> EvIncentivePolicy({"bev_share": 0.3}).params.bev_share
    0.3
    >>> LowEmissionZonePolicy().params.banned_classes
    ['diesel_car']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, field_validator

from twincity.emissions.euro import EURO_CLASSES, trip_euro_class, trip_uniforms
from twincity.policies.base import Adaptation, Policy, central_node_mask
from twincity.scenario.base import Section
from twincity.scenario.sections_city import EuroClass
from twincity.vocab import CarClass, EuroCarClass

if TYPE_CHECKING:
    from twincity.city.build import City
    from twincity.context import RunContext, TripRuleInput


class EvIncentiveParams(Section):
    """Target battery-electric share of the car fleet."""

    bev_share: float = Field(default=0.3, ge=0, le=1,
                             description="Battery-electric share of cars after the incentive.")


class EvIncentivePolicy(Policy):
    """More battery-electric cars."""

    name = "ev_incentive"
    summary = "Raise the battery-electric share of the car fleet to a target."
    Params = EvIncentiveParams
    primary_kpis = ("co2_per_capita_transport", "nox_t_per_yr")

    def adapt(self, city: City) -> Adaptation:
        """The battery-electric share set to the target, the other classes scaled pro rata."""
        shares = dict(city.spec.fleet.car_shares)
        target = self.params.bev_share
        old = shares.get("bev_car", 0.0)
        rest = 1.0 - old
        new = {c: (v / rest * (1 - target) if rest > 0 else 0.0)
               for c, v in shares.items() if c != "bev_car"}
        new["bev_car"] = target
        note = (f"battery-electric cars {old:.1%}→{target:.1%} of the fleet; others scaled "
                f"pro rata ({', '.join(f'{c} {shares.get(c, 0):.1%}→{v:.1%}' for c, v in new.items() if c != 'bev_car')})")  # noqa: E501
        return Adaptation(policy=self.name, note=note, concrete={"car_shares": new},
                          overrides={"fleet.car_shares": new})


class LowEmissionZoneParams(Section):
    """A central zone closed to some car classes, and fleet renewal it triggers."""

    central_share: float = Field(
        default=0.1, gt=0, lt=1, description="Share of road nodes, most central first, in zone.")
    banned_classes: list[CarClass] = Field(
        default_factory=lambda: ["diesel_car"], min_length=1,
        description="Car classes that may not drive to or from the zone.")
    compliance_renewal_share: float = Field(
        default=0.2, ge=0, le=1,
        description="Share of banned cars city-wide replaced by compliant classes.")
    min_euro: dict[EuroCarClass, EuroClass] | None = Field(
        default=None,
        description="Oldest Euro standard allowed per banned class (e.g. London ULEZ: diesel "
                    "euro6, petrol euro4); a banned class not listed is banned outright.")

    @field_validator("banned_classes")
    @classmethod
    def _some_allowed(cls, value: list[str]) -> list[str]:
        if len(set(value)) == 4:
            raise ValueError("at least one car class must stay allowed")
        return value


def banned_trips(zone: np.ndarray, banned_class: np.ndarray, car_class: np.ndarray,
                 origin_node: np.ndarray, dest_node: np.ndarray) -> np.ndarray:
    """Trips a zone rule takes the car from: banned class and an end in the zone.

    ``zone`` is a node mask, ``banned_class`` a mask over vehicle-class indices.

    >>> zone = np.array([True, False, False])
    >>> banned_trips(zone, np.array([False, True]), np.array([1, 1, 0]),
    ...              np.array([0, 1, 0]), np.array([2, 2, 1])).tolist()
    [True, False, False]
    """
    return banned_class[car_class] & (zone[origin_node] | zone[dest_node])


class ZoneCarBan:
    """A trip rule for the transport authority: the trips that may not go by car.

    Called by the traffic subsystem with a :class:`~twincity.context.TripRuleInput`
    once trips and car classes are drawn; returns a boolean mask over its trips.
    """

    def __init__(self, zone: np.ndarray, banned: list[str],
                 min_euro: dict[str, str] | None = None) -> None:
        """A ban of car classes ``banned`` on trips from or to the ``zone`` nodes.

        ``min_euro``: per class, the least Euro standard still allowed in.
        """
        self.zone = zone
        self.banned = banned
        self.min_euro = dict(min_euro or {})
        self.n_banned = 0

    def __call__(self, day: TripRuleInput) -> np.ndarray:
        """Which of the day's trips may not go by car (banned class, zone at either end)."""
        t = day.trips
        names = day.car_class
        car_banned = np.isin(names, [c for c in self.banned if c not in self.min_euro])
        if self.min_euro:  # banned only below the class's minimum standard
            context = day.context
            ids = np.arange(len(names)) if day.trip_id is None else day.trip_id
            euro = trip_euro_class(names, trip_uniforms(context, ids),
                                   context.city.spec.fleet.euro_mix)
            for cls, std in self.min_euro.items():
                if cls in self.banned:
                    car_banned |= (names == cls) & (euro < EURO_CLASSES.index(std))
        out = car_banned & (self.zone[t.origin_node] | self.zone[t.dest_node])
        self.n_banned = int(np.sum(out & t.car_available))
        return out


class LowEmissionZonePolicy(Policy):
    """Cars of banned classes may not drive to or from a central zone."""

    name = "low_emission_zone"
    summary = ("Central zone closed to banned car classes (trips to/from it lose the car); "
               "part of the banned fleet renewed to compliant classes.")
    Params = LowEmissionZoneParams
    primary_kpis = ("nox_t_per_yr", "pm25_t_per_yr", "co2_per_capita_transport")

    def adapt(self, city: City) -> Adaptation:
        """The zone's nodes, the banned classes and the renewed fleet shares of this city."""
        p = self.params
        if p.min_euro:
            return self._adapt_by_standard(city)
        zone = central_node_mask(city, p.central_share)
        shares = dict(city.spec.fleet.car_shares)
        banned = [c for c in shares if c in p.banned_classes]
        allowed = {c: v for c, v in shares.items() if c not in p.banned_classes}
        freed = sum(shares[c] for c in banned) * p.compliance_renewal_share
        pool = sum(allowed.values())
        new = {c: v * (1 - p.compliance_renewal_share) for c, v in shares.items() if c in banned}
        if pool > 0:
            new.update({c: v + freed * v / pool for c, v in allowed.items()})
        else:  # no compliant car in the fleet yet: renewal buys the cleanest class
            new = {**new, "bev_car": freed}
        radius = float(np.max(np.hypot(city.network.node_x_m[zone] - city.centre_xy_m[0],
                                       city.network.node_y_m[zone] - city.centre_xy_m[1])))
        note = (f"zone: the {p.central_share:.0%} most central nodes ({int(zone.sum())} nodes, "
                f"within {radius / 1000:.1f} km of the centre); {', '.join(p.banned_classes)} "
                "may not drive to or from it (those trips lose the car; through traffic "
                f"allowed); {p.compliance_renewal_share:.0%} of banned cars renewed to compliant "
                f"classes pro rata ({', '.join(f'{c} {shares.get(c, 0):.1%}→{v:.1%}' for c, v in new.items())})")  # noqa: E501
        return Adaptation(policy=self.name, note=note, overrides={"fleet.car_shares": new},
                          concrete={"zone_nodes": np.flatnonzero(zone).tolist(),
                                    "area_radius_m": radius, "car_shares": new,
                                    "banned_classes": list(p.banned_classes)})

    def _adapt_by_standard(self, city: City) -> Adaptation:
        """Ban below a Euro standard; renewal brings non-compliant cars to Euro 6d.

        A banned class with a minimum standard keeps its fleet share: the renewed share
        of its non-compliant cars becomes Euro 6d of the same fuel (``fleet.euro_mix``).
        Banned classes without a minimum are banned outright and not renewed here.
        """
        p = self.params
        zone = central_node_mask(city, p.central_share)
        fleet = city.spec.fleet
        mixes = {c: dict(m) for c, m in (fleet.euro_mix or {}).items()}
        notes = []
        for cls, std in p.min_euro.items():
            if cls not in p.banned_classes:
                continue
            mix = mixes.get(cls, {"euro6d": 1.0})
            old = dict(mix)
            k = EURO_CLASSES.index(std)
            moved = 0.0
            for e in EURO_CLASSES[:k]:
                take = mix.get(e, 0.0) * p.compliance_renewal_share
                if take:
                    mix[e] -= take
                    moved += take
            mix["euro6d"] = mix.get("euro6d", 0.0) + moved
            mixes[cls] = mix
            below = sum(old.get(e, 0.0) for e in EURO_CLASSES[:k])
            notes.append(f"{cls} older than {std} ({below:.0%} of {cls}s) banned, "
                         f"{p.compliance_renewal_share:.0%} of them renewed to euro6d")
        outright = [c for c in p.banned_classes if c not in p.min_euro]
        if outright:
            notes.append(f"{', '.join(outright)} banned outright")
        radius = float(np.max(np.hypot(city.network.node_x_m[zone] - city.centre_xy_m[0],
                                       city.network.node_y_m[zone] - city.centre_xy_m[1])))
        note = (f"zone: the {p.central_share:.0%} most central nodes ({int(zone.sum())} nodes, "
                f"within {radius / 1000:.1f} km of the centre); " + "; ".join(notes)
                + " (those trips to or from the zone lose the car; through traffic allowed)")
        return Adaptation(policy=self.name, note=note, overrides={"fleet.euro_mix": mixes},
                          concrete={"zone_nodes": np.flatnonzero(zone).tolist(),
                                    "area_radius_m": radius, "euro_mix": mixes,
                                    "banned_classes": list(p.banned_classes),
                                    "min_euro": dict(p.min_euro)})

    def attach(self, context: RunContext, adaptation: Adaptation) -> None:
        """Hand the transport authority a :class:`ZoneCarBan` trip rule for the zone."""
        zone = np.zeros(context.city.network.n_nodes, dtype=bool)
        zone[adaptation.concrete["zone_nodes"]] = True
        context.transport_authority.trip_rules.append(
            ZoneCarBan(zone, adaptation.concrete["banned_classes"],
                       adaptation.concrete.get("min_euro")))
