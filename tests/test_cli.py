"""The command line: every command through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conftest import SCENARIOS, SHIPPED_CITIES
from twincity.cli import main


def test_help_everywhere_has_examples() -> None:
    runner = CliRunner()
    top = runner.invoke(main, ["--help"])
    assert top.exit_code == 0
    commands = [ln.split()[0] for ln in top.output.split("Commands:")[1].splitlines() if ln.strip()]
    assert {"validate", "info", "run", "schema"} <= set(commands)
    for command in commands:
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0, command
        assert "Example" in result.output, f"{command} --help has no example"


def test_validate_shipped_cities() -> None:
    paths = [str(SCENARIOS / f"{c}.yaml") for c in SHIPPED_CITIES]
    result = CliRunner().invoke(main, ["validate", *paths])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok: ") == 3


def test_info_prints_the_city(tiny_path: Path) -> None:
    result = CliRunner().invoke(main, ["info", str(tiny_path)])
    assert result.exit_code == 0, result.output
    assert "Tinytown" in result.output and "lane_km" in result.output


def test_run_writes_a_results_folder(tiny_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    result = CliRunner().invoke(main, ["run", str(tiny_path), "--seed", "4", "--out", str(out),
                                       "--quiet"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["provenance"]["seed"] == 4
    assert {"name", "value", "unit", "u4ssc", "better"} == set(summary["kpis"][0])
    resolved = json.loads((out / "scenario.resolved.json").read_text())
    assert resolved["city"]["name"] == "Tinytown"
    assert any(p.suffix == ".parquet" for p in out.iterdir())
