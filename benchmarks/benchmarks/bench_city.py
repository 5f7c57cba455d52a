"""Shipped cities: building the city, and the full city-day through ``CityModel.run()``.

``time_city_day`` calls the real ``CityModel(city).run()`` on the built city
(the build is in ``setup``). It measures whatever subsystems ``CityModel``
runs at the measured commit: while traffic, energy and emissions are being
integrated into the model it times the model's clock and data collection
only, and it starts timing the traffic day as soon as ``CityModel`` runs
traffic — no benchmark code changes needed. ``track_subsystems`` records how
many subsystems the model ran, so a jump in the timing can be told apart from
a regression.

If a shipped scenario does not load at a commit, the benchmark fails there
(asv shows it as failed), rather than being skipped silently.
"""

from __future__ import annotations

from twincity.city.build import build_city
from twincity.model import CityModel
from twincity.scenario.loader import load_scenario

from .common import SCENARIOS, SEED, SHIPPED_CITIES


class CityBuild:
    params = [list(SHIPPED_CITIES)]
    param_names = ["city"]
    timeout = 600

    def time_load_and_build(self, city):
        build_city(load_scenario(SCENARIOS / f"{city}.yaml"))

    def peakmem_load_and_build(self, city):
        build_city(load_scenario(SCENARIOS / f"{city}.yaml"))


class CityDay:
    params = [list(SHIPPED_CITIES)]
    param_names = ["city"]
    number = 1
    repeat = (1, 3, 300.0)
    warmup_time = 0.0
    timeout = 1800

    def setup(self, city):
        self.city = build_city(load_scenario(SCENARIOS / f"{city}.yaml"))

    def time_city_day(self, city):
        CityModel(self.city, seed=SEED).run()

    def peakmem_city_day(self, city):
        CityModel(self.city, seed=SEED).run()

    def track_subsystems(self, city):
        model = CityModel(self.city, seed=SEED)
        model.run()
        return len(model.subsystems)

    track_subsystems.unit = "subsystems"

    def track_equilibrium_days(self, city):
        model = CityModel(self.city, seed=SEED, subsystems=("traffic",))
        return model.traffic.equilibrium.iterations if model.traffic.equilibrium else 0

    track_equilibrium_days.unit = "days"

    def track_equilibrium_gap(self, city):
        model = CityModel(self.city, seed=SEED, subsystems=("traffic",))
        return model.traffic.equilibrium.relative_gap if model.traffic.equilibrium else 0.0

    track_equilibrium_gap.unit = "relative gap"
