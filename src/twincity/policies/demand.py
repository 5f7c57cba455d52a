"""Travel-demand policies: remote work.

``remote_work``: a share of commuters work from home on a given day
(``remote_share``, e.g. 0.2 = one day in five). Mechanism: demand
generation — the commute trips of those days are not made: the trip rate
falls by ``commute_share × remote_share`` and the commute share of the
remaining trips falls accordingly (other trips are unchanged).

Example:
    >>> RemoteWorkPolicy({"remote_share": 0.2}).params.remote_share
    0.2
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from twincity.policies.base import Adaptation, Policy
from twincity.scenario.base import Section

if TYPE_CHECKING:
    from twincity.city.build import City


class RemoteWorkParams(Section):
    """Share of commute trips not made because people work from home."""

    remote_share: float = Field(default=0.2, ge=0, lt=1,
                                description="Share of commute trips replaced by remote work.")


class RemoteWorkPolicy(Policy):
    """Fewer commute trips."""

    name = "remote_work"
    summary = "A share of commuters work from home: fewer commute trips."
    Params = RemoteWorkParams
    primary_kpis = ("vehicle_km", "total_delay", "co2_per_capita_transport")

    def adapt(self, city: City) -> Adaptation:
        d, r = city.spec.demand, self.params.remote_share
        rate = d.trips_per_person_per_day * (1 - d.commute_share * r)
        commute = d.commute_share * (1 - r) / (1 - d.commute_share * r)
        note = (f"{r:.0%} of commute trips not made: trips per person "
                f"{d.trips_per_person_per_day:.2f}→{rate:.2f}, commute share "
                f"{d.commute_share:.2f}→{commute:.2f}")
        return Adaptation(policy=self.name, note=note, concrete={
            "trips_per_person_per_day": rate, "commute_share": commute},
            overrides={"demand.trips_per_person_per_day": rate, "demand.commute_share": commute})
