"""The grid operator: its day-ahead signal, its two hooks, and the policies acting on them.

Truths independent of the code: a merit order's marginal unit worked out by hand
from capacities and loads; a session's energy is conserved when it is moved in
time (Σ load = energy ÷ charger efficiency, hour by hour where the hand schedule
says); carbon-aware charging fills the parking hours of least intensity of the
signal it follows, worked out by hand on a signal where average and marginal
intensity disagree; a carbon price swaps two units exactly at the price where
their cost + price × CO₂ cross, (c₂ − c₁) / (e₁ − e₂), the same load being served.
"""

from __future__ import annotations

import numpy as np
import pytest

from twincity.energy.charging import ChargingResult, ChargingSessions
from twincity.errors import InputError
from twincity.model import CityModel
from twincity.operators import CarbonPrice, DispatchSignal, GridOperator, StrategyCharging
from twincity.policies.energy import CarbonPricePolicy, SmartChargingPolicy
from twincity.policies.registry import apply_policies
from twincity.scenario.sections_energy import ChargingSpec, GridSpec

#: Two units by marginal cost: clean baseload (100 kW) and gas (1,000 kW, 0.4 kg/kWh).
MERIT = GridSpec.model_validate({"generators": [
    {"fuel": "gas", "capacity_kw": 1000.0, "marginal_cost_per_kwh": 0.10, "co2_kg_per_kwh": 0.4},
    {"fuel": "nuclear", "capacity_kw": 100.0, "marginal_cost_per_kwh": 0.01,
     "co2_kg_per_kwh": 0.0}]})
#: Parked 18:00 → 07:00 with 3 h of charging at 7.4 kW (charger efficiency 1).
SESSION = ChargingSessions(np.array([18.0]), np.array([7.0]), np.array([22.2]),
                           np.array([7.4]), np.array([0]), np.array([True]))


def _carbon_aware(signal: str = "average") -> StrategyCharging:
    return StrategyCharging(ChargingSpec(strategy="carbon_aware", charger_efficiency=1.0),
                            signal=signal)


def test_the_signal_is_the_merit_orders_margin_worked_out_by_hand() -> None:
    op = GridOperator(grid=MERIT, charging=ChargingSpec())
    load = np.where(np.arange(24) < 6, 60.0, 400.0)  # night below the baseload's 100 kW
    grid = op.dispatch(load)
    sig = op.signal(grid)
    # night: baseload has headroom, so one more kWh is nuclear (0 kg); day: gas is at the margin
    np.testing.assert_array_equal(sig.marginal_intensity_kg_per_kwh, np.where(load < 100, 0.0, 0.4))
    # the cheaper unit runs first: day hours average 300 kWh of gas over 400 generated
    np.testing.assert_allclose(sig.average_intensity_kg_per_kwh,
                               np.where(load < 100, 0.0, 300 * 0.4 / 400), rtol=1e-12)
    np.testing.assert_allclose(grid.generation_kwh.sum(axis=0), load, rtol=1e-12)


@pytest.mark.parametrize("kind", ["average", "marginal"])
def test_carbon_aware_fills_the_cleanest_hours_of_the_signal_it_follows(kind) -> None:
    avg = np.full(24, 0.5)
    marg = np.full(24, 0.5)
    avg[[1, 2, 3]] = 0.1  # the average says 01–04 ...
    marg[[4, 5, 6]] = 0.1  # ... the margin says 04–07
    op = GridOperator(grid=MERIT, charging=ChargingSpec())
    op.set_charging_rule(_carbon_aware(kind), by="smart_charging")
    r = op.schedule_charging(SESSION, 1, DispatchSignal(avg, marg))
    want = np.zeros(24)
    want[[1, 2, 3] if kind == "average" else [4, 5, 6]] = 7.4
    np.testing.assert_allclose(r.load_kwh[0], want, rtol=1e-12)
    assert r.load_kwh.sum() == pytest.approx(22.2) and r.unmet_kwh.tolist() == [0.0]


def test_shifting_conserves_each_sessions_daily_energy() -> None:
    rng = np.random.default_rng(3)
    n = 200
    arrival = rng.uniform(0.0, 24.0, n)
    # parked at least 5 h: 30 kWh / 0.9 at 7.4 kW takes 4.5 h, so every session can fit
    sessions = ChargingSessions(arrival, (arrival + rng.uniform(5.0, 14.0, n)) % 24,
                                rng.uniform(1.0, 30.0, n), np.full(n, 7.4),
                                rng.integers(0, 3, n), rng.random(n) < 0.7)
    sig = DispatchSignal(rng.uniform(0.1, 0.6, 24), rng.uniform(0.1, 0.9, 24))
    eff = 0.9
    loads = {}
    for strategy in ("uncontrolled", "off_peak", "carbon_aware"):
        op = GridOperator(grid=MERIT, charging=ChargingSpec(strategy=strategy,
                                                            charger_efficiency=eff))
        r = op.schedule_charging(sessions, 3, sig)
        np.testing.assert_allclose(r.delivered_kwh + r.unmet_kwh, sessions.energy_kwh)
        assert r.load_kwh.sum() == pytest.approx(r.delivered_kwh.sum() / eff, rel=1e-12)
        loads[strategy] = r
    # every session fits its parking time: moving it in time draws all its energy
    for strategy in ("uncontrolled", "carbon_aware"):
        assert loads[strategy].unmet_kwh.max() == pytest.approx(0.0, abs=1e-9)
        assert loads[strategy].load_kwh.sum() == pytest.approx(
            sessions.energy_kwh.sum() / eff, rel=1e-12)
    cost = {k: float((r.load_kwh.sum(axis=0) * sig.average_intensity_kg_per_kwh).sum())
            for k, r in loads.items()}
    assert cost["carbon_aware"] < cost["uncontrolled"]


def test_a_rule_that_loses_energy_is_refused() -> None:
    def leaky(sessions, n_zones, signal) -> ChargingResult:
        e = sessions.energy_kwh
        return ChargingResult(np.zeros((n_zones, 24)), 0.5 * e, np.zeros_like(e))

    op = GridOperator(grid=MERIT, charging=ChargingSpec())
    op.set_charging_rule(leaky, by="leaky")
    with pytest.raises(ValueError, match="does not conserve energy"):
        op.schedule_charging(SESSION, 1, DispatchSignal(np.ones(24), np.ones(24)))


def test_one_charging_rule_per_run() -> None:
    op = GridOperator(grid=MERIT, charging=ChargingSpec())
    op.set_charging_rule(_carbon_aware(), by="smart_charging")
    with pytest.raises(InputError, match="already scheduled by policy 'smart_charging'"):
        op.set_charging_rule(_carbon_aware(), by="another")


def test_smart_charging_acts_through_the_operator_not_the_scenario(tiny_path) -> None:
    policy = SmartChargingPolicy({"strategy": "carbon_aware", "signal": "marginal"})
    city, applied = apply_policies(tiny_path, [policy])
    assert applied[0][1].overrides == {}
    assert city.spec.charging.strategy == "uncontrolled"  # the city's own, unchanged
    model = CityModel(city, policies=applied, subsystems=("energy",))
    rule = model.context.grid_operator.charging_rule
    assert model.context.grid_operator.charging_rule_by == "smart_charging"
    assert (rule.spec.strategy, rule.signal) == ("carbon_aware", "marginal")


def test_smart_charging_with_an_empty_window_is_an_input_error(tiny_path) -> None:
    policy = SmartChargingPolicy({"strategy": "off_peak", "off_peak_start_h": 3,
                                  "off_peak_end_h": 3})
    with pytest.raises(InputError, match="off-peak window is empty"):
        apply_policies(tiny_path, [policy])


#: Coal before gas on cost; a carbon price above (120 − 100) / (0.9 − 0.4) = 40 per kg puts gas
#: first (costs in the tiny city's currency per kWh, so 40,000 per tonne).
COAL_GAS = [
    {"fuel": "coal", "capacity_kw": 1e6, "marginal_cost_per_kwh": 100.0, "co2_kg_per_kwh": 0.9},
    {"fuel": "gas", "capacity_kw": 1e6, "marginal_cost_per_kwh": 120.0, "co2_kg_per_kwh": 0.4}]


def test_a_carbon_price_reorders_the_merit_order_at_the_hand_computed_price() -> None:
    grid = GridSpec.model_validate({"generators": COAL_GAS})
    load = np.full(24, 500.0)
    for price_per_t, serving, intensity in ((39_000.0, 0, 0.9), (41_000.0, 1, 0.4)):
        op = GridOperator(grid=grid, charging=ChargingSpec())
        op.add_dispatch_rule(CarbonPrice(price_per_t / 1000.0))
        r = op.dispatch(load)
        np.testing.assert_allclose(r.generation_kwh[serving], load)  # one unit serves it all
        np.testing.assert_allclose(r.generation_kwh.sum(axis=0), load)
        np.testing.assert_allclose(r.average_intensity_kg_per_kwh, intensity)
    no_rule = GridOperator(grid=grid, charging=ChargingSpec())
    assert no_rule.merit_cost_per_kwh() is None and no_rule.merit_order() == ["coal", "gas"]


@pytest.mark.parametrize(("intl_usd_per_t", "fuel_first"), [(40.0, "coal"), (60.0, "gas")])
def test_the_carbon_price_policy_acts_through_the_dispatch(tiny_path, intl_usd_per_t,
                                                           fuel_first) -> None:
    # tiny: 830 per international $; 40 $/t = 33,200 per t (coal stays first), 60 $/t = 49,800
    grid = {"grid.hourly_intensity_kg_per_kwh": None, "grid.generators": COAL_GAS}
    base = CityModel.from_file(tiny_path, overrides=grid, subsystems=("energy",)).run()
    priced = CityModel.from_file(tiny_path, overrides=grid, subsystems=("energy",),
                                 policies=[CarbonPricePolicy(
                                     {"price_intl_usd_per_t": intl_usd_per_t})])
    adaptation = priced.policies[0][1]
    assert adaptation.concrete["merit_order_after"][0] == fuel_first
    res = priced.run()
    h0, h1 = base.tables["energy_hourly"], res.tables["energy_hourly"]
    assert h0["gen_gas_kwh"].sum() == 0.0  # coal serves everything at cost
    # the same load is served, by the fuel first in the priced merit order
    np.testing.assert_allclose(h1["generation_kwh"], h0["generation_kwh"], rtol=1e-12)
    np.testing.assert_allclose(h1[f"gen_{fuel_first}_kwh"], h0["generation_kwh"], rtol=1e-12)
    want = {"coal": 0.9, "gas": 0.4}[fuel_first]
    assert res.kpi("grid_intensity_mean") == pytest.approx(want)
    assert base.kpi("grid_intensity_mean") == pytest.approx(0.9)
