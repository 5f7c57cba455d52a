"""Run specs: normalisation, JSON round trip, run ids that follow inputs, seeds, policies."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import twincity
from conftest import write_variant
from twincity.errors import InputError
from twincity.experiment import Experiment, RunSpec, execute, run_id, spawn_seeds
from twincity.experiment.spec import RUN_ID_LENGTH


def test_spec_is_frozen_hashable_and_round_trips_through_json() -> None:
    a = RunSpec("city.yaml", policies=["x:toll"], seed=np.int64(4),
                overrides={"simulation": {"duration_h": 1}, "network.generator.radials": 3,
                           "climate.cloudiness": [0.5] * 12})
    b = RunSpec("city.yaml", policies=("x:toll",), seed=4,
                overrides=[("climate.cloudiness", tuple([0.5] * 12)),
                           ("network.generator.radials", 3), ("simulation.duration_h", 1)])
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert type(a.seed) is int
    with pytest.raises(AttributeError):
        a.seed = 5  # type: ignore[misc]
    data = json.loads(json.dumps(a.to_dict()))
    assert RunSpec.from_dict(data) == a
    # the loader gets lists back, as it would read them from YAML
    assert a.overrides_dict()["climate.cloudiness"] == [0.5] * 12


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"seed": -1}, "seed"),
    ({"seed": 1.5}, "seed"),
    ({"seed": True}, "seed"),
    ({"seed": 1, "policies": ("a", "a")}, "policies"),
    ({"seed": 1, "overrides": {"simulation": 1, "simulation.seed": 2}}, "overrides"),
    ({"seed": 1, "overrides": {"demand.x": float("nan")}}, "overrides.demand.x"),
    ({"seed": 1, "overrides": {"demand.x": {1, 2}}}, "overrides.demand.x"),
])
def test_bad_spec_fields_raise_input_errors_naming_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(InputError) as err:
        RunSpec("city.yaml", **kwargs)
    assert err.value.path == field


def test_run_id_follows_spec_scenario_content_and_version(tiny_dir: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = tiny_dir / "tiny.yaml"
    spec = RunSpec(str(path), seed=1, overrides={"simulation.duration_h": 1})
    first = run_id(spec)
    assert len(first) == RUN_ID_LENGTH and int(first, 16) >= 0
    assert run_id(spec) == first
    assert run_id(RunSpec(str(path), seed=2, overrides=spec.overrides)) != first
    assert run_id(RunSpec(str(path), seed=1, overrides={"simulation.duration_h": 2})) != first

    # a comment changes the bytes but not the resolved scenario: same inputs, same id
    text = path.read_text()
    path.write_text("# a comment\n" + text)
    assert run_id(spec) == first
    # a changed value is a different input
    path.write_text(text.replace("population: 20000", "population: 20001"))
    changed = run_id(spec)
    assert changed != first
    path.write_text(text)
    assert run_id(spec) == first

    # a file the scenario extends is part of its content
    variant = write_variant(tiny_dir, "variant.yaml", {"demand": {"commute_share": 0.5}})
    vspec = RunSpec(str(variant), seed=1)
    before = run_id(vspec)
    path.write_text(text.replace("cars_per_1000: 400", "cars_per_1000: 410"))
    assert run_id(vspec) != before

    # other engine code (another fingerprint) is another run, whatever the version says
    current = run_id(spec)
    monkeypatch.setattr(twincity, "__version__", "999.0")
    assert run_id(spec) == current
    monkeypatch.setattr("twincity.experiment.spec.engine_fingerprint", lambda: "0" * 16)
    assert run_id(spec) != current


def test_run_id_refuses_a_bad_scenario_with_its_field(tiny_dir: Path) -> None:
    spec = RunSpec(str(tiny_dir / "tiny.yaml"), seed=1, overrides={"city.population": -5})
    with pytest.raises(InputError) as err:
        run_id(spec)
    assert err.value.path == "city.population"


def test_spawn_seeds_are_numpys_spawned_children_deterministic_and_distinct() -> None:
    seeds = spawn_seeds(12345, 200)
    # the documented definition, spelled out with numpy
    children = np.random.SeedSequence(12345).spawn(200)
    assert seeds == [int(c.generate_state(1, np.uint32)[0]) for c in children]
    assert seeds == spawn_seeds(12345, 200)
    assert len(set(seeds)) == 200
    assert all(isinstance(s, int) and 0 <= s < 2**32 for s in seeds)
    assert spawn_seeds(12345, 10) == seeds[:10]          # more replications keep the first ones
    assert set(spawn_seeds(12346, 200)).isdisjoint(seeds)
    assert spawn_seeds(1, 0) == []
    with pytest.raises(InputError):
        spawn_seeds(-1, 3)


def test_grid_is_the_product_of_its_axes_without_duplicates() -> None:
    exp = Experiment.grid(["a.yaml", "b.yaml"], [(), ("x:toll",), "y:ev"], [1, 2, 2],
                          overrides=[{"simulation.duration_h": 1}, {"simulation.duration_h": 2}])
    assert len(exp) == 2 * 3 * 2 * 2                     # the repeated seed is one run
    assert len(set(exp)) == len(exp)
    assert {s.policies for s in exp} == {(), ("x:toll",), ("y:ev",)}
    assert {dict(s.overrides)["simulation.duration_h"] for s in exp} == {1, 2}
    one = Experiment.grid(["a.yaml"], [()], [7], overrides={"simulation.duration_h": 1})
    assert one.specs == (RunSpec("a.yaml", seed=7, overrides={"simulation.duration_h": 1}),)
    assert len(exp + one + one) == len(exp) + 1


def test_unknown_policies_are_refused_not_ignored(tiny_path: Path) -> None:
    spec = RunSpec(str(tiny_path), policies=("singapore:erp",), seed=1,
                   overrides={"simulation.duration_h": 1})
    with pytest.raises(InputError, match=r"no scenario 'singapore' for policy reference"):
        execute(spec)


def test_execute_seeds_the_model_from_the_spec(tiny_path: Path) -> None:
    spec = RunSpec(str(tiny_path), seed=77, overrides={"simulation.duration_h": 1})
    results = execute(spec)
    assert results.provenance["seed"] == 77
    assert results.tables["observables"]["time_s"].max() == 3600.0
