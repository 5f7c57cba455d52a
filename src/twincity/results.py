"""Results of a run: tidy tables, KPIs and provenance, written atomically.

A results folder holds one Parquet file per table, ``summary.json`` (KPIs as
a list of ``{name, value, unit, u4ssc, better}`` records from the KPI registry,
:mod:`twincity.kpi`, plus provenance and notes),
``scenario.resolved.json`` (the fully resolved scenario in SI units) and
``provenance.json``. It is written into a temporary sibling folder and
renamed into place, so a reader never sees a half-written folder and an
existing folder is replaced whole or not at all. Every results folder holds
the marker file :data:`twincity.outdir.MARKER`; an existing folder without it
is never replaced unless the caller forces it (see :mod:`twincity.outdir`).

Example:
    >>> r = Results(kpis=[KPI("population", 392000, "persons")])
    >>> r.kpi("population")
    392000
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from twincity.outdir import check_out_dir, replace_dir, write_folder  # noqa: F401 (re-export)


@dataclass(frozen=True)
class KPI:
    """A key performance indicator's value, with its registry facts (:mod:`twincity.kpi`).

    ``u4ssc`` is the ITU U4SSC indicator number where one exists; ``better`` the
    direction of change that is good for the city (``lower``, ``higher``, ``none``).
    """

    name: str
    value: float
    unit: str
    u4ssc: str | None = None
    better: str = "none"

    def record(self) -> dict[str, Any]:
        """The ``summary.json`` record: the fields, NaN written as ``None`` (JSON null)."""
        value: float | None = self.value
        if isinstance(value, float) and not math.isfinite(value):
            value = None  # JSON has no NaN; a missing value is null
        return {**asdict(self), "value": value}


@dataclass
class Results:
    """What a run produced: named tables, KPIs, notes and provenance."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    kpis: list[KPI] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    provenance: dict[str, Any] = field(default_factory=dict)
    scenario: dict[str, Any] = field(default_factory=dict)
    #: How the traffic equilibrium ended (``converged``, ``relative_gap``, ...); empty
    #: when no traffic was simulated.
    equilibrium: dict[str, Any] = field(default_factory=dict)

    @property
    def converged(self) -> bool | None:
        """Whether the traffic equilibrium converged (``None``: no traffic simulated)."""
        return self.equilibrium.get("converged") if self.equilibrium else None

    def kpi(self, name: str) -> float:
        """The value of the KPI called ``name`` (``KeyError`` if absent)."""
        for k in self.kpis:
            if k.name == name:
                return k.value
        raise KeyError(f"no KPI named {name!r}; have {[k.name for k in self.kpis]}")

    def kpi_table(self) -> pd.DataFrame:
        """KPIs as a DataFrame with columns name, value, unit, u4ssc, better."""
        return pd.DataFrame([k.record() for k in self.kpis],
                            columns=["name", "value", "unit", "u4ssc", "better"])

    def summary(self) -> dict[str, Any]:
        """The content of ``summary.json``."""
        return {"kpis": [k.record() for k in self.kpis], "notes": list(self.notes),
                "equilibrium": self.equilibrium, "provenance": self.provenance,
                "tables": sorted(self.tables)}

    def write(self, out_dir: str | Path, *, force: bool = False) -> Path:
        """Write the results folder atomically and return its path.

        An existing ``out_dir`` is replaced whole only if it is a twincity results
        folder (or empty, or ``force``); see :func:`twincity.outdir.check_out_dir`.
        """
        out = Path(out_dir)
        check_out_dir(out, force=force)

        def fill(tmp: Path) -> None:
            for name, table in self.tables.items():
                table.to_parquet(tmp / f"{name}.parquet", index=False)
            _write_json(tmp / "summary.json", self.summary())
            _write_json(tmp / "provenance.json", self.provenance)
            _write_json(tmp / "scenario.resolved.json", self.scenario)

        return write_folder(out, fill, "results")

    @classmethod
    def read(cls, out_dir: str | Path) -> Results:
        """Read a results folder written by :meth:`write`."""
        out = Path(out_dir)
        summary = json.loads((out / "summary.json").read_text())
        tables = {p.stem: pd.read_parquet(p) for p in sorted(out.glob("*.parquet"))}
        kpis = [KPI(**{**k, "value": math.nan if k["value"] is None else k["value"]})
                for k in summary["kpis"]]
        scenario = json.loads((out / "scenario.resolved.json").read_text())
        return cls(tables=tables, kpis=kpis, notes=summary.get("notes", []),
                   provenance=summary.get("provenance", {}), scenario=scenario,
                   equilibrium=summary.get("equilibrium") or {})


def format_value(value: float) -> str:
    """A KPI value for people: thousands separated, four significant digits below.

    >>> format_value(5920000.0), format_value(0.41875), format_value(float("nan"))
    ('5,920,000', '0.4188', 'n/a')
    """
    if not math.isfinite(value):
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
