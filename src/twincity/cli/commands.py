"""Registers every command module on the ``twincity`` group.

Add one import line per command module; each module decorates its commands
with ``@main.command()``.
"""
from twincity.cli import factors  # noqa: F401
from twincity.cli import scenario_cmds  # noqa: F401
from twincity.cli import assign  # noqa: F401
