"""``twincity calibrate``: fit a city's mode constants to its published mode shares."""

from __future__ import annotations

from pathlib import Path

import click

from twincity.cli import main


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--rounds", type=int, default=3, show_default=True,
              help="Outer rounds of (simulate to equilibrium, refit constants).")
@click.option("--tolerance", type=float, default=0.01, show_default=True,
              help="Largest accepted share error (0.01 = one percentage point).")
@click.option("--seed", type=int, default=None, help="Root seed (default: the scenario's).")
def calibrate(file: Path, rounds: int, tolerance: float, seed: int | None) -> None:
    """Fit demand.mode_constants of FILE to its demand.observed_mode_shares.

    Each round simulates the city to its dynamic equilibrium, then refits
    the constants on the congested costs; it prints every round and the line
    to paste into the scenario file.

    \b
    Example:
      twincity calibrate scenarios/helsinki.yaml --rounds 4
    """
    from twincity.traffic.calibration import calibrate_city
    from twincity.traffic.modechoice import MODES

    result = calibrate_city(file, rounds=rounds, tolerance=tolerance, seed=seed, progress=True)
    fmt = "  ".join(f"{m}={{{m}:.3f}}" for m in MODES)
    click.echo("target:  " + fmt.format(**result.targets))
    for row in result.rounds:
        click.echo(f"round {row['round']}: shares " + fmt.format(**row["shares"])
                   + f"  gap {row['relative_gap']:.3f}")
    click.echo(f"largest share error: {result.max_error:.3f}")
    click.echo(result.yaml())
