"""``twincity validate``, ``info``, ``run`` and ``schema``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from twincity.cli.group import main
from twincity.cli.options import echo_json, json_output, parse_set, scenario_overrides


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--scenarios", "scenarios_dir", type=click.Path(path_type=Path),
              default=Path("scenarios"),
              help="Folder of the city scenario files (a policy file's origin lies in it).")
def validate(files: tuple[Path, ...], scenarios_dir: Path) -> None:
    """Check scenario or policy FILES: YAML, fields, units, references, that the city builds.

    A policy file (``name``, ``params``, optional ``origin`` and ``label``,
    no ``city``) is checked as a policy: its registered name, parameters and
    origin scenario.

    \b
    Examples:
      twincity validate scenarios/sejong.yaml
      twincity validate scenarios/*.yaml scenarios/policies/*.yaml
    """
    from twincity.city.build import build_city
    from twincity.scenario.loader import load_scenario

    for file in files:
        if is_policy_file(file):
            from twincity.policies.registry import read_policy_file

            policy = read_policy_file(file, scenarios_dir)
            origin = getattr(policy, "origin", None)
            home = f", origin {origin.name}" if origin is not None else ""
            click.echo(f"ok: {file} (policy file: {policy.name} '{policy.label}'{home})")
            continue
        loaded = load_scenario(file)
        city = build_city(loaded)
        counts = loaded.references.get("observations.counts")
        if counts is not None:  # observed counts must name links of this network
            from twincity.city.maps import network_table
            from twincity.counts import read_counts

            n = len(read_counts(counts, network=network_table(city)))
            click.echo(f"ok: {counts} ({n} counted link-hours)")
        weather = loaded.references.get("climate.weather_file")
        if weather is not None:  # every representative day must be in the weather file
            from twincity.energy.weather_file import check_weather_file

            days = check_weather_file(weather, loaded.spec.climate)
            click.echo(f"ok: {weather} ({days} representative days)")
        s = city.summary()
        click.echo(f"ok: {file} ({s['name']}: {s['nodes']} nodes, {s['links']} links, "
                   f"{s['zones']} zones)")
        for note in city.notes:
            click.echo(f"note: {file}: {note}")


def is_policy_file(path: Path) -> bool:
    """Whether ``path`` reads as a policy file rather than a scenario (``name``, no ``city``).

    Unreadable or malformed files are left to the scenario loader, which names the problem.
    """
    from twincity.errors import InputError
    from twincity.scenario.yamlio import read_yaml

    try:
        data, _ = read_yaml(path)
    except (InputError, OSError):
        return False
    return (isinstance(data, dict) and "name" in data
            and not {"city", "extends", "network", "zones"} & set(data))


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
def info(file: Path) -> None:
    """Summarise the city a scenario FILE builds: network size, zones, population.

    \b
    Example:
      twincity info scenarios/helsinki.yaml
    """
    from twincity.model import prepare_city
    from twincity.scenario.loader import load_scenario

    loaded = load_scenario(file)
    city, applied = prepare_city(file)  # the city as it runs: its policies in force applied
    for key, value in city.summary().items():
        click.echo(f"{key:>20}: {value}")
    click.echo(f"{'scenario_hash':>20}: {loaded.content_hash[:16]}")
    if applied:
        click.echo(f"{'policies in force':>20}: {', '.join(p.label for p, _ in applied)}")
    for note in city.notes:
        click.echo(f"note: {note}")


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Root seed  [default: the scenario's simulation.seed]")
@scenario_overrides
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Results folder  [default: results/<scenario name>-seed<N>]")
@click.option("--policy", "policies", multiple=True,
              help="Apply a policy: city:label (e.g. singapore:erp), a policy file or a name. "
                   "Repeatable.")
@click.option("--without", "without", multiple=True, metavar="CITY:LABEL",
              help="Leave out one of the city's own policies in force (e.g. sejong:brt): the "
                   "counterfactual city without it. Repeatable.")
@click.option("--ngsi-ld", "ngsi_dir", type=click.Path(path_type=Path), default=None,
              help="Also export time series and KPIs as FIWARE NGSI-LD JSON into this folder.")
@click.option("--force", is_flag=True,
              help="Replace --out even if it is an existing folder twincity did not write.")
@json_output
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--plots", is_flag=True,
              help="Also draw the figures (plots/*.png) and a self-contained report.html.")
def run(file: Path, seed: int | None, sets: tuple[str, ...], days: int | None,
        sample_share: float | None, out_dir: Path | None, policies: tuple[str, ...],
        without: tuple[str, ...], ngsi_dir: Path | None, force: bool, as_json: bool,
        quiet: bool, plots: bool) -> None:
    """Run the city in scenario FILE and write a results folder.

    The city runs with its own policies in force (``in_force: true`` in its
    scenario, e.g. Singapore's ERP); --without leaves one out, --policy adds
    one. The folder holds Parquet tables, summary.json (KPIs as records), the
    resolved scenario and provenance; it is written atomically. An existing
    --out folder is replaced only if twincity wrote it (it holds a
    .twincity-results marker) or with --force; the scenario's own folder,
    the current folder and files are always refused, before the run starts.

    \b
    Examples:
      twincity run scenarios/sejong.yaml
      twincity run scenarios/singapore.yaml --seed 7 --out results/sg7
      twincity run scenarios/sejong.yaml --policy singapore:erp
      twincity run scenarios/sejong.yaml --plots   # + plots/*.png, report.html
      twincity run scenarios/singapore.yaml --without singapore:erp
      twincity run scenarios/sejong.yaml --days 2 --sample-share 0.01 \\
          --set demand.commute_share=0.3
    """
    from twincity.model import CityModel
    from twincity.outdir import allow_replacing, prepare_out_dir
    from twincity.results import format_value

    inputs = [file, *(p for p in policies if p.endswith((".yaml", ".yml")))]
    if out_dir is not None:
        prepare_out_dir(out_dir, protect=inputs, force=force)
    if ngsi_dir is not None:
        prepare_out_dir(ngsi_dir, protect=inputs, force=True)  # files are added, none removed
    model = CityModel.from_file(file, seed=seed, overrides=parse_set(sets, days, sample_share),
                                policies=list(policies), without=without, progress=not quiet)
    if out_dir is None:
        arm = "".join(f"-without-{w.replace(':', '-')}" for w in without)
        out_dir = prepare_out_dir(Path("results") / f"{Path(file).stem}{arm}-seed{model.seed}",
                                  protect=inputs, force=force)
    results = model.run(progress=not quiet)
    with allow_replacing(*([out_dir] if force else [])):
        results.write(out_dir, force=force)
    if plots:
        from twincity.viz.plots import write_plots

        for kind, why in write_plots(results, out_dir)["skipped"].items():
            click.echo(f"note: no {kind} figure: {why}")
    if ngsi_dir is not None:
        from twincity.export.fiware import export_ngsi_ld

        export_ngsi_ld(model, ngsi_dir)
    if as_json:
        echo_json(results.kpi_table())
        click.echo(f"results: {out_dir}", err=True)
        return
    click.echo(f"{model.city.spec.city.name} (seed {model.seed}):")
    for k in results.kpis:
        click.echo(f"  {k.name:<36} {format_value(k.value):>14} {k.unit}")
    for note in results.notes:
        click.echo(f"note: {note}")
    click.echo(f"results: {out_dir}")


@main.command()
@click.option("--out", "out_file", type=click.Path(path_type=Path), default=None,
              help="Write to this file  [default: standard output]")
@click.option("--force", is_flag=True,
              help="Overwrite --out even if it is not a schema twincity wrote.")
def schema(out_file: Path | None, force: bool) -> None:
    """Print the JSON Schema of scenario files (for editor validation).

    \b
    Example:
      twincity schema --out scenario.schema.json
    """
    from twincity.scenario.schema import json_schema

    text = json.dumps(json_schema(), indent=2) + "\n"
    if out_file is None:
        click.echo(text, nl=False)
    else:
        from twincity.ioutil import atomic_write_text
        from twincity.outdir import check_out_file

        check_out_file(out_file, lambda head: head.lstrip().startswith(b"{")
                       and b"$defs" in head, what="a JSON Schema", force=force)
        atomic_write_text(out_file, text)
