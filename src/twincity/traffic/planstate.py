"""An equilibrated plan, keyed by identity: what a paired arm continues from.

Two arms of an experiment (the city as it is, and the city with a policy
added or removed) are each an equilibrium within the same tolerance band,
but a band is wide: started afresh, the arms' day-to-day paths drift apart
and land on different points of it, and that drift, not the policy, then
dominates their difference. Both arms therefore continue from the
*reference* run's equilibrated plan (each traveller's mode, remembered
routes, chosen route and departure shift, and the smoothed link times mode
choice sees): the *changed* arm re-equilibrates under the policy, and the
*control* (the reference's own settings) runs as many days from the same
plan, so the difference measures how the equilibrium moves, not where a
second random walk stopped nor how far the continued days alone carried one
arm (see :mod:`twincity.traffic.equilibrium`, "Paired arms"). Continuing
policy cases from a base case's output plans is how MATSim studies run them
(Horni, Nagel & Axhausen, eds., 2016, *The Multi-Agent Transport Simulation
MATSim*, Ubiquity Press).

Road charges reviewed in the reference (ERP's speed-band review) stay as
reviewed where the continued arm charges what the reference charged before
its reviews (the same policy in force in both arms), and the review rounds
already made count against the authority's limit.

Entries are matched by identity (trip id; trucks by theirs) and must agree
on origin, destination and desired departure; an entry of one arm missing
from the other (a trip remote work removes) simply starts from the warm
start. A plan fits only the same road topology.

Example:
    >>> import numpy as np
    >>> ref = np.array([3, 5, 9]); mine = np.array([5, 7, 9])
    >>> match_identities(ref, mine).tolist()
    [1, -1, 2]
"""

from __future__ import annotations

import io
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from twincity.city.network import Network
from twincity.ioutil import atomic_write_bytes

#: File format of a saved plan (bump when fields change).
FORMAT = 2


def topology_key(net: Network) -> str:
    """A fingerprint of the road topology (link ends), which routes depend on."""
    import hashlib

    h = hashlib.sha256()
    h.update(np.ascontiguousarray(net.link_from, dtype=np.int64).tobytes())
    h.update(np.ascontiguousarray(net.link_to, dtype=np.int64).tobytes())
    return h.hexdigest()[:16]


def match_identities(reference: np.ndarray, mine: np.ndarray) -> np.ndarray:
    """For each of ``mine``, the index of the same identity in ``reference`` (−1: absent)."""
    if len(reference) == 0:
        return np.full(len(mine), -1, dtype=np.int64)
    order = np.argsort(reference, kind="stable")
    ranked = reference[order]
    pos = np.minimum(np.searchsorted(ranked, mine), len(ranked) - 1)
    return np.where(ranked[pos] == mine, order[pos], -1)


@dataclass
class PlanState:
    """Every road-vehicle entry's plan and every traveller's mode after an equilibration.

    Entries are people (``n_people`` of them, first) then trucks, as in the
    traffic subsystem's route book; the route pool is CSR (``start``,
    ``links``, ``turns``) indexed by ``route_id[entry, slot]`` (−1: empty).
    """

    identity: np.ndarray  # int64 [entries]
    origin_node: np.ndarray  # int64 [entries]
    dest_node: np.ndarray  # int64 [entries]
    desired_s: np.ndarray  # float64 [entries]
    n_people: int
    mode: np.ndarray  # int8 [people]
    route_id: np.ndarray  # int64 [entries, k]
    route_hash: np.ndarray  # uint64 [entries, k]
    start: np.ndarray  # int64 [routes + 1]
    links: np.ndarray  # int32
    turns: np.ndarray  # int8
    chosen: np.ndarray  # int64 [entries]
    shift: np.ndarray  # int64 [entries]
    preferred_arrival_s: np.ndarray  # float64 [entries]
    smoothed_s: np.ndarray  # float64 [slot, link]
    flows_by_slot: np.ndarray  # float64 [slot, link]
    toll_initial: np.ndarray  # float64 [toll slot, link]: the authority's tolls before reviews
    toll_final: np.ndarray  # float64 [toll slot, link]: after the reference's reviews
    reviews: int  # review rounds the reference's authority made
    days: int  # days the reference equilibration took (the pivot's days continue from it)
    topology: str

    def matches(self, identity: np.ndarray, origin_node: np.ndarray, dest_node: np.ndarray,
                desired_s: np.ndarray) -> np.ndarray:
        """Index into this plan of each entry that is the same trip (−1: none)."""
        src = match_identities(self.identity, identity)
        ok = src >= 0
        s = np.where(ok, src, 0)
        same = ok & (self.origin_node[s] == origin_node) & (self.dest_node[s] == dest_node) & (
            self.desired_s[s] == desired_s)
        return np.where(same, src, -1)

    def save(self, path: str | Path) -> Path:
        """Write the plan to ``path`` (``.npz``, compressed) atomically."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays = {f.name: np.asarray(getattr(self, f.name)) for f in fields(self)}
        buf = io.BytesIO()
        np.savez_compressed(buf, format=np.asarray(FORMAT), **arrays)
        atomic_write_bytes(path, buf.getvalue())
        return path

    @classmethod
    def load(cls, path: str | Path) -> PlanState:
        """Read a plan written by :meth:`save`."""
        with np.load(path, allow_pickle=False) as z:
            if int(z["format"]) != FORMAT:
                raise ValueError(f"{path}: plan format {int(z['format'])}, expected {FORMAT}")
            kw = {f.name: z[f.name] for f in fields(cls)}
        kw["n_people"], kw["days"] = int(kw["n_people"]), int(kw["days"])
        kw["reviews"] = int(kw["reviews"])
        kw["topology"] = str(kw["topology"])
        return cls(**kw)
