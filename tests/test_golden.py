"""Golden runs: the engine's results on the tiny city, to 12 significant digits, for fixed seeds.

A refactor must not change behaviour: each case below runs the tiny city
(``tests/data/tiny.yaml``) with a fixed seed and compares every KPI value, the
equilibrium record and a SHA-256 digest of each result table (column names,
dtypes and values) with ``tests/data/golden.json``, captured on the code before
the change. Floats are compared to ``DIGITS`` significant digits: the last bits
of a float reduction depend on the CPU numpy and numba vectorise for (moving
from one x86 machine to another changed the 16th digit of three energy KPIs),
while a change of behaviour moves far more digits than that.

A change that is *meant* to alter results (a behavioural change of the
equilibrium, a new emission factor) recaptures the file in one command, and
the diff of ``golden.json`` shows which KPIs moved::

    PYTHONPATH=src python tests/test_golden.py --recapture

The cases cover the whole chain: a full day with every subsystem, and a peak
window with policies acting on each seam (an ERP charge reviewed between
equilibrated states, adaptive signals, a low-emission zone, smart charging),
then a paired arm that continues from the reference's plan; and a full day with
weekday and weekend representative days and the weekend traffic day.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = DATA / "golden.json"
TINY = DATA / "tiny.yaml"
POLICIES = DATA.parents[1] / "scenarios" / "policies"
PEAK = {"simulation.start_h": 6, "simulation.duration_h": 5}
#: Equilibrium record fields that are not results (none today; wall time would be one).
VOLATILE: tuple[str, ...] = ()
#: Significant digits floats are compared to (see the module docstring).
DIGITS = 12


def _num(value: object) -> str:
    """A value's text, floats to ``DIGITS`` significant digits.

    >>> _num(0.3803695732292657) == _num(0.3803695732292655)
    True
    >>> _num(0.3803695732292657) == _num(0.38036957323)
    False
    """
    if isinstance(value, float | np.floating):
        return f"{float(value):.{DIGITS}g}"
    return repr(value)


def table_digest(table: pd.DataFrame) -> str:
    """SHA-256 of a table's column names, dtypes and values (row order included).

    >>> table_digest(pd.DataFrame({"a": [1.0]})) == table_digest(pd.DataFrame({"a": [1.0]}))
    True
    >>> table_digest(pd.DataFrame({"a": [1.0]})) == table_digest(pd.DataFrame({"a": [1.5]}))
    False
    >>> table_digest(pd.DataFrame({"a": [0.1 + 0.2]})) == table_digest(pd.DataFrame({"a": [0.3]}))
    True
    """
    h = hashlib.sha256()
    for name in table.columns:
        col = table[name]
        h.update(f"{name}|{col.dtype}|".encode())
        values = col.to_numpy()
        if isinstance(col.dtype, np.dtype) and col.dtype.kind in "fc":
            h.update("\x1f".join(map(_num, values.tolist())).encode())
        elif isinstance(col.dtype, np.dtype) and col.dtype.kind in "biumM":
            h.update(np.ascontiguousarray(values).tobytes())
        else:  # strings, objects, categoricals: their text (never object pointers)
            h.update("\x1f".join(map(repr, col.tolist())).encode())
    return h.hexdigest()


def _snapshot(results) -> dict:
    return {
        "kpis": {k.name: _num(float(k.value)) for k in results.kpis},
        "units": {k.name: k.unit for k in results.kpis},
        "equilibrium": {k: _num(v) for k, v in sorted(results.equilibrium.items())
                        if k not in VOLATILE},
        "tables": {name: table_digest(t) for name, t in sorted(results.tables.items())},
    }


def _day() -> dict:
    from twincity.model import CityModel

    return _snapshot(CityModel.from_file(TINY, seed=1).run())


def _policies() -> dict:
    from twincity.model import CityModel
    from twincity.policies.pricing import ErpPolicy

    policies = [ErpPolicy({"central_share": 0.15, "charge_vot_h": 0.5}),
                str(POLICIES / "adaptive_signals.yaml"),
                str(POLICIES / "low_emission_zone.yaml"),
                str(POLICIES / "smart_charging.yaml")]
    ref = CityModel.from_file(TINY, seed=2, overrides=PEAK, policies=policies)
    ref_results = ref.run()
    changed = CityModel.from_file(TINY, seed=2, overrides=PEAK,
                                  policies=[*policies, "transit_service"],
                                  start_from=ref.plan_state())
    return {"reference": _snapshot(ref_results), "continued": _snapshot(changed.run())}


def _weekend() -> dict:
    """A full day with 261 weekdays and 104 weekend days and a weekend traffic day."""
    from twincity.model import CityModel

    days = [{"name": "wd", "month": 1, "day_of_month": 15, "weight_days": 261},
            {"name": "we", "month": 7, "day_of_month": 18, "weight_days": 104,
             "day_type": "weekend"}]
    weekend = {"commute_ratio": 0.265, "other_ratio": 1.089, "freight_ratio": 0.265}
    model = CityModel.from_file(TINY, seed=3, overrides={"climate.representative_days": days,
                                                         "demand.weekend": weekend})
    out = _snapshot(model.run())
    out["weekend_trips"] = table_digest(model.subsystem("traffic").weekend_day().frame)
    return out


CASES: dict[str, Callable[[], dict]] = {"tiny_day_seed1": _day,
                                        "tiny_peak_policies_seed2": _policies,
                                        "tiny_weekend_seed3": _weekend}


def _golden() -> dict:
    if not GOLDEN.exists():
        pytest.fail(f"{GOLDEN} missing; capture it with "
                    "`PYTHONPATH=src python tests/test_golden.py --recapture`")
    return json.loads(GOLDEN.read_text())


def _compare(got: dict, want: dict, where: str = "") -> list[str]:
    """Human-readable differences between two snapshots (nested dicts of strings)."""
    diffs = []
    for key in sorted(set(got) | set(want)):
        g, w = got.get(key), want.get(key)
        if isinstance(g, dict) and isinstance(w, dict):
            diffs.extend(_compare(g, w, f"{where}{key}."))
        elif g != w:
            diffs.append(f"{where}{key}: golden {w}, now {g}")
    return diffs


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_results_match_the_golden_run(case: str) -> None:
    want = _golden()[case]
    diffs = _compare(CASES[case](), want)
    assert not diffs, ("results differ from tests/data/golden.json (recapture with "
                       "`PYTHONPATH=src python tests/test_golden.py --recapture` only if the "
                       "change is meant to alter results):\n" + "\n".join(diffs[:40]))


def recapture() -> None:
    """Run every case and write ``golden.json`` (the documented one command)."""
    snapshot = {name: CASES[name]() for name in sorted(CASES)}
    GOLDEN.write_text(json.dumps(snapshot, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    if sys.argv[1:] != ["--recapture"]:
        sys.exit("usage: PYTHONPATH=src python tests/test_golden.py --recapture")
    recapture()
