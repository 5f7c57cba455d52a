"""TNTP reader: Sioux Falls as published, general files, and malformed input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import SIOUX, needs_sioux
from twincity.city.io_tntp import (
    link_index,
    read_tntp_flows,
    read_tntp_network,
    read_tntp_trips,
)
from twincity.errors import InputError

NET_HEADER = """<NUMBER OF ZONES> {zones}
<NUMBER OF NODES> {nodes}
<FIRST THRU NODE> {ftn}
<NUMBER OF LINKS> {links}
{extra}<END OF METADATA>

~ init_node term_node capacity length free_flow_time b power speed toll link_type ;
"""


def _net_file(tmp_path: Path, rows: list[str], *, zones=2, nodes=4, ftn=1, extra="",
              links=None) -> Path:
    path = tmp_path / "t_net.tntp"
    text = NET_HEADER.format(zones=zones, nodes=nodes, ftn=ftn, extra=extra,
                             links=len(rows) if links is None else links)
    path.write_text(text + "".join(f"\t{r}\t;\n" for r in rows))
    return path


@needs_sioux
def test_sioux_falls_network_matches_the_published_description():
    net, meta = read_tntp_network(SIOUX / "SiouxFalls_net.tntp")
    # README: 24 zones, 24 nodes, 76 links; first line 1→2, capacity 25900.20064, fft 6.
    assert (meta.zones, net.n_nodes, net.n_links, meta.first_thru_node) == (24, 24, 76, 1)
    assert net.node_id.tolist() == list(range(1, 25))
    k = int(link_index(net, np.array([1]), np.array([2]))[0])
    assert net.capacity_vph[k] == pytest.approx(25900.20064)
    assert net.free_flow_s[k] == 6.0 and net.length_m[k] == 6.0
    assert net.bpr_alpha[k] == 0.15 and net.bpr_beta[k] == 4.0
    assert np.all(net.lanes == 1) and np.all(net.toll == 0)
    assert (meta.toll_factor, meta.distance_factor) == (0.0, 0.0)
    assert not meta.no_through(net).any()  # first thru node 1: every node passable
    # A time unit factor scales times only.
    net36, _ = read_tntp_network(SIOUX / "SiouxFalls_net.tntp", time_unit_s=36.0)
    np.testing.assert_allclose(net36.free_flow_s, 36.0 * net.free_flow_s)
    np.testing.assert_allclose(net36.length_m, net.length_m)


@needs_sioux
def test_sioux_falls_trips_total_and_a_known_entry():
    demand = read_tntp_trips(SIOUX / "SiouxFalls_trips.tntp")
    assert demand.shape == (24, 24)
    assert demand.sum() == pytest.approx(360600.0)  # README "Trips: 360,600.0"
    assert demand[0, 9] == 1300.0 and demand[0, 0] == 0.0 and demand[1, 5] == 400.0


@needs_sioux
def test_sioux_falls_flows_cover_every_link():
    net, _ = read_tntp_network(SIOUX / "SiouxFalls_net.tntp")
    flows = read_tntp_flows(SIOUX / "SiouxFalls_flow.tntp")
    volume, cost = flows.on(net)
    assert len(flows.volume) == net.n_links
    assert np.all(volume > 0) and np.all(np.isfinite(cost))
    k = int(link_index(net, np.array([1]), np.array([2]))[0])
    assert volume[k] == pytest.approx(4494.6576464564205)


def test_general_file_non_contiguous_nodes_centroids_and_cost_weights(tmp_path):
    rows = ["1 10 100 2 3 0.15 4 0 5 1", "10 2 100 0 0 0.15 4 0 0 1",
            "2 25 50 1 1 1 1 0 0 1", "25 1 50 1 1 1 1 0 0 1"]
    path = _net_file(tmp_path, rows, zones=2, nodes=30, ftn=3,
                     extra="<TOLL FACTOR> 0.5\n<DISTANCE FACTOR> 0.25\n")
    net, meta = read_tntp_network(path)
    # NUMBER OF NODES 30 ≥ every number used: nodes 1..30 all exist, numbered as in the file.
    assert net.n_nodes == 30 and net.node_id[0] == 1 and net.node_id[-1] == 30
    assert net.node_id[net.link_from].tolist() == [1, 10, 2, 25]
    assert net.node_id[net.link_to].tolist() == [10, 2, 25, 1]
    assert (meta.toll_factor, meta.distance_factor) == (0.5, 0.25)
    assert net.toll.tolist() == [5.0, 0.0, 0.0, 0.0]
    assert net.node_id[meta.zone_nodes(net)].tolist() == [1, 2]
    assert net.node_id[meta.no_through(net)].tolist() == [1, 2]
    # A zero length/time link stays usable and costs (almost) nothing.
    assert net.free_flow_s[1] == 0.0 and 0 < net.length_m[1] < 1e-6
    net.check()


def test_non_contiguous_nodes_beyond_declared_count_are_mapped(tmp_path):
    path = _net_file(tmp_path, ["1 1000 10 1 1 0.15 4", "1000 2 10 1 1 0.15 4"], zones=2,
                     nodes=3)
    net, _ = read_tntp_network(path)
    assert net.node_id.tolist() == [1, 2, 1000]
    assert link_index(net, np.array([1000, 2]), np.array([2, 1])).tolist() == [1, -1]


@pytest.mark.parametrize(("row", "line", "words"), [
    ("1 2 100 1", 8, "at least 7 columns"),
    ("1 2 lots 1 1 0.15 4 0 0 1", 8, "capacity: expected a number"),
    ("1 2 0 1 1 0.15 4 0 0 1", 8, "capacity: expected a positive number"),
    ("1 2.5 10 1 1 0.15 4 0 0 1", 8, "term_node: expected a positive integer"),
    ("1 2 10 1 -1 0.15 4 0 0 1", 8, "free_flow_time: expected a non-negative"),
])
def test_malformed_network_names_file_and_line(tmp_path, row, line, words):
    path = _net_file(tmp_path, [row], links=1)
    with pytest.raises(InputError) as err:
        read_tntp_network(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}:{line}:") and words in msg and "\n" not in msg


def test_network_metadata_errors(tmp_path):
    path = _net_file(tmp_path, ["1 2 10 1 1 0.15 4 0 0 1"], links=3)
    with pytest.raises(InputError, match="NUMBER OF LINKS"):
        read_tntp_network(path)
    path.write_text("<NUMBER OF ZONES> two\n<END OF METADATA>\n1 2 10 1 1 0.15 4 0 0 1 ;\n")
    with pytest.raises(InputError, match=r":1: NUMBER OF ZONES: expected an integer"):
        read_tntp_network(path)
    path.write_text("<END OF METADATA>\n1 2 10 1 1 0.15 4 0 0 1 ;\n")
    with pytest.raises(InputError, match="NUMBER OF ZONES"):
        read_tntp_network(path)
    with pytest.raises(InputError, match="cannot read"):
        read_tntp_network(tmp_path / "missing_net.tntp")


def _trips_file(tmp_path: Path, body: str, zones: int = 3) -> Path:
    path = tmp_path / "t_trips.tntp"
    path.write_text(f"<NUMBER OF ZONES> {zones}\n<TOTAL OD FLOW> 0\n<END OF METADATA>\n\n"
                    + body)
    return path


def test_trips_blocks_comments_and_duplicates(tmp_path):
    body = ("~ comment\nOrigin 1\n  2 : 10.5;  3 : 4;\nOrigin 3\n 1 :1e2; 1 : 1;\n"
            "Origin 2\n")
    demand = read_tntp_trips(_trips_file(tmp_path, body))
    expected = np.zeros((3, 3))
    expected[0, 1], expected[0, 2], expected[2, 0] = 10.5, 4.0, 101.0
    np.testing.assert_array_equal(demand, expected)


@pytest.mark.parametrize(("body", "line", "words"), [
    ("1 : 5;\n", 5, "Origin"),
    ("Origin 1\n 2 = 5;\n", 6, "destination : trips"),
    ("Origin 1\n 4 : 5;\n", 6, "zone in 1..3, got 4"),
    ("Origin 9\n", 5, "Origin zone in 1..3"),
    ("Origin 1\n 2 : x;\n", 6, "number of trips"),
    ("Origin 1\n 2 : -1;\n", 6, "non-negative"),
])
def test_malformed_trips_name_file_and_line(tmp_path, body, line, words):
    path = _trips_file(tmp_path, body)
    with pytest.raises(InputError) as err:
        read_tntp_trips(path)
    assert str(err.value).startswith(f"{path}:{line}:") and words in str(err.value)


def test_malformed_flows(tmp_path):
    path = tmp_path / "t_flow.tntp"
    path.write_text("From\tTo\tVolume\tCost\n1\t2\t5.0\t1.0\n2\t1\tmany\t1.0\n")
    with pytest.raises(InputError, match=r":3: Volume: expected a number"):
        read_tntp_flows(path)
    path.write_text("From\tTo\tVolume\tCost\n")
    with pytest.raises(InputError, match="found none"):
        read_tntp_flows(path)
