"""egov-sim: an agent-based model of digital public-service adoption in Mongolia."""

from sim.files import load_scenario
from sim.model.agencies import Agency
from sim.model.model import AdoptionModel
from sim.model.population import Citizen
from sim.scenario import Scenario, ScenarioError

__all__ = ["AdoptionModel", "Agency", "Citizen", "Scenario", "ScenarioError", "load_scenario"]
__version__ = "0.1.0"
