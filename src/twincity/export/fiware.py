"""Export of a run as FIWARE Smart Data Models in NGSI-LD (normalized) JSON.

Four entity types, each written as one JSON array (an NGSI-LD batch) per file in
``out_dir``, atomically:

* ``TrafficFlowObserved.jsonld`` (dataModel.Transportation) — one entity per road link
  and reporting interval with traffic: ``intensity`` (vehicles leaving the link in the
  interval, city scale: counts ÷ sample share), ``averageVehicleSpeed`` (km/h,
  ``unitCode`` KMH), ``congested`` (mean speed below half the free-flow speed),
  ``dateObservedFrom``/``dateObservedTo``/``dateObserved`` (ISO 8601 interval),
  ``location`` (GeoProperty LineString of the link) and ``refRoadSegment``
  (Relationship to ``urn:ngsi-ld:RoadSegment:<city>:link-<k>``).
* ``AirQualityObserved.jsonld`` (dataModel.Environment) — one entity per zone and hour
  of the traffic day, located at the zone centre (no ``temperature``: the traffic day
  stands for every representative weather day). twincity has no dispersion
  model, so the specification's concentration attributes (``NO2``, ``NOx``, ``pm25``,
  µg/m³) are **not** filled; the road traffic *emissions* of the zone's links in that
  hour are given as extension properties ``noxEmission``, ``pm25Emission`` and
  ``co2Emission`` (kg in the hour, ``unitCode`` KGM).
* ``TrafficEnvironmentImpact.jsonld`` (dataModel.Environment) — one entity per zone and
  hour: ``dateObservedFrom``/``dateObservedTo``, ``co2Emission`` (kg, extension: the
  specification's ``co2`` is a concentration in mg/L, which we do not model) and
  ``traffic``: ``[{vehicleClass: "all", refTrafficFlowObserved: <id>}, …]`` naming that
  zone's TrafficFlowObserved entities of the hour.
* ``KeyPerformanceIndicator.jsonld`` (dataModel.KeyPerformanceIndicator) — one entity per
  KPI of the run with a value, described by the KPI registry (:mod:`twincity.kpi`):
  ``name``, ``description``, ``kpiValue``, ``category`` (quantitative),
  ``calculationMethod`` (automatic), ``calculationPeriod`` (the simulated day),
  ``process``, ``area`` (the city); extension properties ``unitText`` (the registry's
  unit), ``betterDirection`` (lower/higher/none) and, where one exists,
  ``u4sscIndicator`` (the ITU U4SSC indicator number). KPIs without a value (NaN) are
  left out.

Ids are ``urn:ngsi-ld:<Type>:<city>:<local id>``; every entity carries ``@context``
(the NGSI-LD core context and the data model's context). Times are local standard
time of the city on ``date`` (the simulated weekday has no calendar date; pass one).
Coordinates: network metres are mapped to WGS84 about the city's latitude/longitude
taken as the network centre (a local equirectangular map with the WGS84 radii of
curvature); for generated networks this places the city, it does not survey it.

Example:
    >>> from twincity.model import CityModel                                # doctest: +SKIP
    >>> m = CityModel.from_file("tests/data/tiny.yaml"); m.run()              # doctest: +SKIP
    >>> export_ngsi_ld(m, "out/ngsi")["TrafficFlowObserved"] > 0             # doctest: +SKIP
    True
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from twincity.city.geo import radii_of_curvature_m
from twincity.ioutil import atomic_write_text

NGSI_LD_CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"
TRANSPORTATION_CONTEXT = (
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Transportation/master/"
    "context.jsonld")
ENVIRONMENT_CONTEXT = (
    "https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/"
    "context.jsonld")
#: A link counts as congested below this share of its free-flow speed (as the traffic KPIs).
CONGESTED_SPEED_SHARE = 0.5
KPI_CONTEXT = (
    "https://raw.githubusercontent.com/smart-data-models/dataModel.KeyPerformanceIndicator/"
    "master/context.jsonld")
ENTITY_TYPES = ("TrafficFlowObserved", "AirQualityObserved", "TrafficEnvironmentImpact",
                "KeyPerformanceIndicator")


def slug(text: str) -> str:
    """A URN-safe name: letters, digits and hyphens.

    >>> slug("São Paulo (centre)")
    'S-o-Paulo-centre'
    """
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-") or "city"


def urn(entity_type: str, city: str, local_id: str) -> str:
    """``urn:ngsi-ld:<type>:<city>:<local id>``.

    >>> urn("TrafficFlowObserved", "Tinytown", "link-3-t0900")
    'urn:ngsi-ld:TrafficFlowObserved:Tinytown:link-3-t0900'
    """
    return f"urn:ngsi-ld:{entity_type}:{slug(city)}:{local_id}"


def prop(value: Any, unit_code: str | None = None) -> dict[str, Any]:
    """An NGSI-LD Property (``unitCode`` is a UN/CEFACT common code)."""
    out: dict[str, Any] = {"type": "Property", "value": value}
    if unit_code is not None:
        out["unitCode"] = unit_code
    return out


def date_prop(value: str) -> dict[str, Any]:
    """An NGSI-LD Property holding a DateTime value."""
    return {"type": "Property", "value": {"@type": "DateTime", "@value": value}}


def rel(target: str) -> dict[str, Any]:
    """An NGSI-LD Relationship to entity ``target``."""
    return {"type": "Relationship", "object": target}


def to_lonlat(x_m: np.ndarray, y_m: np.ndarray, centre_xy_m: tuple[float, float],
              lon0_deg: float, lat0_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Local metres → WGS84 degrees about (lon0, lat0) at the network centre.

    >>> lon, lat = to_lonlat(np.array([0.0]), np.array([1113.0]), (0.0, 0.0), 13.4, 52.5)
    >>> round(float(lat[0]), 3)
    52.51
    """
    m, n = radii_of_curvature_m(lat0_deg)
    lat = lat0_deg + np.degrees((np.asarray(y_m) - centre_xy_m[1]) / m)
    lon = lon0_deg + np.degrees((np.asarray(x_m) - centre_xy_m[0])
                                / (n * np.cos(np.radians(lat0_deg))))
    return lon, lat


def export_ngsi_ld(source, out_dir: str | Path, *, city=None, date: str = "2025-01-15",
                   ) -> dict[str, int]:
    """Write the four entity files for a finished run; returns entity counts by type.

    ``source`` is a run :class:`~twincity.model.CityModel` (its city is used), or a
    :class:`~twincity.results.Results` together with ``city=`` (the built city of the
    same scenario, for geometry and zones). ``date`` (YYYY-MM-DD) dates the simulated day.
    """
    from twincity.energy.subsystem import standard_utc_offset_h
    from twincity.results import Results

    if isinstance(source, Results):
        if city is None:
            raise ValueError("export_ngsi_ld(results, ...) needs city= (the built city)")
        links = source.tables["links"]
        kpis = source.kpis
    else:
        city = source.city
        links = source.traffic.tables()["links"]
        kpis = source.kpis()
    spec = city.spec
    name = spec.city.name
    share = spec.simulation.sample_share
    tz = timezone(timedelta(hours=standard_utc_offset_h(spec.city.timezone)))
    day0 = datetime.fromisoformat(date).replace(tzinfo=tz)
    t0 = spec.simulation.start_s
    interval_s = spec.simulation.interval_s
    net = city.network
    lon, lat = to_lonlat(net.node_x_m, net.node_y_m, city.centre_xy_m,
                         spec.city.longitude_deg, spec.city.latitude_deg)

    def stamp(seconds: float) -> str:
        return (day0 + timedelta(seconds=float(seconds))).isoformat()

    seen = links[links["outflow_veh"] > 0]
    tfo_ids: list[str] = []
    tfo: list[dict[str, Any]] = []
    free_kmh = net.speed_mps * 3.6
    for rec in seen.to_dict("records"):  # one entity per record: this is serialisation
        k = int(rec["link"])
        start = t0 + float(rec["start_s"])
        end = start + interval_s
        eid = urn("TrafficFlowObserved", name, f"link-{k}-t{round(start)}")
        speed_kmh = float(rec["mean_speed_mps"]) * 3.6
        a, b = int(net.link_from[k]), int(net.link_to[k])
        tfo_ids.append(eid)
        tfo.append({
            "id": eid, "type": "TrafficFlowObserved",
            "dateObserved": prop(f"{stamp(start)}/{stamp(end)}"),
            "dateObservedFrom": date_prop(stamp(start)),
            "dateObservedTo": date_prop(stamp(end)),
            "intensity": prop(round(float(rec["outflow_veh"]) / share, 3)),
            "averageVehicleSpeed": prop(round(speed_kmh, 3), "KMH"),
            "congested": prop(bool(speed_kmh < CONGESTED_SPEED_SHARE * free_kmh[k])),
            "location": {"type": "GeoProperty", "value": {
                "type": "LineString",
                "coordinates": [[float(lon[a]), float(lat[a])], [float(lon[b]), float(lat[b])]]}},
            "refRoadSegment": rel(urn("RoadSegment", name, f"link-{k}")),
            "@context": [NGSI_LD_CORE, TRANSPORTATION_CONTEXT],
        })

    # Emissions per zone (of the link's upstream node) and hour.
    zones = city.zones
    link_zone = zones.node_zone[net.link_from]
    hour = ((t0 + links["start_s"].to_numpy()) // 3600).astype(np.int64)
    frame = pd.DataFrame({"zone": link_zone[links["link"].to_numpy()], "hour": hour})
    for col in ("co2_g", "nox_g", "pm25_exhaust_g", "pm25_nonexhaust_g"):
        frame[col] = links[col].to_numpy(dtype=np.float64) / share / 1000.0  # kg, city scale
    per = frame.groupby(["zone", "hour"], sort=True).sum()
    seen_zone = link_zone[seen["link"].to_numpy()]
    seen_hour = ((t0 + seen["start_s"].to_numpy()) // 3600).astype(np.int64)
    refs: dict[tuple[int, int], list[str]] = {}
    for eid, z, h in zip(tfo_ids, seen_zone, seen_hour, strict=True):
        refs.setdefault((int(z), int(h)), []).append(eid)
    zlon, zlat = to_lonlat(zones.x_m, zones.y_m, city.centre_xy_m,
                           spec.city.longitude_deg, spec.city.latitude_deg)
    aqo: list[dict[str, Any]] = []
    tei: list[dict[str, Any]] = []
    for (z, h), row in per.iterrows():  # zones × hours: a few thousand entities
        z, h = int(z), int(h)
        start, end = stamp(h * 3600.0), stamp((h + 1) * 3600.0)
        point = {"type": "GeoProperty", "value": {
            "type": "Point", "coordinates": [float(zlon[z]), float(zlat[z])]}}
        local = f"{slug(zones.name[z])}-h{h:02d}"
        pm25 = float(row["pm25_exhaust_g"] + row["pm25_nonexhaust_g"])
        aqo.append({
            "id": urn("AirQualityObserved", name, local), "type": "AirQualityObserved",
            "dateObserved": prop(f"{start}/{end}"),
            "areaServed": prop(zones.name[z]),
            "typeOfLocation": prop("outdoor"),
            "location": point,
            "noxEmission": prop(float(row["nox_g"]), "KGM"),
            "pm25Emission": prop(pm25, "KGM"),
            "co2Emission": prop(float(row["co2_g"]), "KGM"),
            "@context": [NGSI_LD_CORE, ENVIRONMENT_CONTEXT],
        })
        tei.append({
            "id": urn("TrafficEnvironmentImpact", name, local),
            "type": "TrafficEnvironmentImpact",
            "dateObservedFrom": date_prop(start),
            "dateObservedTo": date_prop(end),
            "location": point,
            "co2Emission": prop(float(row["co2_g"]), "KGM"),
            "traffic": prop([{"vehicleClass": "all", "refTrafficFlowObserved": r}
                             for r in refs.get((z, h), [])]),
            "@context": [NGSI_LD_CORE, ENVIRONMENT_CONTEXT],
        })
    kpi_entities = kpi_entities_ngsi_ld(kpis, name, date)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for etype, entities in zip(ENTITY_TYPES, (tfo, aqo, tei, kpi_entities), strict=True):
        atomic_write_text(out / f"{etype}.jsonld", json.dumps(entities, separators=(",", ":")))
        counts[etype] = len(entities)
    return counts


def kpi_entities_ngsi_ld(kpis, city_name: str, date: str) -> list[dict[str, Any]]:
    """KeyPerformanceIndicator entities of a run's KPIs, described by the KPI registry.

    >>> from twincity.kpi import make_kpi
    >>> e = kpi_entities_ngsi_ld([make_kpi("travel_time_index", 1.2)], "Tinytown",
    ...                          "2025-01-15")[0]
    >>> e["id"], e["kpiValue"]["value"], e["u4sscIndicator"]["value"]
    ('urn:ngsi-ld:KeyPerformanceIndicator:Tinytown:travel-time-index', 1.2, 'EC: I: T: 5A')
    """
    from twincity.kpi import CATALOGUE

    out = []
    for k in kpis:
        if not math.isfinite(k.value):
            continue
        d = CATALOGUE[k.name]
        entity: dict[str, Any] = {
            "id": urn("KeyPerformanceIndicator", city_name, slug(k.name)),
            "type": "KeyPerformanceIndicator",
            "name": prop(k.name),
            "description": prop(d.description),
            "kpiValue": prop(float(k.value)),
            "unitText": prop(d.unit),
            "betterDirection": prop(d.better),
            "category": prop(["quantitative"]),
            "calculationMethod": prop("automatic"),
            "calculationPeriod": prop({"from": date, "to": date}),
            "process": prop("twincity simulation of one day of the city"),
            "area": prop(city_name),
            "@context": [NGSI_LD_CORE, KPI_CONTEXT],
        }
        if d.u4ssc is not None:
            entity["u4sscIndicator"] = prop(d.u4ssc)
        out.append(entity)
    return out
