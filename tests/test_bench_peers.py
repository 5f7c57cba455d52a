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
