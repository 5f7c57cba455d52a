"""The synthetic road network generator and the network scenario section.

Checks are against independent computations: geometry recomputed from node
coordinates, connectivity from networkx, river crossings from the river's own
line equation, and counts from the spec.
"""

from __future__ import annotations

import dataclasses
import math

import networkx as nx
import numpy as np
import pytest
from pydantic import ValidationError

from twincity.city.generator import generate_network, generate_network_report
from twincity.city.network import ROAD_CLASSES
from twincity.scenario.sections_network import NetworkSpec, RiverSpec, StreetGeneratorSpec

MOTORWAY = ROAD_CLASSES.index("motorway")
ARTERIAL = ROAD_CLASSES.index("arterial")
COLLECTOR = ROAD_CLASSES.index("collector")


def _river_distance_m(net, river: RiverSpec, radius_m: float) -> np.ndarray:
    """Signed distance of nodes from the river line: point-to-line formula, written afresh."""
    a = math.radians(river.angle_deg)
    # The line passes through c = offset·R·n with normal n = (-sin a, cos a).
    offset_m = river.offset_share * radius_m
    cx, cy = -math.sin(a) * offset_m, math.cos(a) * offset_m
    return (net.node_x_m - cx) * -math.sin(a) + (net.node_y_m - cy) * math.cos(a)


# ------------------------------------------------------------- determinism
def test_same_seed_gives_identical_arrays():
    spec = StreetGeneratorSpec(seed=7, river=RiverSpec(angle_deg=30, bridges=2))
    a, b = generate_network(spec), generate_network(spec.model_copy())
    for f in dataclasses.fields(a):
        np.testing.assert_array_equal(getattr(a, f.name), getattr(b, f.name), err_msg=f.name)


def test_different_seeds_give_different_networks():
    a = generate_network(StreetGeneratorSpec(seed=1))
    b = generate_network(StreetGeneratorSpec(seed=2))
    assert a.n_nodes != b.n_nodes or not np.allclose(a.node_x_m, b.node_x_m)


# ------------------------------------------------------------ connectivity
@pytest.mark.parametrize("spec", [
    StreetGeneratorSpec(),
    StreetGeneratorSpec(drop_share=0.5, jitter_share=0.4, seed=5),
    StreetGeneratorSpec(scale=3, ring_roads_share=[0.3, 0.8], radials=7,
                  river=RiverSpec(angle_deg=-40, offset_share=0.35, bridges=2, width_m=300)),
    StreetGeneratorSpec(ring_roads_share=[], radials=0, collector_density=1.0),
])
def test_strongly_connected_and_two_way(spec):
    net = generate_network(spec)
    assert nx.is_strongly_connected(nx.DiGraph(net.to_networkx()))
    # Links come in opposite pairs 2e, 2e+1 with identical attributes.
    np.testing.assert_array_equal(net.link_from[0::2], net.link_to[1::2])
    np.testing.assert_array_equal(net.link_to[0::2], net.link_from[1::2])
    np.testing.assert_array_equal(net.road_class[0::2], net.road_class[1::2])


def test_drop_count_is_the_difference_to_the_undropped_network():
    # The random draws before dropping are the same, so the two networks differ
    # exactly by the dropped roads (two directed links each).
    full, _ = generate_network_report(StreetGeneratorSpec(drop_share=0.0, seed=4))
    thin, rep = generate_network_report(StreetGeneratorSpec(drop_share=0.3, seed=4))
    assert rep.n_links_dropped > 0
    assert full.n_nodes == thin.n_nodes
    assert full.n_links - thin.n_links == 2 * rep.n_links_dropped
    # Only grid roads are dropped: motorway links are untouched.
    assert np.sum(full.road_class == MOTORWAY) == np.sum(thin.road_class == MOTORWAY)


# ------------------------------------------------------------------- river
@pytest.mark.parametrize("river", [
    RiverSpec(angle_deg=20, offset_share=0.1, bridges=3, width_m=100),
    RiverSpec(angle_deg=95, offset_share=-0.3, bridges=1, width_m=60),
    RiverSpec(angle_deg=0, offset_share=0.0, bridges=4, width_m=1500),  # wider than a block
])
def test_river_is_crossed_only_by_the_bridges(river):
    spec = StreetGeneratorSpec(scale=2, river=river)
    net, rep = generate_network_report(spec)
    d = _river_distance_m(net, river, spec.radius_m)
    assert np.all(np.abs(d) >= river.width_m / 2 - 1e-6), "a junction lies in the river"
    crossing = np.flatnonzero(np.sign(d[net.link_from]) != np.sign(d[net.link_to]))
    assert len(crossing) == 2 * river.bridges == 2 * rep.n_bridges
    # Two directed links per bridge, opposite directions of the same road.
    pairs = {tuple(sorted((int(net.link_from[k]), int(net.link_to[k])))) for k in crossing}
    assert len(pairs) == river.bridges
    # Both banks are reached from each other only over the bridges: connected.
    assert nx.is_strongly_connected(nx.DiGraph(net.to_networkx()))
    # Bridges lie near the centre: their crossing points are within the city.
    for u, v in pairs:
        mid = np.hypot((net.node_x_m[u] + net.node_x_m[v]) / 2,
                       (net.node_y_m[u] + net.node_y_m[v]) / 2)
        assert mid < spec.radius_m


# -------------------------------------------------------------- geometry
def test_link_length_is_the_distance_between_its_end_nodes():
    net = generate_network(StreetGeneratorSpec(scale=2, river=RiverSpec(angle_deg=60)))
    expected = [math.dist((net.node_x_m[f], net.node_y_m[f]), (net.node_x_m[t], net.node_y_m[t]))
                for f, t in zip(net.link_from, net.link_to, strict=True)]
    np.testing.assert_allclose(net.length_m, expected, rtol=1e-12)
    assert np.all(net.length_m > 0)
    np.testing.assert_allclose(net.free_flow_s, net.length_m / net.speed_mps)


@pytest.mark.parametrize("seed", range(6))
def test_no_self_loops_duplicates_or_sliver_links(seed):
    spec = StreetGeneratorSpec(seed=seed, scale=1 + seed % 3, radials=seed + 2, jitter_share=0.4,
                         ring_roads_share=[0.2, 0.5, 0.9][: seed % 4], drop_share=0.3,
                         river=RiverSpec(angle_deg=37 * seed, offset_share=0.2))
    net = generate_network(spec)
    assert not np.any(net.link_from == net.link_to)
    pairs = net.link_from.astype(np.int64) * net.n_nodes + net.link_to
    assert len(np.unique(pairs)) == net.n_links
    assert net.length_m.min() > 0.05 * spec.arterial_spacing_m


def test_nodes_stay_within_the_city_radius_and_fill_it():
    spec = StreetGeneratorSpec(scale=3, jitter_share=0.4)
    net = generate_network(spec)
    r = np.hypot(net.node_x_m, net.node_y_m)
    # Lattice points are clipped to the disc, then jittered by at most
    # jitter × spacing per axis.
    assert r.max() <= spec.radius_m + spec.jitter_share * spec.arterial_spacing_m * math.sqrt(2)
    assert r.max() >= spec.radius_m - spec.arterial_spacing_m  # reaches the edge
    # Junctions are spread over the disc: about as many per area inside as outside R/√2.
    inner = np.sum(r < spec.radius_m / math.sqrt(2))
    assert 0.3 < inner / net.n_nodes < 0.8


def test_size_grows_linearly_with_scale():
    nets = {s: generate_network(StreetGeneratorSpec(scale=s)) for s in (4, 8, 16)}
    for small, big in ((4, 8), (8, 16)):
        assert 1.8 < nets[big].n_nodes / nets[small].n_nodes < 2.2
        assert 1.8 < nets[big].lane_km / nets[small].lane_km < 2.2


def test_ring_road_is_a_motorway_polygon_at_its_radius():
    spec = StreetGeneratorSpec(scale=2, ring_roads_share=[0.5], radials=0, drop_share=0.0,
                         road_classes={"motorway": {"speed_kmh": 100, "lanes": 3}})
    net = generate_network(spec)
    rho = 0.5 * spec.radius_m
    on_ring = np.abs(np.hypot(net.node_x_m, net.node_y_m) - rho) < 1e-6
    assert on_ring.sum() >= 8
    ring_link = on_ring[net.link_from] & on_ring[net.link_to]
    motorway = net.road_class == MOTORWAY
    np.testing.assert_array_equal(ring_link, motorway)  # without radials, motorway = ring
    np.testing.assert_allclose(net.speed_mps[motorway], 100 / 3.6)
    assert np.all(net.lanes[motorway] == 3)
    # A closed polygon: every ring vertex has exactly two motorway neighbours.
    out_deg = np.bincount(net.link_from[motorway], minlength=net.n_nodes)
    assert np.all(out_deg[on_ring] == 2)
    assert motorway.sum() == 2 * on_ring.sum()
    # Joined to the grid: some ring vertices also have a link road.
    assert np.bincount(net.link_from, minlength=net.n_nodes)[on_ring].max() == 3


def test_radials_reach_from_near_the_centre_to_the_edge():
    spec = StreetGeneratorSpec(scale=4, ring_roads_share=[], radials=5)
    net = generate_network(spec)
    g = nx.Graph()
    mw = np.flatnonzero(net.road_class == MOTORWAY)
    g.add_edges_from(zip(net.link_from[mw].tolist(), net.link_to[mw].tolist(), strict=True))
    spokes = list(nx.connected_components(g))
    assert len(spokes) == 5
    for spoke in spokes:
        r = np.hypot(net.node_x_m[list(spoke)], net.node_y_m[list(spoke)])
        assert r.min() <= max(spec.arterial_spacing_m, 0.1 * spec.radius_m) * 1.5
        assert r.max() >= spec.radius_m - 1.5 * spec.arterial_spacing_m


def test_collectors_only_in_the_centre():
    spec = StreetGeneratorSpec(scale=4, collector_density=0.25)
    net = generate_network(spec)
    col = net.road_class == COLLECTOR
    assert col.any()
    mid_r = np.hypot((net.node_x_m[net.link_from] + net.node_x_m[net.link_to]) / 2,
                     (net.node_y_m[net.link_from] + net.node_y_m[net.link_to]) / 2)
    assert mid_r[col].max() <= spec.radius_m * math.sqrt(0.25) + spec.arterial_spacing_m
    # Half spacing: a collector joins lattice points half an arterial spacing apart.
    ratio = np.median(net.length_m[col]) / (spec.arterial_spacing_m / 2)
    assert 0.85 < ratio < 1.15
    outer_r = spec.radius_m * 0.5 + 2 * spec.arterial_spacing_m
    outer = (net.road_class == ARTERIAL) & (mid_r > outer_r)
    assert 0.85 < np.median(net.length_m[outer]) / spec.arterial_spacing_m < 1.15
    assert not (generate_network(StreetGeneratorSpec(collector_density=0.0)).road_class
                == COLLECTOR).any()


# -------------------------------------------------------------- attributes
def test_capacity_lanes_speed_and_storage_follow_the_road_classes():
    spec = StreetGeneratorSpec(road_classes={"arterial": {"capacity_vphpl": 1000, "lanes": 3},
                                       "collector": {"jam_density_vpkm_per_lane": 150}})
    net = generate_network(spec)
    for name, rc in spec.road_classes.items():
        m = net.road_class == ROAD_CLASSES.index(name)
        assert m.any(), name
        assert np.all(net.lanes[m] == rc.lanes)
        np.testing.assert_allclose(net.speed_mps[m], rc.speed_mps)
        np.testing.assert_allclose(net.capacity_vph[m], rc.lanes * rc.capacity_vph_per_lane)
        np.testing.assert_allclose(
            net.storage_veh[m],
            np.maximum(1.0, net.length_m[m] * rc.lanes * rc.jam_density_vpkm_per_lane / 1000))
    assert spec.road_classes["arterial"].capacity_vph_per_lane == 1000
    assert spec.road_classes["collector"].lanes == 1  # default kept under a partial override


# ------------------------------------------------------------------ section
def _error(data: dict) -> str:
    with pytest.raises(ValidationError) as info:
        NetworkSpec.model_validate(data)
    return str(info.value)


@pytest.mark.parametrize(("data", "words"), [
    ({"generator": {"arterial_spacing_m": -800}}, ["arterial_spacing_m", "equal to 50"]),
    ({"generator": {}, "file": "city.graphml"}, ["exactly one", "generator", "file", "both"]),
    ({}, ["exactly one", "neither"]),
    ({"generator": {"ring_roads_share": [0.5, 1.0]}}, ["ring_roads_share", "less than 1"]),
    ({"generator": {"jitter_share": 0.6}}, ["jitter_share", "0.4"]),
    ({"generator": {"radials": -1}}, ["radials"]),
    ({"generator": {"road_classes": {"highway": {}}}}, ["road_classes", "highway", "motorway"]),
    ({"generator": {"road_classes": {"arterial": {"lanes": 0}}}}, ["lanes"]),
    ({"generator": {"river": {"bridges": 0}}}, ["river.bridges"]),
    ({"generator": {"urban_area_km2": 1}}, ["urban_area_km2", "arterial_spacing_m"]),
    ({"generator": {"spacing_m": 500}}, ["spacing_m", "Extra inputs"]),
    ({"file": "city.csv"}, ["city.csv", "format"]),
    ({"generator": {}, "format": "osm"}, ["format", "file"]),
])
def test_bad_network_sections_are_refused_with_the_field_named(data, words):
    message = _error(data)
    for word in words:
        assert word in message, (word, message)


def test_section_units_and_file_formats():
    spec = NetworkSpec.model_validate({"generator": {
        "arterial_spacing_km": 0.6, "road_classes": {"motorway": {"speed_kmh": 72}}}})
    assert spec.generator.arterial_spacing_m == pytest.approx(600)
    assert spec.generator.road_classes["motorway"].speed_mps == pytest.approx(20)
    assert spec.generator.road_classes["motorway"].capacity_vph_per_lane == 1900
    assert NetworkSpec.model_validate({"file": "net/Sioux.GRAPHML"}).format == "graphml"
    assert NetworkSpec.model_validate({"file": "m.osm.xml"}).format == "osm"
    assert NetworkSpec.model_validate({"file": "x.xml", "format": "osm"}).format == "osm"
    assert StreetGeneratorSpec(urban_area_km2=50, scale=2).radius_m == pytest.approx(
        math.sqrt(100e6 / math.pi))


def test_cut_off_pieces_are_dropped_and_reported(caplog):
    # Ring arcs beyond a wide river with sparse interchanges lose every link to the
    # main network; they are dropped, logged and counted.
    spec = StreetGeneratorSpec(seed=17, ring_roads_share=[0.5, 0.85], radials=3,
                         interchange_spacing_m=6000,
                         river=RiverSpec(angle_deg=187, offset_share=0.5, width_m=700, bridges=1))
    with caplog.at_level("INFO", logger="twincity.city.generator"):
        net, rep = generate_network_report(spec)
    assert rep.n_nodes_cut_off > 0
    assert f"{rep.n_nodes_cut_off} junctions cut off" in caplog.text
    assert nx.is_strongly_connected(nx.DiGraph(net.to_networkx()))
    assert np.unique(net.node_id).size == net.n_nodes
