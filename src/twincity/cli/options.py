"""Options several commands share, defined once: scenario overrides and output switches.

``run``, ``transfer``, ``compare`` and ``sweep`` all take
``--set KEY=VALUE``, ``--days`` and ``--sample-share`` through
:func:`scenario_overrides`, and turn them into one overrides mapping with
:func:`parse_set`.

Example:
    >>> parse_set(("demand.commute_share=0.3",), days=2)
    {'demand.commute_share': 0.3, 'simulation.equilibrium_days': 2}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from twincity.errors import InputError
from twincity.scenario.yamlio import read_yaml_value


def parse_set(items: tuple[str, ...], days: int | None = None,
              sample_share: float | None = None) -> dict[str, Any]:
    """``--set key=value`` options (values read as YAML) plus the shorthand options.

    >>> parse_set(("simulation.duration_h=2",), sample_share=0.01)
    {'simulation.duration_h': 2, 'simulation.sample_share': 0.01}
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"expected key=value, got {item!r}", path="--set")
        out[key.strip()] = read_yaml_value(value, what=f"--set {key.strip()}")
    if days is not None:
        out["simulation.equilibrium_days"] = days
    if sample_share is not None:
        out["simulation.sample_share"] = sample_share
    return out


def _apply(options: list[Callable], func: Any) -> Any:
    for option in reversed(options):
        func = option(func)
    return func


def scenario_overrides(func: Any) -> Any:
    """``--set``, ``--days`` and ``--sample-share``: changes to the scenario for every run."""
    return _apply([
        click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
                     help="Scenario override, value read as YAML (repeatable), e.g. "
                          "--set demand.commute_share=0.3."),
        click.option("--days", type=click.IntRange(min=1), default=None,
                     help="Override simulation.equilibrium_days (fewer = faster)  "
                          "[default: the scenario's]"),
        click.option("--sample-share", type=click.FloatRange(min=0, min_open=True, max=1),
                     default=None, help="Override simulation.sample_share, the share of "
                     "residents simulated  [default: the scenario's]"),
    ], func)


def echo_json(frame: Any) -> None:
    """Print a DataFrame as JSON records (NaN as null) on standard output."""
    click.echo(frame.to_json(orient="records", indent=2, force_ascii=False))


def json_output(func: Any) -> Any:
    """``--json``: print the command's table as JSON records instead of text."""
    return click.option("--json", "as_json", is_flag=True,
                        help="Print the table as JSON (one record per row).")(func)
