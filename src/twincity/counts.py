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
  file: OSM node ids, TNTP numbers, generator node numbers), directed, or
  ``lon``, ``lat`` and ``direction`` (WGS84 degrees of the site and the
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

from twincity.count_sites import MAX_SNAP_M, bearing_deg, locate_sites
from twincity.errors import InputError

#: GEH thresholds reported: WebTAG's "good" band and the usual loose band.
GEH_BANDS = (5.0, 10.0)
#: Counts-file columns besides the link's identification.
REQUIRED = ("hour", "count")
#: The ways a counts file may name its links.
SITE_COLUMNS = "link, from_node,to_node or lon,lat,direction"


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


def read_counts(path: str | Path, node_ids: np.ndarray | None = None,
                link_from: np.ndarray | None = None, link_to: np.ndarray | None = None,
                n_links: int | None = None, network: pd.DataFrame | None = None,
                max_snap_m: float = MAX_SNAP_M) -> pd.DataFrame:
    """A counts CSV as a table with a ``link`` column (checked), ``hour`` and ``count``.

    Node pairs are turned into link numbers with ``node_ids`` (the network's
    node identifiers) and ``link_from``/``link_to`` (node positions); sites by
    ``lon,lat,direction`` with ``network`` (a run's ``network.parquet`` table),
    within ``max_snap_m`` of their link. Bad input raises :class:`InputError`
    naming the file, line and field.
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
    by_link = "link" in frame
    by_nodes = {"from_node", "to_node"} <= set(frame)
    by_site = {"lon", "lat", "direction"} <= set(frame)
    if missing or not (by_link or by_nodes or by_site):
        need = [*missing, *([] if by_link or by_nodes or by_site else [SITE_COLUMNS])]
        raise InputError(f"missing column(s) {', '.join(need)}; expected {SITE_COLUMNS}, "
                         "then hour,count", file=path, line=1)
    if frame.empty:
        raise InputError("no counts; expected one row per link and hour", file=path)
    line = frame.index.to_numpy() + 2            # header is line 1 (comment lines aside)
    hour = _numbers(frame["hour"], path, line, "hour")
    bad = (hour < 0) | (hour > 23) | (hour != np.floor(hour))
    _refuse(bad, path, line, "hour", frame["hour"], "a whole hour 0-23")
    count = _numbers(frame["count"], path, line, "count")
    _refuse(count < 0, path, line, "count", frame["count"], "a count of vehicles ≥ 0")
    if by_link:
        link = _numbers(frame["link"], path, line, "link")
        bad = (link < 0) | (link != np.floor(link))
        if n_links is not None:
            bad |= link >= n_links
        _refuse(bad, path, line, "link", frame["link"],
                f"a link number 0-{n_links - 1}" if n_links else "a link number ≥ 0")
        link = link.astype(np.int64)
    elif by_nodes:
        if node_ids is None or link_from is None or link_to is None:
            raise InputError("counts by node pair need the network; expected a run whose "
                             "scenario can be rebuilt", file=path)
        link = _links_of_pairs(frame, path, line, node_ids, link_from, link_to)
    else:
        if network is None:
            raise InputError("counts by lon/lat need the run's network.parquet; expected a "
                             "results folder of twincity run", file=path)
        link, snap_m = _links_of_sites(frame, path, line, network, max_snap_m)
    out = frame.drop(columns=[c for c in ("link", "from_node", "to_node") if c in frame])
    out.insert(0, "link", link)
    if not (by_link or by_nodes):
        out["snap_m"] = snap_m
    out["hour"] = hour.astype(np.int64)
    out["count"] = count
    twice = out.duplicated(["link", "hour"], keep=False).to_numpy()
    _refuse(twice, path, line, "hour", frame["hour"], "one count per link and hour")
    return out.reset_index(drop=True)


def _numbers(column: pd.Series, path: Path, line: np.ndarray, name: str) -> np.ndarray:
    values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    _refuse(~np.isfinite(values), path, line, name, column, "a number")
    return values


def _refuse(bad: np.ndarray, path: Path, line: np.ndarray, name: str, column: pd.Series,
            expected: str) -> None:
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        more = f" (and {int(bad.sum()) - 1} more rows)" if bad.sum() > 1 else ""
        raise InputError(f"{name}: got {column.iloc[i]!r}; expected {expected}{more}",
                         file=path, line=int(line[i]), path=name)


def _links_of_pairs(frame: pd.DataFrame, path: Path, line: np.ndarray, node_ids: np.ndarray,
                    link_from: np.ndarray, link_to: np.ndarray) -> np.ndarray:
    """Link numbers of directed (from_node, to_node) identifier pairs."""
    ids = pd.Index(np.asarray(node_ids).astype(str))
    keys = pd.Index([f"{a}\0{b}" for a, b in zip(ids[link_from], ids[link_to], strict=True)])
    wanted = (frame["from_node"].astype(str).str.strip() + "\0"
              + frame["to_node"].astype(str).str.strip())
    # float-looking ids from CSV ("12.0") match integer ids ("12")
    wanted = wanted.str.replace(r"\.0(?=\0|$)", "", regex=True)
    pos = keys.get_indexer(wanted)
    bad = pos < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"from_node,to_node: no link from {frame['from_node'].iloc[i]} to "
                         f"{frame['to_node'].iloc[i]}; expected a directed link of the "
                         "network", file=path, line=int(line[i]), path="from_node")
    return pos.astype(np.int64)


def _links_of_sites(frame: pd.DataFrame, path: Path, line: np.ndarray, network: pd.DataFrame,
                    max_snap_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Link numbers and snapping distances of ``lon,lat,direction`` sites."""
    lon = _numbers(frame["lon"], path, line, "lon")
    _refuse(np.abs(lon) > 180, path, line, "lon", frame["lon"], "a longitude -180-180")
    lat = _numbers(frame["lat"], path, line, "lat")
    _refuse(np.abs(lat) > 90, path, line, "lat", frame["lat"], "a latitude -90-90")
    heading = np.array([bearing_deg(d) for d in frame["direction"]])
    _refuse(np.isnan(heading), path, line, "direction", frame["direction"],
            "N, NE, E, SE, S, SW, W, NW, northbound… or a bearing in degrees")
    if not np.isfinite(network[["from_lon", "from_lat"]].to_numpy(np.float64)).any():
        raise InputError("counts by lon/lat, but the run's network is not placed on the map "
                         "(no lon/lat in network.parquet); expected counts by link", file=path)
    sites = pd.DataFrame({"lon": lon, "lat": lat, "heading": heading})
    unique = sites.drop_duplicates().reset_index(drop=True)   # one search per site
    found, dist_m = locate_sites(unique["lon"], unique["lat"], unique["heading"], network,
                                 max_snap_m)
    pos = pd.MultiIndex.from_frame(unique).get_indexer(pd.MultiIndex.from_frame(sites))
    link, dist_m = found[pos], dist_m[pos]
    if (link < 0).any():
        i = int(np.flatnonzero(link < 0)[0])
        how = (f"the nearest is {dist_m[i]:.0f} m away" if np.isfinite(dist_m[i])
               else "none heads that way")
        raise InputError(f"no link heading {frame['direction'].iloc[i]} (±45°) within "
                         f"{max_snap_m:g} m of ({lon[i]:.6f}, {lat[i]:.6f}): {how}; expected "
                         "a site on the network (validate-counts --max-snap-m widens the "
                         "search)", file=path, line=int(line[i]), path="lon")
    return link, dist_m


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


#: The scenario field a demand-scale fit adjusts.
DEMAND_RATE = "demand.trips_per_person_per_day"


@dataclass
class DemandFit:
    """Outcome of :func:`fit_demand_scale`: the fitted trip rate and every round."""

    trips_per_person_per_day: float
    rounds: list[dict[str, Any]]
    converged: bool

    def yaml(self) -> str:
        """The line to put into the scenario's ``demand`` section."""
        return (f"trips_per_person_per_day: {self.trips_per_person_per_day:.3f}  "
                "# fitted to traffic counts (twincity calibrate --counts)")


def fit_demand_scale(path: str | Path, counts_file: str | Path, *, seed: int | None = None,
                     overrides: dict[str, Any] | None = None, rounds: int = 4,
                     tolerance: float = 0.02) -> DemandFit:
    """Scale ``demand.trips_per_person_per_day`` until counted flows match the model's.

    Each round runs the city's traffic (no energy or emissions) with the
    current rate, compares its hourly flows with the counts and multiplies
    the rate by total count over total model flow on the counted link-hours
    (a fixed-point iteration: flows grow with demand, not exactly in
    proportion once roads congest or people change mode). Stops when that
    ratio is within ``tolerance`` of 1 (``converged``; the rate is the one
    last simulated), or after ``rounds`` rounds (the rate is then the last
    update, not yet simulated). The departure profile is not fitted.

    >>> fit_demand_scale("tests/data/tiny.yaml", "counts.csv")       # doctest: +SKIP
    """
    from twincity.model import CityModel
    from twincity.scenario.loader import load_scenario

    fixed = dict(overrides or {})
    loaded = load_scenario(path, fixed)
    sim = loaded.spec.simulation
    rate = float(fixed.get(DEMAND_RATE, loaded.spec.demand.trips_per_person_per_day))
    counts = None
    history: list[dict[str, Any]] = []
    for i in range(1, rounds + 1):
        model = CityModel(path, seed=seed, overrides={**fixed, DEMAND_RATE: rate},
                          subsystems=("traffic",))
        links = model.run().tables["links"]
        if counts is None:
            net = model.city.network
            counts = read_counts(counts_file, node_ids=net.node_id, link_from=net.link_from,
                                 link_to=net.link_to, n_links=net.n_links)
        c = compare_counts(links, counts, start_s=sim.start_s, interval_s=sim.interval_s,
                           duration_s=sim.duration_s)
        ratio = 1.0 / c.summary["model_over_count"]
        history.append({"round": i, "trips_per_person_per_day": rate,
                        "model_over_count": c.summary["model_over_count"],
                        "share_geh_lt_5": c.summary["share_geh_lt_5"],
                        "mean_geh": c.summary["mean_geh"]})
        if not math.isfinite(ratio) or ratio <= 0:
            raise InputError("the model has no flow on the counted link-hours; expected "
                             "counts on links the simulated traffic uses", file=counts_file)
        if abs(ratio - 1.0) <= tolerance:
            return DemandFit(rate, history, converged=True)
        rate *= ratio
    return DemandFit(rate, history, converged=False)
