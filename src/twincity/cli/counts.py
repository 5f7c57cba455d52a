"""``twincity validate-counts``: a run's hourly link flows against observed counts (GEH)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from twincity.cli.group import main
from twincity.cli.options import echo_json, json_output


@main.command("validate-counts")
@click.argument("results_dir", metavar="RESULTS", type=click.Path(path_type=Path))
@click.argument("counts_file", metavar="[COUNTS.csv]", required=False,
                type=click.Path(path_type=Path))
@click.option("--scenario", "scenario_file", type=click.Path(path_type=Path), default=None,
              help="Scenario whose observations.counts to use without COUNTS.csv, and to "
                   "rebuild the network from when RESULTS has no network.parquet  "
                   "[default: the run's scenario file, from its provenance]")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Report folder: comparison.parquet, by_hour.csv, summary.json, "
                   "counts.png  [default: no report, the figures only]")
@click.option("--max-snap-m", type=click.FloatRange(min=0, min_open=True), default=50.0,
              show_default=True,
              help="Counts by lon,lat: largest distance from a site to its link, m.")
@click.option("--force", is_flag=True,
              help="Replace --out even if it is an existing folder twincity did not write.")
@json_output
def validate_counts(results_dir: Path, counts_file: Path | None, scenario_file: Path | None,
                    out_dir: Path | None, max_snap_m: float, force: bool,
                    as_json: bool) -> None:
    """Compare the hourly link flows of the run in RESULTS with the counts in COUNTS.csv.

    Without COUNTS.csv, the counts the run's scenario (or --scenario) names
    in ``observations.counts`` are used (the second example: a copy of
    sejong.yaml with ``observations: {counts: counts.csv}``).

    COUNTS.csv has one row per counted link and hour: ``link`` (twincity's
    link number), ``from_node,to_node`` (node ids of the network's source
    file), ``osm_way_id,direction`` (an OpenStreetMap way of an imported
    network and forward/backward or a compass direction; add lon,lat where
    the way spans several links) or ``lon,lat,direction`` (the site and the
    direction of travel: N, NE, … or degrees; the nearest link heading that
    way within --max-snap-m), ``hour`` (0-23, when the hour starts) and
    ``count`` (vehicles in that hour, one direction). Model flows are expanded to city scale by the
    links table's ``expansion_factor`` (1 / sample share). Prints the share of
    link-hours with GEH < 5 (WebTAG asks for more than 85%) and < 10, mean
    GEH, R² against the 1:1 line, MAPE and the hour-by-hour figures.

    \b
    Examples:
      twincity validate-counts results/sejong-seed2013 counts.csv
      twincity validate-counts results/sejong-seed2013 --scenario sejong_counted.yaml
      twincity validate-counts results/sejong-seed2013 counts.csv --out results/counts-check
    """
    import pandas as pd

    from twincity.counts import compare_counts, read_counts
    from twincity.errors import InputError

    links_path = results_dir / "links.parquet"
    if not links_path.is_file():
        raise InputError("no links.parquet; expected a results folder of a run with traffic "
                         "(twincity run --out)", file=results_dir)
    if out_dir is not None:
        from twincity.outdir import prepare_out_dir

        out_dir = prepare_out_dir(out_dir, protect=[results_dir, counts_file], force=force)
    links = pd.read_parquet(links_path)
    resolved = json.loads((results_dir / "scenario.resolved.json").read_text())
    sim = resolved["simulation"]
    notes = []
    if "expansion_factor" not in links:
        links["expansion_factor"] = 1.0 / float(sim["sample_share"])
        notes.append("links.parquet has no expansion_factor column (a run of an older twincity): "
                     "expanded by 1 / simulation.sample_share")
    if counts_file is None:
        counts_file = _scenario_counts(results_dir, scenario_file)
    n_links = int(links["link"].max()) + 1
    network = _network(results_dir, scenario_file, n_links)
    counts = read_counts(counts_file, network=network,
                         n_links=n_links if network is None else None, max_snap_m=max_snap_m)
    result = compare_counts(links, counts, start_s=float(sim["start_s"]),
                            interval_s=float(sim["interval_s"]),
                            duration_s=float(sim["duration_s"]))
    result.notes[:0] = notes
    if out_dir is not None:
        _write(result, out_dir, force)
    if as_json:
        echo_json(pd.DataFrame([result.summary]))
        return
    s = result.summary
    click.echo(f"{s['link_hours']} counted link-hours on {s['links']} links")
    click.echo(f"  GEH < 5: {s['share_geh_lt_5']:.1%}   GEH < 10: {s['share_geh_lt_10']:.1%}"
               f"   mean GEH: {s['mean_geh']:.2f}")
    click.echo(f"  R² (1:1): {s['r2']:.3f}   MAPE: {s['mape_pct']:.1f}%   "
               f"model / counts: {s['model_over_count']:.3f}")
    click.echo(result.by_hour.round(3).to_string(index=False))
    for note in result.notes:
        click.echo(f"note: {note}")
    if out_dir is not None:
        click.echo(f"report: {out_dir}")


def _run_scenario(results_dir: Path, scenario_file: Path | None) -> Path:
    """The scenario file of the run (``--scenario``, else the one its provenance names)."""
    from twincity.errors import InputError

    if scenario_file is not None:
        return scenario_file
    prov = json.loads((results_dir / "provenance.json").read_text())
    if not prov.get("scenario_file"):
        raise InputError("the run's provenance names no scenario file; expected "
                         "--scenario FILE", file=results_dir)
    return Path(prov["scenario_file"])


def _scenario_counts(results_dir: Path, scenario_file: Path | None) -> Path:
    """The counts file the run's scenario names in ``observations.counts``."""
    from twincity.errors import InputError
    from twincity.scenario.loader import load_scenario

    path = _run_scenario(results_dir, scenario_file)
    counts = load_scenario(path).references.get("observations.counts")
    if counts is None:
        raise InputError("no COUNTS.csv given and the scenario names no observations.counts; "
                         "expected one of them", file=path)
    return counts


def _network(results_dir: Path, scenario_file: Path | None, n_links: int):
    """The run's network table: its ``network.parquet``, else rebuilt from its scenario
    (``None`` for a run of an older twincity that names neither).
    """
    import pandas as pd

    from twincity.city.build import build_city
    from twincity.city.maps import network_table
    from twincity.errors import InputError
    from twincity.scenario.loader import load_scenario

    if (results_dir / "network.parquet").is_file():
        return pd.read_parquet(results_dir / "network.parquet")
    if scenario_file is None and not json.loads(
            (results_dir / "provenance.json").read_text()).get("scenario_file"):
        return None        # counts by link number need no network; read_counts says so
    scenario_file = _run_scenario(results_dir, scenario_file)
    city = build_city(load_scenario(scenario_file))
    if city.network.n_links < n_links:
        raise InputError(f"the scenario builds {city.network.n_links} links, the run has "
                         f"{n_links}; expected the run's own scenario (--scenario)",
                         file=scenario_file)
    return network_table(city)


def _write(result, out_dir: Path, force: bool) -> None:
    from twincity.experiment.report import write_report_dir
    from twincity.outdir import allow_replacing

    def fill(tmp: Path) -> None:
        result.table.to_parquet(tmp / "comparison.parquet", index=False)
        result.by_hour.to_csv(tmp / "by_hour.csv", index=False)
        (tmp / "summary.json").write_text(json.dumps(
            {**result.summary, "notes": result.notes}, indent=2, default=str) + "\n")
        result.plot().savefig(tmp / "counts.png", dpi=120, bbox_inches="tight")

    with allow_replacing(*([out_dir] if force else [])):
        write_report_dir(out_dir, fill)
