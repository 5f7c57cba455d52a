"""``twincity import``: a scenario folder from an OSM extract, zone polygons and GTFS."""

from __future__ import annotations

from pathlib import Path

import click

from twincity.cli.group import main


@main.command("import")
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--name", required=True, help="City name, e.g. 'Helsinki centre'.")
@click.option("--template", required=True, type=click.Path(path_type=Path),
              help="Scenario whose demand, fleet, energy, policies and simulation are copied "
                   "(marked for editing), e.g. scenarios/helsinki.yaml.")
@click.option("--network", required=True, type=click.Path(path_type=Path),
              help="Road network: .osm.pbf, .osm (XML) or an OSMnx GraphML in lon/lat.")
@click.option("--zones", required=True, type=click.Path(path_type=Path),
              help="Zone polygons or a population grid: GeoJSON or GeoPackage (any CRS).")
@click.option("--population-field", default="population", show_default=True,
              help="Column of --zones holding residents.")
@click.option("--jobs-field", default=None,
              help="Column of --zones holding jobs (default: a proxy, see README).")
@click.option("--name-field", default=None,
              help="Column of --zones naming the zones  [default: none, zones are named "
                   "Z001, Z002, …]")
@click.option("--zones-layer", default=None,
              help="Layer of a GeoPackage  [default: its first layer]")
@click.option("--jobs-total", type=click.IntRange(min=0), default=None,
              help="Jobs shared by the proxy (default: the zones' residents).")
@click.option("--gtfs", type=click.Path(path_type=Path), default=None,
              help="GTFS feed (.zip or folder) for the transit lines  [default: none, "
                   "no transit lines]")
@click.option("--gtfs-date", default=None, help="Service day YYYYMMDD (default: busiest).")
@click.option("--min-dead-end-m", type=click.FloatRange(min=0), default=50.0,
              show_default=True, help="Drop dead-end spurs shorter than this.")
@click.option("--min-link-m", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Contract two-way links shorter than this (0: none).")
@click.option("--sample-share", type=click.FloatRange(min=0, max=1, min_open=True),
              default=None, help="simulation.sample_share of the new scenario (default: the "
                                 "template's).")
@click.option("--attribution", multiple=True,
              help="A line of attribution for the README (repeatable), e.g. "
                   "'© OpenStreetMap contributors, ODbL 1.0'.")
@click.option("--force", is_flag=True,
              help="Replace OUT_DIR even if it is an existing folder twincity did not write.")
def import_(out_dir: Path, name: str, template: Path, network: Path, zones: Path,
            population_field: str, jobs_field: str | None, name_field: str | None,
            zones_layer: str | None, jobs_total: int | None, gtfs: Path | None,
            gtfs_date: str | None, min_dead_end_m: float, min_link_m: float,
            sample_share: float | None, attribution: tuple[str, ...], force: bool) -> None:
    """Build a scenario folder OUT_DIR from real data and a template scenario.

    Roads, zones and transit are clipped to their common extent and the roads
    simplified; everything dropped is listed in OUT_DIR/README.md. Needs the
    import extra (pip install 'twincity[import]').

    \b
    Example (the open data shipped in scenarios/sources/helsinki_centre):
      twincity import my_helsinki --name "Helsinki centre" \\
        --template scenarios/helsinki.yaml \\
        --network scenarios/sources/helsinki_centre/helsinki_centre_2019.osm.pbf \\
        --zones scenarios/sources/helsinki_centre/helsinki_population_grid_2020.gpkg \\
        --population-field population --sample-share 1.0 \\
        --gtfs scenarios/sources/helsinki_centre/hsl_gtfs_2022_centre.zip
    """
    from twincity.importer.city_import import import_city

    scenario, report = import_city(
        out_dir, name=name, template=template, network=network, zones=zones,
        population_field=population_field, jobs_field=jobs_field, name_field=name_field,
        zones_layer=zones_layer, jobs_total=jobs_total, gtfs=gtfs, gtfs_date=gtfs_date,
        min_dead_end_m=min_dead_end_m, min_link_m=min_link_m, attribution=attribution,
        sample_share=sample_share, force=force)
    for topic, lines in report.sections.items():
        for line in lines:
            click.echo(f"{topic.lower()}: {line}")
    click.echo(f"scenario: {scenario}")
