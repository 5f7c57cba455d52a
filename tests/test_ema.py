"""The EMA workbench connector: an experiment's outcomes are those of a twincity run with the
same scenario fields and policy parameters; bad uncertainties fail before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from twincity.errors import InputError

ema_workbench = pytest.importorskip("ema_workbench")

FAST = {"simulation.start_h": 7, "simulation.duration_h": 1, "simulation.equilibrium_days": 1}


def test_experiments_reproduce_direct_runs(tiny_path: Path) -> None:
    from twincity.experiment.ema import ema_model, ema_name
    from twincity.model import CityModel
    from twincity.policies.registry import make_policy

    model = ema_model(tiny_path, uncertainties={"demand.trips_per_person_per_day": (2.0, 3.0)},
                      policy="remote_work", levers={"remote_share": (0.0, 0.4)},
                      outcomes=["vehicle_km", "person_trips_per_day"], overrides=FAST, seed=4,
                      subsystems=("traffic",))
    experiments, outcomes = ema_workbench.perform_experiments(
        model, scenarios=2, policies=1, evaluator=ema_workbench.SequentialEvaluator(model),
        uncertainty_sampling_kwargs={"rng": 1}, lever_sampling_kwargs={"rng": 2})
    assert len(experiments) == 2
    for i, row in experiments.iterrows():
        rate = float(row[ema_name("demand.trips_per_person_per_day")])
        share = float(row[ema_name("remote_share", "remote_work")])
        assert 2.0 <= rate <= 3.0 and 0.0 <= share <= 0.4
        direct = CityModel(str(tiny_path), seed=4, subsystems=("traffic",),
                           overrides={**FAST, "demand.trips_per_person_per_day": rate},
                           policies=[make_policy("remote_work", {"remote_share": share})]).run()
        assert outcomes["vehicle_km"][i] == direct.kpi("vehicle_km")
        assert outcomes["person_trips_per_day"][i] == direct.kpi("person_trips_per_day")


def test_bad_ranges_and_keys_fail_before_any_run(tiny_path: Path) -> None:
    from twincity.experiment.ema import ema_model

    with pytest.raises(InputError, match="low < high"):
        ema_model(tiny_path, uncertainties={"demand.commute_share": (0.5, 0.3)},
                  outcomes=["vehicle_km"])
    with pytest.raises(InputError):
        ema_model(tiny_path, uncertainties={"demand.no_such_field": (0.0, 1.0)},
                  outcomes=["vehicle_km"])
    with pytest.raises(InputError, match="policy"):
        ema_model(tiny_path, uncertainties={}, levers={"remote_share": (0.0, 0.3)},
                  outcomes=["vehicle_km"])
