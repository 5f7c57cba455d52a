"""Mobility as a service (MaaS): one subscription for public transport and shared bikes.

``maas_bundle``: subscribers pay less per public-transport trip and can use
shared bikes. City-neutral parameters: ``fare_discount`` (share of the fare
the bundle saves per trip, averaged over all travellers) and
``bike_access_added`` (share of people for whom cycling becomes an option
through shared bikes, added to the city's ``bike_available_share``, capped
at 1). Mechanism: the transit fare in the transit skims and the bike
availability of generated trips, both read by mode choice.

Not modelled: car sharing and taxi legs of bundles (the model has no shared
car fleet; a car-sharing trip would be a car trip without ownership, which
the demand model's car availability cannot yet express), subscription fees
(a fixed monthly price does not change the cost of a single trip in a
per-trip logit), and integrated journey planning.

Example:
    >>> MaasBundlePolicy({"fare_discount": 0.25}).params.bike_access_added
    0.2
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from twincity.policies.base import Adaptation, Policy
from twincity.scenario.base import Section

if TYPE_CHECKING:
    from twincity.city.build import City


class MaasBundleParams(Section):
    """Fare discount and shared-bike access of a MaaS bundle."""

    fare_discount: float = Field(default=0.3, ge=0, le=1,
                                 description="Share of the per-trip transit fare saved.")
    bike_access_added: float = Field(default=0.2, ge=0, le=1,
                                     description="Share of people gaining a (shared) bike.")


class MaasBundlePolicy(Policy):
    """Mobility as a service: cheaper transit trips plus shared bikes."""

    name = "maas_bundle"
    summary = "MaaS bundle: transit fare discount and shared-bike availability (no car sharing)."
    Params = MaasBundleParams
    primary_kpis = ("mode_share_car", "mode_share_transit", "mode_share_bike")

    def adapt(self, city: City) -> Adaptation:
        """The discounted fare and the share of people with a bike option."""
        p, spec = self.params, city.spec
        fare = spec.transit.fare * (1.0 - p.fare_discount)
        bike_now = spec.demand.bike_available_share
        bike = min(1.0, bike_now + p.bike_access_added)
        note = (f"transit fare {spec.transit.fare:g}→{fare:g} {spec.city.currency} per trip "
                f"({p.fare_discount:.0%} off); cycling an option for {bike_now:.0%}→{bike:.0%} "
                "of people (shared bikes); car sharing not modelled")
        return Adaptation(policy=self.name, note=note, concrete={
            "fare": fare, "bike_available_share": bike},
            overrides={"transit.fare": fare, "demand.bike_available_share": bike})
