"""Mesa conventions: the last step finishes the model and ``mesa.batch_run`` returns every KPI,
with the values ``twincity run`` reports for the same seed."""

from __future__ import annotations

import json
import math
from pathlib import Path

import mesa
from click.testing import CliRunner

from twincity.cli import main
from twincity.kpi import CATALOGUE
from twincity.model import CityModel

FAST = {"simulation.duration_h": 2, "simulation.equilibrium_days": 1}


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def test_batch_run_returns_the_kpis_of_twincity_run(tiny_path: Path, tmp_path: Path) -> None:
    # Mesa 3 passes seeds through ``rng`` (it overwrites a "seed" parameter with them)
    rows = mesa.batch_run(CityModel, {"city": str(tiny_path), "overrides": [FAST]},
                          rng=[1, 2], number_processes=1, data_collection_period=-1,
                          max_steps=1000, display_progress=False)
    assert [r["seed"] for r in rows] == [1, 2]
    by_seed = {r["seed"]: r for r in rows}
    # seed 1 against the command line, as a user would run it
    out = tmp_path / "cli"
    sets = [a for k, v in FAST.items() for a in ("--set", f"{k}={v}")]
    res = CliRunner().invoke(main, ["run", str(tiny_path), "--seed", "1", "--out", str(out),
                                    "--quiet", *sets])
    assert res.exit_code == 0, res.output
    cli = {k["name"]: (math.nan if k["value"] is None else k["value"])
           for k in json.loads((out / "summary.json").read_text())["kpis"]}
    assert set(cli) <= set(CATALOGUE)
    for name, value in cli.items():
        assert _same(by_seed[1][name], value), name
    # seed 2 against a model run directly; the seeds give different days
    model = CityModel(str(tiny_path), seed=2, overrides=FAST)
    direct = {k.name: k.value for k in model.run().kpis}
    for name, value in direct.items():
        assert _same(by_seed[2][name], value), name
    assert by_seed[1]["vehicle_km"] != by_seed[2]["vehicle_km"]
    # the row is the last step's: the model stopped by itself at the end of the span
    assert by_seed[2]["Step"] == model.steps
    assert by_seed[2]["time_s"] == model.end_s


def test_last_step_finishes_the_model_once(tiny_path: Path) -> None:
    model = CityModel(str(tiny_path), seed=3, overrides=FAST)
    n = model.n_steps
    for _ in range(n - 1):
        model.step()
        assert model.running and model.final_kpis == {}
    model.step()
    assert not model.running and model.final_kpis
    # KPI reporters are NaN until the end, then the KPIs; observables keep their own table
    frame = model.datacollector.get_model_vars_dataframe()
    assert math.isnan(frame["vehicle_km"].iloc[0])
    assert frame["vehicle_km"].iloc[-1] == model.final_kpis["vehicle_km"] > 0
    assert "vehicle_km" not in model.observations_table()
    before = dict(model.final_kpis)
    results = model.run()              # nothing left to run; finishing again changes nothing
    assert model.final_kpis == before
    assert {k.name: k.value for k in results.kpis}.keys() == before.keys()
