"""Operator agents: the few actors that decide, and the typed hooks policies attach to.

* :mod:`~twincity.operators.transport` — the transport authority (tolls by slot,
  green shares, review rules between equilibrated states, trip rules) and
  :class:`ReviewState`;
* :mod:`~twincity.operators.signals` — the signal operators (phase splitter,
  per-step controller, fixed-time plan review);
* :mod:`~twincity.operators.grid` — the grid operator (merit-order dispatch of each
  representative day, the day-ahead :class:`DispatchSignal`), with two hooks: the
  load-shifting rule EV charging is scheduled by (:class:`ChargingRule`, set by smart
  charging) and dispatch rules re-ranking the merit order (:class:`DispatchRule`,
  e.g. :class:`CarbonPrice`).
"""

from twincity.operators.grid import (
    CarbonPrice,
    ChargingRule,
    DispatchRule,
    DispatchSignal,
    GridOperator,
    StrategyCharging,
    Units,
)
from twincity.operators.transport import ReviewState, TransportAuthority

__all__ = ["CarbonPrice", "ChargingRule", "DispatchRule", "DispatchSignal", "GridOperator",
           "ReviewState", "StrategyCharging", "TransportAuthority", "Units"]
