"""Paired arms in experiments: the changed arm continues from its reference's equilibrated plan.

Truths: a continued spec's reference (the city as it is, same seed and
overrides) is planned and run first, even when not asked for; the plan it
leaves in the store is the one the continued arm starts from, so the stored
result equals a direct run that computes the reference plan itself; a spec
cannot continue without a policy change.
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


def test_the_reference_is_planned_first_and_its_plan_is_the_start(tiny_path: Path,
                                                                   tmp_path: Path) -> None:
    spec = _continued(tiny_path)
    runs = plan([spec])
    assert [r.spec for r in runs] == [spec, spec.reference()]
    assert runs[0].reference_id == run_id(spec.reference()) == runs[1].run_id
    store = ResultStore(tmp_path / "store")
    kpis = run_experiment([spec], store, progress=False)
    assert store.done(run_id(spec.reference()))
    assert (tmp_path / "store" / "plans" / f"{run_id(spec.reference())}.npz").is_file()
    direct = execute(spec)  # computes the reference's plan afresh
    mine = kpis[kpis.run_id == run_id(spec)].set_index("name")["value"]
    for k in direct.kpis:
        assert mine[k.name] == pytest.approx(k.value, rel=0, abs=0, nan_ok=True), k.name
    record = store.record(run_id(spec))
    assert record["equilibrium"]["continued_from_day"] > 0


def test_charges_reviewed_in_the_reference_stay_reviewed_in_the_continued_arm(
        tiny_path: Path) -> None:
    """A policy in force in both arms keeps the reference's reviewed charges (no re-review)."""
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
    assert cont.run().kpi("total_delay") == ref.run().kpi("total_delay")


def test_a_continued_arm_counts_only_what_the_change_moved_in_its_mode_criterion():
    """The reference's residual mode imbalance (held travellers) does not hold a changed arm.

    Traveller 0 held her reference residue (prefers transit, drives, as in the
    reference); traveller 1's preference changed with the policy; traveller 2 is
    content. Only traveller 1's wish counts toward the continued arm's criterion.
    """
    from types import SimpleNamespace

    import numpy as np

    from twincity.traffic.duerules import mode_imbalance
    from twincity.traffic.equilibrium import DynamicEquilibrium

    de = object.__new__(DynamicEquilibrium)
    de.ts = SimpleNamespace(mode=np.array([0, 0, 1], dtype=np.int8))
    de.held_mode = np.array([1, 0, -1], dtype=np.int8)  # reference preferences held
    de.ref_mode = np.array([0, 0, 1], dtype=np.int8)
    preferred = np.array([1, 1, 1], dtype=np.int8)
    assert de._unheld(preferred).tolist() == [0, 1, 1]
    assert mode_imbalance(de._unheld(preferred), de.ts.mode) < mode_imbalance(preferred,
                                                                             de.ts.mode)
    # a cold start holds nothing: the criterion sees every preference
    de.held_mode = np.full(3, -1, dtype=np.int8)
    assert de._unheld(preferred).tolist() == [1, 1, 1]
