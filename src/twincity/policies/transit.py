"""Public transport policies: service frequency and fares, bus rapid transit.

* ``transit_service`` (Helsinki's frequent network and fare policy): every
  line's headway and the feeder headway divided by ``frequency_factor``; the
  fare multiplied by ``fare_factor``. Mechanism: the transit skims (wait =
  headway / 2, fare) that mode choice reads.
* ``brt`` (Sejong): bus rapid transit lines on dedicated lanes, each along a
  corridor through the centre or a ring; the lanes are taken from the roads
  they run along — one lane per direction of every arterial or motorway link
  within ``corridor_width_m`` of a line loses its share of capacity and
  storage. Mechanism: new trunk lines in the transit graph, less road
  capacity in the kernel and in routing. Sejong's own BRT (ring plus two
  corridors) is this policy *in force* in its scenario, so removing it
  (``--without sejong:brt``) removes both the lines and the lanes.

Example:
    >>> TransitServicePolicy({"frequency_factor": 2}).params.fare_factor
    1.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field, model_validator

from twincity.city.network import Network
from twincity.policies.base import Adaptation, Policy
from twincity.scenario.base import Section
from twincity.vocab import ARTERIAL, MOTORWAY

if TYPE_CHECKING:
    from twincity.city.build import City


class TransitServiceParams(Section):
    """Frequency and fare change, as factors of the city's own service."""

    frequency_factor: float = Field(default=1.5, gt=0, description="Services per hour × this.")
    fare_factor: float = Field(default=1.0, ge=0, description="Fare × this (0 = free).")
    include_feeder: bool = Field(default=True, description="Also the area-wide bus network.")


class TransitServicePolicy(Policy):
    """More frequent and/or cheaper public transport."""

    name = "transit_service"
    summary = "Divide headways by a factor and scale fares."
    Params = TransitServiceParams
    primary_kpis = ("mode_share_transit", "mode_share_car", "mean_commute_time")

    def adapt(self, city: City) -> Adaptation:
        """Headways and fare scaled (the feeder too if asked) as scenario overrides."""
        p, t = self.params, city.spec.transit
        lines = [line.model_dump(mode="json") for line in t.lines]
        for line in lines:
            line["headway_s"] = line["headway_s"] / p.frequency_factor
        overrides = {"transit.lines": lines, "transit.fare": t.fare * p.fare_factor}
        feeder = t.feeder_headway_s
        if p.include_feeder:
            feeder = t.feeder_headway_s / p.frequency_factor
            overrides["transit.feeder_headway_s"] = feeder
        note = (f"{len(lines)} trunk lines' headways ÷ {p.frequency_factor:g} "
                f"({', '.join(f'{ln.name} {ln.headway_s / 60:.1f}→{ln.headway_s / 60 / p.frequency_factor:.1f} min' for ln in t.lines)})"  # noqa: E501
                f"; feeder {t.feeder_headway_s / 60:.1f}→{feeder / 60:.1f} min; fare "
                f"{t.fare:g}→{t.fare * p.fare_factor:g} {city.spec.city.currency}")
        return Adaptation(policy=self.name, note=note, overrides=overrides,
                          concrete={"fare": t.fare * p.fare_factor, "feeder_headway_s": feeder,
                                    "line_headways_s": [ln["headway_s"] for ln in lines]})


class BrtLine(Section):
    """One BRT line described relative to the city (a corridor through the centre or a ring)."""

    name: str | None = Field(default=None, description="What the city calls the line.")
    layout: Literal["corridor", "ring"] = "corridor"
    corridor_angle_deg: float = Field(default=0.0, description="Direction through the centre.")
    ring_share: float = Field(default=0.5, gt=0, lt=1, description="Ring radius / city radius.")
    headway_s: float = Field(default=300.0, gt=0, description="Peak headway (headway_min ok).")
    speed_mps: float = Field(default=30 / 3.6, gt=0, description="Commercial speed on own lanes.")


#: BrtParams fields that belong to the network as a whole, not to one line.
_BRT_NETWORK_FIELDS = ("lines", "lanes_taken", "corridor_width_")


class BrtParams(Section):
    """A BRT network: one or more lines on lanes taken from the arterials they follow.

    One line may be written with its fields at the top level (``layout``,
    ``corridor_angle_deg``, ``headway_min`` …) instead of under ``lines``.
    """

    lines: list[BrtLine] = Field(default_factory=lambda: [BrtLine()], min_length=1,
                                 description="The BRT lines (corridors and/or rings).")
    lanes_taken: int = Field(default=1, ge=0, le=2, description="Road lanes per direction taken.")
    corridor_width_m: float = Field(default=250.0, gt=0,
                                    description="Road links this close to a line lose lanes.")

    @model_validator(mode="before")
    @classmethod
    def _one_line_at_top_level(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        line = {k: v for k, v in data.items() if not str(k).startswith(_BRT_NETWORK_FIELDS)}
        if not line:
            return data
        if "lines" in data:
            raise ValueError(f"give the lines under 'lines' or one line's fields at the top "
                             f"level, not both (got {sorted(line)} and lines)")
        return {**{k: v for k, v in data.items() if k not in line}, "lines": [line]}


class BrtPolicy(Policy):
    """Bus rapid transit on dedicated lanes taken from the road."""

    name = "brt"
    summary = "BRT lines (corridors, rings) on lanes taken from the arterials they follow."
    Params = BrtParams
    primary_kpis = ("mode_share_transit", "mode_share_car", "mean_commute_time")

    def _line_specs(self) -> list[dict]:
        out = []
        for i, ln in enumerate(self.params.lines):
            name = ln.name or (f"BRT ({self.label})" if len(self.params.lines) == 1
                               else f"BRT {i + 1} ({self.label})")
            line = {"name": name, "kind": "brt", "headway_s": ln.headway_s,
                    "speed_mps": ln.speed_mps, "dedicated_lanes": True}
            if ln.layout == "ring":
                line["ring_share"] = ln.ring_share
            else:
                line["corridor_angle_deg"] = ln.corridor_angle_deg
            out.append(line)
        return out

    def _affected(self, city: City) -> np.ndarray:
        """Arterial and motorway links near any of the lines (both directions)."""
        net, p = city.network, self.params
        cx, cy = city.centre_xy_m
        mx = 0.5 * (net.node_x_m[net.link_from] + net.node_x_m[net.link_to]) - cx
        my = 0.5 * (net.node_y_m[net.link_from] + net.node_y_m[net.link_to]) - cy
        near = np.zeros(net.n_links, dtype=bool)
        for ln in p.lines:
            if ln.layout == "ring":
                dist = np.abs(np.hypot(mx, my) - ln.ring_share * city.radius_m)
            else:
                a = np.deg2rad(ln.corridor_angle_deg)
                dist = np.abs(-np.sin(a) * mx + np.cos(a) * my)
            near |= dist <= p.corridor_width_m
        major = np.isin(net.road_class, [ARTERIAL, MOTORWAY])
        return major & near & (net.lanes > p.lanes_taken)

    def adapt(self, city: City) -> Adaptation:
        """The new BRT lines and the road links that lose a lane to them."""
        new = self._line_specs()
        hit = self._affected(city)
        lane_km = float(np.sum(city.network.length_m[hit]) * self.params.lanes_taken / 1000)
        lines = [ln.model_dump(mode="json") for ln in city.spec.transit.lines] + new
        where = "; ".join(
            (f"{ln['name']}: a ring at {ln['ring_share']:.0%} of the {city.radius_m / 1000:.1f} km "
             "radius" if "ring_share" in ln else
             f"{ln['name']}: a corridor through the centre at {ln['corridor_angle_deg']:g}°")
            + f", headway {ln['headway_s'] / 60:g} min at {ln['speed_mps'] * 3.6:.0f} km/h"
            for ln in new)
        note = (f"{len(new)} BRT line(s) on their own lanes ({where}); "
                f"{self.params.lanes_taken} lane per direction taken from {int(hit.sum())} road "
                f"links ({lane_km:.1f} lane-km)")
        return Adaptation(policy=self.name, note=note, overrides={"transit.lines": lines},
                          concrete={"links": np.flatnonzero(hit).tolist(),
                                    "lane_km_taken": lane_km, "lines": new})

    def modify_network(self, city: City, adaptation: Adaptation) -> Network:
        """The affected links with fewer lanes, capacity and storage."""
        net = city.network
        hit = np.zeros(net.n_links, dtype=bool)
        hit[adaptation.concrete["links"]] = True
        keep = np.where(hit, (net.lanes - self.params.lanes_taken) / net.lanes, 1.0)
        return net.replace(lanes=np.where(hit, net.lanes - self.params.lanes_taken,
                                          net.lanes).astype(net.lanes.dtype),
                           capacity_vph=net.capacity_vph * keep,
                           storage_veh=np.maximum(1.0, net.storage_veh * keep))
