"""Validation against traffic counts: GEH against its formula on hand-computed cases, hourly
flows conserved and expanded to city scale, the command on a real run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from twincity.cli import main
from twincity.counts import compare_counts, geh, hourly_link_flows, read_counts
from twincity.errors import InputError

# start at 07:00 for 3 h in 40-min intervals: the 07:40-08:20 interval straddles 08:00
RUN = {"simulation.start_h": 7, "simulation.duration_h": 3, "simulation.interval_min": 40,
       "simulation.equilibrium_days": 1, "simulation.sample_share": 0.05}


def test_geh_matches_hand_computed_values() -> None:
    model = np.array([100.0, 0.0, 500.0, 1000.0, 0.0, 12.5])
    count = np.array([150.0, 0.0, 0.0, 1100.0, 50.0, 37.5])
    # sqrt(2·50²/250) = sqrt(20); both 0 → 0; sqrt(2·500²/500) = sqrt(1000);
    # sqrt(2·100²/2100); sqrt(2·50²/50) = 10; sqrt(2·25²/50) = 5
    expected = [math.sqrt(20), 0.0, math.sqrt(1000), math.sqrt(20000 / 2100), 10.0, 5.0]
    assert geh(model, count) == pytest.approx(expected, rel=1e-12)


def test_hourly_flows_split_intervals_by_overlap_and_expand() -> None:
    # 40-min intervals from 07:00: 07:00-07:40, 07:40-08:20, 08:20-09:00; weight 20
    links = pd.DataFrame({"start_s": [0.0, 2400.0, 4800.0], "link": [3, 3, 3],
                          "outflow_veh": [6.0, 9.0, 12.0], "expansion_factor": [20.0] * 3})
    flows = hourly_link_flows(links, start_s=7 * 3600.0, interval_s=2400.0)
    by_hour = dict(zip(flows["hour"], flows["model_vph"], strict=True))
    # hour 7: 6 + 9·(20/40); hour 8: 9·(20/40) + 12; times the weight
    assert by_hour == {7: pytest.approx(20 * 10.5), 8: pytest.approx(20 * 16.5)}
    assert flows["model_vph"].sum() == pytest.approx(20 * 27.0)     # nothing lost


def test_summary_figures_by_hand() -> None:
    links = pd.DataFrame({"start_s": [0.0, 0.0], "link": [0, 1], "outflow_veh": [5.0, 10.0],
                          "expansion_factor": [10.0, 10.0]})
    counts = pd.DataFrame({"link": [0, 1], "hour": [8, 8], "count": [100.0, 60.0]})
    c = compare_counts(links, counts, start_s=8 * 3600.0, interval_s=3600.0)
    m = np.array([50.0, 100.0])
    c_vph = np.array([100.0, 60.0])
    g = np.sqrt(2 * (m - c_vph) ** 2 / (m + c_vph))                   # 5.774, 4.364
    assert c.table["geh"].to_numpy() == pytest.approx(g)
    assert c.summary["share_geh_lt_5"] == 0.5 and c.summary["share_geh_lt_10"] == 1.0
    assert c.summary["r2"] == pytest.approx(1 - (50**2 + 40**2) / (20**2 + 20**2))
    assert c.summary["mape_pct"] == pytest.approx((0.5 + 40 / 60) / 2 * 100)
    assert c.summary["model_over_count"] == pytest.approx(150 / 160)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("counts") / "run"
    tiny = Path(__file__).parent / "data" / "tiny.yaml"
    sets = [a for k, v in RUN.items() for a in ("--set", f"{k}={v}")]
    res = CliRunner().invoke(main, ["run", str(tiny), "--seed", "5", "--out", str(out),
                                    "--quiet", *sets])
    assert res.exit_code == 0, res.output
    return out


def test_trips_and_links_carry_the_expansion_weight(run_dir: Path) -> None:
    for name in ("trips", "links"):
        table = pd.read_parquet(run_dir / f"{name}.parquet")
        assert (table["expansion_factor"] == 1 / RUN["simulation.sample_share"]).all()


def test_counts_of_a_perturbed_demand_are_recovered(run_dir: Path, tmp_path: Path) -> None:
    links = pd.read_parquet(run_dir / "links.parquet")
    flows = hourly_link_flows(links, start_s=7 * 3600.0, interval_s=2400.0,
                              duration_s=3 * 3600.0)
    flows = flows[flows["model_vph"] > 0]
    assert set(flows["hour"]) == {7, 8, 9} and len(flows) > 20
    # the city-scale flows are the sample's vehicles times 20, hour by hour; the last
    # interval (09:40-10:00) is cut short by the end of the span, nothing leaks into 10:00
    assert flows["model_vph"].sum() == pytest.approx(links["outflow_veh"].sum() * 20)
    # observed demand 25% above the model's on every counted link-hour
    counts = flows.assign(count=flows["model_vph"] * 1.25).drop(columns="model_vph")
    path = tmp_path / "counts.csv"
    counts.to_csv(path, index=False)
    res = CliRunner().invoke(main, ["validate-counts", str(run_dir), str(path), "--json"])
    assert res.exit_code == 0, res.output
    [summary] = json.loads(res.stdout)
    assert summary["model_over_count"] == pytest.approx(0.8)
    assert summary["mape_pct"] == pytest.approx(20.0)
    m = flows["model_vph"].to_numpy()
    expected = 0.25 * np.sqrt(2 * m / 2.25)                  # GEH of M against 1.25 M
    assert summary["mean_geh"] == pytest.approx(expected.mean())
    assert summary["share_geh_lt_5"] == pytest.approx((expected < 5).mean())
    # the same counts given by node pair, and a report folder
    from twincity.city.build import build_city
    from twincity.scenario.loader import load_scenario

    prov = json.loads((run_dir / "provenance.json").read_text())
    net = build_city(load_scenario(prov["scenario_file"])).network
    ids = np.asarray(net.node_id)
    by_nodes = counts.assign(from_node=ids[net.link_from[counts["link"]]],
                             to_node=ids[net.link_to[counts["link"]]]).drop(columns="link")
    path2 = tmp_path / "counts_nodes.csv"
    by_nodes.to_csv(path2, index=False)
    report = tmp_path / "report"
    res = CliRunner().invoke(main, ["validate-counts", str(run_dir), str(path2),
                                    "--out", str(report)])
    assert res.exit_code == 0, res.output
    assert "GEH < 5" in res.output
    written = json.loads((report / "summary.json").read_text())
    assert written["model_over_count"] == pytest.approx(0.8)
    assert (report / "counts.png").is_file() and (report / "by_hour.csv").is_file()


def test_exact_counts_give_perfect_figures(run_dir: Path, tmp_path: Path) -> None:
    links = pd.read_parquet(run_dir / "links.parquet")
    flows = hourly_link_flows(links, start_s=7 * 3600.0, interval_s=2400.0,
                              duration_s=3 * 3600.0)
    counts = flows.rename(columns={"model_vph": "count"})
    c = compare_counts(links, counts, start_s=7 * 3600.0, interval_s=2400.0,
                       duration_s=3 * 3600.0)
    assert c.summary["share_geh_lt_5"] == 1.0 and c.summary["mean_geh"] == 0.0
    assert c.summary["r2"] == pytest.approx(1.0)


def test_bad_counts_files_name_file_line_and_field(run_dir: Path, tmp_path: Path) -> None:
    cases = {
        "link,hour,count\n0,7,10\n1,25,10\n": ("line 3", "hour"),
        "link,hour,count\n0,7,-1\n": ("line 2", "count"),
        "link,hour\n0,7\n": ("line 1", "count"),
        "link,hour,count\n0,7,10\n0,7,11\n": ("line 2", "one count per link and hour"),
        "link,hour,count\n99999,7,1\n": ("line 2", "link"),
    }
    for i, (text, (where, field)) in enumerate(cases.items()):
        path = tmp_path / f"bad{i}.csv"
        path.write_text(text)
        res = CliRunner().invoke(main, ["validate-counts", str(run_dir), str(path)])
        assert res.exit_code == 2, (text, res.output)
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and f"bad{i}.csv" in lines[0] and field in lines[0], lines
        assert where.split()[1] in lines[0]
    with pytest.raises(InputError, match="no link from"):
        read_counts(_write(tmp_path / "p.csv", "from_node,to_node,hour,count\nx,y,7,1\n"),
                    network=pd.DataFrame({"link": [0], "from_node": [1], "to_node": [2]}))


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_demand_scale_fitted_to_counts_recovers_the_known_rate(tmp_path: Path) -> None:
    from twincity.count_fit import fit_to_counts
    from twincity.model import CityModel

    tiny = Path(__file__).parent / "data" / "tiny.yaml"
    fast = {k: v for k, v in RUN.items() if k != "simulation.sample_share"}
    truth = 3.2                                   # the "observed" city makes 3.2 trips/person
    model = CityModel(str(tiny), seed=5, subsystems=("traffic",),
                      overrides={**fast, "demand.trips_per_person_per_day": truth})
    links = model.run().tables["links"]
    flows = hourly_link_flows(links, start_s=7 * 3600.0, interval_s=2400.0,
                              duration_s=3 * 3600.0)
    busy = flows[flows["model_vph"] > 0]
    path = tmp_path / "counts.csv"
    busy.rename(columns={"model_vph": "count"}).to_csv(path, index=False)
    fit = fit_to_counts(tiny, path, fit="scale", seed=5, overrides=fast, rounds=5,
                        tolerance=0.02)
    assert fit.rounds[0]["trips_per_person_per_day"] == 2.5      # the scenario's own rate
    assert fit.rounds[0]["model_over_count"] < 0.9               # too little traffic at first
    assert fit.converged
    assert fit.trips_per_person_per_day == pytest.approx(truth, rel=0.05)


def test_scenario_names_its_counts(run_dir: Path, tiny_dir: Path) -> None:
    from conftest import write_variant

    links = pd.read_parquet(run_dir / "links.parquet")
    flows = hourly_link_flows(links, start_s=7 * 3600.0, interval_s=2400.0,
                              duration_s=3 * 3600.0)
    flows = flows[flows["model_vph"] > 0]
    (tiny_dir / "counts").mkdir()
    flows.rename(columns={"model_vph": "count"}).to_csv(tiny_dir / "counts" / "c.csv",
                                                        index=False)
    variant = write_variant(tiny_dir, "observed.yaml", {"observations": {"counts": "counts/c.csv"}})
    res = CliRunner().invoke(main, ["validate", str(variant)])
    assert res.exit_code == 0, res.output
    assert f"({len(flows)} counted link-hours)" in res.output
    # no COUNTS.csv: the scenario's own counts (exact flows: every GEH is 0)
    res = CliRunner().invoke(main, ["validate-counts", str(run_dir), "--scenario", str(variant),
                                    "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)[0]["share_geh_lt_5"] == 1.0
    # counts naming a link the network lacks fail validation with the counts file's line
    (tiny_dir / "counts" / "c.csv").write_text("link,hour,count\n0,7,5\n99999,7,1\n")
    res = CliRunner().invoke(main, ["validate", str(variant)])
    assert res.exit_code == 2 and "c.csv:3" in res.output and "link" in res.output
    # a scenario without counts and no COUNTS.csv: one line saying so
    res = CliRunner().invoke(main, ["validate-counts", str(run_dir)])
    assert res.exit_code == 2 and "observations.counts" in res.output


def _sites(network: pd.DataFrame, links: np.ndarray, off_m: float, turn_deg: float):
    """Sites ``off_m`` to the right of each link's midpoint, heading ``turn_deg`` off it."""
    row = network.set_index("link").loc[links]
    east = (row["to_x_m"] - row["from_x_m"]).to_numpy()
    north = (row["to_y_m"] - row["from_y_m"]).to_numpy()
    norm = np.hypot(east, north)
    lat = (row["from_lat"] + row["to_lat"]).to_numpy() / 2
    lon = (row["from_lon"] + row["to_lon"]).to_numpy() / 2
    m_per_deg = 111_195.0                       # mean Earth radius, 1 degree of latitude
    lat = lat + off_m * (-east / norm) / m_per_deg
    lon = lon + off_m * (north / norm) / (m_per_deg * np.cos(np.radians(lat)))
    heading = (np.degrees(np.arctan2(east, north)) + turn_deg) % 360
    return lon, lat, heading


def _distinct_links(network: pd.DataFrame) -> np.ndarray:
    """Links longer than 50 m with no other link leaving their start or entering their end
    within 75° of their heading (a site beside them can only mean them)."""
    heading = np.degrees(np.arctan2(network["to_x_m"] - network["from_x_m"],
                                    network["to_y_m"] - network["from_y_m"])).to_numpy()
    keep = []
    for i, row in enumerate(network.itertuples()):
        near = (network["from_node"] == row.from_node) | (network["to_node"] == row.to_node)
        turn = np.abs((heading[near.to_numpy()] - heading[i] + 180) % 360 - 180)
        if row.length_m > 50 and (turn < 75).sum() == 1:         # itself only
            keep.append(row.link)
    return np.array(keep)


def test_counts_located_by_lon_lat_and_direction(run_dir: Path, tmp_path: Path) -> None:
    """Sites placed 6 m beside known links, headings 30° off theirs, find those links
    (not the opposite direction drawn on the same line), and give the same figures."""
    network = pd.read_parquet(run_dir / "network.parquet")
    links = pd.read_parquet(run_dir / "links.parquet")
    flows = hourly_link_flows(links, start_s=7 * 3600.0, interval_s=2400.0,
                              duration_s=3 * 3600.0)
    flows = flows[(flows["model_vph"] > 0) & flows["link"].isin(_distinct_links(network))]
    assert flows["link"].nunique() > 20
    counts = flows.assign(count=(flows["model_vph"] * 1.1).round()).drop(columns="model_vph")
    lon, lat, heading = _sites(network, counts["link"].to_numpy(), off_m=6.0, turn_deg=30.0)
    direction = heading.round(1).astype(object)
    # every other site by the compass point nearest its link's heading (≤ 22.5° off)
    points = np.array(["N", "NE", "E", "SE", "S", "SW", "W", "NW"])
    direction[::2] = points[np.round((heading[::2] - 30.0) / 45).astype(int) % 8]
    by_site = counts.drop(columns="link").assign(lon=lon, lat=lat, direction=direction)
    by_site.to_csv(tmp_path / "sites.csv", index=False)
    counts.to_csv(tmp_path / "links.csv", index=False)

    read = read_counts(tmp_path / "sites.csv", network=network)
    assert (read["link"].to_numpy() == counts["link"].to_numpy()).all()
    assert read["snap_m"].to_numpy() == pytest.approx(6.0, abs=0.5)
    summaries = []
    for name in ("sites.csv", "links.csv"):
        res = CliRunner().invoke(main, ["validate-counts", str(run_dir), str(tmp_path / name),
                                        "--json"])
        assert res.exit_code == 0, res.output
        summaries.append(json.loads(res.stdout)[0])
    assert summaries[0] == summaries[1]

    # a site 300 m off every road, and an unreadable direction: one line each, exit 2
    far = by_site.head(2).assign(lat=by_site["lat"].head(2) + 300 / 111_195.0)
    for frame, field in ((far, "300 m"), (by_site.head(1).assign(direction="up"),
                                          "direction")):
        frame.to_csv(tmp_path / "bad.csv", index=False)
        res = CliRunner().invoke(main, ["validate-counts", str(run_dir),
                                        str(tmp_path / "bad.csv"), "--max-snap-m", "40"])
        lines = res.output.strip().splitlines()
        assert res.exit_code == 2 and len(lines) == 1, res.output
        assert "bad.csv:2" in lines[0], lines
        if field == "300 m":
            assert "within 40 m" in lines[0]
        else:
            assert "direction" in lines[0]


def test_departure_profile_fitted_to_counts_recovers_a_perturbed_profile(tmp_path) -> None:
    """Counts from a run whose morning departures are reshaped (07h ×1.4, 08h ×0.7,
    09h ×1.25) are matched by fitting the profile: each counted hour's departures per
    resident come back within 10% (measured: 4.6%, 4.4%, 3.2% after 6 rounds; the
    rest is the model's own run-to-run noise at sample share 1, about ±4% per hour),
    where fitting the scale alone leaves the 08h departures 60% too high."""
    from twincity.count_fit import fit_to_counts
    from twincity.model import CityModel
    from twincity.scenario.loader import load_scenario

    tiny = Path(__file__).parent / "data" / "tiny.yaml"
    fast = {**{k: v for k, v in RUN.items() if k != "simulation.sample_share"},
            "simulation.sample_share": 1.0}
    base = np.array(load_scenario(tiny).spec.demand.departure_profile, dtype=float)
    truth = base.copy()
    truth[[7, 8, 9]] *= [1.4, 0.7, 1.25]
    model = CityModel(str(tiny), seed=5, subsystems=("traffic",),
                      overrides={**fast, "demand.departure_profile": truth.tolist()})
    flows = hourly_link_flows(model.run().tables["links"], start_s=7 * 3600.0,
                              interval_s=2400.0, duration_s=3 * 3600.0)
    path = tmp_path / "counts.csv"
    flows[flows["model_vph"] > 0].rename(columns={"model_vph": "count"}).to_csv(path,
                                                                               index=False)
    rate = 2.5                                      # tiny.yaml's trips per person per day
    true_per_hour = rate * truth / truth.sum()

    def per_hour(fit) -> np.ndarray:
        p = np.asarray(fit.departure_profile)
        return fit.trips_per_person_per_day * p / p.sum()

    fit = fit_to_counts(tiny, path, fit="profile", seed=5, overrides=fast, rounds=6,
                        tolerance=0.02)
    first = fit.rounds[0]["count_over_model_by_hour"]
    assert first[7] > 1.2 and first[8] < 0.85 and first[9] > 1.1    # the scenario's own shape
    error = per_hour(fit)[7:10] / true_per_hour[7:10] - 1
    assert np.abs(error).max() < 0.10, error
    uncounted = [h for h in range(24) if h not in (7, 8, 9)]       # left as they were
    assert per_hour(fit)[uncounted] == pytest.approx((rate * base / base.sum())[uncounted])
    scale = fit_to_counts(tiny, path, fit="scale", seed=5, overrides=fast, rounds=4,
                          tolerance=0.02)
    assert per_hour(scale)[8] / true_per_hour[8] > 1.4                # shape not fitted
    assert scale.departure_profile == pytest.approx(base.tolist())


def test_calibrate_counts_prints_the_lines_for_the_scenario(run_dir: Path, tmp_path) -> None:
    links = pd.read_parquet(run_dir / "links.parquet")
    flows = hourly_link_flows(links, start_s=7 * 3600.0, interval_s=2400.0,
                              duration_s=3 * 3600.0)
    path = tmp_path / "counts.csv"
    flows[flows["model_vph"] > 0].rename(columns={"model_vph": "count"}).to_csv(path,
                                                                               index=False)
    tiny = Path(__file__).parent / "data" / "tiny.yaml"      # run at the file's own size
    res = CliRunner().invoke(main, ["calibrate", str(tiny), "--counts", str(path),
                                    "--seed", "5", "--rounds", "1"])
    assert res.exit_code == 0, res.output
    assert "round 1: trips/person/day 2.500" in res.output
    assert "counts/model by hour: 7h" in res.output
    last = res.output.strip().splitlines()[-2:]
    assert last[0].startswith("trips_per_person_per_day: ")
    assert last[1].startswith("departure_profile: [") and last[1].count(",") == 23
