"""Figures check their content: links drawn, colour ranges and units, legends, good/bad colours.

Independent references: the link speeds of a map are recomputed by a loop
over the link table; a difference map of a run with itself is zero; the
hexagon densities times their areas give back the link emissions; the
lon/lat axes agree with the WGS84 tangent-plane projection of
:mod:`twincity.city.geo`; energy stacks sum to the table's loads.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from twincity.city.geo import LocalProjection
from twincity.model import CityModel
from twincity.viz.common import link_window
from twincity.viz.effects import JUDGEMENT_COLOURS, plot_effects
from twincity.viz.energy import energy_days
from twincity.viz.geometry import degrees_per_km, offset_segments
from twincity.viz.maps import difference_map, emission_map, link_map
from twincity.viz.sensitivity import index_warnings, plot_indices
from twincity.viz.traffic import convergence, mode_shares, trip_distributions


@pytest.fixture(scope="module")
def model():
    from conftest import DATA

    short = {"simulation.start_h": 6, "simulation.duration_h": 13,
             "simulation.equilibrium_days": 2}
    m = CityModel.from_file(DATA / "tiny.yaml", overrides=short)
    m.run()
    return m


@pytest.fixture(scope="module")
def run(model):
    return model.results()


@pytest.fixture(scope="module")
def folder(run, tmp_path_factory):
    return run.write(tmp_path_factory.mktemp("viz") / "run")


def _segments(ax) -> list[np.ndarray]:
    from matplotlib.collections import LineCollection

    return [c for c in ax.collections if isinstance(c, LineCollection)]


def test_two_directions_are_offset_apart_and_parallel() -> None:
    t = pd.DataFrame({"from_x_m": [0.0, 300.0], "from_y_m": [0.0, 400.0],
                      "to_x_m": [300.0, 0.0], "to_y_m": [400.0, 0.0]})
    seg = offset_segments(t, 6.0)
    d = np.array([300.0, 400.0]) / 500.0
    normal = np.array([d[1], -d[0]])     # right of travel for the first link
    ends = np.array([[0.0, 0.0], [300.0, 400.0]])
    np.testing.assert_allclose(seg[0] - ends, [6 * normal] * 2)
    # the reverse link is shifted the other way: 12 m between the two, same direction of road
    gap = (seg[0, 0] - seg[1, 1]) @ normal
    assert gap == pytest.approx(12.0)
    a, b = seg[0, 1] - seg[0, 0], seg[1, 1] - seg[1, 0]
    assert a[0] * b[1] - a[1] * b[0] == pytest.approx(0.0, abs=1e-9)   # parallel


def test_lonlat_axes_agree_with_the_wgs84_projection() -> None:
    lon0, lat0 = 127.3, 36.5
    dlon, dlat = degrees_per_km(lat0)
    proj = LocalProjection(lon0, lat0)
    x, y = proj.forward(np.array([lon0 + 5 * dlon, lon0]), np.array([lat0, lat0 + 5 * dlat]))
    np.testing.assert_allclose([x[0], y[1]], [5000.0, 5000.0], atol=5.0)


def test_speed_map_draws_every_link_in_two_peaks_on_a_0_to_1_scale(run) -> None:
    fig = link_map(run, "speed")
    maps = [ax for ax in fig.axes if ax.get_title() in ("07:00–10:00", "17:00–20:00")]
    assert len(maps) == 2
    n_links = len(run.tables["network"])
    for ax in maps:
        drawn = sum(len(c.get_segments()) for c in _segments(ax) if c.get_label() != "_scale")
        assert drawn == n_links
        coloured = [c for c in _segments(ax) if c.get_array() is not None]
        assert coloured[0].get_clim() == (0.0, 1.0)
    bar = [ax for ax in fig.axes if "free-flow" in ax.get_ylabel()]
    assert bar, "a colour bar labelled with speed relative to free flow"
    # the AM values are the flow-weighted free-flow/actual time ratio, by a loop
    links, net = run.tables["links"], run.tables["network"]
    clock_s = links["start_s"] + 6 * 3600
    am = links[(clock_s >= 7 * 3600) & (clock_s < 10 * 3600)]
    coloured = next(c for c in _segments(maps[0]) if c.get_array() is not None)
    shown = np.sort(np.asarray(coloured.get_array()))
    expected = []
    for link in range(n_links):
        rows = am[(am["link"] == link) & (am["outflow_veh"] > 0)]
        if len(rows):
            t = (rows["outflow_veh"] * rows["mean_travel_time_s"]).sum() / rows["outflow_veh"].sum()
            expected.append(min(1.0, net["free_flow_time_s"].iloc[link] / t))
    np.testing.assert_allclose(shown, np.sort(expected), rtol=1e-9)


def test_volume_capacity_uses_full_scale_flow_per_hour(run) -> None:
    w = link_window(run, (7.0, 10.0))
    share = run.scenario["simulation"]["sample_share"]
    links = run.tables["links"]
    am = links[(links["start_s"] >= 3600) & (links["start_s"] < 4 * 3600)]
    flow = am.groupby("link")["outflow_veh"].sum().reindex(range(len(w)), fill_value=0)
    cap = run.tables["network"]["capacity_vph"].to_numpy()
    np.testing.assert_allclose(w["volume_capacity"], flow / share / 3.0 / cap)


def test_difference_of_a_run_with_itself_is_zero_and_a_change_shows_where_it_is(run) -> None:
    fig = difference_map(run, run, "flow")
    coloured = next(c for c in _segments(fig.axes[0]) if c.get_array() is not None)
    assert np.all(np.asarray(coloured.get_array()) == 0)
    other = copy.deepcopy(run)
    links = other.tables["links"]
    busy = int(links.groupby("link")["outflow_veh"].sum().idxmax())
    links.loc[links["link"] == busy, "outflow_veh"] *= 2
    fig = difference_map(other, run, "flow")
    values = np.asarray(next(c for c in _segments(fig.axes[0]) if c.get_array() is not None)
                        .get_array())
    share = run.scenario["simulation"]["sample_share"]
    expected = run.tables["links"].query("link == @busy")["outflow_veh"].sum() / share
    assert np.count_nonzero(values) == 1 and values.max() == pytest.approx(expected)
    lo, hi = next(c for c in _segments(fig.axes[0]) if c.get_array() is not None).get_clim()
    assert lo == -hi   # symmetric about zero


def test_emission_density_cells_add_up_to_the_links_emissions(run) -> None:
    fig = emission_map(run, "nox")
    right = next(ax for ax in fig.axes if "per km²" in ax.get_title())
    hexes = right.collections[0]
    from twincity.viz.maps import _hex_area_km2

    total = float(np.sum(hexes.get_array()) * _hex_area_km2(hexes))
    share = run.scenario["simulation"]["sample_share"]
    expected = run.tables["links"]["nox_g"].sum() / share * 365 / 1000
    assert total == pytest.approx(expected, rel=1e-9)
    assert any("kg per km² per year" in ax.get_ylabel() for ax in fig.axes)
    # per zone: the zones' emissions add up to the links', their areas to the network's hull
    from scipy.spatial import ConvexHull

    from twincity.viz.maps import zone_densities

    kg_year = run.tables["links"].groupby("link")["nox_g"].sum().reindex(
        range(len(run.tables["network"])), fill_value=0).to_numpy() / share * 365 / 1000
    kg, area, density, _ = zone_densities(run, kg_year, cell_m=10.0)
    assert kg.sum() == pytest.approx(expected, rel=1e-9)
    np.testing.assert_allclose((density * area)[area > 0], kg[area > 0])
    net = run.tables["network"]
    pts = np.vstack([net[["from_x_m", "from_y_m"]].to_numpy(),
                     net[["to_x_m", "to_y_m"]].to_numpy()])
    assert area.sum() == pytest.approx(ConvexHull(pts).volume / 1e6, rel=0.01)
    assert [ax.get_title() for ax in fig.axes if "per zone" in ax.get_title()]


def test_energy_stacks_sum_to_the_loads_and_name_every_fuel(run) -> None:
    fig = energy_days(run)
    hourly = run.tables["energy_hourly"]
    days = list(dict.fromkeys(hourly["day"]))
    assert len([ax for ax in fig.axes if ax.get_ylabel() == "city load, MWh per hour"]) == 1
    load_ax = fig.axes[0]
    top = load_ax.collections[4]   # the 5th stacked load (EV charging) is the top of the stack
    first = hourly[hourly["day"] == days[0]].sort_values("hour")
    stacked = (first[["base_electric_kwh", "heat_pump_electric_kwh", "resistance_electric_kwh",
                      "cooling_electric_kwh", "ev_charging_kwh"]].sum(axis=1) / 1000).max()
    ymax = max(p.vertices[:, 1].max() for p in top.get_paths())
    assert ymax == pytest.approx(stacked, rel=1e-9)
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "EV charging" in labels and "net load on the grid" in labels


def test_convergence_plots_the_day_records_and_says_whether_it_converged(run) -> None:
    fig = convergence(run)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), run.tables["equilibration"]["relative_gap"])
    assert ax.get_yscale() == "log"
    status = "converged" if run.equilibrium["converged"] else "NOT converged"
    assert status in ax.get_title()


def test_mode_share_bars_are_the_trip_tables_shares(run) -> None:
    fig = mode_shares(run)
    trips = run.tables["trips"]
    people = trips[trips["mode"].astype(str) != "freight"]
    expected = people["mode"].astype(str).value_counts(normalize=True)
    heights = [p.get_height() for p in fig.axes[0].patches[:4]]
    np.testing.assert_allclose(heights, [100 * expected.get(m, 0) for m in
                                         ("car", "transit", "walk", "bike")])
    fig = trip_distributions(run)
    assert fig.axes[0].get_xlabel() == "door-to-door time, min"


def _effects(kpi_rows):
    cols = ["city", "kpi", "unit", "effect", "rel_effect_pct", "rel_ci_low_pct",
            "rel_ci_high_pct", "judgement"]
    return pd.DataFrame(kpi_rows, columns=cols)


def test_effects_are_coloured_by_direction_and_rows_keep_their_own_scale() -> None:
    eff = _effects([
        ("A", "total_delay", "veh-h/day", -50.0, -5.0, -6.0, -4.0, "good"),
        ("A", "mode_share_transit", "share", -0.01, -2.0, -2.5, -1.5, "bad"),
        ("A", "nox_t_per_yr", "t/yr", 1.0, 10.0, -400.0, 420.0, "n.s."),
    ])
    fig = plot_effects(eff, ["A"])
    rows = fig.axes[:3]
    colours = [to_hex(ax.lines[0].get_color()) for ax in rows]
    assert colours == [JUDGEMENT_COLOURS["good"], JUDGEMENT_COLOURS["bad"],
                       to_hex(JUDGEMENT_COLOURS["n.s."])]
    # the wide NOx interval does not flatten the delay row
    lo, hi = rows[0].get_xlim()
    assert hi - lo < 10
    assert rows[0].get_yticklabels()[0].get_text() == "total delay, veh-h/day"


def test_sobol_plot_warns_when_the_sample_is_small() -> None:
    idx = pd.DataFrame({"kpi": ["vehicle_km"] * 2, "param": ["a", "b"], "S1": [1.2, 0.1],
                        "S1_conf": [0.6, 0.05], "ST": [0.9, 0.12], "ST_conf": [0.3, 0.05]})
    warns = index_warnings(idx, runs=24)
    assert any("outside [0, 1]" in w for w in warns) and any("24 runs" in w for w in warns)
    fig = plot_indices(idx, runs=24)
    assert "WARNING" in fig._suptitle.get_text()
    good = pd.DataFrame({"kpi": ["k"], "param": ["a"], "S1": [0.5], "S1_conf": [0.02],
                         "ST": [0.55], "ST_conf": [0.03]})
    assert index_warnings(good, runs=4096) == []


def test_live_vehicle_km_agrees_with_the_trip_tables_kpi(model, run) -> None:
    from twincity.viz.live import clock_text, interval_series, live_kpis, live_map_svg

    live = live_kpis(model)
    # link traversals (live) against trip distances (KPI): the same kilometres, two accounts
    assert live["vehicle_km_so_far"] == pytest.approx(run.kpi("vehicle_km"), rel=0.02)
    assert clock_text(model.clock_s) == "19:00"
    series = interval_series(model)   # the per-interval charts add up to the totals so far
    assert series["vehicle_km"].sum() == pytest.approx(live["vehicle_km_so_far"], rel=1e-9)
    assert series["delay_h"].sum() == pytest.approx(live["delay_so_far"], rel=1e-9)
    assert series["co2_t"].sum() == pytest.approx(live["co2_so_far"], rel=1e-9)
    svg = live_map_svg(model)
    assert svg.startswith("<svg") and 'width="100%"' in svg.split(">", 1)[0]
    assert svg.count("<path") > len(run.tables["network"])   # every link (plus axes)


def test_plot_command_writes_every_kind_and_a_self_contained_report(folder) -> None:
    from click.testing import CliRunner

    from twincity.cli import main
    from twincity.viz.plots import KINDS

    res = CliRunner().invoke(main, ["plot", str(folder), "--diff", str(folder)])
    assert res.exit_code == 0, res.output
    for kind in KINDS:
        assert (folder / "plots" / f"{kind}.png").read_bytes().startswith(b"\x89PNG")
    html = (folder / "report.html").read_text()
    ids = [kind for kind in [*KINDS, "diff-flow", "diff-nox"] if f'<figure id="{kind}">' in html]
    assert ids == [*KINDS, "diff-flow", "diff-nox"]
    assert html.count('src="data:image/png;base64,') == len(KINDS) + 2
    assert 'src="http' not in html and 'href="http' not in html   # nothing fetched
    assert "<td><code>vehicle_km</code></td>" in html


def test_plot_command_refuses_bad_input_with_one_line(folder, tmp_path) -> None:
    from click.testing import CliRunner

    from twincity.cli import main

    res = CliRunner().invoke(main, ["plot", str(folder), "--kind", "nonsense"])
    assert res.exit_code == 2 and "unknown plot kind nonsense" in res.output
    res = CliRunner().invoke(main, ["plot", str(tmp_path)])
    assert res.exit_code == 2 and "not a results folder" in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_sweep_writes_its_indices_plot(tmp_path) -> None:
    from twincity.experiment.sweep import SweepResult

    idx = pd.DataFrame({"kpi": ["vehicle_km"], "param": ["a"], "S1": [1.3], "S1_conf": [0.8],
                        "ST": [0.9], "ST_conf": [0.4]})
    samples = pd.DataFrame({"run_id": ["r1", "r2"], "a": [0.1, 0.2], "vehicle_km": [1.0, 2.0]})
    r = SweepResult(scenario="x.yaml", params={"a": (0.0, 1.0)}, method="sobol",
                    samples=samples, indices=idx)
    out = r.write(tmp_path / "sweep.parquet")
    assert out.with_suffix(".indices.png").read_bytes().startswith(b"\x89PNG")
    assert any("2 runs" in w for w in r.warnings())


def test_run_with_plots_writes_the_report_into_the_results_folder(tmp_path) -> None:
    from click.testing import CliRunner

    from conftest import DATA
    from twincity.cli import main

    out = tmp_path / "tiny"
    res = CliRunner().invoke(main, ["run", str(DATA / "tiny.yaml"), "--out", str(out),
                                    "--quiet", "--plots"])
    assert res.exit_code == 0, res.output
    assert (out / "report.html").is_file() and (out / "plots" / "speed.png").is_file()
    assert (out / "network.parquet").is_file()
    assert oct((out / "report.html").stat().st_mode & 0o777) == "0o644"


def test_energy_figure_thins_monthly_days_to_seasons_and_peaks() -> None:
    import pandas as pd

    from twincity.scenario.sections_energy import RepresentativeDay, monthly_days
    from twincity.viz.energy import MAX_PANELS, panel_days

    days = [RepresentativeDay(**d) for d in monthly_days(
        [{"name": "cold_peak", "month": 1, "day_of_month": 24, "weight_days": 1,
          "temp_anomaly_c": -14.8}])]
    hourly = pd.DataFrame({"day": [d.name for d in days for _ in range(24)],
                           "day_of_year": [d.day_of_year for d in days for _ in range(24)],
                           "weight_days": [d.weight_days for d in days for _ in range(24)]})
    shown = panel_days(hourly)
    assert shown == ["jan_weekday", "cold_peak", "apr_weekday", "jul_weekday", "oct_weekday"]
    assert len(shown) <= MAX_PANELS
    few = hourly[hourly["day"].isin(shown[:3])]
    assert panel_days(few) == list(dict.fromkeys(few["day"]))  # few days: all, table order
