"""The import graph of twincity's modules has no cycle, type-only imports included.

Every ``import`` / ``from … import`` statement of ``src/twincity`` counts: at
module level, inside functions (lazy imports) and under ``TYPE_CHECKING``. A
cycle means two modules each need the other to be read, so neither can be
understood, tested or replaced alone; the layers are instead
vocabulary/defaults → scenario → city → context/products → subsystems and
policies → model → experiment, viz, cli.

Also here: no module imports a private name (``_x``) of another module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

SRC = Path(__file__).resolve().parents[1] / "src" / "twincity"

#: Cycles still to remove, each with the edge that closes it. Keep this list true:
#: the test fails when a listed edge disappears, so it only ever shrinks. (Empty: the
#: equilibrium is annotated with ``traffic.plan.TrafficPlan``, not the subsystem.)
PENDING_EDGES: frozenset[tuple[str, str]] = frozenset()


#: Private names still imported across modules (importer, source) — the same ratchet.
#: (Empty: the binary heap both Dijkstra kernels use is public in ``traffic/heap.py``.)
PENDING_PRIVATE: frozenset[tuple[str, str]] = frozenset()


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _imports(module: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, str, int]]:
    """(imported module, imported name or "", line) of every import statement in ``path``."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(a.name, "", node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for a in node.names:
                sub = f"{base}.{a.name}"
                found.append((sub, "", node.lineno) if sub in modules
                             else (base, a.name, node.lineno))
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def import_graph() -> nx.DiGraph:
    """twincity's module import graph (an edge per importing → imported module)."""
    modules = _modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for module, path in modules.items():
        for target, _, _ in _imports(module, path, modules):
            if target.split(".")[0] == "twincity":
                dest = _resolve(target, modules)
                if dest and dest != module:
                    graph.add_edge(module, dest)
    return graph


def test_no_import_cycles_type_only_imports_included() -> None:
    graph = import_graph()
    assert graph.number_of_nodes() > 100  # the walk found the package
    for edge in PENDING_EDGES:
        assert graph.has_edge(*edge), f"{edge} is gone: remove it from PENDING_EDGES"
    graph.remove_edges_from(PENDING_EDGES)
    cycles = [c for c in nx.strongly_connected_components(graph) if len(c) > 1]
    readable = [" ⇄ ".join(sorted(c)) for c in cycles]
    assert not cycles, "import cycles:\n" + "\n".join(readable)


def test_the_walk_sees_type_only_and_lazy_imports() -> None:
    graph = import_graph()
    # a TYPE_CHECKING-only import (the run context's City) and a lazy one (inside a function)
    assert graph.has_edge("twincity.context", "twincity.city.build")
    assert graph.has_edge("twincity.subsystems", "twincity.context")
    assert graph.has_edge("twincity.model", "twincity.policies.registry")


def test_no_module_imports_another_modules_private_names() -> None:
    modules = _modules()
    offenders, pending = [], set()
    for module, path in modules.items():
        for target, name, line in _imports(module, path, modules):
            if (target.startswith("twincity") and name.startswith("_")
                    and not name.startswith("__") and target != module):
                if (module, target) in PENDING_PRIVATE:
                    pending.add((module, target))
                    continue
                offenders.append(f"{path.relative_to(SRC.parent)}:{line}: {name} from {target}")
    assert pending == PENDING_PRIVATE, "a pending private import is gone: update PENDING_PRIVATE"
    assert not offenders, "private names imported across modules:\n" + "\n".join(offenders)
