"""Common random numbers: arms of an experiment share every draw keyed by identity.

The truths: two arms with identical policies are the same run; a changed
arm that continues from its reference's equilibrated plan under a policy that
changes nothing (a zero charge) *is* its control (the city as it is, continued
from the same plan for as many days); a near-null policy (a road charge at 1%
of a real one) moves only travellers at the margin, so its paired differences
are far smaller than the seed-to-seed spread of the levels (Law 2015,
*Simulation Modeling and Analysis*, §11.2: the variance of a paired difference
is Var X + Var Y − 2 Cov X,Y). The near-null arms and their controls continue
from their reference's plan, as experiments run them
(:mod:`twincity.traffic.equilibrium`, "Paired arms").
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twincity.model import CityModel
from twincity.policies.pricing import ErpPolicy
from twincity.traffic.planstate import PlanState

#: The tiny city's peak hours; the equilibrium runs to its gap on every seed.
PEAK = {"simulation.start_h": 6, "simulation.duration_h": 5}
#: A charge that moves drivers on the tiny city (0.5 h of value of time), and 1% of it.
ERP = {"central_share": 0.15, "charge_vot_h": 0.5}
NEAR_NULL = {**ERP, "charge_vot_h": 0.005}
KPIS = ("mode_share_car", "travel_time_index", "total_delay")
SEEDS = (1, 2, 3, 4)


def _run(path: Path, seed: int, policies=(), start_from=None, control_days=None):
    model = CityModel.from_file(path, seed=seed, overrides=PEAK, policies=list(policies),
                                subsystems=("traffic",), start_from=start_from,
                                control_days=control_days)
    return model, model.run()


def _control(path: Path, seed: int, plan, changed) -> tuple:
    """The city as it is, continued from ``plan`` for as many days as ``changed`` took."""
    return _run(path, seed, start_from=plan, control_days=changed.equilibrium["iterations"])


@pytest.fixture(scope="module")
def arms(request):
    """(path, references, near-null arms, their controls) by seed."""
    path = request.config.rootpath / "tests" / "data" / "tiny.yaml"
    base = {s: _run(path, s) for s in SEEDS}
    plans = {s: base[s][0].plan_state() for s in SEEDS}
    near = {s: _run(path, s, [ErpPolicy(NEAR_NULL)], plans[s]) for s in SEEDS}
    control = {s: _control(path, s, plans[s], near[s][1]) for s in SEEDS}
    return path, base, near, control


def test_a_continued_arm_under_a_null_policy_is_its_control(arms, tmp_path) -> None:
    path, base, _, _ = arms
    model, _ = base[SEEDS[1]]
    saved = PlanState.load(model.plan_state().save(tmp_path / "plan.npz"))  # via the file
    _, again = _run(path, SEEDS[1], [ErpPolicy({**ERP, "charge_vot_h": 0.0})], saved)
    assert again.equilibrium["converged"] and again.equilibrium["continued_from_day"] > 0
    _, control = _control(path, SEEDS[1], saved, again)
    pd.testing.assert_frame_equal(control.tables["trips"], again.tables["trips"])
    pd.testing.assert_frame_equal(control.tables["links"], again.tables["links"])


def test_identical_arms_are_identical(arms) -> None:
    path, base, _, _ = arms
    _, again = _run(path, SEEDS[0])
    _, first = base[SEEDS[0]]
    pd.testing.assert_frame_equal(first.tables["trips"], again.tables["trips"])
    pd.testing.assert_frame_equal(first.tables["links"], again.tables["links"])


def test_every_run_reaches_its_equilibrium(arms) -> None:
    _, base, near, control = arms
    for _, res in [*base.values(), *near.values(), *control.values()]:
        assert res.equilibrium["converged"], res.notes


def test_near_null_policy_changes_few_modes(arms) -> None:
    _, _, near, control = arms
    for s in SEEDS:
        a, b = control[s][0].traffic.mode, near[s][0].traffic.mode
        assert np.mean(a != b) <= 0.01


def test_paired_differences_are_much_tighter_than_seed_spread(arms) -> None:
    _, _, near, control = arms
    for kpi in KPIS:
        level = np.array([control[s][1].kpi(kpi) for s in SEEDS])
        diff = np.array([near[s][1].kpi(kpi) - control[s][1].kpi(kpi) for s in SEEDS])
        assert diff.std(ddof=1) <= 0.3 * level.std(ddof=1), (kpi, diff, level)
