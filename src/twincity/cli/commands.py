"""Registers every command module on the ``twincity`` group.

Add one import line per command module; each module decorates its commands
with ``@main.command()``.
"""
from twincity.cli import (
    assign,  # noqa: F401
    calibrate,  # noqa: F401
    counts,  # noqa: F401
    dashboard,  # noqa: F401
    factors,  # noqa: F401
    import_cmd,  # noqa: F401
    plot,  # noqa: F401
    policies,  # noqa: F401
    scenario_cmds,  # noqa: F401
    transfer,  # noqa: F401
)
