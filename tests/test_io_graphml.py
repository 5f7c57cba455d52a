"""GraphML: exact round trip, atomic writes, OSMnx-style foreign graphs, bad input."""

from __future__ import annotations

import itertools
import math
import os

import networkx as nx
import numpy as np
import pytest

from twincity.city import io_graphml
from twincity.city.io_graphml import read_graphml, write_graphml
from twincity.city.network import Network
from twincity.city.osm_defaults import HIGHWAY_DEFAULTS
from twincity.errors import InputError
from twincity.vocab import ROAD_CLASSES

LINK_ARRAYS = ("link_from", "link_to", "length_m", "lanes", "speed_mps", "capacity_vph",
               "road_class", "free_flow_s", "storage_veh", "bpr_alpha", "bpr_beta", "toll")
ALL_ARRAYS = (*LINK_ARRAYS, "node_x_m", "node_y_m", "node_id",
              "out_start", "out_link", "in_start", "in_link")


def random_network(seed=7, n_nodes=30, n_links=90):
    rng = np.random.default_rng(seed)
    f = rng.integers(0, n_nodes, n_links)
    t = (f + rng.integers(1, n_nodes, n_links)) % n_nodes
    f[:3], t[:3] = 4, 9  # parallel links
    return Network.from_links(
        node_x_m=rng.normal(0, 3000, n_nodes), node_y_m=rng.normal(0, 3000, n_nodes) / 3.0,
        link_from=f, link_to=t, length_m=rng.uniform(1, 2000, n_links),
        lanes=rng.integers(1, 5, n_links), speed_mps=rng.uniform(2, 35, n_links),
        capacity_vph=rng.uniform(300, 9000, n_links),
        road_class=rng.integers(0, len(ROAD_CLASSES), n_links),
        free_flow_s=rng.uniform(0.1, 500, n_links), storage_veh=rng.uniform(1, 400, n_links),
        bpr_alpha=rng.uniform(0.1, 1, n_links), bpr_beta=rng.uniform(1, 6, n_links),
        toll=rng.uniform(0, 5, n_links) * (rng.random(n_links) < 0.3),
        node_id=rng.choice(10**11, n_nodes, replace=False) + 10**9,
    )


def test_round_trip_is_exact(tmp_path):
    net = random_network()
    p = tmp_path / "net.graphml"
    write_graphml(net, p)
    back = read_graphml(p)
    for name in ALL_ARRAYS:
        a, b = getattr(net, name), getattr(back, name)
        assert a.dtype == b.dtype, name
        assert np.array_equal(a, b), name
    assert os.listdir(tmp_path) == ["net.graphml"]  # no temporary left behind
    gz = tmp_path / "net.graphml.gz"
    write_graphml(net, gz)
    assert gz.stat().st_size < p.stat().st_size / 2
    assert np.array_equal(read_graphml(gz).length_m, net.length_m)


def test_written_file_reads_in_networkx_as_to_networkx(tmp_path):
    net = random_network(seed=3)
    p = tmp_path / "net.graphml"
    write_graphml(net, p)
    g = nx.read_graphml(p, node_type=int, force_multigraph=True)
    ref = net.to_networkx()
    assert list(g.nodes(data=True)) == list(ref.nodes(data=True))
    assert sorted(g.edges(keys=True, data=True), key=lambda e: e[2]) == \
        sorted(ref.edges(keys=True, data=True), key=lambda e: e[2])
    assert g.graph["twincity_format"] == "1"


def test_edited_file_with_missing_attributes_uses_defaults(tmp_path):
    net = random_network(seed=4)
    p = tmp_path / "net.graphml"
    write_graphml(net, p)
    text = p.read_text()
    first_edge = text.index("<edge ")
    toll_data = text.index('<data key="e9">', first_edge)
    end = text.index("</data>", toll_data) + len("</data>")
    p.write_text(text[:toll_data] + text[end:])  # drop link 0's toll
    back = read_graphml(p)
    assert back.toll[0] == 0.0 and np.array_equal(back.toll[1:], net.toll[1:])
    assert np.array_equal(back.length_m, net.length_m)


def test_failed_write_keeps_old_file(tmp_path, monkeypatch):
    p = tmp_path / "net.graphml"
    write_graphml(random_network(seed=1), p)
    before = p.read_bytes()

    def broken(net, *_):
        yield "<graphml>half"
        raise OSError("disk full")

    monkeypatch.setattr(io_graphml, "_graphml_lines", broken)
    with pytest.raises(OSError, match="disk full"):
        write_graphml(random_network(seed=2), p)
    assert p.read_bytes() == before
    assert os.listdir(tmp_path) == ["net.graphml"]


# ---------------------------------------------------------------- OSMnx style
R_M = 6371000.0


def hav_m(lon1, lat1, lon2, lat2):
    f1, f2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((f2 - f1) / 2) ** 2
         + math.cos(f1) * math.cos(f2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * R_M * math.asin(math.sqrt(h))


LONLAT = {101: (-0.1300, 51.5000), 102: (-0.1250, 51.5010), 103: (-0.1240, 51.5050),
          104: (-0.1200, 51.4990)}
BEND = [(-0.1250, 51.5010), (-0.1262, 51.5030), (-0.1240, 51.5050)]


def osmnx_graph():
    """What ``ox.save_graphml`` writes: lon/lat x/y, every attribute a string."""
    g = nx.MultiDiGraph(crs="epsg:4326", created_with="🌐 OSMnx 1.9", simplified="True")
    for n, (lon, lat) in LONLAT.items():
        g.add_node(n, x=str(lon), y=str(lat), street_count="3", osmid=str(n))
    ab = hav_m(*LONLAT[101], *LONLAT[102])
    two_way = {"osmid": "9001", "highway": "primary", "oneway": "False", "lanes": "4",
               "maxspeed": "50 mph", "length": repr(ab)}
    g.add_edge(101, 102, key=0, reversed="False", **two_way)
    g.add_edge(102, 101, key=0, reversed="True", **two_way)
    g.add_edge(102, 103, key=0, osmid="['9002', '9003']",
               highway="['residential', 'unclassified']", oneway="True",
               lanes="['1', '2']", maxspeed="['30', '50']",
               geometry="LINESTRING (" + ", ".join(f"{x} {y}" for x, y in BEND) + ")")
    g.add_edge(102, 103, key=1, osmid="9004", highway="tertiary", oneway="True")  # parallel
    g.add_edge(103, 104, key=0, osmid="9005", highway="track", oneway="True",
               speed_kph="35.5", lanes="a few")
    return g


@pytest.fixture
def osmnx_file(tmp_path):
    p = tmp_path / "osmnx.graphml"
    nx.write_graphml(osmnx_graph(), p)
    return p


def link(net, u, v, nth=0):
    ids = net.node_id
    ks = [k for k in range(net.n_links) if ids[net.link_from[k]] == u and ids[net.link_to[k]] == v]
    return ks[nth]


def test_osmnx_graph_lengths_and_projection(osmnx_file):
    net = read_graphml(osmnx_file)
    assert net.n_links == 5 and sorted(net.node_id.tolist()) == [101, 102, 103, 104]
    # Given OSMnx length is kept as is.
    assert net.length_m[link(net, 101, 102)] == hav_m(*LONLAT[101], *LONLAT[102])
    # Missing length: the geometry, then the straight line, vs independent haversine.
    bend = sum(hav_m(*p, *q) for p, q in itertools.pairwise(BEND))
    assert net.length_m[link(net, 102, 103, 0)] == pytest.approx(bend, rel=5e-3)
    straight = hav_m(*LONLAT[102], *LONLAT[103])
    assert net.length_m[link(net, 102, 103, 1)] == pytest.approx(straight, rel=5e-3)
    assert bend > straight * 1.1
    # Coordinates are metres now: pairwise distances match haversine.
    i = {int(n): k for k, n in enumerate(net.node_id)}
    for a, b in itertools.combinations(LONLAT, 2):
        d = math.hypot(net.node_x_m[i[a]] - net.node_x_m[i[b]],
                       net.node_y_m[i[a]] - net.node_y_m[i[b]])
        assert d == pytest.approx(hav_m(*LONLAT[a], *LONLAT[b]), rel=5e-3)
    assert abs(net.node_x_m.mean()) < 1.0 and abs(net.node_y_m.mean()) < 1.0  # centroid


def test_osmnx_graph_attributes_and_defaults(osmnx_file):
    net = read_graphml(osmnx_file)
    prim = HIGHWAY_DEFAULTS["primary"]
    for u, v in [(101, 102), (102, 101)]:
        k = link(net, u, v)
        assert net.lanes[k] == 2  # lanes=4 on a two-way road: 2 each way
        assert net.speed_mps[k] == pytest.approx(50 * 0.44704)  # 50 mph
        assert net.capacity_vph[k] == pytest.approx(2 * prim.capacity_vphpl)
        assert ROAD_CLASSES[net.road_class[k]] == prim.road_class
    k = link(net, 102, 103, 0)  # highway list: residential vs unclassified → unclassified
    unc = HIGHWAY_DEFAULTS["unclassified"]
    assert net.lanes[k] == 1 and net.speed_mps[k] == pytest.approx(40 / 3.6)
    assert net.capacity_vph[k] == pytest.approx(unc.capacity_vphpl)
    k = link(net, 102, 103, 1)  # nothing but highway=tertiary: all defaults
    ter = HIGHWAY_DEFAULTS["tertiary"]
    assert net.lanes[k] == ter.lanes_per_direction
    assert net.speed_mps[k] == pytest.approx(ter.speed_kmh / 3.6)
    k = link(net, 103, 104)  # unknown highway=track, junk lanes, OSMnx speed_kph
    assert net.lanes[k] == unc.lanes_per_direction
    assert net.speed_mps[k] == pytest.approx(35.5 / 3.6)
    assert net.free_flow_s == pytest.approx(net.length_m / net.speed_mps)
    assert np.all(net.bpr_alpha == 0.15) and np.all(net.toll == 0.0)


def test_undirected_metre_graph(tmp_path):
    g = nx.Graph()
    g.add_node("a", x=0.0, y=0.0)
    g.add_node("b", x=300.0, y=400.0)
    g.add_edge("a", "b", highway="residential")
    p = tmp_path / "plain.graphml"
    nx.write_graphml(g, p)
    net = read_graphml(p)
    assert net.n_links == 2 and net.node_id.tolist() == [0, 1]
    assert net.length_m.tolist() == [500.0, 500.0]  # coordinates already metres (out of lon/lat)


def test_doctype_refused(tmp_path, osmnx_file):
    text = osmnx_file.read_text()
    p = tmp_path / "evil.graphml"
    p.write_text(text.replace("?>", '?>\n<!DOCTYPE graphml [<!ENTITY x "y">]>', 1))
    with pytest.raises(InputError, match="DOCTYPE") as e:
        read_graphml(p)
    assert e.value.line == 2


def test_truncated_graphml_names_the_line(tmp_path, osmnx_file):
    lines = osmnx_file.read_text().splitlines()
    p = tmp_path / "cut.graphml"
    p.write_text("\n".join(lines[:30]))
    with pytest.raises(InputError) as e:
        read_graphml(p)
    assert e.value.file == str(p) and e.value.line == 30


def test_bad_own_attribute_named(tmp_path):
    g = nx.MultiDiGraph(twincity_format="1")
    g.add_node(1, x_m=0.0, y_m=0.0)
    g.add_node(2, x_m="east", y_m=0.0)
    g.add_edge(1, 2, length_m=10.0)
    p = tmp_path / "bad.graphml"
    nx.write_graphml(g, p)
    with pytest.raises(InputError, match=r"node\[2\]\.x_m.*expected a number"):
        read_graphml(p)


def test_link_polylines_round_trip(tmp_path):
    from twincity.city.io_graphml import read_link_geometry

    net = random_network(seed=2)
    wkt = [f"LINESTRING ({k}.5 60.0, {k}.25 60.1, {k}.0 60.2)" for k in range(net.n_links)]
    write_graphml(net, tmp_path / "n.graphml", link_geometry_wkt=wkt)
    assert read_link_geometry(tmp_path / "n.graphml") == wkt
    assert np.array_equal(read_graphml(tmp_path / "n.graphml").length_m, net.length_m)
    write_graphml(net, tmp_path / "plain.graphml")
    assert read_link_geometry(tmp_path / "plain.graphml") is None
