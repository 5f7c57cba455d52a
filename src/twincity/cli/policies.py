"""``twincity policies``: the registered policies, or a city's signature policies."""

from __future__ import annotations

import json
from pathlib import Path

import click

from twincity.cli.group import main


def _param_lines(params_cls) -> list[str]:
    """One line per parameter: name, default and description."""
    lines = []
    for name, f in params_cls.model_fields.items():
        default = f.get_default(call_default_factory=True)
        if hasattr(default, "model_dump"):
            default = default.model_dump(mode="json")
        elif isinstance(default, list):
            default = [d.model_dump(mode="json") if hasattr(d, "model_dump") else d
                       for d in default]
        text = json.dumps(default, default=str, ensure_ascii=False)
        lines.append(f"    {name} = {text}" + (f"  — {f.description}" if f.description else ""))
    return lines


@main.command()
@click.argument("names", nargs=-1)
@click.option("--city", "city_file", type=click.Path(path_type=Path),
              help="A scenario file: list its signature policies as city:label references.")
def policies(names: tuple[str, ...], city_file: Path | None) -> None:
    """List registered policies (or NAMES) with their summary and city-neutral parameters.

    With --city, list the policies a city's scenario names as its own, as
    references other cities' runs can use (``singapore:erp``).

    \b
    Examples:
      twincity policies
      twincity policies congestion_pricing low_emission_zone
      twincity policies --city scenarios/singapore.yaml
      twincity run scenarios/sejong.yaml --policy singapore:erp
    """
    from twincity.policies.base import REGISTRY
    from twincity.policies.registry import make_policy, policy_names

    if city_file is not None:
        from twincity.scenario.loader import load_scenario

        spec = load_scenario(city_file).spec
        city = city_file.stem
        if not spec.policies:
            click.echo(f"{city}: no signature policies listed")
        for p in spec.policies:
            policy = make_policy(p.name, p.params)  # validates the parameters
            defaults = REGISTRY[p.name]().params.model_dump(mode="json")
            ref = f"{city}:{p.label or p.name}"
            state = "in force (every run; --without removes it)" if p.in_force else \
                "not in force (for transfer)"
            click.echo(f"{ref}  ({p.name}: {REGISTRY[p.name].summary}) [{state}]")
            for key, value in policy.params.model_dump(mode="json").items():
                mark = "  (default)" if value == defaults.get(key) else ""
                click.echo(f"    {key} = {json.dumps(value, ensure_ascii=False)}{mark}")
        return
    for name in names:
        make_policy(name)  # an unknown name is an InputError listing the known ones
    for name in names or policy_names():
        cls = REGISTRY[name]
        click.echo(f"{name}: {cls.summary}")
        for line in _param_lines(cls.Params):
            click.echo(line)
