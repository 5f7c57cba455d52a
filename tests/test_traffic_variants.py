"""Traffic variants are chosen in the scenario, and the kernel's arrays bind by name.

* ``simulation.speed_model`` selects the queue kernel's link-time model
  (:data:`twincity.vocab.SPEED_MODELS`); Greenshields adds delay on every occupied
  link, so at the same seed the day's total delay is larger than with free-flow
  link times (queues only).
* ``KernelState`` is passed to the numba kernel by position (``_advance(*state)``):
  its fields must be the kernel's parameters, in the same order and with the same
  names, or arrays would silently land in the wrong argument.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from conftest import write_variant
from twincity.errors import ScenarioError
from twincity.model import CityModel
from twincity.scenario.loader import load_scenario
from twincity.traffic import kernel as K
from twincity.vocab import SPEED_MODELS

PEAK = {"simulation.start_h": 7, "simulation.duration_h": 2}


def test_kernel_state_fields_are_the_kernel_s_parameters_by_name() -> None:
    params = list(inspect.signature(K._advance.py_func).parameters)
    assert params[-1] == "k_end"
    assert tuple(params[:-1]) == K.KernelState._fields


def test_speed_model_codes_are_the_vocabulary_s() -> None:
    assert SPEED_MODELS[K.SPEED_FREE_FLOW] == "free_flow"
    assert SPEED_MODELS[K.SPEED_GREENSHIELDS] == "greenshields"


def _run(path: Path, model: str):
    m = CityModel.from_file(path, seed=3, subsystems=("traffic",),
                            overrides={**PEAK, "simulation.speed_model": model})
    return m, m.run()


@pytest.mark.slow
def test_the_scenario_selects_greenshields(tiny_path: Path) -> None:
    free_model, free = _run(tiny_path, "free_flow")
    green_model, green = _run(tiny_path, "greenshields")
    assert free_model.traffic.sim.state.iparams[K.I_SPEED_MODEL] == K.SPEED_FREE_FLOW
    assert green_model.traffic.sim.state.iparams[K.I_SPEED_MODEL] == K.SPEED_GREENSHIELDS
    assert green.kpi("total_delay") > free.kpi("total_delay") > 0


def test_an_unknown_speed_model_is_one_line_naming_the_field(tiny_dir: Path) -> None:
    path = write_variant(tiny_dir, "bad.yaml", {"simulation": {"speed_model": "lighthill"}})
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert "simulation.speed_model" in text and "greenshields" in text and "\n" not in text
