"""Bad input never costs a traceback or a hang (issue 14): YAML attacks, special files,
policy files, absurd numbers, and a seeded mutation campaign over the shipped scenarios."""

from __future__ import annotations

import os
import random
import signal
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import DATA, write_variant
from mutants import make_folder, write_mutant
from twincity.city.build import build_city
from twincity.cli import main
from twincity.errors import InputError
from twincity.policies.registry import resolve_policy
from twincity.scenario.loader import load_scenario


def refused(path: Path | str, *, names: str | None = None) -> str:
    """``twincity validate path``: exit 2, one stderr line naming the file, no traceback."""
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert (names or Path(path).name) in lines[0], lines[0]
    return lines[0]


def alias_bomb(levels: int = 10) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------- YAML attacks
@pytest.mark.parametrize("text, expected", [
    ("city: &r [*r]\n", "recursive alias"),
    ("city: &r {a: *r}\n", "recursive alias"),
    ("city: " + "[" * 1000 + "]" * 1000 + "\n", "nesting deeper than"),
    ("".join("  " * i + f"k{i}:\n" for i in range(1100)) + "  " * 1100 + "x: 1\n",
     "nesting deeper than"),
    (alias_bomb(), "expands to more than"),
    ("population: " + "9" * 5000 + "\n", "4,300 digits"),
], ids=["recursive-list", "recursive-map", "deep-flow", "deep-block", "alias-bomb", "huge-int"])
def test_yaml_attacks_are_refused_quickly(tmp_path: Path, text: str, expected: str) -> None:
    bad = tmp_path / "attack.yaml"
    bad.write_text(text)
    assert expected in refused(bad)


def test_long_extends_chain_is_refused(tiny_dir: Path) -> None:
    for k in range(1, 80):
        (tiny_dir / f"c{k}.yaml").write_text(
            f"extends: {'tiny.yaml' if k == 1 else f'c{k - 1}.yaml'}\n")
    assert "chain longer than" in refused(tiny_dir / "c79.yaml", names="scen/c")


# ----------------------------------------------------------------------- special files
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert "FIFO" in refused(fifo)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_is_refused_before_reading() -> None:
    assert "character device" in refused("/dev/zero")


def test_a_symlink_loop_is_refused(tiny_dir: Path) -> None:
    (tiny_dir / "a.tntp").symlink_to("b.tntp")
    (tiny_dir / "b.tntp").symlink_to("a.tntp")
    bad = write_variant(tiny_dir, "v.yaml", {"network": {"generator": None, "file": "a.tntp"}})
    assert "symlink loop" in refused(bad)
    (tiny_dir / "self.yaml").symlink_to("self.yaml")
    assert "symlink loop" in refused(tiny_dir / "self.yaml")


def test_a_referenced_special_file_is_refused(tiny_dir: Path) -> None:
    (tiny_dir / "zero.tntp").symlink_to("/dev/zero")
    bad = write_variant(tiny_dir, "v.yaml", {"network": {"generator": None, "file": "zero.tntp"}})
    assert "outside the scenario folder" in refused(bad)
    if hasattr(os, "mkfifo"):
        os.mkfifo(tiny_dir / "pipe.tntp")
        bad = write_variant(tiny_dir, "w.yaml",
                            {"network": {"generator": None, "file": "pipe.tntp"}})
        assert "not a regular file" in refused(bad)


def test_an_oversized_file_is_refused_by_size(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("twincity.scenario.yamlio.MAX_SCENARIO_BYTES", 1000)
    big = tmp_path / "big.yaml"
    big.write_text("description: '" + "x" * 5000 + "'\n")
    assert "larger than 1,000 bytes" in refused(big)


# ----------------------------------------------------------------------- numbers
@pytest.mark.parametrize("changes, field, expected", [
    ({"zones": {"generate": None, "list": [
        {"name": "a", "x_m": float("nan"), "y_m": 0, "population": 10000, "jobs": 5},
        {"name": "b", "x_m": 0, "y_m": 0, "population": 10000, "jobs": 5}]}},
     "zones.list[0].x_m", "finite"),
    ({"demand": {"mode_constants": {"transit": float("nan")}}}, "mode_constants.transit",
     "finite"),
    ({"demand": {"mode_constants": {"walk": float("-inf")}}}, "mode_constants.walk", "finite"),
    ({"demand": {"mode_constants": {"transit": 1e6}}}, "mode_constants.transit", "24"),
    ({"network": {"generator": {"arterial_spacing_m": 1}}}, "arterial_spacing_m", "50"),
    ({"network": {"generator": {"urban_area_km2": 19000, "arterial_spacing_m": 60}}},
     "arterial_spacing_m", "junctions"),
    ({"simulation": {"routing_slot_min": 0.001}}, "routing_slot_s", "60"),
    ({"city": {"population": 10**12}}, "city.population", "100000000"),
    ({"simulation": {"duration_h": 1e6}}, "duration_s", "604800"),
    ({"network": {"generator": {"urban_area_km2": 1e6}}}, "urban_area_km2", "20000"),
    ({"simulation": {"sample_share": 1e-9}}, "sample_share", "trips"),
    ({"simulation": {"tick_s": 0.1, "duration_h": 168}}, "tick_s", "ticks"),
    ({"zones": {"generate": {"count": 5000}}}, "zones", "GiB"),
    ({"zones": {"generate": None, "list": [
        {"name": "far", "x_m": 9e6, "y_m": 0, "population": 10000, "jobs": 5},
        {"name": "b", "x_m": 0, "y_m": 0, "population": 10000, "jobs": 5}]}},
     "zones.list[0]", "km from the nearest road node"),
    ({"policies": [{"name": "no_such_policy"}]}, "policies[0].name", "unknown policy"),
    ({"policies": [{"name": "congestion_pricng"}]}, "policies[0].name", "did you mean"),
    ({"policies": [{"name": "congestion_pricing", "params": {"chrage": 3}}]},
     "policies[0].params.chrage", "unknown field"),
    ({"policies": [{"name": "congestion_pricing", "params": [1, 2]}]}, "policies[0].params",
     "dictionary"),
], ids=lambda v: None)
def test_absurd_numbers_and_names_are_refused(tiny_dir: Path, changes: dict, field: str,
                                              expected: str) -> None:
    bad = write_variant(tiny_dir, "v.yaml", changes)
    msg = refused(bad)
    assert field in msg and expected in msg, msg
    assert "v.yaml:" in msg  # the line of the file that wrote it


def test_empty_transit_lines_and_far_zones_get_a_note(tiny_dir: Path) -> None:
    ok = write_variant(tiny_dir, "v.yaml", {"transit": {"lines": []}, "zones": {
        "generate": None, "list": [
            {"name": "off", "x_m": 5000, "y_m": 0, "population": 10000, "jobs": 5},
            {"name": "b", "x_m": 0, "y_m": 0, "population": 10000, "jobs": 5}]}})
    result = CliRunner().invoke(main, ["validate", str(ok)])
    assert result.exit_code == 0, result.output
    assert "no trunk lines" in result.output and "(off)" in result.output


# ----------------------------------------------------------------------- policy files
@pytest.mark.parametrize("text, expected", [
    ("name: congestion_pricing\norigin: 5\n", "p.yaml:2: origin: expected string"),
    ("name: congestion_pricing\norigin: /etc/passwd\n", "p.yaml:2: origin: expected a path "
                                                        "relative"),
    ("name: congestion_pricing\norigin: ../../../../../etc/passwd\n", "p.yaml:2: origin:"),
    ("name: congestion_pricing\nparams: [1, 2]\n", "p.yaml:2: params: expected dictionary"),
    ("name: congestion_pricing\nparams:\n  chrage_origin: 3\n",
     "p.yaml:3: params.chrage_origin: unknown field; did you mean 'charge_origin'?"),
    ("name: congestion_pricing\nparams:\n  central_share: .nan\n",
     "p.yaml:3: params.central_share: expected a finite number"),
    ("name: nope\n", "p.yaml:1: name: unknown policy 'nope'"),
    ("label: x\n", "name: required field is missing"),
    ("name: congestion_pricing\norigin: other.yaml\n", "p.yaml:2: origin: 'other.yaml' is "
                                                       "not a valid scenario"),
])
def test_policy_files_are_checked_like_scenarios(tiny_dir: Path, text: str,
                                                 expected: str) -> None:
    folder = tiny_dir / "policies"
    folder.mkdir()
    (folder / "p.yaml").write_text(text)
    (folder / "other.yaml").write_text("city: {}\n")
    with pytest.raises(InputError) as info:
        resolve_policy("policies/p.yaml", tiny_dir)
    msg = str(info.value)
    assert "\n" not in msg and expected in msg, msg
    assert info.value.file.endswith("p.yaml")


def test_policy_origin_may_name_the_scenarios_folder(tiny_dir: Path) -> None:
    (tiny_dir / "policies").mkdir()
    (tiny_dir / "policies" / "p.yaml").write_text(
        "name: congestion_pricing\norigin: ../tiny.yaml\n")
    policy = resolve_policy("policies/p.yaml", tiny_dir)
    assert policy.origin is not None and policy.origin.name == "Tinytown"


def test_a_bad_policy_file_fails_run_with_one_line(tiny_dir: Path, tmp_path: Path) -> None:
    (tiny_dir / "p.yaml").write_text("name: congestion_pricing\norigin: /etc/passwd\n")
    result = CliRunner().invoke(main, ["run", str(tiny_dir / "tiny.yaml"), "--policy", "p.yaml",
                                       "--out", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "p.yaml:2: origin:" in lines[0]
    assert "/etc/passwd" in lines[0] and "root:" not in lines[0]


# ----------------------------------------------------------------------- mutation campaign
class _Hang(Exception):
    pass


def _alarm(signum, frame):
    raise _Hang()


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="needs SIGALRM for the hang guard")
def test_seeded_mutants_of_the_shipped_scenarios_fail_cleanly(tmp_path: Path) -> None:
    """300 seeded mutants (types, structure, YAML attacks, references, nonsense): each is
    accepted, or refused with one InputError line naming a file of the scenario folder;
    never another exception, never more than 20 s."""
    folder = make_folder(tmp_path)
    rng = random.Random(14)
    tally: Counter[str] = Counter()
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        for i in range(300):
            desc, path = write_mutant(i, folder, rng)
            signal.alarm(20)
            try:
                build_city(load_scenario(path))
                tally["accepted"] += 1
            except InputError as exc:
                msg = str(exc)
                assert "\n" not in msg and exc.file and str(folder) in exc.file, (desc, msg)
                tally["refused"] += 1
            except _Hang:
                pytest.fail(f"mutant {i} ({desc}) took more than 20 s")
            finally:
                signal.alarm(0)
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert tally["refused"] > 200, tally  # the campaign really exercises the checks


def test_tiny_scenario_still_validates() -> None:
    result = CliRunner().invoke(main, ["validate", str(DATA / "tiny.yaml")])
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((DATA / "tiny.yaml").read_text())["city"]["name"] == "Tinytown"


def test_a_grid_too_small_for_the_city_gets_a_note(tiny_dir: Path) -> None:
    from twincity.model import CityModel

    path = write_variant(tiny_dir, "small_grid.yaml", {"grid": {
        "hourly_intensity_g_per_kwh": None, "generators": [
            {"fuel": "gas", "capacity_mw": 1, "marginal_cost_per_mwh": 80,
             "co2_kg_per_kwh": 0.4}]}})
    res = CityModel.from_file(path, subsystems=("energy",)).run()
    assert any("could not serve" in n and "too small" in n for n in res.notes), res.notes
