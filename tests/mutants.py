"""Seeded mutants of scenario files: types, structure, YAML attacks, file references, nonsense.

Used by ``test_bad_input.py`` (a few hundred mutants through the Python API) and
runnable as a larger campaign through the CLI::

    PYTHONPATH=src python tests/mutants.py 1000          # prints a tally, exit 1 on a failure
    PYTHONPATH=src python tests/mutants.py 100 --subprocess   # the real command line each time
"""

from __future__ import annotations

import copy
import math
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
SHIPPED = [REPO / "scenarios" / f"{c}.yaml" for c in ("sejong", "singapore", "helsinki")]

Path_ = tuple[Any, ...]


def leaves(data: Any, prefix: Path_ = ()) -> list[Path_]:
    """Every path to a value (mappings and lists included) below the top."""
    out: list[Path_] = []
    items = data.items() if isinstance(data, dict) else enumerate(data) \
        if isinstance(data, list) else ()
    for key, value in items:
        out.append((*prefix, key))
        out.extend(leaves(value, (*prefix, key)))
    return out


def _get(data: Any, path: Path_) -> Any:
    for p in path:
        data = data[p]
    return data


def _set(data: Any, path: Path_, value: Any) -> None:
    _get(data, path[:-1])[path[-1]] = value


def _delete(data: Any, path: Path_) -> None:
    parent = _get(data, path[:-1])
    del parent[path[-1]]


ODD_VALUES: list[Any] = [
    "x", "", [1, 2], {"a": 1}, None, True, -1, 0, 1e300, -1e300, math.nan, math.inf, -math.inf,
    10**40, 1e-300, "1e6", [], {}, "../../etc/passwd", -0.0, 2**63, [[[[1]]]],
]


def _number_mutation(rng: random.Random, value: float) -> float:
    return rng.choice([value * 1e6, value * 1e-6, -value, value * 1000, 0.0, value + 1e9,
                       value / 1e9, math.nan, math.inf])


def mutate_data(data: dict, rng: random.Random) -> tuple[str, dict]:
    """One structural / type / semantic mutation of parsed scenario data."""
    data = copy.deepcopy(data)
    paths = leaves(data)
    path = rng.choice(paths)
    kind = rng.choice(["type", "type", "number", "number", "delete", "unknown", "wrap",
                       "empty_list", "zones", "policies"])
    if kind == "number":
        numeric = [p for p in paths if isinstance(_get(data, p), int | float)
                   and not isinstance(_get(data, p), bool)]
        path = rng.choice(numeric)
        _set(data, path, _number_mutation(rng, float(_get(data, path))))
    elif kind == "type":
        _set(data, path, copy.deepcopy(rng.choice(ODD_VALUES)))
    elif kind == "delete":
        _delete(data, path)
    elif kind == "unknown":
        parent = path[:-1]
        target = _get(data, parent)
        if isinstance(target, dict):
            target[f"{path[-1]}x"] = 1
        else:
            _set(data, path, {"unexpected": 1})
    elif kind == "wrap":
        _set(data, path, [_get(data, path)])
    elif kind == "empty_list":
        data.setdefault("transit", {})["lines"] = []
    elif kind == "zones":
        data["zones"] = {"list": [
            {"name": "a", "x_m": rng.choice([1e12, 1e9, math.nan, 5e6, 0.0]), "y_m": 0.0,
             "population": data.get("city", {}).get("population", 1), "jobs": 10},
            {"name": "b", "x_m": 0.0, "y_m": 0.0, "population": 0, "jobs": 10}]}
    else:
        data["policies"] = [rng.choice([
            {"name": "no_such_policy"}, {"name": "congestion_pricing", "params": [1, 2]},
            {"name": "congestion_pricing", "params": {"chrage": 3}},
            {"name": "congestion_pricing", "params": {"central_share": math.nan}},
            {"name": 5}, "text"])]
    return f"{kind}:{'.'.join(map(str, path))}", data


def _alias_bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\ncity: *a" + str(levels - 1) + "\n"


TEXT_ATTACKS: list[tuple[str, Callable[[str], str]]] = [
    ("recursive_alias", lambda t: "city: &r [*r]\n"),
    ("recursive_map_alias", lambda t: "city: &r {a: *r}\n"),
    ("deep_flow", lambda t: "city: " + "[" * 1500 + "]" * 1500 + "\n"),
    ("deep_block", lambda t: "".join("  " * i + f"k{i}:\n" for i in range(1200)) + "  " * 1200
     + "x: 1\n"),
    ("alias_bomb", lambda t: _alias_bomb()),
    ("merge_bomb", lambda t: _alias_bomb(8).replace("city: *a7", "city: {<<: {x: *a7}}")),
    ("python_tag", lambda t: "city: !!python/object/apply:os.system ['true']\n"),
    ("huge_int", lambda t: t.replace("population:", "population: " + "9" * 5000 + " #", 1)),
    ("nan_text", lambda t: t.replace("latitude_deg:", "latitude_deg: .nan #", 1)),
    ("binary", lambda t: t[: len(t) // 2] + "\x00" + t[len(t) // 2:]),
    ("truncated", lambda t: t[: len(t) // 3]),
    ("tab_indent", lambda t: t.replace("  ", "\t", 3)),
    ("duplicate_key", lambda t: t + "\ncity: {}\n"),
    ("not_mapping", lambda t: "- " + t.replace("\n", "\n  ")),
    ("bad_utf8", lambda t: t),  # written as bytes below
]


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_PARSED: dict[Path, dict] = {}


def _parsed(base: Path) -> dict:
    """The parsed shipped scenario (parsed once; mutations work on deep copies)."""
    if base not in _PARSED:
        _PARSED[base] = yaml.load(base.read_text(), Loader=getattr(yaml, "CSafeLoader",
                                                                   yaml.SafeLoader))
    return _PARSED[base]


def write_mutant(i: int, folder: Path, rng: random.Random) -> tuple[str, Path]:
    """Write mutant number ``i`` into ``folder`` (a copy of the shipped scenarios);
    returns (description, path to validate)."""
    base = rng.choice(SHIPPED)
    text = base.read_text()
    out = folder / f"m{i:04d}.yaml"
    roll = rng.random()
    if roll < 0.12:
        name, attack = rng.choice(TEXT_ATTACKS)
        if name == "bad_utf8":
            out.write_bytes(text.encode()[:200] + b"\xff\xfe" + text.encode()[200:])
        else:
            out.write_text(attack(text))
        return f"yaml:{name}", out
    if roll < 0.22:
        return _reference_mutant(i, folder, rng, base)
    desc, data = mutate_data(_parsed(base), rng)
    out.write_text(yaml.dump(data, Dumper=_DUMPER, sort_keys=False, allow_unicode=True))
    return f"{base.stem}:{desc}", out


def _reference_mutant(i: int, folder: Path, rng: random.Random,
                      base: Path) -> tuple[str, Path]:
    """Mutants about referenced files: extends and network.file."""
    out = folder / f"m{i:04d}.yaml"
    choice = rng.choice(["outside", "absolute", "missing", "directory", "fifo", "loop",
                         "extends_chain", "extends_cycle", "dev_zero", "self_extends"])
    net = {"generator": None}
    if choice == "outside":
        net["file"] = "../../../etc/passwd.tntp"
    elif choice == "absolute":
        net["file"] = "/etc/passwd.tntp"
    elif choice == "missing":
        net["file"] = "nope.tntp"
    elif choice == "directory":
        (folder / f"d{i}.tntp").mkdir(exist_ok=True)
        net["file"] = f"d{i}.tntp"
    elif choice == "fifo" and hasattr(os, "mkfifo"):
        fifo = folder / f"f{i}.tntp"
        if not fifo.exists():
            os.mkfifo(fifo)
        net["file"] = fifo.name
    elif choice == "loop":
        a, b = folder / f"l{i}a.tntp", folder / f"l{i}b.tntp"
        for p, q in ((a, b), (b, a)):
            if not p.is_symlink():
                p.symlink_to(q.name)
        net["file"] = a.name
    elif choice == "dev_zero":
        link = folder / f"z{i}.tntp"
        if not link.is_symlink():
            link.symlink_to("/dev/zero")
        net["file"] = link.name
    elif choice == "extends_chain":
        shutil.copy(base, folder / f"c{i}_0.yaml")
        for k in range(1, 60):
            (folder / f"c{i}_{k}.yaml").write_text(f"extends: c{i}_{k - 1}.yaml\n")
        out.write_text(f"extends: c{i}_59.yaml\n")
        return f"ref:{choice}", out
    elif choice == "extends_cycle":
        (folder / f"y{i}.yaml").write_text(f"extends: m{i:04d}.yaml\n")
        out.write_text(f"extends: y{i}.yaml\n")
        return f"ref:{choice}", out
    else:  # self_extends (and fifo where mkfifo is missing)
        out.write_text(f"extends: m{i:04d}.yaml\n")
        return f"ref:{choice}", out
    shutil.copy(base, folder / f"b{i}.yaml")
    out.write_text(yaml.safe_dump({"extends": f"b{i}.yaml", "network": net}))
    return f"ref:{choice}", out


def make_folder(tmp: Path) -> Path:
    folder = tmp / "scenarios"
    shutil.copytree(REPO / "scenarios", folder)
    return folder


def campaign(n: int, seed: int = 14, subprocesses: bool = False) -> int:  # pragma: no cover
    """Run ``n`` mutants through ``twincity validate`` (60 s each); print a tally.

    In-process through click's test runner by default (fast); ``subprocesses=True``
    runs the real command line once per mutant (slow: one interpreter start each).
    """
    import signal
    import subprocess
    import sys
    import tempfile
    import time
    from collections import Counter

    from click.testing import CliRunner

    from twincity.cli import main

    class Hang(Exception):
        pass

    def alarm(signum, frame):
        raise Hang()

    signal.signal(signal.SIGALRM, alarm)
    tally: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    bad = []
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_folder(Path(tmp))
        rng = random.Random(seed)
        env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
        code = "import sys; from twincity.cli import main; sys.argv[0] = 'twincity'; main()"
        for i in range(n):
            before = {p: p.stat().st_size for p in folder.rglob("*")
                      if p.is_file() and not p.is_symlink()} if i % 50 == 0 else None
            desc, path = write_mutant(i, folder, rng)
            kinds[desc.split(":")[0] if desc.startswith(("yaml", "ref")) else
                  desc.split(":")[1]] += 1
            try:
                if subprocesses:
                    r = subprocess.run([sys.executable, "-c", code, "validate", str(path)],
                                       capture_output=True, text=True, timeout=60, env=env)
                    rc, stderr = r.returncode, r.stderr
                else:
                    signal.alarm(60)
                    try:
                        res = CliRunner().invoke(main, ["validate", str(path)])
                    finally:
                        signal.alarm(0)
                    rc, stderr = res.exit_code, res.stderr
                    if res.exception is not None and not isinstance(res.exception, SystemExit):
                        stderr += f"\nTraceback: {type(res.exception).__name__}: " \
                                  f"{res.exception}"
                        rc = 1
            except (subprocess.TimeoutExpired, Hang):
                tally["hang"] += 1
                bad.append((desc, "hang"))
                continue
            err = [ln for ln in stderr.splitlines() if ln.strip()]
            if rc == 0:
                tally["accepted"] += 1
            elif (rc == 2 and len(err) == 1 and "Traceback" not in stderr
                  and str(folder) in err[0]):
                tally["clean error"] += 1
            else:
                tally["traceback" if "Traceback" in stderr else "other"] += 1
                bad.append((desc, stderr[-400:]))
            if before is not None:  # validation never deletes or changes a file
                for p, size in before.items():
                    if not p.exists() or p.stat().st_size != size:
                        tally["data loss"] += 1
                        bad.append((desc, f"{p} changed"))
    print(f"{n} mutants in {time.time() - start:.0f} s: {dict(tally)}")
    print(f"classes: {dict(kinds)}")
    for desc, what in bad:
        print("FAIL", desc, what)
    return 1 if bad else 0


if __name__ == "__main__":  # pragma: no cover
    import sys

    raise SystemExit(campaign(int(sys.argv[1]) if len(sys.argv) > 1 else 1000,
                              subprocesses="--subprocess" in sys.argv))
