"""Every ``twincity`` command of README.md's bash blocks, and its Python blocks, run as
written, in README order.

The commands run in a scratch copy of the project (``scenarios/`` and the tiny test city),
so nothing in the repository is written, with the working folder set to that copy as a
reader's would be. They run exactly as written — same arguments — except for one
uniform, stated change of scale: in the copy, each shipped city file
(sejong, singapore, helsinki) is given a small run size (``SMALL`` below: a smaller
generated street network, a 0.5% sample, one equilibrium day, the six hours 06-12 with
the morning peak instead of the whole day). That keeps every city's
zones, policies and KPIs (which the tiny test city lacks: ``singapore:erp`` needs
Singapore) while a run takes under a second instead of a minute; options a command
line gives itself (``--days 2``) still win over the file, as for a reader. Each command
must exit 0 and leave the files it announces (``results: DIR``, ``report: FILE``) and
the ones its ``--out`` names.

The dashboard, a server that runs until stopped, is started, must answer HTTP on the
address it prints, and is then stopped (with the viz extra; the browser test in
``tests/test_dashboard_browser.py`` drives its page). Not run (``SKIPPED``): ``pip
install`` (the environment is the test's own), ``pytest`` (this suite), the peer
benchmark, the dashboard on its fixed default port, and the command table's synopses
(``FILE``, ``DIR`` placeholders, not commands).
``tests/test_readme_commands.py`` checks the table covers every command.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from twincity.cli import main

REPO = Path(__file__).resolve().parents[1]
#: The one change of scale made to each shipped city in the scratch copy (see module doc).
SMALL = {"network.generator.scale": 0.2, "simulation.sample_share": 0.005,
         "simulation.equilibrium_days": 1, "simulation.start_h": 6,
         "simulation.duration_h": 6}
SHIPPED = ("sejong", "singapore", "helsinki")
#: Commands not run, with the reason (matched on the command's first words).
SKIPPED = {
    "pip install": "installs packages: the test runs in its own environment",
    "pytest": "the test suite itself, which this test is part of",
    "python benchmarks/": "a peer benchmark (extras bench, peers: SUMO, UXsim), minutes long",
    "twincity dashboard scenarios/": "serves on the fixed port 8765, which another process "
                                     "may hold; the --port 0 example is run",
}
#: Shell commands of README lines that are run (they write a reader's input files).
SHELL = ("printf ",)
#: First line of a README Python block in :func:`readme_lines`.
PYTHON = "# README python block\n"
#: Commands that take more than ~5 s here (many paired runs, a Dask cluster).
SLOW = ("twincity transfer", "twincity compare", "twincity diff", "twincity sweep",
        "twincity dashboard")


def readme_lines() -> list[str]:
    """Shell command lines of README's bash blocks and its Python blocks (each whole,
    after a ``PYTHON`` line), in order: continuations joined, comments dropped,
    ``a && b`` split into its commands."""
    text = (REPO / "README.md").read_text()
    lines = []
    for kind, block in re.findall(r"```(bash|python)\n(.*?)```", text, flags=re.S):
        if kind == "python":
            lines.append(PYTHON + block)
            continue
        for line in re.sub(r"\\\n\s*", " ", block).splitlines():
            line = re.split(r"\s+#", line)[0].strip()
            lines += [part.strip() for part in line.split(" && ") if part.strip()]
    return lines


def _marks(line: str) -> list:
    marks = [pytest.mark.slow] if line.startswith(SLOW) else []
    if "--workers" in line:
        marks.append(pytest.mark.dask)
    for start, reason in SKIPPED.items():
        if line.startswith(start):
            marks.append(pytest.mark.skip(reason=reason))
    return marks


@pytest.fixture(scope="module")
def reader_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scratch copy of the project as a README reader's working folder sees it."""
    root = tmp_path_factory.mktemp("readme")
    shutil.copytree(REPO / "scenarios", root / "scenarios")
    (root / "tests" / "data").mkdir(parents=True)
    shutil.copy(REPO / "tests" / "data" / "tiny.yaml", root / "tests" / "data")
    for city in SHIPPED:
        path = root / "scenarios" / f"{city}.yaml"
        data = yaml.safe_load(path.read_text())
        for key, value in SMALL.items():
            *parents, leaf = key.split(".")
            node = data
            for name in parents:
                node = node.setdefault(name, {})
            node[leaf] = value
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return root


def _serve_and_stop(args: list[str], cwd: Path) -> None:
    """Start ``twincity dashboard …``, wait for its page at the printed address, stop it."""
    if any(importlib.util.find_spec(m) is None for m in ("solara", "altair")):
        pytest.skip("the dashboard needs the viz extra (pip install -e '.[viz]')")
    from test_dashboard_browser import _wait_http

    cmd = [sys.executable, "-c", "from twincity.cli import main; main()", *args]
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)   # its own group: the server too
    try:
        first = proc.stdout.readline()
        url = re.search(r"http://\S+", first)
        assert url, f"no address printed: {first!r}"
        _wait_http(url.group(0) + "/", proc)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def _announced(output: str) -> list[str]:
    """Paths a command says it wrote (``results: DIR``, ``report: FILE``)."""
    return re.findall(r"^(?:results|report): (\S+)$", output, flags=re.M)


def test_every_readme_line_is_run_or_skipped_with_a_reason() -> None:
    for line in readme_lines():
        assert line.startswith(("twincity ", PYTHON, *SHELL, *SKIPPED)), (
            f"README line {line!r} is neither run by this test nor skipped with a reason "
            "(add it to SKIPPED or SHELL)")


def test_readme_runs_every_kind_of_command() -> None:
    """The examples cover the commands the issue asks to be shown running."""
    run = {shlex.split(line)[1] for line in readme_lines() if line.startswith("twincity ")
           and not any(line.startswith(skip) for skip in SKIPPED)}
    assert {"run", "transfer", "compare", "diff", "sweep", "validate-counts",
            "policies"} <= run


@pytest.mark.parametrize(
    "line", [pytest.param(line, marks=_marks(line),
                          id=line.removeprefix(PYTHON).replace("\n", " ")[:70])
             for line in readme_lines()])
def test_readme_command_runs_as_written(line: str, reader_dir: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    run_line(line, reader_dir, monkeypatch)


def run_line(line: str, reader_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run one documented line in the reader's folder and check what it announces."""
    monkeypatch.chdir(reader_dir)
    if line.startswith(SHELL):
        assert shutil.which("bash"), "bash is needed for README's shell lines"
        done = subprocess.run(["bash", "-c", line], cwd=reader_dir, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return
    if line.startswith(PYTHON):   # run as a script in the reader's folder
        monkeypatch.setenv("MPLBACKEND", "Agg")
        exec(compile(line, str(REPO / "README.md"), "exec"), {"__name__": "__main__"})
        for name in re.findall(r"savefig\(\"([^\"]+)\"\)", line):
            assert (reader_dir / name).is_file(), f"the README block drew no {name}"
        return
    assert line.startswith("twincity "), f"{line!r} is neither run nor skipped"
    # file patterns expanded as the reader's shell would (no match: left as written)
    args = [name for arg in shlex.split(line)[1:]
            for name in ((sorted(glob.glob(arg)) or [arg]) if set(arg) & set("*?[") else [arg])]
    if args[0] == "dashboard":
        _serve_and_stop(args, reader_dir)
        return
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    output = result.output + (result.stderr if result.stderr_bytes else "")
    assert result.exit_code == 0, f"{line}\nexit {result.exit_code}\n{output[-2000:]}"
    for announced in _announced(output):
        assert (reader_dir / announced).exists(), f"{line}: announced {announced} is missing"
    if "--out" in args:
        out = reader_dir / args[args.index("--out") + 1]
        assert out.exists(), f"{line}: --out {out} was not written"
    if args[0] == "run":
        folders = _announced(output)
        assert folders, f"{line}: no 'results:' line"
        assert (reader_dir / folders[-1] / "summary.json").is_file()
    if args[0] in ("transfer", "compare", "diff"):
        assert any(p.endswith("report.md") for p in _announced(output)), output[-500:]
    if args[0] == "validate-counts" and "--out" in args:
        out = reader_dir / args[args.index("--out") + 1]
        assert {"summary.json", "by_hour.csv"} <= {p.name for p in out.iterdir()}
    if args[0] == "sweep":
        assert "S1" in output and "ST" in output
