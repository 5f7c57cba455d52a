"""Counts keyed by OpenStreetMap way id and direction, on the shipped helsinki_centre (real
OSM roads): a hand-built counts file lands on the links whose OSM ways and headings are
read off ``scenarios/helsinki_centre/network.geojson`` by hand, gives the same figures as
the same counts keyed by link, and bad way ids get one line naming file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from twincity.cli import main
from twincity.counts import read_counts

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "helsinki_centre" / "helsinki_centre.yaml"

#: Hand-built from network.geojson (OSM ways © OpenStreetMap contributors, ODbL 1.0):
#: way 17000361 is one-way, heading SSW (203°) on link 5; way 4243036 is two-way and
#: runs over three links each way (forward 0, 182, 236; backward 1, 181, 237), so its
#: rows give the site: the point 24.94950 E 60.16745 N lies on links 0 and 1.
COUNTS = """\
# hand-built: OSM ways of scenarios/helsinki_centre, counts invented for the test
osm_way_id,direction,lon,lat,hour,count,site
17000361,forward,,,7,300,one-way way by OSM direction
17000361,SW,,,8,280,one-way way by compass point
4243036,backward,24.94950,60.16745,7,120,two-way way over several links: the site picks
4243036,S,24.94950,60.16745,8,130,compass point: the forward direction heads 177 deg
4243036,northbound,24.94950,60.16745,8,90,the backward direction heads 357 deg
"""
EXPECTED_LINKS = [5, 5, 1, 0, 1]


@pytest.fixture(scope="module")
def network() -> pd.DataFrame:
    from twincity.city.build import build_city
    from twincity.city.maps import network_table
    from twincity.scenario.loader import load_scenario

    return network_table(build_city(load_scenario(SCENARIO)))


def test_the_shipped_network_names_its_osm_ways(network: pd.DataFrame) -> None:
    geo = json.loads((SCENARIO.parent / "network.geojson").read_text())["features"]
    assert [f["properties"]["osm_ways"] for f in geo] == network["osm_ways"].tolist()
    assert network["osm_ways"].notna().all()
    assert network.loc[5, "osm_ways"] == "17000361+"
    assert network.loc[[0, 1], "osm_ways"].tolist() == ["4243036+", "4243036-"]


def test_hand_built_counts_by_osm_way_land_on_their_links(network, tmp_path) -> None:
    path = tmp_path / "counts.csv"
    path.write_text(COUNTS)
    read = read_counts(path, network=network)
    assert read["link"].tolist() == EXPECTED_LINKS
    assert read["site"].iloc[0] == "one-way way by OSM direction"        # other columns kept
    assert np.isnan(read["snap_m"].iloc[:2]).all()                       # no site given
    assert (read["snap_m"].iloc[2:] < 3.0).all()                         # on the road's line


BAD = {
    "osm_way_id,direction,hour,count\n17000361,forward,7,1\n99,forward,7,1\n":
        ("3", "osm_way_id", "no link of the network follows OSM way 99"),
    "osm_way_id,direction,hour,count\nway17,forward,7,1\n":
        ("2", "osm_way_id", "expected a number"),
    "osm_way_id,direction,hour,count\n17000361.5,forward,7,1\n":
        ("2", "osm_way_id", "whole number"),
    "osm_way_id,direction,hour,count\n17000361,backward,7,1\n":
        ("2", "direction", "one-way"),
    "osm_way_id,direction,hour,count\n17000361,NE,7,1\n":
        ("2", "direction", "heads NE"),
    "osm_way_id,direction,hour,count\n17000361,sideways,7,1\n":
        ("2", "direction", "forward, backward"),
    "osm_way_id,direction,hour,count\n4243036,forward,7,1\n":
        ("2", "osm_way_id", "over 3 links (0, 182, 236)"),
    "osm_way_id,direction,lon,lat,hour,count\n4243036,forward,24.9400,60.1700,7,1\n":
        ("2", "lon", "from OSM way 4243036"),
}


@pytest.mark.parametrize("text", list(BAD))
def test_bad_osm_way_rows_get_one_line_naming_file_line_and_field(text, network, tmp_path):
    from twincity.errors import InputError

    line, field, words = BAD[text]
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InputError) as err:
        read_counts(path, network=network)
    message = str(err.value)
    assert "\n" not in message and f"bad.csv:{line}" in message, message
    assert field in message and words in message, message


def test_way_counts_need_a_network_read_from_osm(tmp_path) -> None:
    from twincity.city.build import build_city
    from twincity.city.maps import network_table
    from twincity.errors import InputError
    from twincity.scenario.loader import load_scenario

    synthetic = network_table(build_city(load_scenario(ROOT / "tests" / "data" / "tiny.yaml")))
    assert synthetic["osm_ways"].isna().all()
    path = tmp_path / "c.csv"
    path.write_text("osm_way_id,direction,hour,count\n17000361,forward,7,1\n")
    with pytest.raises(InputError, match="no OSM way ids"):
        read_counts(path, network=synthetic)


def test_validate_counts_by_way_equals_by_link_on_a_helsinki_run(tmp_path) -> None:
    """The same counts keyed by OSM way and by link give the same figures on a real run."""
    out = tmp_path / "run"
    sets = {"simulation.start_h": 7, "simulation.duration_h": 2, "simulation.sample_share": 0.2,
            "simulation.equilibrium_days": 1, "simulation.interval_min": 30}
    args = ["run", str(SCENARIO), "--out", str(out), "--quiet", "--seed", "3",
            *[a for k, v in sets.items() for a in ("--set", f"{k}={v}")]]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    by_way = tmp_path / "by_way.csv"
    by_way.write_text(COUNTS)
    by_link = tmp_path / "by_link.csv"
    frame = pd.read_csv(by_way, comment="#")
    frame.drop(columns=["osm_way_id", "direction", "lon", "lat"]).assign(
        link=EXPECTED_LINKS).to_csv(by_link, index=False)
    summaries = []
    for path in (by_way, by_link):
        res = CliRunner().invoke(main, ["validate-counts", str(out), str(path), "--json"])
        assert res.exit_code == 0, res.output
        summaries.append(json.loads(res.stdout)[0])
    assert summaries[0] == summaries[1]
    assert summaries[0]["link_hours"] == 5 and summaries[0]["links"] == 3
