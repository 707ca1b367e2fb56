"""M14 Nationalizations and concessions, and what they cost.

Introduction, L6-9 and L27-30: tin was nationalized in 1952 without US
intervention because no US interest was involved. Introduction, L101-107: the
Ovando government nationalized Gulf Oil on the initiative of its left
nationalists. Introduction, L140-147: Torres nationalized part of the sugar
industry and tin by-product processing, and restored the miners' conditions.
U.S. Imperialism, L359-363: the US answered with compensation demands.
Introduction, L30-35 and L74-77: the MNR, then Barrientos, granted concessions
to foreign capital.

Equations: the scenario names the holdings a government may take over (its
``holdings:``) and who owns them. A government of revolutionary nationalism (or
the workers) has a readiness to take each holding still in private hands, the
hazard ``1 - exp(-rate)`` with rate log-linear in policy, the progressive room
left and the beneficiaries' mobilization: the holding's chance of being taken
that month. Which holdings a government takes follows
who pushes it: a holding of the foreign patron (in the source, the US) is
deterred by what the government still has to lose with the patron (``patron_deterrence x (1 -
patron_hostility)``, L27-30), and sought by the nationalists who want to undo
the pro-imperialist course (``anti_imperialism_coef x
nationalist_pressure``). Ovando's government gave the working class its first
chance to reverse some of those policies (L95-98), and the left nationalists of his cabinet took
Gulf on their own initiative (L101-107); the model stands in for those cabinet
nationalists with the army's nationalist current (M10), the only nationalist
force its state tracks. The holdings of a month come as one program, a
modelling assumption that Torres's program supports (it took part of the sugar
industry and tin by-product processing, L143-147): one draw says how far the
government goes that month, and it takes every holding it is at least that ready
to take, so holdings it is equally ready to take go together. A nationalization raises the patron's hostility (compensation,
fully for its holdings, ``foreign_hostility_share`` for other foreign ones), the
squeeze on national capital and the beneficiaries' support, lowers hardship and
uses up room. A right-leaning government grants concessions to foreign capital
with a hazard log-linear in how far right it stands and how dependent it is; a
concession opens the holdings that exist only through concessions, unless a
government has already taken them (the state keeps what it took: after Gulf,
Washington could only press for compensation, U.S. Imperialism, L361-363); a
holding the scenario dates (``available_from``) comes into private hands that month.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from ...scenario.quantities import Coefficient, NonNegative, Unit
from ...scenario.refs import ActorRef
from ..events import EventType, actor_mask, holding_outcome
from ..forces import actors_mean
from ..formal import hazard_probability, log_linear_rate
from ..state import RegimeType, State
from .base import PETRAS_1971, MechanismParams, Month, actor_role, role

if TYPE_CHECKING:
    from ..model import Model

NAME = "nationalization"
TITLE = "Nationalizations and concessions"
COVERS = ("M14",)
STAGE = 40
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
SOURCE_TITLE = PETRAS_1971
SOURCE = (
    "Introduction, L6-9",
    "Introduction, L27-30",
    "Introduction, L95-98",
    "Introduction, L101-107",
    "Introduction, L140-147",
    "U.S. Imperialism, L359-363",
    "Introduction, L30-35",
    "Introduction, L74-77",
)
READS = ("holdings", "holdings_taken", "policy", "progressive_room", "mobilization", "regime", "dependence", "patron_hostility", "nationalist_pressure")
WRITES = ("holdings", "holdings_taken", "patron_hostility", "squeeze", "hardship", "support", "progressive_room", "dependence")
SLOTS = ("nationalization", "concession")
EVENTS = ("nationalization", "foreign_concession")
"""The kinds of event it records in the log."""
SUMMARY = (
    "A nationalist or workers' government takes over the named holdings still in private hands as a hazard "
    "driven by policy, progressive room and the beneficiaries' mobilization; the foreign patron's holdings are deterred by "
    "what it still has to lose with the patron and sought by the nationalist current (the army's, M10); a month's takings come as "
    "one program, at the cost of the patron's hostility and a squeeze on national capital; a "
    "right-leaning government grants concessions to foreign capital, which open holdings a later government "
    "may take over."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS = ("hazard",)
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "left_mobilization = mean of mobilization over the beneficiaries",
    "readiness_h = 1 − exp(−exp(nationalization_intercept + policy_coef × policy + room_coef × "
    "progressive_room + mobilization_coef × left_mobilization + (anti_imperialism_coef × nationalist_pressure − "
    "patron_deterrence × (1 − patron_hostility)) × [h the patron's])), for every holding h in private hands",
    "one program a month: holding h is nationalized when u < readiness_h, u uniform on [0, 1) and shared by the "
    "month's holdings, under a civilian-nationalist, nationalist-military or workers' government",
    "each holding taken (logged once per holding, naming it): patron_hostility += hostility_jump × (1 for the patron's, foreign_hostility_share for other "
    "foreign, 0 for domestic owners);  a month with any nationalization: squeeze += squeeze_jump;  hardship −= "
    "hardship_relief;  progressive_room −= room_cost;  support_b += support_gain for every beneficiary b",
    "P(concession) = 1 − exp(−exp(concession_intercept + concession_right_coef × max(−policy, 0) + "
    "concession_dependence_coef × dependence)), when policy < 0 and no workers' government rules",
    "concession: dependence += concession_dependence_gain × (1 − dependence);  patron_hostility −= "
    "concession_hostility_relief;  every holding that exists through concessions and was never taken is in private "
    "hands",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    beneficiaries: tuple[ActorRef, ...] = role("Actors whose mean mobilization pushes nationalizations and who gain support from them.")
    foreign_patron: ActorRef = actor_role("The foreign power whose hostility a nationalization of its holdings raises and that receives concessions.", kinds=("foreign",))
    nationalization_intercept: Coefficient
    policy_coef: NonNegative
    room_coef: NonNegative
    mobilization_coef: NonNegative
    patron_deterrence: NonNegative
    anti_imperialism_coef: NonNegative
    hostility_jump: Unit
    foreign_hostility_share: Unit
    squeeze_jump: Unit
    hardship_relief: Unit
    support_gain: Unit
    room_cost: Unit
    concession_intercept: Coefficient
    concession_right_coef: NonNegative
    concession_dependence_coef: NonNegative
    concession_dependence_gain: Unit
    concession_hostility_relief: Unit


def patron_holdings_expropriated(state: State, model: Model) -> np.ndarray:
    """Share of the foreign patron's holdings in a run that a government has taken into the state's hands:
    expropriations the patron has not accepted (U.S. Imperialism, L361-363: the Gulf decision stood, and Washington
    pressed for compensation). A holding that has not come into being in the run (not yet dated, or not yet opened by
    a concession) does not count."""
    taken = np.zeros(state.n_runs)
    counted = np.zeros(state.n_runs)
    for h, owner in enumerate(model.holding_owners):
        if owner == "patron":
            taken += state.holdings_taken[h]
            counted += state.holdings_taken[h] | state.holdings[h]
    return np.divide(taken, counted, out=np.zeros(state.n_runs), where=counted > 0)


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    model = month.model
    nationalist = (state.regime == RegimeType.CIVILIAN_NATIONALIST) | (state.regime == RegimeType.NATIONALIST_MILITARY) | (
        state.regime == RegimeType.WORKERS_GOVERNMENT
    )
    left_mobilization = actors_mean(state.mobilization, p.beneficiaries)
    rate = log_linear_rate(
        p.nationalization_intercept,
        (p.policy_coef, state.policy),
        (p.room_coef, state.progressive_room),
        (p.mobilization_coef, left_mobilization),
    )
    # Who pushes decides what is taken: the patron's holdings are deterred by what the government still has to lose with
    # it and sought by the nationalists (Ovando's cabinet took Gulf on their initiative, L101-107; the army's current
    # stands in for them).
    patron_pull = p.anti_imperialism_coef * state.nationalist_pressure - p.patron_deterrence * (1.0 - state.patron_hostility)
    readiness = {"patron": hazard_probability(rate * np.exp(patron_pull)), "other": hazard_probability(rate)}
    # The patron's hostility rises with what is taken from foreign capital (fully for its own holdings, a share for
    # other foreign owners, not at all for national capital).
    hostility_share = {"patron": 1.0, "foreign": p.foreign_hostility_share, "domestic": 0.0}
    for h, available_from in enumerate(model.holding_available_from):
        if available_from == month.index:  # a holding that comes into being this month, in private hands (if not already taken)
            state.holdings[h] = ~state.holdings_taken[h]
    any_taken = np.zeros(state.n_runs, dtype=bool)
    taken_from_foreign = np.zeros(state.n_runs)
    code = month.mechanism_code(NAME)
    beneficiaries = actor_mask(p.beneficiaries)
    # One program a month (an assumption Torres's program supports, L143-147): a single draw says how far the government
    # goes, and it takes every holding it is at least that ready to take.
    program = month.draws.uniform("nationalization")
    for h, owner in enumerate(model.holding_owners):
        taken = nationalist & state.holdings[h] & (program < readiness["patron" if owner == "patron" else "other"])
        state.holdings[h] &= ~taken
        state.holdings_taken[h] |= taken
        any_taken |= taken
        taken_from_foreign += taken * hostility_share[owner]
        month.log.record(month.index, taken, EventType.NATIONALIZATION, code, beneficiaries, holding_outcome(h))  # the outcome names the holding taken
    state.patron_hostility += p.hostility_jump * taken_from_foreign
    state.squeeze += any_taken * p.squeeze_jump
    state.hardship -= any_taken * p.hardship_relief
    state.progressive_room -= any_taken * p.room_cost
    for actor in p.beneficiaries:
        state.support[actor] += any_taken * p.support_gain

    right_lean = np.maximum(-state.policy, 0.0)
    concession_rate = log_linear_rate(
        p.concession_intercept,
        (p.concession_right_coef, right_lean),
        (p.concession_dependence_coef, state.dependence),
    )
    concede = (state.regime != RegimeType.WORKERS_GOVERNMENT) & (state.policy < 0.0) & (
        month.draws.uniform("concession") < hazard_probability(concession_rate)
    )
    state.dependence += concede * p.concession_dependence_gain * (1.0 - state.dependence)
    state.patron_hostility -= concede * p.concession_hostility_relief
    for h in range(len(model.holding_ids)):
        if model.holding_from_concessions[h]:
            state.holdings[h] |= concede & ~state.holdings_taken[h]  # a holding once taken stays the state's (L361-363)
    month.log.record(month.index, concede, EventType.FOREIGN_CONCESSION, code, actor_mask([p.foreign_patron]))
