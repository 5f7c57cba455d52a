"""Helpers every experiment (transfer, compare, diff, sweep) shares.

Example:
    >>> policy_notes.__name__, open_store.__name__
    ('policy_notes', 'open_store')
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

from twincity.errors import InputError
from twincity.experiment.spec import spawn_seeds
from twincity.experiment.store import ResultStore

#: Root seed the replications are spawned from unless given.
DEFAULT_ROOT_SEED = 2026


def open_store(store: ResultStore | str | Path | None) -> ResultStore:
    """``store`` as a :class:`ResultStore` (a path opens one; ``None``: a fresh temporary one)."""
    if isinstance(store, ResultStore):
        return store
    if store is None:
        return ResultStore(tempfile.mkdtemp(prefix="twincity-store-"))
    return ResultStore(store)


def replication_seeds(seeds: int | Sequence[int], root_seed: int) -> list[int]:
    """Replication seeds: ``seeds`` spawned from ``root_seed`` if a count, else the list given.

    >>> replication_seeds([3, 5], 1)
    [3, 5]
    >>> len(replication_seeds(4, 2026))
    4
    """
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        if seeds < 2:
            raise InputError(f"expected at least 2 seeds for a confidence interval, got {seeds}",
                             path="seeds")
        return spawn_seeds(root_seed, seeds)
    out = [int(s) for s in seeds]
    if len(set(out)) < 2:
        raise InputError("expected at least 2 distinct seeds for a confidence interval",
                         path="seeds")
    return out


def policy_notes(store: ResultStore, run_ids: Sequence[str], policy: str | None = None) -> str:
    """The adaptation note a finished run recorded for ``policy`` (all its policies' if None)."""
    for rid in run_ids:
        notes = [n for n in store.record(rid).get("notes", []) if n.startswith("policy ")]
        if policy is not None:
            mine = [n for n in notes if n.startswith((f"policy {policy}: ",
                                                      f"policy {policy} (in force): "))]
            notes = mine or notes
        if notes:
            return "; ".join(n.split(": ", 1)[1] if ": " in n else n for n in notes)
    return "(no adaptation note recorded)"
