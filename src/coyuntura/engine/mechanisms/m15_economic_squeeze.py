"""M15 Economic squeeze: bankrupt national capital, limited credit, foreign loans, "law and order".

Torres: National Capitalism, L399-430: nearly every factory needs state loans,
the Central Bank's lending has a ceiling; unable to develop on moribund national
capital, the government turns to foreign lenders and toward the entrepreneurs'
demand for "law and order". Introduction, L27-35: foreign agencies' conditions.

Equations: the squeeze relaxes toward ``base + left_policy_coef * max(policy, 0)
- relief`` (left policy frightens capital, nationalizations add a jump in M14);
when the squeeze is high the government borrows abroad, raising dependence and
easing the squeeze; the bourgeoisie's distress becomes pressure to the Right,
which M1 reads through the squeeze (``squeeze_coef``).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ...scenario.quantities import NonNegative, Unit
from ...scenario.refs import ActorRef
from ..formal import relax
from ..state import State
from .base import PETRAS_1971, MechanismParams, Month, actor_role

NAME = "economic_squeeze"
TITLE = "Economic squeeze of national capital"
COVERS = ("M15",)
STAGE = 10
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
SOURCE_TITLE = PETRAS_1971
SOURCE = ("Torres: National Capitalism, L399-430", "Introduction, L27-35")
READS = ("policy", "squeeze", "dependence", "support")
WRITES = ("squeeze", "dependence", "support")
SLOTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()
"""The kinds of event it records in the log."""
SUMMARY = (
    "National capital's financial distress (the squeeze) tracks a base level that left policy raises; a "
    "squeezed government borrows abroad, which eases the squeeze but deepens dependence, and squeezed "
    "national capital turns against a left-leaning government."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("relaxation",)
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "squeeze ← relax(squeeze, base_squeeze + left_policy_coef × max(policy, 0), adjustment_speed)",
    "borrowing = foreign_loan_rate × squeeze × (1 − dependence)",
    "dependence ← dependence + borrowing;  squeeze ← squeeze − loan_relief × borrowing",
    "support[national_capital] ← support[national_capital] − capital_support_loss × squeeze × max(policy, 0)",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    national_capital: ActorRef = actor_role("National capital, whose support for a left-leaning government the squeeze erodes.", kinds=("capital",))
    base_squeeze: Unit
    left_policy_coef: NonNegative
    adjustment_speed: Unit
    foreign_loan_rate: NonNegative
    loan_relief: NonNegative
    capital_support_loss: NonNegative


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    target = p.base_squeeze + p.left_policy_coef * np.maximum(state.policy, 0.0)
    state.squeeze[:] = relax(state.squeeze, target, p.adjustment_speed)
    borrowing = p.foreign_loan_rate * state.squeeze * (1.0 - state.dependence)
    state.dependence += borrowing
    state.squeeze -= p.loan_relief * borrowing
    # A squeezed national capital withdraws support from any government that cannot rescue it.
    capital = p.national_capital
    state.support[capital] = np.clip(state.support[capital] - p.capital_support_loss * state.squeeze * np.maximum(state.policy, 0.0), 0.0, 1.0)
