"""Static assignment against published and analytic equilibria, and the ``assign`` CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.optimize import brentq
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from conftest import SIOUX, needs_sioux
from twincity.city.io_tntp import (
    link_index,
    read_tntp_flows,
    read_tntp_network,
    read_tntp_trips,
)
from twincity.city.network import Network
from twincity.cli import main as cli_main
from twincity.traffic.assignment import bpr_cost, frank_wolfe


@pytest.fixture(scope="module")
def sioux():
    net, meta = read_tntp_network(SIOUX / "SiouxFalls_net.tntp")
    demand = read_tntp_trips(SIOUX / "SiouxFalls_trips.tntp")
    volume, cost = read_tntp_flows(SIOUX / "SiouxFalls_flow.tntp").on(net)
    return net, meta, demand, volume, cost


def _net(link_from, link_to, fft, alpha, beta, cap, n_nodes) -> Network:
    m = len(link_from)
    return Network.from_links(
        node_x_m=np.zeros(n_nodes), node_y_m=np.zeros(n_nodes),
        link_from=np.array(link_from), link_to=np.array(link_to), length_m=np.ones(m),
        lanes=np.ones(m), speed_mps=np.ones(m), capacity_vph=np.array(cap, dtype=float),
        free_flow_s=np.array(fft, dtype=float), bpr_alpha=np.array(alpha, dtype=float),
        bpr_beta=np.array(beta, dtype=float))


# ------------------------------------------------------------- Sioux Falls
@needs_sioux
@pytest.mark.parametrize(("method", "gap"), [("cfw", 1e-5), ("bfw", 1e-5), ("fw", 1e-4)])
def test_sioux_falls_matches_best_known_flows_on_every_link(sioux, method, gap):
    net, meta, demand, ref_volume, ref_cost = sioux
    res = frank_wolfe(net, demand, meta.zone_nodes(net), gap=gap, method=method,
                      max_iter=5000, no_through=meta.no_through(net))
    assert res.converged and res.relative_gap <= gap
    assert res.relative_gap == res.gaps[-1] and len(res.gaps) == res.iterations + 1
    # Every published flow is well above zero, so a plain 1% relative bound applies.
    assert ref_volume.min() > 0.01 * ref_volume.mean()
    np.testing.assert_allclose(res.flow_vph, ref_volume, rtol=0.01)
    np.testing.assert_allclose(res.cost, ref_cost, rtol=0.01)
    assert len(res.unreachable_od) == 0 and res.assigned_demand == pytest.approx(360600.0)


@needs_sioux
def test_sioux_falls_objective_matches_the_published_optimum(sioux):
    net, meta, demand, *_ = sioux
    res = frank_wolfe(net, demand, meta.zone_nodes(net), gap=1e-6, method="bfw", max_iter=5000)
    # README: optimal objective 42.31335287107440, i.e. in hours (fft is 0.01 h) and
    # thousands of trips: a factor 100 × 1000 from the file's units.
    assert res.objective / 1e5 == pytest.approx(42.31335287107440, rel=1e-6)


@needs_sioux
def test_sioux_falls_gap_conservation_and_costs_checked_independently(sioux):
    net, meta, demand, *_ = sioux
    zones = meta.zone_nodes(net)
    res = frank_wolfe(net, demand, zones, gap=1e-4)
    assert res.relative_gap <= 1e-4
    # Flow conservation at every node: in − out = trips attracted − trips produced.
    inflow = np.bincount(net.link_to, res.flow_vph, minlength=net.n_nodes)
    outflow = np.bincount(net.link_from, res.flow_vph, minlength=net.n_nodes)
    np.testing.assert_allclose(inflow - outflow, demand.sum(0) - demand.sum(1), atol=1e-6)
    # The reported gap, recomputed with scipy's Dijkstra on the reported link costs.
    np.testing.assert_allclose(res.cost, bpr_cost(net, res.flow_vph))
    graph = csr_matrix((res.cost, (net.link_from, net.link_to)), shape=(24, 24))
    sp = dijkstra(graph, indices=zones)[:, zones]
    np.testing.assert_allclose(res.od_cost, sp, rtol=1e-12)
    tstt = float(res.flow_vph @ res.cost)
    assert res.relative_gap == pytest.approx((tstt - (demand * sp).sum()) / tstt, rel=1e-6)


# ----------------------------------------------------------------- analytic
@pytest.mark.parametrize("method", ["fw", "cfw", "bfw"])
def test_two_parallel_links_split_at_equal_cost(method):
    fft, cap, total = [10.0, 15.0], [1000.0, 1500.0], 3000.0
    net = _net([0, 0], [1, 1], fft, [0.15, 0.15], [4, 4], cap, 2)
    res = frank_wolfe(net, np.array([[0.0, total], [0.0, 0.0]]), np.array([0, 1]), gap=1e-9,
                      method=method, max_iter=10000)

    def cost(i, v):
        return fft[i] * (1 + 0.15 * (v / cap[i]) ** 4)

    v0 = brentq(lambda v: cost(0, v) - cost(1, total - v), 0.0, total)
    np.testing.assert_allclose(res.flow_vph, [v0, total - v0], rtol=1e-4)
    assert res.od_cost[0, 1] == pytest.approx(cost(0, v0), rel=1e-6)
    assert res.mean_cost == pytest.approx(cost(0, v0), rel=1e-6)


def test_braess_paradox_raises_the_equilibrium_cost():
    # s=0, a=1, b=2, t=3; s→a and b→t cost 1 + v/100, a→t and s→b cost 45, a→b costs 0.
    #                from          to            fft             alpha        beta  capacity
    braess = _net([0, 1, 0, 2], [1, 3, 2, 3], [1, 45, 45, 1], [1, 0, 0, 1], [1] * 4,
                  [100, 1, 1, 100], 4)
    shortcut = _net([0, 1, 0, 2, 1], [1, 3, 2, 3, 2], [1, 45, 45, 1, 0], [1, 0, 0, 1, 0],
                    [1] * 5, [100, 1, 1, 100, 1], 4)
    demand, zones = np.array([[0.0, 4000.0], [0.0, 0.0]]), np.array([0, 3])
    without = frank_wolfe(braess, demand, zones, gap=1e-10, max_iter=1000)
    with_shortcut = frank_wolfe(shortcut, demand, zones, gap=1e-10, max_iter=1000)
    # Analytic: 2000 each way at 1 + 20 + 45 = 66; with the shortcut everyone takes
    # s→a→b→t at 41 + 0 + 41 = 82 (each detour would cost 86).
    np.testing.assert_allclose(without.flow_vph, [2000, 2000, 2000, 2000], rtol=1e-6)
    assert without.mean_cost == pytest.approx(66.0, rel=1e-6)
    np.testing.assert_allclose(with_shortcut.flow_vph, [4000, 0, 0, 4000, 4000], atol=1e-6)
    assert with_shortcut.mean_cost == pytest.approx(82.0, rel=1e-9)
    assert with_shortcut.od_cost[0, 1] > without.od_cost[0, 1]


def test_unreachable_od_pairs_are_reported_and_the_rest_assigned():
    net = _net([0, 1], [1, 0], [1, 1], [0.15, 0.15], [4, 4], [100, 100], 3)  # node 2 isolated
    demand = np.array([[0.0, 10.0, 5.0], [3.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    res = frank_wolfe(net, demand, np.array([0, 1, 2]))
    assert res.unreachable_od.tolist() == [[0, 2]] and res.unreachable_demand == 5.0
    np.testing.assert_allclose(res.flow_vph, [10.0, 3.0])
    assert np.isinf(res.od_cost[0, 2]) and res.converged and res.assigned_demand == 13.0


def test_no_through_centroid_is_not_used_as_a_shortcut():
    # Zone nodes 0, 1, 2; 0→1→2 costs 2, the direct 0→2 costs 10.
    net = _net([0, 1, 0], [1, 2, 2], [1, 1, 10], [0, 0, 0], [1, 1, 1], [1, 1, 1], 3)
    demand = np.zeros((3, 3))
    demand[0, 2] = 100.0
    free = frank_wolfe(net, demand, np.arange(3))
    np.testing.assert_allclose(free.flow_vph, [100, 100, 0])
    blocked = frank_wolfe(net, demand, np.arange(3), no_through=np.array([True, True, True]))
    np.testing.assert_allclose(blocked.flow_vph, [0, 0, 100])
    assert blocked.od_cost[0, 2] == 10.0 and blocked.od_cost[0, 1] == 1.0


def test_generalized_cost_weights_move_traffic_off_a_tolled_link():
    net = _net([0, 0], [1, 1], [10, 12], [0, 0], [1, 1], [1, 1], 2)
    net = net.replace(toll=np.array([5.0, 0.0]))
    demand, zones = np.array([[0.0, 50.0], [0.0, 0.0]]), np.array([0, 1])
    assert frank_wolfe(net, demand, zones).flow_vph.tolist() == [50.0, 0.0]
    tolled = frank_wolfe(net, demand, zones, toll_factor=1.0)
    assert tolled.flow_vph.tolist() == [0.0, 50.0] and tolled.od_cost[0, 1] == 12.0


def test_bad_arguments_raise():
    net = _net([0], [1], [1], [0.15], [4], [1], 2)
    with pytest.raises(ValueError, match="method"):
        frank_wolfe(net, np.zeros((2, 2)), np.array([0, 1]), method="msa")
    with pytest.raises(ValueError, match="zones × zones"):
        frank_wolfe(net, np.zeros((3, 3)), np.array([0, 1]))


# ----------------------------------------------------------------------- CLI
@needs_sioux
def test_cli_assign_writes_flows_matching_the_published_solution(sioux, tmp_path):
    net, _, _, ref_volume, _ = sioux
    out = tmp_path / "flows.csv"
    result = CliRunner().invoke(cli_main, [
        "assign", str(SIOUX / "SiouxFalls_net.tntp"), str(SIOUX / "SiouxFalls_trips.tntp"),
        "--gap", "1e-5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "relative gap" in result.stdout and "iterations" in result.stdout
    table = pd.read_csv(out)
    assert list(table.columns) == ["from", "to", "volume", "cost"] and len(table) == 76
    idx = link_index(net, table["from"].to_numpy(), table["to"].to_numpy())
    np.testing.assert_allclose(table["volume"].to_numpy(), ref_volume[idx], rtol=0.01)
    assert [p.name for p in tmp_path.iterdir()] == ["flows.csv"]  # no temp file left


def test_cli_assign_malformed_file_exits_2_with_one_line(tmp_path):
    net_file = tmp_path / "bad_net.tntp"
    net_file.write_text("<NUMBER OF ZONES> 2\n<END OF METADATA>\n1 2 many 1 1 0.15 4 0 0 1 ;\n")
    trips = tmp_path / "t_trips.tntp"
    trips.write_text("<NUMBER OF ZONES> 2\n<END OF METADATA>\nOrigin 1\n 2 : 5;\n")
    out = tmp_path / "flows.csv"
    result = CliRunner().invoke(cli_main, ["assign", str(net_file), str(trips), "--out",
                                           str(out)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{net_file}:3: capacity" in lines[0]
    assert not out.exists()


def test_cli_assign_zone_count_mismatch_names_the_trips_file(tmp_path):
    net_file = tmp_path / "n_net.tntp"
    net_file.write_text("<NUMBER OF ZONES> 2\n<END OF METADATA>\n1 2 10 1 1 0.15 4 0 0 1 ;\n")
    trips = tmp_path / "t_trips.tntp"
    trips.write_text("<NUMBER OF ZONES> 3\n<END OF METADATA>\nOrigin 1\n 2 : 5;\n")
    result = CliRunner().invoke(cli_main, ["assign", str(net_file), str(trips)])
    assert result.exit_code == 2 and str(trips) in result.stderr
    assert "expected 2 zones" in result.stderr


def test_cli_assign_missing_output_folder_is_an_input_error(tmp_path):
    net_file = tmp_path / "n_net.tntp"
    net_file.write_text("<NUMBER OF ZONES> 2\n<END OF METADATA>\n1 2 10 1 1 0.15 4 0 0 1 ;\n")
    trips = tmp_path / "t_trips.tntp"
    trips.write_text("<NUMBER OF ZONES> 2\n<END OF METADATA>\nOrigin 1\n 2 : 5;\n")
    out = tmp_path / "no_such_dir" / "flows.csv"
    result = CliRunner().invoke(cli_main, ["assign", str(net_file), str(trips), "--out",
                                           str(out)])
    assert result.exit_code == 2 and "--out" in result.stderr and "folder" in result.stderr
    ok = CliRunner().invoke(cli_main, ["assign", str(net_file), str(trips), "--out",
                                       str(tmp_path / "f.csv")])
    assert ok.exit_code == 0, ok.output
    assert pd.read_csv(tmp_path / "f.csv").to_dict("records") == [
        {"from": 1, "to": 2, "volume": 5.0, "cost": pytest.approx(1 + 0.15 * 0.5 ** 4)}]
