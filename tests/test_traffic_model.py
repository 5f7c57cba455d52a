"""The traffic subsystem inside CityModel: determinism, conservation, reporting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from twincity.model import CityModel
from twincity.traffic.routes import route_costs, take_routes

FAST = {"simulation.equilibrium_days": 2}


def run(path: Path, seed: int = 1, **overrides):
    model = CityModel.from_file(path, seed=seed, overrides={**FAST, **overrides},
                                subsystems=("traffic",))
    return model, model.run()


def test_same_seed_same_tables_different_seed_differs(tiny_path: Path) -> None:
    _, a = run(tiny_path, seed=4)
    _, b = run(tiny_path, seed=4)
    _, c = run(tiny_path, seed=5)
    pd.testing.assert_frame_equal(a.tables["trips"], b.tables["trips"])
    pd.testing.assert_frame_equal(a.tables["links"], b.tables["links"])
    assert not a.tables["trips"]["departure_s"].equals(c.tables["trips"]["departure_s"])


def test_every_road_vehicle_is_accounted_for(tiny_path: Path) -> None:
    model, res = run(tiny_path)
    trips = res.tables["trips"]
    sim = model.traffic.sim
    c = sim.counters
    assert c["departed"] == c["arrived"] + c["aborted"] + c["waiting"] + c["en_route"]
    road = trips[trips["road"] & ~trips["no_path"]]
    assert len(road) == len(model.traffic.sim.departure_s)
    arrived = road["arrival_s"].notna()
    assert arrived.sum() == c["arrived"]
    # nobody beats free flow: the kernel rounds each link's free-flow time to whole
    # 1-s ticks, so compare with the rounded times along each route
    traffic = model.traffic
    sim_routes = take_routes(traffic.book, traffic.sim_road)
    ticks = np.maximum(1.0, np.floor(traffic.net.free_flow_s + 0.5))
    rounded = route_costs(sim_routes.start, sim_routes.links, ticks,
                          np.zeros(sim_routes.n_trips, dtype=np.int64))
    tt = sim.trip_table()["travel_time_s"].to_numpy()
    done = ~np.isnan(tt)
    assert np.all(tt[done] >= rounded[done] - 1.0)


def test_link_flows_balance(tiny_path: Path) -> None:
    model, res = run(tiny_path)
    links = res.tables["links"]
    sim = model.traffic.sim
    on_links = int(sim.occupancy_veh.sum())
    assert links["inflow_veh"].sum() - links["outflow_veh"].sum() == on_links
    # an outflow is an arrival, an abort, or an entry into a next link (inflow that is not
    # a first entry); trips with empty routes arrive without a link and cancel out
    c = sim.counters
    first_entries = c["departed"] - c["waiting"]
    assert links["outflow_veh"].sum() == (c["arrived"] + c["aborted"]
                                          + links["inflow_veh"].sum() - first_entries)


def test_zero_trips_runs(tiny_path: Path, monkeypatch) -> None:
    # a scenario file asking for so few trips is refused at load (scenario/limits.py); the
    # model itself must still cope with an empty trip table
    monkeypatch.setattr("twincity.scenario.limits.MIN_SIMULATED_TRIPS", 0)
    _, res = run(tiny_path, **{"demand.trips_per_person_per_day": 1e-6})
    assert len(res.tables["trips"]) == 0
    assert res.kpi("person_trips_per_day") == 0


def test_trips_without_a_path_are_reported_not_simulated(tiny_path: Path) -> None:
    model = CityModel.from_file(tiny_path, seed=1, overrides=FAST, subsystems=("traffic",))
    traffic = model.traffic
    drivers = np.flatnonzero(traffic.mode == 0)[:5]
    book = traffic.book
    ok = book.ok.copy()
    ok[drivers] = False  # as if a closure had cut these trips off
    traffic.book = type(book)(start=book.start, links=book.links, ok=ok, cost_s=book.cost_s)
    traffic.sim = traffic.make_sim()
    res = model.run()
    trips = res.tables["trips"]
    assert trips.loc[drivers, "no_path"].all()
    assert trips.loc[drivers, "travel_time_s"].isna().all()
    assert len(traffic.sim.departure_s) == int(trips["road"].sum()) - len(drivers)


def test_day_to_day_reports_a_gap_per_day(tiny_path: Path) -> None:
    _, res = run(tiny_path, **{"simulation.equilibrium_days": 3,
                               "demand.trips_per_person_per_day": 6})
    days = res.tables["equilibration"]
    assert list(days["day"]) == list(range(len(days)))
    assert (days["relative_gap"] >= 0).all() and (days["relative_gap"] < 1).all()


@pytest.mark.parametrize("share", [0.05, 0.2])
def test_sampled_capacities(tiny_path: Path, share: float) -> None:
    model, _ = run(tiny_path, **{"simulation.sample_share": share,
                                 "simulation.equilibrium_days": 1})
    net, full = model.traffic.net, model.city.network
    assert np.allclose(net.capacity_vph, full.capacity_vph * share)
    assert np.allclose(net.storage_veh, np.maximum(1.0, full.storage_veh * share ** 0.75))


def test_book_keeps_routes_of_drivers(tiny_path: Path) -> None:
    model, _ = run(tiny_path)
    traffic = model.traffic
    road = traffic.road_vehicles()
    routes = take_routes(traffic.book, road)
    assert routes.ok.all()
    net = traffic.net
    for i in range(0, len(road), 97):
        lk = routes.links[routes.start[i]:routes.start[i + 1]]
        if len(lk):
            assert net.link_from[lk[0]] == traffic.origin_node[road[i]]
            assert net.link_to[lk[-1]] == traffic.dest_node[road[i]]
