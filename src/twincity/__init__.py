"""twincity: a multi-city urban simulation testbed.

Simulate a day of a city's traffic, energy and emissions, and trial one
city's policy in another city's scenario.

The public names (:data:`__all__`: ``CityModel``, ``Results``, ``KPI``,
``transfer``, ``compare``, ``sweep``, ``RunSpec``, ``ResultStore``) are
loaded on first use (a module ``__getattr__``), so ``import twincity`` stays
light and does not import numba.

``__version__`` comes from git through setuptools-scm (written into
``_version.py`` when the package is installed); which code computed a run
is pinned by :func:`twincity.provenance.engine_fingerprint`, not by it.

Example:
    >>> import twincity
    >>> twincity.CityModel.__name__, twincity.Results.__name__
    ('CityModel', 'Results')
    >>> r = twincity.transfer("singapore:erp", to="sejong", seeds=5)   # doctest: +SKIP
"""

try:
    from twincity._version import version as __version__
except ImportError:  # not installed from a git checkout: the installed metadata, if any
    from importlib.metadata import PackageNotFoundError, version

    try:
        __version__ = version("twincity")
    except PackageNotFoundError:  # a source tree on the path, never installed
        __version__ = "0.0.0+unknown"

#: Lazily loaded public names: attribute name -> module that defines it.
_LAZY = {
    "CityModel": "twincity.model",
    "Results": "twincity.results",
    "KPI": "twincity.results",
    "transfer": "twincity.experiment.transfer",
    "compare": "twincity.experiment.compare",
    "sweep": "twincity.experiment.sweep",
    "RunSpec": "twincity.experiment.spec",
    "ResultStore": "twincity.experiment.store",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    """Load :data:`_LAZY` functions on first access (PEP 562)."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'twincity' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
