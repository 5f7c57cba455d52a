"""Hire cars (taxis and ride-hail, ``fleet.hire``): passenger legs, empty legs, the model.

Checked against what the draw promises (a binomial count, the empty-distance share it
is sized to), identity keying (removing trips leaves the others' taxis alone), and
conservation in a run of the tiny city (every leg is a road vehicle that arrives; the
person trips and their modes are those of the same city without hire cars).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from conftest import write_variant
from twincity.model import CityModel
from twincity.traffic.entries import HIRE_IDENTITY_OFFSET
from twincity.traffic.hire import empty_km_share_of, hire_legs
from twincity.vocab import MODES


def _trips(n: int, rng: np.random.Generator) -> SimpleNamespace:
    """``n`` trips between random nodes of a 20×20 grid (1 km), zone = node."""
    o = rng.integers(0, 400, n)
    d = rng.integers(0, 400, n)
    return SimpleNamespace(origin_node=o, dest_node=d, origin_zone=o, dest_zone=d,
                           departure_s=rng.uniform(6 * 3600, 22 * 3600, n),
                           purpose=rng.integers(0, 2, n).astype(np.int8))


GRID_X = np.tile(np.arange(20) * 1000.0, 20)
GRID_Y = np.repeat(np.arange(20) * 1000.0, 20)
FREE_S = np.hypot(GRID_X[:, None] - GRID_X[None, :], GRID_Y[:, None] - GRID_Y[None, :]) / 10.0


def _legs(trips, ident, share=0.1, empty=0.4):
    return hire_legs(trips, ident, seed=7, passenger_share=share, empty_km_share=empty,
                     node_x_m=GRID_X, node_y_m=GRID_Y, free_time_s=FREE_S,
                     window_s=(0.0, 86400.0))


def test_passenger_legs_are_a_binomial_share_of_trips_and_copy_them() -> None:
    trips = _trips(40_000, np.random.default_rng(1))
    legs = _legs(trips, np.arange(40_000))
    routable = int(np.sum(trips.origin_node != trips.dest_node))
    n_occ = int(legs.occupied.sum())
    sd = np.sqrt(routable * 0.1 * 0.9)
    assert abs(n_occ - 0.1 * routable) < 4 * sd
    # each passenger leg is its own trip: same ends and desired departure
    trip = legs.identity[legs.occupied] - HIRE_IDENTITY_OFFSET
    assert len(np.unique(trip)) == n_occ
    assert np.array_equal(legs.origin_node[legs.occupied], trips.origin_node[trip])
    assert np.array_equal(legs.dest_node[legs.occupied], trips.dest_node[trip])
    assert np.array_equal(legs.departure_s[legs.occupied], trips.departure_s[trip])


def test_empty_legs_drive_the_requested_share_of_distance() -> None:
    trips = _trips(40_000, np.random.default_rng(2))
    for share in (0.2, 0.4):
        legs = _legs(trips, np.arange(40_000), empty=share)
        assert empty_km_share_of(legs, GRID_X, GRID_Y) == pytest.approx(share, abs=0.02)
    none = _legs(trips, np.arange(40_000), empty=0.0)
    assert not np.any(~none.occupied)


def test_empty_legs_go_from_a_drop_off_to_a_later_pickup() -> None:
    trips = _trips(5_000, np.random.default_rng(3))
    legs = _legs(trips, np.arange(5_000), share=0.3)
    occ = legs.occupied
    pickups = set(zip(legs.origin_node[occ].tolist(), legs.departure_s[occ].tolist(), strict=True))
    drop_offs = set(legs.dest_node[occ].tolist())
    empty = np.flatnonzero(~occ)
    assert len(empty) > 0
    assert set(legs.origin_node[empty].tolist()) <= drop_offs
    # each empty leg ends at a pickup and leaves its free-flow time before it
    for i in empty[:200]:
        dep = [t for n, t in pickups if n == legs.dest_node[i]]
        lead = FREE_S[legs.origin_node[i], legs.dest_node[i]]
        assert any(np.isclose(t - lead, legs.departure_s[i]) or
                   (t - lead < 0 and legs.departure_s[i] == 0.0) for t in dep)


def test_removing_trips_keeps_every_other_trips_taxi() -> None:
    """Keyed by identity: a remote-work rule that drops trips changes no one else's draw."""
    trips = _trips(20_000, np.random.default_rng(4))
    ident = np.arange(20_000)
    full = _legs(trips, ident)
    keep = np.random.default_rng(5).random(20_000) < 0.5
    half_trips = SimpleNamespace(**{k: v[keep] for k, v in vars(trips).items()})
    half = _legs(half_trips, ident[keep])
    occ_full = full.identity[full.occupied] - HIRE_IDENTITY_OFFSET  # their trips' ids
    occ_half = half.identity[half.occupied] - HIRE_IDENTITY_OFFSET
    assert len(occ_half) > 0
    assert set(occ_half.tolist()) == {i for i in occ_full.tolist() if keep[i]}


@pytest.fixture(scope="module")
def tiny_pair(tmp_path_factory):
    """The tiny city with and without 3,000 hire trips a day (same seed)."""
    from conftest import DATA
    folder = tmp_path_factory.mktemp("hire")
    (folder / "tiny.yaml").write_text((DATA / "tiny.yaml").read_text())
    with_hire = write_variant(folder, "hire.yaml", {"fleet": {
        "car_shares": {"petrol_car": 0.6, "diesel_car": 0.25, "hybrid_car": 0.1, "bev_car": 0.05},
        "bus_shares": {"diesel_bus": 0.7, "electric_bus": 0.3},
        "hire": {"trips_per_day": 3000, "empty_km_share": 0.4,
                 "car_shares": {"hybrid_car": 1.0}}}})
    base = CityModel(folder / "tiny.yaml", seed=3, subsystems=("traffic",)).run()
    hired = CityModel(with_hire, seed=3, subsystems=("traffic",)).run()
    return base, hired


def test_hire_legs_in_the_tiny_city(tiny_pair) -> None:
    _, hired = tiny_pair
    trips = hired.tables["trips"]
    hire = trips[trips["mode"].isin(["hire", "hire_empty"])]
    share = 1.0 / float(trips["expansion_factor"].iloc[0])
    n_occ = int((hire["mode"] == "hire").sum())
    # 3,000 a day over a sample: binomial around 3,000 × share
    assert abs(n_occ - 3000 * share) < 4 * np.sqrt(3000 * share)
    assert set(hire["veh_class"]) == {"hybrid_car"}
    assert hire["road"].all() and not hire["aborted"].any()
    # sized on straight lines, the empty share of the distance driven stays near 0.4
    km = hire.groupby("mode", observed=True)["distance_m"].sum()
    assert km["hire_empty"] / km.sum() == pytest.approx(0.4, abs=0.08)
    # vehicle-km counts them (conservation: the KPI is every road row's distance)
    kpi = {k.name: k.value for k in hired.kpis}
    road_km = trips.loc[trips["road"], "distance_m"].sum() / 1000.0 / share
    assert kpi["vehicle_km"] == pytest.approx(road_km, rel=1e-9)


def test_hire_cars_are_vehicles_not_travellers(tiny_pair) -> None:
    """Person trips are those of the city without hire cars; road traffic grows."""
    base, hired = tiny_pair
    kb = {k.name: k.value for k in base.kpis}
    kh = {k.name: k.value for k in hired.kpis}
    assert kh["person_trips_per_day"] == kb["person_trips_per_day"]
    assert kh["vehicle_km"] > kb["vehicle_km"]
    tb, th = base.tables["trips"], hired.tables["trips"]
    n_people = len(tb[tb["mode"].isin(MODES)])
    assert len(th[th["mode"].isin(MODES)]) == n_people
    # book order: travellers, trucks, then hire legs (traffic/entries.EntryLayout)
    is_hire = th["mode"].isin(["hire", "hire_empty"]).to_numpy()
    assert is_hire.any() and np.all(is_hire[np.argmax(is_hire):])
