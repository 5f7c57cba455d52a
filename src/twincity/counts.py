"""Validation against observed traffic counts: hourly link flows, GEH, R², MAPE.

Traffic engineers judge a model's link flows against counts with the GEH
statistic (UK DMRB / WebTAG TAG Unit M3.1 §3.3): for an hourly model flow
``M`` and count ``C`` (vehicles per hour),

    GEH = sqrt(2 (M − C)² / (M + C))

(0 when both are 0). WebTAG's acceptability guideline asks GEH < 5 on more
than 85% of the counted links; GEH < 10 is the usual loose band.

A counts file is a CSV with one row per counted link and hour:

* the link: ``link`` (twincity's link number, as in ``links.parquet``),
  ``from_node`` and ``to_node`` (node identifiers of the network's source
  file: OSM node ids, TNTP numbers, generator node numbers), directed,
  ``osm_way_id`` and ``direction`` (an OpenStreetMap way, ``forward``/``backward``
  or a compass direction; ``lon``, ``lat`` too where the way spans several
  links), or ``lon``, ``lat`` and ``direction`` (WGS84 degrees of the site and the
  direction of travel counted: N, NE, … NW, ``northbound`` …, or a bearing in
  degrees clockwise from north): the nearest link heading that way
  (:mod:`twincity.count_sites`; the distance is kept as ``snap_m``);
* ``hour``: the hour of the day the count starts (0–23, local clock);
* ``count``: vehicles counted in that hour (city scale, one direction);
* any other column (a site name) is kept.

Model flows come from the run's ``links`` table: vehicles leaving the link
(``outflow_veh``) in each interval, split across clock hours by overlap
(uniform within an interval) and **expanded to city scale** by the table's
``expansion_factor`` column (``1 / simulation.sample_share``): a 5% sample's flows
are multiplied by 20.

Example:
    >>> float(geh(np.array([100.0]), np.array([150.0]))[0])   # sqrt(2·50²/250)
    4.47213595499958
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twincity.count_sites import (
    MAX_SNAP_M,
    links_of_pairs,
    links_of_sites,
    links_of_ways,
    numbers,
    refuse,
)
from twincity.errors import InputError

#: GEH thresholds reported: WebTAG's "good" band and the usual loose band.
GEH_BANDS = (5.0, 10.0)
#: Counts-file columns besides the link's identification.
REQUIRED = ("hour", "count")
#: The ways a counts file may name its links (:mod:`twincity.count_sites`), in the order
#: they are looked for.
SITE_KINDS = {"link": ("link",), "nodes": ("from_node", "to_node"),
              "way": ("osm_way_id", "direction"), "site": ("lon", "lat", "direction")}
SITE_COLUMNS = "link, from_node,to_node, osm_way_id,direction or lon,lat,direction"


def geh(model_vph: np.ndarray, count_vph: np.ndarray) -> np.ndarray:
    """GEH per pair of hourly model flow and count (0 where both are 0).

    >>> geh(np.array([0.0, 400.0, 1000.0]), np.array([0.0, 500.0, 1000.0])).round(3).tolist()
    [0.0, 4.714, 0.0]
    """
    m = np.asarray(model_vph, dtype=np.float64)
    c = np.asarray(count_vph, dtype=np.float64)
    total = m + c
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.sqrt(2.0 * (m - c) ** 2 / total)
    return np.where(total > 0, out, 0.0)


def read_counts(path: str | Path, network: pd.DataFrame | None = None,
                n_links: int | None = None, max_snap_m: float = MAX_SNAP_M) -> pd.DataFrame:
    """A counts CSV as a table with a ``link`` column (checked), ``hour`` and ``count``.

    Sites named by node pair, OSM way or ``lon,lat,direction`` are turned into link
    numbers with ``network`` (a run's ``network.parquet`` table, or
    :func:`twincity.city.maps.network_table`; see :mod:`twincity.count_sites`), sites
    by position within ``max_snap_m`` of their link (the distance kept as
    ``snap_m``). ``n_links`` (default: the network's) bounds ``link`` numbers. Bad
    input raises :class:`InputError` naming the file, line and field.

    >>> read_counts("counts.csv", network=pd.read_parquet("run/network.parquet"))  # doctest: +SKIP
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, comment="#", skipinitialspace=True)
    except FileNotFoundError:
        raise InputError("counts file not found; expected a CSV file", file=path) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"not a readable CSV ({exc}); expected columns {SITE_COLUMNS}, "
                         "then hour,count", file=path) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame]
    by = next((kind for kind, cols in SITE_KINDS.items() if set(cols) <= set(frame)), None)
    if missing or by is None:
        need = [*missing, *([] if by else [SITE_COLUMNS])]
        raise InputError(f"missing column(s) {', '.join(need)}; expected {SITE_COLUMNS}, "
                         "then hour,count", file=path, line=1)
    if frame.empty:
        raise InputError("no counts; expected one row per link and hour", file=path)
    if n_links is None and network is not None:
        n_links = len(network)
    line = frame.index.to_numpy() + 2            # header is line 1 (comment lines aside)
    hour = numbers(frame["hour"], path, line, "hour")
    bad = (hour < 0) | (hour > 23) | (hour != np.floor(hour))
    refuse(bad, path, line, "hour", frame["hour"], "a whole hour 0-23")
    count = numbers(frame["count"], path, line, "count")
    refuse(count < 0, path, line, "count", frame["count"], "a count of vehicles ≥ 0")
    snap_m = None
    if by == "link":
        link = numbers(frame["link"], path, line, "link")
        bad = (link < 0) | (link != np.floor(link))
        if n_links is not None:
            bad |= link >= n_links
        refuse(bad, path, line, "link", frame["link"],
               f"a link number 0-{n_links - 1}" if n_links else "a link number ≥ 0")
        link = link.astype(np.int64)
    elif network is None:
        raise InputError(f"counts by {', '.join(SITE_KINDS[by])} need the network; expected "
                         "a results folder of twincity run (network.parquet)", file=path)
    elif by == "nodes":
        link = links_of_pairs(frame, path, line, network)
    elif by == "way":
        link, snap_m = links_of_ways(frame, path, line, network, max_snap_m)
    else:
        link, snap_m = links_of_sites(frame, path, line, network, max_snap_m)
    out = frame.drop(columns=[c for c in ("link", "from_node", "to_node") if c in frame])
    out.insert(0, "link", link)
    if snap_m is not None:
        out["snap_m"] = snap_m
    out["hour"] = hour.astype(np.int64)
    out["count"] = count
    twice = out.duplicated(["link", "hour"], keep=False).to_numpy()
    refuse(twice, path, line, "hour", frame["hour"], "one count per link and hour")
    return out.reset_index(drop=True)


def hourly_link_flows(links: pd.DataFrame, start_s: float, interval_s: float | None = None,
                      duration_s: float | None = None) -> pd.DataFrame:
    """City-scale vehicles per link and clock hour from a run's ``links`` table.

    Each interval's ``outflow_veh`` is split over the clock hours it overlaps
    (uniformly), then multiplied by ``expansion_factor`` (1 / sample share; 1 when the
    table has no ``expansion_factor`` column). ``start_s`` is the simulation's start
    time of day; ``interval_s`` the intervals' length (default: the spacing
    of the table's ``start_s``, one hour for a single interval);
    ``duration_s`` the simulated span, which cuts the last interval short
    when the span is not a whole number of intervals. Returns columns
    ``link``, ``hour``, ``model_vph``.

    >>> links = pd.DataFrame({"interval": [0, 1], "start_s": [0.0, 1800.0], "link": [0, 0],
    ...                       "outflow_veh": [3.0, 5.0], "expansion_factor": [20.0, 20.0]})
    >>> hourly_link_flows(links, start_s=7 * 3600.0).to_dict("records")
    [{'link': 0, 'hour': 7, 'model_vph': 160.0}]
    """
    starts = np.sort(links["start_s"].unique())
    if interval_s is not None:
        width_s = float(interval_s)
    elif len(starts) > 1:
        width_s = float(np.min(np.diff(starts)))
    else:
        width_s = 3600.0
    begin = start_s + links["start_s"].to_numpy(np.float64)
    end = begin + width_s
    if duration_s is not None:
        end = np.minimum(end, start_s + duration_s)
    length_s = end - begin
    veh = links["outflow_veh"].to_numpy(np.float64)
    if "expansion_factor" in links:
        veh = veh * links["expansion_factor"].to_numpy(np.float64)
    link = links["link"].to_numpy(np.int64)
    parts = []
    first_hour = np.floor(begin / 3600.0)
    for k in range(math.ceil(width_s / 3600.0) + 1):   # hours an interval can touch
        h = first_hour + k
        overlap = np.clip(np.minimum(end, (h + 1) * 3600.0) - np.maximum(begin, h * 3600.0),
                          0.0, None)
        keep = overlap > 0
        parts.append(pd.DataFrame({"link": link[keep], "hour": (h[keep] % 24).astype(np.int64),
                                   "model_vph": veh[keep] * overlap[keep] / length_s[keep]}))
    flows = pd.concat(parts, ignore_index=True)
    return flows.groupby(["link", "hour"], as_index=False)["model_vph"].sum()


@dataclass
class CountComparison:
    """Model flows against counts: one row per counted link-hour, plus summary figures."""

    table: pd.DataFrame
    summary: dict[str, Any]
    by_hour: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def plot(self):
        """Scatter of model flow against count with the 1:1 line and the GEH = 5 band."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure

        fig = Figure(figsize=(5.5, 5.0))
        ax = fig.add_subplot()
        c, m = self.table["count"].to_numpy(), self.table["model_vph"].to_numpy()
        top = max(1.0, float(np.nanmax(np.r_[c, m]))) * 1.05
        grid = np.linspace(0.0, top, 200)
        # GEH = 5 where (M − C)² = 12.5 (M + C): M = C + 6.25 ± sqrt(6.25² + 25 C)
        half = np.sqrt(6.25**2 + 25.0 * grid)
        ax.fill_between(grid, np.clip(grid + 6.25 - half, 0, None), grid + 6.25 + half,
                        color="0.9", label="GEH < 5")
        ax.plot([0, top], [0, top], color="0.3", lw=1, label="1:1")
        ax.scatter(c, m, s=14, alpha=0.7, c=self.table["geh"] >= 5, cmap="coolwarm",
                   vmin=0, vmax=1)
        s = self.summary
        ax.set(xlim=(0, top), ylim=(0, top), xlabel="count (veh/h)",
               ylabel="model, city scale (veh/h)",
               title=f"{s['link_hours']} link-hours: GEH<5 {s['share_geh_lt_5']:.0%}, "
                     f"R² {s['r2']:.2f}")
        ax.legend(loc="upper left")
        return fig


def compare_counts(links: pd.DataFrame, counts: pd.DataFrame, start_s: float,
                   interval_s: float | None = None, duration_s: float | None = None
                   ) -> CountComparison:
    """Compare a run's hourly link flows with counts (from :func:`read_counts`).

    Summary: counted link-hours, the share with GEH < 5 and < 10, mean GEH,
    R² = 1 − Σ(M − C)² / Σ(C − C̄)² (agreement with the 1:1 line, not a
    fitted slope), mean absolute percentage error over counts > 0, and
    total model flow over total count. Times are as in :func:`hourly_link_flows`.

    >>> links = pd.DataFrame({"start_s": [0.0], "link": [0], "outflow_veh": [10.0],
    ...                       "expansion_factor": [20.0]})
    >>> counts = pd.DataFrame({"link": [0], "hour": [8], "count": [150.0]})
    >>> c = compare_counts(links, counts, start_s=8 * 3600.0)
    >>> round(float(c.table.geh[0]), 3), c.summary["share_geh_lt_5"]
    (3.78, 1.0)
    """
    flows = hourly_link_flows(links, start_s, interval_s, duration_s)
    table = counts.merge(flows, on=["link", "hour"], how="left")
    simulated_hours = set(flows["hour"].unique())
    outside = ~table["hour"].isin(simulated_hours)
    notes = []
    if outside.any():
        notes.append(f"{int(outside.sum())} counted link-hours fall outside the simulated "
                     "hours and are left out")
        table = table[~outside].reset_index(drop=True)
    if table.empty:
        raise InputError("no counted hour lies in the simulated span; expected counts for "
                         "hours the run simulated")
    table["model_vph"] = table["model_vph"].fillna(0.0)
    table["geh"] = geh(table["model_vph"].to_numpy(), table["count"].to_numpy())
    return CountComparison(table=table, summary=summarise(table), by_hour=_by_hour(table),
                           notes=notes)


def summarise(table: pd.DataFrame) -> dict[str, Any]:
    """The summary figures of a table with ``model_vph``, ``count`` and ``geh`` columns."""
    m = table["model_vph"].to_numpy(np.float64)
    c = table["count"].to_numpy(np.float64)
    g = table["geh"].to_numpy(np.float64)
    ss_tot = float(((c - c.mean()) ** 2).sum())
    positive = c > 0
    out: dict[str, Any] = {"link_hours": len(table), "links": int(table["link"].nunique())}
    for band in GEH_BANDS:
        out[f"share_geh_lt_{band:g}"] = float((g < band).mean())
    out["mean_geh"] = float(g.mean())
    out["r2"] = 1.0 - float(((m - c) ** 2).sum()) / ss_tot if ss_tot > 0 else math.nan
    out["mape_pct"] = (float(np.mean(np.abs(m[positive] - c[positive]) / c[positive])) * 100
                       if positive.any() else math.nan)
    out["model_over_count"] = float(m.sum() / c.sum()) if c.sum() > 0 else math.nan
    return out


def _by_hour(table: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for hour, part in table.groupby("hour", sort=True):
        s = summarise(part)
        rows.append({"hour": int(hour), "link_hours": s["link_hours"],
                     "count": float(part["count"].sum()),
                     "model_vph": float(part["model_vph"].sum()),
                     "share_geh_lt_5": s["share_geh_lt_5"], "mean_geh": s["mean_geh"]})
    return pd.DataFrame(rows)
