"""Policies in force at home: applied in every run, removed by ``without``, never applied twice.

A city's scenario lists its own policies; those with ``in_force: true`` are the
city as it is, so every run applies them and ``without`` gives the
counterfactual city without one. Checked on a copy of the tiny city whose BRT
line moves from ``transit.lines`` into an in-force ``brt`` policy, and on the
shipped cities (Sejong's BRT, Singapore's ERP, Helsinki's transit and
district heating).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import SCENARIOS
from twincity.city.build import build_city
from twincity.errors import InputError
from twincity.experiment import RunSpec
from twincity.experiment.runners import plan
from twincity.experiment.spec import run_id
from twincity.experiment.transfer import arm_specs
from twincity.model import CityModel, prepare_city
from twincity.policies.registry import in_force_entries, resolve_policy
from twincity.scenario.loader import load_scenario
from twincity.traffic.transit import transit_skims

RING = {"name": "brt", "label": "ring", "in_force": True,
        "params": {"lanes_taken": 1, "corridor_width_m": 300,
                   "lines": [{"name": "R", "layout": "ring", "ring_share": 0.5,
                              "headway_min": 6, "speed_kmh": 30}]}}


@pytest.fixture
def ring_city(tiny_dir: Path) -> Path:
    """The tiny city with its BRT as an in-force policy (no trunk line in the scenario)."""
    data = yaml.safe_load((tiny_dir / "tiny.yaml").read_text())
    data["transit"]["lines"] = []
    data["policies"] = [RING, {"name": "remote_work", "label": "wfh", "in_force": False}]
    path = tiny_dir / "ringtown.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_in_force_policy_is_applied_by_default_and_removed_by_without(ring_city: Path) -> None:
    with_city, applied = prepare_city(ring_city)
    without_city, none = prepare_city(ring_city, without=["ringtown:ring"])
    assert [p.label for p, _ in applied] == ["ringtown:ring"] and applied[0][0].in_force
    assert none == []
    # the mechanism: the BRT line is in the transit supply and its lanes are taken
    assert [ln.name for ln in with_city.spec.transit.lines] == ["R"]
    assert without_city.spec.transit.lines == []
    hit = np.asarray(applied[0][1].concrete["links"])
    assert hit.size > 0
    np.testing.assert_array_equal(with_city.network.lanes[hit],
                                  without_city.network.lanes[hit] - 1)
    assert np.all(transit_skims(with_city).total_time_s
                  <= transit_skims(without_city).total_time_s + 1e-6)
    # a bare label works too; the not-in-force policy is never applied
    _, again = prepare_city(ring_city, without=["ring"])
    assert again == []


def test_the_model_runs_with_its_policy_unless_told_otherwise(ring_city: Path) -> None:
    short = {"simulation.start_h": 7, "simulation.duration_h": 1,
             "simulation.equilibrium_days": 1}
    on = CityModel.from_file(ring_city, overrides=short, subsystems=())
    off = CityModel.from_file(ring_city, overrides=short, subsystems=(),
                              without=["ringtown:ring"])
    assert [ln.name for ln in on.city.spec.transit.lines] == ["R"]
    assert off.city.spec.transit.lines == []
    assert any(n.startswith("policy ringtown:ring (in force): ") for n in on.notes)
    assert any(n.startswith("without ringtown:ring") for n in off.notes)
    res = off.results()
    assert res.provenance["without"] == ["ringtown:ring"] and res.provenance["policies"] == []
    assert on.results().provenance["policies"][0]["in_force"] is True


def test_without_must_name_a_policy_in_force(ring_city: Path) -> None:
    spec = load_scenario(ring_city).spec
    with pytest.raises(InputError, match="not a policy of ringtown"):
        in_force_entries(ring_city, spec, ["sejong:brt"])
    with pytest.raises(InputError, match="has no policy 'nothing'"):
        in_force_entries(ring_city, spec, ["ringtown:nothing"])
    with pytest.raises(InputError, match="in_force: false"):
        in_force_entries(ring_city, spec, ["ringtown:wfh"])
    with pytest.raises(InputError, match="not a policy of ringtown"):
        plan([RunSpec(str(ring_city), seed=1, without=("tiny:ring",))])


def test_a_policy_in_force_is_not_applied_twice(ring_city: Path) -> None:
    with pytest.raises(InputError, match="already in force"):
        prepare_city(ring_city, policies=["ringtown:ring"])
    # removed and added back is the city as it is
    city, applied = prepare_city(ring_city, policies=["ringtown:ring"],
                                 without=["ringtown:ring"])
    assert [ln.name for ln in city.spec.transit.lines] == ["R"]
    assert [p.in_force for p, _ in applied] == [False]


def test_run_spec_without_is_data_and_changes_the_run_id(ring_city: Path) -> None:
    a = RunSpec(str(ring_city), seed=3)
    b = RunSpec(str(ring_city), seed=3, without=("ringtown:ring",))
    assert "without" not in a.to_dict() and b.to_dict()["without"] == ["ringtown:ring"]
    assert RunSpec.from_dict(b.to_dict()) == b
    assert run_id(a) != run_id(b)
    assert b.label().endswith("[-ringtown:ring] seed=3")
    with pytest.raises(InputError, match="more than once"):
        RunSpec(str(ring_city), seed=3, without=("ringtown:ring", "ringtown:ring"))


def test_shipped_signature_policies_are_in_force_at_home() -> None:
    sejong = SCENARIOS / "sejong.yaml"
    assert load_scenario(sejong).spec.transit.lines == []     # the BRT lives in the policy
    on, _ = prepare_city(sejong)
    off, _ = prepare_city(sejong, without=["sejong:brt"])
    assert [ln.name for ln in on.spec.transit.lines] == ["B0 ring", "B1 Osong-Daejeon",
                                                         "B2 Osong-Banseok"]
    assert all(ln.kind == "brt" and ln.dedicated_lanes for ln in on.spec.transit.lines)
    # Sejong's median bus lanes were built with the city: at home the BRT takes no car lane
    assert off.spec.transit.lines == [] and on.network.lane_km == off.network.lane_km

    helsinki = SCENARIOS / "helsinki.yaml"
    on, _ = prepare_city(helsinki)
    no_dh, _ = prepare_city(helsinki, without=["helsinki:district_heating"])
    no_pt, _ = prepare_city(helsinki, without=["helsinki:transit"])
    assert on.spec.buildings.heating_shares.district_heating == pytest.approx(0.9)
    assert no_dh.spec.buildings.heating_shares.district_heating == 0.0
    assert [ln.headway_s / 60 for ln in on.spec.transit.lines] == pytest.approx([4, 5, 6, 6])
    assert [ln.headway_s for ln in no_pt.spec.transit.lines] == pytest.approx(
        [1.5 * ln.headway_s for ln in on.spec.transit.lines])
    assert no_pt.spec.transit.feeder_headway_s == pytest.approx(
        1.5 * on.spec.transit.feeder_headway_s)

    short = {"simulation.start_h": 7, "simulation.duration_h": 1}
    singapore = SCENARIOS / "singapore.yaml"
    with_erp = CityModel.from_file(singapore, overrides=short, subsystems=())
    no_erp = CityModel.from_file(singapore, overrides=short, subsystems=(),
                                 without=["singapore:erp"])
    assert with_erp.transport_authority.toll_schedule.max() > 0
    assert no_erp.transport_authority.toll_schedule.max() == 0
    # Singapore's EV incentive is listed for transfer only
    assert [p.label for p in load_scenario(singapore).spec.policies if not p.in_force] == ["ev"]


def test_transfer_arms_are_with_minus_without_in_both_cities() -> None:
    sg, sj = SCENARIOS / "singapore.yaml", SCENARIOS / "sejong.yaml"
    specs, arms = arm_specs([sg, sj], "singapore:erp", [5, 9], overrides={"a.b": 1})
    assert arms[str(sg)].design == "in_force" and arms[str(sj)].design == "added"
    got = {(Path(s.scenario).stem, s.policies, s.without, s.seed) for s in specs}
    assert got == {("singapore", (), ("singapore:erp",), 5), ("singapore", (), (), 5),
                   ("singapore", (), ("singapore:erp",), 9), ("singapore", (), (), 9),
                   ("sejong", (), (), 5), ("sejong", ("singapore:erp",), (), 5),
                   ("sejong", (), (), 9), ("sejong", ("singapore:erp",), (), 9)}
    assert len(specs) == len(got) and all(s.overrides == (("a.b", 1),) for s in specs)
    # the target keeps its own policy in force in both arms: Sejong's BRT runs in both
    target_arms = [s for s in specs if Path(s.scenario).stem == "sejong"]
    assert all(s.without == () for s in target_arms)
    # both arms continue; the city as it is is the control run beside the changed arm
    assert all(s.continues for s in specs)
    assert {s.control_of for s in specs if not (s.policies or s.without)} == {
        "|singapore:erp", "singapore:erp|"}
    # the store names the arms (control, treatment) as (policies, without, control_of)
    assert arms[str(sg)].store_arms() == (("", "singapore:erp", ""), ("", "", "|singapore:erp"))
    assert arms[str(sj)].store_arms() == (("", "", "singapore:erp|"), ("singapore:erp", "", ""))


def test_every_policy_declares_primary_kpis_the_registry_knows() -> None:
    from twincity.kpi import CATALOGUE
    from twincity.policies.base import REGISTRY
    from twincity.policies.registry import policy_names

    for name in policy_names():
        primary = REGISTRY[name].primary_kpis
        assert primary, name
        assert set(primary) <= set(CATALOGUE), name
    erp = resolve_policy("singapore:erp", SCENARIOS)
    assert set(erp.primary_kpis) == {"mode_share_car", "delay_central_peak",
                                     "vehicle_km_central", "co2_per_capita_transport"}


def test_policies_adapt_in_order_to_the_city_left_by_the_ones_before(ring_city: Path) -> None:
    # a frequency increase added to a city with its BRT in force runs the BRT more often too
    city, applied = prepare_city(ring_city, policies=["transit_service"])
    assert [p.label for p, _ in applied] == ["ringtown:ring", "transit_service"]
    assert [ln.headway_s for ln in city.spec.transit.lines] == pytest.approx([360 / 1.5])
    base = build_city(load_scenario(ring_city))
    assert city.spec.transit.feeder_headway_s == pytest.approx(
        base.spec.transit.feeder_headway_s / 1.5)


def test_cli_lists_in_force_policies_and_checks_without(ring_city: Path) -> None:
    from click.testing import CliRunner

    from twincity.cli import main

    out = CliRunner().invoke(main, ["policies", "--city", str(ring_city)])
    assert out.exit_code == 0
    assert "ringtown:ring" in out.output and "[in force" in out.output
    assert "ringtown:wfh" in out.output and "[not in force" in out.output
    out = CliRunner().invoke(main, ["info", str(ring_city)])
    assert out.exit_code == 0 and "policies in force: ringtown:ring" in out.output
    out = CliRunner().invoke(main, ["run", str(ring_city), "--without", "ringtown:wfh"])
    assert out.exit_code == 2 and "in_force: false" in out.output
    assert "--without" in CliRunner().invoke(main, ["run", "--help"]).output
