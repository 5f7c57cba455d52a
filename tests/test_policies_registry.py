"""Finding policies (city:label, files, names), adaptation is deterministic, the CLI, MaaS."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from conftest import SCENARIOS, SHIPPED_CITIES
from twincity.cli import main
from twincity.errors import InputError
from twincity.model import CityModel
from twincity.policies.base import REGISTRY
from twincity.policies.mobility import MaasBundlePolicy
from twincity.policies.registry import apply_policies, policy_names, resolve_policy
from twincity.scenario.loader import load_scenario

SHORT = {"simulation.start_h": 7, "simulation.duration_h": 2, "simulation.equilibrium_days": 1}


def test_every_shipped_signature_policy_resolves_and_adapts_to_the_tiny_city(tiny_path):
    refs = []
    for city in SHIPPED_CITIES:
        spec = load_scenario(SCENARIOS / f"{city}.yaml").spec
        refs += [f"{city}:{p.label or p.name}" for p in spec.policies]
    assert {"singapore:erp", "sejong:brt", "helsinki:transit",
            "helsinki:district_heating"} <= set(refs)
    policies = [resolve_policy(r, SCENARIOS) for r in refs]
    assert [p.label for p in policies] == refs
    erp = policies[refs.index("singapore:erp")]
    assert erp.name == "congestion_pricing" and erp.origin.currency == "SGD"
    for p in policies:
        _, applied = apply_policies(tiny_path, [p])
        assert applied[0][1].note


def test_policy_files_resolve_with_their_origin_city():
    files = sorted((SCENARIOS / "policies").glob("*.yaml"))
    assert len(files) >= 5
    for f in files:
        data = yaml.safe_load(f.read_text())
        p = resolve_policy(f"policies/{f.name}", SCENARIOS)
        assert p.name == data["name"] and p.label == data.get("label", f.stem)
        assert (p.origin is None) == (not data.get("origin"))


def test_money_in_a_policy_file_is_converted_by_purchasing_power(tiny_path):
    p = resolve_policy("policies/erp_cordon_sgd.yaml", SCENARIOS)
    _, applied = apply_policies(tiny_path, [p])
    sg = load_scenario(SCENARIOS / "singapore.yaml").spec.city
    tiny = load_scenario(tiny_path).spec.city
    assert applied[0][1].concrete["charge"] == pytest.approx(3.0 / sg.ppp_per_usd
                                                             * tiny.ppp_per_usd)


def test_names_resolve_with_default_parameters():
    for name in policy_names():
        p = resolve_policy(name, SCENARIOS)
        assert p.name == name and p.label == name
        assert p.params == REGISTRY[name].Params()


def test_unknown_references_list_what_exists():
    with pytest.raises(InputError, match=r"expected one of .*low_emission_zone"):
        resolve_policy("no_such_policy", SCENARIOS)
    with pytest.raises(InputError, match="singapore:erp"):
        resolve_policy("singapore:no_such_label", SCENARIOS)
    with pytest.raises(InputError, match="no scenario 'atlantis'"):
        resolve_policy("atlantis:erp", SCENARIOS)
    with pytest.raises(InputError, match=r"low_emission_zone: params\.banned_classes"):
        REGISTRY["low_emission_zone"]({"banned_classes": ["truck"]})
    with pytest.raises(InputError, match="min_green_s"):
        REGISTRY["adaptive_signals"]({"min_green_s": 60})


def test_adaptation_is_deterministic_and_documented(tiny_path):
    for name in policy_names():
        a = apply_policies(tiny_path, [REGISTRY[name]()])[1][0][1]
        b = apply_policies(tiny_path, [REGISTRY[name]()])[1][0][1]
        assert a.note == b.note and a.concrete == b.concrete and a.overrides == b.overrides
        assert len(a.note) > 40, name
        assert REGISTRY[name].__doc__ and REGISTRY[name].summary
        module_doc = sys.modules[REGISTRY[name].__module__].__doc__
        assert "mechanism" in module_doc.lower(), name  # says how it acts


def test_maas_lowers_the_fare_and_gives_bikes_to_more_people(tiny_path):
    maas = MaasBundlePolicy({"fare_discount": 0.5, "bike_access_added": 0.3})
    city, _ = apply_policies(tiny_path, [maas])
    assert city.spec.transit.fare == pytest.approx(700.0)
    assert city.spec.demand.bike_available_share == pytest.approx(0.8)
    base = CityModel.from_file(tiny_path, overrides=SHORT, subsystems=("traffic",))
    with_maas = CityModel.from_file(tiny_path, overrides=SHORT, subsystems=("traffic",),
                                    policies=[maas])
    t0, t1 = base.traffic, with_maas.traffic
    n = len(t1.trips)
    assert abs(t1.trips.bike_available.mean() - 0.8) < 4 * np.sqrt(0.8 * 0.2 / n)
    share = {k: np.bincount(m.mode, minlength=4) / len(m.mode) for k, m in (("b", t0),
                                                                          ("m", t1))}
    assert share["m"][0] < share["b"][0]  # fewer drive
    assert share["m"][1] + share["m"][3] > share["b"][1] + share["b"][3]  # transit + bike


def test_cli_lists_policies_and_city_references():
    runner = CliRunner()
    out = runner.invoke(main, ["policies"])
    assert out.exit_code == 0
    for name in policy_names():
        assert f"{name}: {REGISTRY[name].summary}" in out.output
    assert "compliance_renewal_share = 0.2" in out.output
    out = runner.invoke(main, ["policies", "--city", str(SCENARIOS / "singapore.yaml")])
    assert out.exit_code == 0 and "singapore:erp" in out.output
    assert "charge_vot_h = 0.15" in out.output
    out = runner.invoke(main, ["policies", "nope"])
    assert out.exit_code == 2 and "expected one of" in out.output
    out = runner.invoke(main, ["policies", "--help"])
    assert "twincity policies --city scenarios/singapore.yaml" in out.output
