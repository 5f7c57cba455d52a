"""Policy transfer: paired effects, t-intervals, Fieller ratio, report, resume, Dask, CLI.

Two small fictional cities (copies of the tiny test city) in a temporary
scenario folder: the origin lists an all-day cordon toll of one hour of value
of time (a policy with a clear effect); the target has a lower value of time
and fewer cars. Runs are short (12 h; the tiny city equilibrates in a few days).
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from scipy import stats

import twincity
from twincity.cli import main
from twincity.errors import InputError
from twincity.experiment import RunSpec
from twincity.experiment.effects import fieller_ratio, paired_effect
from twincity.experiment.runners import plan
from twincity.experiment.transfer import transfer

TINY = Path(__file__).parent / "data" / "tiny.yaml"
FAST = {"simulation.duration_h": 12}
TOLL = {"name": "congestion_pricing", "label": "toll",
        "params": {"charge_vot_h": 1.0, "central_share": 0.3,
                   "periods": [{"start_h": 0, "end_h": 24}]}}
SEEDS = 6


def write_cities(folder: Path, charge_vot_h: float = 1.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    origin = yaml.safe_load(TINY.read_text())
    origin["policies"] = [{**TOLL, "params": {**TOLL["params"], "charge_vot_h": charge_vot_h}}]
    (folder / "origin.yaml").write_text(yaml.safe_dump(origin))
    target = yaml.safe_load(TINY.read_text())
    target["city"].update(name="Othertown", value_of_time_per_h=9000, cars_per_1000=250)
    (folder / "target.yaml").write_text(yaml.safe_dump(target))
    return folder


@pytest.fixture(scope="module")
def cities(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cities(tmp_path_factory.mktemp("cities"))


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("store")


@pytest.fixture(scope="module")
def result(cities: Path, store_dir: Path):
    return transfer("origin:toll", to="target", seeds=SEEDS, scenarios_dir=cities,
                    store=store_dir, overrides=FAST)


def _pairs(result, city: str, kpi: str) -> tuple[np.ndarray, np.ndarray]:
    """(without, with) per seed: at home the toll is in force and removed by ``without``.

    The city as it is in each pair is the control run beside the changed arm
    (``control_of`` names it), not the reference the plan came from.
    """
    runs = result.runs[(result.runs["city"] == city) & (result.runs["name"] == kpi)]
    arm = runs["policies"] + "|" + runs["without"] + "|" + runs["control_of"]
    wide = runs.assign(arm=arm).pivot_table(index="seed", columns="arm", values="value")
    if city == result.origin:
        return (wide[f"|{result.policy}|"].to_numpy(),
                wide[f"||{'|' + result.policy}"].to_numpy())
    return wide[f"||{result.policy}|"].to_numpy(), wide[f"{result.policy}||"].to_numpy()


def test_effect_cis_equal_scipy_t_intervals(result) -> None:
    for city in result.cities:
        for kpi in ("vehicle_km", "mode_share_car", "mean_commute_time"):
            base, pol = _pairs(result, city, kpi)
            d = pol - base
            assert len(d) == SEEDS                      # every seed paired
            lo, hi = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d))
            row = result.effects[(result.effects["city"] == city)
                                 & (result.effects["kpi"] == kpi)].iloc[0]
            assert row["effect"] == pytest.approx(d.mean(), rel=1e-12)
            assert (row["ci_low"], row["ci_high"]) == pytest.approx((lo, hi), rel=1e-9)
            assert row["rel_effect_pct"] == pytest.approx(100 * d.mean() / abs(base.mean()))


def test_the_toll_has_a_real_effect_in_both_cities(result) -> None:
    # sanity of the fixture: an all-day toll of 1 h of value of time lowers car use
    table = result.table.set_index("kpi")
    for side in ("origin", "target"):
        assert table.loc["vehicle_km", f"{side}_ci_high"] < 0
        assert table.loc["mode_share_car", f"{side}_ci_high"] < 0


def test_ratio_is_target_over_origin_with_fieller_bounds(result) -> None:
    t = stats.t.ppf(0.975, SEEDS - 1)
    for _, row in result.table.iterrows():
        if not row["origin_significant"]:
            # no significant home effect: no ratio
            assert math.isnan(row["ratio"]) and row["ratio_note"].startswith("undefined")
            continue
        assert row["ratio"] == pytest.approx(row["target_effect"] / row["origin_effect"])
        if not row["origin_ci_includes_zero"]:
            # the Fieller bounds solve (a − θb)² = t²(se_a² + θ²se_b²)
            a, b = row["target_effect"], row["origin_effect"]
            sa, sb = row["target_effect_se"], row["origin_effect_se"]
            for theta in (row["ratio_ci_low"], row["ratio_ci_high"]):
                assert (a - theta * b) ** 2 == pytest.approx(
                    t ** 2 * (sa ** 2 + theta ** 2 * sb ** 2), rel=1e-8, abs=1e-18)
            assert row["ratio_ci_low"] <= row["ratio"] <= row["ratio_ci_high"]


def test_fieller_is_unbounded_when_the_origin_effect_may_be_zero() -> None:
    assert fieller_ratio(1.0, 0.1, 0.1, 0.2, df=5) == (-math.inf, math.inf)
    lo, hi = fieller_ratio(1.0, 0.1, 2.0, 0.1, df=5)
    assert lo < 0.5 < hi


def test_paired_effect_with_no_spread_has_zero_width() -> None:
    e = paired_effect(np.array([1.0, 5.0, 9.0]), np.array([3.0, 7.0, 11.0]))
    assert (e.effect, e.ci_low, e.ci_high) == (2.0, 2.0, 2.0)


def test_cis_shrink_with_more_seeds(result, cities: Path, store_dir: Path) -> None:
    # the first 3 spawned seeds are the first 3 of the 6: no new runs
    few = transfer("origin:toll", to="target", seeds=3, scenarios_dir=cities,
                   store=store_dir, overrides=FAST)
    assert set(few.seeds) < set(result.seeds)
    both = few.effects.merge(result.effects, on=["city", "kpi"], suffixes=("_3", "_6"))
    both = both[both["ci_excludes_zero_6"]]
    width_3 = both["ci_high_3"] - both["ci_low_3"]
    width_6 = both["ci_high_6"] - both["ci_low_6"]
    assert len(both) >= 10
    # t(0.975, 2)/√3 ≈ 2.48 against t(0.975, 5)/√6 ≈ 1.05: about 2.4× narrower in
    # expectation; a 3-seed standard deviation is itself noisy, hence the margin
    assert float(np.median(width_6 / width_3)) < 0.75


def test_report_names_both_cities_and_the_adaptations(result, tmp_path: Path) -> None:
    out = result.write(tmp_path / "report")
    for name in ("report.md", "report.html", "effects.png", "ratio.png", "runs.parquet",
                 "effects.parquet", "transfer.parquet", "context.parquet", "meta.json"):
        assert (out / name).is_file(), name
    html = (out / "report.html").read_text()   # self-contained: both figures inlined
    assert html.count('src="data:image/png;base64,') == 2 and "<table>" in html
    text = (out / "report.md").read_text()
    assert "Tinytown" in text and "Othertown" in text
    # each city's toll is its own value of time: 15,000 and 9,000 KRW
    assert "15,000.00 KRW" in result.notes["Tinytown"]
    assert "9,000.00 KRW" in result.notes["Othertown"]
    for note in result.notes.values():
        assert note in text
    assert "Fieller" in text
    ctx = result.context
    assert ctx.loc["Car ownership", "Othertown"] == 250
    assert ctx.loc["Value of time", "Tinytown"] == pytest.approx(15000 / 830)
    fig = result.plot()
    # one effects row per KPI (each on its own scale), then the ratio panel
    assert len(fig.axes) == result.effects["kpi"].nunique() + 1
    assert fig.axes[-1].get_title() == "transferability ratio"
    # writing again replaces the folder whole
    assert result.write(tmp_path / "report") == out and not list(tmp_path.glob(".report*"))


def test_resume_skips_finished_runs(result, cities: Path, store_dir: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import twincity.experiment.runners as runners

    def refuse(*args, **kwargs):
        raise AssertionError("a finished run was executed again")

    monkeypatch.setattr(runners, "run_task", refuse)
    again = transfer("origin:toll", to="target", seeds=SEEDS, scenarios_dir=cities,
                     store=store_dir, overrides=FAST)
    assert again.table.equals(result.table)


@pytest.mark.dask
def test_serial_equals_dask(result, cities: Path, store_dir: Path, tmp_path: Path) -> None:
    kwargs = {"to": "target", "seeds": 2, "scenarios_dir": cities, "overrides": FAST}
    # the serial side: the first 2 spawned seeds are the first 2 of the module's 6, which
    # ``result`` ran in this process (no new runs); the Dask side runs them again, in a
    # fresh store on a 2-worker LocalCluster
    serial = transfer("origin:toll", store=store_dir, **kwargs)
    dask = transfer("origin:toll", store=tmp_path / "dask", workers=2, **kwargs)
    cols = ["city", "kpi", "effect", "ci_low", "ci_high"]
    assert serial.effects[cols].equals(dask.effects[cols])


def test_run_id_follows_the_origin_policy_parameters(tmp_path: Path) -> None:
    folder = write_cities(tmp_path / "cities")
    target = str(folder / "target.yaml")

    def ids() -> tuple[str, str]:
        runs = plan([RunSpec(target, policies=("origin:toll",), seed=1, overrides=FAST),
                     RunSpec(target, seed=1, overrides=FAST)])
        return runs[0].run_id, runs[1].run_id

    before = ids()
    write_cities(folder, charge_vot_h=2.0)      # only the origin's policy changes
    after = ids()
    assert before[0] != after[0]                # the policy run is a new run
    assert before[1] == after[1]                # the target's baseline is unchanged


def test_unknown_policy_exits_2_with_one_line(cities: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["transfer", "no_such_policy", "--to", "target",
                                    "--scenarios", str(cities), "--store", str(tmp_path)])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and "unknown policy 'no_such_policy'" in lines[0]
    res = CliRunner().invoke(main, ["transfer", "origin:nothing", "--to", "target",
                                    "--scenarios", str(cities), "--store", str(tmp_path)])
    assert res.exit_code == 2 and "has no policy 'nothing'" in res.output


def test_same_city_and_missing_origin_are_input_errors(cities: Path) -> None:
    with pytest.raises(InputError, match="two different cities"):
        transfer("origin:toll", to="origin", seeds=2, scenarios_dir=cities)
    with pytest.raises(InputError, match="names no origin city"):
        transfer("remote_work", to="target", seeds=2, scenarios_dir=cities)


def test_cli_writes_the_report(result, cities: Path, store_dir: Path, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    # the module's runs (``result``, same seeds and overrides) come from the store: the
    # command line is what is tested here (``--days`` of transfer runs in
    # test_readme_run.py and test_help_examples.py)
    import twincity.experiment.runners as runners

    def refuse(*args, **kwargs):
        raise AssertionError("the command line ran a run the module's store holds")

    monkeypatch.setattr(runners, "run_task", refuse)
    out = tmp_path / "cli-report"
    res = CliRunner().invoke(main, [
        "transfer", "origin:toll", "--to", "target", "--seeds", str(SEEDS), "--scenarios",
        str(cities), "--store", str(store_dir), "--set",
        "simulation.duration_h=12", "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    assert (out / "report.md").is_file() and "vehicle_km" in res.output


def test_import_twincity_is_light_and_transfer_is_lazy() -> None:
    code = ("import sys, twincity; assert 'numba' not in sys.modules; "
            "assert twincity.transfer.__module__ == 'twincity.experiment.transfer'")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert twincity.transfer is transfer
    with pytest.raises(AttributeError):
        twincity.no_such_thing  # noqa: B018
