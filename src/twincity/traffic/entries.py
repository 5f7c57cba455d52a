"""The route book's layout: one entry per traveller of the day's sample, then one per truck.

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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Identities of trucks for keyed draws: their trip's identity plus this offset (no person
#: trip has an identity this large), so a truck never shares a traveller's numbers.
TRUCK_IDENTITY_OFFSET = 1 << 40


@dataclass(frozen=True)
class EntryLayout:
    """``n_people`` traveller entries (trip order), then ``n_trucks`` freight vehicles."""

    n_people: int
    n_trucks: int

    @property
    def n(self) -> int:
        """Entries in all."""
        return self.n_people + self.n_trucks

    def is_person(self, entries: np.ndarray) -> np.ndarray:
        """Which of ``entries`` are travellers (the rest are trucks)."""
        return np.asarray(entries) < self.n_people

    def trucks(self) -> np.ndarray:
        """The entries of the trucks."""
        return np.arange(self.n_people, self.n)

    def truck_number(self, entries: np.ndarray) -> np.ndarray:
        """Each truck entry's number among the trucks (``0 .. n_trucks - 1``)."""
        return np.asarray(entries) - self.n_people

    @staticmethod
    def join(people: np.ndarray, trucks: np.ndarray) -> np.ndarray:
        """One array over the entries from its people part and its trucks part."""
        return np.concatenate([people, trucks])

    def identities(self, trip_id: np.ndarray, truck_trip_id: np.ndarray) -> np.ndarray:
        """Draw identities: travellers by trip id, trucks by their trip id + the offset."""
        return self.join(trip_id, TRUCK_IDENTITY_OFFSET + np.asarray(truck_trip_id))

    def people_rows(self, table: pd.DataFrame) -> pd.DataFrame:
        """The traveller rows of a table with one row per entry (the trip table)."""
        return table.iloc[: self.n_people]

    def truck_rows(self, table: pd.DataFrame) -> pd.DataFrame:
        """The truck rows of a table with one row per entry."""
        return table.iloc[self.n_people:]
