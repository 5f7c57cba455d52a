"""CityModel: the Mesa model that runs one city for one simulated span.

The model holds the built :class:`~twincity.city.build.City`, the run context
(:class:`~twincity.context.RunContext`: city, clock, random streams, operators,
hooks), the subsystems of the run — built from the registry
(:mod:`twincity.subsystems`) in the order their products require (traffic,
energy, emissions, and any registered later) — and operator agents
(``mesa.Agent`` subclasses that decide: the transport authority, a policy's
signal controller). Subsystems see the context and each other's typed products
(:mod:`twincity.products`), never the model. One model step advances the clock
by ``simulation.interval_s``: operators act first, then each subsystem advances
its kernels over the interval, then the ``DataCollector`` records city-level
observables.

Randomness: one root seed (the scenario's ``simulation.seed`` unless
overridden). Mesa's ``model.rng`` is seeded from it; every subsystem draws
from its own *named* stream (:meth:`RunContext.stream`), spawned from the same
root, so adding a subsystem never shifts another's random numbers.

Mesa conventions: the step that reaches the end of the simulated span also
finishes the model (:meth:`CityModel.finish`) and sets ``running = False``;
every KPI of the :data:`twincity.kpi.CATALOGUE` is a DataCollector model
reporter (``NaN`` until the model has finished), so
``mesa.batch_run(CityModel, {"city": path}, rng=[1, 2],
data_collection_period=-1)`` returns each run's KPIs — the same values as
``twincity run --seed 1`` and ``--seed 2`` — as long as ``max_steps`` exceeds
:attr:`CityModel.n_steps` (Mesa 3 passes the seeds of ``rng`` as ``seed``).

Example:
    >>> model = CityModel.from_file("scenarios/sejong.yaml", seed=3)   # doctest: +SKIP
    >>> results = model.run()                                         # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
from mesa import DataCollector

from twincity.city.build import City, build_city
from twincity.context import RunContext
from twincity.defaults import TOLL_SLOT_S
from twincity.kpi import CATALOGUE, make_kpi
from twincity.operators.grid import GridOperator
from twincity.operators.transport import TransportAuthority
from twincity.policies.base import Adaptation, Policy
from twincity.provenance import provenance
from twincity.results import KPI, Results
from twincity.scenario.loaded import LoadedScenario
from twincity.scenario.loader import load_scenario
from twincity.subsystems import Products, Subsystem, build_order, default_subsystems
from twincity.traffic.planstate import PlanState

#: The built-in subsystems a model runs by default (the registry may hold more).
SUBSYSTEMS: tuple[str, ...] = default_subsystems()


def prepare_city(path: str | Path, *, overrides: dict | None = None, policies: Sequence = (),
                 without: Sequence[str] = ()) -> tuple[City, list[tuple[Policy, Adaptation]]]:
    """Build the city of a scenario file with its policies in force and ``policies`` applied.

    The scenario's own policies with ``in_force: true`` are always applied,
    except those ``without`` removes (references ``city:label``); see
    :func:`twincity.policies.registry.apply_policies`.
    """
    loaded = load_scenario(path, overrides)
    if not policies and not without and not any(p.in_force for p in loaded.spec.policies):
        return build_city(loaded), []
    from twincity.policies.registry import apply_policies, resolve_policy

    folder = Path(path).resolve().parent
    objs = [p if isinstance(p, Policy) else resolve_policy(p, folder) for p in policies]
    return apply_policies(path, objs, overrides=overrides, without=tuple(without))


def _observe(sub: Subsystem, key: str, model: CityModel) -> float:
    return sub.observations()[key]


def _final_kpi(name: str, model: CityModel) -> float:
    """A KPI's value once the model has finished, ``NaN`` before (a DataCollector reporter)."""
    return model.final_kpis.get(name, float("nan"))


class CityModel(mesa.Model):
    """A city simulated over ``simulation.duration_s`` in steps of ``interval_s``."""

    def __init__(self, city: City | str | Path, *, seed: int | None = None,
                 overrides: dict | None = None, policies: Sequence = (),
                 without: Sequence[str] = (),
                 subsystems: Sequence[str] | None = None, progress: bool = False,
                 start_from: PlanState | None = None,
                 control_days: int | None = None) -> None:
        """``city`` is a built :class:`City` or a scenario file path.

        With a path, ``overrides`` change the scenario, the scenario's own
        policies in force are applied except those named in ``without``
        (``"singapore:erp"``), and ``policies`` are added: references
        (``"singapore:erp"``, a policy file, a registered name) or
        :class:`Policy` objects, applied while the city is built. With a built
        city, ``policies`` are the (policy, adaptation) pairs already applied
        to it. Passing a path makes the model usable from ``mesa.batch_run``.
        ``start_from``: a reference arm's equilibrated plan
        (:meth:`plan_state`) the traffic equilibrium continues from (the changed
        arm of a paired experiment, :mod:`twincity.traffic.planstate`);
        ``control_days``: with ``start_from``, continue exactly that many days
        (the control of a changed arm that took them, see
        :mod:`twincity.traffic.equilibrium`).
        ``subsystems``: names in the registry (:mod:`twincity.subsystems`); by
        default every default entry. They are built in the order their products
        require, whatever the order given.
        """
        if control_days is not None and (start_from is None or control_days < 1):
            raise ValueError("control_days needs start_from (a reference plan) and at least "
                             "one day")
        if isinstance(city, City):
            if overrides or without:
                raise ValueError("overrides and without need the scenario path, not a built "
                                 "city")
            applied = list(policies)
        else:
            city, applied = prepare_city(city, overrides=overrides, policies=policies,
                                         without=without)
        sim = city.spec.simulation
        self.seed = int(sim.seed if seed is None else seed)
        self.seed_sequence = np.random.SeedSequence(self.seed)
        super().__init__(rng=np.random.default_rng(self.seed_sequence))
        self.city = city
        self.without = tuple(without)
        self.clock_s = float(sim.start_s)
        self.end_s = float(sim.start_s + sim.duration_s)
        self.interval_s = float(sim.interval_s)
        self.subsystems: list[Subsystem] = []
        self.notes: list[str] = list(city.notes)
        net = city.network
        n_toll_slots = max(1, int(np.ceil(sim.duration_s / TOLL_SLOT_S)))
        self.transport_authority = TransportAuthority(
            self, toll_schedule=np.repeat(net.toll[None, :], n_toll_slots, axis=0),
            green_share=np.ones(net.n_links), toll_slot_s=TOLL_SLOT_S)
        self.grid_operator = GridOperator(grid=city.spec.grid, charging=city.spec.charging)
        #: What subsystems and policies see of the run.
        self.context = RunContext(city=city, seed=self.seed, start_s=self.clock_s,
                                  end_s=self.end_s, interval_s=self.interval_s,
                                  transport_authority=self.transport_authority, host=self,
                                  grid_operator=self.grid_operator,
                                  progress=progress, start_from=start_from,
                                  control_days=control_days)
        #: Rules removing trips from the generated demand (the context's hook).
        self.demand_rules = self.context.demand_rules
        self.policies = applied
        for policy, adaptation in self.policies:
            policy.attach(self.context, adaptation)
            state = " (in force)" if getattr(policy, "in_force", False) else ""
            self.notes.append(f"policy {policy.label}{state}: {adaptation.note}")
        for ref in self.without:
            self.notes.append(f"without {ref}: this city's policy in force is not applied "
                              "in this run (the counterfactual)")
        #: The product board subsystems hand each other typed products through.
        self.products = Products()
        self._build_subsystems(default_subsystems() if subsystems is None else subsystems)
        reporters: dict = {"time_s": "clock_s"}
        for sub in self.subsystems:
            for key in sub.observations():
                reporters[key] = partial(_observe, sub, key)
        self._observables = list(reporters)
        #: KPI name -> value, filled when the model finishes (read by the KPI reporters).
        self.final_kpis: dict[str, float] = {}
        self._kpis: list[KPI] | None = None
        self._finished = False
        for name in CATALOGUE:
            reporters.setdefault(name, partial(_final_kpi, name))
        self.datacollector = DataCollector(model_reporters=reporters)

    def _build_subsystems(self, names: Sequence[str]) -> None:
        """Build, in registry order, each subsystem, offer its products and prepare it.

        Each subsystem is also an attribute named after it (``model.traffic``);
        built-in names the run leaves out are ``None``.
        """
        for name in SUBSYSTEMS:
            setattr(self, name, None)
        for entry in build_order(names):
            if entry.name not in SUBSYSTEMS and hasattr(self, entry.name):
                raise ValueError(f"subsystem name {entry.name!r} is taken by the model")
            sub = entry.factory()(self.context, self.products)
            self.products.offer(sub, entry.provides)
            sub.prepare()
            self.subsystems.append(sub)
            setattr(self, entry.name, sub)

    def subsystem(self, name: str) -> Subsystem | None:
        """The run's subsystem called ``name`` (``None`` when the run has none)."""
        return next((s for s in self.subsystems if s.name == name), None)

    @classmethod
    def from_file(cls, path: str | Path, *, seed: int | None = None,
                  overrides: dict | None = None, policies: Sequence[Policy | str] = (),
                  without: Sequence[str] = (), **kwargs) -> CityModel:
        """Load, build and wrap a scenario file in one call (keywords go to the model)."""
        return cls(path, seed=seed, overrides=overrides, policies=policies, without=without,
                   **kwargs)

    def plan_state(self) -> PlanState:
        """The traffic equilibrium's plan, for a paired arm to continue from (``start_from``)."""
        if self.traffic is None or getattr(self.traffic, "dynamic", None) is None:
            raise ValueError("no traffic equilibrium in this model")
        return self.traffic.dynamic.snapshot()

    @property
    def loaded(self) -> LoadedScenario:
        """The loaded scenario the city was built from."""
        return self.city.loaded

    def stream_seed(self, name: str) -> np.random.SeedSequence:
        """The seed sequence of stream ``name`` (see :meth:`RunContext.stream_seed`)."""
        return self.context.stream_seed(name)

    def stream(self, name: str) -> np.random.Generator:
        """A random stream of its own for ``name`` (see :meth:`RunContext.stream`)."""
        return self.context.stream(name)

    # ------------------------------------------------------------------ stepping
    def step(self) -> None:
        """Advance one interval: operators act, subsystems advance, observables are recorded.

        The step that reaches the end of the span also finishes the model (its KPIs
        are then recorded too) and sets ``running = False``.
        """
        start, end = self.clock_s, min(self.clock_s + self.interval_s, self.end_s)
        self.agents.shuffle_do("act")
        for sub in self.subsystems:
            sub.advance(start, end)
        self.clock_s = end
        if self.clock_s >= self.end_s - 1e-9:
            self.finish()
            self.running = False
        self._collect()

    def _collect(self) -> None:
        self.datacollector.collect(self)

    @property
    def n_steps(self) -> int:
        """Steps a full run takes."""
        return int(np.ceil((self.end_s - self.clock_s) / self.interval_s - 1e-9))

    def run(self, progress: bool = False) -> Results:
        """Run to the end of the simulated span and return the :class:`Results`."""
        from tqdm.auto import tqdm

        bar = tqdm(total=self.n_steps, desc=self.city.spec.city.name, unit="step",
                   disable=not progress, leave=False)
        with bar:
            while self.running:
                self.step()
                bar.update(1)
        self.finish()  # a no-op after the last step; finishes a span of zero steps
        return self.results()

    def finish(self) -> None:
        """End-of-run step: each subsystem computes what needs the whole run, in build order.

        Energy and emissions compute their representative days and yearly account here
        (charging needs the reported day's arrival times). Then the KPIs are computed
        once (:attr:`final_kpis`). Runs once: later calls do nothing.
        """
        if self._finished:
            return
        self._finished = True
        for sub in self.subsystems:
            sub.finish()
        self._kpis = self.kpis()
        self.final_kpis = {k.name: float(k.value) for k in self._kpis}

    # ------------------------------------------------------------------ results
    def observations_table(self) -> pd.DataFrame:
        """City-level observables per step (one row per step; the KPI reporters left out)."""
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        return frame[self._observables]

    def city_kpis(self) -> list[KPI]:
        """KPIs that describe the built city itself (not the simulated day)."""
        spec, net = self.city.spec, self.city.network
        return [
            make_kpi("population", float(spec.city.population)),
            make_kpi("population_density", spec.city.population / spec.city.area_km2),
            make_kpi("road_lane_km_per_1000", net.lane_km / spec.city.population * 1000),
        ]

    def kpis(self) -> list[KPI]:
        """The KPIs of the run so far: the city's, then each subsystem's in build order."""
        kpis = self.city_kpis()
        for sub in self.subsystems:
            kpis.extend(sub.kpis())
        return kpis

    def results(self) -> Results:
        """Tables, KPIs, notes and provenance of the run so far."""
        tables: dict[str, pd.DataFrame] = {"observables": self.observations_table()}
        if self.policies:
            from twincity.policies.registry import adaptation_table

            tables["policies"] = adaptation_table(self.policies)
        for sub in self.subsystems:
            tables.update(sub.tables())
        from twincity.city.maps import network_table, zones_table

        tables["network"] = network_table(self.city)
        tables["zones"] = zones_table(self.city)
        kpis = list(self._kpis) if self._kpis is not None else self.kpis()
        notes = list(self.notes)
        for sub in self.subsystems:
            notes.extend(sub.notes)
        undefined = [k.name for k in kpis
                     if isinstance(k.value, float) and not np.isfinite(k.value)]
        if undefined:
            notes.append(f"KPIs undefined in this run (no trips or no supply to measure; "
                         f"written as null, shown as n/a): {', '.join(undefined)}")
        simulated = [s.name for s in self.subsystems]
        if not simulated:
            notes.append("no subsystem simulated: this run builds the city and steps the clock; "
                         "traffic, energy and emissions arrive with their subsystems")
        eq = self.traffic.equilibrium if self.traffic is not None else None
        return Results(
            tables=tables, kpis=kpis, notes=notes,
            equilibrium=eq.record() if eq is not None else {},
            provenance=provenance(self.loaded.content_hash, self.seed,
                                  [{**p.describe(), "in_force": bool(getattr(p, "in_force",
                                                                             False))}
                                   for p, _ in self.policies],
                                  scenario_file=str(self.loaded.path), subsystems=simulated,
                                  without=list(self.without)),
            scenario=self.loaded.resolved_dict(),
        )
