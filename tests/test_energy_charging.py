"""EV charging strategies: conservation, windows, carbon-aware savings, a reference check."""

from __future__ import annotations

import numpy as np
import pytest

from twincity.energy.charging import charger_power_kw, charging_load_kwh
from twincity.scenario.sections_energy import ChargingSpec

INTENSITY = 0.45 + 0.2 * np.cos(2 * np.pi * (np.arange(24) - 19) / 24)  # evening peak


def sessions(seed: int, n: int = 2000, max_kwh: float = 30.0):
    rng = np.random.default_rng(seed)
    arrival = rng.uniform(16.0, 22.0, n)
    departure = rng.uniform(7.0, 9.0, n)  # next morning
    energy = rng.uniform(1.0, max_kwh, n)
    power = rng.choice([3.7, 7.4, 11.0], n)
    zone = rng.integers(0, 4, n)
    return arrival, departure, energy, power, zone


@pytest.mark.parametrize("strategy", ["uncontrolled", "off_peak", "carbon_aware"])
def test_every_strategy_conserves_energy(strategy: str) -> None:
    a, d, e, p, z = sessions(1)
    spec = ChargingSpec(strategy=strategy, charger_efficiency=0.9)
    r = charging_load_kwh(a, d, e, p, z, 4, spec, intensity_kg_per_kwh=INTENSITY)
    assert np.allclose(r.delivered_kwh + r.unmet_kwh, e, rtol=1e-12)
    assert r.load_kwh.sum() == pytest.approx(r.delivered_kwh.sum() / 0.9, rel=1e-12)
    assert np.all(r.load_kwh >= 0.0)
    if strategy != "off_peak":  # whatever fits in the stay at full power is delivered
        dwell_h = d + 24.0 - a
        assert np.allclose(r.unmet_kwh, np.maximum(e - dwell_h * p * 0.9, 0.0), atol=1e-9)


def test_strategies_move_load_between_hours_without_changing_total() -> None:
    a, d, e, p, z = sessions(2, max_kwh=10.0)  # fits in the 00–06 window at 3.7 kW
    loads = {
        s: charging_load_kwh(
            a,
            d,
            e,
            p,
            z,
            4,
            ChargingSpec(strategy=s, off_peak_start_s=0.0, off_peak_end_s=6 * 3600.0),
            intensity_kg_per_kwh=INTENSITY,
        ).load_kwh.sum(axis=0)
        for s in ("uncontrolled", "off_peak", "carbon_aware")
    }
    totals = [v.sum() for v in loads.values()]
    assert np.allclose(totals, totals[0], rtol=1e-12)
    assert loads["uncontrolled"][16:].sum() > 0.8 * totals[0]  # evening arrivals
    assert loads["off_peak"][6:].sum() == 0.0  # only 00:00–06:00
    assert not np.allclose(loads["carbon_aware"], loads["uncontrolled"])


def test_carbon_aware_lowers_charging_emissions() -> None:
    a, d, e, p, z = sessions(3)
    co2 = {}
    for s in ("uncontrolled", "off_peak", "carbon_aware"):
        r = charging_load_kwh(
            a, d, e, p, z, 4, ChargingSpec(strategy=s), intensity_kg_per_kwh=INTENSITY
        )
        co2[s] = float(r.load_kwh.sum(axis=0) @ INTENSITY)
    assert co2["carbon_aware"] < co2["off_peak"] < co2["uncontrolled"]
    # With a flat intensity the choice of hours cannot matter.
    flat = np.full(24, 0.4)
    r1 = charging_load_kwh(
        a, d, e, p, z, 4, ChargingSpec(strategy="carbon_aware"), intensity_kg_per_kwh=flat
    )
    r0 = charging_load_kwh(a, d, e, p, z, 4, ChargingSpec())
    assert float(r1.load_kwh.sum(axis=0) @ flat) == pytest.approx(
        float(r0.load_kwh.sum(axis=0) @ flat), rel=1e-12
    )


def test_short_window_reports_unmet_energy() -> None:
    spec = ChargingSpec(
        strategy="off_peak", off_peak_start_h=2, off_peak_end_h=3, charger_efficiency=1.0
    )
    r = charging_load_kwh(
        np.array([20.0]), np.array([7.0]), np.array([30.0]), np.array([7.4]), np.array([0]), 1, spec
    )
    assert r.delivered_kwh[0] == pytest.approx(7.4)
    assert r.unmet_kwh[0] == pytest.approx(30.0 - 7.4)
    assert r.load_kwh[0, 2] == pytest.approx(7.4) and r.load_kwh.sum() == pytest.approx(7.4)


def reference_uncontrolled(a, d, e, p, n_hours=24):
    """Second implementation: the charging interval [a, min(d, a + e/p)) at power p,
    cut into clock hours and folded onto one day."""
    load = np.zeros(n_hours)
    for ai, di, ei, pi in zip(a, d, e, p, strict=True):
        end = min(di + 24.0 if di <= ai else di, ai + ei / pi)
        for h in range(int(np.floor(ai)), int(np.ceil(end))):
            load[h % 24] += pi * max(0.0, min(end, h + 1.0) - max(ai, float(h)))
    return load


def test_uncontrolled_matches_interval_reference() -> None:
    rng = np.random.default_rng(4)
    n = 40
    a, d = rng.uniform(0, 24, n), rng.uniform(0, 24, n)
    e, p = rng.uniform(0.5, 40, n), rng.choice([3.7, 11.0], n)
    r = charging_load_kwh(
        a, d, e, p, np.zeros(n, np.int64), 1, ChargingSpec(charger_efficiency=1.0)
    )
    assert np.allclose(r.load_kwh[0], reference_uncontrolled(a, d, e, p), atol=1e-6)


def test_charger_access_is_keyed_and_follows_shares() -> None:
    from twincity.energy.charging import access_uniforms

    home = np.ones(20000, bool)
    spec = ChargingSpec(home_charger_share=0.6)
    ids = np.arange(20000)
    p1 = charger_power_kw(home, spec, access_uniforms(9, ids))
    p2 = charger_power_kw(home, spec, access_uniforms(9, ids))
    assert np.array_equal(p1, p2)
    assert (p1 > 0).mean() == pytest.approx(0.6, abs=0.02)
    # a trip's access does not depend on which other trips exist (common random numbers)
    odd = charger_power_kw(home[1::2], spec, access_uniforms(9, ids[1::2]))
    assert np.array_equal(odd, p1[1::2])


def test_charging_sessions_keep_each_trips_access_when_others_go() -> None:
    import pandas as pd

    from twincity.energy.subsystem import charging_sessions

    rng = np.random.default_rng(5)
    n = 300
    trips = pd.DataFrame({
        "veh_class": np.full(n, "bev_car"), "road": np.ones(n, dtype=bool),
        "departure_s": rng.uniform(6, 20, n) * 3600.0, "energy_kwh": rng.uniform(1, 5, n),
        "origin_zone": rng.integers(0, 5, n), "dest_zone": rng.integers(0, 5, n)})
    trips["arrival_s"] = trips["departure_s"] + 1800.0
    spec = ChargingSpec(home_charger_share=0.5, work_charger_share=0.5)
    ids = np.arange(1000, 1000 + n)
    every = charging_sessions(trips, 0.1, spec, seed=3, identity=ids)
    keep = np.arange(n) % 3 != 0  # a policy removes a third of the trips
    fewer = charging_sessions(trips[keep].reset_index(drop=True), 0.1, spec, seed=3,
                              identity=ids[keep])
    assert np.array_equal(fewer.power_kw, every.power_kw[keep])
    assert np.array_equal(fewer.zone, every.zone[keep])


def test_bad_sessions_are_rejected() -> None:
    with pytest.raises(ValueError, match="zone indices"):
        charging_load_kwh(
            np.array([1.0]),
            np.array([2.0]),
            np.array([1.0]),
            np.array([7.0]),
            np.array([3]),
            2,
            ChargingSpec(),
        )
    with pytest.raises(ValueError, match="carbon_aware"):
        charging_load_kwh(
            np.array([1.0]),
            np.array([2.0]),
            np.array([1.0]),
            np.array([7.0]),
            np.array([0]),
            1,
            ChargingSpec(strategy="carbon_aware"),
        )


def test_charging_energy_scales_with_the_sample_share() -> None:
    """A sample twice as large (share 0.2 instead of 0.1, every trip twice) charges the
    same city-scale energy: each sampled trip stands for 1 / share real trips."""
    import pandas as pd

    from twincity.energy.subsystem import charging_sessions

    rng = np.random.default_rng(4)
    n = 400
    trips = pd.DataFrame({
        "veh_class": rng.choice(["bev_car", "petrol_car"], n, p=[0.3, 0.7]),
        "road": np.ones(n, dtype=bool),
        "departure_s": rng.uniform(6, 20, n) * 3600.0,
        "energy_kwh": rng.uniform(0.5, 8.0, n),
        "origin_zone": rng.integers(0, 5, n), "dest_zone": rng.integers(0, 5, n)})
    trips["arrival_s"] = trips["departure_s"] + 1800.0
    spec = ChargingSpec(home_charger_share=0.6, work_charger_share=0.4)
    small = charging_sessions(trips, 0.1, spec, seed=1)
    large = charging_sessions(pd.concat([trips, trips], ignore_index=True), 0.2, spec, seed=1)
    bev_kwh = trips.loc[trips["veh_class"] == "bev_car", "energy_kwh"].sum()
    assert small.energy_kwh.sum() == pytest.approx(bev_kwh / 0.1, rel=1e-12)
    assert large.energy_kwh.sum() == pytest.approx(small.energy_kwh.sum(), rel=1e-12)
    for sessions in (small, large):
        load = charging_load_kwh(sessions.arrival_h, sessions.departure_h, sessions.energy_kwh,
                                 sessions.power_kw, sessions.zone, 5, spec)
        # grid energy × efficiency + what did not fit into the parking time = battery energy
        total = load.load_kwh.sum() * spec.charger_efficiency + load.unmet_kwh.sum()
        assert total == pytest.approx(bev_kwh / 0.1, rel=1e-9)
