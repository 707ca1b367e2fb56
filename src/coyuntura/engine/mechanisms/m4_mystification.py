"""M4 Nationalist rhetoric mystifies the masses; it wears off as policy drifts Right.

Introduction, L55-61: the MNR's revolutionary-nationalist rhetoric kept mystifying
the masses; the mystification dissolved only slowly in the cities, through the
party's rightward drift, and hardly in the countryside, where peasants feared
any change would cost them their plots. Introduction, L84-90: Barrientos's
"nationalism" joined to pro-US, anti-worker policy demystified it further.
President Torres and the Miners, L190-197: by 1971 it had lost its hold.

Equations: the gap ``max(0, promise - policy)`` between the 1952 program and
current policy erodes urban mystification at ``urban_rate`` and rural at the
slower ``rural_rate``; a right military government speaking nationalism adds
``right_regime_rate``. It never regrows.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ...scenario.quantities import NonNegative, Signed
from ..state import RegimeType, State
from .base import PETRAS_1971, MechanismParams, Month

NAME = "mystification"
TITLE = "Mystification by nationalist rhetoric"
COVERS = ("M4",)
STAGE = 70
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
SOURCE_TITLE = PETRAS_1971
SOURCE = ("Introduction, L55-61", "Introduction, L84-90", "President Torres and the Miners, L190-197")
READS = ("policy", "regime", "mystification_urban", "mystification_rural")
WRITES = ("mystification_urban", "mystification_rural")
SLOTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()
"""The kinds of event it records in the log."""
SUMMARY = (
    "The gap between the revolution's promise and current policy erodes the hold of nationalist rhetoric, "
    "fast in the cities and slowly in the countryside; a right military government speaking nationalism "
    "erodes it further. Mystification never regrows."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS: tuple[str, ...] = ()
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "gap = max(promise − policy, 0) + right_regime_rate × [right military government]",
    "mystification_urban ← mystification_urban × (1 − min(urban_rate × gap, 1))",
    "mystification_rural ← mystification_rural × (1 − min(rural_rate × gap, 1))",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    promise: Signed
    urban_rate: NonNegative
    rural_rate: NonNegative
    right_regime_rate: NonNegative


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    gap = np.maximum(p.promise - state.policy, 0.0)
    gap = gap + p.right_regime_rate * (state.regime == RegimeType.RIGHT_MILITARY)
    state.mystification_urban *= 1.0 - np.minimum(p.urban_rate * gap, 1.0)
    state.mystification_rural *= 1.0 - np.minimum(p.rural_rate * gap, 1.0)
