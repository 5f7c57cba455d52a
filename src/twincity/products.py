"""Typed products that subsystems hand to each other.

A subsystem declares the products it provides (name → type) in its registry
entry (:mod:`twincity.subsystems`) and hands them out on request
(``provide(name)``); a consumer reads them through
:class:`~twincity.subsystems.Products`, never through the provider's attributes.

* ``trips`` — :class:`TripTable`: one row per person trip, then per freight vehicle,
  then per hire-car leg.
* ``road_traffic`` — :class:`RoadTraffic`: the kernel's link emissions and distance.
* ``weekend_trips``, ``weekend_road_traffic`` — the same for the simulated weekend day
  (the weekday's own when there is none; :mod:`twincity.traffic.weekend`).
* ``energy_year`` — :class:`EnergyYear`: the yearly electricity and fuel account.

Example:
    >>> import pandas as pd
    >>> from twincity.traffic.entries import EntryLayout
    >>> t = TripTable(pd.DataFrame({"mode": ["car", "freight"]}), EntryLayout(1, 1), 0.1)
    >>> t.people()["mode"].tolist(), t.freight()["mode"].tolist()
    (['car'], ['freight'])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from twincity.traffic.entries import EntryLayout


@dataclass(frozen=True)
class TripTable:
    """The day's trips (the ``trips`` table's columns) of a sample of the population."""

    frame: pd.DataFrame
    layout: EntryLayout
    #: Share of the population simulated: multiply counts by ``1 / sample_share``.
    sample_share: float
    #: ``"weekday"`` (the reported day) or ``"weekend"`` (a simulated weekend day).
    day_type: str = "weekday"
    #: Stable identity of each row (:meth:`~twincity.traffic.entries.EntryLayout.identities`):
    #: what per-trip draws downstream are keyed by (:mod:`twincity.draws`), so a policy
    #: that adds or removes trips leaves every other trip's draws alone. ``None``: the
    #: row positions (a table built by hand).
    identity: np.ndarray | None = None

    def row_identity(self) -> np.ndarray:
        """:attr:`identity`, or the row positions when the table has none."""
        if self.identity is None:
            return np.arange(len(self.frame), dtype=np.int64)
        return np.asarray(self.identity, dtype=np.int64)

    def people(self) -> pd.DataFrame:
        """Rows of person trips (every mode)."""
        return self.layout.people_rows(self.frame)

    def freight(self) -> pd.DataFrame:
        """Rows of freight vehicles."""
        return self.layout.truck_rows(self.frame)

    def hire(self) -> pd.DataFrame:
        """Rows of hire-car legs (taxis and ride-hail; passenger aboard or empty)."""
        return self.layout.hire_rows(self.frame)


@dataclass(frozen=True)
class RoadTraffic:
    """What the traffic kernel put on the roads during the simulated day (sample scale)."""

    #: Emissions per interval, link and pollutant (g; energy in kWh), pollutants in
    #: :data:`twincity.vocab.POLLUTANTS` order.
    link_emis_g: np.ndarray
    #: Distance driven by the simulated road vehicles in the day (m).
    road_distance_m: float
    sample_share: float
    #: Length of a kernel interval (s): the first axis of ``link_emis_g``.
    interval_s: float


@dataclass(frozen=True)
class EnergyYear:
    """The city's yearly energy account (Σ over representative days × their weight)."""

    #: Electricity drawn from the grid (kWh/yr) and its CO₂ at the delivered intensity.
    grid_import_kwh: float
    electricity_co2_kg: float
    #: The EV-charging part of that CO₂ (attributional, by share of hourly demand).
    ev_electricity_co2_kg: float
    ev_charging_kwh: float
    buildings_electricity_kwh: float
    #: Fuel burnt in buildings and district heat fed (kWh/yr).
    gas_kwh: float
    oil_kwh: float
    district_heat_kwh: float
    #: Consumption-weighted delivered intensity of the grid (kg/kWh).
    mean_delivered_intensity_kg_per_kwh: float
