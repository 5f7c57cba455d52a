"""Energy policies: smart charging, carbon price, rooftop PV, building retrofit, district heating.

Mechanism: the policies that change how the grid is *operated* act during the
run through the grid operator's hooks (:mod:`twincity.operators.grid`): smart
charging through its load-shifting rule, a carbon price through a dispatch rule.
Those that change what is *built* (PV capacity, envelopes, heating systems) act
through the scenario's energy sections, which the energy subsystem reads when it
builds the buildings and PV of the city:

* ``smart_charging`` — the grid operator schedules EV charging off-peak or in the
  lowest-carbon hours of its day-ahead signal (average or marginal intensity),
  instead of the city's own ``charging.strategy`` (the off-peak window in local
  hours if given).
* ``carbon_price`` — the grid operator ranks units by marginal cost + price ×
  CO₂ intensity (:class:`~twincity.operators.grid.CarbonPrice`); a grid given as
  a fixed intensity series has no merit order, and the note says the price
  changes nothing there.
* ``rooftop_pv`` — installed rooftop PV per resident reaches a target
  (``buildings.rooftop_pv.per_capita_kwp``; a city total is converted to per
  capita first; capacity never falls).
* ``building_retrofit`` — a share of each use's floor area gets its envelope
  heat loss multiplied by a factor. The energy model has one envelope per use,
  so the use's ``envelope_loss_w_per_m2k`` becomes the floor-area-weighted
  mean ``(1 − s)·U + s·f·U``. Transmission and ventilation loss are linear in
  U, so the stock's heat *loss* is exact; heating *demand* (loss minus gains,
  floored at zero) is convex in U, so the averaged stock slightly understates
  demand in mild hours when retrofitted buildings would need no heat and the
  others would (Jensen's inequality) — the saving is, if anything, overstated.
* ``district_heating_expansion`` — floor area moves from the chosen source
  systems (gas and oil boilers, resistance heating) to district heating until
  it serves ``target_share``, taken from the sources pro rata to their shares
  (``buildings.heating_shares``).

Example:
    >>> RooftopPvPolicy({"per_capita_kwp": 0.5}).params.per_capita_kwp
    0.5
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationError, model_validator

from twincity.errors import InputError
from twincity.operators.grid import CarbonPrice, GridOperator, StrategyCharging
from twincity.policies.base import Adaptation, Policy, money_from_origin
from twincity.scenario.base import Section
from twincity.scenario.sections_energy import ChargingSpec

if TYPE_CHECKING:
    from twincity.city.build import City
    from twincity.context import RunContext

HeatingSystem = Literal["gas_boiler", "oil_boiler", "electric_resistance", "heat_pump"]


# --------------------------------------------------------------------------- smart charging


class SmartChargingParams(Section):
    """How EVs are asked to charge."""

    strategy: Literal["off_peak", "carbon_aware"] = Field(
        default="carbon_aware",
        description="off_peak: in the off-peak window; carbon_aware: in the lowest-carbon hours.")
    off_peak_start_h: float | None = Field(
        default=None, ge=0, lt=24, description="Local start of the off-peak window (default: "
                                               "the city's own).")
    off_peak_end_h: float | None = Field(
        default=None, ge=0, lt=24, description="Local end of the off-peak window (may wrap).")
    signal: Literal["average", "marginal"] = Field(
        default="average",
        description="carbon_aware follows the hour's average grid intensity (published "
                    "signals) or its marginal intensity (the unit serving one more kWh).")


class SmartChargingPolicy(Policy):
    """Managed EV charging: off-peak or carbon-aware."""

    name = "smart_charging"
    summary = "EVs charge off-peak or in the lowest-carbon hours instead of on arrival."
    Params = SmartChargingParams
    primary_kpis = ("peak_load", "co2_per_capita_electricity")

    def adapt(self, city: City) -> Adaptation:
        """The city's charging section with this strategy and window (no scenario change)."""
        p, c = self.params, city.spec.charging
        start = c.off_peak_start_s if p.off_peak_start_h is None else p.off_peak_start_h * 3600
        end = c.off_peak_end_s if p.off_peak_end_h is None else p.off_peak_end_h * 3600
        _charging_spec(c, start_s=start, end_s=end, strategy=p.strategy)  # fail early
        how = (f"in the off-peak window {start / 3600:g}–{end / 3600:g} h local time"
               if p.strategy == "off_peak" else
               f"in the hours of lowest forecast {p.signal} grid carbon intensity before "
               "departure")
        note = (f"EV charging strategy {c.strategy}→{p.strategy}, scheduled by the grid "
                f"operator: sessions charge {how}")
        return Adaptation(policy=self.name, note=note, concrete={
            "strategy": p.strategy, "off_peak_start_s": start, "off_peak_end_s": end,
            "signal": p.signal})

    def attach(self, context: RunContext, adaptation: Adaptation) -> None:
        """Hand the grid operator the charging rule (its load-shifting hook)."""
        c = adaptation.concrete
        spec = _charging_spec(context.city.spec.charging, start_s=c["off_peak_start_s"],
                              end_s=c["off_peak_end_s"], strategy=c["strategy"])
        context.grid_operator.set_charging_rule(StrategyCharging(spec, signal=c["signal"]),
                                                by=self.name)


def _charging_spec(charging: ChargingSpec, *, start_s: float, end_s: float,
                   strategy: str) -> ChargingSpec:
    """The city's charging section with another strategy and off-peak window (validated)."""
    try:
        return ChargingSpec.model_validate(charging.model_dump() | {
            "strategy": strategy, "off_peak_start_s": start_s, "off_peak_end_s": end_s})
    except ValidationError as exc:
        raise InputError(exc.errors()[0]["msg"],
                         path=f"policy {SmartChargingPolicy.name}: params") from None


# --------------------------------------------------------------------------- rooftop PV


class RooftopPvParams(Section):
    """Target installed rooftop PV per resident."""

    per_capita_kwp: float = Field(default=0.5, ge=0,
                                  description="Installed rooftop PV per resident, kWp.")


class RooftopPvPolicy(Policy):
    """Rooftop PV programme to a per-capita target."""

    name = "rooftop_pv"
    summary = "Raise installed rooftop PV to a per-resident target (kWp per capita)."
    Params = RooftopPvParams
    primary_kpis = ("co2_per_capita_electricity", "renewable_share")

    def adapt(self, city: City) -> Adaptation:
        """The per-resident PV target as the city's capacity (never below today's)."""
        pv, pop = city.spec.buildings.rooftop_pv, city.spec.city.population
        if pv.per_capita_kwp is not None:
            now = pv.per_capita_kwp
        elif pv.total_kwp is not None:
            now = pv.total_kwp / pop
        else:
            now = 0.0
        target = max(now, self.params.per_capita_kwp)
        note = (f"rooftop PV {now:.3f}→{target:.3f} kWp per resident "
                f"({now * pop / 1000:,.1f}→{target * pop / 1000:,.1f} MWp for "
                f"{pop:,} residents, spread over zones by population)")
        if target == now and self.params.per_capita_kwp < now:
            note += f"; the city already exceeds the {self.params.per_capita_kwp:g} kWp target"
        return Adaptation(policy=self.name, note=note, concrete={
            "per_capita_kwp": target, "total_kwp": target * pop},
            overrides={"buildings.rooftop_pv.per_capita_kwp": target,
                       "buildings.rooftop_pv.total_kwp": None})


# --------------------------------------------------------------------------- retrofit


class BuildingRetrofitParams(Section):
    """Envelope retrofit of a share of the floor area."""

    share: float = Field(default=0.3, ge=0, le=1,
                         description="Share of each use's floor area retrofitted.")
    loss_factor: float = Field(default=0.5, gt=0, le=1,
                               description="Envelope heat loss of retrofitted floor × this.")
    uses: list[str] | None = Field(default=None,
                                   description="Building uses retrofitted (default: all).")


class BuildingRetrofitPolicy(Policy):
    """Deep envelope retrofit of part of the stock."""

    name = "building_retrofit"
    summary = "A share of floor area per use gets its envelope heat loss cut by a factor."
    Params = BuildingRetrofitParams
    primary_kpis = ("co2_per_capita_buildings", "co2_per_capita_total")

    def adapt(self, city: City) -> Adaptation:
        """Each chosen use's envelope loss as the floor-area-weighted mean after retrofit."""
        p, uses = self.params, city.spec.buildings.uses
        chosen = list(uses) if p.uses is None else p.uses
        unknown = sorted(set(chosen) - set(uses))
        if unknown:
            raise InputError(f"unknown building uses {unknown}; the city has {sorted(uses)}",
                             path=f"policy {self.name}: params.uses")
        keep = 1.0 - p.share + p.share * p.loss_factor  # area-weighted mean multiplier
        new = {u: uses[u].envelope_loss_w_per_m2k * keep for u in chosen}
        overrides = {f"buildings.uses.{u}.envelope_loss_w_per_m2k": v for u, v in new.items()}
        per_use = ", ".join(f"{u} {uses[u].envelope_loss_w_per_m2k:.2f}→{v:.2f}"
                            for u, v in new.items())
        note = (f"{p.share:.0%} of the floor area of {', '.join(chosen)} retrofitted to "
                f"{p.loss_factor:.0%} of its envelope heat loss; one envelope per use, so its "
                f"loss becomes the floor-area-weighted mean × {keep:.3f} W/(m²K) ({per_use})")
        return Adaptation(policy=self.name, note=note, overrides=overrides,
                          concrete={"envelope_loss_w_per_m2k": new, "multiplier": keep})


# --------------------------------------------------------------------------- district heating


class DistrictHeatingParams(Section):
    """District heating expansion to a share of heated floor area."""

    target_share: float = Field(default=0.5, ge=0, le=1,
                                description="District-heated share of heated floor area.")
    from_systems: list[HeatingSystem] = Field(
        default_factory=lambda: ["gas_boiler", "oil_boiler", "electric_resistance"],
        min_length=1, description="Systems replaced, pro rata to their shares.")


class DistrictHeatingPolicy(Policy):
    """Connect buildings on boilers (and resistance heating) to district heating."""

    name = "district_heating_expansion"
    summary = "Shift heating from boilers/resistance to district heating up to a target share."
    Params = DistrictHeatingParams
    primary_kpis = ("co2_per_capita_buildings", "co2_per_capita_total")

    def adapt(self, city: City) -> Adaptation:
        """Heating shares moved pro rata from the source systems to district heating."""
        p = self.params
        shares = city.spec.buildings.heating_shares.model_dump()
        now = shares["district_heating"]
        pool = sum(shares[s] for s in p.from_systems)
        moved = min(max(0.0, p.target_share - now), pool)
        new = dict(shares)
        for s in p.from_systems:
            new[s] = shares[s] - (moved * shares[s] / pool if pool > 0 else 0.0)
        new["district_heating"] = now + moved
        changes = ", ".join(f"{s} {shares[s]:.1%}→{new[s]:.1%}" for s in p.from_systems
                            if shares[s] > 0) or "none of " + ", ".join(p.from_systems)
        note = (f"district heating {now:.1%}→{new['district_heating']:.1%} of heated floor "
                f"area, taken pro rata from {changes}")
        if now >= p.target_share:
            note += f" (already at or above the {p.target_share:.0%} target: no change)"
        elif moved < p.target_share - now:
            note += (f" (the sources held only {pool:.1%}: the {p.target_share:.0%} target "
                     "is not reached)")
        return Adaptation(policy=self.name, note=note, concrete={"heating_shares": new},
                          overrides={"buildings.heating_shares": new})


# --------------------------------------------------------------------------- carbon price


class CarbonPriceParams(Section):
    """A price per tonne of CO₂ on electricity generation."""

    price_intl_usd_per_t: float | None = Field(
        default=50.0, ge=0,
        description="Price per tonne of CO2 in international (PPP) dollars, converted to the "
                    "city's currency by its ppp_per_usd (illustrative default).")
    price_origin_per_t: float | None = Field(
        default=None, ge=0,
        description="Price per tonne of CO2 in the origin city's money (PPP-converted); "
                    "replaces price_intl_usd_per_t.")

    @model_validator(mode="after")
    def _one_price(self) -> CarbonPriceParams:
        if self.price_origin_per_t is not None:
            object.__setattr__(self, "price_intl_usd_per_t", None)
        if self.price_intl_usd_per_t is None and self.price_origin_per_t is None:
            raise ValueError("give price_intl_usd_per_t or price_origin_per_t")
        return self


class CarbonPricePolicy(Policy):
    """A carbon price on generation: the grid operator dispatches by cost + price × CO₂."""

    name = "carbon_price"
    summary = "Price CO2 from electricity generation: the merit order ranks units by cost + price."
    Params = CarbonPriceParams
    primary_kpis = ("co2_per_capita_electricity", "grid_intensity_mean")

    def adapt(self, city: City) -> Adaptation:
        """The price in the city's money, and the merit order before and after it."""
        p, target = self.params, city.spec.city
        if p.price_origin_per_t is not None:
            price = money_from_origin(p.price_origin_per_t, self.origin, target)
            how = (f"{p.price_origin_per_t:g} {self.origin.currency if self.origin else ''}/t "
                   "converted by purchasing power")
        else:
            price = p.price_intl_usd_per_t * target.ppp_per_usd
            how = f"{p.price_intl_usd_per_t:g} international $/t × PPP {target.ppp_per_usd:g}"
        operator = GridOperator(grid=city.spec.grid, charging=city.spec.charging)
        before = operator.merit_order()
        operator.add_dispatch_rule(CarbonPrice(price / 1000.0))
        after = operator.merit_order()
        note = (f"carbon price {price:,.2f} {target.currency} per t CO2 ({how}) on generation; "
                "demand does not respond to price, only the dispatch changes")
        if operator.units is None:
            note += ("; the city's grid is a given hourly intensity series without a merit "
                     "order, so the price changes nothing here")
        else:
            note += ("; added to each unit's marginal cost in the scenario (which may already "
                     "hold a price): " + (f"merit order {' > '.join(before)} → "
                                          f"{' > '.join(after)}" if after != before else
                                          f"the merit order ({' > '.join(before)}) does not "
                                          "change"))
        return Adaptation(policy=self.name, note=note, concrete={
            "price_per_t": price, "currency": target.currency, "merit_order_before": before,
            "merit_order_after": after})

    def attach(self, context: RunContext, adaptation: Adaptation) -> None:
        """Hand the grid operator the price as a dispatch rule."""
        rule = CarbonPrice(float(adaptation.concrete["price_per_t"]) / 1000.0)
        context.grid_operator.add_dispatch_rule(rule)
