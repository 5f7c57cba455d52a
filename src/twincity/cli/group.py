"""The ``twincity`` click group: one-line input errors (exit 2) and one-line warnings.

Command modules decorate their commands with ``@main.command()`` on this group;
:mod:`twincity.cli` imports them all (:mod:`twincity.cli.commands`).
"""

from __future__ import annotations

import sys
import warnings

import click

from twincity import __version__
from twincity.errors import InputError


class _Group(click.Group):
    """A click group that turns input errors into one line and exit status 2."""

    def invoke(self, ctx: click.Context):
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _one_line_warning
                return super().invoke(ctx)
        except InputError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print a warning as ``warning: <message>`` (no source line) on standard error."""
    click.echo(f"warning: {message}", err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"],
                                          "show_default": True})
@click.version_option(__version__, prog_name="twincity")
def main() -> None:
    """twincity: simulate a city's traffic, energy and emissions, and trial
    one city's policies in another.

    \b
    Examples:
      twincity validate scenarios/*.yaml
      twincity info scenarios/sejong.yaml
      twincity run scenarios/sejong.yaml --seed 7 --out results/sejong
    """
