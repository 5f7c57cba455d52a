"""Paired arms in experiments: both arms continue from their reference's equilibrated plan.

Truths: a continued spec's reference (the city as it is, same seed and
overrides) is planned and run first, even when not asked for, and the
control (the city as it is, continued for as many days as the changed arm
took) runs beside it; the plan the reference leaves in the store is the one
both arms start from, so the stored results equal direct runs that compute
the reference plan themselves; a null change gives results identical to its
control; a spec cannot continue without a policy change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from twincity.errors import InputError
from twincity.experiment import ResultStore, RunSpec, execute, run_experiment, run_id
from twincity.experiment.runners import plan

PEAK = {"simulation.start_h": 6, "simulation.duration_h": 4}
TOLL = "congestion_pricing"


def _continued(path: Path, seed: int = 3) -> RunSpec:
    return RunSpec(str(path), seed=seed, overrides=PEAK, policies=(TOLL,), continues=True)


def test_a_continued_spec_needs_a_change_and_round_trips(tiny_path: Path) -> None:
    with pytest.raises(InputError, match="continues"):
        RunSpec(str(tiny_path), seed=1, continues=True)
    spec = _continued(tiny_path)
    assert RunSpec.from_dict(spec.to_dict()) == spec
    assert spec.reference() == RunSpec(str(tiny_path), seed=3, overrides=PEAK)
    assert run_id(spec) != run_id(RunSpec(str(tiny_path), seed=3, overrides=PEAK,
                                          policies=(TOLL,)))
    # specs that do not continue hash as before (stored results stay valid)
    assert "continues" not in spec.reference().to_dict()
    # the control: the city as it is, continued, naming its changed arm
    control = spec.control()
    assert control.control_of == f"{TOLL}|" and control.continues and not control.policies
    assert RunSpec.from_dict(control.to_dict()) == control
    assert control.changed() == spec
    assert "control_of" not in spec.to_dict()
    for bad in ({"continues": False}, {"policies": (TOLL,)}, {"control_of": "no bar"}):
        with pytest.raises(InputError, match="control"):
            RunSpec(str(tiny_path), seed=3, **{"continues": True, "control_of": f"{TOLL}|",
                                               **bad})


def test_the_reference_runs_first_and_both_arms_continue_from_its_plan(
        tiny_path: Path, tmp_path: Path) -> None:
    """Planned: changed arm, its control, the reference; stored results equal direct runs."""
    spec = _continued(tiny_path)
    runs = plan([spec])
    assert [r.spec for r in runs] == [spec, spec.control(), spec.reference()]
    assert runs[0].reference_id == runs[1].reference_id == run_id(spec.reference())
    assert runs[1].control_for == run_id(spec) and runs[0].control_for is None
    assert plan([spec.control()])[0].spec == spec  # asking for the control plans both
    store = ResultStore(tmp_path / "store")
    kpis = run_experiment([spec], store, progress=False)
    assert store.done(run_id(spec.reference())) and store.done(run_id(spec.control()))
    assert (tmp_path / "store" / "plans" / f"{run_id(spec.reference())}.npz").is_file()
    changed_eq = store.record(run_id(spec))["equilibrium"]
    control_eq = store.record(run_id(spec.control()))["equilibrium"]
    assert changed_eq["continued_from_day"] > 0
    assert control_eq["iterations"] == changed_eq["iterations"]  # as many days
    assert control_eq["continued_from_day"] == changed_eq["continued_from_day"]
    for arm in (spec, spec.control()):
        direct = execute(arm)  # computes the reference's plan (and the changed days) afresh
        mine = kpis[kpis.run_id == run_id(arm)].set_index("name")["value"]
        for k in direct.kpis:
            assert mine[k.name] == pytest.approx(k.value, rel=0, abs=0, nan_ok=True), k.name
    assert set(kpis.loc[kpis.run_id == run_id(spec.control()), "control_of"]) == {f"{TOLL}|"}


def test_identical_arms_give_identical_results_and_reviewed_charges_stay(
        tiny_path: Path) -> None:
    """A null change continued beside its control is bit-identical to it (common random numbers).

    The policy in force in both arms keeps the reference's reviewed charges (no re-review).
    """
    import numpy as np

    from twincity.model import CityModel
    from twincity.policies.pricing import ErpPolicy

    erp = {"central_share": 0.15, "charge_vot_h": 0.5, "review": True,
           "target_speed_kmh": [40, 60], "periods": [{"start_h": 6, "end_h": 11}]}
    peak = {"simulation.start_h": 6, "simulation.duration_h": 5}
    ref = CityModel.from_file(tiny_path, seed=2, overrides=peak, policies=[ErpPolicy(erp)],
                              subsystems=("traffic",))
    reviewed = ref.transport_authority.toll_schedule
    assert ref.traffic.equilibrium.reviews > 0
    assert np.any(reviewed != ref.traffic.dynamic.toll_initial)  # the review acted
    null = ErpPolicy({**erp, "charge_vot_h": 0.0, "review": False})
    cont = CityModel.from_file(tiny_path, seed=2, overrides=peak, subsystems=("traffic",),
                               policies=[ErpPolicy(erp), null], start_from=ref.plan_state())
    assert cont.traffic.equilibrium.reviews == 0
    np.testing.assert_array_equal(cont.transport_authority.toll_schedule, reviewed)
    days = cont.traffic.equilibrium.iterations
    control = CityModel.from_file(tiny_path, seed=2, overrides=peak, subsystems=("traffic",),
                                  policies=[ErpPolicy(erp)], start_from=ref.plan_state(),
                                  control_days=days)
    assert control.traffic.equilibrium.iterations == days
    a, b = cont.run(), control.run()
    for k in a.kpis:
        assert b.kpi(k.name) == pytest.approx(k.value, rel=0, abs=0, nan_ok=True), k.name


def test_a_control_needs_a_plan_to_continue_from(tiny_path: Path) -> None:
    from twincity.model import CityModel

    with pytest.raises(ValueError, match="control_days"):
        CityModel.from_file(tiny_path, seed=2, control_days=3)
