"""Runs tied to code: engine fingerprint in every run id, stores keep other code's runs apart,
git commits only of twincity's own source tree, provenance of the environment."""

from __future__ import annotations

import platform
import shutil
import subprocess
from pathlib import Path

import pytest

import twincity
from twincity.experiment import ResultStore, RunSpec, StoreWarning, run_experiment, run_id
from twincity.experiment import runners as runners_module
from twincity.experiment import spec as spec_module
from twincity.experiment import store as store_module
from twincity.provenance import (
    engine_fingerprint,
    fingerprint_of,
    git_state,
    package_dir,
    provenance,
)
from twincity.results import KPI, Results

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def _copy_package(dest: Path) -> Path:
    """A copy of the imported twincity package's source (no caches)."""
    shutil.copytree(package_dir(), dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def test_fingerprint_follows_every_source_file_and_nothing_else(tmp_path: Path) -> None:
    pkg = _copy_package(tmp_path / "twincity")
    assert fingerprint_of(pkg) == engine_fingerprint()  # the copy is the same code
    base = fingerprint_of(pkg)
    # not code: caches, setuptools-scm's version file, other file types
    (pkg / "__pycache__").mkdir(exist_ok=True)
    (pkg / "__pycache__" / "x.cpython-312.pyc").write_bytes(b"\0junk")
    (pkg / "_version.py").write_text("version = '9.9'\n")
    (pkg / "notes.txt").write_text("scratch\n")
    assert fingerprint_of(pkg) == base
    # one line of one kernel module
    kernel = pkg / "traffic" / "kernel.py"
    text = kernel.read_text()
    kernel.write_text(text.replace("\n", "\n# one more line\n", 1))
    edited = fingerprint_of(pkg)
    assert edited != base
    kernel.write_text(text)
    assert fingerprint_of(pkg) == base
    # packaged data are part of the engine; so is a file's name
    factors = pkg / "data" / "emission_factors.csv"
    factors.write_text(factors.read_text() + "\n")
    assert fingerprint_of(pkg) not in (base, edited)
    factors.write_text(factors.read_text()[:-1])
    (pkg / "kpi.py").rename(pkg / "kpi2.py")
    assert fingerprint_of(pkg) != base


def _use_engine(monkeypatch: pytest.MonkeyPatch, fingerprint: str) -> None:
    """Make this process behave as code of ``fingerprint``."""
    for module in (spec_module, store_module, runners_module):
        monkeypatch.setattr(module, "engine_fingerprint", lambda: fingerprint)


def test_one_changed_line_changes_every_run_id(tiny_path: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = _copy_package(tmp_path / "twincity")
    specs = [RunSpec(str(tiny_path), seed=s) for s in (1, 2, 3)]
    specs.append(RunSpec(str(tiny_path), seed=1, overrides={"demand.commute_share": 0.3}))
    _use_engine(monkeypatch, fingerprint_of(pkg))
    before = [run_id(s) for s in specs]
    path = pkg / "energy" / "pv.py"
    path.write_text(path.read_text().replace("\n", "\n\n", 1))
    _use_engine(monkeypatch, fingerprint_of(pkg))
    after = [run_id(s) for s in specs]
    assert len(set(before)) == len(specs)
    assert set(before).isdisjoint(after)


class FakeExecute:
    """A run whose KPI says which engine computed it (no simulation: fast)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, spec: RunSpec) -> Results:
        self.calls += 1
        engine = spec_module.engine_fingerprint()
        return Results(kpis=[KPI("engine_code", float(int(engine, 16) % 1000), "-"),
                             KPI("seed", float(spec.seed), "-")],
                       provenance={"scenario_hash": "", "engine_fingerprint": engine})


def test_store_never_returns_a_run_of_other_code(tiny_path: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeExecute()
    monkeypatch.setattr(runners_module, "execute", fake)
    monkeypatch.setattr(runners_module, "_check", lambda output, run: output)
    store = ResultStore(tmp_path / "store")
    specs = [RunSpec(str(tiny_path), seed=s) for s in (1, 2)]
    old, new = "a" * 16, "b" * 16

    _use_engine(monkeypatch, old)
    first = run_experiment(specs, store, progress=False)
    assert fake.calls == 2 and set(first.run_id) == {run_id(s) for s in specs}
    run_experiment(specs, store, progress=False)          # same code: finished runs reused
    assert fake.calls == 2

    _use_engine(monkeypatch, new)
    with pytest.warns(StoreWarning, match=r"2 finished run\(s\) of other twincity code.*aaaa"):
        second = run_experiment(specs, store, progress=False)
    assert fake.calls == 4                                # recomputed, not served from old code
    assert set(second.run_id).isdisjoint(first.run_id)
    engine_code = float(int(new, 16) % 1000)
    assert (second.loc[second.name == "engine_code", "value"] == engine_code).all()
    # the store keeps both, apart: by default only this code's runs are read
    assert store.engines() == {old: 2, new: 2}
    assert set(store.kpis().run_id) == set(second.run_id)
    assert set(store.kpis(engine=old).run_id) == set(first.run_id)
    assert len(store.kpis(engine="all").run_id.unique()) == 4
    runs = store.runs().set_index("run_id")
    assert runs.loc[list(first.run_id.unique()), "engine_fingerprint"].eq(old).all()


def test_a_worker_running_other_code_is_refused(tiny_path: Path, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runners_module, "execute", FakeExecute())
    monkeypatch.setattr(spec_module, "engine_fingerprint", lambda: "c" * 16)
    monkeypatch.setattr(store_module, "engine_fingerprint", lambda: "c" * 16)
    # the "worker" (run_task, first call) runs other code than the parent (_check, second)
    monkeypatch.setattr(runners_module, "engine_fingerprint",
                        iter(["d" * 16] + ["c" * 16] * 10).__next__)
    store = ResultStore(tmp_path / "store")
    with pytest.raises(runners_module.RunsFailed, match="other twincity code"):
        run_experiment([RunSpec(str(tiny_path), seed=1)], store, progress=False)
    assert store.finished() == set()


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org",
                           "-c", "init.defaultBranch=main", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout.strip()


def _repo(root: Path, project: str) -> Path:
    root.mkdir(parents=True)
    _git(root, "init", "-q")
    (root / "pyproject.toml").write_text(f'[project]\nname = "{project}"\n')
    return root


@needs_git
def test_installed_inside_an_unrelated_repository_records_no_commit(tmp_path: Path) -> None:
    user = _repo(tmp_path / "analysis", "my-analysis")
    site = user / ".venv" / "lib" / "python3.12" / "site-packages"
    pkg = _copy_package(site / "twincity")
    _git(user, "add", "-A")
    _git(user, "commit", "-q", "-m", "user's work, venv and all")
    assert git_state(pkg) == (None, None)
    # a twincity checkout whose own venv holds an installed (not editable) copy: not its source
    checkout = _repo(tmp_path / "twincity-clone", "twincity")
    _copy_package(checkout / "src" / "twincity")
    other = _copy_package(checkout / ".venv" / "site-packages" / "twincity")
    _git(checkout, "add", "-A")
    _git(checkout, "commit", "-q", "-m", "source")
    assert git_state(other) == (None, None)


@needs_git
def test_twincity_source_tree_records_its_commit_and_dirty_flag(tmp_path: Path) -> None:
    checkout = _repo(tmp_path / "twincity", "twincity")
    pkg = _copy_package(checkout / "src" / "twincity")
    _git(checkout, "add", "-A")
    _git(checkout, "commit", "-q", "-m", "source")
    commit = _git(checkout, "rev-parse", "HEAD")
    assert git_state(pkg) == (commit, False)
    (checkout / "scratch.txt").write_text("untracked files do not make it dirty\n")
    assert git_state(pkg) == (commit, False)
    (pkg / "kpi.py").write_text((pkg / "kpi.py").read_text() + "\n")
    assert git_state(pkg) == (commit, True)


def test_provenance_names_code_and_environment() -> None:
    prov = provenance("hash", 7, [])
    assert prov["engine_fingerprint"] == engine_fingerprint()
    assert prov["twincity_version"] == twincity.__version__
    assert prov["python"] == platform.python_version()
    assert prov["platform"] == platform.platform()
    import mesa
    import numba
    import numpy

    assert prov["packages"]["numpy"] == numpy.__version__
    assert prov["packages"]["numba"] == numba.__version__
    assert prov["packages"]["mesa"] == mesa.__version__
    assert prov["git_dirty"] in (True, False, None)
    assert (prov["git_commit"] is None) == (prov["git_dirty"] is None)
