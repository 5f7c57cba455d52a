"""Every class of bad scenario input gets one line naming file, line, field and expectation,
and the CLI exits 2 without a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import write_variant
from twincity.cli import main
from twincity.errors import ScenarioError
from twincity.scenario.loader import load_scenario


def cli_error(path: Path) -> str:
    """Run ``twincity validate`` on ``path``; assert exit 2, one line, no traceback."""
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ")
    return lines[0]


def test_yaml_syntax_error_names_file_and_line(tiny_dir: Path) -> None:
    bad = tiny_dir / "bad.yaml"
    bad.write_text("city:\n  name: Oz\n  population: [1, 2\nnetwork: {}\n")
    msg = cli_error(bad)
    assert "bad.yaml:4:" in msg and "YAML syntax error" in msg


def test_duplicate_key_is_refused(tiny_dir: Path) -> None:
    bad = tiny_dir / "dup.yaml"
    bad.write_text("city:\n  name: A\n  name: B\n")
    msg = cli_error(bad)
    assert "dup.yaml:3:" in msg and "duplicate key 'name'" in msg


@pytest.mark.parametrize("content, expected", [
    (b"", "file is empty"),
    (b"# only a comment\n\n", "file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    (b"\xff\xfe\xfa not utf8", "not UTF-8"),
    (b"- a\n- b\n", "expected a YAML mapping"),
])
def test_empty_binary_and_non_mapping_files(tiny_dir: Path, content: bytes, expected: str) -> None:
    bad = tiny_dir / "x.yaml"
    bad.write_bytes(content)
    msg = cli_error(bad)
    assert "x.yaml" in msg and expected in msg


def test_missing_file(tmp_path: Path) -> None:
    assert "file not found" in cli_error(tmp_path / "nope.yaml")


def test_unknown_field_suggests_the_close_name(tiny_dir: Path) -> None:
    bad = write_variant(tiny_dir, "v.yaml", {"city": {"populaton": 5}})
    msg = cli_error(bad)
    assert "v.yaml:3: city.populaton: unknown field; did you mean 'population'?" in msg


def test_wrong_type_names_the_field_and_value(tiny_dir: Path) -> None:
    bad = write_variant(tiny_dir, "v.yaml", {"city": {"population": "many"}})
    msg = cli_error(bad)
    assert "v.yaml:3: city.population: expected" in msg and "'many'" in msg


@pytest.mark.parametrize("changes, field", [
    ({"city": {"population": 0}}, "city.population"),
    ({"city": {"population": -5}}, "city.population"),
    ({"network": {"generator": {"arterial_spacing_m": -100}}},
     "network.generator.arterial_spacing_m"),
    ({"network": {"generator": {"road_classes": {"arterial": {"capacity_vphpl": 0}}}}},
     "network.generator.road_classes.arterial.capacity_vphpl"),  # as written (converted)
    ({"network": {"generator": {"road_classes": {"motorway": {"lanes": 0}}}}},
     "network.generator.road_classes.motorway.lanes"),
    ({"zones": {"generate": {"jobs": -1}}}, "zones.generate.jobs"),
])
def test_non_positive_quantities(tiny_dir: Path, changes: dict, field: str) -> None:
    msg = cli_error(write_variant(tiny_dir, "v.yaml", changes))
    assert f"{field}: " in msg and "expected" in msg


def test_non_positive_quantity_reports_the_line(tiny_dir: Path) -> None:
    msg = cli_error(write_variant(tiny_dir, "v.yaml", {"city": {"population": -5}}))
    assert msg.startswith("error: ") and "v.yaml:3: city.population: expected a number greater " \
                                          "than 0, got -5" in msg


@pytest.mark.parametrize("changes, text", [
    ({"fleet": {"car_shares": {"petrol_car": 0.5, "diesel_car": 0.3, "hybrid_car": 0.05}}},
     "fleet.car_shares: car fleet shares must sum to 1, got 0.9"),
    ({"buildings": {"heating_shares": {"gas_boiler": 0.5, "heat_pump": 0.2,
                                       "district_heating": 0.2}}},
     "buildings.heating_shares: shares must sum to 1, got 0.9"),
])
def test_shares_that_do_not_sum_to_one(tiny_dir: Path, changes: dict, text: str) -> None:
    assert text in cli_error(write_variant(tiny_dir, "v.yaml", changes))


def test_reference_outside_the_scenario_folder_is_refused(tiny_dir: Path) -> None:
    bad = tiny_dir / "v.yaml"
    data = yaml.safe_load((tiny_dir / "tiny.yaml").read_text())
    data["network"] = {"file": "../../etc/passwd", "format": "graphml"}
    bad.write_text(yaml.safe_dump(data, sort_keys=False))
    msg = cli_error(bad)
    assert "network.file" in msg and "outside the scenario folder" in msg


def test_absolute_reference_is_refused(tiny_dir: Path) -> None:
    data = yaml.safe_load((tiny_dir / "tiny.yaml").read_text())
    data["network"] = {"file": "/etc/passwd", "format": "graphml"}
    (tiny_dir / "v.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    assert "expected a path relative to the scenario folder" in cli_error(tiny_dir / "v.yaml")


def test_missing_reference(tiny_dir: Path) -> None:
    data = yaml.safe_load((tiny_dir / "tiny.yaml").read_text())
    data["network"] = {"file": "streets.graphml"}
    (tiny_dir / "v.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    msg = cli_error(tiny_dir / "v.yaml")
    assert "network.file: referenced file 'streets.graphml' does not exist" in msg


def test_extends_outside_folder_is_refused(tiny_dir: Path) -> None:
    (tiny_dir / "v.yaml").write_text("extends: ../../../etc/passwd\n")
    msg = cli_error(tiny_dir / "v.yaml")
    assert "v.yaml:1: extends:" in msg and "outside the scenario folder" in msg


def test_extends_cycle(tiny_dir: Path) -> None:
    (tiny_dir / "a.yaml").write_text("extends: b.yaml\n")
    (tiny_dir / "b.yaml").write_text("extends: c.yaml\n")
    (tiny_dir / "c.yaml").write_text("extends: a.yaml\n")
    msg = cli_error(tiny_dir / "a.yaml")
    assert "'extends' cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml" in msg


def test_yaml_tags_are_never_evaluated(tiny_dir: Path) -> None:
    bad = tiny_dir / "evil.yaml"
    bad.write_text("city: !!python/object/apply:os.system ['echo pwned']\n")
    assert "YAML syntax error" in cli_error(bad)


def test_unreachable_zone_is_reported(tiny_dir: Path) -> None:
    """A network file with an island: the zone placed on it cannot be reached."""
    import numpy as np

    from twincity.city.io_graphml import write_graphml
    from twincity.city.network import Network

    # A triangle of two-way roads, and a separate two-way road 5 km away.
    x = np.array([0.0, 1000.0, 500.0, 5000.0, 6000.0])
    y = np.array([0.0, 0.0, 800.0, 5000.0, 5000.0])
    pairs = [(0, 1), (1, 2), (2, 0), (3, 4)]
    frm = np.array([a for a, b in pairs] + [b for a, b in pairs])
    to = np.array([b for a, b in pairs] + [a for a, b in pairs])
    length = np.hypot(x[frm] - x[to], y[frm] - y[to])
    ones = np.ones(len(frm))
    write_graphml(Network.from_links(node_x_m=x, node_y_m=y, link_from=frm, link_to=to,
                                     length_m=length, lanes=ones, speed_mps=14 * ones,
                                     capacity_vph=1800 * ones), tiny_dir / "island.graphml")
    data = yaml.safe_load((tiny_dir / "tiny.yaml").read_text())
    data["network"] = {"file": "island.graphml"}
    data["zones"] = {"list": [
        {"name": "A", "x_m": 10.0, "y_m": 0.0, "population": 10000, "jobs": 10},
        {"name": "Island", "x_m": 5900.0, "y_m": 5000.0, "population": 10000, "jobs": 10}]}
    (tiny_dir / "v.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    msg = cli_error(tiny_dir / "v.yaml")
    assert "v.yaml:" in msg and "zones.list[1]" in msg and "zone 'Island'" in msg
    assert "cannot reach" in msg


def test_error_object_carries_parts(tiny_dir: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(write_variant(tiny_dir, "v.yaml", {"simulation": {"tick_s": 0}}))
    err = info.value
    assert err.file.endswith("v.yaml") and err.line == 3 and err.path == "simulation.tick_s"
