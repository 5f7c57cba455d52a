"""The figures of a run by kind, written as PNGs and a self-contained ``report.html``.

:data:`KINDS` names every figure ``twincity plot`` and ``twincity run --plots``
make; a kind that does not apply to a run (no traffic, no energy subsystem)
is skipped with the reason. Files are written atomically into the results
folder (``plots/<kind>.png`` and ``report.html``); nothing else in the
folder is touched.

Example:
    >>> sorted(KINDS)[:3]
    ['convergence', 'emissions', 'energy']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from twincity.errors import InputError
from twincity.results import Results

#: Figure kinds: name → (caption, function of the results returning a figure).
KINDS: dict[str, tuple[str, Callable[[Results], Any]]] = {}


def _register() -> None:
    from twincity.viz import energy, maps, traffic

    KINDS.update({
        "speed": ("Link speed relative to free flow, AM and PM peaks",
                  lambda r: maps.link_map(r, "speed")),
        "vc": ("Volume / capacity per link, AM and PM peaks", lambda r: maps.link_map(r, "vc")),
        "queue": ("Largest queue per link, AM and PM peaks",
                  lambda r: maps.link_map(r, "queue")),
        "emissions": ("Road NOx per km of link, per km² and per zone",
                      lambda r: maps.emission_map(r, "nox")),
        "energy": ("Hourly electricity per representative day", energy.energy_days),
        "convergence": ("Day-to-day equilibrium convergence", traffic.convergence),
        "modes": ("Simulated and observed mode shares", traffic.mode_shares),
        "trips": ("Trip time and length by mode", traffic.trip_distributions),
    })


_register()


def check_kinds(kinds: Sequence[str]) -> list[str]:
    """``kinds`` validated (all when empty)."""
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise InputError(f"unknown plot kind {', '.join(unknown)}; expected some of "
                         f"{', '.join(KINDS)}")
    return list(kinds) or list(KINDS)


def make_figures(results: Results, kinds: Sequence[str] = ()) -> tuple[dict[str, Any],
                                                                         dict[str, str]]:
    """Figures by kind, and the reason each skipped kind does not apply."""
    figures, skipped = {}, {}
    for kind in check_kinds(kinds):
        try:
            figures[kind] = KINDS[kind][1](results)
        except InputError as exc:
            skipped[kind] = str(exc)
    return figures, skipped


def write_png(fig: Any, path: Path, dpi: int = 110) -> None:
    """Write ``fig`` as a PNG atomically (readable by all, like the results folder)."""
    import io

    from twincity.ioutil import atomic_write_bytes

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    atomic_write_bytes(path, buf.getvalue())


def write_plots(results: Results, folder: str | Path, kinds: Sequence[str] = (), *,
                baseline: Results | None = None, dpi: int = 110,
                report: bool = True) -> dict[str, Any]:
    """Write ``plots/<kind>.png`` into results folder ``folder``, then ``report.html``.

    With ``baseline``, also ``plots/diff-flow.png`` and ``plots/diff-nox.png``
    (``results − baseline`` per link). The report embeds every figure in
    ``plots/`` (those of earlier calls too: the folder is replaced whole when
    the run is written again, so they are this run's). Returns
    ``{"written": [paths], "skipped": {kind: reason}}``.
    """
    from twincity.ioutil import atomic_write_text
    from twincity.viz.html import run_report_html

    out = Path(folder)
    figures, skipped = make_figures(results, kinds)
    (out / "plots").mkdir(exist_ok=True)
    written = []
    for kind, fig in figures.items():
        path = out / "plots" / f"{kind}.png"
        write_png(fig, path, dpi)
        written.append(path)
    if baseline is not None:
        written += write_difference_maps(results, baseline, out)
    if report:
        path = out / "report.html"
        atomic_write_text(path, run_report_html(results, embedded_figures(out / "plots")))
        written.append(path)
    return {"written": written, "skipped": skipped}


def embedded_figures(plots_dir: Path) -> list[tuple[str, str, str]]:
    """(kind, caption, data URI) of the figures in ``plots_dir``, in :data:`KINDS` order."""
    import base64

    found = {p.stem: p for p in sorted(plots_dir.glob("*.png"))}
    order = [k for k in KINDS if k in found] + [k for k in found if k.startswith("diff-")]
    out = []
    for kind in order:
        caption = KINDS[kind][0] if kind in KINDS else DIFF_CAPTIONS.get(kind, kind)
        data = base64.b64encode(found[kind].read_bytes()).decode("ascii")
        out.append((kind, caption, f"data:image/png;base64,{data}"))
    return out


#: Captions of the difference maps.
DIFF_CAPTIONS = {"diff-flow": "Vehicles per link per day: this run − the baseline",
                 "diff-nox": "Road NOx per km of link per day: this run − the baseline"}


def write_difference_maps(results: Results, baseline: Results, folder: str | Path,
                          metrics: Sequence[str] = ("flow", "nox")) -> list[Path]:
    """``plots/diff-<metric>.png``: ``results − baseline`` per link, for each metric."""
    from twincity.viz.maps import difference_map

    out = Path(folder) / "plots"
    out.mkdir(exist_ok=True)
    paths = []
    for metric in metrics:
        path = out / f"diff-{metric}.png"
        write_png(difference_map(results, baseline, metric), path)
        paths.append(path)
    return paths
