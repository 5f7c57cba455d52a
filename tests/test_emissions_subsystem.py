"""Emissions subsystem: conservation between the traffic/energy tables and the KPIs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import write_variant
from twincity.emissions.subsystem import BUS_SERVICE_H_PER_DAY, road_emissions_t_per_yr
from twincity.model import CityModel
from twincity.vocab import ROAD_CLASSES

KWH_PER_TJ = 1e12 / 3.6e6


@pytest.fixture(scope="module")
def tiny_run():
    model = CityModel.from_file(Path(__file__).parent / "data" / "tiny.yaml")
    return model, model.run()


def test_transport_co2_is_the_link_emissions_scaled_to_a_year(tiny_run) -> None:
    model, res = tiny_run
    share = model.city.spec.simulation.sample_share
    links = res.tables["links"]
    em = res.tables["emissions"].set_index("source")
    road_t = links["co2_g"].sum() / share * 365 / 1e6
    assert road_t > 0
    assert em.loc["road_vehicles", "co2_t_per_yr"] == pytest.approx(road_t, rel=1e-6)
    nox_t = links["nox_g"].sum() / share * 365 / 1e6
    assert em.loc["road_vehicles", "nox_t_per_yr"] == pytest.approx(nox_t, rel=1e-6)
    pm_t = (links["pm25_exhaust_g"].sum() + links["pm25_nonexhaust_g"].sum()) / share * 365 / 1e6
    assert em.loc["road_vehicles", "pm25_t_per_yr"] == pytest.approx(pm_t, rel=1e-6)
    transport = em[em["sector"] == "transport"]["co2_t_per_yr"].sum()
    pop = model.city.spec.city.population
    assert res.kpi("co2_per_capita_transport") == pytest.approx(transport / pop, rel=1e-12)
    assert res.kpi("bus_co2_t_per_yr") == pytest.approx(
        em.loc[["buses_diesel_bus", "buses_electric_bus"], "co2_t_per_yr"].sum(), rel=1e-12)


def test_road_emissions_helper_units() -> None:
    e = np.zeros((2, 3, 5))
    e[:, :, 0] = 1000.0  # 6 kg of CO2 per simulated day in a 10 % sample
    out = road_emissions_t_per_yr(e, 0.1)
    assert out["co2"] == pytest.approx(6.0 / 0.1 * 365 / 1000)


def test_buildings_and_electricity_co2_from_the_energy_table(tiny_run) -> None:
    model, res = tiny_run
    h = res.tables["energy_hourly"]
    w = h["weight_days"]
    em = res.tables["emissions"].set_index("source")
    gas_t = (h["gas_kwh"] * w).sum() * 56_100 / KWH_PER_TJ / 1000  # IPCC 2006: 56.1 t/TJ
    dh_t = (h["district_heat_fed_kwh"] * w).sum() \
        * model.city.spec.buildings.district_heating_co2_kg_per_kwh / 1000
    assert em.loc["buildings_gas", "co2_t_per_yr"] == pytest.approx(gas_t, rel=1e-6)
    assert em.loc["buildings_district_heat", "co2_t_per_yr"] == pytest.approx(dh_t, rel=1e-9)
    elec_t = (h["city_net_load_kwh"].clip(lower=0) * h["delivered_intensity_kg_per_kwh"]
              * w).sum() / 1000
    got = em.loc[["electricity_buildings", "electricity_ev_charging"], "co2_t_per_yr"].sum()
    assert got == pytest.approx(elec_t, rel=1e-9)
    pop = model.city.spec.city.population
    sectors = [res.kpi(f"co2_per_capita_{s}") for s in ("transport", "buildings", "electricity")]
    assert res.kpi("co2_per_capita_total") == pytest.approx(sum(sectors), rel=1e-12)
    assert res.kpi("co2_per_capita_buildings") == pytest.approx(
        em[em["sector"] == "buildings"]["co2_t_per_yr"].sum() / pop, rel=1e-12)


def test_bus_estimate_follows_the_transit_supply(tiny_run, tiny_dir: Path) -> None:
    model, res = tiny_run
    spec = model.city.spec
    net = model.city.network
    feeder = np.isin(net.road_class, [ROAD_CLASSES.index("arterial"),
                                      ROAD_CLASSES.index("collector")])
    feeder_vkm = net.length_m[feeder].sum() / 1000 * BUS_SERVICE_H_PER_DAY * 3600 \
        / spec.transit.feeder_headway_s
    # the tiny BRT is a ring at half the network radius, both directions
    brt = spec.transit.lines[0]
    ring_km = 2 * np.pi * brt.ring_share * model.city.radius_m / 1000
    brt_vkm = ring_km * 2 * BUS_SERVICE_H_PER_DAY * 3600 / brt.headway_s
    em = res.tables["emissions"].set_index("source")
    bus_vkm = em.loc[["buses_diesel_bus", "buses_electric_bus"], "vehicle_km_per_yr"].sum()
    # the ring's stops form a polygon slightly shorter than the circle
    assert bus_vkm == pytest.approx((feeder_vkm + brt_vkm) * 365, rel=0.01)
    assert em.loc["buses_diesel_bus", "vehicle_km_per_yr"] == pytest.approx(
        0.7 * bus_vkm, rel=1e-12)
    assert em.loc["buses_electric_bus", "nox_t_per_yr"] == 0.0
    # twice the feeder frequency, twice the feeder bus-km
    path = write_variant(tiny_dir, "busy.yaml", {"transit": {"feeder_headway_min": 6}})
    busy = CityModel.from_file(path, subsystems=("emissions",))
    em2 = busy.emissions.by_source().set_index("source")
    bus2 = em2.loc[["buses_diesel_bus", "buses_electric_bus"], "vehicle_km_per_yr"].sum()
    assert bus2 - bus_vkm == pytest.approx(feeder_vkm * 365, rel=1e-9)


def test_emission_kpis_are_finite_and_named(tiny_run) -> None:
    _, res = tiny_run
    names = ["co2_per_capita_transport", "co2_per_capita_buildings",
             "co2_per_capita_electricity", "co2_per_capita_total", "nox_t_per_yr",
             "pm25_t_per_yr", "electricity_per_capita", "peak_load", "ev_charging_peak",
             "grid_intensity_mean", "grid_intensity_at_peak"]
    for n in names:
        assert np.isfinite(res.kpi(n)) and res.kpi(n) > 0, n
    records = {r["name"]: r for r in res.summary()["kpis"]}
    assert "renewable_share" not in records  # fixed intensity: no generation mix
    assert any("renewable_share is not reported" in n for n in res.notes)
    assert set(records["nox_t_per_yr"]) == {"name", "value", "unit", "u4ssc", "better"}
