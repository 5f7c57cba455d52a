"""The comparison scenario: build it once, write it for every tool.

A scenario is a network, trips (origin node, destination node, departure)
and their free-flow shortest-path routes, computed once by twincity and
handed unchanged to every tool:

- ``scenario.npz``: the arrays (read by the twincity and UXsim workers);
- ``sumo/net.net.xml``: the network, from plain ``nod``/``edg`` files through
  ``netconvert`` (lengths, lanes and speeds given explicitly);
- ``sumo/fixed.rou.xml``: one vehicle per trip with its route;
- ``sumo/dynamic.rou.xml``: one junction-to-junction trip per vehicle, routed
  by SUMO at departure (``--junction-taz``) and rerouted on the way.

Nodes are named ``n<index>`` and links ``l<index>`` in every tool.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import (
    SCENARIOS,
    SEED,
    Workload,
    city_trips,
    grid_workload,
)

#: Link arrays written to ``scenario.npz``.
LINK_FIELDS = ("link_from", "link_to", "length_m", "lanes", "speed_mps", "capacity_vph",
               "storage_veh", "free_flow_s")


@dataclass(frozen=True)
class ScenarioInfo:
    name: str
    n_nodes: int
    n_links: int
    n_trips: int
    horizon_s: float
    mean_free_flow_s: float  #: mean free-flow travel time of the routed trips


def grid_scenario(grid_n: int, n_trips: int, lanes: int, seed: int = SEED) -> tuple[str, Workload]:
    return f"grid{grid_n}x{grid_n}-{n_trips}trips-{lanes}lane", grid_workload(
        grid_n, n_trips, lanes, seed)


def city_scenario(city: str, n_trips: int, seed: int = SEED) -> tuple[str, Workload]:
    """A shipped city's network (``build_city``) with random node-to-node trips over one
    hour and a two-hour horizon, like the grid case (the scenario's own demand is not
    used: ``CityModel`` does not generate trips yet)."""
    from twincity.city.build import build_city
    from twincity.scenario.loader import load_scenario

    net = build_city(load_scenario(SCENARIOS / f"{city}.yaml")).network
    return f"{city}-{n_trips}trips", city_trips(net, n_trips, seed, window_s=3600.0,
                                                horizon_s=7200.0, mean_trip_m=None)


def write_npz(w: Workload, path: Path) -> None:
    net = w.net
    np.savez(path, node_x_m=net.node_x_m, node_y_m=net.node_y_m,
             **{k: getattr(net, k) for k in LINK_FIELDS},
             origin=w.origin, dest=w.dest, departure_s=w.departure_s,
             route_start=w.routes.start, route_links=w.routes.links,
             horizon_s=np.float64(w.horizon_s))


def _write(path: Path, header: str, lines, footer: str) -> None:
    with open(path, "w") as f:
        f.write(header)
        f.writelines(lines)
        f.write(footer)


def write_sumo(w: Workload, folder: Path) -> None:
    """Network (via netconvert) and the two route files."""
    folder.mkdir(parents=True, exist_ok=True)
    net = w.net
    _write(folder / "nodes.nod.xml", "<nodes>\n",
           (f'  <node id="n{i}" x="{x:.2f}" y="{y:.2f}" type="priority"/>\n'
            for i, (x, y) in enumerate(zip(net.node_x_m, net.node_y_m, strict=True))),
           "</nodes>\n")
    _write(folder / "edges.edg.xml", "<edges>\n",
           (f'  <edge id="l{k}" from="n{a}" to="n{b}" numLanes="{nl}" speed="{v:.4f}" '
            f'length="{length:.2f}" priority="1"/>\n'
            for k, (a, b, nl, v, length) in enumerate(zip(
                net.link_from, net.link_to, net.lanes, net.speed_mps, net.length_m,
                strict=True))),
           "</edges>\n")
    netconvert = shutil.which("netconvert") or str(Path(sys.executable).parent / "netconvert")
    subprocess.run([netconvert, "--node-files", str(folder / "nodes.nod.xml"),
                    "--edge-files", str(folder / "edges.edg.xml"),
                    "--output-file", str(folder / "net.net.xml"),
                    "--offset.disable-normalization", "true", "--no-warnings", "true",
                    "--no-turnarounds", "true"],
                   check=True, capture_output=True)
    start, links = w.routes.start, w.routes.links
    attrs = 'departLane="best" departSpeed="max"'
    _write(folder / "fixed.rou.xml", "<routes>\n",
           (f'  <vehicle id="{i}" depart="{t:.2f}" {attrs}><route edges="'
            + " ".join(f"l{k}" for k in links[start[i]:start[i + 1]]) + '"/></vehicle>\n'
            for i, t in enumerate(w.departure_s)),
           "</routes>\n")
    _write(folder / "dynamic.rou.xml", "<routes>\n",
           (f'  <trip id="{i}" depart="{t:.2f}" fromJunction="n{o}" toJunction="n{d}" '
            f'{attrs}/>\n'
            for i, (t, o, d) in enumerate(zip(w.departure_s, w.origin, w.dest, strict=True))),
           "</routes>\n")


def export(name: str, w: Workload, folder: Path, sumo: bool = True) -> ScenarioInfo:
    """Write the scenario for every tool into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    write_npz(w, folder / "scenario.npz")
    if sumo:
        write_sumo(w, folder / "sumo")
    return ScenarioInfo(name=name, n_nodes=w.net.n_nodes, n_links=w.net.n_links,
                        n_trips=w.n_trips, horizon_s=w.horizon_s,
                        mean_free_flow_s=float(np.mean(w.routes.cost_s)))
