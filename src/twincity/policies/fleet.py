"""Fleet policies: EV purchase incentive.

``ev_incentive``: the battery-electric share of the car fleet reaches
``bev_share`` (an incentive's outcome stated as a fleet share); the other
classes shrink pro rata. Mechanism: the fleet shares the traffic subsystem
draws each car's class from, hence per-link emissions and EV charging energy.

Example:
    >>> EvIncentivePolicy({"bev_share": 0.3}).params.bev_share
    0.3
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from twincity.policies.base import Adaptation, Policy
from twincity.scenario.base import Section

if TYPE_CHECKING:
    from twincity.city.build import City


class EvIncentiveParams(Section):
    """Target battery-electric share of the car fleet."""

    bev_share: float = Field(default=0.3, ge=0, le=1,
                             description="Battery-electric share of cars after the incentive.")


class EvIncentivePolicy(Policy):
    """More battery-electric cars."""

    name = "ev_incentive"
    summary = "Raise the battery-electric share of the car fleet to a target."
    Params = EvIncentiveParams

    def adapt(self, city: City) -> Adaptation:
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
