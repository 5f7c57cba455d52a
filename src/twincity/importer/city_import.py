"""``twincity import``: a scenario folder from real data (roads, zones, GTFS) and a template.

What it does, in order (every step is reported in the folder's ``README.md``):

1. reads the road network (:func:`~twincity.importer.sources.read_roads`), the zone
   polygons or population grid (:func:`~twincity.importer.sources.read_zones`) and,
   if given, the GTFS feed's patterns of one service day (:mod:`twincity.traffic.gtfs`);
2. clips all three to the intersection of their lon/lat boxes
   (:mod:`twincity.importer.clip`): links with both ends inside, zones whose
   representative point is inside, each transit pattern's longest run of stops inside;
3. simplifies the roads (:func:`~twincity.city.simplify.simplify_network`: largest
   strongly connected component, dead ends, slivers, degree-2 chains);
4. gives each zone jobs from ``jobs_field`` or, without one, by a documented proxy:
   the total (``jobs_total``, default the zones' residents) shared in proportion to
   the scheduled transit departures from stops inside the zone (or to residents
   without a feed);
5. copies the rest of the scenario (demand, fleet, climate, buildings, grid,
   charging, policies, simulation) from a template scenario, marked for editing;
   the template's policies are copied with ``in_force: false``;
6. writes ``<name>.yaml``, ``network.graphml`` (metres about ``network.origin_*``),
   ``network.geojson`` (link polylines in lon/lat, for maps), ``zones.geojson``
   and ``README.md`` into a temporary folder, validates the scenario by building
   the city, and only then moves the folder into place (an existing folder is
   replaced only if twincity wrote it, or with ``force``).

Example:
    >>> import_city("scenarios/helsinki_centre", name="Helsinki centre",
    ...             template="scenarios/helsinki.yaml", network="Helsinki.osm.pbf",
    ...             zones="grid.gpkg", population_field="population",
    ...             gtfs="hsl.zip")                                 # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from twincity.city.simplify import simplify_network
from twincity.city.zones import largest_remainder
from twincity.errors import InputError
from twincity.importer.clip import Box, clip_network, clip_pattern
from twincity.importer.sources import read_roads, read_zones

#: Sections copied from the template scenario.
TEMPLATE_SECTIONS = ("demand", "fleet", "climate", "buildings", "grid", "charging",
                     "simulation")
#: Transit line kinds twincity knows (GTFS kinds outside it are left out and reported).
LINE_KINDS = ("metro", "rail", "brt", "tram", "bus", "ferry")


@dataclass
class ImportReport:
    """What the import kept, dropped and assumed, as sentences by topic."""

    sections: dict[str, list[str]] = field(default_factory=dict)

    def add(self, topic: str, line: str) -> None:
        """Add ``line`` under ``topic`` (topics keep the order they first appear in)."""
        self.sections.setdefault(topic, []).append(line)

    def markdown(self) -> str:
        """The report as Markdown: a section per topic, a bullet per line."""
        return "".join(f"\n## {topic}\n\n" + "".join(f"- {x}\n" for x in lines)
                       for topic, lines in self.sections.items())


def slug(name: str) -> str:
    """A file name for a city name.

    >>> slug("Helsinki centre")
    'helsinki_centre'
    """
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "city"


def _zone_features(zones, jobs: np.ndarray) -> dict:
    feats = []
    for i, geom in enumerate(zones.geometry):
        feats.append({"type": "Feature",
                      "properties": {"name": str(zones["name"].iloc[i]),
                                     "population": int(zones["population"].iloc[i]),
                                     "jobs": int(jobs[i])},
                      "geometry": json.loads(_geojson(geom))})
    return {"type": "FeatureCollection", "features": feats}


def _geojson(geom) -> str:
    import shapely

    return shapely.to_geojson(shapely.set_precision(geom, 1e-7))


def _network_features(net, shapes) -> dict:
    from twincity.vocab import ROAD_CLASSES

    feats = []
    for k in range(net.n_links):
        x, y = shapes.link(k)
        feats.append({"type": "Feature",
                      "properties": {"link": k, "from_node": int(net.node_id[net.link_from[k]]),
                                     "to_node": int(net.node_id[net.link_to[k]]),
                                     "road_class": ROAD_CLASSES[int(net.road_class[k])],
                                     "lanes": int(net.lanes[k]),
                                     "length_m": round(float(net.length_m[k]), 2),
                                     "speed_kmh": round(float(net.speed_mps[k]) * 3.6, 2),
                                     "capacity_vph": round(float(net.capacity_vph[k]), 1),
                                     **({"osm_ways": shapes.osm_ways[k]}
                                        if shapes.osm_ways is not None else {})},
                      "geometry": {"type": "LineString",
                                   "coordinates": [[round(a, 7), round(b, 7)]
                                                   for a, b in zip(x.tolist(), y.tolist(),
                                                                   strict=True)]}})
    return {"type": "FeatureCollection", "features": feats}


def _transit_lines(patterns, box: Box, feed_name: str, date: str, report: ImportReport):
    from twincity.city.geo import segment_length_m

    lines, skipped_kind, no_peak, outside = [], 0, 0, 0
    for p in patterns:
        if p.kind not in LINE_KINDS:
            skipped_kind += 1
            continue
        q = clip_pattern(p, box)
        if q is None:
            outside += 1
            continue
        headway = q.peak_headway_s()
        run_s = float(q.segment_s.sum())
        if not np.isfinite(headway) or run_s <= 0:
            no_peak += 1
            continue
        length_m = float(segment_length_m(q.stop_lon_deg[:-1], q.stop_lat_deg[:-1],
                                          q.stop_lon_deg[1:], q.stop_lat_deg[1:]).sum())
        lines.append({
            "name": f"{q.route_short_name} (direction {q.direction_id})",
            "kind": q.kind,
            "headway_s": round(headway, 1),
            "speed_mps": round(min(max(length_m / run_s, 0.5), 99.0), 3),
            "dedicated_lanes": q.kind in ("metro", "rail", "ferry"),
            "stops_lonlat": [[round(a, 6), round(b, 6)] for a, b in
                             zip(q.stop_lon_deg.tolist(), q.stop_lat_deg.tolist(), strict=True)],
            "segment_s": [round(float(s), 1) for s in q.segment_s],
            "trips_per_hour": [int(n) for n in q.trips_per_hour],
            "source": f"GTFS {feed_name}, service day {date}, route {q.route_id} "
                      f"direction {q.direction_id}",
        })
    report.add("Transit", f"GTFS {feed_name}, service day {date}: {len(patterns)} route "
                          f"directions; {len(lines)} kept as lines (longest run of at least two "
                          f"stops inside the extent); {outside} with fewer than two stops "
                          f"inside; {no_peak} without service 07–09 (no peak headway); "
                          f"{skipped_kind} of kinds twincity does not model")
    return lines


def _jobs(zones, jobs_field, jobs_total, patterns, box, report: ImportReport) -> np.ndarray:
    pop = zones["population"].to_numpy(np.float64)
    if jobs_field:
        jobs = np.nan_to_num(zones["jobs"].to_numpy(np.float64))
        report.add("Zones", f"jobs from the column '{jobs_field}' ({int(jobs.sum()):,} in all)")
        return np.round(jobs).astype(np.int64)
    total = int(jobs_total if jobs_total is not None else pop.sum())
    weight = np.zeros(len(zones))
    if patterns:
        import geopandas as gpd

        lon, lat, n = [], [], []
        for p in patterns:
            q = clip_pattern(p, box)
            if q is not None:
                lon += q.stop_lon_deg[:-1].tolist()
                lat += q.stop_lat_deg[:-1].tolist()
                n += [q.trips] * (len(q.stop_ids) - 1)
        if n:
            pts = gpd.GeoDataFrame({"n": n}, geometry=gpd.points_from_xy(lon, lat), crs=4326)
            hit = gpd.sjoin(pts, zones[["geometry"]].reset_index(drop=True),
                            predicate="within")
            np.add.at(weight, hit["index_right"].to_numpy(), hit["n"].to_numpy(np.float64))
    if weight.sum() > 0:
        why = ("in proportion to the scheduled transit departures from stops inside each zone "
               "(a proxy for activity: no jobs column was given)")
    else:
        weight = pop
        why = "in proportion to residents (no jobs column and no transit feed were given)"
    report.add("Zones", f"jobs: {total:,} ({'--jobs-total' if jobs_total is not None else 'equal to the zones residents'}) shared {why}; "  # noqa: E501
                        "replace with employment data where you have it")
    return largest_remainder(weight, total) if total > 0 else np.zeros(len(zones), np.int64)


def import_city(out_dir: str | Path, *, name: str, template: str | Path, network: str | Path,
                zones: str | Path, population_field: str, jobs_field: str | None = None,
                name_field: str | None = None, zones_layer: str | None = None,
                jobs_total: int | None = None, gtfs: str | Path | None = None,
                gtfs_date: str | None = None, min_dead_end_m: float = 50.0,
                min_link_m: float = 0.0, attribution: tuple[str, ...] = (),
                sample_share: float | None = None, force: bool = False
                ) -> tuple[Path, ImportReport]:
    """Build a scenario folder (see the module docstring); returns (scenario file, report)."""
    from twincity.outdir import check_out_dir, write_folder

    out = Path(out_dir)
    inputs = [p for p in (template, network, zones, gtfs) if p is not None]
    check_out_dir(out, protect=inputs, force=force)
    report = ImportReport()
    from twincity.scenario.loader import load_scenario

    base = load_scenario(template).spec

    roads = read_roads(network)
    zgdf = read_zones(zones, population_field=population_field, jobs_field=jobs_field,
                      name_field=name_field, layer=zones_layer)
    patterns, date, feed_name = [], None, None
    if gtfs is not None:
        from twincity.traffic.gtfs import busiest_date, read_gtfs
        from twincity.traffic.gtfs import patterns as gtfs_patterns

        feed = read_gtfs(gtfs)
        date = gtfs_date or busiest_date(feed)
        patterns = gtfs_patterns(feed, date)
        feed_name = Path(gtfs).name

    # 1. the common extent
    road_box = Box.around(roads.node_lon_deg, roads.node_lat_deg)
    w, s, e, n = zgdf.total_bounds
    zone_box = Box(float(w), float(s), float(e), float(n))
    box = road_box.intersect(zone_box)
    if box is None:
        raise InputError(f"the zones ({zone_box.text()}) do not overlap the road network "
                         f"({road_box.text()}); expected both over the same area in WGS84 "
                         "lon/lat", file=zones)
    report.add("Extent", f"road network: {road_box.text()}")
    report.add("Extent", f"zones: {zone_box.text()}")
    if patterns:
        slon = np.concatenate([p.stop_lon_deg for p in patterns])
        slat = np.concatenate([p.stop_lat_deg for p in patterns])
        report.add("Extent", f"transit stops: {Box.around(slon, slat).text()}")
    report.add("Extent", f"common extent used: {box.text()} (the intersection of the roads' "
                         "and the zones' boxes; transit is clipped to it too)")

    # 2. clip and simplify the roads
    for note in roads.notes:
        report.add("Roads", note)
    net, shapes, _, cut = clip_network(roads.network, roads.shapes, roads.node_lon_deg,
                                       roads.node_lat_deg, box)
    report.add("Roads", f"{cut} links with an end outside the common extent dropped")
    if net.n_links == 0:
        raise InputError("no road links inside the common extent; expected roads over the "
                         "zones", file=network)
    net, shapes, simp = simplify_network(net, shapes, min_dead_end_m=min_dead_end_m,
                                         min_link_m=min_link_m)
    for line in simp.lines():
        report.add("Roads", line)
    report.add("Roads", f"thresholds: dead ends shorter than {min_dead_end_m:g} m dropped, "
                        f"two-way links shorter than {min_link_m:g} m contracted; lanes, "
                        "speeds and capacities from OSM tags with the defaults of "
                        "twincity.city.osm_defaults")

    # 3. clip zones by their representative point
    import shapely

    pts = zgdf.geometry.representative_point()
    keep = box.contains(pts.x.to_numpy(), pts.y.to_numpy())
    lost = zgdf[~keep]
    zgdf = zgdf[keep].reset_index(drop=True)
    if len(zgdf) < 2:
        raise InputError(f"only {len(zgdf)} zone(s) lie inside the road network's extent; "
                         "expected at least 2", file=zones)
    report.add("Zones", f"{len(zgdf)} of {len(zgdf) + len(lost)} zones kept (representative "
                        f"point inside the common extent): {int(zgdf['population'].sum()):,} of "
                        f"{int(zgdf['population'].sum() + lost['population'].sum()):,} residents")
    zgdf["population"] = np.round(zgdf["population"].to_numpy(np.float64)).astype(np.int64)
    jobs = _jobs(zgdf, jobs_field, jobs_total, patterns, box, report)

    lines = (_transit_lines(patterns, box, feed_name, date, report) if patterns else [])

    # 4. the scenario
    proj = roads.projection
    area_m2 = float(zgdf.to_crs(zgdf.estimate_utm_crs()).area.sum())
    centre = shapely.centroid(shapely.union_all(zgdf.geometry.to_numpy()))
    doc = _scenario(base, template, name=name, population=int(zgdf["population"].sum()),
                    area_km2=area_m2 / 1e6, lon=float(centre.x), lat=float(centre.y),
                    origin=(proj.lon0_deg, proj.lat0_deg), lines=lines,
                    sample_share=sample_share)
    file_name = f"{slug(name)}.yaml"

    def fill(tmp: Path) -> None:
        from twincity.city.io_graphml import write_graphml

        write_graphml(net, tmp / "network.graphml", link_geometry_wkt=shapes.wkt(),
                      link_osm_ways=shapes.osm_ways)
        (tmp / "network.geojson").write_text(json.dumps(_network_features(net, shapes)) + "\n")
        (tmp / "zones.geojson").write_text(json.dumps(_zone_features(zgdf, jobs)) + "\n")
        (tmp / file_name).write_text(doc)
        from twincity.city.build import build_city

        city = build_city(load_scenario(tmp / file_name))
        for note in city.notes:
            report.add("Built city", note)
        (tmp / "README.md").write_text(_readme(name, template, network, zones, gtfs, file_name,
                                               report, attribution))

    write_folder(out, fill, "scenario")
    return out / file_name, report


def _scenario(base, template, *, name, population, area_km2, lon, lat, origin, lines,
              sample_share=None) -> str:
    import yaml

    spec = base.model_dump(mode="json", exclude_none=True)
    dump = lambda d: yaml.safe_dump(d, sort_keys=False, allow_unicode=True, width=100,  # noqa: E731
                                    default_flow_style=None)
    t = Path(template).name
    city = {**spec["city"], "name": name, "population": population,
            "area_km2": round(area_km2, 3), "latitude_deg": round(lat, 5),
            "longitude_deg": round(lon, 5)}
    transit = {k: spec["transit"][k] for k in ("fare", "feeder_headway_s", "feeder_speed_mps",
                                                "stop_spacing_m")}
    transit["feeder"] = not lines
    transit["lines"] = lines
    policies = [{**p, "in_force": False} for p in spec.get("policies", [])]
    parts = [
        f"# {name}: built by `twincity import` from real data (see README.md beside this file)\n"
        f"# and the template scenario {t}. REAL DATA: network, zones (population), transit\n"
        f"# lines. COPIED FROM {t} AND TO BE EDITED FOR THIS CITY: every section marked so.\n",
        f"description: {name}, imported from open data (roads, population, timetables).\n\n",
        "# Real: population and area are the kept zones'; centre is their centroid.\n"
        f"# Copied from {t} (edit): country, timezone, currency, value of time, PPP, car ownership.\n",  # noqa: E501
        dump({"city": city}),
        "\n# Real: the simplified road network (network.graphml, metres about the origin below;\n"
        "# network.geojson has the link polylines in lon/lat).\n",
        dump({"network": {"file": "network.graphml", "origin_lon_deg": round(origin[0], 7),
                          "origin_lat_deg": round(origin[1], 7)}}),
        "\n# Real: zone polygons with residents; jobs as README.md says.\n",
        dump({"zones": {"file": "zones.geojson"}}),
    ]
    for section in ("demand", "fleet"):
        parts += [f"\n# COPIED FROM {t} (edit for this city).\n", dump({section: spec[section]})]
    parts += ["\n# Real: one line per GTFS route and direction (stops, scheduled in-vehicle "
              "times,\n# departures by hour; headway_s = the 07-09 peak). COPIED FROM "
              f"{t} (edit): fare,\n# feeder bus headway and speed, stop spacing.\n",
              dump({"transit": transit})]
    for section in ("climate", "buildings", "grid", "charging"):
        parts += [f"\n# COPIED FROM {t} (edit for this city).\n", dump({section: spec[section]})]
    parts += [f"\n# COPIED FROM {t} with in_force: false (set true where the policy exists here\n"
              "# and is not already in the data, e.g. timetables already hold today's service).\n",
              dump({"policies": policies}),
              f"\n# COPIED FROM {t} (edit: a small area can afford a larger sample_share)"
              + (f"; sample_share {sample_share:g} given to the import.\n"
                 if sample_share is not None else ".\n"),
              dump({"simulation": {**spec["simulation"], **(
                  {"sample_share": sample_share} if sample_share is not None else {})}})]
    return "".join(parts)


def _readme(name, template, network, zones, gtfs, file_name, report: ImportReport,
            attribution) -> str:
    src = [f"- road network: `{Path(network).name}`", f"- zones: `{Path(zones).name}`"]
    if gtfs is not None:
        src.append(f"- transit: `{Path(gtfs).name}`")
    src.append(f"- template for everything else: `{Path(template).name}`")
    attr = "".join(f"- {a}\n" for a in attribution) or "- (none given)\n"
    return (f"# {name}\n\nScenario `{file_name}` built by `twincity import`. Real data: the "
            "road network, the zones and their residents, the transit lines (if a feed was "
            "given). Copied from the template and to be edited: demand, fleet, energy, "
            "policies, simulation (marked in the file).\n\n## Sources\n\n" + "\n".join(src)
            + "\n\n## Attribution\n\n" + attr + report.markdown())
