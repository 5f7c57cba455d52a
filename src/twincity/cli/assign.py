"""``twincity assign``: static user-equilibrium assignment of a TNTP problem."""

from __future__ import annotations

import time
from pathlib import Path

import click

from twincity.cli.group import main
from twincity.errors import InputError
from twincity.ioutil import atomic_writer


def _report_now(iteration: int) -> bool:
    """Progress at 0, 10, 20, …, 100, 200, …, 1000, 2000, …: a few lines per decade."""
    step = 10
    while iteration >= step * 10:
        step *= 10
    return iteration % step == 0


@main.command()
@click.argument("net_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("trips_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--gap", type=click.FloatRange(min=0, min_open=True), default=1e-4,
              show_default=True, help="Target relative gap (TSTT - SPTT) / TSTT.")
@click.option("--max-iter", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Most flow updates before giving up.")
@click.option("--method", type=click.Choice(["cfw", "bfw", "fw"]), default="bfw",
              show_default=True,
              help="Conjugate, bi-conjugate or plain Frank-Wolfe.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="CSV of from,to,volume,cost per link (file node numbers)  "
                   "[default: no file, a summary only]")
@click.option("--force", is_flag=True,
              help="Overwrite --out even if it is not a flow table twincity wrote.")
def assign(net_file: Path, trips_file: Path, gap: float, max_iter: int, method: str,
           out: Path | None, force: bool) -> None:
    """Solve the user equilibrium of a TNTP network and trip table.

    Costs are BPR travel times in the network file's own time units, plus its
    generalized-cost weights (<TOLL FACTOR>, <DISTANCE FACTOR>) when given.

    \b
    Example:
      twincity assign SiouxFalls_net.tntp SiouxFalls_trips.tntp --gap 1e-5 --out flows.csv
    """
    from twincity.city.io_tntp import read_tntp_network, read_tntp_trips
    from twincity.traffic.assignment import frank_wolfe

    if out is not None:
        from twincity.outdir import check_out_file

        _check_out_folder(out)  # fail before a long assignment, not after
        check_out_file(out, lambda head: head.startswith(b"from,to,volume,cost"),
                       what="a flow table (from,to,volume,cost)",
                       protect=[net_file, trips_file], force=force)
    net, meta = read_tntp_network(net_file)
    demand = read_tntp_trips(trips_file)
    if demand.shape[0] != meta.zones:
        raise InputError(f"expected {meta.zones} zones as in {net_file.name}, got "
                         f"{demand.shape[0]}", file=trips_file, path="NUMBER OF ZONES")

    def progress(iteration: int, rel_gap: float) -> None:
        if _report_now(iteration):
            click.echo(f"iteration {iteration:6d}  relative gap {rel_gap:.3e}")

    t0 = time.perf_counter()
    result = frank_wolfe(net, demand, meta.zone_nodes(net), gap=gap, max_iter=max_iter,
                         method=method, toll_factor=meta.toll_factor,
                         distance_factor=meta.distance_factor,
                         no_through=meta.no_through(net), progress=progress)
    seconds = time.perf_counter() - t0
    click.echo(f"{method}: {result.iterations} iterations, relative gap "
               f"{result.relative_gap:.3e}, TSTT {result.tstt:.6g}, "
               f"objective {result.objective:.10g} ({seconds:.2f} s)")
    if len(result.unreachable_od):
        o, d = result.unreachable_od[0] + 1
        click.echo(f"warning: {len(result.unreachable_od)} OD pairs have no path "
                   f"({result.unreachable_demand:g} trips not assigned), e.g. zone {o} -> "
                   f"zone {d}", err=True)
    if not result.converged:
        click.echo(f"warning: relative gap {gap:g} not reached in {max_iter} iterations",
                   err=True)
    if out is not None:
        _write_flows(out, net.node_id[net.link_from], net.node_id[net.link_to],
                     result.flow_vph, result.cost)
        click.echo(f"wrote {out}")


def _check_out_folder(out: Path) -> None:
    if not out.absolute().parent.is_dir():
        raise InputError("expected an existing folder for the output file", file=out,
                         path="--out")


def _write_flows(out: Path, from_id, to_id, volume, cost) -> None:
    """Write the link table to ``out`` atomically (temp file in the same folder)."""
    import numpy as np  # on use: `twincity --help` does not pay for numpy

    _check_out_folder(out)
    with atomic_writer(out.absolute(), "w", newline="") as fh:
        np.savetxt(fh, np.column_stack([from_id, to_id, volume, cost]),
                   fmt=["%d", "%d", "%.17g", "%.17g"], delimiter=",",
                   header="from,to,volume,cost", comments="")
