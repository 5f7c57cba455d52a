"""A Mesa dashboard (Solara): step through a city's day with a live map, KPIs and policy toggles.

``twincity dashboard SCENARIO`` serves this module with ``solara run``; the
scenario path comes in the environment variable :data:`SCENARIO_ENV`. The page
is Mesa's :func:`mesa.visualization.SolaraViz` around a
:class:`~twincity.model.CityModel` (Step, Play, Reset in the sidebar), with:

* a **Policies** card: one checkbox per policy of the scenario (ticked when in
  force). Toggling one rebuilds the city and re-runs its traffic equilibrium in
  a background task, with a progress bar, and the page switches to the new
  model at the start of its day. Unticking a policy in force is ``--without``,
  ticking another adds it (``--policy city:label``);
* the **link map** of the last simulated hour (speed relative to free flow), as
  inline SVG (each link a ``<path>`` in ``<g id="links">``);
* the **KPIs** of the day so far (:func:`twincity.viz.live.live_kpis`), each in
  an element ``id="kpi-<key>"``, and the road vehicles per interval.

Needs the ``viz`` extra (``pip install twincity[viz]``). Solara is imported
only when the page is built, so this module imports without it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Environment variable naming the scenario file the dashboard serves.
SCENARIO_ENV = "TWINCITY_DASHBOARD_SCENARIO"
#: Environment variable with scenario overrides as JSON (``{"simulation.duration_h": 4}``).
OVERRIDES_ENV = "TWINCITY_DASHBOARD_OVERRIDES"


@dataclass(frozen=True)
class Toggle:
    """A policy of the scenario the page can switch: its reference and whether it is in force."""

    ref: str          # city:label, as --policy and --without take it
    label: str
    in_force: bool


def policy_toggles(scenario: str | Path) -> list[Toggle]:
    """The scenario's policies as toggles (reference ``<file stem>:<label or name>``)."""
    from twincity.scenario.loader import load_scenario

    spec = load_scenario(scenario).spec
    stem = Path(scenario).stem
    return [Toggle(f"{stem}:{p.label or p.name}", p.label or p.name, bool(p.in_force))
            for p in spec.policies]


def model_kwargs(toggles: list[Toggle], on: dict[str, bool]) -> dict[str, Any]:
    """``policies`` and ``without`` of a model with the policies ``on`` (by reference).

    >>> t = [Toggle("c:a", "a", True), Toggle("c:b", "b", False)]
    >>> model_kwargs(t, {"c:a": False, "c:b": True})
    {'policies': ['c:b'], 'without': ['c:a']}
    """
    return {"policies": [t.ref for t in toggles if on.get(t.ref, t.in_force) and not t.in_force],
            "without": [t.ref for t in toggles if t.in_force and not on.get(t.ref, True)]}


def _settings() -> tuple[str, dict]:
    import json

    scenario = os.environ.get(SCENARIO_ENV)
    if not scenario:
        raise RuntimeError(f"set {SCENARIO_ENV} to a scenario file (twincity dashboard does)")
    return scenario, json.loads(os.environ.get(OVERRIDES_ENV) or "{}")


def build_page() -> Any:
    """The Solara page of the scenario named in the environment."""
    import solara
    from mesa.visualization import SolaraViz
    from mesa.visualization.utils import update_counter

    from twincity.model import CityModel
    from twincity.results import format_value
    from twincity.viz.live import LIVE_KPIS, clock_text, live_kpis, live_map_svg, series_figure

    scenario, overrides = _settings()
    toggles = policy_toggles(scenario)
    state = solara.reactive({t.ref: t.in_force for t in toggles})

    class DashboardModel(CityModel):
        """The scenario's city with the policies ticked on the page (Mesa's Reset builds one)."""

        def __init__(self, seed: int | None = None, **_: Any) -> None:
            super().__init__(scenario, seed=seed, overrides=overrides,
                             **model_kwargs(toggles, state.value))

    # one model per browser session (a reactive's value is per session), built on first view
    model = solara.reactive(None)

    @solara.component
    def Policies() -> None:
        pending = solara.use_reactive(None)   # the policy state being built

        def build() -> None:
            on = pending.value
            if on is None:
                return
            state.set(on)
            model.set(DashboardModel())   # re-runs the traffic equilibrium

        task = solara.lab.use_task(build, dependencies=[pending.value], prefer_threaded=True)
        with solara.Card("Policies"):
            for t in toggles:
                def toggle(value: bool, ref: str = t.ref) -> None:
                    pending.set({**state.value, ref: value})
                solara.Checkbox(label=f"{t.label}{' (in force)' if t.in_force else ''}",
                                value=(pending.value or state.value).get(t.ref, t.in_force),
                                on_value=toggle, disabled=task.pending)
            if not toggles:
                solara.Text("this scenario lists no policies")
            if task.pending:
                solara.ProgressLinear(True)
                solara.Text("re-running the traffic equilibrium …",
                            classes=["twincity-status"])
            elif task.error:
                solara.Error(f"could not build the city: {task.exception}")

    @solara.component
    def LinkMap(m: CityModel) -> None:
        update_counter.get()
        solara.HTML(tag="div", unsafe_innerHTML=live_map_svg(m),
                    attributes={"id": "twincity-map"})

    @solara.component
    def Kpis(m: CityModel) -> None:
        update_counter.get()
        values = live_kpis(m)
        rows = "".join(
            f"<tr><td>{label}</td><td id=\"kpi-{key}\" style=\"text-align:right\">"
            f"{format_value(values.get(key, float('nan')))}</td><td>{unit}</td></tr>"
            for key, (label, unit) in LIVE_KPIS.items())
        solara.HTML(tag="div", unsafe_innerHTML=(
            f"<p>clock <b id=\"twincity-clock\">{clock_text(m.clock_s)}</b>"
            f"{'' if m.running else ' (end of the simulated span)'}</p>"
            f"<table>{rows}</table>"))
        solara.FigureMatplotlib(series_figure(m), format="png")

    @solara.component
    def Page() -> None:
        def first() -> None:
            if model.value is None:
                model.set(DashboardModel())

        task = solara.lab.use_task(first, dependencies=[], prefer_threaded=True)
        if model.value is None:
            with solara.Card(f"twincity: {Path(scenario).name}"):
                if task.error:
                    solara.Error(f"could not build the city: {task.exception}")
                else:
                    solara.ProgressLinear(True)
                    solara.Text("building the city and its traffic equilibrium …",
                                classes=["twincity-status"])
            return
        with solara.Sidebar():
            Policies()
        SolaraViz(model, components=[(LinkMap, 0), (Kpis, 0)],
                  name=f"twincity: {model.value.city.spec.city.name}")

    return Page


def __getattr__(name: str) -> Any:
    # `solara run twincity.viz.dashboard` looks the page up as an attribute
    if name == "Page":
        page = build_page()
        globals()["Page"] = page
        return page
    raise AttributeError(name)
