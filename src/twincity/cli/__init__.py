"""The ``twincity`` command line.

Each command lives in its own module of this package and is registered on
the :func:`main` group (:mod:`twincity.cli.group`). Input errors
(:class:`twincity.errors.InputError`) are printed as one line and the command
exits with status 2, no traceback.
"""

from __future__ import annotations

from twincity.cli.group import main

__all__ = ["main"]


def _register() -> None:
    """Attach the commands of this package's modules to :func:`main`."""
    # Imported here so that `twincity --help` stays quick and modules stay small.
    from twincity.cli import commands  # noqa: F401


_register()
