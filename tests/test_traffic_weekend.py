"""The weekend traffic day and annual totals weighted by day type.

Truths checked: a weekend day keeps each weekday trip ``floor(r) + Bernoulli(frac r)``
times by its own keyed number, so the weekend's trips per purpose are the weekday's
times the scenario's ratio within binomial sampling error (4 standard errors), and
with ratios ≤ 1 they are a subset of the weekday's; annual road totals are exactly
``W_weekday × weekday + W_weekend × weekend`` (261 and 104: a 365-day year is 52 weeks
and a day, 52 × 2 = 104 weekend days); two arms with the same policies have identical
weekend days (common random numbers) and a policy that removes trips leaves the
weekend draws of every other trip as they were.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import DATA
from twincity.emissions.subsystem import (
    road_emissions_t_per_yr,
    road_euro_nox_correction_t_per_yr,
    road_freight_correction_per_yr,
)
from twincity.model import CityModel
from twincity.policies.demand import RemoteWorkPolicy
from twincity.traffic.weekend import weekend_copies
from twincity.vocab import COMMUTE, OTHER

PEAK = {"simulation.start_h": 6, "simulation.duration_h": 5}
#: 261 weekdays and 104 weekend days (52 weeks and a day).
DAYS = [{"name": "wd", "month": 1, "day_of_month": 15, "weight_days": 261},
        {"name": "we", "month": 1, "day_of_month": 18, "weight_days": 104,
         "day_type": "weekend"}]
#: US NHTS 2009 weekend/weekday ratios (the shipped cities' values), freight lower still.
WEEKEND = {"commute_ratio": 0.265, "other_ratio": 1.089, "freight_ratio": 0.265}
OVERRIDES = {**PEAK, "climate.representative_days": DAYS, "demand.weekend": WEEKEND}


def _model(policies=()) -> CityModel:
    model = CityModel.from_file(DATA / "tiny.yaml", overrides=OVERRIDES,
                                policies=list(policies), subsystems=("traffic", "emissions"))
    model.run()
    return model


@pytest.fixture(scope="module")
def arms() -> dict[str, CityModel]:
    """Two arms with the same (no) policy and one with remote work, seed 1."""
    return {"a": _model(), "b": _model(),
            "remote": _model([RemoteWorkPolicy({"remote_share": 0.3})])}


def test_copies_have_the_ratio_in_expectation_and_are_keyed_by_identity() -> None:
    ident = np.arange(200_000)
    for r in (0.265, 1.089, 2.5):
        c = weekend_copies(7, ident, np.full(len(ident), r))
        frac = r - np.floor(r)
        se = np.sqrt(frac * (1 - frac) / len(ident))
        assert abs(c.mean() - r) < 4 * se
        assert set(np.unique(c)) <= {int(np.floor(r)), int(np.floor(r)) + 1}
    # an entry's count does not depend on which others exist
    full = weekend_copies(7, ident, np.full(len(ident), 0.5))
    some = weekend_copies(7, ident[::3], np.full(len(ident[::3]), 0.5))
    assert np.array_equal(full[::3], some)


def test_weekend_trips_are_the_weekday_trips_at_the_published_ratios(arms) -> None:
    tr = arms["a"].subsystem("traffic")
    day = tr.weekend_day()
    purpose = np.asarray(tr.trips.purpose)
    people = day.copies[: len(purpose)]
    for p, r in ((COMMUTE, WEEKEND["commute_ratio"]), (OTHER, WEEKEND["other_ratio"])):
        c = people[purpose == p]
        frac = r - np.floor(r)
        assert abs(c.mean() - r) < 4 * np.sqrt(frac * (1 - frac) / len(c)) + 1e-12
    trucks = day.copies[len(purpose):]
    assert abs(trucks.mean() - WEEKEND["freight_ratio"]) < 4 * np.sqrt(
        0.265 * 0.735 / len(trucks))
    # commutes and freight (ratio < 1) are a subset of the weekday's
    assert people[purpose == COMMUTE].max() <= 1 and trucks.max() <= 1
    # every weekend road vehicle is a weekday road vehicle, on the weekday's route
    frame = day.frame
    assert frame.loc[frame["weekend_trips"] == 0, "energy_kwh"].eq(0).all()
    weekday = tr.trip_table()
    once = (frame["road"] & (frame["weekend_trips"] == 1)).to_numpy()
    same = np.isclose(frame["distance_m"].to_numpy()[once],
                      weekday["distance_m"].to_numpy()[once])
    assert same.mean() > 0.9  # the same route (the rest: still driving at the window's end)
    # less traffic than the weekday: no slower on average (not re-equilibrated)
    assert day.mean_road_time_s <= day.weekday_mean_road_time_s * 1.05


def test_annual_road_totals_are_261_weekdays_plus_104_weekend_days(arms) -> None:
    model = arms["a"]
    em = model.subsystem("emissions")
    get = model.products.get
    wd, we = get("trips"), get("weekend_trips")
    wd_road, we_road = get("road_traffic"), get("weekend_road_traffic")
    assert we.day_type == "weekend"
    year, vkm = em.road_year(wd, wd_road, we, we_road)

    def per_day(trips, road) -> dict[str, float]:
        out = road_emissions_t_per_yr(road.link_emis_g, road.sample_share, 1.0)
        out["nox"] += road_euro_nox_correction_t_per_yr(model.context, trips, 1.0)
        for p, v in road_freight_correction_per_yr(model.context, trips, 1.0).items():
            out[p] += v
        return out

    d_wd, d_we = per_day(wd, wd_road), per_day(we, we_road)
    for p in ("co2", "nox", "pm25_exhaust", "energy"):
        assert year[p] == pytest.approx(261 * d_wd[p] + 104 * d_we[p], rel=1e-12)
        assert d_we[p] < d_wd[p]  # fewer vehicles at weekends
    km = [r.road_distance_m / 1000 / r.sample_share for r in (wd_road, we_road)]
    assert vkm == pytest.approx(261 * km[0] + 104 * km[1], rel=1e-12)
    table = em.by_source().set_index("source")
    assert table.loc["road_vehicles", "co2_t_per_yr"] == pytest.approx(year["co2"], rel=1e-12)


def test_paired_arms_with_the_same_policies_have_identical_weekend_days(arms) -> None:
    a, b = (arms[k].subsystem("traffic").weekend_day() for k in ("a", "b"))
    assert np.array_equal(a.copies, b.copies)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert np.array_equal(a.road_traffic.link_emis_g, b.road_traffic.link_emis_g)


def test_removing_trips_keeps_the_weekend_draws_of_the_others(arms) -> None:
    base, remote = arms["a"].subsystem("traffic"), arms["remote"].subsystem("traffic")
    assert len(remote.trip_id) < len(base.trip_id)
    common, i_base, i_remote = np.intersect1d(base.trip_id, remote.trip_id,
                                              return_indices=True)
    assert len(common) == len(remote.trip_id)  # remote work only removes trips
    cb = base.weekend_day().copies[i_base]
    cr = remote.weekend_day().copies[i_remote]
    assert np.array_equal(cb, cr)


def test_weekend_days_charge_the_weekend_days_bev_trips() -> None:
    model = CityModel.from_file(DATA / "tiny.yaml", overrides=OVERRIDES,
                                subsystems=("traffic", "energy"))
    model.run()
    energy, frame = model.subsystem("energy"), model.products.get("weekend_trips").frame
    bev = (frame["veh_class"] == "bev_car") & frame["road"] & frame["arrival_s"].notna()
    expected = frame.loc[bev, "energy_kwh"].sum() / model.products.get("trips").sample_share
    assert energy.weekend_sessions is not None
    assert energy.weekend_sessions.energy_kwh.sum() == pytest.approx(expected, rel=1e-12)
    assert energy.weekend_sessions.energy_kwh.sum() < energy.sessions.energy_kwh.sum()
    assert not any("weekend days" in n and "use the simulated weekday" in n
                   for n in energy.notes)
