"""Public transport policies: service frequency and fares, bus rapid transit.

* ``transit_service`` (Helsinki's frequent network and fare policy): every
  line's headway and the feeder headway divided by ``frequency_factor``; the
  fare multiplied by ``fare_factor``. Mechanism: the transit skims (wait =
  headway / 2, fare) that mode choice reads.
* ``brt`` (Sejong): a bus rapid transit line on dedicated lanes along a
  corridor through the centre (or a ring); the lanes are taken from the
  roads it runs along — one lane per direction of every arterial or motorway
  link within ``corridor_width_m`` of the line loses its share of capacity
  and storage. Mechanism: a new trunk line in the transit graph, less road
  capacity in the kernel and in routing.

Example:
    >>> TransitServicePolicy({"frequency_factor": 2}).params.fare_factor
    1.0
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from twincity.city.network import ROAD_CLASSES, Network
from twincity.policies.base import Adaptation, Policy
from twincity.scenario.base import Section

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

    def adapt(self, city: City) -> Adaptation:
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


class BrtParams(Section):
    """A BRT line described relative to the city."""

    layout: Literal["corridor", "ring"] = "corridor"
    corridor_angle_deg: float = Field(default=0.0, description="Direction through the centre.")
    ring_share: float = Field(default=0.5, gt=0, lt=1, description="Ring radius / city radius.")
    headway_s: float = Field(default=300.0, gt=0, description="Peak headway (headway_min ok).")
    speed_mps: float = Field(default=30 / 3.6, gt=0, description="Commercial speed on own lanes.")
    lanes_taken: int = Field(default=1, ge=0, le=2, description="Road lanes per direction taken.")
    corridor_width_m: float = Field(default=250.0, gt=0,
                                    description="Road links this close to the line lose lanes.")


class BrtPolicy(Policy):
    """Bus rapid transit on dedicated lanes taken from the road."""

    name = "brt"
    summary = "A BRT trunk line on lanes taken from the arterials it follows."
    Params = BrtParams

    def _line_spec(self, city: City) -> dict:
        p = self.params
        line = {"name": f"BRT ({self.label})", "kind": "brt", "headway_s": p.headway_s,
                "speed_mps": p.speed_mps, "dedicated_lanes": True}
        if p.layout == "ring":
            line["ring_share"] = p.ring_share
        else:
            line["corridor_angle_deg"] = p.corridor_angle_deg
        return line

    def _affected(self, city: City) -> np.ndarray:
        """Arterial and motorway links near the line (both directions)."""
        net, p = city.network, self.params
        cx, cy = city.centre_xy_m
        mx = 0.5 * (net.node_x_m[net.link_from] + net.node_x_m[net.link_to]) - cx
        my = 0.5 * (net.node_y_m[net.link_from] + net.node_y_m[net.link_to]) - cy
        if p.layout == "ring":
            dist = np.abs(np.hypot(mx, my) - p.ring_share * city.radius_m)
        else:
            a = np.deg2rad(p.corridor_angle_deg)
            dist = np.abs(-np.sin(a) * mx + np.cos(a) * my)
        major = np.isin(net.road_class, [ROAD_CLASSES.index("arterial"),
                                         ROAD_CLASSES.index("motorway")])
        return major & (dist <= p.corridor_width_m) & (net.lanes > p.lanes_taken)

    def adapt(self, city: City) -> Adaptation:
        line = self._line_spec(city)
        hit = self._affected(city)
        lane_km = float(np.sum(city.network.length_m[hit]) * self.params.lanes_taken / 1000)
        lines = [ln.model_dump(mode="json") for ln in city.spec.transit.lines] + [line]
        where = (f"a ring at {self.params.ring_share:.0%} of the {city.radius_m / 1000:.1f} km "
                 "radius" if self.params.layout == "ring" else
                 f"a corridor through the centre at {self.params.corridor_angle_deg:g}°")
        note = (f"BRT on {where}, headway {self.params.headway_s / 60:g} min at "
                f"{self.params.speed_mps * 3.6:.0f} km/h on its own lanes; "
                f"{self.params.lanes_taken} lane per direction taken from {int(hit.sum())} road "
                f"links ({lane_km:.1f} lane-km)")
        return Adaptation(policy=self.name, note=note, overrides={"transit.lines": lines},
                          concrete={"links": np.flatnonzero(hit).tolist(),
                                    "lane_km_taken": lane_km, "line": line})

    def modify_network(self, city: City, adaptation: Adaptation) -> Network:
        net = city.network
        hit = np.zeros(net.n_links, dtype=bool)
        hit[adaptation.concrete["links"]] = True
        keep = np.where(hit, (net.lanes - self.params.lanes_taken) / net.lanes, 1.0)
        return net.replace(lanes=np.where(hit, net.lanes - self.params.lanes_taken,
                                          net.lanes).astype(net.lanes.dtype),
                           capacity_vph=net.capacity_vph * keep,
                           storage_veh=np.maximum(1.0, net.storage_veh * keep))
