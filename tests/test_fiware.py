"""NGSI-LD export: entity structure (ids, types, @context, attribute shapes) and totals."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from twincity.export.fiware import ENTITY_TYPES, NGSI_LD_CORE, export_ngsi_ld
from twincity.model import CityModel

URN = re.compile(r"^urn:ngsi-ld:(?P<type>[A-Za-z]+):[A-Za-z0-9-]+:[A-Za-z0-9-]+$")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
CORE_KEYS = {"id", "type", "@context"}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = CityModel.from_file(Path(__file__).parent / "data" / "tiny.yaml")
    results = model.run()
    out = tmp_path_factory.mktemp("ngsi")
    counts = export_ngsi_ld(model, out, date="2025-03-12")
    data = {t: json.loads((out / f"{t}.jsonld").read_text()) for t in ENTITY_TYPES}
    return model, results, out, counts, data


def _check_attribute(name: str, attr: dict) -> None:
    assert isinstance(attr, dict), name
    kind = attr["type"]
    assert kind in {"Property", "GeoProperty", "Relationship"}, name
    if kind == "Relationship":
        assert URN.match(attr["object"]), name
        assert "value" not in attr
    else:
        assert "value" in attr and "object" not in attr, name
    if kind == "GeoProperty":
        geo = attr["value"]
        assert geo["type"] in {"Point", "LineString"}
        coords = np.asarray(geo["coordinates"], dtype=float).reshape(-1, 2)
        assert np.all(np.abs(coords[:, 0]) <= 180) and np.all(np.abs(coords[:, 1]) <= 90)


def test_entities_are_well_formed_ngsi_ld(exported) -> None:
    _, _, out, counts, data = exported
    for etype, entities in data.items():
        assert counts[etype] == len(entities) > 0
        ids = [e["id"] for e in entities]
        assert len(set(ids)) == len(ids), etype
        for e in entities:
            m = URN.match(e["id"])
            assert m and m["type"] == etype == e["type"]
            assert isinstance(e["@context"], list) and e["@context"][0] == NGSI_LD_CORE
            assert all(c.startswith("https://") for c in e["@context"])
            for key, attr in e.items():
                if key not in CORE_KEYS:
                    _check_attribute(key, attr)
    # nothing half-written is left behind
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.jsonld" for t in ENTITY_TYPES)


def test_traffic_flow_observed_matches_the_link_table(exported) -> None:
    model, results, _, _, data = exported
    share = model.city.spec.simulation.sample_share
    links = results.tables["links"]
    tfo = data["TrafficFlowObserved"]
    total = sum(e["intensity"]["value"] for e in tfo)
    assert total == pytest.approx(links["outflow_veh"].sum() / share, rel=1e-6)
    e = tfo[0]
    assert {"dateObservedFrom", "dateObservedTo", "averageVehicleSpeed", "location",
            "refRoadSegment"} <= set(e)
    start = e["dateObservedFrom"]["value"]["@value"]
    assert ISO.match(start) and start.startswith("2025-03-12T")
    assert e["dateObserved"]["value"] == f"{start}/{e['dateObservedTo']['value']['@value']}"
    assert e["averageVehicleSpeed"]["unitCode"] == "KMH"
    assert e["location"]["value"]["type"] == "LineString"
    # the tiny city sits at its scenario's coordinates
    lon, lat = np.asarray(e["location"]["value"]["coordinates"]).mean(axis=0)
    assert abs(lat - 36.5) < 0.05 and abs(lon - 127.3) < 0.05


def test_impact_and_air_quality_carry_the_emissions(exported) -> None:
    model, results, _, _, data = exported
    share = model.city.spec.simulation.sample_share
    links = results.tables["links"]
    co2_kg = links["co2_g"].sum() / share / 1000
    tei = data["TrafficEnvironmentImpact"]
    aqo = data["AirQualityObserved"]
    assert sum(e["co2Emission"]["value"] for e in tei) == pytest.approx(co2_kg, rel=1e-6)
    assert sum(e["co2Emission"]["value"] for e in aqo) == pytest.approx(co2_kg, rel=1e-6)
    nox_kg = links["nox_g"].sum() / share / 1000
    assert sum(e["noxEmission"]["value"] for e in aqo) == pytest.approx(nox_kg, rel=1e-6)
    tfo_ids = {e["id"] for e in data["TrafficFlowObserved"]}
    refs = [r["refTrafficFlowObserved"] for e in tei for r in e["traffic"]["value"]]
    assert refs and set(refs) == tfo_ids  # each observation is referenced by its zone-hour
    assert all(URN.match(r) for r in refs)
    for e in tei:
        assert ISO.match(e["dateObservedFrom"]["value"]["@value"])


def test_results_need_the_city(exported, tmp_path: Path) -> None:
    model, results, _, counts, _ = exported
    with pytest.raises(ValueError, match="city="):
        export_ngsi_ld(results, tmp_path)
    again = export_ngsi_ld(results, tmp_path, city=model.city, date="2025-03-12")
    assert again == counts


def test_kpi_entities_are_the_run_s_kpis_described_by_the_registry(exported) -> None:
    from twincity.kpi import CATALOGUE

    _, results, _, _, data = exported
    entities = {e["name"]["value"]: e for e in data["KeyPerformanceIndicator"]}
    finite = {k.name: k.value for k in results.kpis if np.isfinite(k.value)}
    assert set(entities) == set(finite)
    for name, e in entities.items():
        d = CATALOGUE[name]
        assert e["kpiValue"]["value"] == finite[name]
        assert (e["unitText"]["value"], e["betterDirection"]["value"]) == (d.unit, d.better)
        assert e.get("u4sscIndicator", {}).get("value") == d.u4ssc
