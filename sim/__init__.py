"""egov-sim: an agent-based model of digital public-service adoption; each country is data.

The names below are imported when first used, so that ``import sim`` (and with it the
``egov-sim`` command's start, where Ctrl-C must already be handled) does not load numpy,
numba and pydantic before it needs them. ``metrics()``, ``parameters()`` and
``lever_fields(scenario)`` list what a run measures and what can be set (docs/api.md).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "AdoptionModel": "sim.model.model",
    "Agency": "sim.model.agencies",
    "Citizen": "sim.model.population",
    "InputError": "sim.errors",
    "InvalidScenario": "sim.errors",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.errors",
    "lever_fields": "sim.catalog",
    "load_scenario": "sim.files",
    "metrics": "sim.catalog",
    "parameters": "sim.catalog",
}
__all__ = [
    "AdoptionModel",
    "Agency",
    "Citizen",
    "InputError",
    "InvalidScenario",
    "Scenario",
    "ScenarioError",
    "lever_fields",
    "load_scenario",
    "metrics",
    "parameters",
]

if TYPE_CHECKING:
    from sim.catalog import lever_fields, metrics, parameters
    from sim.errors import InputError, InvalidScenario, ScenarioError
    from sim.files import load_scenario
    from sim.model.agencies import Agency
    from sim.model.model import AdoptionModel
    from sim.model.population import Citizen
    from sim.scenario import Scenario


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
