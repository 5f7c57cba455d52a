"""The policy catalogue: every registered policy family, and checks of policy parameters.

Lower than the scenario loader, which checks a scenario's ``policies:`` with
:func:`check_policy_specs`; :mod:`twincity.policies.registry` (resolving references,
applying policies to a city) sits above the loader.

Example:
    >>> "congestion_pricing" in policy_names()
    True
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from twincity.errors import ScenarioError
from twincity.policies.base import REGISTRY
from twincity.scenario.base import Section
from twincity.scenario.validation import validation_error
from twincity.scenario.yamlio import FieldPath, LineMap, format_path, locate


def load_all() -> None:
    """Import the policy families so they register themselves."""
    from twincity.policies import (  # noqa: F401
        demand,
        energy,
        fleet,
        mobility,
        pricing,
        signals,
        transit,
    )


def policy_names() -> list[str]:
    """Every registered policy name."""
    load_all()
    return sorted(REGISTRY)


def unknown_name(name: str) -> str:
    """"unknown policy" with the closest registered name, or the list of names."""
    load_all()
    close = difflib.get_close_matches(str(name), sorted(REGISTRY), n=1)
    hint = f"did you mean '{close[0]}'?" if close else \
        f"expected one of {', '.join(sorted(REGISTRY))}"
    return f"unknown policy '{name}'; {hint}"


def check_policy_params(name: str, params: Any, lines: LineMap, file: str | Path,
                        at: FieldPath) -> Section:
    """Validate ``params`` of registered policy ``name`` written at ``at`` of ``file``.

    Errors are one line naming the file, the line and the parameter.
    """
    load_all()
    where = locate(lines, (*at, "name"), Path(file))
    if not isinstance(name, str) or name not in REGISTRY:
        raise ScenarioError(unknown_name(name), path=format_path((*at, "name")), **where)
    params_at = (*at, "params")
    try:
        return REGISTRY[name].Params.model_validate({} if params is None else params)
    except ValidationError as exc:
        err = validation_error(exc, lines, Path(file), model=REGISTRY[name].Params,
                               prefix=params_at)
        raise ScenarioError(f"{err.message} (parameters of policy '{name}')", path=err.path,
                            file=err.file, line=err.line) from None


def check_policy_specs(specs: Any, lines: LineMap, file: str | Path) -> None:
    """Check a scenario's ``policies:`` list against the registry and each parameter schema."""
    for i, spec in enumerate(specs):
        check_policy_params(spec.name, spec.params, lines, file, ("policies", i))
