"""The peer-comparison harness: scenario export, child measurement, the verdict lines."""

from __future__ import annotations

import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

PEERS = Path(__file__).resolve().parents[1] / "benchmarks" / "peers"
sys.path.insert(0, str(PEERS))

import compare  # noqa: E402
from scenario import export, grid_scenario  # noqa: E402


def test_npz_holds_the_scenario(tmp_path):
    name, w = grid_scenario(3, 40, 2)
    info = export(name, w, tmp_path, sumo=False)
    with np.load(tmp_path / "scenario.npz") as z:
        assert np.array_equal(z["route_links"], w.routes.links)
        assert np.array_equal(z["departure_s"], w.departure_s)
        assert np.array_equal(z["lanes"], w.net.lanes)
        assert float(z["horizon_s"]) == w.horizon_s
    assert info.n_trips == 40 and info.n_links == 24
    assert info.mean_free_flow_s == pytest.approx(np.mean(w.routes.cost_s))


@pytest.mark.skipif(compare.sumo_binary() is None, reason="eclipse-sumo not installed")
def test_sumo_files_match_the_scenario(tmp_path):
    name, w = grid_scenario(3, 25, 1)
    export(name, w, tmp_path)
    net = ET.parse(tmp_path / "sumo" / "net.net.xml").getroot()
    edges = {e.get("id"): e for e in net.iter("edge") if e.get("function") != "internal"}
    assert set(edges) == {f"l{k}" for k in range(w.net.n_links)}
    lane = edges["l0"].find("lane")
    assert float(lane.get("length")) == pytest.approx(500.0)
    assert float(lane.get("speed")) == pytest.approx(50 / 3.6, rel=1e-4)
    vehicles = ET.parse(tmp_path / "sumo" / "fixed.rou.xml").getroot().findall("vehicle")
    assert len(vehicles) == 25
    for i, v in enumerate(vehicles):
        links = w.routes.links[w.routes.start[i]:w.routes.start[i + 1]]
        assert v.find("route").get("edges").split() == [f"l{k}" for k in links]


def test_peak_rss_is_the_childs_own():
    # this process has numpy and twincity loaded; a small child must not inherit that
    small = compare.measure([sys.executable, "-c", "pass"], 60)
    # (the child holds its memory a moment, so /proc polling sees it without GNU time too)
    big = compare.measure([sys.executable, "-c", "import time; b = bytearray(300 * 2**20); "
                           "b[::4096] = b'x' * len(b[::4096]); time.sleep(0.3)"], 60)
    assert small[0] == big[0] == "ok"
    if shutil.which("time") or Path("/usr/bin/time").exists():
        assert small[2] < 60
    assert big[2] > 300


def test_timeout_and_failure_are_reported():
    assert compare.measure([sys.executable, "-c", "import time; time.sleep(5)"], 0.3)[0] \
        .startswith("timeout")
    assert compare.measure([sys.executable, "-c", "raise SystemExit(3)"], 60)[0] \
        == "failed (exit 3)"


def test_targets_and_speedup_lines():
    info = compare.ScenarioInfo("s", 4, 8, 10, 7200.0, 100.0)
    runs = [compare.Run("twincity", "fixed", completed=10, mean_travel_time_s=101.0, wall_s=1.0),
            compare.Run("sumo-meso", "fixed", completed=10, mean_travel_time_s=130.0,
                        wall_s=2.0),
            compare.Run("uxsim-py", "fixed", completed=10, mean_travel_time_s=100.0,
                        wall_s=150.0)]
    lines = compare.targets(info, runs)
    assert any("sumo-meso" in x and "2.00x" in x and "missed by 2.5x" in x for x in lines)
    assert any("uxsim-py" in x and "150.00x" in x and ": met" in x for x in lines)
    assert any("sumo-meso" in x and "-22.3%" in x and "missed" in x for x in lines)
    assert compare.speedup(runs) == "speedup vs fastest peer: 2.00"
    assert compare.speedup(runs[:1]) == "speedup vs fastest peer: n/a"


# ------------------------------------------------------------ the common DUE gap
def _three_links():
    from twincity.city.network import Network

    # 0 -> 1 -> 2 (50 s + 50 s at free flow) or 0 -> 2 directly (150 s)
    return Network.from_links(node_x_m=np.array([0.0, 500.0, 1000.0]), node_y_m=np.zeros(3),
                              link_from=np.array([0, 1, 0]), link_to=np.array([1, 2, 2]),
                              length_m=np.array([500.0, 500.0, 1500.0]), lanes=np.ones(3),
                              speed_mps=np.full(3, 10.0), capacity_vph=np.full(3, 1800.0))


def test_common_gap_matches_a_hand_computed_day():
    import commongap

    net = _three_links()
    # one row per link traversal: vehicle, link, entry, exit (s)
    veh = np.array([0, 0, 1, 2, 2, 3])
    link = np.array([0, 1, 2, 0, 1, 0])
    t_in = np.array([10.0, 100.0, 20.0, 310.0, 510.0, 30.0])
    t_out = np.array([100.0, 150.0, 170.0, 510.0, 560.0, np.nan])  # vehicle 3 never arrives
    completed = np.array([True, True, True, False])
    origin, dest = np.zeros(4, np.int64), np.full(4, 2, np.int64)
    dep = np.array([10.0, 20.0, 310.0, 30.0])
    # by hand, 300-s intervals of entry: link 0 takes 90 s in the first and 200 s in the
    # second, link 1 50 s, link 2 150 s (free flow where nobody entered or left).
    # vehicle 0 (0-1-2 at 10 s): 90 + 50 = 140 = best; vehicle 1 (direct at 20 s): 150,
    # best 140; vehicle 2 (0-1-2 at 310 s): 200 + 50 = 250, best 150 (direct).
    # gap = (0 + 10 + 100) / (140 + 150 + 250)
    gap = commongap.gap_from_traversals(net, origin, dest, dep, veh, link, t_in, t_out,
                                        completed, horizon_s=600.0, interval_s=300.0)
    assert gap == pytest.approx(110.0 / 540.0)


def test_a_day_on_best_paths_has_zero_gap_and_fallbacks_apply():
    import commongap

    net = _three_links()
    lt = commongap.link_times_from_stats(
        np.array([[0.0, 0.0, 0.0]]), np.array([[0, 0, 0]]),  # nobody entered
        np.array([[400.0, 0.0, 0.0]]), np.array([[2, 0, 0]]),  # two left link 0: 200 s each
        free_flow_s=net.free_flow_s)
    assert lt.tolist() == [[200.0, 50.0, 150.0]]
    # direct at 150 s beats 200 + 50: a trip on it is at its best, one on 0-1-2 is 100 s off
    gap, cur, best = commongap.common_gap(net, lt, np.array([0, 0]), np.array([2, 2]),
                                          np.array([0.0, 0.0]), np.array([0, 1, 3]),
                                          np.array([2, 0, 1]), interval_s=300.0)
    assert cur.tolist() == [150.0, 250.0] and best.tolist() == [150.0, 150.0]
    assert gap == pytest.approx(100.0 / 400.0)


def test_time_to_gap_and_headline():
    import due

    def doc(tool, gaps, walls):
        return {"tool": tool, "iterations": [
            {"iteration": i, "wall_s": w, "common_gap": g, "mean_travel_time_s": 100.0,
             "completed": 10, "own": {}}
            for i, (g, w) in enumerate(zip(gaps, walls, strict=True))]}

    docs = [doc("twincity", [0.05, 0.015, 0.008], [1.0, 2.0, 3.0]),
            doc("uxsim", [0.04, 0.019], [10.0, 30.0]),
            doc("sumo", [0.03, 0.025], [20.0, 40.0])]
    assert due.time_to_gap(docs[0], 0.02) == 2.0
    assert due.time_to_gap(docs[2], 0.02) is None
    lines = due.report("s", docs)
    head = next(x for x in lines if x.startswith("  gap 0.02"))
    assert "15.0x" in head and ": met" in head
    assert "sumo not reached in 2 iterations / 40 s" in head
    head = next(x for x in lines if x.startswith("  gap 0.01"))
    assert "no peer reached it" in head and "twincity 3.0 s" in head
    # neither peer got to 0.01: each needs longer than its last recorded iteration (30 s)
    assert "speed-up > 10.0x" in head and due.speedup_bound(docs, 0.01) == 10.0
    assert due.speedup_bound(docs, 0.02) is None  # a peer reached it: the ratio is exact
