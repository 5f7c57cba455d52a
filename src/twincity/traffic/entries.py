"""The route book's layout: one entry per traveller of the day's sample, then per truck, then
per hire-car leg (taxis and ride-hail, :mod:`twincity.traffic.hire`).

Every per-vehicle array of the traffic subsystem (route book, origins, departures,
identities, the equilibrium's plan, the trip table's rows) follows this order.
This class is the one place it is spelled out; code asks it rather than comparing
an index with ``len(trips)``.

Example:
    >>> lay = EntryLayout(n_people=3, n_trucks=2)
    >>> lay.n, lay.trucks().tolist(), lay.is_person(np.array([0, 2, 3])).tolist()
    (5, [3, 4], [True, True, False])
    >>> lay.join(np.array([1, 2, 3]), np.array([9, 9])).tolist()
    [1, 2, 3, 9, 9]
    >>> EntryLayout(n_people=1, n_trucks=1, n_hire=2).hire().tolist()
    [2, 3]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Identities of trucks for keyed draws: their trip's identity plus this offset (no person
#: trip has an identity this large), so a truck never shares a traveller's numbers.
TRUCK_IDENTITY_OFFSET = 1 << 40
#: Identities of hire-car legs start here (:mod:`twincity.traffic.hire` adds its own
#: offsets below 2**40 for occupied and empty legs): no truck or traveller shares them.
HIRE_IDENTITY_OFFSET = 2 << 40


@dataclass(frozen=True)
class EntryLayout:
    """``n_people`` travellers (trip order), ``n_trucks`` freight vehicles, ``n_hire`` hire legs."""

    n_people: int
    n_trucks: int
    n_hire: int = 0

    @property
    def n(self) -> int:
        """Entries in all."""
        return self.n_people + self.n_trucks + self.n_hire

    @property
    def truck_slice(self) -> slice:
        """Where the trucks are in any per-entry array."""
        return slice(self.n_people, self.n_people + self.n_trucks)

    @property
    def hire_slice(self) -> slice:
        """Where the hire legs are in any per-entry array."""
        return slice(self.n_people + self.n_trucks, self.n)

    def is_person(self, entries: np.ndarray) -> np.ndarray:
        """Which of ``entries`` are travellers (the rest are vehicles nobody chose)."""
        return np.asarray(entries) < self.n_people

    def trucks(self) -> np.ndarray:
        """The entries of the trucks."""
        return np.arange(self.n_people, self.n_people + self.n_trucks)

    def hire(self) -> np.ndarray:
        """The entries of the hire legs."""
        return np.arange(self.n_people + self.n_trucks, self.n)

    def hire_number(self, entries: np.ndarray) -> np.ndarray:
        """Each hire entry's number among the hire legs (``0 .. n_hire - 1``)."""
        return np.asarray(entries) - self.n_people - self.n_trucks

    @staticmethod
    def join(people: np.ndarray, trucks: np.ndarray, hire: np.ndarray | None = None) -> np.ndarray:
        """One array over the entries from its people, trucks and (if any) hire parts."""
        parts = [people, trucks] if hire is None else [people, trucks, hire]
        return np.concatenate(parts)

    def identities(self, trip_id: np.ndarray, truck_trip_id: np.ndarray,
                   hire_id: np.ndarray | None = None) -> np.ndarray:
        """Draw identities: travellers by trip id, trucks by their trip id + the offset,
        hire legs by their own identities (:func:`twincity.traffic.hire.hire_legs`).
        """
        return self.join(trip_id, TRUCK_IDENTITY_OFFSET + np.asarray(truck_trip_id),
                         None if hire_id is None else np.asarray(hire_id, dtype=np.int64))

    def people_rows(self, table: pd.DataFrame) -> pd.DataFrame:
        """The traveller rows of a table with one row per entry (the trip table)."""
        return table.iloc[: self.n_people]

    def truck_rows(self, table: pd.DataFrame) -> pd.DataFrame:
        """The truck rows of a table with one row per entry."""
        return table.iloc[self.truck_slice]

    def hire_rows(self, table: pd.DataFrame) -> pd.DataFrame:
        """The hire-leg rows of a table with one row per entry."""
        return table.iloc[self.hire_slice]
