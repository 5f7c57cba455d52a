"""Every example of every command's ``--help`` and every command of docs/*.md's bash blocks
runs as written, at the small scale of ``tests/test_readme_run.py`` (its scratch copy of
the project, its ``SMALL`` run size, its checks of what a command announces).

Some examples use files a reader makes first; the scratch folder gets them before any
example runs (``READER_FILES``, each made as a reader would: a run, a counts file from
that run, a copied scenario with one value changed). Lines that cannot run here are
skipped with the reason (``SKIPPED`` here and in test_readme_run.py).
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from test_readme_run import PYTHON, SHELL, SLOW, reader_dir, run_line
from test_readme_run import SKIPPED as README_SKIPPED
from twincity.cli import main

__all__ = ["reader_dir"]          # the scratch project folder fixture, shared

REPO = Path(__file__).resolve().parents[1]
SHARED_TNTP = REPO.parent / "shared" / "data" / "tntp" / "SiouxFalls"
#: Lines not run here, with the reason (matched on the line's first words).
SKIPPED = {
    **README_SKIPPED,
    "twincity import scenarios/mycity": "placeholders for the reader's own data "
                                        "(mycity.osm.pbf, tracts.gpkg, gtfs.zip)",
    "dask scheduler": "starts a Dask scheduler for a cluster (docs/scaling-out.md)",
    "NUMBA_NUM_THREADS=1 dask worker": "starts Dask workers on a cluster's machines",
}
#: What the reader makes before the examples (see the module docstring).
READER_FILES = ("results/sejong-seed2013 (twincity run scenarios/sejong.yaml)",
                "results/sejong-erp (the same with --policy singapore:erp)",
                "counts.csv (the sejong run's hourly flows on 40 busy links, +10%)",
                "sejong_counted.yaml (sejong.yaml naming counts.csv in observations.counts)",
                "sejong_more_buses.yaml, base.yaml, variant.yaml (scenario copies)",
                "SiouxFalls_net.tntp, SiouxFalls_trips.tntp (from shared/data, if present)")


def help_lines() -> list[tuple[str, str]]:
    """``(command, example line)`` of every ``Example(s):`` block of the CLI's help."""
    out = []
    commands = [(name, cmd) for name, cmd in main.commands.items()]
    for name, cmd in sorted(commands):
        text = cmd.help or ""
        m = re.search(r"Examples?[^\n]*:\n(.*?)(?:\n\s*\n|\Z)", text, flags=re.S)
        if not m:
            continue
        block = re.sub(r"\\\n\s*", " ", m.group(1))
        for line in block.splitlines():
            line = re.split(r"\s+#", line)[0].strip()
            if line.startswith("twincity "):
                out.append((name, line))
    return out


def docs_lines() -> list[tuple[str, str]]:
    """``(doc file, line)`` of every bash block of docs/*.md."""
    out = []
    for path in sorted((REPO / "docs").glob("*.md")):
        for block in re.findall(r"```bash\n(.*?)```", path.read_text(), flags=re.S):
            for line in re.sub(r"\\\n\s*", " ", block).splitlines():
                line = re.split(r"\s+#", line)[0].strip()
                if line:
                    out.append((path.name, line))
    return out


LINES = [*help_lines(), *docs_lines()]


def _marks(line: str) -> list:
    marks = [pytest.mark.slow] if line.startswith((*SLOW, "twincity calibrate")) else []
    if "--workers" in line:
        marks.append(pytest.mark.dask)
    for start, reason in SKIPPED.items():
        if line.startswith(start):
            marks.append(pytest.mark.skip(reason=reason))
    return marks


def test_every_command_with_options_shows_an_example() -> None:
    with_examples = {name for name, _ in help_lines()}
    assert {"run", "transfer", "compare", "diff", "sweep", "validate-counts", "calibrate",
            "import", "plot"} <= with_examples


def test_every_documented_line_is_run_or_skipped_with_a_reason() -> None:
    for where, line in LINES:
        assert line.startswith(("twincity ", *SHELL, *SKIPPED)), (where, line)


@pytest.fixture(scope="module")
def prepared(reader_dir: Path) -> Path:
    """The reader's own files the examples use (``READER_FILES``)."""
    def run(*args: str) -> None:
        res = CliRunner().invoke(main, list(args), catch_exceptions=False)
        assert res.exit_code == 0, res.output[-2000:]

    import os

    here = Path.cwd()
    os.chdir(reader_dir)
    try:
        run("run", "scenarios/sejong.yaml", "--quiet")
        assert Path("results/sejong-seed2013/links.parquet").is_file()
        run("run", "scenarios/sejong.yaml", "--policy", "singapore:erp", "--out",
            "results/sejong-erp", "--quiet")
    finally:
        os.chdir(here)
    from twincity.counts import hourly_link_flows

    res_dir = reader_dir / "results" / "sejong-seed2013"
    links = pd.read_parquet(res_dir / "links.parquet")
    import json

    sim = json.loads((res_dir / "scenario.resolved.json").read_text())["simulation"]
    flows = hourly_link_flows(links, sim["start_s"], sim["interval_s"], sim["duration_s"])
    busy = flows.sort_values("model_vph", ascending=False).drop_duplicates("link").head(40)
    flows = flows[flows["link"].isin(busy["link"])]
    flows.assign(count=(flows["model_vph"] * 1.1).round()).drop(columns="model_vph").to_csv(
        reader_dir / "counts.csv", index=False)
    sejong = yaml.safe_load((reader_dir / "scenarios" / "sejong.yaml").read_text())
    # copies sit in the reader's folder: their relative file references must still resolve
    (reader_dir / "sejong_counted.yaml").write_text(yaml.safe_dump(
        {**sejong, "observations": {"counts": "counts.csv"}}, sort_keys=False))
    buses = {**sejong, "transit": {**sejong["transit"], "feeder_headway_min": 6}}
    (reader_dir / "sejong_more_buses.yaml").write_text(yaml.safe_dump(buses, sort_keys=False))
    shutil.copy(reader_dir / "scenarios" / "sejong.yaml", reader_dir / "base.yaml")
    variant = {**sejong, "demand": {**sejong["demand"], "trips_per_person_per_day":
                                    sejong["demand"]["trips_per_person_per_day"] * 0.9}}
    (reader_dir / "variant.yaml").write_text(yaml.safe_dump(variant, sort_keys=False))
    if SHARED_TNTP.is_dir():
        for name in ("SiouxFalls_net.tntp", "SiouxFalls_trips.tntp"):
            shutil.copy(SHARED_TNTP / name, reader_dir / name)
    return reader_dir


@pytest.mark.parametrize(
    "line", [pytest.param(line, marks=_marks(line), id=f"{where}: {line}"[:80])
             for where, line in LINES])
def test_documented_line_runs_as_written(line: str, prepared: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    args = shlex.split(line)
    if args[:2] == ["twincity", "assign"] and not (prepared / args[2]).is_file():
        pytest.skip("the Sioux Falls files come from shared/data, absent here")
    if args[:2] == ["twincity", "import"]:
        pytest.importorskip("osmium")
        pytest.importorskip("geopandas")
    assert not line.startswith(PYTHON)
    run_line(line, prepared, monkeypatch)
