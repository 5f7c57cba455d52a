"""Every ``twincity`` command in README.md is a valid invocation: the command exists, its
options and arguments parse, and the files it names exist (running them all at full scale
belongs to the benchmarks, not the test suite)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from twincity.cli import main

REPO = Path(__file__).resolve().parents[1]
#: Files a README example names that a reader creates first (the examples say so).
READER_FILES = {"counts.csv", "sejong_commute35.yaml"}


def readme_commands() -> list[list[str]]:
    """``twincity …`` lines of README's bash blocks, continuations joined, comments dropped."""
    text = (REPO / "README.md").read_text()
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split(" #")[0].strip()
            if line.startswith("twincity "):
                commands.append(shlex.split(line)[1:])
    return commands


def test_readme_has_an_example_of_every_command() -> None:
    used = {args[0] for args in readme_commands()}
    table = (REPO / "README.md").read_text()
    for name in main.commands:
        assert f"`twincity {name}" in table, f"{name} is not in README's command table"
    assert {"run", "transfer", "compare", "diff", "sweep", "validate-counts"} <= used


@pytest.mark.parametrize("args", readme_commands(), ids=lambda a: " ".join(a)[:60])
def test_readme_command_parses_and_names_existing_files(args: list[str]) -> None:
    command = main.commands.get(args[0])
    assert command is not None, f"no command {args[0]!r}"
    with click.Context(main, info_name="twincity") as parent:
        ctx = command.make_context(args[0], list(args[1:]), parent=parent)
    for param in command.params:
        value = ctx.params.get(param.name)
        if (isinstance(param, click.Argument) and isinstance(value, Path)
                and value.suffix in (".yaml", ".yml", ".csv") and value.name not in READER_FILES):
            assert (REPO / value).exists(), f"{value} does not exist"
