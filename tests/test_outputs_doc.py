"""docs/outputs.md documents every column of every table a run writes, and only those."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from twincity.model import CityModel
from twincity.results import Results

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny.yaml"


def documented() -> dict[str, list[str]]:
    """Table name → documented column names (families like ``gen_<fuel>_kwh`` kept as is)."""
    tables: dict[str, list[str]] = {}
    current = None
    for line in (ROOT / "docs" / "outputs.md").read_text().splitlines():
        m = re.match(r"^## `(\w+)\.parquet`", line)
        if m:
            current = tables.setdefault(m.group(1), [])
            continue
        m = re.match(r"^\| `([^`]+)` \|", line)
        if m and current is not None:
            current.append(m.group(1))
    return tables


def _matches(column: str, doc: str) -> bool:
    if "<" not in doc:
        return column == doc
    pattern = re.escape(doc).replace(re.escape("<fuel>"), r"[a-z0-9_]+")
    return re.fullmatch(pattern, column) is not None


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Results:
    model = CityModel.from_file(TINY, policies=["transit_service"], progress=False)
    out = model.run(progress=False).write(tmp_path_factory.mktemp("run") / "r")
    return Results.read(out)


def test_every_written_column_is_documented_and_every_documented_one_written(written):
    docs = documented()
    assert set(written.tables) <= set(docs), set(written.tables) - set(docs)
    for name, table in written.tables.items():
        cols = list(table.columns)
        undocumented = [c for c in cols if not any(_matches(c, d) for d in docs[name])]
        assert not undocumented, f"{name}.parquet: {undocumented} missing from docs/outputs.md"
        stale = [d for d in docs[name] if not any(_matches(c, d) for c in cols)]
        assert not stale, f"{name}.parquet: {stale} documented but not written"


def test_maps_tables_place_a_synthetic_city_at_its_centre_and_join_links(written):
    net, zones = written.tables["network"], written.tables["zones"]
    # the tiny city is placed at its scenario coordinates (36.5 N, 127.3 E), a few km across
    for col, centre in (("from_lat", 36.5), ("from_lon", 127.3), ("centroid_lat", 36.5)):
        values = (net if col in net else zones)[col]
        assert abs(values.mean() - centre) < 0.05
    assert set(written.tables["links"]["link"]) <= set(net["link"])
    # the WKT line holds the same end coordinates as the columns
    first = net.iloc[0]
    nums = [float(v) for v in re.findall(r"-?\d+\.\d+", first["geometry_wkt"])]
    assert np.allclose(nums, [first.from_lon, first.from_lat, first.to_lon, first.to_lat],
                       atol=1e-7)
    # expansion factor: 1 / sample share; expanded trips give the city's daily trips
    share = written.scenario["simulation"]["sample_share"]
    trips = written.tables["trips"]
    assert np.allclose(trips["expansion_factor"], 1.0 / share)
    people = trips[trips["purpose"] != "freight"]
    assert people["expansion_factor"].sum() == pytest.approx(
        written.kpi("person_trips_per_day"), rel=0.02)
