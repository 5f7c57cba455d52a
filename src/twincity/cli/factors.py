"""``twincity factors``: show a vehicle class's emission and energy factors by speed."""

from __future__ import annotations

import click

from twincity.cli.group import main
from twincity.errors import InputError


def _parse_speeds(text: str) -> list[float]:
    try:
        speeds = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        speeds = []
    if not speeds or any(not (s >= 0 and s < float("inf")) for s in speeds):
        raise InputError(
            f"expected comma-separated speeds in km/h >= 0, e.g. 10,50,70,130; got {text!r}",
            path="--speeds",
        )
    return speeds


def _format_value(value: float) -> str:
    if value == 0:
        return "0"
    return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"


@main.command()
@click.argument("vehicle_class", metavar="CLASS", required=False)
@click.option(
    "--speeds",
    default="10,50,70,130",
    show_default=True,
    help="Comma-separated average speeds in km/h (clamped to each row's valid range).",
)
@click.option("--list", "list_classes", is_flag=True, help="List the vehicle classes and exit.")
def factors(vehicle_class: str | None, speeds: str, list_classes: bool) -> None:
    """Print per-km emission and energy factors of a vehicle CLASS at given speeds.

    Factors follow the COPERT / EMEP-EEA average-speed form; see
    twincity/data/emission_factors.csv for the coefficients and their sources.

    \b
    Examples:
      twincity factors --list
      twincity factors petrol_car
      twincity factors electric_bus --speeds 10,20,30,50
    """
    from twincity.emissions import factors as ef  # imported lazily: keeps --help quick

    if list_classes:
        width = max(len(c) for c in ef.vehicle_classes())
        for cls in ef.vehicle_classes():
            click.echo(f"{cls:<{width}}  {ef.CLASS_DESCRIPTIONS.get(cls, '')}")
        return
    if vehicle_class is None:
        raise InputError("expected a vehicle class (see `twincity factors --list`)", path="CLASS")
    speed_list = _parse_speeds(speeds)
    ef.valid_speed_range_kmh(vehicle_class, "co2")  # one-line error for an unknown class

    header = ["pollutant", "unit", *(f"{s:g} km/h" for s in speed_list)]
    rows = []
    for pol in ef.pollutants():
        values = ef.emission_factor(vehicle_class, pol, speed_list)
        rows.append([pol, ef.unit(pol), *(_format_value(float(v)) for v in values)])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    click.echo(f"{vehicle_class}: {ef.CLASS_DESCRIPTIONS.get(vehicle_class, '')}")
    for r in [header, *rows]:
        cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1])]
        cells += [c.rjust(w) for c, w in zip(r[2:], widths[2:], strict=True)]
        click.echo("  ".join(cells).rstrip())
    v_min, v_max = ef.valid_speed_range_kmh(vehicle_class, "co2")
    click.echo(f"valid speeds {v_min:g}-{v_max:g} km/h; speeds outside are clamped")
