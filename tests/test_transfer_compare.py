"""One policy across cities (``compare``): effect matrix, report, CLI.

Remote work has an analytic effect on the trip count: a share ``r`` of
commute trips is not made, so person trips fall by ``commute_share × r``
(0.4 × 0.2 = 8% in the tiny city), in every city and every seed (up to 2%: trips
are drawn as whole numbers per origin and destination).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from twincity.cli import main
from twincity.errors import InputError
from twincity.experiment.compare import compare, shipped_cities

TINY = Path(__file__).parent / "data" / "tiny.yaml"
FAST = {"simulation.duration_h": 12}


@pytest.fixture(scope="module")
def cities(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cities")
    a = yaml.safe_load(TINY.read_text())
    (folder / "a.yaml").write_text(yaml.safe_dump(a))
    b = yaml.safe_load(TINY.read_text())
    b["city"].update(name="Othertown", cars_per_1000=250)
    b["demand"]["commute_share"] = 0.3
    (folder / "b.yaml").write_text(yaml.safe_dump(b))
    return folder


@pytest.fixture(scope="module")
def result(cities: Path, tmp_path_factory: pytest.TempPathFactory):
    return compare("remote_work", seeds=3, scenarios_dir=cities,
                   store=tmp_path_factory.mktemp("store"), overrides=FAST)


def test_trip_count_falls_by_commute_share_times_remote_share(result) -> None:
    m = result.matrix()
    assert list(m.index) == ["Tinytown", "Othertown"]       # every scenario in the folder
    # each commute trip is dropped by its own keyed number: binomial, a few % around the share
    assert m.loc["Tinytown", "person_trips_per_day"] == pytest.approx(-100 * 0.4 * 0.2, rel=0.1)
    assert m.loc["Othertown", "person_trips_per_day"] == pytest.approx(-100 * 0.3 * 0.2, rel=0.1)
    # fewer trips: fewer vehicle-km on average in both cities, significantly where the
    # commute share (and so the cut) is larger
    assert (result.matrix("effect")["vehicle_km"] < 0).all()
    assert result.matrix("ci_high").loc["Tinytown", "vehicle_km"] < 0


def test_notes_and_report(result, tmp_path: Path) -> None:
    assert "2.50→2.30" in result.notes["Tinytown"]
    assert "2.50→2.35" in result.notes["Othertown"]
    out = result.write(tmp_path / "cmp")
    text = (out / "report.md").read_text()
    assert all((out / f).is_file() for f in ("heatmap.png", "runs.parquet", "effects.parquet"))
    assert "Tinytown" in text and "Othertown" in text and "2.50→2.30" in text
    assert len(result.plot().axes) == 2                      # heatmap and its colour bar


def test_unknown_city_and_policy_are_input_errors(cities: Path) -> None:
    with pytest.raises(InputError, match="no scenario for city 'atlantis'"):
        compare("remote_work", cities=["atlantis"], seeds=2, scenarios_dir=cities)
    res = CliRunner().invoke(main, ["compare", "nope", "--scenarios", str(cities)])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1


def test_cli_compare(result, cities: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(main, [
        "compare", "remote_work", "--seeds", "3", "--cities", "a,b", "--scenarios",
        str(cities), "--store", result.store, "--days", "1", "--set",
        "simulation.duration_h=12", "--out", str(tmp_path / "out"), "--quiet"])
    assert res.exit_code == 0, res.output
    assert "person_trips_per_day" in res.output and (tmp_path / "out" / "report.md").is_file()


def test_compare_default_cities_leave_out_variants(tmp_path: Path) -> None:
    """A variant written beside the cities (README's ``diff`` example) is not a city."""
    for name in ("b.yaml", "a.yaml"):
        (tmp_path / name).write_text(TINY.read_text())
    (tmp_path / "a_variant.yaml").write_text("extends: a.yaml\ndemand:\n  commute_share: 0.3\n")
    (tmp_path / "notes.txt").write_text("not a scenario")
    assert [p.name for p in shipped_cities(tmp_path)] == ["a.yaml", "b.yaml"]
