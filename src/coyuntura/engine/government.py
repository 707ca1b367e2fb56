"""Changes of government: who rules next and where they start."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .state import RegimeType, State

if TYPE_CHECKING:
    from .mechanisms.base import Month


def install(state: State, where: np.ndarray, regime: RegimeType, month: "Month", policy: np.ndarray | float | None = None) -> None:
    """Install a government of type ``regime`` in the runs ``where``.

    A right military government starts from its anchor policy (M1) and dissolves
    any Popular Assembly; a workers' government starts from its own anchor; a
    nationalist government starts from ``policy`` and opens a new balancing round
    whose progressive room is what that policy claims (M1: the room only shrinks
    from there). The clock of months in power
    restarts, and the loyal army faction follows the new incumbent.
    """
    if not np.any(where):
        return
    drift = month.params("nationalist_drift")
    if policy is None:
        policy = {
            RegimeType.RIGHT_MILITARY: drift.right_military_policy,
            RegimeType.WORKERS_GOVERNMENT: drift.workers_government_policy,
        }.get(regime, state.policy)
    state.regime[where] = int(regime)
    state.policy[:] = np.where(where, policy, state.policy)
    state.months_in_power[where] = 0
    if regime == RegimeType.NATIONALIST_MILITARY:
        state.progressive_room[:] = np.where(where, np.maximum(state.policy, 0.0), state.progressive_room)
    if regime == RegimeType.RIGHT_MILITARY:
        state.assembly[where] = False
    loyal = month.params("military_institution").loyal_faction
    state.support[loyal] = np.where(where, 1.0, state.support[loyal])
