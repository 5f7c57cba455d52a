"""Euro standards of the car fleet: on-road NOx by standard, the per-trip draw, the NOx
correction of the road account and the low-emission zone by standard."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from twincity.context import TripRuleInput
from twincity.emissions import euro
from twincity.emissions.factors import emission_factor
from twincity.emissions.subsystem import road_euro_nox_correction_t_per_yr
from twincity.model import CityModel
from twincity.policies.fleet import LowEmissionZonePolicy, ZoneCarBan
from twincity.vocab import CAR

SHORT = {"simulation.start_h": 7, "simulation.duration_h": 3, "simulation.equilibrium_days": 2}


def test_on_road_diesel_nox_by_standard_matches_independent_measurements():
    # ICCT 2017 (independent and member-state testing, via Clean Energy Wire): Euro 6 diesel
    # cars 0.48-0.56 g/km on the road; a pure Euro 6 fleet within 25 % of the midpoint
    assert euro.mix_nox_g_per_km("diesel_car", {"euro6": 1.0}) == pytest.approx(0.52, rel=0.25)
    # ICCT 2017 (541 Euro 5/6 diesel cars, via AirClim): Euro 5 more than 4 x 0.18 g/km,
    # Euro 6 about 4.5 x 0.08 g/km
    assert euro.ON_ROAD_NOX_G_PER_KM["diesel_car"]["euro5"] > 4 * 0.18
    assert euro.ON_ROAD_NOX_G_PER_KM["diesel_car"]["euro6"] == pytest.approx(4.5 * 0.08,
                                                                              rel=0.4)
    # the Euro 6d standard is the table's own row (EMEP/EEA 2023 Tier 2, mean 20-130 km/h)
    v = np.arange(20.0, 131.0)
    for cls in euro.EURO_CAR_CLASSES:
        table_mean = float(np.mean(emission_factor(cls, "nox", v)))
        assert table_mean == pytest.approx(euro.ON_ROAD_NOX_G_PER_KM[cls]["euro6d"], rel=1e-6)


def test_trip_draw_follows_the_mix_and_is_reproducible():
    n = 40_000
    names = np.array(["diesel_car"] * n)
    u = np.random.default_rng(1).random(n)
    mix = {"euro4": 0.2, "euro5": 0.3, "euro6": 0.3, "euro6d": 0.2}
    idx = euro.trip_euro_class(names, u, {"diesel_car": mix})
    for std, share in mix.items():
        got = np.mean(idx == euro.EURO_CLASSES.index(std))
        assert got == pytest.approx(share, abs=4 * np.sqrt(share * (1 - share) / n))
    assert np.array_equal(idx, euro.trip_euro_class(names, u, {"diesel_car": mix}))


def test_nox_correction_by_hand():
    # two diesel trips of 1 kWh and 2 kWh, Euro 5 and Euro 6d; a petrol trip of 3 kWh, Euro 3
    names = np.array(["diesel_car", "diesel_car", "petrol_car", "bev_car"])
    idx = np.array([2, 4, 0, -1])
    energy = np.array([1.0, 2.0, 3.0, 5.0])
    # the kernel charges every trip at Euro 6d: NOx = energy x (NOx/kWh of the table)
    k_d, k_p = euro.nox_per_kwh("diesel_car"), euro.nox_per_kwh("petrol_car")
    kernel = 1.0 * k_d + 2.0 * k_d + 3.0 * k_p
    by_hand = 1.0 * k_d * 0.99 / 0.074 + 2.0 * k_d + 3.0 * k_p * 0.10 / 0.032
    got = kernel + euro.euro_nox_correction_g(names, idx, energy)
    assert got == pytest.approx(by_hand, rel=1e-12)


def test_zone_rule_bans_only_cars_below_the_minimum_standard():
    classes = ["petrol_car", "diesel_car", "hybrid_car", "bev_car"]
    n = 2000
    rng = np.random.default_rng(2)
    mix = {"diesel_car": {"euro5": 0.5, "euro6d": 0.5}, "petrol_car": {"euro3": 0.3,
                                                                        "euro6": 0.7}}
    model = SimpleNamespace(seed=7,
                            city=SimpleNamespace(spec=SimpleNamespace(
                                fleet=SimpleNamespace(euro_mix=mix))))
    trips = SimpleNamespace(origin_node=rng.integers(0, 4, n), dest_node=rng.integers(0, 4, n),
                            car_available=np.ones(n, dtype=bool))
    car_class = rng.integers(0, 4, n)
    names = np.asarray(classes)[car_class]
    trip_id = np.arange(n) * 3 + 5  # identities, not positions
    day = TripRuleInput(trips=trips, car_class=names.astype(object), context=model,
                        trip_id=trip_id)
    zone = np.array([True, False, False, False])
    ulez = ZoneCarBan(zone, ["diesel_car", "petrol_car"],
                      {"diesel_car": "euro6", "petrol_car": "euro4"})
    banned = ulez(day)
    from twincity import draws

    std = euro.trip_euro_class(names, draws.uniform(7, euro.STREAM, trip_id), mix)
    ends = zone[trips.origin_node] | zone[trips.dest_node]
    expected = ends & (((names == "diesel_car") & (std == 2)) | ((names == "petrol_car")
                                                                   & (std == 0)))
    np.testing.assert_array_equal(banned, expected)
    assert banned.any() and not banned[names == "bev_car"].any()


def _run(path, mix, policies=()):
    over = {**SHORT, "fleet.euro_mix": mix}
    m = CityModel.from_file(path, overrides=over, subsystems=("traffic", "emissions"),
                            policies=list(policies))
    m.run()
    return m


def test_lez_by_standard_and_its_nox_follow_the_euro_mix(tiny_path):
    """A ULEZ-like rule (diesel Euro 6 or newer) on the tiny city: with an all-Euro-6d
    diesel fleet it bans nothing and changes nothing; with an all-Euro-5 fleet it takes
    every diesel trip to or from the zone off the road and the NOx saved is the Euro 5
    factor's."""
    rule = {"central_share": 0.3, "banned_classes": ["diesel_car"],
            "min_euro": {"diesel_car": "euro6"}, "compliance_renewal_share": 0.0}
    new = {"diesel_car": {"euro6d": 1.0}}
    old = {"diesel_car": {"euro5": 1.0}}
    base_new, lez_new = _run(tiny_path, new), _run(tiny_path, new, [LowEmissionZonePolicy(rule)])
    assert lez_new.transport_authority.trip_rules[0].n_banned == 0
    nox = {name: m.emissions.by_source().set_index("source").loc["road_vehicles",
                                                                    "nox_t_per_yr"]
           for name, m in (("base_new", base_new), ("lez_new", lez_new))}
    assert nox["lez_new"] == pytest.approx(nox["base_new"], rel=1e-12)

    base_old, lez_old = _run(tiny_path, old), _run(tiny_path, old, [LowEmissionZonePolicy(rule)])
    t = lez_old.traffic
    zone = np.zeros(lez_old.city.network.n_nodes, dtype=bool)
    zone[lez_old.policies[0][1].concrete["zone_nodes"]] = True
    ends = zone[t.trips.origin_node] | zone[t.trips.dest_node]
    diesel = t.car_class == t.classes.index("diesel_car")
    assert np.sum(ends & diesel) > 0 and np.sum((t.mode == CAR) & ends & diesel) == 0
    # hand-computed: the Euro 5 fleet's correction is (0.99 / 0.074 - 1) x the Euro 6d diesel
    # NOx, i.e. diesel NOx x 13.4; the road NOx of the same traffic with and without the mix
    diesel_kwh = lambda m: m.traffic.trip_table().query(  # noqa: E731
        "veh_class == 'diesel_car'")["energy_kwh"].sum()
    per_t = 365 / base_old.traffic.share / 1e6
    expected = diesel_kwh(base_old) * euro.nox_per_kwh("diesel_car") * (0.99 / 0.074 - 1) * per_t
    assert road_euro_nox_correction_t_per_yr(
        base_old.context, base_old.products.get("trips")) == pytest.approx(expected, rel=1e-9)
    saved_old = (base_old.emissions.by_source().set_index("source").loc["road_vehicles",
                                                                          "nox_t_per_yr"]
                 - lez_old.emissions.by_source().set_index("source").loc["road_vehicles",
                                                                           "nox_t_per_yr"])
    assert saved_old > 0.0


# --- freight by type ------------------------------------------------------------------------


def test_freight_correction_by_hand():
    from twincity.emissions import freight

    types = np.array([0, 1, 2])  # van, rigid, articulated
    energy = np.array([10.0, 20.0, 30.0])
    got = freight.freight_correction(types, energy)
    # the kernel charges all three as articulated: X = energy x (X/kWh of the truck row)
    for pol in freight.CORRECTED:
        k = freight.per_kwh(pol)
        kernel = 60.0 * k
        by_hand = (10.0 * freight.freight_ratio("van", pol) + 20.0
                   * freight.freight_ratio("rigid", pol) + 30.0) * k
        assert kernel + got[pol] == pytest.approx(by_hand, rel=1e-12)
    # a van fleet emits about a fifth of the articulated CO2 per km
    v = np.arange(10.0, 61.0)
    van = freight.freight_ratio("van", "co2") * emission_factor("truck", "co2", v)
    assert np.all((van > 150.0) & (van < 600.0))


def test_freight_mix_lowers_road_co2_by_the_hand_computed_amount(tiny_path):
    from twincity.emissions import freight

    over = {**SHORT, "fleet.truck_share": 0.2}
    runs = {}
    for name, mix in (("artic", None), ("vans", {"van": 1.0})):
        m = CityModel.from_file(tiny_path, overrides={**over, "fleet.freight_mix": mix},
                                subsystems=("traffic", "emissions"))
        m.run()
        runs[name] = m
    road = {n: m.emissions.by_source().set_index("source").loc["road_vehicles"]
            for n, m in runs.items()}
    t = runs["artic"].traffic
    truck_kwh = t.trip_table().iloc[len(t.trips):]["energy_kwh"].sum()
    assert truck_kwh > 0
    saved_t = truck_kwh * freight.per_kwh("co2") * (1 - 0.22) / t.share * 365 / 1e6
    assert road["artic"]["co2_t_per_yr"] - road["vans"]["co2_t_per_yr"] == pytest.approx(
        saved_t, rel=1e-9)


def test_a_trips_euro_class_does_not_depend_on_which_other_trips_exist():
    """Common random numbers: removing trips (remote work) keeps every other car's standard."""
    from twincity import draws

    mix = {"diesel_car": {"euro4": 0.3, "euro5": 0.3, "euro6d": 0.4}}
    ids = np.arange(500) * 7 + 11
    names = np.full(len(ids), "diesel_car")
    every = euro.trip_euro_class(names, draws.uniform(3, euro.STREAM, ids), mix)
    keep = ids % 3 != 0
    context = SimpleNamespace(seed=3)
    fewer = euro.trip_euro_class(names[keep], euro.trip_uniforms(context, ids[keep]), mix)
    np.testing.assert_array_equal(fewer, every[keep])
