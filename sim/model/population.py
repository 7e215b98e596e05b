"""Citizens' state as numpy columns, one row per adult, and ``Citizen`` views on a row.

Every column is declared once in :data:`COLUMNS` (dtype and meaning), so all columns are
allocated, sized and documented together. Rules read and write whole columns; a
:class:`Citizen` is a ``mesa.Agent`` whose attributes are properties reading and writing its
row, so Mesa's ``AgentSet.select``/``agg`` and the dashboard see the same state the
vectorised rules change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

if TYPE_CHECKING:
    from sim.model.model import AdoptionModel

NEVER = np.int16(-30000)
"""Month index stored in ``last_online``/``last_tried`` for "never"."""


@dataclass(frozen=True)
class Column:
    dtype: Any
    doc: str


COLUMNS: dict[str, Column] = {
    "age": Column(np.uint8, "age in years (15+)"),
    "age_group": Column(np.int8, "0: 15-34, 1: 35-54, 2: 55+"),
    "area": Column(np.int8, "area of the country, in the order of its country file (0, 1, ...)"),
    "locality": Column(np.int32, "locality (neighbourhood, town, village) the citizen lives in"),
    "household": Column(np.int32, "household number"),
    "internet": Column(np.bool_, "has internet access"),
    "skill": Column(np.float32, "digital skill, 0-1"),
    "trust": Column(np.float32, "trust in digital government, 0-1"),
    "paper_habit": Column(np.float32, "habit of expecting and keeping paper certificates, 0-1"),
    "esignature": Column(np.bool_, "holds an e-signature certificate"),
    "aware": Column(np.bool_, "knows that services can be used online"),
    "locked_out": Column(np.bool_, "lacks a credential that a security tightening requires"),
    "peer_online": Column(np.float32, "share of ties who completed an online service (12 months)"),
    "threshold": Column(np.float32, "adoption threshold (threshold awareness rule only, else 0)"),
    "n_success": Column(np.int16, "online transactions completed end to end"),
    "n_fail": Column(np.int16, "online attempts that ended in a paper round trip"),
    "last_online": Column(np.int16, "step of the last end-to-end online success"),
    "last_tried": Column(np.int16, "step of the last online attempt"),
}


class Population:
    """The columns of all citizens; ``pop.trust`` is the trust column (a numpy array)."""

    def __init__(self, n: int) -> None:
        self.n = n
        for name, col in COLUMNS.items():
            setattr(self, name, np.zeros(n, dtype=col.dtype))
        self.last_online[:] = NEVER
        self.last_tried[:] = NEVER
        self.urban_areas = np.zeros(0, dtype=np.int8)
        """Indices of the country's urban areas (set by the model from its country)."""

    @property
    def columns(self) -> dict[str, np.ndarray]:
        return {name: getattr(self, name) for name in COLUMNS}

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in self.columns.values())

    def frame(self, rows: np.ndarray | None = None):
        """A pandas DataFrame of the columns (of ``rows`` if given); copies, so use on samples."""
        import pandas as pd

        cols = self.columns
        if rows is not None:
            cols = {k: v[rows] for k, v in cols.items()}
        return pd.DataFrame(cols)


class Citizen(mesa.Agent):
    """A view on one row of the population's columns.

    Reading ``citizen.trust`` reads ``model.population.trust[row]``; assigning writes it. Views
    hold no state of their own, so creating or dropping one never changes the model.
    """

    def __init__(self, model: AdoptionModel, row: int, *, register: bool = True) -> None:
        if register:
            super().__init__(model)
        else:  # an on-demand view at national scale: not in model.agents
            self.model = model
            self.pos = None
        self.row = int(row)
        self.unique_id = self.row + 1  # row 0 is agent 1, whether registered or not

    def __repr__(self) -> str:
        return f"Citizen(row={self.row}, age={self.age}, area={self.area}, trust={self.trust:.2f})"

    def step(self) -> None:
        """Citizens act through the model's vectorised rules, not one by one."""


def _column_property(name: str) -> property:
    def get(self: Citizen) -> Any:
        return getattr(self.model.population, name)[self.row].item()

    def set_(self: Citizen, value: Any) -> None:
        getattr(self.model.population, name)[self.row] = value

    return property(get, set_, doc=COLUMNS[name].doc)


for _name in COLUMNS:
    setattr(Citizen, _name, _column_property(_name))
