"""A result store for experiments: a Parquet dataset of KPIs plus one JSON marker per run.

Layout under ``root``::

    kpis/<run_id>.parquet            KPI rows of one run (schema :data:`KPI_SCHEMA`)
    tables/<table>/<run_id>.parquet  optional per-run tables (``ResultStore(tables=...)``)
    runs/<run_id>.json               the run's marker: spec, provenance, notes, timings

Every file is written under a temporary name (starting with ``.``, which
Parquet dataset readers skip) and renamed into place. The marker is written
*last*: a run counts as finished only when its marker exists, and every
reader (:meth:`ResultStore.kpis`, :meth:`ResultStore.table`) only reads the
files of finished runs. A run interrupted half-way leaves, at worst, Parquet
files without a marker; they are invisible to readers and overwritten when
the run is executed again, so nothing is ever counted twice.

Every marker records the run's engine fingerprint (the hash of the twincity
source that computed it, :func:`twincity.provenance.engine_fingerprint`),
which is also part of its run id. Runs of other code are kept, never
reused (their ids differ) and left out of :meth:`ResultStore.kpis` and
:meth:`ResultStore.table` unless asked for; :meth:`ResultStore.engines`
counts runs per fingerprint so an experiment can say the store holds them.

One process writes a store at a time (the experiment's parent process in
every runner); concurrent writers to one store are not supported.

Example:
    >>> import tempfile
    >>> store = ResultStore(tempfile.mkdtemp())
    >>> store.done("0123456789abcdef"), len(store.kpis())
    (False, 0)
"""

from __future__ import annotations

import json
import math
import os
import re
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from twincity.errors import InputError
from twincity.ioutil import atomic_write_bytes, atomic_write_text
from twincity.provenance import engine_fingerprint

#: Columns of the KPI dataset. ``policies`` is the run's added policy names
#: joined with ``,`` (empty for a baseline); ``without`` the city's own
#: policies in force that the run leaves out, joined alike (empty: all in
#: force); ``overrides`` is the spec's overrides as canonical JSON (``[]``
#: when none), so override variants stay apart; ``control_of`` names the changed
#: arm (``"policies|without"``) a paired control arm ran beside (empty otherwise).
KPI_SCHEMA = pa.schema([
    ("run_id", pa.string()),
    ("scenario", pa.string()),
    ("policies", pa.string()),
    ("without", pa.string()),
    ("control_of", pa.string()),
    ("seed", pa.int64()),
    ("overrides", pa.string()),
    ("name", pa.string()),
    ("value", pa.float64()),
    ("unit", pa.string()),
    ("u4ssc", pa.string()),
])

#: Version of the on-disk layout, written into every marker (2: the ``without``
#: column, and the run's ``equilibrium`` record in its marker; 3: the run's
#: ``engine_fingerprint`` in its marker; 4: the ``control_of`` column of paired control arms).
STORE_FORMAT = 4
#: :meth:`ResultStore.engines` key of runs stored before markers named their engine.
UNKNOWN_ENGINE = "unknown"
#: ``engine=`` value selecting runs of every engine.
ALL_ENGINES = "all"

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _check_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not _SAFE_NAME.match(name) or name.endswith(".parquet"):
        raise InputError(f"expected a {what} made of letters, digits, '_', '-' or '.', "
                         f"got {name!r}")
    return name


@dataclass
class RunOutput:
    """What one executed run hands to the store: plain, picklable data.

    Built by the worker (:func:`twincity.experiment.runners.run_task`) and
    written by the parent with :meth:`ResultStore.write`.
    """

    run_id: str
    spec: dict[str, Any]
    scenario_hash: str
    kpis: list[dict[str, Any]]
    provenance: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    elapsed_s: float = math.nan
    executor: dict[str, Any] = field(default_factory=dict)
    #: ``{converged, relative_gap, ...}`` when the run reports its equilibrium, else ``None``.
    equilibrium: dict[str, Any] | None = None
    #: Fingerprint of the code that computed the run (the worker's; by default this process's).
    engine_fingerprint: str = field(default_factory=engine_fingerprint)


def executor_info() -> dict[str, Any]:
    """Where a run executed: host, process id and numba's thread count.

    >>> sorted(executor_info())
    ['host', 'numba_num_threads', 'pid']
    """
    import numba

    return {"host": socket.gethostname(), "pid": os.getpid(),
            "numba_num_threads": int(numba.config.NUMBA_NUM_THREADS)}


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


class ResultStore:
    """KPIs, markers and optional tables of many runs under one folder.

    ``tables`` names the per-run result tables to keep (e.g. ``("observables",)``);
    the default keeps none, because trip tables are large. A run that does not
    produce a requested table gets a note saying so in its marker.

    >>> import tempfile
    >>> store = ResultStore(tempfile.mkdtemp(), tables=["observables"])
    >>> store.tables, store.finished()
    (('observables',), set())
    """

    def __init__(self, root: str | Path, *, tables: Sequence[str] = ()) -> None:
        """Open (or create) a store at ``root``, keeping ``tables`` per run besides the KPIs."""
        self.root = Path(root)
        if self.root.exists() and not self.root.is_dir():
            raise InputError("expected a folder for the result store", file=self.root)
        if isinstance(tables, str):
            tables = (tables,)
        self.tables: tuple[str, ...] = tuple(dict.fromkeys(
            _check_name(t, "table name") for t in tables))
        for sub in ("kpis", "runs", "tables"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._engine_of: dict[str, str] = {}  # run id -> fingerprint, read from markers once

    def __repr__(self) -> str:
        """``ResultStore('<root>', tables=(...))``."""
        return f"ResultStore({str(self.root)!r}, tables={self.tables!r})"

    # ------------------------------------------------------------------ paths
    def marker_path(self, run_id: str) -> Path:
        """Path of a run's completion marker (JSON)."""
        return self.root / "runs" / f"{_check_name(run_id, 'run id')}.json"

    def kpi_path(self, run_id: str) -> Path:
        """Path of a run's KPI table (Parquet)."""
        return self.root / "kpis" / f"{_check_name(run_id, 'run id')}.parquet"

    def table_path(self, table: str, run_id: str) -> Path:
        """Path of a run's result table ``table`` (Parquet)."""
        return (self.root / "tables" / _check_name(table, "table name")
                / f"{_check_name(run_id, 'run id')}.parquet")

    # ------------------------------------------------------------------ state
    def done(self, run_id: str) -> bool:
        """Whether ``run_id`` finished (its marker exists)."""
        return self.marker_path(run_id).is_file()

    def finished(self, engine: str = ALL_ENGINES) -> set[str]:
        """Ids of the finished runs in the store: all, or those of fingerprint ``engine``.

        ``engine="current"`` selects runs of the code now imported.
        """
        ids = {p.stem for p in (self.root / "runs").glob("*.json")
               if not p.name.startswith(".")}
        if engine == ALL_ENGINES:
            return ids
        wanted = engine_fingerprint() if engine == "current" else engine
        return {r for r in ids if self.engine_of(r) == wanted}

    def engine_of(self, run_id: str) -> str:
        """The engine fingerprint of a finished run (:data:`UNKNOWN_ENGINE` for old markers)."""
        if run_id not in self._engine_of:
            rec = self.record(run_id)
            self._engine_of[run_id] = (rec.get("engine_fingerprint")
                                       or (rec.get("provenance") or {}).get("engine_fingerprint")
                                       or UNKNOWN_ENGINE)
        return self._engine_of[run_id]

    def engines(self) -> dict[str, int]:
        """Finished runs per engine fingerprint, most first.

        >>> import tempfile
        >>> ResultStore(tempfile.mkdtemp()).engines()
        {}
        """
        counts: dict[str, int] = {}
        for rid in self.finished():
            fp = self.engine_of(rid)
            counts[fp] = counts.get(fp, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def other_engines_note(self) -> str | None:
        """One line saying the store holds runs of other code, or ``None`` when it does not."""
        current = engine_fingerprint()
        others = {fp: n for fp, n in self.engines().items() if fp != current}
        if not others:
            return None
        n = sum(others.values())
        listed = ", ".join(f"{fp} ({k})" for fp, k in list(others.items())[:3])
        more = f" and {len(others) - 3} more" if len(others) > 3 else ""
        return (f"result store {self.root} holds {n} finished run(s) of other twincity code "
                f"(engine fingerprints {listed}{more}); they are kept apart: not reused and "
                f"not counted here (this code: {current})")

    # ------------------------------------------------------------------ writing
    def write(self, output: RunOutput) -> Path:
        """Write one run's files atomically, the marker last; return the marker's path.

        Re-writing a finished run first removes its marker, so at no instant
        does a marker point at a mix of old and new files.
        """
        rid = output.run_id
        marker = self.marker_path(rid)
        marker.unlink(missing_ok=True)
        self._engine_of.pop(rid, None)
        spec = output.spec
        n = len(output.kpis)
        columns = {
            "run_id": [rid] * n,
            "scenario": [spec["scenario"]] * n,
            "policies": [",".join(spec.get("policies", []))] * n,
            "without": [",".join(spec.get("without", []))] * n,
            "control_of": [spec.get("control_of", "")] * n,
            "seed": [int(spec["seed"])] * n,
            "overrides": [json.dumps(spec.get("overrides", []), sort_keys=True,
                                     separators=(",", ":"))] * n,
            "name": [k["name"] for k in output.kpis],
            "value": [math.nan if k["value"] is None else float(k["value"])
                      for k in output.kpis],
            "unit": [k["unit"] for k in output.kpis],
            "u4ssc": [k.get("u4ssc") for k in output.kpis],
        }
        atomic_write_bytes(self.kpi_path(rid),
                           _parquet_bytes(pa.Table.from_pydict(columns, schema=KPI_SCHEMA)))
        notes = list(output.notes)
        stored: dict[str, int] = {}
        for name in self.tables:
            frame = output.tables.get(name)
            if frame is None:
                notes.append(f"result store: table '{name}' was requested but this run did "
                             "not produce it")
                continue
            frame = frame.reset_index(drop=True)  # a copy: the caller's frame is untouched
            if "run_id" not in frame:
                frame.insert(0, "run_id", rid)
            atomic_write_bytes(self.table_path(name, rid),
                               _parquet_bytes(pa.Table.from_pandas(frame, preserve_index=False)))
            stored[name] = len(frame)
        record = {
            "run_id": rid,
            "spec": spec,
            "scenario_hash": output.scenario_hash,
            "kpi_count": n,
            "tables": stored,
            "elapsed_s": output.elapsed_s if math.isfinite(output.elapsed_s) else None,
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "executor": output.executor,
            "notes": notes,
            "provenance": output.provenance,
            "equilibrium": output.equilibrium,
            "engine_fingerprint": output.engine_fingerprint or UNKNOWN_ENGINE,
            "store_format": STORE_FORMAT,
        }
        atomic_write_text(marker, json.dumps(record, indent=2, default=str) + "\n")
        return marker

    def discard(self, run_id: str) -> None:
        """Forget a run: its marker first (so it stops counting), then its files."""
        self.marker_path(run_id).unlink(missing_ok=True)
        self._engine_of.pop(run_id, None)
        self.kpi_path(run_id).unlink(missing_ok=True)
        for folder in (self.root / "tables").iterdir():
            (folder / f"{run_id}.parquet").unlink(missing_ok=True)

    # ------------------------------------------------------------------ reading
    def record(self, run_id: str) -> dict[str, Any]:
        """The marker of a finished run (spec, provenance, notes, timings)."""
        path = self.marker_path(run_id)
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            raise InputError(f"no finished run '{run_id}' in the result store",
                             file=self.root) from None
        except json.JSONDecodeError as exc:
            raise InputError(f"run marker is not valid JSON ({exc.msg}); expected the JSON "
                             "this store writes", file=path, line=exc.lineno) from None

    def _selected(self, run_ids: Iterable[str] | None, engine: str) -> list[str]:
        if run_ids is None:
            return sorted(self.finished(engine))
        finished = self.finished()
        return [r for r in dict.fromkeys(run_ids) if r in finished]

    def kpis(self, run_ids: Iterable[str] | None = None, *,
             engine: str = "current") -> pd.DataFrame:
        """KPI rows of finished runs as one DataFrame.

        ``run_ids`` selects runs by id; without it, the runs of ``engine``:
        ``"current"`` (the code now imported, the default), a fingerprint, or
        :data:`ALL_ENGINES`. Reads the Parquet dataset of ``kpis/``
        restricted to finished runs, so files left by an interrupted run
        never show up.
        """
        files = [str(self.kpi_path(r)) for r in self._selected(run_ids, engine)]
        if not files:
            return KPI_SCHEMA.empty_table().to_pandas()
        frame = ds.dataset(files, schema=KPI_SCHEMA, format="parquet").to_table().to_pandas()
        # runs stored before format 2 have no ``without`` column: they left nothing out;
        # before format 4 no ``control_of``: no run was a control
        return frame.fillna({"without": "", "control_of": ""})

    def table(self, name: str, run_ids: Iterable[str] | None = None, *,
              engine: str = "current") -> pd.DataFrame:
        """A kept per-run table of finished runs, stacked, with a ``run_id`` column.

        Runs are selected as in :meth:`kpis`. Columns missing from some runs are null there.
        """
        folder = self.root / "tables" / _check_name(name, "table name")
        files = [str(folder / f"{r}.parquet") for r in self._selected(run_ids, engine)
                 if (folder / f"{r}.parquet").is_file()]
        if not files:
            return pd.DataFrame({"run_id": pd.Series(dtype="string")})
        # runs may differ in columns (a subsystem added one) or in a column that is all
        # null in some run: read with the union of the files' schemas
        schema = pa.unify_schemas([pq.read_schema(f) for f in files],
                                  promote_options="permissive")
        return ds.dataset(files, schema=schema, format="parquet").to_table().to_pandas()

    def runs(self) -> pd.DataFrame:
        """One row per finished run of every engine: spec fields, hashes, versions and timings."""
        rows = []
        for rid in sorted(self.finished()):
            rec = self.record(rid)
            spec, prov = rec["spec"], rec.get("provenance", {})
            rows.append({
                "run_id": rid,
                "scenario": spec["scenario"],
                "policies": ",".join(spec.get("policies", [])),
                "without": ",".join(spec.get("without", [])),
                "control_of": spec.get("control_of", ""),
                "seed": spec["seed"],
                "overrides": json.dumps(spec.get("overrides", []), sort_keys=True,
                                        separators=(",", ":")),
                "scenario_hash": rec.get("scenario_hash"),
                "twincity_version": prov.get("twincity_version"),
                "engine_fingerprint": self.engine_of(rid),
                "git_commit": prov.get("git_commit"),
                "elapsed_s": rec.get("elapsed_s"),
                "finished_at": rec.get("finished_at"),
                "kpi_count": rec.get("kpi_count"),
                "tables": ",".join(sorted(rec.get("tables", {}))),
            })
        columns = ["run_id", "scenario", "policies", "without", "control_of", "seed", "overrides",
                   "scenario_hash", "twincity_version", "engine_fingerprint", "git_commit",
                   "elapsed_s", "finished_at", "kpi_count", "tables"]
        return pd.DataFrame(rows, columns=columns)


def kpi_records(kpis: Iterable[Any]) -> list[dict[str, Any]]:
    """KPI objects (or records) as ``{name, value, unit, u4ssc}`` dicts (``None`` for NaN).

    >>> from twincity.results import KPI
    >>> kpi_records([KPI("co2_kg", float("nan"), "kg")])
    [{'name': 'co2_kg', 'value': None, 'unit': 'kg', 'u4ssc': None}]
    """
    out = []
    for k in kpis:
        rec = k.record() if hasattr(k, "record") else dict(k)
        if not isinstance(rec, Mapping) or "name" not in rec or "value" not in rec:
            raise InputError(f"expected a KPI record with name and value, got {rec!r}")
        out.append({"name": str(rec["name"]), "value": rec["value"],
                    "unit": rec.get("unit"), "u4ssc": rec.get("u4ssc")})
    return out
