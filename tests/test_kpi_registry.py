"""Every KPI a run writes comes from the registry (twincity.kpi), with its unit, direction
and U4SSC code; the U4SSC codes are the indicators of ITU's collection.

The U4SSC names below are copied from *Collection Methodology for Key Performance
Indicators for Smart Sustainable Cities* (ITU, 2017) and the *U4SSC KPIs Verification
Manual* (ITU, 2022; Travel Time Index on p. 82): an independent statement of which
indicator each code is, so a typo in a code fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from twincity.kpi import CATALOGUE, make_kpi, report_kpis
from twincity.model import CityModel

#: Indicator number → U4SSC indicator name (ITU 2017 / 2022).
U4SSC_NAMES = {
    "EC: I: T: 4A": "Transportation Mode Share",
    "EC: I: T: 5A": "Travel Time Index",
    "EN: EN: AQ: 2C": "GHG Emissions",
    "EN: E: E: 1C": "Renewable Energy Consumption",
    "EN: E: E: 2C": "Electricity Consumption",
}
#: Which U4SSC indicator each of our KPIs reports (by its name's meaning).
EXPECTED = {"mode_share_car": "Transportation Mode Share",
            "mode_share_transit": "Transportation Mode Share",
            "mode_share_walk": "Transportation Mode Share",
            "mode_share_bike": "Transportation Mode Share",
            "travel_time_index": "Travel Time Index",
            "co2_per_capita_total": "GHG Emissions",
            "renewable_share": "Renewable Energy Consumption",
            "electricity_per_capita": "Electricity Consumption"}


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tiny = Path(__file__).resolve().parent / "data" / "tiny.yaml"
    model = CityModel.from_file(tiny, overrides={"simulation.start_h": 7,
                                                 "simulation.duration_h": 2})
    out = model.run().write(tmp_path_factory.mktemp("res") / "run")
    return json.loads((out / "summary.json").read_text())


def test_every_kpi_in_summary_json_comes_from_the_registry(summary: dict) -> None:
    records = summary["kpis"]
    assert len(records) >= 25
    for rec in records:
        d = CATALOGUE[rec["name"]]  # KeyError: a KPI outside the registry
        assert (rec["unit"], rec["u4ssc"], rec["better"]) == (d.unit, d.u4ssc, d.better)
    # the one registered KPI a fixed-intensity grid leaves out, said in the notes
    missing = set(CATALOGUE) - {r["name"] for r in records}
    assert missing == {"renewable_share"}
    assert any("renewable_share is not reported" in n for n in summary["notes"])


def test_u4ssc_codes_are_the_collection_s_indicators() -> None:
    coded = {n: d.u4ssc for n, d in CATALOGUE.items() if d.u4ssc is not None}
    assert {n: U4SSC_NAMES[c] for n, c in coded.items()} == EXPECTED
    for code in coded.values():
        assert re.fullmatch(r"(EC|EN|SC): [A-Z]+: [A-Z]+: \d+[CA]", code)
    # where ours is not the U4SSC quantity exactly, the registry says how
    assert CATALOGUE["travel_time_index"].u4ssc_note and CATALOGUE["mode_share_car"].u4ssc_note


def test_every_kpi_has_a_unit_a_direction_and_a_description() -> None:
    for d in CATALOGUE.values():
        assert d.unit and d.description.endswith(".") and d.better in ("lower", "higher", "none")


def test_an_unregistered_kpi_cannot_be_made() -> None:
    with pytest.raises(KeyError, match="not in the registry"):
        make_kpi("happiness_index", 1.0)


def test_reports_show_the_registry_s_report_kpis_in_order() -> None:
    assert report_kpis() == (
        "mode_share_car", "mode_share_transit", "mode_share_walk", "mode_share_bike",
        "person_trips_per_day", "vehicle_km", "vehicle_km_central", "travel_time_index",
        "total_delay", "delay_central_peak", "mean_commute_time", "co2_per_capita_transport",
        "co2_per_capita_buildings", "co2_per_capita_total", "electricity_per_capita",
        "peak_load", "nox_t_per_yr", "pm25_t_per_yr")
