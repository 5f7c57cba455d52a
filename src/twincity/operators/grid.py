"""The grid operator: dispatches the city's supply and schedules flexible load by its rule.

The energy subsystem (:mod:`twincity.energy.subsystem`) hands every
representative day to this operator in three calls:

1. :meth:`GridOperator.dispatch` the day **without** flexible load (buildings,
   PV and batteries) by merit order (:func:`~twincity.energy.grid.dispatch_grid`);
2. :meth:`GridOperator.signal`: the day-ahead :class:`DispatchSignal` that dispatch
   shows (hourly average and marginal intensity), published to flexible load;
3. :meth:`GridOperator.schedule_charging`: the EV charging sessions scheduled by
   the operator's **load-shifting rule** against that signal, then the day is
   dispatched again with the charging load.

Policies attach through two typed hooks:

* a **load-shifting rule** (:meth:`GridOperator.set_charging_rule`): a
  :class:`ChargingRule` takes the sessions, the zones and the signal and returns
  the load per zone and hour. Every rule must conserve energy (each session's
  delivered + unmet = requested battery energy, checked on each call), so a rule
  moves load in time and never makes or loses energy. Without a policy the rule
  is the city's own ``charging.strategy`` (:class:`StrategyCharging`);
* **dispatch rules** (:meth:`GridOperator.add_dispatch_rule`): a
  :class:`DispatchRule` maps the units' costs to the costs the merit order ranks
  them by (a carbon price adds price × CO₂ intensity, :class:`CarbonPrice`). Rules
  compose in the order added; they re-rank units and never change what a unit
  emits or can generate. A grid given as a fixed intensity series has no merit
  order, so dispatch rules have nothing to act on there (:attr:`GridOperator.units`
  is ``None``).

The operator decides once per representative day, at the end of the run, not
each model step, so it is a plain object rather than a step-scheduled Mesa agent.

Example:
    >>> import numpy as np
    >>> from twincity.energy.charging import ChargingSessions
    >>> from twincity.scenario.sections_energy import ChargingSpec, GridSpec
    >>> grid = GridSpec.model_validate({"hourly_intensity_g_per_kwh": [400.0] * 24})
    >>> op = GridOperator(grid=grid, charging=ChargingSpec(charger_efficiency=1.0))
    >>> sig = op.signal(op.dispatch(np.ones(24)))
    >>> s = ChargingSessions(np.array([18.0]), np.array([7.0]), np.array([7.4]),
    ...                      np.array([7.4]), np.array([0]), np.array([True]))
    >>> float(op.schedule_charging(s, 1, sig).load_kwh[0, 18])   # uncontrolled: on arrival
    7.4
    >>> units = Units(("coal", "gas"), np.array([0.03, 0.05]), np.array([0.9, 0.4]))
    >>> CarbonPrice(0.1)(units, units.marginal_cost_per_kwh).round(6).tolist()  # gas first
    [0.12, 0.09]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

from twincity.energy.charging import ChargingResult, ChargingSessions, charge
from twincity.energy.grid import GridResult, dispatch_grid
from twincity.errors import InputError

if TYPE_CHECKING:
    from twincity.scenario.sections_energy import ChargingSpec, GridSpec

#: Signals a carbon-aware rule may follow: the hour's average intensity (what published
#: grid carbon-intensity forecasts give) or its marginal intensity (the unit serving one
#: more kWh, the consequence of moving load).
Signal = Literal["average", "marginal"]
#: Relative tolerance of the per-session energy balance a rule must keep.
BALANCE_RTOL = 1e-9


@dataclass(frozen=True)
class DispatchSignal:
    """The day-ahead signal: the day dispatched without flexible load (24 hourly values)."""

    average_intensity_kg_per_kwh: np.ndarray
    marginal_intensity_kg_per_kwh: np.ndarray

    def intensity(self, kind: Signal) -> np.ndarray:
        """The hourly intensity of ``kind`` (``average`` or ``marginal``), kg CO₂/kWh."""
        if kind == "average":
            return self.average_intensity_kg_per_kwh
        return self.marginal_intensity_kg_per_kwh


@dataclass(frozen=True)
class Units:
    """The grid's generating units as the merit order sees them (one entry per generator)."""

    fuel: tuple[str, ...]
    marginal_cost_per_kwh: np.ndarray  # currency of the scenario per kWh
    co2_kg_per_kwh: np.ndarray

    @classmethod
    def of(cls, grid: GridSpec) -> Units | None:
        """The units of ``grid``'s merit order (``None`` for a fixed intensity series)."""
        if grid.generators is None:
            return None
        return cls(tuple(g.fuel for g in grid.generators),
                   np.array([g.marginal_cost_per_kwh for g in grid.generators]),
                   np.array([g.co2_kg_per_kwh for g in grid.generators]))


class DispatchRule(Protocol):
    """A dispatch rule: the costs the merit order ranks units by, from the costs so far."""

    def __call__(self, units: Units, cost_per_kwh: np.ndarray) -> np.ndarray:
        """One finite cost per unit (currency per kWh)."""
        ...


@dataclass(frozen=True)
class CarbonPrice:
    """A carbon price: each unit's cost plus ``price_per_kg`` × its CO₂ intensity."""

    price_per_kg: float

    def __call__(self, units: Units, cost_per_kwh: np.ndarray) -> np.ndarray:
        """``cost + price_per_kg × co2_kg_per_kwh`` per unit."""
        return cost_per_kwh + self.price_per_kg * units.co2_kg_per_kwh


class ChargingRule(Protocol):
    """A load-shifting rule: when each EV charging session draws its energy."""

    def __call__(self, sessions: ChargingSessions, n_zones: int,
                 signal: DispatchSignal) -> ChargingResult:
        """Load per zone and hour (grid kWh) and each session's delivered and unmet energy."""
        ...


@dataclass(frozen=True)
class StrategyCharging:
    """Charging by a ``charging`` section's strategy; carbon-aware follows ``signal``.

    ``uncontrolled`` charges on arrival, ``off_peak`` home sessions in the
    window, ``carbon_aware`` in the parking hours of least ``signal`` intensity
    (:func:`~twincity.energy.charging.charge`).
    """

    spec: ChargingSpec
    signal: Signal = "average"

    def __call__(self, sessions: ChargingSessions, n_zones: int,
                 signal: DispatchSignal) -> ChargingResult:
        """Schedule ``sessions`` by the strategy (see the class docstring)."""
        return charge(sessions, n_zones, self.spec, signal.intensity(self.signal))


class GridOperator:
    """Dispatches the grid of a scenario and schedules EV charging by its rule."""

    def __init__(self, *, grid: GridSpec, charging: ChargingSpec) -> None:
        """An operator of ``grid`` whose charging rule is the city's own ``charging`` strategy."""
        self.grid = grid
        #: The merit order's units (``None``: the grid is a fixed intensity series).
        self.units = Units.of(grid)
        self.charging_rule: ChargingRule = StrategyCharging(charging)
        #: The policy whose rule schedules charging (``None``: the city's own strategy).
        self.charging_rule_by: str | None = None
        #: Rules re-ranking the merit order, applied in the order added.
        self.dispatch_rules: list[DispatchRule] = []

    def set_charging_rule(self, rule: ChargingRule, *, by: str) -> None:
        """Schedule EV charging by ``rule`` from now on; ``by`` names the policy.

        One policy at a time: a second policy setting the rule is an input error
        (two schedules for the same sessions would silently override each other).
        """
        if self.charging_rule_by is not None and self.charging_rule_by != by:
            raise InputError(f"EV charging is already scheduled by policy "
                             f"{self.charging_rule_by!r}; one charging rule per run",
                             path=f"policy {by}")
        self.charging_rule, self.charging_rule_by = rule, by

    def add_dispatch_rule(self, rule: DispatchRule) -> None:
        """Rank the merit order by ``rule`` too (after the rules added before)."""
        self.dispatch_rules.append(rule)

    def merit_cost_per_kwh(self) -> np.ndarray | None:
        """The costs the merit order ranks units by after the dispatch rules.

        ``None`` without units or without rules (the units' own marginal costs).
        """
        if self.units is None or not self.dispatch_rules:
            return None
        cost = self.units.marginal_cost_per_kwh.copy()
        for rule in self.dispatch_rules:
            cost = np.asarray(rule(self.units, cost), dtype=np.float64)
        return cost

    def merit_order(self) -> list[str]:
        """Unit names (fuel, or name where given) cheapest first, after the dispatch rules."""
        gens = self.grid.generators
        if self.units is None or gens is None:
            return []
        cost = self.merit_cost_per_kwh()
        cost = self.units.marginal_cost_per_kwh if cost is None else cost
        names = [g.name or g.fuel for g in gens]
        return [names[i] for i in np.argsort(cost, kind="stable")]

    def dispatch(self, net_load_kwh: np.ndarray, *, solar_availability: np.ndarray | None = None,
                 wind_availability: np.ndarray | None = None, month: int = 1) -> GridResult:
        """Merit-order dispatch of the city's hourly net load (see :func:`dispatch_grid`).

        Units are ranked by :meth:`merit_cost_per_kwh` (the dispatch rules).
        """
        return dispatch_grid(self.grid, net_load_kwh, solar_availability=solar_availability,
                             wind_availability=wind_availability, month=month,
                             merit_cost_per_kwh=self.merit_cost_per_kwh())

    @staticmethod
    def signal(forecast: GridResult) -> DispatchSignal:
        """The day-ahead signal of a dispatch made without the flexible load."""
        return DispatchSignal(
            average_intensity_kg_per_kwh=forecast.average_intensity_kg_per_kwh,
            marginal_intensity_kg_per_kwh=forecast.marginal_intensity_kg_per_kwh)

    def schedule_charging(self, sessions: ChargingSessions, n_zones: int,
                          signal: DispatchSignal) -> ChargingResult:
        """The sessions' load by the operator's rule, checked to conserve each session's energy."""
        result = self.charging_rule(sessions, n_zones, signal)
        requested = sessions.energy_kwh
        if result.load_kwh.shape != (n_zones, 24) or not np.allclose(
                result.delivered_kwh + result.unmet_kwh, requested, rtol=BALANCE_RTOL,
                atol=BALANCE_RTOL * max(1.0, float(requested.sum()))):
            who = self.charging_rule_by or "the city's charging strategy"
            raise ValueError(f"the charging rule of {who} does not conserve energy: "
                             "delivered + unmet must equal each session's energy and the "
                             f"load must be (zones={n_zones}, 24)")
        return result
