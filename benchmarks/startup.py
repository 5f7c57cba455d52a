"""Start-up cost of ``import twincity`` and ``twincity --help``, each in a fresh interpreter.

Usage (from the repository root): ``python benchmarks/startup.py [--repeat 7]``.
Reports the best wall time of ``--repeat`` fresh interpreters (the process's
whole life, Python's own start included, and a bare ``python -c pass`` for
reference), which heavy libraries each one loaded, and the load average.
Target (issue 16): ``import twincity`` ≤ 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("numpy", "pandas", "pyarrow", "scipy", "numba", "dask", "matplotlib", "pydantic")
CASES = {
    "python -c pass": "pass",
    "import twincity": "import twincity",
    "twincity --help": ("import sys; sys.argv = ['twincity', '--help']\n"
                        "from twincity.cli import main\n"
                        "try:\n    main()\nexcept SystemExit:\n    pass"),
}
PROBE = "\nimport sys; print(' '.join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)"


def best_of(code: str, repeat: int) -> tuple[float, str]:
    best, loaded = float("inf"), ""
    for _ in range(repeat):
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", code + PROBE.format(heavy=HEAVY)],
                           capture_output=True, text=True, check=True)
        best = min(best, time.perf_counter() - t)
        loaded = p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ""
    return best, loaded


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--json", type=Path, help="also write the figures as JSON")
    a = ap.parse_args(argv)
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    doc = {"load_before": load, "cases": {}}
    print(f"best of {a.repeat} fresh interpreters; load average before {load}")
    for name, code in CASES.items():
        t, loaded = best_of(code, a.repeat)
        print(f"  {name:<16} {t:6.3f} s   heavy libraries loaded: {loaded or 'none'}")
        doc["cases"][name] = {"best_s": t, "heavy": loaded}
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print(f"load average after {load}")
    doc["load_after"] = load
    if a.json:
        a.json.write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
