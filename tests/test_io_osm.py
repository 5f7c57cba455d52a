"""OSM XML import: simplification, directions, lanes, speeds, capacity, lengths, bad input."""

from __future__ import annotations

import gzip
import itertools
import math

import numpy as np
import pytest

from twincity.city.geo import LocalProjection, haversine_m, segment_length_m
from twincity.city.io_osm import parse_osm, read_osm
from twincity.city.network import ROAD_CLASSES
from twincity.city.osm_defaults import HIGHWAY_DEFAULTS
from twincity.errors import InputError

# Independent reference: haversine on a 6371 km sphere, written out here.
R_M = 6371000.0


def hav_m(p, q):
    (lon1, lat1), (lon2, lat2) = p, q
    f1, f2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((f2 - f1) / 2) ** 2
         + math.cos(f1) * math.cos(f2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * R_M * math.asin(math.sqrt(h))


def path_m(coords, ids):
    return sum(hav_m(coords[a], coords[b]) for a, b in itertools.pairwise(ids))


# node id -> (lon, lat)
NODES = {
    1: (13.400, 52.5200), 2: (13.402, 52.5201), 3: (13.404, 52.5200), 4: (13.406, 52.5202),
    5: (13.408, 52.5200), 40: (13.402, 52.5210),
    10: (13.404, 52.5220), 11: (13.4041, 52.5210), 12: (13.4039, 52.5190), 13: (13.404, 52.5180),
    21: (13.409, 52.5207), 22: (13.410, 52.5200), 23: (13.409, 52.5193),
    30: (13.413, 52.5200), 31: (13.416, 52.5205), 50: (13.420, 52.5210), 51: (13.430, 52.5220),
}
# way id -> (node list, tags)
WAYS = {
    101: ([1, 2, 3, 4, 5], {"highway": "primary", "lanes": "4", "maxspeed": "50"}),
    109: ([2, 40], {"highway": "footway"}),
    102: ([10, 11, 3, 12, 13], {"highway": "residential", "oneway": "-1", "lanes": "1",
                                "maxspeed": "20 mph"}),
    103: ([5, 21, 22, 23, 5], {"highway": "tertiary", "junction": "roundabout"}),
    104: ([22, 30, 31], {"highway": "secondary", "lanes": "3", "lanes:forward": "2",
                         "lanes:backward": "1", "maxspeed": "DE:urban",
                         "maxspeed:backward": "30"}),
    105: ([31, 50, 51], {"highway": "motorway"}),
}


def osm_xml(nodes=NODES, ways=WAYS, prolog=""):
    out = ['<?xml version="1.0" encoding="UTF-8"?>', prolog,
           '<osm version="0.6" generator="test">']
    for nid, (lon, lat) in nodes.items():
        out.append(f'  <node id="{nid}" lat="{lat}" lon="{lon}" version="1"/>')
    for wid, (refs, tags) in ways.items():
        out.append(f'  <way id="{wid}">')
        out += [f'    <nd ref="{r}"/>' for r in refs]
        out += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        out.append("  </way>")
    out.append("</osm>")
    return "\n".join(out) + "\n"


@pytest.fixture
def osm_file(tmp_path):
    p = tmp_path / "city.osm"
    p.write_text(osm_xml())
    return p


def links_by_pair(net):
    ids = net.node_id
    return {(int(ids[net.link_from[k]]), int(ids[net.link_to[k]])): k for k in range(net.n_links)}


def test_topology_and_directions(osm_file):
    net = read_osm(osm_file)
    assert sorted(net.node_id.tolist()) == [1, 3, 5, 10, 13, 22, 31, 51]  # 2 is no junction
    pairs = links_by_pair(net)
    assert set(pairs) == {
        (1, 3), (3, 1), (3, 5), (5, 3),      # two-way primary split at the crossing
        (3, 10), (13, 3),                    # oneway=-1 residential, reversed
        (5, 22), (22, 5),                    # roundabout: one way round, split at both arms
        (22, 31), (31, 22),                  # two-way secondary
        (31, 51),                            # motorway: oneway implied
    }
    assert net.n_links == 11


def test_lanes_speeds_capacity(osm_file):
    net = read_osm(osm_file)
    pairs = links_by_pair(net)
    expect = {  # (lanes, km/h, highway)
        (1, 3): (2, 50.0, "primary"), (5, 3): (2, 50.0, "primary"),
        (3, 10): (1, 20 * 1.609344, "residential"), (13, 3): (1, 20 * 1.609344, "residential"),
        (5, 22): (1, HIGHWAY_DEFAULTS["tertiary"].speed_kmh, "tertiary"),
        (22, 31): (2, HIGHWAY_DEFAULTS["secondary"].speed_kmh, "secondary"),
        (31, 22): (1, 30.0, "secondary"),  # maxspeed:backward
        (31, 51): (2, HIGHWAY_DEFAULTS["motorway"].speed_kmh, "motorway"),
    }
    for pair, (lanes, kmh, hw) in expect.items():
        k = pairs[pair]
        d = HIGHWAY_DEFAULTS[hw]
        assert net.lanes[k] == lanes, pair
        assert net.speed_mps[k] == pytest.approx(kmh / 3.6), pair
        assert net.capacity_vph[k] == pytest.approx(lanes * d.capacity_vphpl), pair
        assert ROAD_CLASSES[net.road_class[k]] == d.road_class
    assert net.free_flow_s == pytest.approx(net.length_m / net.speed_mps)


def test_lengths_match_haversine(osm_file):
    net = read_osm(osm_file)
    pairs = links_by_pair(net)
    geometry = {
        (1, 3): [1, 2, 3], (3, 5): [3, 4, 5], (3, 10): [3, 11, 10], (13, 3): [13, 12, 3],
        (5, 22): [5, 21, 22], (22, 5): [22, 23, 5], (22, 31): [22, 30, 31],
        (31, 51): [31, 50, 51],
    }
    for pair, ids in geometry.items():
        assert net.length_m[pairs[pair]] == pytest.approx(path_m(NODES, ids), rel=5e-3), pair
    # Projected junction coordinates keep distances too.
    i = {int(n): j for j, n in enumerate(net.node_id)}
    for a, b in [(1, 51), (10, 13), (1, 22)]:
        d = math.hypot(net.node_x_m[i[a]] - net.node_x_m[i[b]],
                       net.node_y_m[i[a]] - net.node_y_m[i[b]])
        assert d == pytest.approx(hav_m(NODES[a], NODES[b]), rel=5e-3)


def test_way_ids_and_orientation(osm_file):
    roads = parse_osm(osm_file)
    ways = dict(zip(roads.way_id.tolist(), roads.forward.tolist(), strict=False))
    assert set(roads.way_id.tolist()) == {101, 102, 103, 104, 105}
    assert ways[102] is False  # only backward links on the oneway=-1 way
    assert np.all(roads.lat_deg > 52) and np.all(roads.lon_deg > 13)


def test_service_roads_opt_in(tmp_path):
    ways = dict(WAYS)
    ways[106] = ([4, 40], {"highway": "service"})
    ways[107] = ([1, 40], {"highway": "service", "service": "parking_aisle"})
    p = tmp_path / "s.osm"
    p.write_text(osm_xml(ways=ways))
    assert read_osm(p).n_links == 11
    net = read_osm(p, highway_classes=(*HIGHWAY_DEFAULTS,))
    pairs = links_by_pair(net)
    assert (4, 40) in pairs and (40, 4) in pairs and (1, 40) not in pairs
    assert (3, 5) not in pairs and (3, 4) in pairs and (4, 5) in pairs  # 4 is a junction now


def test_unparseable_tags_fall_back_or_raise_when_strict(tmp_path):
    ways = {101: ([1, 2, 3], {"highway": "primary", "lanes": "many", "maxspeed": "fast"})}
    p = tmp_path / "junk.osm"
    p.write_text(osm_xml(ways=ways))
    net = read_osm(p)
    d = HIGHWAY_DEFAULTS["primary"]
    assert net.lanes.tolist() == [d.lanes_per_direction] * 2
    assert net.speed_mps == pytest.approx(d.speed_kmh / 3.6)
    with pytest.raises(InputError, match=r"way\[101\]\.lanes.*lane count") as e:
        read_osm(p, strict=True)
    assert e.value.line == p.read_text().splitlines().index('  <way id="101">') + 1


def test_doctype_entities_refused(tmp_path):
    bomb = ('<!DOCTYPE osm [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>')
    p = tmp_path / "bomb.osm"
    p.write_text(osm_xml(prolog=bomb).replace('generator="test"', 'generator="&b;"'))
    with pytest.raises(InputError, match="DOCTYPE") as e:
        read_osm(p)
    assert e.value.file == str(p) and e.value.line == 2


def test_truncated_xml_names_the_line(tmp_path):
    text = osm_xml()
    p = tmp_path / "cut.osm"
    lines = text.splitlines()
    p.write_text("\n".join(lines[:25]) + '\n  <way id="9"')
    with pytest.raises(InputError) as e:
        read_osm(p)
    assert e.value.file == str(p) and e.value.line == 26
    assert "well-formed" in str(e.value) and str(p) + ":26:" in str(e.value)


@pytest.mark.parametrize("content, expected", [
    (b"\x0a\x0b\x00\x12PBF\xff", "well-formed"),
    (b'<?xml version="1.0"?>\n<gpx></gpx>', "expected <osm>"),
    (b"", "well-formed|empty"),
])
def test_not_osm_xml(tmp_path, content, expected):
    p = tmp_path / "bad.osm"
    p.write_bytes(content)
    with pytest.raises(InputError, match=expected):
        read_osm(p)


def test_gzip_input_reads_the_same(tmp_path, osm_file):
    gz = tmp_path / "city.osm.gz"
    gz.write_bytes(gzip.compress(osm_file.read_bytes()))
    a, b = read_osm(osm_file), read_osm(gz)
    assert np.array_equal(a.length_m, b.length_m) and np.array_equal(a.link_to, b.link_to)
    bad = tmp_path / "broken.osm.gz"
    bad.write_bytes(gzip.compress(osm_file.read_bytes())[:200])
    with pytest.raises(InputError, match=r"broken\.osm\.gz"):
        read_osm(bad)


def test_missing_node_named(tmp_path):
    nodes = {k: v for k, v in NODES.items() if k != 4}
    p = tmp_path / "hole.osm"
    p.write_text(osm_xml(nodes=nodes))
    with pytest.raises(InputError, match="way 101 references node 4") as e:
        read_osm(p)
    assert e.value.line == p.read_text().splitlines().index('  <way id="101">') + 1


def test_unknown_highway_class_rejected(osm_file):
    with pytest.raises(InputError, match="highway_classes"):
        read_osm(osm_file, highway_classes=("primary", "footway"))


# ------------------------------------------- geo (measures all OSM geometry)
@pytest.mark.parametrize("lat, km_per_deg_lat, km_per_deg_lon", [
    # WGS84 lengths of a degree (published tables, e.g. Wikipedia "Latitude").
    (0.0, 110.574, 111.320), (45.0, 111.132, 78.847), (60.0, 111.412, 55.800),
])
def test_segment_length_matches_published_degree_lengths(lat, km_per_deg_lat, km_per_deg_lon):
    lats = np.linspace(lat - 0.5, lat + 0.5, 1001)
    meridian_m = segment_length_m(np.zeros(1000), lats[:-1], np.zeros(1000), lats[1:]).sum()
    assert meridian_m / 1000 == pytest.approx(km_per_deg_lat, abs=1e-3)
    assert segment_length_m(0.0, lat, 1.0, lat) / 1000 == pytest.approx(km_per_deg_lon, abs=1e-3)
    # The sphere used by haversine is off by up to ~0.6 %, as documented.
    assert haversine_m(0.0, lat, 0.0, lat + 0.001) == pytest.approx(meridian_m / 1000, rel=6e-3)


def test_local_projection_scale_and_far_field_error():
    proj = LocalProjection(lon0_deg=0.0, lat0_deg=45.0)
    x, y = proj.forward(np.array([0.001, 0.0]), np.array([45.0, 45.001]))
    assert x[0] == pytest.approx(78.847, rel=2e-5) and abs(y[0]) < 1e-3
    assert y[1] == pytest.approx(111.132, rel=2e-5) and abs(x[1]) < 1e-9
    # 20 km north: the tangent plane is within the documented ~5e-6 of the arc.
    lats = np.linspace(45.0, 45.18, 1801)
    arc_m = segment_length_m(np.zeros(1800), lats[:-1], np.zeros(1800), lats[1:]).sum()
    _, y_far = proj.forward(0.0, 45.18)
    assert abs(float(y_far) / arc_m - 1.0) < 1e-5
    assert abs(float(y_far) / arc_m - 1.0) > 1e-7  # and the error is really there
