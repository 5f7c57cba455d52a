"""``twincity calibrate``: fit a city's mode constants to its published mode shares, or its
trip rate and departure profile to traffic counts.
"""

from __future__ import annotations

from pathlib import Path

import click

from twincity.cli.group import main


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--rounds", type=int, default=3, show_default=True,
              help="Rounds of (simulate to equilibrium, refit the constants or the demand).")
@click.option("--tolerance", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Largest accepted error: of a mode share (0.01 = one percentage point), "
                   "or with --counts of counted over model vehicles (0.05 = 5%; per hour "
                   "with --fit profile, where the model's own run-to-run noise is a few "
                   "percent)  [default: 0.01; 0.05 with --counts]")
@click.option("--seed", type=int, default=None, help="Root seed (default: the scenario's).")
@click.option("--counts", "counts_file", type=click.Path(path_type=Path), default=None,
              help="Fit the demand to these hourly traffic counts (CSV as for "
                   "validate-counts)  [default: fit the mode constants]")
@click.option("--fit", "fit_kind", type=click.Choice(["profile", "scale"]), default="profile",
              show_default=True,
              help="With --counts: 'profile' fits each counted hour's departures (the "
                   "departure profile, and the trip rate with it); 'scale' only the trip "
                   "rate, keeping the profile's shape.")
def calibrate(file: Path, rounds: int, tolerance: float | None, seed: int | None,
              counts_file: Path | None, fit_kind: str) -> None:
    """Fit demand.mode_constants of FILE to its demand.observed_mode_shares.

    Each round simulates the city to its dynamic equilibrium, then refits
    the constants on the congested costs; it prints every round and the line
    to paste into the scenario file. With --counts, each round instead
    multiplies the departures of each counted hour (--fit profile) or of the
    whole day (--fit scale) by counted over model vehicles on the counted
    link-hours; --tolerance is then the accepted relative mismatch of every
    hour (profile) or of the total (scale). Prints the trip rate and
    departure profile lines to paste into the scenario's demand section.

    \b
    Examples:
      twincity calibrate scenarios/helsinki.yaml --rounds 4
      twincity calibrate scenarios/sejong.yaml --counts counts.csv --tolerance 0.02
      twincity calibrate scenarios/sejong.yaml --counts counts.csv --fit scale
    """
    if tolerance is None:
        tolerance = 0.05 if counts_file is not None else 0.01
    if counts_file is not None:
        from twincity.count_fit import fit_to_counts

        fit = fit_to_counts(file, counts_file, fit=fit_kind, seed=seed, rounds=rounds,
                            tolerance=tolerance)
        for row in fit.rounds:
            hours = "  ".join(f"{h}h {r:.2f}" for h, r in
                              sorted(row["count_over_model_by_hour"].items()))
            click.echo(f"round {row['round']}: trips/person/day "
                       f"{row['trips_per_person_per_day']:.3f}  model/counts "
                       f"{row['model_over_count']:.3f}  GEH<5 {row['share_geh_lt_5']:.1%}"
                       f"  counts/model by hour: {hours}")
        for note in fit.notes:
            click.echo(f"note: {note}")
        if not fit.converged:
            click.echo(f"not converged within {rounds} rounds; the next values to try:",
                       err=True)
        click.echo(fit.yaml())
        return
    from twincity.experiment.calibration import calibrate_city
    from twincity.vocab import MODES

    result = calibrate_city(file, rounds=rounds, tolerance=tolerance, seed=seed, progress=True)
    fmt = "  ".join(f"{m}={{{m}:.3f}}" for m in MODES)
    click.echo("target:  " + fmt.format(**result.targets))
    for row in result.rounds:
        click.echo(f"round {row['round']}: shares " + fmt.format(**row["shares"])
                   + f"  gap {row['relative_gap']:.3f}")
    click.echo(f"largest share error: {result.max_error:.3f}")
    click.echo(result.yaml())
