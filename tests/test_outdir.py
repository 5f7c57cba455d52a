"""``--out`` never costs data: only folders twincity wrote are replaced, checked before the run,
and only our own leftovers of killed runs are cleaned."""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from twincity.cli import main
from twincity.errors import InputError
from twincity.outdir import MARKER, check_out_dir, clean_stale_siblings
from twincity.results import KPI, Results


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def workdir(tmp_path: Path, tiny_path: Path, monkeypatch) -> Path:
    """A working folder with a scenarios folder, a plain file and a foreign folder."""
    (tmp_path / "scen").mkdir()
    shutil.copy(tiny_path, tmp_path / "scen" / "tiny.yaml")
    (tmp_path / "notes.txt").write_text("precious")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("out, expected", [
    ("scen", "contains an input of this run"),
    (".", "current folder"),
    ("notes.txt", "is not a folder"),
    ("mine", "not a twincity results folder"),
])
def test_run_refuses_unsafe_out_before_running(workdir: Path, monkeypatch, out: str,
                                               expected: str) -> None:
    def no_run(*args, **kwargs):
        raise AssertionError("the run started although --out was refused")

    monkeypatch.setattr("twincity.model.CityModel.from_file", no_run)
    before = snapshot(workdir)
    result = CliRunner().invoke(main, ["run", "scen/tiny.yaml", "--out", out, "--quiet"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: --out:") and expected in lines[0]
    assert snapshot(workdir) == before  # nothing deleted, nothing written


def test_force_never_allows_the_scenario_folder_or_cwd(workdir: Path) -> None:
    for out in ("scen", ".", str(workdir.parent)):
        with pytest.raises(InputError):
            check_out_dir(out, protect=["scen/tiny.yaml"], force=True)
    check_out_dir("mine", force=True)  # a foreign folder only with --force


def test_results_folders_carry_the_marker_and_are_replaceable(tmp_path: Path) -> None:
    r = Results(kpis=[KPI("x", 1.0, "")])
    out = r.write(tmp_path / "r")
    record = json.loads((out / MARKER).read_text())
    assert record["written_by"] == "twincity" and record["pid"] == os.getpid()
    check_out_dir(out)  # ours: may be replaced
    r.write(out)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "a.txt").write_text("keep")
    with pytest.raises(InputError, match="not a twincity results folder"):
        r.write(foreign)
    assert (foreign / "a.txt").read_text() == "keep"
    (tmp_path / "empty").mkdir()
    r.write(tmp_path / "empty")  # an empty folder holds nothing to lose


def test_only_our_stale_temporaries_are_cleaned(tmp_path: Path) -> None:
    out = tmp_path / "r"
    here = socket.gethostname()
    dead = tmp_path / ".r.tmp-dead"
    dead.mkdir()
    (dead / MARKER).write_text(json.dumps({"written_by": "twincity", "pid": 2**22 + 12345,
                                           "host": here}))
    alive = tmp_path / ".r.tmp-alive"
    alive.mkdir()
    (alive / MARKER).write_text(json.dumps({"written_by": "twincity", "pid": os.getpid(),
                                            "host": here}))
    foreign = tmp_path / ".r.tmp-foreign"
    foreign.mkdir()
    (foreign / "data.bin").write_text("not ours")
    removed = clean_stale_siblings(out)
    assert removed == [dead]
    assert alive.exists() and foreign.exists() and not dead.exists()


def test_file_outputs_never_overwrite_foreign_files(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("precious")
    result = CliRunner().invoke(main, ["schema", "--out", "notes.txt"])
    assert result.exit_code == 2 and "not a JSON Schema" in result.stderr
    assert (tmp_path / "notes.txt").read_text() == "precious"
    assert CliRunner().invoke(main, ["schema", "--out", "s.json"]).exit_code == 0
    assert CliRunner().invoke(main, ["schema", "--out", "s.json"]).exit_code == 0  # ours
    assert CliRunner().invoke(main, ["schema", "--out", "notes.txt", "--force"]).exit_code == 0
    result = CliRunner().invoke(main, ["schema", "--out", "."])
    assert result.exit_code == 2 and "is a folder" in result.stderr


def test_a_results_folder_from_before_the_marker_is_still_ours(tmp_path: Path) -> None:
    r = Results(kpis=[KPI("x", 1.0, "")])
    out = r.write(tmp_path / "r")
    (out / MARKER).unlink()
    check_out_dir(out)  # only files twincity writes: replaceable
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(InputError, match="not a twincity results folder"):
        check_out_dir(out)
