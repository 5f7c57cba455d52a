"""Reports that don't over-claim: Holm, pair classification, good/bad by direction, area KPIs.

Holm's adjustment is checked against a hand-computed example and a brute-force
implementation of its definition; pair classification and the ratio's
"undefined" rule on constructed effects; colours on a constructed matrix; the
central-area KPIs against a loop over a synthetic link table of the tiny city.
"""

from __future__ import annotations

import math
import tempfile

import numpy as np
import pandas as pd
import pytest

from twincity.experiment.effects import classify_pair, effects_table, holm_adjust
from twincity.experiment.report import JUDGEMENT_COLOURS, convergence_text, goodness, plot_heatmap
from twincity.experiment.store import STORE_FORMAT, ResultStore, RunOutput
from twincity.experiment.transfer import convergence_flags, ratio_table
from twincity.kpi import CATALOGUE, better_sign, judge_effect


def _holm_by_definition(p: list[float]) -> list[float]:
    """adj(i) = max over j with p_j <= p_i (in sorted order) of min(1, (m − rank_j) · p_j)."""
    m = len(p)
    order = sorted(range(m), key=lambda i: (p[i], i))
    rank = {i: r for r, i in enumerate(order)}
    return [max(min(1.0, (m - rank[j]) * p[j]) for j in range(m) if rank[j] <= rank[i])
            for i in range(m)]


def test_holm_matches_a_hand_computed_example() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 → ×4, ×3, ×2, ×1 = 0.02, 0.03, 0.06, 0.04 → running max
    np.testing.assert_allclose(holm_adjust([0.01, 0.04, 0.03, 0.005]),
                               [0.03, 0.06, 0.06, 0.02])
    # capped at 1, NaN kept out of the family
    out = holm_adjust([0.5, math.nan, 0.4])
    np.testing.assert_allclose(out[[0, 2]], [0.8, 0.8])
    assert math.isnan(out[1])


def test_holm_matches_its_definition_on_random_families() -> None:
    rng = np.random.default_rng(7)
    for m in (1, 2, 5, 16):
        for _ in range(20):
            p = rng.uniform(0, 0.2, m).round(3).tolist()   # rounding makes ties
            np.testing.assert_allclose(holm_adjust(p), _holm_by_definition(p), rtol=1e-12)


def _kpi_rows(effects: dict[str, list[float]], scenario: str = "a.yaml") -> pd.DataFrame:
    """Store-like KPI rows: control = 10 per seed, treatment = 10 + effect[seed]."""
    rows = []
    for kpi, deltas in effects.items():
        for seed, d in enumerate(deltas):
            rows.append({"scenario": scenario, "policies": "", "without": "x:p", "seed": seed,
                         "name": kpi, "value": 10.0, "unit": "u"})
            rows.append({"scenario": scenario, "policies": "", "without": "", "seed": seed,
                         "name": kpi, "value": 10.0 + d, "unit": "u"})
    return pd.DataFrame(rows)


def test_secondary_kpis_are_holm_adjusted_and_primary_ones_are_not() -> None:
    # two KPIs with the same paired differences: significant as primary, Holm decides the other
    deltas = [-1.0, -1.3, -0.2, -0.9]
    kpis = _kpi_rows({"total_delay": deltas, "vehicle_km": deltas, "mode_share_walk":
                      [0.1, -0.1, 0.05, -0.05], "peak_load": [0.2, 0.1, -0.3, 0.0]})
    eff = effects_table(kpis, city_of={"a.yaml": "A"},
                        arms={"a.yaml": (("", "x:p"), ("", ""))},
                        designs={"a.yaml": "in_force"}, primary=("total_delay",)).set_index("kpi")
    assert eff.loc["total_delay", "role"] == "primary"
    assert eff.loc["total_delay", "significant"] == eff.loc["total_delay", "ci_excludes_zero"]
    assert eff.loc["total_delay", "p_adjusted"] == eff.loc["total_delay", "p_value"]
    secondary = eff[eff["role"] == "secondary"]
    np.testing.assert_allclose(secondary["p_adjusted"], holm_adjust(secondary["p_value"]))
    assert (secondary["significant"] == (secondary["p_adjusted"] < 0.05)).all()
    # the same raw p-value, adjusted for the 3 secondary KPIs: not significant as secondary
    assert eff.loc["vehicle_km", "p_value"] == pytest.approx(eff.loc["total_delay", "p_value"])
    assert eff.loc["vehicle_km", "p_adjusted"] > eff.loc["vehicle_km", "p_value"]
    assert eff.loc["total_delay", "design"] == "in_force"
    # control is the 'without' arm: the effect is with − without
    assert eff.loc["total_delay", "effect"] == pytest.approx(np.mean(deltas))


@pytest.mark.parametrize(("o", "o_sig", "t", "t_sig", "expected"), [
    (-1.0, True, -2.0, True, "same direction"),
    (1.0, True, 2.0, True, "same direction"),
    (-1.0, True, 2.0, True, "opposite"),
    (-1.0, True, -2.0, False, "inconclusive"),
    (-1.0, False, -2.0, True, "inconclusive"),
    (-1.0, False, 2.0, False, "inconclusive"),
    (0.0, True, 1.0, True, "inconclusive"),
])
def test_pairs_are_classified_without_over_claiming(o, o_sig, t, t_sig, expected) -> None:
    assert classify_pair(o, o_sig, t, t_sig) == expected


def _effects(city: str, kpi: str, effect: float, se: float, significant: bool) -> dict:
    return {"city": city, "kpi": kpi, "unit": "u", "n": 8, "baseline_mean": 10.0,
            "policy_mean": 10.0 + effect, "effect": effect, "effect_se": se,
            "ci_low": effect - 2.4 * se, "ci_high": effect + 2.4 * se,
            "rel_effect_pct": 10 * effect, "rel_ci_low_pct": 10 * (effect - 2.4 * se),
            "rel_ci_high_pct": 10 * (effect + 2.4 * se), "role": "secondary",
            "p_value": 0.01, "p_adjusted": 0.01, "significant": significant,
            "judgement": judge_effect(kpi, effect, significant=significant)}


def test_ratio_only_with_a_significant_home_effect_and_never_same_for_opposite() -> None:
    eff = pd.DataFrame([
        _effects("Home", "total_delay", -2.0, 0.1, True),
        _effects("Away", "total_delay", 1.0, 0.1, True),        # significant, opposite sign
        _effects("Home", "vehicle_km", -0.1, 0.5, False),       # no significant home effect
        _effects("Away", "vehicle_km", -3.0, 0.1, True),
        _effects("Home", "mode_share_car", -2.0, 0.1, True),
        _effects("Away", "mode_share_car", -1.0, 0.1, True),
    ])
    table = ratio_table(eff, "Home", "Away").set_index("kpi")
    assert table.loc["total_delay", "direction"] == "opposite"
    assert table.loc["total_delay", "ratio"] == pytest.approx(-0.5)
    assert table.loc["vehicle_km", "direction"] == "inconclusive"
    assert math.isnan(table.loc["vehicle_km", "ratio"])
    assert table.loc["vehicle_km", "ratio_note"] == "undefined: no significant home effect"
    assert table.loc["mode_share_car", "direction"] == "same direction"
    assert table.loc["mode_share_car", "ratio"] == pytest.approx(0.5)


def test_effects_are_good_or_bad_by_the_kpis_direction_not_by_sign() -> None:
    assert better_sign("total_delay") == -1 and better_sign("mode_share_transit") == 1
    assert judge_effect("total_delay", -1.0, significant=True) == "good"
    assert judge_effect("mode_share_transit", +0.01, significant=True) == "good"
    assert judge_effect("mode_share_transit", -0.01, significant=True) == "bad"
    assert judge_effect("co2_per_capita_total", +0.1, significant=True) == "bad"
    assert judge_effect("population", +5.0, significant=True) == "neutral"
    assert judge_effect("total_delay", -1.0, significant=False) == "n.s."
    matrix = pd.DataFrame({"total_delay": [-5.0, 3.0], "mode_share_transit": [-2.0, 4.0],
                           "person_trips_per_day": [1.0, 1.0]}, index=["A", "B"])
    sig = pd.DataFrame(True, index=matrix.index, columns=matrix.columns)
    sig.iloc[1, 1] = False
    good = goodness(matrix, sig)
    # a fall in delay and a rise in transit share are both positive (good); the direction-less
    # KPI and the non-significant cell are not coloured
    np.testing.assert_array_equal(good[:, 0], [5.0, -3.0])
    assert good[0, 1] == -2.0 and math.isnan(good[1, 1])
    assert np.isnan(good[:, 2]).all()
    fig = plot_heatmap(matrix, sig)
    shown = np.ma.filled(fig.axes[0].images[0].get_array(), np.nan)
    np.testing.assert_array_equal(np.isnan(shown), np.isnan(good))
    np.testing.assert_allclose(shown[~np.isnan(good)], good[~np.isnan(good)])
    assert fig.axes[0].images[0].get_cmap().name == "RdYlGn"   # green high = good
    assert set(JUDGEMENT_COLOURS) == {"good", "bad", "neutral", "n.s."}


def test_every_kpi_a_run_reports_has_a_direction_in_the_registry(tiny_path) -> None:
    from twincity.model import CityModel

    short = {"simulation.start_h": 7, "simulation.duration_h": 2,
             "simulation.equilibrium_days": 1}
    res = CityModel.from_file(tiny_path, overrides=short).run()
    names = {k.name for k in res.kpis}
    assert {"vehicle_km_central", "delay_central_peak"} <= names
    missing = names - set(CATALOGUE)
    assert not missing
    for k in res.kpis:
        assert CATALOGUE[k.name].unit == k.unit, k.name
        assert CATALOGUE[k.name].better in ("lower", "higher", "none")


def test_central_area_kpis_against_a_loop(tiny_path) -> None:
    from twincity.city.build import build_city
    from twincity.policies.base import central_node_mask
    from twincity.scenario.loader import load_scenario
    from twincity.traffic.kpis import central_area_kpis

    city = build_city(load_scenario(tiny_path))
    net = city.network
    rng = np.random.default_rng(3)
    n_iv = 96
    links = pd.DataFrame({"interval": np.repeat(np.arange(n_iv), net.n_links),
                          "start_s": np.repeat(np.arange(n_iv) * 900.0, net.n_links),
                          "link": np.tile(np.arange(net.n_links), n_iv)})
    links["outflow_veh"] = rng.poisson(2.0, len(links)).astype(float)
    links["mean_travel_time_s"] = np.where(
        links["outflow_veh"] > 0, net.free_flow_s[links["link"]] * rng.uniform(
            0.9, 2.0, len(links)), np.nan)
    got = {k.name: k.value for k in central_area_kpis(links, net, city.centre_xy_m,
                                                       sample_share=0.5, start_s=3600.0)}
    inside = central_node_mask(city, 0.1)
    vkm = delay = 0.0
    for r in links.itertuples():
        if not (inside[net.link_from[r.link]] and inside[net.link_to[r.link]]):
            continue
        vkm += r.outflow_veh * net.length_m[r.link] / 1000
        hour = (3600.0 + r.start_s) / 3600 % 24
        if r.outflow_veh > 0 and (7 <= hour < 10 or 17 <= hour < 20):
            delay += max(0.0, r.mean_travel_time_s - net.free_flow_s[r.link]) * r.outflow_veh
    assert got["vehicle_km_central"] == pytest.approx(vkm / 0.5)
    assert got["delay_central_peak"] == pytest.approx(delay / 3600 / 0.5)
    assert got["delay_central_peak"] > 0


def test_unconverged_runs_are_flagged() -> None:
    store = ResultStore(tempfile.mkdtemp())
    for rid, eq in (("a" * 16, {"converged": False, "relative_gap": 0.21}),
                    ("b" * 16, {"converged": True, "relative_gap": 0.01}), ("c" * 16, None)):
        store.write(RunOutput(run_id=rid, spec={"scenario": "s.yaml", "policies": [],
                                                "without": ["s:p"], "seed": 4},
                              scenario_hash="h", kpis=[], equilibrium=eq))
    assert store.record("a" * 16)["store_format"] == STORE_FORMAT == 4
    flags = convergence_flags(store, ["a" * 16, "b" * 16, "c" * 16])
    assert flags["run_id"].tolist() == ["a" * 16]
    assert flags["relative_gap"].tolist() == [0.21] and flags["without"].tolist() == ["s:p"]
    text = convergence_text(flags)
    assert "1 run(s)" in text and "converged" in text and "0.210" in text
    assert convergence_text(flags.iloc[:0]) == ""


def test_report_states_design_and_adjustment(tmp_path) -> None:
    """A transfer report built from constructed effects says how it was made."""
    from twincity.experiment.transfer import TransferResult

    eff = pd.DataFrame([
        {**_effects("Home", "mode_share_car", -2.0, 0.1, True), "role": "primary"},
        {**_effects("Away", "mode_share_car", 1.0, 0.1, True), "role": "primary"},
    ])
    ctx = pd.DataFrame({"unit": ["share"], "Home": [0.3], "Away": [0.5]},
                       index=pd.Index(["Car mode share"], name="indicator"))
    flags = pd.DataFrame([{"run_id": "x", "scenario": "a.yaml", "policies": "", "without": "",
                           "seed": 1, "relative_gap": 0.3, "city": "Away"}])
    r = TransferResult(policy="home:p", origin="Home", target="Away",
                       scenarios={"Home": "h.yaml", "Away": "a.yaml"}, seeds=[1, 2],
                       runs=pd.DataFrame(), effects=eff, context=ctx,
                       notes={"Home": "n1", "Away": "n2"}, designs={"Home": "in_force",
                                                                    "Away": "added"},
                       primary=["mode_share_car"], unconverged=flags)
    text = r.markdown()
    assert "with − without" in text and "--without home:p" in text
    assert "Holm" in text and "opposite" in text and "same direction" not in text.split(
        "## Reading")[1]
    assert "Warning: 1 run(s)" in text
