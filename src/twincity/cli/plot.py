"""``twincity plot``: figures and a self-contained report.html from a results folder."""

from __future__ import annotations

from pathlib import Path

import click

from twincity.cli.group import main


@main.command()
@click.argument("results_dir", metavar="RESULTS", type=click.Path(path_type=Path))
@click.option("--kind", "kinds", multiple=True, metavar="KIND",
              help="Figure kind (repeatable; default: all): speed, vc, queue, emissions, "
                   "energy, convergence, modes, trips.")
@click.option("--diff", "baseline", type=click.Path(path_type=Path), default=None,
              metavar="BASELINE",
              help="Also map RESULTS − BASELINE per link (flow and NOx; same road network)  "
                   "[default: no difference map]")
@click.option("--no-report", is_flag=True, help="Only the PNGs, no report.html.")
def plot(results_dir: Path, kinds: tuple[str, ...], baseline: Path | None,
         no_report: bool) -> None:
    """Draw the figures of the run in RESULTS into RESULTS/plots and write RESULTS/report.html.

    report.html holds the KPI table, notes, every figure (embedded) and the
    provenance; it opens in any browser from disk. Kinds that do not apply
    to the run (e.g. energy without the energy subsystem) are skipped with
    the reason.

    \b
    Examples:
      twincity plot results/sejong-seed2013
      twincity plot results/sejong-seed2013 --kind speed --kind energy
      twincity plot results/sejong-erp --diff results/sejong-seed2013
    """
    from twincity.errors import InputError
    from twincity.outdir import is_ours
    from twincity.viz.common import as_results
    from twincity.viz.plots import check_kinds, write_plots

    check_kinds(kinds)
    results = as_results(results_dir)
    if not is_ours(results_dir):
        raise InputError(f"{results_dir}: not a folder twincity wrote (no marker); figures are "
                         "only added to results folders")
    other = as_results(baseline) if baseline is not None else None
    done = write_plots(results, results_dir, kinds, baseline=other, report=not no_report)
    for path in done["written"]:
        click.echo(f"wrote {path}")
    for kind, why in done["skipped"].items():
        click.echo(f"skipped {kind}: {why}")
