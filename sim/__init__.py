"""egov-sim: an agent-based model of digital public-service adoption in Mongolia.

The names below are imported when first used, so that ``import sim`` (and with it the
``egov-sim`` command's start, where Ctrl-C must already be handled) does not load numpy,
numba and pydantic before it needs them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "AdoptionModel": "sim.model.model",
    "Agency": "sim.model.agencies",
    "Citizen": "sim.model.population",
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.errors",
    "load_scenario": "sim.files",
}
__all__ = ["AdoptionModel", "Agency", "Citizen", "Scenario", "ScenarioError", "load_scenario"]

if TYPE_CHECKING:
    from sim.errors import ScenarioError
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
