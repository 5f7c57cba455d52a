"""``twincity calibrate``: fit a city's mode constants to its published mode shares, or its
trip rate to traffic counts.
"""

from __future__ import annotations

from pathlib import Path

import click

from twincity.cli.group import main


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--rounds", type=int, default=3, show_default=True,
              help="Outer rounds of (simulate to equilibrium, refit constants).")
@click.option("--tolerance", type=float, default=0.01, show_default=True,
              help="Largest accepted share error (0.01 = one percentage point).")
@click.option("--seed", type=int, default=None, help="Root seed (default: the scenario's).")
@click.option("--counts", "counts_file", type=click.Path(path_type=Path), default=None,
              help="Fit demand.trips_per_person_per_day to these hourly traffic counts "
                   "(CSV as for validate-counts)  [default: fit the mode constants]")
def calibrate(file: Path, rounds: int, tolerance: float, seed: int | None,
              counts_file: Path | None) -> None:
    """Fit demand.mode_constants of FILE to its demand.observed_mode_shares.

    Each round simulates the city to its dynamic equilibrium, then refits
    the constants on the congested costs; it prints every round and the line
    to paste into the scenario file. With --counts, each round instead
    scales the trip rate by total count over total model flow on the
    counted link-hours (--tolerance: accepted relative mismatch).

    \b
    Examples:
      twincity calibrate scenarios/helsinki.yaml --rounds 4
      twincity calibrate scenarios/sejong.yaml --counts counts.csv --tolerance 0.02
    """
    if counts_file is not None:
        from twincity.counts import fit_demand_scale

        fit = fit_demand_scale(file, counts_file, seed=seed, rounds=rounds,
                               tolerance=tolerance)
        for row in fit.rounds:
            click.echo(f"round {row['round']}: trips/person/day "
                       f"{row['trips_per_person_per_day']:.3f}  model/counts "
                       f"{row['model_over_count']:.3f}  GEH<5 {row['share_geh_lt_5']:.1%}")
        if not fit.converged:
            click.echo(f"not converged within {rounds} rounds; the next rate to try:",
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
