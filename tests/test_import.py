"""Bring your own city: pbf reader, simplification, GTFS reader, zones, `twincity import`.

Independent references: pyrosm for the pbf (ways and length), scipy's Dijkstra on the
unsimplified graph, gtfs-kit and a naive loop over frequencies.txt for the GTFS reader,
geopandas for the grid cells kept. The real inputs ship in scenarios/sources/helsinki_centre
(ODbL / CC BY 4.0, see the README there).
"""

from __future__ import annotations

import collections
import csv
import io
import itertools
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from twincity.city.generator import generate_network
from twincity.city.network import Network
from twincity.city.simplify import simplify_network
from twincity.cli import main
from twincity.scenario.sections_network import StreetGeneratorSpec

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "scenarios" / "sources" / "helsinki_centre"
PBF = SOURCES / "helsinki_centre_2019.osm.pbf"
GRID = SOURCES / "helsinki_population_grid_2020.gpkg"
FEED = SOURCES / "hsl_gtfs_2022_centre.zip"
SCENARIO = ROOT / "scenarios" / "helsinki_centre" / "helsinki_centre.yaml"
#: The OSM extract's box (its README): lon 24.9352–24.9534, lat 60.1642–60.1791.
EXTRACT_BOX = (24.9352, 60.1642, 24.9534, 60.1791)


def refused(args: list[str], names: str) -> str:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert names in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------------ roads
def test_pbf_reader_agrees_with_pyrosm_on_ways_and_length():
    pytest.importorskip("osmium")
    pyrosm = pytest.importorskip("pyrosm")
    from twincity.city.io_osm import parse_osm
    from twincity.city.osm_defaults import DRIVABLE_HIGHWAYS

    roads = parse_osm(PBF)
    # one entry per road segment (both directions of a two-way segment count once)
    seg = {(w, min(a, b), max(a, b), round(ln, 3)): ln for w, a, b, ln in zip(
        roads.way_id, roads.node_id[roads.link_from], roads.node_id[roads.link_to],
        roads.length_m, strict=True)}
    ways = pyrosm.OSM(str(PBF)).get_data_by_custom_criteria(
        custom_filter={"highway": list(DRIVABLE_HIGHWAYS)}, filter_type="keep",
        keep_nodes=False, keep_relations=False)
    ways = ways[ways.geometry.notna()]
    for col, value in (("area", "yes"), ("access", "no"), ("motor_vehicle", "no"),
                       ("motorcar", "no")):
        if col in ways:
            ways = ways[ways[col] != value]
    assert len(np.unique(roads.way_id)) == len(ways)
    # ETRS-TM35FIN (EPSG:3067): scale error < 0.1% this far from its meridian
    assert sum(seg.values()) == pytest.approx(float(ways.to_crs(3067).length.sum()), rel=0.01)
    # polylines: their length is the link length
    from twincity.city.geo import segment_length_m

    lon, lat, start = roads.shape_lon_deg, roads.shape_lat_deg, roads.shape_start
    cum = np.r_[0.0, np.cumsum(segment_length_m(lon[:-1], lat[:-1], lon[1:], lat[1:]))]
    assert np.allclose(cum[start[1:] - 1] - cum[start[:-1]], roads.length_m, atol=1e-6)


def _subdivided(net: Network) -> Network:
    """Each link cut in three equal pieces (two degree-2 nodes), plus a 30 m dead end
    and a one-way appendix that cannot return."""
    m = net.n_links
    # the two-way pairs share their inner nodes; give each pair its own pair of nodes
    key = {}
    xs, ys = list(net.node_x_m), list(net.node_y_m)
    frm, to, length = [], [], []
    for k in range(m):
        a, b = int(net.link_from[k]), int(net.link_to[k])
        u, v = min(a, b), max(a, b)
        if (u, v) not in key:
            key[(u, v)] = len(xs)
            for t in (1 / 3, 2 / 3):
                xs.append(net.node_x_m[u] + t * (net.node_x_m[v] - net.node_x_m[u]))
                ys.append(net.node_y_m[u] + t * (net.node_y_m[v] - net.node_y_m[u]))
        p = key[(u, v)]
        inner = [p, p + 1] if a == u else [p + 1, p]
        chain = [a, *inner, b]
        for i in range(3):
            frm.append(chain[i])
            to.append(chain[i + 1])
            length.append(net.length_m[k] / 3)
    spur, appendix = len(xs), len(xs) + 1
    xs += [net.node_x_m[0] + 30, net.node_x_m[0] + 500]
    ys += [net.node_y_m[0], net.node_y_m[0]]
    frm += [0, spur, 0]
    to += [spur, 0, appendix]
    length += [30.0, 30.0, 500.0]
    k = len(frm)
    lk = np.repeat(np.arange(m), 3)
    pick = lambda a, extra: np.r_[a[lk], np.full(3, extra)]  # noqa: E731
    return Network.from_links(
        node_x_m=np.array(xs), node_y_m=np.array(ys), link_from=np.array(frm),
        link_to=np.array(to), length_m=np.array(length), lanes=pick(net.lanes, 1),
        speed_mps=pick(net.speed_mps, 10.0), capacity_vph=pick(net.capacity_vph, 600.0),
        road_class=pick(net.road_class, 3), node_id=np.arange(len(xs)) + (0 * k))


def _distances(net: Network, node_ids) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    best = {}
    for a, b, w in zip(net.link_from.tolist(), net.link_to.tolist(), net.length_m.tolist(),
                       strict=True):
        best[(a, b)] = min(best.get((a, b), np.inf), w)
    (rows, cols), w = zip(*best, strict=True), list(best.values())
    g = coo_matrix((w, (rows, cols)), shape=(net.n_nodes, net.n_nodes)).tocsr()
    pos = {int(v): i for i, v in enumerate(net.node_id)}
    idx = [pos[int(i)] for i in node_ids]
    return dijkstra(g, indices=idx)[:, idx]


def test_simplification_preserves_shortest_paths_and_undoes_subdivision():
    base = generate_network(StreetGeneratorSpec(urban_area_km2=8, arterial_spacing_m=800,
                                          ring_roads_share=[0.6], radials=2, seed=1))
    raw = _subdivided(base)
    out, shapes, report = simplify_network(raw, min_dead_end_m=50.0)
    kept = out.node_id
    assert np.allclose(_distances(out, kept), _distances(raw, kept), rtol=1e-12, atol=1e-9)
    assert report.scc_nodes_dropped == 1            # the one-way appendix
    assert report.dead_end_links_dropped == 2       # the 30 m spur, both directions
    # every subdivision node is merged away: the junctions of the base network remain
    assert out.n_nodes <= base.n_nodes and out.n_links <= base.n_links
    assert out.length_m.sum() <= raw.length_m.sum()
    # polylines start and end at their link's nodes and keep every merged point
    for k in range(out.n_links):
        x, y = shapes.link(k)
        assert (x[0], y[0]) == (out.node_x_m[out.link_from[k]], out.node_y_m[out.link_from[k]])
        assert (x[-1], y[-1]) == (out.node_x_m[out.link_to[k]], out.node_y_m[out.link_to[k]])
        assert np.isclose(np.hypot(np.diff(x), np.diff(y)).sum(), out.length_m[k], rtol=0.05)


def test_simplified_helsinki_keeps_distances_between_kept_nodes():
    pytest.importorskip("osmium")
    from twincity.city.io_osm import parse_osm

    net = parse_osm(PBF).to_network()
    out, _, report = simplify_network(net, min_dead_end_m=50.0)
    assert out.n_links < net.n_links / 2 and report.merged_nodes > 0
    kept = out.node_id
    assert np.allclose(_distances(out, kept), _distances(net, kept), rtol=1e-12, atol=1e-6)


# ------------------------------------------------------------------ GTFS
def _gtfs_rows(name: str) -> list[dict]:
    with zipfile.ZipFile(FEED) as zf:
        return list(csv.DictReader(io.TextIOWrapper(zf.open(name), "utf-8-sig")))


def test_gtfs_reader_agrees_with_gtfs_kit_and_a_naive_frequency_expansion(monkeypatch):
    gk = pytest.importorskip("gtfs_kit")
    import gtfs_kit.constants as cs

    from twincity.traffic.gtfs import (
        active_services,
        busiest_date,
        departures,
        patterns,
        read_gtfs,
    )

    # gtfs-kit 13 types headway_secs as Int16; this feed has longer headways
    monkeypatch.setitem(cs.DTYPES["frequencies"], "headway_secs", "Int32")
    theirs = gk.read_feed(FEED, dist_units="km")
    feed = read_gtfs(FEED)
    date = busiest_date(feed)
    assert date == "20220222"
    assert len(feed.stops) == len(theirs.stops)
    assert len(feed.routes) == len(theirs.routes)
    # trips per route on the day (frequency templates count once, as gtfs-kit counts them)
    day_trips = gk.get_trips(theirs, date).groupby("route_id").size()
    ours_trips = feed.trips[feed.trips["service_id"].isin(active_services(feed, date))
                            ].groupby("route_id").size()
    assert ours_trips.to_dict() == day_trips.to_dict()

    # departures by hour: timetabled trips as gtfs-kit's first stop times; frequency trips
    # expanded by a plain loop over frequencies.txt
    freq = collections.defaultdict(list)
    for row in _gtfs_rows("frequencies.txt"):
        freq[row["trip_id"]].append(row)
    st = gk.get_stop_times(theirs, date)
    first = st.sort_values(["trip_id", "stop_sequence"]).groupby("trip_id").first()
    route_dir = theirs.trips.set_index("trip_id")[["route_id", "direction_id"]]
    expected = collections.Counter()
    for trip_id, row in first.iterrows():
        route, direction = route_dir.loc[trip_id]
        if trip_id in freq:
            for f in freq[trip_id]:
                h, m, s = (int(v) for v in f["start_time"].split(":"))
                t = h * 3600 + m * 60 + s
                h, m, s = (int(v) for v in f["end_time"].split(":"))
                end = h * 3600 + m * 60 + s
                while t < end:
                    expected[(route, str(direction), t // 3600 % 24)] += 1
                    t += int(f["headway_secs"])
        else:
            h, m, s = (int(v) for v in row["departure_time"].split(":"))
            expected[(route, str(direction), h % 24)] += 1
    got = collections.Counter()
    for p in patterns(feed, date):
        for hour, n in enumerate(p.trips_per_hour.tolist()):
            if n:
                got[(p.route_id, p.direction_id, hour)] += n
    assert got == expected
    assert len(departures(feed, date)) == sum(expected.values())


def test_gtfs_pattern_times_are_the_scheduled_ones():
    from twincity.traffic.gtfs import patterns, read_gtfs

    feed = read_gtfs(FEED)
    pats = {(p.route_id, p.direction_id): p for p in patterns(feed)}
    p = next(iter(pats.values()))
    # one trip of this pattern, read by hand: its departure-to-departure times
    rows = [r for r in _gtfs_rows("stop_times.txt")]
    by_trip = collections.defaultdict(list)
    for r in rows:
        by_trip[r["trip_id"]].append(r)
    trips = {r["trip_id"]: r for r in _gtfs_rows("trips.txt")}
    sec = lambda t: sum(int(v) * k for v, k in zip(t.split(":"), (3600, 60, 1), strict=True))  # noqa: E731
    samples = []
    for tid, stops in by_trip.items():
        t = trips[tid]
        stops.sort(key=lambda r: int(r["stop_sequence"]))
        if (t["route_id"], t["direction_id"]) == (p.route_id, p.direction_id) and \
                tuple(r["stop_id"] for r in stops) == p.stop_ids:
            dep = [sec(r["departure_time"]) for r in stops]
            dep[-1] = sec(stops[-1]["arrival_time"])
            samples.append(np.diff(dep))
    assert samples
    assert np.allclose(np.median(np.array(samples), axis=0), p.segment_s)


# ------------------------------------------------------------------ import
@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    pytest.importorskip("osmium")
    pytest.importorskip("geopandas")
    out = tmp_path_factory.mktemp("imp") / "hc"
    result = CliRunner().invoke(main, [
        "import", str(out), "--name", "Helsinki centre",
        "--template", str(ROOT / "scenarios" / "helsinki.yaml"), "--network", str(PBF),
        "--zones", str(GRID), "--gtfs", str(FEED), "--sample-share", "1.0"])
    assert result.exit_code == 0, result.output
    return out


def test_import_reproduces_the_shipped_scenario(imported):
    for name in ("helsinki_centre.yaml", "network.graphml", "zones.geojson", "network.geojson"):
        assert (imported / name).read_bytes() == (SCENARIO.parent / name).read_bytes(), name


def test_zone_populations_are_the_grid_cells_inside_the_common_extent(imported):
    import geopandas as gpd

    from twincity.city.build import build_city
    from twincity.scenario.loader import load_scenario
    from twincity.traffic.skims import car_skims

    grid = gpd.read_file(GRID)
    assert int(grid["population"].sum()) == 71724  # the grid's total (HSY 2020, its README)
    zones = json.loads((imported / "zones.geojson").read_text())["features"]
    # independent: cells whose representative point lies in the box of roads ∩ grid
    w, s, e, n = EXTRACT_BOX
    gw, gs, ge, gn = grid.total_bounds
    box = (max(w, gw), max(s, gs), min(e, ge), min(n, gn))
    p = grid.geometry.representative_point()
    inside = (p.x >= box[0]) & (p.x <= box[2]) & (p.y >= box[1]) & (p.y <= box[3])
    assert len(zones) == int(inside.sum())
    assert sum(z["properties"]["population"] for z in zones) == \
        int(grid.loc[inside, "population"].sum())
    city = build_city(load_scenario(imported / "helsinki_centre.yaml"))
    assert city.spec.city.population == int(grid.loc[inside, "population"].sum())
    sk = car_skims(city.network, city.zones, city.network.free_flow_s)
    assert np.isfinite(sk.time_s).all()  # every zone reaches every other by road


def test_shipped_helsinki_centre_maps_where_the_extract_lies():
    from twincity.city.build import build_city
    from twincity.city.maps import network_table, zones_table
    from twincity.scenario.loader import load_scenario

    city = build_city(load_scenario(SCENARIO))
    net, zones = network_table(city), zones_table(city)
    w, s, e, n = EXTRACT_BOX
    tol = 1e-4  # the README's box is rounded to 4 decimals
    for lon, lat in (("from_lon", "from_lat"), ("to_lon", "to_lat")):
        assert net[lon].between(w - tol, e + tol).all()
        assert net[lat].between(s - tol, n + tol).all()
    # links are drawn along the road: each polyline is as long as its link
    from twincity.city.geo import segment_length_m

    for wkt, length in zip(net["geometry_wkt"], net["length_m"], strict=True):
        pts = np.array([[float(v) for v in p.split()] for p in wkt[12:-1].split(",")])
        drawn = segment_length_m(pts[:-1, 0], pts[:-1, 1], pts[1:, 0], pts[1:, 1]).sum()
        assert drawn == pytest.approx(length, rel=1e-3, abs=0.05)
    assert (net["geometry_wkt"].str.count(",") > 1).mean() > 0.5  # mostly real bends
    # zone centres lie in the grid's cells around the extract (250 m cells, so within ~300 m)
    assert zones["centroid_lon"].between(w - 0.006, e + 0.006).all()
    assert zones["centroid_lat"].between(s - 0.003, n + 0.003).all()
    assert zones["polygon_wkt"].str.startswith("MULTIPOLYGON").all()
    assert len(city.spec.transit.lines) > 10 and not city.spec.transit.feeder


def test_shipped_helsinki_centre_runs_to_a_converged_equilibrium(tmp_path):
    from twincity.model import CityModel

    model = CityModel.from_file(SCENARIO, overrides={"simulation.sample_share": 0.3},
                                progress=False)
    results = model.run(progress=False)
    assert results.converged
    trips = results.tables["trips"]
    assert set(trips["mode"].unique()) >= {"car", "transit", "walk"}
    assert np.allclose(trips["expansion_factor"], 1 / 0.3)


# ------------------------------------------------------------------ bad input
def _import_args(out, **given) -> list[str]:
    args = {"--name": "X", "--template": str(ROOT / "scenarios" / "helsinki.yaml"),
            "--network": str(PBF), "--zones": str(GRID), **given}
    return ["import", str(out), *[v for kv in args.items() for v in kv]]


def test_a_pbf_without_roads_is_refused(tmp_path):
    osmium = pytest.importorskip("osmium")
    pytest.importorskip("geopandas")
    path = tmp_path / "paths.osm.pbf"
    with osmium.SimpleWriter(str(path)) as w:
        w.add_node(osmium.osm.mutable.Node(id=1, location=(24.94, 60.17), version=1))
        w.add_node(osmium.osm.mutable.Node(id=2, location=(24.95, 60.17), version=1))
        w.add_way(osmium.osm.mutable.Way(id=1, nodes=[1, 2], tags={"highway": "footway"},
                                         version=1))
    line = refused(_import_args(tmp_path / "out", **{"--network": str(path)}), "paths.osm.pbf")
    assert "no ways with highway" in line
    assert not (tmp_path / "out").exists()


def test_zones_without_the_population_column_are_refused(tmp_path):
    pytest.importorskip("osmium")
    pytest.importorskip("geopandas")
    line = refused(_import_args(tmp_path / "out", **{"--population-field": "residents"}),
                   "helsinki_population_grid_2020.gpkg")
    assert "'residents'" in line and "population" in line


def test_a_feed_without_stop_times_is_refused(tmp_path):
    pytest.importorskip("osmium")
    pytest.importorskip("geopandas")
    bad = tmp_path / "feed.zip"
    with zipfile.ZipFile(FEED) as src, zipfile.ZipFile(bad, "w") as dst:
        for name in src.namelist():
            if name != "stop_times.txt":
                dst.writestr(name, src.read(name))
    line = refused(_import_args(tmp_path / "out", **{"--gtfs": str(bad)}), "feed.zip")
    assert "stop_times.txt" in line


def test_zones_that_miss_the_network_are_refused(tmp_path):
    pytest.importorskip("osmium")
    pytest.importorskip("geopandas")
    far = tmp_path / "far.geojson"
    sq = [[25.5, 61.0], [25.51, 61.0], [25.51, 61.01], [25.5, 61.01], [25.5, 61.0]]
    far.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"population": 10},
         "geometry": {"type": "Polygon", "coordinates": [sq]}}]}))
    line = refused(_import_args(tmp_path / "out", **{"--zones": str(far)}), "far.geojson")
    assert "do not overlap" in line


def test_a_scenario_whose_zone_file_misses_the_network_is_refused(tmp_path):
    """The same check on a scenario edited by hand: polygons away from every road."""
    import shutil

    folder = tmp_path / "hc"
    shutil.copytree(SCENARIO.parent, folder)
    zones = json.loads((folder / "zones.geojson").read_text())
    for f in zones["features"]:
        f["geometry"] = {"type": "Polygon", "coordinates": [
            [[25.5, 61.0], [25.51, 61.0], [25.51, 61.01], [25.5, 61.01], [25.5, 61.0]]]}
    (folder / "zones.geojson").write_text(json.dumps(zones))
    result = CliRunner().invoke(main, ["validate", str(folder / "helsinki_centre.yaml")])
    assert result.exit_code == 2 and "contain no road node" in result.stderr


def test_singapore_census_variant_places_the_census_residents_on_the_synthetic_network():
    from twincity.city.build import build_city
    from twincity.scenario.loader import load_scenario

    city = build_city(load_scenario(ROOT / "scenarios" / "singapore_census" /
                                    "singapore_census.yaml"))
    # Census of Population 2020, resident population by subzone: 332 subzones, 4,044,800
    assert city.zones.n == 332
    assert int(city.zones.population.sum()) == 4_044_800 == city.spec.city.population
    assert int(city.zones.jobs.sum()) == 3_900_000  # singapore.yaml's jobs
    with_nodes = len(set(city.zones.node_zone.tolist()))
    assert with_nodes == 332 - 75  # the rest load at their nearest node (noted)
    assert any("75 zone(s) contain no road node" in n for n in city.notes)


def test_pbf_and_its_xml_conversion_give_the_same_network(tmp_path):
    osmium = pytest.importorskip("osmium")
    from twincity.city.io_osm import parse_osm

    xml = tmp_path / "centre.osm"
    with osmium.SimpleWriter(str(xml)) as writer:  # libosmium writes the same objects as XML
        for obj in osmium.FileProcessor(str(PBF)):
            writer.add(obj)
    a, b = parse_osm(PBF), parse_osm(xml, missing_nodes="cut")
    for name in ("node_id", "link_from", "link_to", "lanes", "capacity_vph", "way_id"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.allclose(a.length_m, b.length_m, rtol=1e-9)
    assert a.cut_refs == b.cut_refs > 0


SHARED_FEED = ROOT.parent / "shared" / "data" / "cities" / "helsinki_centre" / \
    "helsinki_gtfs_2022.zip"


@pytest.mark.skipif(not SHARED_FEED.is_file(), reason="../shared/data is absent")
def test_the_shipped_feed_subset_keeps_its_route_directions_whole():
    from twincity.traffic.gtfs import patterns, read_gtfs

    full = {(p.route_id, p.direction_id): p for p in patterns(read_gtfs(SHARED_FEED))}
    subset = patterns(read_gtfs(FEED))
    assert subset
    for p in subset:
        q = full[(p.route_id, p.direction_id)]
        assert p.stop_ids == q.stop_ids
        assert np.array_equal(p.trips_per_hour, q.trips_per_hour)
        assert np.array_equal(p.segment_s, q.segment_s)


def test_an_osmnx_style_graphml_in_lonlat_imports_like_the_osm_file(tmp_path):
    pytest.importorskip("osmium")
    import networkx as nx

    from twincity.city.io_osm import parse_osm
    from twincity.importer.sources import read_roads

    roads = parse_osm(PBF)
    g = nx.MultiDiGraph(crs="epsg:4326")
    for i, nid in enumerate(roads.node_id.tolist()):
        g.add_node(nid, x=float(roads.lon_deg[i]), y=float(roads.lat_deg[i]))
    for k in range(len(roads.link_from)):  # OSMnx keeps both directions and OSM-style tags
        g.add_edge(int(roads.node_id[roads.link_from[k]]), int(roads.node_id[roads.link_to[k]]),
                   length=float(roads.length_m[k]), highway="residential", oneway="True")
    path = tmp_path / "osmnx.graphml"
    nx.write_graphml(g, path)
    got = read_roads(path)
    ref = read_roads(PBF)
    assert got.network.n_links == ref.network.n_links
    assert np.isclose(got.network.length_m.sum(), ref.network.length_m.sum(), rtol=1e-9)
    assert np.allclose(np.sort(got.node_lon_deg), np.sort(ref.node_lon_deg), atol=1e-9)


def test_shipped_osm_ways_follow_the_ways_of_the_source_extract():
    """Each link's osm_ways, checked against the ways pyosmium reads from the .pbf: the
    link starts on its first way and ends on its last, consecutive ways meet, and a
    ``+`` way is driven along its node order (``-`` against it)."""
    osmium = pytest.importorskip("osmium")
    from twincity.city.build import build_city
    from twincity.city.maps import network_table
    from twincity.city.osm_ways import parse_ways
    from twincity.scenario.loader import load_scenario

    net = network_table(build_city(load_scenario(SCENARIO)))
    wanted = {w for text in net["osm_ways"] for w, _ in parse_ways(text)}
    nodes = {w.id: [n.ref for n in w.nodes]
             for w in osmium.FileProcessor(str(PBF), osmium.osm.WAY) if w.id in wanted}
    assert set(nodes) == wanted
    for text, a, b in zip(net["osm_ways"], net["from_node"], net["to_node"], strict=True):
        ways = parse_ways(text)
        first, fwd = ways[0]
        assert a in nodes[first], (text, a)
        assert b in nodes[ways[-1][0]], (text, b)
        for (w1, _), (w2, _) in itertools.pairwise(ways):
            assert set(nodes[w1]) & set(nodes[w2]), (text, w1, w2)
        if len(ways) == 1:
            order = nodes[first]
            assert (order.index(a) < order.index(b)) == fwd, (text, a, b)


def test_simplify_joins_the_osm_ways_of_merged_links():
    from twincity.city.simplify import Shapes

    # a - b - c, two-way; a-b on way 1 (drawn a→b), b-c on way 2 (drawn c→b)
    net = Network.from_links(node_x_m=np.array([0.0, 100.0, 200.0]), node_y_m=np.zeros(3),
                             link_from=np.array([0, 1, 1, 2]), link_to=np.array([1, 0, 2, 1]),
                             length_m=np.full(4, 100.0), lanes=np.ones(4),
                             speed_mps=np.full(4, 10.0), capacity_vph=np.full(4, 600.0))
    f, t = net.link_from, net.link_to
    shapes = Shapes.straight(net.node_x_m[f], net.node_y_m[f], net.node_x_m[t],
                             net.node_y_m[t])
    shapes = Shapes(shapes.start, shapes.x, shapes.y, ("1+", "1-", "2-", "2+"))
    out, new, _ = simplify_network(net, shapes, min_dead_end_m=0.0)
    assert out.n_links == 2
    by_dir = {(float(out.node_x_m[a]), float(out.node_x_m[b])): w for a, b, w in
              zip(out.link_from, out.link_to, new.osm_ways, strict=True)}
    assert by_dir == {(0.0, 200.0): "1+;2-", (200.0, 0.0): "2+;1-"}
    assert new.take([1, 0]).osm_ways == new.osm_ways[::-1]
