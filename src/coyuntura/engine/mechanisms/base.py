"""What every mechanism module provides, and what it is given each month.

A mechanism is a module with:

- ``NAME`` (its key in a scenario's ``mechanisms:``), ``TITLE`` and ``COVERS``
  (the DESIGN checklist items it encodes, e.g. ``("M5",)``);
- ``SOURCE``: the locators of the passages it encodes;
- ``READS`` / ``WRITES``: the state variables it uses and changes (a test checks
  them against the code, :func:`coyuntura.report.mechanism_metadata.state_access`);
- ``SUMMARY`` (what it does, in plain words), ``FORMS`` (the established forms it
  is built from) and ``EQUATIONS`` (one readable line each, naming every numeric
  parameter): what ``coyuntura describe`` prints; the docstring paraphrases each
  passage of ``SOURCE`` next to its locator;
- ``SLOTS``: named random draws it takes each month (``ACTOR_SLOTS`` for one
  draw per actor);
- ``Params``: the pydantic model of its parameters in a scenario;
- ``apply(state, params, month)``: one month of the mechanism, over all runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from ...scenario.quantities import Frozen

if TYPE_CHECKING:
    from ..events import EventLog
    from ..model import Model
    from ..random import Draws


class MechanismParams(Frozen):
    """Parameters shared by every mechanism: it can be switched off, with a reason."""

    enabled: bool = Field(default=True, description="Switch the mechanism off (say why in 'note').")
    note: str | None = Field(default=None, description="Free text: how this scenario reads the mechanism.")


@dataclass
class Month:
    """What a mechanism is handed besides the state: the model, this month's draws, the log."""

    index: int
    model: "Model"
    draws: "Draws"
    log: "EventLog"
    scratch: dict

    def params(self, mechanism: str) -> SimpleNamespace:
        return self.model.params[mechanism]

    def mechanism_code(self, mechanism: str) -> int:
        return self.model.mechanism_codes[mechanism]

    def restricted(self, positions: np.ndarray) -> "Month":
        """This month seen from the runs at ``positions`` of the batch, for a sub-state ``state.select(positions)``.

        Draws, log and scratch follow those runs, so a rare branch computed on them alone gives each run
        exactly what computing it over the whole batch would.
        """
        return Month(self.index, self.model, self.draws.restricted(positions), self.log.restricted(positions), _restrict(self.scratch, positions))


def _restrict(value, positions: np.ndarray):
    """Per-run scratch values (arrays over runs, last axis; dicts of them) at ``positions``."""
    if isinstance(value, dict):
        return {key: _restrict(item, positions) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return value[..., positions]
    return value
