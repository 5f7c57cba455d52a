"""Operator agents: the few actors that decide, and the typed hooks policies attach to.

* :mod:`~twincity.operators.transport` — the transport authority (tolls by slot,
  green shares, review rules between equilibrated states, trip rules) and
  :class:`ReviewState`;
* :mod:`~twincity.operators.signals` — the signal operators (phase splitter,
  per-step controller, fixed-time plan review).

A grid operator (a dispatch rule acting on the energy subsystem during a run)
does not exist yet: energy policies act through scenario overrides.
"""

from twincity.operators.transport import ReviewState, TransportAuthority

__all__ = ["ReviewState", "TransportAuthority"]
