"""Hourly merit-order dispatch of the city's electricity supply, and grid carbon.

Net load at the consumers is ``buildings + EV charging − local PV + battery
charging − battery discharging`` (kWh per hour). When it is positive, the grid
must generate ``net / (1 − loss share)`` at the busbar. Units are then loaded in
three stages, each hour:

1. **Must-run** — every unit's ``must_run`` share of its capacity (heat-led CHP,
   nuclear that does not follow load), capped at what is available. If the must-run
   output alone exceeds the need, it is curtailed pro rata (nothing is exported).
2. **Energy-limited units** (reservoir hydro) — a unit with a daily energy budget
   shaves the peaks of the residual load (need − must-run): it generates
   ``clip(residual − L, 0, headroom)`` with the level ``L`` chosen so that the day's
   output equals the budget (the water goes to the hours where it displaces the
   dearest plant). Several such units are scheduled one after the other in cost order.
3. **Merit order** — every other unit's headroom (available − must-run) by marginal
   cost, **imports included**: an import line is a unit like any other, with its
   capacity, price and CO₂ intensity (ties keep the input order). Whatever is still
   missing is *unserved* and flagged.

When net load is negative the surplus is reported as ``surplus_kwh`` (exported or
curtailed) and nothing is generated. Every hour then satisfies

    Σ generation + unserved = max(net, 0) + losses,  surplus = max(−net, 0).

Intensities: the average ``Σ gen·co2 / Σ gen`` (per kWh generated), the delivered
intensity (emissions per kWh delivered, i.e. including losses), and the marginal
intensity — the CO₂ factor of the unit that would serve one more kWh: the first unit in
merit order with spare headroom, energy-limited units excluded (their water is spent
where it is worth most, so one more kWh now comes from the thermal margin); the
last unit in merit order if none has headroom; the must-run mix if the must-run
output was curtailed.

With ``GridSpec.hourly_intensity_kg_per_kwh`` there is no dispatch: the given
series is used as the average and marginal intensity alike.

Example:
    >>> import numpy as np
    >>> r = dispatch_merit_order(np.array([150.0, 50.0]), np.array([100.0, 100.0]),
    ...                          np.ones((2, 2)), np.array([10.0, 50.0]),
    ...                          np.array([0.0, 1.0]))
    >>> r.generation_kwh.tolist(), r.marginal_intensity_kg_per_kwh.tolist()
    ([[100.0, 50.0], [50.0, 0.0]], [1.0, 0.0])
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numba import njit

from twincity.scenario.sections_climate import DAYS_IN_MONTH
from twincity.scenario.sections_energy import GridSpec

#: Bisection steps for the level of an energy-limited unit (2⁻⁶⁰ of the load range).
_LEVEL_ITERATIONS = 60


@dataclass(frozen=True)
class GridResult:
    """Hourly dispatch result; ``generation_kwh`` is (n_generators, n_hours)."""

    generation_kwh: np.ndarray
    fuel: tuple[str, ...]
    unserved_kwh: np.ndarray
    surplus_kwh: np.ndarray
    losses_kwh: np.ndarray
    average_intensity_kg_per_kwh: np.ndarray
    delivered_intensity_kg_per_kwh: np.ndarray
    marginal_intensity_kg_per_kwh: np.ndarray
    #: Demand dispatched besides the city's net load (GridSpec.background_load_kw × fleet share).
    background_kwh: np.ndarray | None = None

    @property
    def co2_kg(self) -> np.ndarray:
        """Hourly grid emissions (kg) of the generation."""
        return self.average_intensity_kg_per_kwh * self.generation_kwh.sum(axis=0)

    def generation_by_fuel_kwh(self) -> dict[str, np.ndarray]:
        """Hourly generation summed per fuel."""
        out: dict[str, np.ndarray] = {}
        for f, g in zip(self.fuel, self.generation_kwh, strict=True):
            out[f] = out.get(f, 0.0) + g
        return out


@njit(cache=True)
def _merit_kernel(need, headroom, fixed, order, merit, co2, gen, unserved, marginal):
    """Stage 3 per hour: ``fixed`` (must-run + energy-limited) plus merit-order headroom.

    ``order`` is every unit by cost; ``merit[g]`` is False for energy-limited units.
    """
    n_gen, n_t = headroom.shape
    for t in range(n_t):
        remaining = need[t]
        for g in range(n_gen):
            gen[g, t] = fixed[g, t]
            remaining -= fixed[g, t]
        marg = -1.0
        last = -1
        for k in range(n_gen):
            g = order[k]
            if not merit[g]:
                continue
            last = g
            take = min(max(remaining, 0.0), headroom[g, t])
            gen[g, t] += take
            remaining -= take
            if marg < 0.0 and take < headroom[g, t]:
                marg = co2[g]  # first unit with spare headroom serves the next kWh
        if marg < 0.0 and last >= 0:
            marg = co2[last]
        unserved[t] = max(remaining, 0.0)
        marginal[t] = marg


def _energy_limited(residual: np.ndarray, headroom: np.ndarray, budget: float) -> np.ndarray:
    """Peak-shaving schedule: ``clip(residual − L, 0, headroom)`` summing to ``budget``.

    Example:
        >>> _energy_limited(np.array([10.0, 30.0, 20.0]), np.full(3, 100.0), 15.0).tolist()
        [0.0, 12.5, 2.5]
    """
    def output(level: float) -> np.ndarray:
        return np.clip(residual - level, 0.0, headroom)

    if output(0.0).sum() <= budget:
        return output(0.0)
    lo, hi = 0.0, float(max(residual.max(), 0.0))
    for _ in range(_LEVEL_ITERATIONS):  # Σ output is monotone in the level
        mid = 0.5 * (lo + hi)
        if output(mid).sum() > budget:
            lo = mid
        else:
            hi = mid
    return output(hi)


def dispatch_merit_order(
    net_load_kwh: np.ndarray,
    capacity_kw: np.ndarray,
    availability: np.ndarray,
    marginal_cost_per_kwh: np.ndarray,
    co2_kg_per_kwh: np.ndarray,
    *,
    must_run: np.ndarray | None = None,
    daily_energy_kwh: np.ndarray | None = None,
    loss_share: float = 0.0,
    fuel: tuple[str, ...] | None = None,
    dt_h: float = 1.0,
) -> GridResult:
    """Dispatch units (n_gen,) with availability (n_gen, n_hours) against net load.

    ``must_run`` (n_gen,) or (n_gen, n_hours): share of capacity that runs whatever its
    cost (default 0). ``daily_energy_kwh`` (n_gen,): the energy budget of an
    energy-limited unit over the hours given, NaN for none (default: none). See the
    module docstring for the three stages. Ties in cost keep the input order (stable
    sort), so results are deterministic.
    """
    net = np.ascontiguousarray(net_load_kwh, dtype=np.float64)
    cap = np.asarray(capacity_kw, dtype=np.float64)
    n_gen, n_t = cap.size, net.size
    avail = np.broadcast_to(np.asarray(availability, dtype=np.float64), (n_gen, n_t))
    if np.any(avail < 0.0) or np.any(avail > 1.0):
        raise ValueError("availability must be within 0..1")
    if not 0.0 <= loss_share < 1.0:
        raise ValueError(f"loss_share must be in [0, 1), got {loss_share}")
    mr_share = np.zeros((n_gen, n_t)) if must_run is None else np.broadcast_to(
        np.asarray(must_run, dtype=np.float64).reshape(n_gen, -1), (n_gen, n_t))
    if np.any(mr_share < 0.0) or np.any(mr_share > 1.0):
        raise ValueError("must_run must be within 0..1")
    budget = np.full(n_gen, np.nan) if daily_energy_kwh is None else np.asarray(
        daily_energy_kwh, dtype=np.float64)
    limited = np.isfinite(budget)
    need = np.where(net > 0.0, net / (1.0 - loss_share), 0.0)
    losses = need - np.maximum(net, 0.0)
    surplus = np.maximum(-net, 0.0)
    avail_kwh = cap[:, None] * avail * dt_h
    mr = np.minimum(cap[:, None] * mr_share * dt_h, avail_kwh)
    mr_total = mr.sum(axis=0)
    curtailed = mr_total > need
    scale = np.where(curtailed, np.divide(need, mr_total, out=np.zeros(n_t),
                                          where=mr_total > 0.0), 1.0)
    mr = mr * scale
    order = np.argsort(np.asarray(marginal_cost_per_kwh, dtype=np.float64), kind="stable")
    fixed = mr.copy()
    residual = need - mr.sum(axis=0)
    for g in order[limited[order]]:  # energy-limited units, cheapest first
        sched = _energy_limited(residual, avail_kwh[g] - mr[g], max(budget[g] - mr[g].sum(), 0.0))
        fixed[g] += sched
        residual = residual - sched
    headroom = np.where(limited[:, None], 0.0, avail_kwh - mr)
    co2 = np.ascontiguousarray(co2_kg_per_kwh, dtype=np.float64)
    gen = np.zeros((n_gen, n_t))
    unserved, marginal = np.zeros(n_t), np.zeros(n_t)
    _merit_kernel(need, np.ascontiguousarray(headroom), np.ascontiguousarray(fixed),
                  order.astype(np.int64), ~limited, co2, gen, unserved, marginal)
    total = gen.sum(axis=0)
    if np.any(curtailed):
        with np.errstate(invalid="ignore", divide="ignore"):
            mr_mix = (mr * co2[:, None]).sum(axis=0) / mr.sum(axis=0)
        marginal = np.where(curtailed & np.isfinite(mr_mix), mr_mix, marginal)
    emis = (gen * co2[:, None]).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        avg = np.where(total > 0.0, emis / total, marginal)
    delivered = avg / (1.0 - loss_share)
    return GridResult(
        generation_kwh=gen,
        fuel=tuple(fuel) if fuel is not None else ("unknown",) * n_gen,
        unserved_kwh=unserved,
        surplus_kwh=surplus,
        losses_kwh=losses,
        average_intensity_kg_per_kwh=avg,
        delivered_intensity_kg_per_kwh=delivered,
        marginal_intensity_kg_per_kwh=marginal,
    )


def dispatch_grid(
    spec: GridSpec,
    net_load_kwh: np.ndarray,
    *,
    solar_availability: np.ndarray | None = None,
    wind_availability: np.ndarray | None = None,
    month: int = 1,
    merit_cost_per_kwh: np.ndarray | None = None,
) -> GridResult:
    """Dispatch the grid of a scenario against 24 hours of net load.

    ``solar_availability`` (24,) is the capacity factor used for solar generators that
    give none (e.g. ``pv_output_kwh(weather, 1.0, pr)``); ``wind_availability`` (24,)
    likewise for wind generators that give none (the day's weather:
    :func:`twincity.energy.weather.wind_availability`). ``month`` (1..12) picks the
    monthly must-run shares. Capacities, daily energy budgets and the background load
    are scaled by ``spec.fleet_share``; the background load is added to the city's net
    load before dispatch (``result.background_kwh``), so the balance identity reads
    Σ gen + unserved = max(net + background, 0) + losses. With a fixed intensity series,
    the result has no generators and ``losses``/``unserved`` follow the same identities
    with the grid as an unlimited source. ``merit_cost_per_kwh`` (one per generator):
    the costs the merit order ranks the units by, if not their marginal costs (a
    grid operator's dispatch rule, e.g. a carbon price, sets them).

    Example:
        >>> import numpy as np
        >>> from twincity.scenario.sections_energy import GridSpec
        >>> g = GridSpec.model_validate({"hourly_intensity_g_per_kwh": [400.0] * 24})
        >>> float(dispatch_grid(g, np.ones(24)).marginal_intensity_kg_per_kwh[0])
        0.4
    """
    city_net = np.asarray(net_load_kwh, dtype=np.float64)
    if city_net.shape != (24,):
        raise ValueError(f"net_load_kwh must have 24 hourly values, got shape {city_net.shape}")
    if not 1 <= month <= len(DAYS_IN_MONTH):
        raise ValueError(f"month must be 1..12, got {month}")
    background = np.zeros(24)
    if spec.background_load_kw is not None:
        background = np.asarray(spec.background_load_kw, dtype=np.float64) * spec.fleet_share
    net = city_net + background  # kWh in one-hour steps
    loss = spec.transmission_loss_share
    if spec.generators is None:
        intensity = np.asarray(spec.hourly_intensity_kg_per_kwh, dtype=np.float64)
        need = np.where(net > 0.0, net / (1.0 - loss), 0.0)
        return GridResult(
            generation_kwh=need[None, :],
            fuel=("grid",),
            unserved_kwh=np.zeros(24),
            surplus_kwh=np.maximum(-net, 0.0),
            losses_kwh=need - np.maximum(net, 0.0),
            average_intensity_kg_per_kwh=intensity.copy(),
            delivered_intensity_kg_per_kwh=intensity / (1.0 - loss),
            marginal_intensity_kg_per_kwh=intensity.copy(),
            background_kwh=background,
        )
    gens = spec.generators
    avail = np.ones((len(gens), 24))
    for k, g in enumerate(gens):  # a handful of generator specs, not a population
        if g.availability is not None:
            avail[k] = g.availability
        elif g.fuel in ("solar", "wind"):
            given = solar_availability if g.fuel == "solar" else wind_availability
            if given is None:
                raise ValueError(f"{g.fuel} generators without availability need "
                                 f"{g.fuel}_availability")
            avail[k] = np.clip(given, 0.0, 1.0)
    cost = np.array([g.marginal_cost_per_kwh for g in gens])
    if merit_cost_per_kwh is not None:
        cost = np.asarray(merit_cost_per_kwh, dtype=np.float64)
        if cost.shape != (len(gens),) or not np.all(np.isfinite(cost)):
            raise ValueError(f"merit_cost_per_kwh must be {len(gens)} finite costs, one per "
                             "generator")
    cap = np.array([g.capacity_kw for g in gens]) * spec.fleet_share
    budget = np.array([np.nan if g.daily_energy_share is None else g.daily_energy_share
                       for g in gens]) * cap * 24.0
    result = dispatch_merit_order(
        net,
        cap,
        avail,
        cost,
        np.array([g.co2_kg_per_kwh for g in gens]),
        must_run=np.array([g.must_run[month - 1] for g in gens]),
        daily_energy_kwh=budget,
        loss_share=loss,
        fuel=tuple(g.fuel for g in gens),
    )
    return replace(result, background_kwh=background)


def net_load_kwh(
    buildings_kwh: np.ndarray,
    charging_kwh: np.ndarray,
    pv_kwh: np.ndarray,
    battery_charge_kwh: np.ndarray | float = 0.0,
    battery_discharge_kwh: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Consumers' net load: buildings + charging − PV + battery charge − battery discharge.

    Example:
        >>> float(net_load_kwh(np.array([5.0]), np.array([2.0]), np.array([4.0]), 1.0, 0.0)[0])
        4.0
    """
    return (
        np.asarray(buildings_kwh, dtype=np.float64)
        + charging_kwh
        - pv_kwh
        + battery_charge_kwh
        - battery_discharge_kwh
    )
