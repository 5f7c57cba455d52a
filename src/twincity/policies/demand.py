"""Travel-demand policies: remote work.

``remote_work``: a share of commuters work from home on a given day
(``remote_share``, e.g. 0.2 = one day in five). Mechanism: the commute trips
of those days are not made. Which ones is keyed by trip identity
(:mod:`twincity.draws`): the demand is generated as without the policy and
each commute trip is dropped if its own number is below the share, so every
other trip keeps its origin, destination, departure and every later draw
(common random numbers between the arms).

Example:
    >>> RemoteWorkPolicy({"remote_share": 0.2}).params.remote_share
    0.2
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from twincity import draws
from twincity.policies.base import Adaptation, Policy
from twincity.scenario.base import Section
from twincity.traffic.demand import Trips
from twincity.vocab import COMMUTE

if TYPE_CHECKING:
    from twincity.city.build import City
    from twincity.context import RunContext


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
        """The share of commutes not made (the expected trip rate in the note)."""
        d, r = city.spec.demand, self.params.remote_share
        rate = d.trips_per_person_per_day * (1 - d.commute_share * r)
        note = (f"{r:.0%} of commute trips not made (each chosen by its own keyed number): "
                f"trips per person {d.trips_per_person_per_day:.2f}→{rate:.2f} in expectation")
        return Adaptation(policy=self.name, note=note, concrete={"remote_share": r})

    def attach(self, context: RunContext, adaptation: Adaptation) -> None:
        """Add a demand rule dropping that share of commutes, each by its own keyed number."""
        share = float(adaptation.concrete["remote_share"])
        context.demand_rules.append(partial(_remote_commutes, share=share))


def _remote_commutes(trips: Trips, trip_id: np.ndarray, seed: int, *, share: float) -> np.ndarray:
    """Commute trips not made: those whose keyed number (seed, trip id) is below ``share``."""
    u = draws.uniform(seed, "remote-work", trip_id)
    return (np.asarray(trips.purpose) == COMMUTE) & (u < share)
