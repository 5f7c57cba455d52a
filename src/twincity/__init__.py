"""twincity: a multi-city urban simulation testbed.

Simulate a day of a city's traffic, energy and emissions, and trial one
city's policy in another city's scenario.

``twincity.transfer``, ``twincity.compare`` and ``twincity.sweep`` are
loaded on first use (a module ``__getattr__``), so ``import twincity`` stays
light and does not import numba.

Example:
    >>> import twincity
    >>> r = twincity.transfer("singapore:erp", to="sejong", seeds=5)   # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("twincity")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

#: Lazily loaded public functions: attribute name -> module that defines it.
_LAZY = {
    "transfer": "twincity.experiment.transfer",
    "compare": "twincity.experiment.compare",
    "sweep": "twincity.experiment.sweep",
}


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
