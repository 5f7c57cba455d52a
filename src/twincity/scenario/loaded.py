"""A loaded scenario: the typed spec with what is needed to reproduce and explain a run.

:func:`twincity.scenario.loader.load_scenario` makes it; the city, the model and
the reports read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from twincity.scenario.schema import Scenario
from twincity.scenario.yamlio import FieldPath, LineMap, locate


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with the facts needed to reproduce and explain a run.

    ``spec`` is the typed, frozen :class:`Scenario`; ``content_hash`` is the
    SHA-256 of the resolved scenario and of every file it references, so two
    runs with the same hash saw the same inputs.
    """

    spec: Scenario
    path: Path
    base_dir: Path
    content_hash: str
    files: tuple[Path, ...] = field(default=())
    references: dict[str, Path] = field(default_factory=dict)
    lines: LineMap = field(default_factory=dict, repr=False, compare=False)

    def reference(self, dotted: str) -> Path:
        """Absolute, checked path of a referenced file, e.g. ``reference("network.file")``."""
        return self.references[dotted]

    def where(self, path: FieldPath) -> dict[str, Any]:
        """``file=`` and ``line=`` keywords for an error about ``path`` (best known location)."""
        return locate(self.lines, path, self.path)

    def resolved_dict(self) -> dict[str, Any]:
        """The fully resolved scenario as plain JSON-ready data (SI units)."""
        return self.spec.model_dump(mode="json")
