"""Hourly merit-order dispatch of the city's electricity supply, and grid carbon.

Net load at the consumers is ``buildings + EV charging − local PV + battery
charging − battery discharging`` (kWh per hour). When it is positive, the grid
must generate ``net / (1 − loss share)`` at the busbar; generators are loaded in
order of marginal cost (imports always last, as the last resort) up to
``capacity × availability``; anything still missing is *unserved* and flagged.
When net load is negative the surplus is reported as ``surplus_kwh`` (exported or
curtailed) and nothing is generated. Every hour then satisfies

    Σ generation + unserved = max(net, 0) + losses,  surplus = max(−net, 0).

Intensities: the average ``Σ gen·co2 / Σ gen`` (per kWh generated), the delivered
intensity (emissions per kWh delivered, i.e. including losses), and the marginal
intensity — the CO₂ factor of the unit that would serve one more kWh (the first
unit in merit order with spare available capacity; the last unit if none has).

With ``GridSpec.hourly_intensity_kg_per_kwh`` there is no dispatch: the given
series is used as the average and marginal intensity alike.

Example:
    >>> import numpy as np
    >>> r = dispatch_merit_order(np.array([150.0, 50.0]), np.array([100.0, 100.0]),
    ...                          np.ones((2, 2)), np.array([10.0, 50.0]),
    ...                          np.array([0.0, 1.0]), is_import=np.array([False, False]))
    >>> r.generation_kwh.tolist(), r.marginal_intensity_kg_per_kwh.tolist()
    ([[100.0, 50.0], [50.0, 0.0]], [1.0, 0.0])
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numba import njit

from twincity.scenario.sections_energy import GridSpec


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
def _merit_kernel(
    net, avail_kwh, order, co2, loss_share, gen, unserved, surplus, losses, avg, delivered, marginal
):
    n_gen, n_t = avail_kwh.shape
    for t in range(n_t):
        if net[t] <= 0.0:
            surplus[t] = -net[t]
            need = 0.0
        else:
            need = net[t] / (1.0 - loss_share)
        losses[t] = need - max(net[t], 0.0)
        remaining = need
        emis = 0.0
        total = 0.0
        marg = -1.0
        for k in range(n_gen):
            g = order[k]
            take = min(remaining, avail_kwh[g, t])
            if take < 0.0:
                take = 0.0
            gen[g, t] = take
            remaining -= take
            emis += take * co2[g]
            total += take
            if marg < 0.0 and take < avail_kwh[g, t]:
                marg = co2[g]  # first unit with spare capacity serves the next kWh
        if marg < 0.0:
            marg = co2[order[n_gen - 1]]
        unserved[t] = max(remaining, 0.0)
        marginal[t] = marg
        if total > 0.0:
            avg[t] = emis / total
            delivered[t] = emis / (total * (1.0 - loss_share))
        else:
            avg[t] = marg
            delivered[t] = marg / (1.0 - loss_share)


def dispatch_merit_order(
    net_load_kwh: np.ndarray,
    capacity_kw: np.ndarray,
    availability: np.ndarray,
    marginal_cost_per_kwh: np.ndarray,
    co2_kg_per_kwh: np.ndarray,
    *,
    is_import: np.ndarray | None = None,
    loss_share: float = 0.0,
    fuel: tuple[str, ...] | None = None,
    dt_h: float = 1.0,
) -> GridResult:
    """Dispatch generators (n_gen,) with availability (n_gen, n_hours) against net load.

    Ties in cost keep the input order (stable sort), so results are deterministic.
    """
    net = np.ascontiguousarray(net_load_kwh, dtype=np.float64)
    cap = np.asarray(capacity_kw, dtype=np.float64)
    n_gen, n_t = cap.size, net.size
    avail = np.broadcast_to(np.asarray(availability, dtype=np.float64), (n_gen, n_t))
    if np.any(avail < 0.0) or np.any(avail > 1.0):
        raise ValueError("availability must be within 0..1")
    if not 0.0 <= loss_share < 1.0:
        raise ValueError(f"loss_share must be in [0, 1), got {loss_share}")
    imp = np.zeros(n_gen, bool) if is_import is None else np.asarray(is_import, bool)
    order = np.lexsort((np.asarray(marginal_cost_per_kwh, dtype=np.float64), imp))
    avail_kwh = np.ascontiguousarray(cap[:, None] * avail * dt_h)
    gen = np.zeros((n_gen, n_t))
    out = [np.zeros(n_t) for _ in range(6)]
    _merit_kernel(
        net,
        avail_kwh,
        order.astype(np.int64),
        np.ascontiguousarray(co2_kg_per_kwh, dtype=np.float64),
        float(loss_share),
        gen,
        *out,
    )
    unserved, surplus, losses, avg, delivered, marginal = out
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
) -> GridResult:
    """Dispatch the grid of a scenario against 24 hours of net load.

    ``solar_availability`` (24,) is the capacity factor used for solar generators that
    give none (e.g. ``pv_output_kwh(weather, 1.0, pr)``). Capacities and the background
    load are scaled by ``spec.fleet_share``; the background load is added to the city's
    net load before dispatch (``result.background_kwh``), so the balance identity reads
    Σ gen + unserved = max(net + background, 0) + losses. With a fixed intensity series, the
    result has no generators and ``losses``/``unserved`` follow the same identities with
    the grid as an unlimited source.

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
        elif g.fuel == "solar":
            if solar_availability is None:
                raise ValueError("solar generators without availability need solar_availability")
            avail[k] = np.clip(solar_availability, 0.0, 1.0)
    result = dispatch_merit_order(
        net,
        np.array([g.capacity_kw for g in gens]) * spec.fleet_share,
        avail,
        np.array([g.marginal_cost_per_kwh for g in gens]),
        np.array([g.co2_kg_per_kwh for g in gens]),
        is_import=np.array([g.fuel == "imports" for g in gens]),
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
