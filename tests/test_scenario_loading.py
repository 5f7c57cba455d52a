"""Loading scenarios: overlays, unit conversion, schema round trip and export, docs in sync."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from conftest import SCENARIOS, SHIPPED_CITIES, write_variant
from twincity.cli import main
from twincity.scenario.docs import field_reference
from twincity.scenario.loader import deep_merge, load_scenario
from twincity.scenario.schema import Scenario, json_schema


def test_unit_aliases_convert_to_si(tiny_path: Path) -> None:
    spec = load_scenario(tiny_path).spec
    # tiny.yaml writes feeder_headway_min: 12, feeder_speed_kmh: 18, grid in g/kWh
    assert spec.transit.feeder_headway_s == 720.0
    assert spec.transit.feeder_speed_mps == pytest.approx(5.0)
    assert spec.transit.lines[0].headway_s == 360.0
    assert spec.grid.hourly_intensity_kg_per_kwh[0] == pytest.approx(0.4)


def test_same_quantity_twice_in_one_file_is_refused(tiny_dir: Path) -> None:
    path = write_variant(tiny_dir, "v.yaml", {"transit": {"feeder_headway_s": 60,
                                                          "feeder_headway_min": 2}})
    from twincity.errors import ScenarioError

    with pytest.raises(ScenarioError, match="give the same quantity twice"):
        load_scenario(path)


def test_overlay_in_other_units_replaces_the_base_value(tiny_dir: Path) -> None:
    """The base writes feeder_headway_min: 12; a variant (or override) in seconds wins."""
    path = write_variant(tiny_dir, "v.yaml", {"transit": {"feeder_headway_s": 60}})
    assert load_scenario(path).spec.transit.feeder_headway_s == 60.0
    over = load_scenario(tiny_dir / "tiny.yaml", {"transit.feeder_headway_s": 90})
    assert over.spec.transit.feeder_headway_s == 90.0


def test_extends_overlays_mappings_and_replaces_lists(tiny_dir: Path) -> None:
    base = load_scenario(tiny_dir / "tiny.yaml").spec
    variant = load_scenario(write_variant(tiny_dir, "v.yaml", {
        "city": {"population": 30000},
        "demand": {"departure_profile": [1] * 24},
    })).spec
    assert variant.city.population == 30000
    assert variant.city.name == base.city.name  # merged, not replaced
    assert variant.demand.departure_profile == [1.0] * 24
    assert variant.demand.mode_constants == base.demand.mode_constants


def test_extends_chain(tiny_dir: Path) -> None:
    write_variant(tiny_dir, "a.yaml", {"city": {"population": 30000}})
    b = write_variant(tiny_dir, "b.yaml", {"simulation": {"seed": 9}}, base="a.yaml")
    spec = load_scenario(b).spec
    assert (spec.city.population, spec.simulation.seed) == (30000, 9)


def test_overrides_and_content_hash(tiny_path: Path) -> None:
    a = load_scenario(tiny_path)
    b = load_scenario(tiny_path, {"simulation.seed": 5})
    assert b.spec.simulation.seed == 5
    assert a.content_hash != b.content_hash
    assert load_scenario(tiny_path).content_hash == a.content_hash


def test_deep_merge_does_not_mutate_inputs() -> None:
    base = {"a": {"b": 1}}
    deep_merge(base, {"a": {"b": 2}})
    assert base == {"a": {"b": 1}}


@pytest.mark.parametrize("city", SHIPPED_CITIES)
def test_schema_round_trip(city: str) -> None:
    spec = load_scenario(SCENARIOS / f"{city}.yaml").spec
    dumped = spec.model_dump(mode="json")
    again = Scenario.model_validate(json.loads(json.dumps(dumped)))
    assert again == spec


@pytest.mark.parametrize("city", SHIPPED_CITIES)
def test_json_schema_accepts_shipped_files(city: str) -> None:
    """A second validator (jsonschema) agrees the raw files match the exported schema."""
    raw = yaml.safe_load((SCENARIOS / f"{city}.yaml").read_text())
    jsonschema.validate(raw, json_schema())


def test_json_schema_rejects_what_the_loader_rejects() -> None:
    raw = yaml.safe_load((SCENARIOS / "sejong.yaml").read_text())
    raw["city"]["population"] = -1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(raw, json_schema())
    raw = yaml.safe_load((SCENARIOS / "sejong.yaml").read_text())
    raw["city"]["mayor"] = "x"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(raw, json_schema())


def test_schema_command_prints_json_schema(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "twincity scenario"
    out = tmp_path / "s.json"
    assert CliRunner().invoke(main, ["schema", "--out", str(out)]).exit_code == 0
    assert json.loads(out.read_text()) == json_schema()


def test_scenarios_readme_documents_every_field() -> None:
    readme = (SCENARIOS / "README.md").read_text()
    assert readme == field_reference(), (
        "scenarios/README.md is out of date: run "
        "`python -m twincity.scenario.docs > scenarios/README.md`")
    for line in readme.splitlines():
        if line.startswith("| `"):
            assert not line.rstrip().endswith("|  |"), f"field without description: {line}"


def test_reading_a_file_twice_gives_independent_copies(tmp_path: Path) -> None:
    from twincity.scenario.yamlio import read_yaml

    path = tmp_path / "s.yaml"
    path.write_text("city:\n  name: A\n  zones: [1, 2]\n")
    first, lines = read_yaml(path)
    first["city"]["zones"].append(3)
    lines.clear()
    again, lines_again = read_yaml(path)       # parsed once, cached on the text
    assert again == {"city": {"name": "A", "zones": [1, 2]}}
    assert lines_again[("city", "zones")] == (str(path), 3)
    path.write_text("city:\n  name: B\n")     # new text: parsed anew
    assert read_yaml(path)[0] == {"city": {"name": "B"}}
