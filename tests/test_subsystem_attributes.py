"""Every attribute of a built-in subsystem is first set in its ``__init__``.

A reader learns a subsystem's state from ``__init__`` alone; methods only update it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "twincity"
CLASSES = [("traffic/subsystem.py", "TrafficSubsystem"), ("energy/subsystem.py", "EnergySubsystem"),
           ("emissions/subsystem.py", "EmissionsSubsystem"),
           ("operators/transport.py", "TransportAuthority")]


def _assigned(func: ast.FunctionDef) -> set[str]:
    out = set()
    for node in ast.walk(func):
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign | ast.AugAssign) else [])
        for target in targets:
            for t in ast.walk(target):
                if (isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
                        and t.value.id == "self"):
                    out.add(t.attr)
    return out


@pytest.mark.parametrize(("path", "name"), CLASSES)
def test_attributes_are_first_set_in_init(path: str, name: str) -> None:
    tree = ast.parse((SRC / path).read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)
    methods = [f for f in cls.body if isinstance(f, ast.FunctionDef)]
    in_init = set().union(*(_assigned(f) for f in methods if f.name == "__init__"))
    late = {a: f.name for f in methods if f.name != "__init__" for a in _assigned(f)
            if a not in in_init}
    assert not late, f"{name}: attributes first set outside __init__: {late}"
