"""Energy policies: smart EV charging, rooftop PV, building retrofit, district heating.

Mechanism: smart charging acts during the run through the grid operator's
load-shifting hook (:meth:`~twincity.operators.grid.GridOperator.set_charging_rule`);
the others through the scenario's energy sections, which the energy subsystem
reads when it builds the buildings and PV of the city:

* ``smart_charging`` — the grid operator schedules EV charging off-peak or in the
  lowest-carbon hours of its day-ahead signal (average or marginal intensity),
  instead of the city's own ``charging.strategy`` (the off-peak window in local
  hours if given).
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

from pydantic import Field, ValidationError

from twincity.errors import InputError
from twincity.operators.grid import StrategyCharging
from twincity.policies.base import Adaptation, Policy
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
