"""Errors a person can act on.

Every problem with user input is raised as :class:`InputError` (or its
subclass :class:`ScenarioError`), whose ``str()`` is one line naming the
file, the line where known, the field path and what was expected. The CLI
prints that line and exits with status 2.

Example:
    >>> str(ScenarioError("expected a positive number, got -3", file="sejong.yaml",
    ...                   path="city.population", line=7))
    'sejong.yaml:7: city.population: expected a positive number, got -3'
"""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Bad user input: a file, a field path and what was expected."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        path: str | None = None,
        line: int | None = None,
    ) -> None:
        """A one-line message with the file, line and field path it concerns, where known."""
        self.message = " ".join(str(message).split())  # always one line
        self.file = str(file) if file is not None else None
        self.path = path or None
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        """``file:line: path: message``, with the parts that are known."""
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        field = f"{self.path}: " if self.path else ""
        return f"{where}{field}{self.message}"


class ScenarioError(InputError):
    """A scenario file (or a file it references) is malformed or inconsistent."""
