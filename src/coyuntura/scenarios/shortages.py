"""Shortages and inflation: a squeezed private sector under a left government's price controls.

The bundled scenario chile-1970 names this file in ``mechanism_modules:``; it is a
mechanism of that analysis, not of the bundled Bolivian set, and keeps the same
contract (coyuntura.scenario.plugins.MechanismContract). Locators cite
chile-1970-notes.txt beside it.

Business, the Opposition and the United States, L56-58: industrialists and
merchants lost firms to the state and worked under price controls, amid
shortages; truck owners, shopkeepers and the professions struck against the
government. The Crisis of 1972-1973, L70-71: inflation went past a hundred
percent and then several hundred; queues and a black market spread. The Copper
Miners, L20-21: even the best-paid workers struck over wage adjustments and
broke with the government.

Equations: the pressure of shortages is the squeeze on private business times
the government's leftward policy (its controls and takeovers); it pushes
hardship up, the more the further hardship is from its ceiling, and hardship
wears away the support of the actors it hits hardest. Hardship itself recovers
toward its baseline in grievance_legitimacy, so shortages hold it up only while
the squeeze and the program last.

Two kinds of actor feel it differently. The middle sectors (the Christian
Democrats, business; Parties and the Left, L43-44) move to the right as
hardship lasts, from conditional support into opposition and alliance with the
Right: their positions drift away from the government's, which lowers their
support through grievance_legitimacy and widens the spread of positions that
polarization follows (The Crisis of 1972-1973, L72). Wage earners whose pay
inflation eats (the copper miners, L20-21) keep their positions but lose
patience with the government: their support wears away.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from coyuntura.engine.mechanisms.base import MechanismParams, Month, role
from coyuntura.engine.state import State
from coyuntura.scenario.quantities import Unit
from coyuntura.scenario.refs import ActorRef

NAME = "shortages"
TITLE = "Shortages and inflation under price controls"
STAGE = 25  # after grievance_legitimacy (20) has moved support and hardship, before US leverage (30)
COVERS = ()
SOURCE_TITLE = "Notes for a worked example: Chile under the Popular Unity government, 1970-1973"  # the analysis SOURCE cites
SOURCE = (
    "Business, the Opposition and the United States, L56-58",
    "The Crisis of 1972-1973, L70-71",
    "The Copper Miners, L20-21",
)
READS = ("squeeze", "policy", "hardship", "support", "radicalism")
WRITES = ("hardship", "support", "radicalism")
SLOTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()  # it records no event: it moves hardship, positions and support
SUMMARY = (
    "A private sector squeezed by a left government's controls and takeovers produces shortages and "
    "inflation: hardship rises with the squeeze times the government's leftward policy. Lasting hardship "
    "moves the middle sectors to the right and wears away the support of wage earners whose pay it eats."
)
FORMS = ("relaxation",)
EQUATIONS = (
    "shortage_pressure = squeeze × max(policy, 0)",
    "hardship ← hardship + inflation_rate × shortage_pressure × (1 − hardship)",
    "radicalism_m ← max(radicalism_m − rightward_drift × hardship, −1), for each of the middle_sectors m",
    "support_w ← support_w × (1 − support_erosion × hardship), for each of the wage_earners w",
)

class Params(MechanismParams):
    middle_sectors: tuple[ActorRef, ...] = role(
        "Actors that lasting hardship moves to the right: those the analysis says went from conditional support into "
        "opposition over prices, supplies and takeovers.",
        kinds=("party", "capital", "church", "labor"),
    )
    wage_earners: tuple[ActorRef, ...] = role(
        "Workers whose pay inflation eats: their support for the government wears away while their positions hold.",
        kinds=("labor", "peasantry"),
    )

    OPPOSING_ROLES = (("middle_sectors", "wage_earners"),)
    inflation_rate: Unit
    rightward_drift: Unit
    support_erosion: Unit


def shortage_pressure(state: State) -> np.ndarray:
    """How hard shortages bite: the squeeze on private business times the government's leftward policy."""
    pressure: np.ndarray = state.squeeze * np.maximum(state.policy, 0.0)
    return pressure


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    state.hardship += p.inflation_rate * shortage_pressure(state) * (1.0 - state.hardship)
    for actor in p.middle_sectors:
        state.radicalism[actor] = np.maximum(state.radicalism[actor] - p.rightward_drift * state.hardship, -1.0)
    for actor in p.wage_earners:
        state.support[actor] *= 1.0 - p.support_erosion * state.hardship
