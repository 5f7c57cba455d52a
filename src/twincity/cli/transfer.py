"""``twincity transfer``, ``compare``, ``diff`` and ``sweep``: paired and sensitivity experiments.

\b
Examples:
  twincity transfer singapore:erp --to sejong --seeds 20 --workers 2
  twincity compare helsinki:transit --seeds 5 --cities sejong,singapore,helsinki
  twincity diff scenarios/sejong.yaml sejong_variant.yaml --seeds 10
  twincity sweep scenarios/sejong.yaml --param demand.trips_per_person_per_day=2.0:2.8 \\
      --kpi vehicle_km --samples 8
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import click

from twincity.cli.group import main
from twincity.cli.options import echo_json, json_output, parse_set, scenario_overrides


def _prepare_report_dir(out_dir: Path, force: bool, scenarios_dir: Path, store_dir: Path,
                        *refs: str | None) -> Path:
    """Check a report folder before any run (see :mod:`twincity.outdir`)."""
    from twincity.outdir import prepare_out_dir

    inputs = [scenarios_dir, store_dir, *(r for r in refs
                                          if r and r.endswith((".yaml", ".yml")))]
    return prepare_out_dir(out_dir, protect=inputs, force=force)


def _forced(out_dir: Path, force: bool):
    """Let the report writer replace ``out_dir`` without a marker when --force was given."""
    from twincity.outdir import allow_replacing

    return allow_replacing(*([out_dir] if force else []))


def _common(seeds: int, scenarios: bool = True) -> Any:
    """Options every paired experiment takes; ``seeds`` is the command's default replications.

    ``scenarios`` adds ``--scenarios`` (the folder city names resolve in).
    """

    def decorate(func: Any) -> Any:
        options = [
            click.option("--seeds", type=click.IntRange(min=2), default=seeds,
                         show_default=True,
                         help="Replications (paired: same seeds for both arms)."),
            click.option("--root-seed", type=click.IntRange(min=0), default=2026,
                         show_default=True, help="Root the seeds are spawned from."),
            click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
                         help="Local Dask worker processes (1 = run in this process)."),
            click.option("--scheduler", default=None,
                         help="Dask scheduler address (tcp://host:port)."),
            click.option("--store", "store_dir", type=click.Path(path_type=Path),
                         default=Path("results/store"), show_default=True,
                         help="Result store (re-running skips finished runs)."),
            *([click.option("--scenarios", "scenarios_dir", type=click.Path(path_type=Path),
                            default=Path("scenarios"), show_default=True,
                            help="Folder of the city scenario files.")] if scenarios else []),
            scenario_overrides,
            click.option("--kpi", "kpis", multiple=True,
                         help="KPI to report (repeatable)  [default: the policy's and the "
                              "headline KPIs]"),
            json_output,
            click.option("--force", is_flag=True, help="Replace --out even if it is an "
                         "existing folder twincity did not write."),
            click.option("--quiet", is_flag=True, help="No progress bar."),
        ]
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


@main.command()
@click.argument("policy")
@click.option("--to", "to", required=True, help="Target city (name in --scenarios or a path).")
@click.option("--from", "origin", default=None,
              help="Origin city, when the policy reference does not name one  "
                   "[default: the city the reference names]")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Report folder (default results/transfer-<policy>-to-<city>).")
@_common(seeds=20)
def transfer(policy: str, to: str, origin: str | None, out_dir: Path | None, seeds: int,
             root_seed: int, workers: int, scheduler: str | None, store_dir: Path,
             scenarios_dir: Path, days: int | None, sample_share: float | None,
             sets: tuple[str, ...], kpis: tuple[str, ...], as_json: bool, force: bool,
             quiet: bool) -> None:
    """Trial POLICY (e.g. singapore:erp) in another city; effects, ratio, report.

    Design: with − without in both cities over the same seeds (paired). At
    home, where the policy is in force, the city as it is minus the city
    without it; in the target, the city with the policy added (adapted) minus
    the city as it is. Both arms continue from the equilibrated plan of the
    city as it is (same seed): the changed arm until it re-equilibrates, the
    city as it is (the control) for as many days. Reports per KPI the effect in each city (95%
    t-interval of paired differences; the policy's primary KPIs at 95% each,
    the others Holm-adjusted), whether the effects go the same way (only when
    both are significant), the ratio target/origin (Fieller 95% CI, only
    where the home effect is significant) and the cities' context, and writes
    report.md, figures and Parquet data to --out. Runs that did not converge
    are flagged. Re-running with the same --store skips finished runs.

    \b
    Examples:
      twincity transfer singapore:erp --to sejong --seeds 8 --workers 2
      twincity transfer scenarios/policies/erp_cordon_sgd.yaml --to helsinki --days 3 --seeds 5
      twincity transfer remote_work --from helsinki --to sejong --kpi vehicle_km --seeds 5
    """
    from twincity.experiment.report import convergence_text, pct_cell
    from twincity.experiment.transfer import transfer as run_transfer

    slug = "".join(c if c.isalnum() else "-" for c in f"{policy}-to-{Path(to).stem}")
    out_dir = _prepare_report_dir(out_dir or Path("results") / f"transfer-{slug}", force,
                                  scenarios_dir, store_dir, policy, to, origin)
    result = run_transfer(policy, to=to, origin=origin, seeds=seeds, root_seed=root_seed,
                          workers=workers, scheduler=scheduler, store=store_dir,
                          overrides=parse_set(sets, days, sample_share),
                          scenarios_dir=scenarios_dir, kpis=list(kpis) or None,
                          progress=not quiet)
    with _forced(out_dir, force):
        out = result.write(out_dir)
    table = result.table
    if as_json:
        echo_json(table)
        click.echo(f"report: {out / 'report.md'}", err=True)
        return
    click.echo(f"{result.policy}: {result.origin} → {result.target}, {len(result.seeds)} "
               "seeds, paired. Effect = with − without in each city: at home the city with "
               "its policy in force − without it; in the target the city with it added − as "
               "it is.")
    click.echo("Primary KPIs at 95% each, secondary Holm-adjusted; verdict good/bad by the "
               "KPI's direction; ratio only where the home effect is significant.")
    warn = convergence_text(result.unconverged)
    if warn:
        click.echo(warn.replace("**", ""), err=True)
    for _, r in table.iterrows():
        ratio = (f"ratio {r['ratio']:8.3g}" if math.isfinite(r["ratio"])
                 else "ratio undefined (no significant home effect)")
        click.echo(f"  {r['kpi']:<26} {r['role'][:3]} "
                   f"{pct_cell(r['origin_rel_effect_pct']):>8} {r['origin_judgement']:<7} "
                   f"{pct_cell(r['target_rel_effect_pct']):>8} {r['target_judgement']:<7} "
                   f"{r['direction']:<14} {ratio}")
    click.echo(f"report: {out / 'report.md'}")


@main.command()
@click.argument("policy")
@click.option("--cities", default=None,
              help="Comma-separated cities (default: every scenario in --scenarios).")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Report folder (default results/compare-<policy>).")
@_common(seeds=5)
def compare(policy: str, cities: str | None, out_dir: Path | None,
            seeds: int, root_seed: int, workers: int, scheduler: str | None,
            store_dir: Path, scenarios_dir: Path, days: int | None, sample_share: float | None,
            sets: tuple[str, ...], kpis: tuple[str, ...], as_json: bool, force: bool,
            quiet: bool) -> None:
    """Run POLICY in every city: KPI × city effect matrix with CIs and a heatmap.

    Prints one row per KPI and one column per city: the effect as % of the
    without arm, ``*`` where significant, ``n/a`` where the without arm is 0.

    With − without in every city (paired seeds): in the policy's home city,
    where it is in force, the city minus the city without it; elsewhere the
    city with it added minus the city as it is. Primary KPIs at 95% each,
    secondary Holm-adjusted; the heatmap colours good/bad by KPI direction.

    \b
    Examples:
      twincity compare helsinki:transit --seeds 5
      twincity compare singapore:erp --cities sejong,helsinki --workers 2
    """
    from twincity.experiment.compare import compare as run_compare

    names = [c.strip() for c in cities.split(",") if c.strip()] if cities else None
    slug = "".join(c if c.isalnum() else "-" for c in policy)
    out_dir = _prepare_report_dir(out_dir or Path("results") / f"compare-{slug}", force,
                                  scenarios_dir, store_dir, policy, *(names or []))
    result = run_compare(policy, cities=names, seeds=seeds,
                         root_seed=root_seed, workers=workers, scheduler=scheduler,
                         store=store_dir, overrides=parse_set(sets, days, sample_share),
                         scenarios_dir=scenarios_dir, kpis=list(kpis) or None,
                         progress=not quiet)
    _report(result, out_dir, force, as_json,
            lambda: [effect_rows(result).to_string(line_width=100)])


def _report(result: Any, out_dir: Path, force: bool, as_json: bool, text: Any) -> None:
    """Write ``result``'s report folder, print its effects (JSON, or the lines ``text()``
    gives), the convergence warning and where the report is.
    """
    from twincity.experiment.report import convergence_text

    with _forced(out_dir, force):
        out = result.write(out_dir)
    if as_json:
        echo_json(result.effects)
    else:
        for line in text():
            click.echo(line)
    warn = convergence_text(result.unconverged)
    if warn:
        click.echo(warn.replace("**", ""), err=True)
    click.echo(f"report: {out / 'report.md'}", err=as_json)


@main.command("diff")
@click.argument("base", type=click.Path(path_type=Path))
@click.argument("variant", type=click.Path(path_type=Path))
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Report folder  [default: results/diff-<variant>-vs-<base>]")
@_common(seeds=10, scenarios=False)
def diff_command(base: Path, variant: Path, out_dir: Path | None, seeds: int, root_seed: int,
                 workers: int, scheduler: str | None, store_dir: Path, days: int | None,
                 sample_share: float | None, sets: tuple[str, ...], kpis: tuple[str, ...],
                 as_json: bool, force: bool, quiet: bool) -> None:
    """Paired effects of VARIANT − BASE, two scenario files, over the same seeds.

    Any two scenarios: typically VARIANT extends BASE and changes a few
    fields. Per KPI: both means, the effect with its 95% t-interval of the
    paired differences (p-values Holm-adjusted across the KPIs), judged
    good or bad by the KPI's direction; report.md and Parquet data in --out.

    \b
    Examples:
      twincity diff scenarios/sejong.yaml sejong_more_buses.yaml --seeds 10
      twincity diff base.yaml variant.yaml --seeds 5 --days 2 --kpi vehicle_km --json
    """
    from twincity.experiment.diff import diff
    from twincity.experiment.report import pct_cell

    slug = "".join(c if c.isalnum() else "-" for c in f"{variant.stem}-vs-{base.stem}")
    out_dir = _prepare_report_dir(out_dir or Path("results") / f"diff-{slug}", force,
                                  base.parent, store_dir, str(base), str(variant))
    result = diff(base, variant, seeds=seeds, root_seed=root_seed, workers=workers,
                  scheduler=scheduler, store=store_dir,
                  overrides=parse_set(sets, days, sample_share), kpis=list(kpis) or None,
                  progress=not quiet)

    def text() -> list[str]:
        lines = [f"{variant.name} − {base.name}: {len(result.seeds)} paired seeds; effect as "
                 "% of the base with its 95% CI, Holm-adjusted, judged by the KPI's direction."]
        for _, r in result.effects.iterrows():
            ci = (f"[{pct_cell(r['rel_ci_low_pct'])}, {pct_cell(r['rel_ci_high_pct'])}]"
                  if math.isfinite(r["rel_effect_pct"]) else "")
            lines.append(f"  {r['kpi']:<28} {pct_cell(r['rel_effect_pct']):>9} {ci:<22} "
                         f"{r['judgement']}")
        return lines

    _report(result, out_dir, force, as_json, text)


def effect_rows(result: Any) -> Any:
    """KPIs as rows, cities as columns: ``+3.14%*`` (``*`` significant), ``n/a`` (zero base).

    Cities' columns are as narrow as their cells, so three cities fit in 100 columns.
    """
    from twincity.experiment.report import pct_cell

    rel, sig = result.matrix().T, result.matrix("significant").T.astype(bool)
    cells = rel.copy().astype(object)
    for kpi in rel.index:
        for city in rel.columns:
            cells.loc[kpi, city] = pct_cell(rel.loc[kpi, city]) + (
                "*" if sig.loc[kpi, city] else "")
    cells.index.name = "effect % (* significant)"
    cells.columns.name = None
    return cells


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--param", "params", multiple=True, required=True, metavar="KEY=LOW:HIGH",
              help="An uncertain scenario parameter and its range (repeatable).")
@click.option("--kpi", "kpis", multiple=True, required=True, help="KPI to analyse (repeatable).")
@click.option("--samples", type=click.IntRange(min=2), default=8, show_default=True,
              help="Base samples N. Sobol: N·(D+2) runs for D parameters, N a power of 2 "
                   "(a warning says when N is too small for the indices); lhs: N runs, N ≥ 16.")
@click.option("--method", type=click.Choice(["sobol", "lhs"]), default="sobol",
              show_default=True, help="sobol: Saltelli/Sobol sampling + Sobol indices; "
              "lhs: Latin hypercube + RBD-FAST first-order indices.")
@click.option("--policy", "policies", multiple=True, help="Policy applied in every run.")
@click.option("--seed", type=click.IntRange(min=0), default=2026, show_default=True,
              help="Seed of the sampling and of every run (common random numbers).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--scheduler", default=None, help="Dask scheduler address.")
@click.option("--store", "store_dir", type=click.Path(path_type=Path),
              default=Path("results/store"), show_default=True)
@scenario_overrides
@click.option("--out", "out_file", type=click.Path(path_type=Path), default=None,
              help="Write the samples and KPI values as Parquet here  [default: not written]")
@click.option("--force", is_flag=True,
              help="Overwrite --out even if it is not a Parquet file.")
@json_output
@click.option("--quiet", is_flag=True, help="No progress bar.")
def sweep(file: Path, params: tuple[str, ...], kpis: tuple[str, ...], samples: int, method: str,
          policies: tuple[str, ...], seed: int, workers: int, scheduler: str | None,
          store_dir: Path, sets: tuple[str, ...], days: int | None, sample_share: float | None,
          out_file: Path | None, force: bool, as_json: bool, quiet: bool) -> None:
    """Global sensitivity of KPIs to uncertain parameters of scenario FILE.

    Prints first-order (S1) and total (ST) Sobol indices with their 95%
    confidence half-widths (RBD-FAST first-order only with --method lhs).
    Sobol runs N·(D+2) scenarios (D parameters): the example below, N = 8
    and D = 2, runs 32. A warning says when N is too small for the indices
    to mean much (their confidence half-widths show by how much).

    \b
    Examples:
      twincity sweep scenarios/sejong.yaml \\
          --param demand.trips_per_person_per_day=2.0:2.8 \\
          --param demand.commute_share=0.3:0.5 --kpi vehicle_km --samples 8
    """
    from twincity.experiment.sweep import parse_param
    from twincity.experiment.sweep import sweep as run_sweep

    bounds = dict(parse_param(p) for p in params)
    if out_file is not None:  # before the runs: never overwrite a file we did not write
        from twincity.outdir import check_out_file, is_parquet

        for target in (out_file, out_file.with_suffix(".indices.parquet")):
            check_out_file(target, is_parquet, what="a Parquet file", protect=[file],
                           force=force)
        check_out_file(out_file.with_suffix(".indices.png"), lambda h: h.startswith(b"\x89PNG"),
                       what="a PNG image", protect=[file], force=force)
    result = run_sweep(file, bounds, kpis=list(kpis), samples=samples, method=method,
                       policies=policies, seed=seed, workers=workers, scheduler=scheduler,
                       store=store_dir, overrides=parse_set(sets, days, sample_share),
                       progress=not quiet)
    if as_json:
        echo_json(result.indices)
    else:
        click.echo(f"{len(result.samples)} runs ({method})")
        click.echo(result.indices.round(3).to_string(index=False))
        for warning in result.warnings():
            click.echo(f"warning: {warning}")
    if out_file is not None:
        result.write(out_file)
        click.echo(f"samples: {out_file}; indices plot: {out_file.with_suffix('.indices.png')}")
