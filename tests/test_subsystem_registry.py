"""A new subsystem is a class plus a registry entry: no change to model.py.

The toy here is a population-exposure indicator, a KPI mixing two subsystems'
worlds: the road PM2.5 the traffic kernel emitted in each zone during the day
(its ``road_traffic`` product) weighted by the zone's residents (the city in the
run context). Its value is checked against the same quantity computed another
way, from the run's written ``links`` table with pandas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twincity.kpi import KPIDefinition, make_kpi, register_kpi, unregister_kpi
from twincity.model import CityModel
from twincity.products import RoadTraffic
from twincity.subsystems import (
    REGISTRY,
    SubsystemEntry,
    build_order,
    default_subsystems,
    register,
    unregister,
)
from twincity.vocab import POLLUTANTS

PEAK = {"simulation.start_h": 7, "simulation.duration_h": 2}
PM25 = [POLLUTANTS.index("pm25_exhaust"), POLLUTANTS.index("pm25_nonexhaust")]


class PopulationExposure:
    """Population-weighted mean of the road PM2.5 emitted in one's home zone per day."""

    name = "exposure"

    def __init__(self, context, products) -> None:
        self.context, self.products = context, products
        self.notes: list[str] = []
        self.value = float("nan")

    def prepare(self) -> None:
        """Nothing before the first step."""

    def advance(self, start_s: float, end_s: float) -> None:
        """Nothing per step."""

    def observations(self) -> dict[str, float]:
        return {}

    def provide(self, product: str) -> None:
        raise KeyError(product)

    def finish(self) -> None:
        road: RoadTraffic = self.products.get("road_traffic")
        city = self.context.city
        per_link_g = road.link_emis_g[:, :, PM25].sum(axis=(0, 2)) / road.sample_share
        zone = city.zones.node_zone[city.network.link_from]
        per_zone_g = np.bincount(zone, weights=per_link_g, minlength=city.zones.n)
        pop = np.asarray(city.zones.population, dtype=float)
        self.value = float(pop @ per_zone_g / pop.sum())
        self.notes.append("exposure: road PM2.5 emitted in the home zone (toy indicator)")

    def tables(self) -> dict[str, pd.DataFrame]:
        return {}

    def kpis(self) -> list:
        return [make_kpi("pm25_home_zone_exposure", self.value)]


@pytest.fixture
def exposure_registered():
    register_kpi(KPIDefinition("pm25_home_zone_exposure", "g/day",
                               "Road PM2.5 emitted per day in one's home zone, "
                               "population-weighted mean."))
    register(SubsystemEntry("exposure", PopulationExposure, requires=("road_traffic",),
                            default=False))
    yield
    unregister("exposure")
    unregister_kpi("pm25_home_zone_exposure")


def test_a_toy_subsystem_runs_from_its_registry_entry(exposure_registered,
                                                      tiny_path: Path, tmp_path: Path) -> None:
    # listed first, built after its provider (traffic)
    model = CityModel.from_file(tiny_path, overrides=PEAK, subsystems=("exposure", "traffic"))
    assert [s.name for s in model.subsystems] == ["traffic", "exposure"]
    results = model.run()
    got = results.kpi("pm25_home_zone_exposure")
    assert any(n.startswith("exposure:") for n in results.notes)

    # the same quantity from the written links table (another path through the data)
    back = type(results).read(results.write(tmp_path / "run"))
    links = back.tables["links"]
    per_link = (links["pm25_exhaust_g"] + links["pm25_nonexhaust_g"]).groupby(
        links["link"]).sum() * links["expansion_factor"].iloc[0]
    city = model.city
    zone_of = pd.Series(city.zones.node_zone[city.network.link_from])
    per_zone = per_link.groupby(zone_of.loc[per_link.index].to_numpy()).sum()
    pop = pd.Series(np.asarray(city.zones.population, dtype=float))
    expected = float((pop * per_zone.reindex(pop.index, fill_value=0.0)).sum() / pop.sum())
    assert got > 0
    assert got == pytest.approx(expected, rel=1e-6)  # the kernel sums in float32


def test_the_default_run_is_unchanged_by_a_non_default_entry(exposure_registered) -> None:
    assert "exposure" in REGISTRY and "exposure" not in default_subsystems()
    assert default_subsystems() == ("traffic", "energy", "emissions")


def test_a_missing_provider_is_named(exposure_registered) -> None:
    with pytest.raises(ValueError, match=r"'exposure' requires \['road_traffic'\]"):
        build_order(["exposure", "energy"])


def test_cycles_and_unknown_names_are_refused() -> None:
    a = SubsystemEntry("a_toy", PopulationExposure, requires=("b_out",),
                       provides={"a_out": object})
    b = SubsystemEntry("b_toy", PopulationExposure, requires=("a_out",),
                       provides={"b_out": object})
    register(a)
    register(b)
    try:
        with pytest.raises(ValueError, match="cycle"):
            build_order(["a_toy", "b_toy"])
    finally:
        unregister("a_toy")
        unregister("b_toy")
    with pytest.raises(ValueError, match="unknown subsystems"):
        build_order(["weather_radar"])
