"""M13 Radicalization spreads through contact; allies bring resources.

University and Church, L303-329: students, once indifferent or hostile to the
workers, radicalized after 1967 and now act jointly with them (Comando
Popular). University and Church, L330-341: constant contact with workers
radicalized the ISAL clergy, who bring radio stations, publications and
spokesmen. The Miners, L225-237: the miners are the rallying point of the urban
poor, industrial workers and radical students.

Equations, over the scenario's influence network: ``radicalism_a += contact_rate
x sum_b w_ba mobilization_b (radicalism_b - radicalism_a)``; over alliances,
``organization_a += resource_rate x w_ba organization_b max(radicalism_b, 0)
(1 - organization_a)``.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from ...scenario.quantities import NonNegative, Unit
from ..state import State
from .base import PETRAS_1971, MechanismParams, Month

NAME = "radicalization_contact"
TITLE = "Radicalization through contact"
COVERS = ("M13",)
STAGE = 90
"""Its place in the month: mechanisms run in order of stage (see coyuntura.engine.mechanisms)."""
SOURCE_TITLE = PETRAS_1971
SOURCE = ("University and Church, L303-329", "University and Church, L330-341", "The Miners, L225-237")
READS = ("radicalism", "mobilization", "organization")
WRITES = ("radicalism", "organization")
SLOTS: tuple[str, ...] = ()
EVENTS: tuple[str, ...] = ()
"""The kinds of event it records in the log."""
SUMMARY = (
    "Over the influence network actors pull each other's positions together, more strongly when the "
    "influencing actor is mobilized; over alliances radical actors lend organizational resources (radio, "
    "press, spokesmen) to their allies."
)
"""What the mechanism does, in plain words (for the model description)."""
FORMS: tuple[str, ...] = ()
"""The established functional forms it is built from (keys of coyuntura.report.mechanism_metadata.FORMS)."""
EQUATIONS = (
    "for each influence tie b → a of weight w: radicalism_a += contact_rate × w × (latent_contact + (1 − "
    "latent_contact) × mobilization_b) × (radicalism_b − radicalism_a)   (positions at the start of the "
    "month)",
    "for each alliance b → a of weight w: organization_a += resource_rate × w × organization_b × "
    "max(radicalism_b, 0) × (1 − organization_a)",
)
"""Its equations, one readable line each, naming every numeric parameter of ``Params``."""


class Params(MechanismParams):
    contact_rate: NonNegative
    latent_contact: Unit
    resource_rate: NonNegative


def apply(state: State, p: SimpleNamespace, month: Month) -> None:
    model = month.model
    # Everyone moves from last month's positions: keep those of the actors that move (the rest stay put).
    before = {target: state.radicalism[target].copy() for _, target, _ in model.influence}
    radicalism = {actor: before.get(actor, state.radicalism[actor]) for edge in model.influence + model.alliances for actor in edge[:2]}
    contact = {}
    for source, target, weight in model.influence:
        if source not in contact:
            contact[source] = p.latent_contact + (1.0 - p.latent_contact) * state.mobilization[source]
        pull = weight * contact[source] * (radicalism[source] - radicalism[target])
        state.radicalism[target] += p.contact_rate * pull
    for source, target, weight in model.alliances:
        gift = weight * state.organization[source] * np.maximum(radicalism[source], 0.0)
        state.organization[target] += p.resource_rate * gift * (1.0 - state.organization[target])
