"""One consistent command line: shared override options, defaults in --help, policy files
recognised by validate, readable compare output, no "n/a%"."""

from __future__ import annotations

import json
import math
from pathlib import Path

import click
import pandas as pd
import pytest
from click.testing import CliRunner

from twincity.cli import main
from twincity.cli.transfer import effect_rows
from twincity.experiment.report import pct_cell
from twincity.scenario.loader import load_scenario

REPO = Path(__file__).resolve().parents[1]
OVERRIDE_OPTIONS = {"--set", "--days", "--sample-share"}


def _commands() -> dict[str, click.Command]:
    return dict(main.commands)


@pytest.mark.parametrize("name", ["run", "transfer", "compare", "diff", "sweep"])
def test_override_options_are_shared_by_every_running_command(name: str) -> None:
    command = _commands()[name]
    opts = {o for p in command.params for o in p.opts}
    assert opts >= OVERRIDE_OPTIONS
    # one definition: the same help text everywhere
    helps = {p.opts[0]: p.help for p in command.params if p.opts[0] in OVERRIDE_OPTIONS}
    reference = {p.opts[0]: p.help for p in _commands()["run"].params
                 if p.opts[0] in OVERRIDE_OPTIONS}
    assert helps == reference


def test_every_option_with_a_value_shows_its_default() -> None:
    missing = []
    for name, command in _commands().items():
        with click.Context(command, info_name=name, parent=click.Context(main),
                           show_default=True) as ctx:
            for param in command.params:
                if not isinstance(param, click.Option) or param.is_flag or param.multiple:
                    continue
                if param.required or param.opts[0] in ("--help",):
                    continue
                record = param.get_help_record(ctx)
                if record is None or "default" not in record[1].lower():
                    missing.append(f"{name} {param.opts[0]}")
    # options whose absence switches their feature off (no Dask scheduler: in this
    # process; no NGSI-LD export; no city to list policies of)
    off = ["compare --scheduler", "diff --scheduler", "policies --city", "run --ngsi-ld",
           "sweep --scheduler", "transfer --scheduler"]
    assert sorted(missing) == off
    # the replications' defaults differ by command and are shown
    res = CliRunner().invoke(main, ["transfer", "--help"])
    assert "default: 20" in res.output
    res = CliRunner().invoke(main, ["compare", "--help"])
    assert "default: 5" in res.output


def test_run_applies_set_days_and_sample_share(tiny_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "res"
    res = CliRunner().invoke(main, [
        "run", str(tiny_path), "--seed", "3", "--out", str(out), "--quiet", "--json",
        "--set", "simulation.duration_h=2", "--set", "demand.commute_share=0.35",
        "--days", "2", "--sample-share", "0.02"])
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text())
    expected = load_scenario(tiny_path, {"simulation.duration_h": 2,
                                         "demand.commute_share": 0.35,
                                         "simulation.equilibrium_days": 2,
                                         "simulation.sample_share": 0.02})
    assert summary["provenance"]["scenario_hash"] == expected.content_hash
    resolved = json.loads((out / "scenario.resolved.json").read_text())
    assert resolved["simulation"]["sample_share"] == 0.02
    assert resolved["simulation"]["equilibrium_days"] == 2
    # --json prints the KPI table as records, nothing else on standard output
    records = json.loads(res.stdout)
    assert {r["name"] for r in records} == {k["name"] for k in summary["kpis"]}


def test_validate_recognises_policy_files_and_checks_them(tmp_path: Path) -> None:
    policy = REPO / "scenarios" / "policies" / "erp_cordon_sgd.yaml"
    res = CliRunner().invoke(main, ["validate", str(policy), "--scenarios",
                                    str(REPO / "scenarios")])
    assert res.exit_code == 0, res.output
    assert "policy file: congestion_pricing 'erp_cordon_sgd', origin Singapore" in res.output
    bad = tmp_path / "bad_policy.yaml"
    bad.write_text("name: congestion_pricing\nparams:\n  scheme: cordon\n  charge_origin: -3\n")
    res = CliRunner().invoke(main, ["validate", str(bad)])
    assert res.exit_code == 2
    assert "city: required field" not in res.output and "bad_policy.yaml" in res.output


def test_percentages_never_read_n_a_percent() -> None:
    assert pct_cell(float("nan")) == "n/a"
    assert pct_cell(math.inf) == "n/a"
    assert pct_cell(-3.14159) == "-3.14%" and pct_cell(0.0) == "+0.00%"


class _FakeCompare:
    """What ``effect_rows`` reads of a compare result: its two matrices."""

    def __init__(self, rel: pd.DataFrame, sig: pd.DataFrame) -> None:
        self._m = {"rel_effect_pct": rel, "significant": sig}

    def matrix(self, value: str = "rel_effect_pct") -> pd.DataFrame:
        return self._m[value]


def test_compare_prints_kpis_as_rows_within_100_columns() -> None:
    from twincity.experiment.transfer import DEFAULT_KPIS

    cities = ["Sejong", "Singapore", "Helsinki"]
    rel = pd.DataFrame([[-12.3456, float("nan"), 1.5]] * len(DEFAULT_KPIS),
                       index=cities and DEFAULT_KPIS, columns=cities).T
    sig = rel.notna() & (rel.abs() > 5)
    text = effect_rows(_FakeCompare(rel, sig)).to_string(line_width=100)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert len(lines) == len(DEFAULT_KPIS) + 2          # header, index name, one per KPI
    assert "-12.35%*" in text and "+1.50%" in text and "n/a%" not in text
    assert "n/a" in text
