"""The bundled scenario as a Mesa 3 model: one trajectory, one Mesa agent per actor.

A peer of ``coyuntura.engine``, written independently of it for two uses: a benchmark
(what the same model costs in the established Python tool for agent-based models) and
a check (two implementations of the same rules that agree are a check on both).

What it shares with the engine is the *input*: the scenario file, loaded and validated
by ``coyuntura.scenario.loader`` and compiled by ``coyuntura.engine.model.compile_scenario``
for its parameters (``model.params``, actor indices, holdings, networks, fixed thresholds),
and the event vocabulary of ``coyuntura.engine.events`` so the engine's outcome definitions
can read its log. What it does not share: state, arithmetic, random numbers. The rules are
re-written here as scalar Python over agents, in the engine's schedule order
(``coyuntura.engine.mechanisms.SCHEDULE``); each trajectory draws from its own numpy
``Generator`` and takes a uniform only when a decision needs one, so the peer agrees with
the engine in distribution, not run by run.

Mesa vocabulary: :class:`Actor` is a ``mesa.Agent``; :class:`BoliviaModel` is a
``mesa.Model`` whose ``step`` is one month; per-actor rules run through ``AgentSet.do``.
Each actor knows whether it sits in the governing coalition (``in_coalition``).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import mesa
import numpy as np

from coyuntura.engine.events import EventType, Outcome, actor_mask, holding_outcome
from coyuntura.engine.mechanisms import SCHEDULE
from coyuntura.engine.model import EVENTS_MECHANISM, Model
from coyuntura.engine.state import REGIME_KEYS, RegimeType
from coyuntura.scenario.schema import ActorShock, GuerrillaArrival, LeaderDeath

CIVILIAN = int(RegimeType.CIVILIAN_NATIONALIST)
RIGHT = int(RegimeType.RIGHT_MILITARY)
NATIONALIST = int(RegimeType.NATIONALIST_MILITARY)
WORKERS = int(RegimeType.WORKERS_GOVERNMENT)
ELECTED = int(RegimeType.CIVILIAN_ELECTED)
MILITARY = (RIGHT, NATIONALIST)

NEW_GOVERNMENT = {
    CIVILIAN: Outcome.TO_CIVILIAN_NATIONALIST,
    RIGHT: Outcome.TO_RIGHT,
    NATIONALIST: Outcome.TO_NATIONALIST,
    WORKERS: Outcome.TO_WORKERS,
    ELECTED: Outcome.TO_CIVILIAN_ELECTED,
}
"""The outcome a change of government is logged with: the type of the new government."""

NEVER = 10_000
"""The months-since clocks start here ("not within memory") and never pass it."""

ACTOR_ATTRIBUTES = ("weight", "organization", "arms", "radicalism", "support", "mobilization", "cohesion")
SYSTEM_ATTRIBUTES = (
    "corruption", "mystification_urban", "mystification_rural", "army_capacity", "dependence", "squeeze",
    "hardship", "left_unity", "revolutionary_unity", "repression_memory", "differentiation", "patron_hostility", "nationalist_pressure",
    "coup_memory", "polarization", "popular_power", "guerrilla_defeats",
)
SCHEDULE_NAMES = tuple(module.NAME for module in SCHEDULE)
"""The engine's schedule (names only): each month runs the mechanisms in this order, method ``<name>_step``."""
PEER_STREAM = 0x4D455341
"""Mixed into every trajectory's seed so the peer's streams are not the engine's."""

RIGHT_CAMP, NATIONALIST_CAMP, REGIONAL = "right", "nationalist", "regional"
OWNER_HOSTILITY = {"patron": 1.0, "domestic": 0.0}
"""Share of a nationalization's hostility jump by owner; other foreign owners: ``foreign_hostility_share``."""


def logistic(x: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * x))


def rate(log_rate: float) -> float:
    """``exp(log_rate)``, the log-rate capped at 30 as the engine caps it."""
    return math.exp(min(log_rate, 30.0))


def chance(rate_: float) -> float:
    """Monthly probability ``1 - exp(-rate)`` of a hazard with the given rate."""
    return -math.expm1(-max(rate_, 0.0))


def hazard(log_rate: float) -> float:
    """``1 - exp(-exp(log_rate))``."""
    return chance(rate(log_rate))


def relax(current: float, target: float, speed: float) -> float:
    return current + speed * (target - current)


def clip(x: float, low: float = 0.0, high: float = 1.0) -> float:
    return low if x < low else high if x > high else x


def contest(attack: float, defence: float, decisiveness: float) -> float:
    """Tullock contest: ``C^m / (C^m + D^m)``, an even chance when neither side has any force."""
    a = max(attack, 0.0) ** decisiveness
    d = max(defence, 0.0) ** decisiveness
    return a / (a + d) if a + d > 0.0 else 0.5


class Actor(mesa.Agent):
    """One collective actor of the scenario: its traits and its state in this trajectory."""

    def __init__(self, model: "BoliviaModel", index: int, actor_id: str, kind: str, threshold: float, values: dict[str, float]):
        super().__init__(model)
        self.index = index
        self.actor_id = actor_id
        self.kind = kind
        self.threshold = threshold
        self.in_coalition = False
        for name, value in values.items():
            setattr(self, name, value)

    @property
    def political_weight(self) -> float:
        return self.weight * self.organization

    def update_support(self) -> None:
        """Legitimacy in this actor's eyes, and support relaxing toward it (Gurr 1970)."""
        model = self.model
        p = model.p.grievance_legitimacy
        if self.index in p.rural_actors:
            mystification = model.mystification_rural
        elif self.index in p.urban_actors:
            mystification = model.mystification_urban
        else:
            mystification = 0.0
        speaks = model.regime in (CIVILIAN, NATIONALIST)
        target = logistic(
            p.intercept
            - p.distance_coef * abs(self.radicalism - model.policy)
            - p.corruption_coef * model.corruption
            + (p.mystification_coef * mystification if speaks else 0.0)
            + (p.coalition_coef if self.in_coalition else 0.0)
        )
        self.support = relax(self.support, target, p.adjustment_speed)

    def erode_support(self, erosion: float) -> None:
        self.support -= erosion * self.support

    def clip_to_bounds(self) -> None:
        self.weight = clip(self.weight)
        self.organization = clip(self.organization)
        self.arms = clip(self.arms)
        self.radicalism = clip(self.radicalism, -1.0)
        self.support = clip(self.support)
        self.mobilization = clip(self.mobilization)
        self.cohesion = clip(self.cohesion)


class BoliviaModel(mesa.Model):
    """One trajectory of the scenario, month by month, from its start or a snapshot."""

    def __init__(self, compiled: Model, seed: int, run: int, start: str | None = None):
        scenario = compiled.scenario
        snapshot = scenario.snapshot(start) if start is not None else None
        self.month = snapshot.month if snapshot is not None else scenario.calendar.start
        super().__init__(rng=np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, PEER_STREAM], spawn_key=(self.month, run)))))
        self.compiled = compiled
        self.scenario = scenario
        self.p = SimpleNamespace(**compiled.params)
        self.codes = compiled.mechanism_codes
        self.log: list[tuple[int, int, int, int, int]] = []  # (month, event, actors, outcome, mechanism)
        self.regimes: list[int] = []

        self.actors: list[Actor] = []
        for index, actor in enumerate(scenario.actors):
            override = snapshot.actors.get(actor.id) if snapshot is not None else None
            values = {}
            for name in ACTOR_ATTRIBUTES:
                value = getattr(override, name) if override is not None else None
                values[name] = (value if value is not None else scenario.attribute(actor, name)).value
            self.actors.append(Actor(self, index, actor.id, actor.kind, scenario.attribute(actor, "threshold").value, values))
        self.initial_organization = [scenario.attribute(actor, "organization").value for actor in scenario.actors]
        self.initial_weight = [scenario.attribute(actor, "weight").value for actor in scenario.actors]
        self.domestic = self.agents.select(lambda a: a.kind != "foreign")
        self.civil = self.agents.select(lambda a: a.kind not in ("foreign", "army", "guerrilla"))

        for name in SYSTEM_ATTRIBUTES:
            value = getattr(scenario.system, name).value
            override = getattr(snapshot.system, name) if snapshot is not None else None
            setattr(self, name, override.value if override is not None else value)
        government = snapshot.government if snapshot is not None else scenario.government
        self.policy = government.policy.value
        self.progressive_room = government.progressive_room.value
        self.regime = REGIME_KEYS.index(government.type)
        for actor_id in government.coalition:
            self.actor(compiled.index(actor_id)).in_coalition = True
        self.assembly = bool(snapshot.assembly) if snapshot is not None else False
        self.months_in_power = 0
        self.months_since_repression = NEVER
        self.months_since_mobilization = NEVER
        self.months_since_ruler_death = NEVER
        self.left_united = self.left_unity >= self.p.left_unity.unity_threshold  # M11: a front stands at the start

        # The named holdings (M14): which are in private hands at this month. A holding that exists only
        # through concessions is open at a snapshot (the concessions came before it) but not at the start.
        nationalized = set(snapshot.nationalized) if snapshot is not None else set()
        self.holdings = scenario.holdings
        self.private = {
            holding.id: (
                not holding.nationalized
                and holding.id not in nationalized
                and (snapshot is not None or not holding.created_by_concessions)
                and (holding.available_from is None or holding.available_from <= self.month)
            )
            for holding in self.holdings
        }
        # Which a government has taken into the state's hands (neither private nor taken: not come into being).
        self.taken = {holding.id: holding.nationalized or holding.id in nationalized for holding in self.holdings}
        self.scratch: dict[str, object] = {}

    # --- helpers ---------------------------------------------------------------------------------

    def actor(self, index: int) -> Actor:
        return self.actors[index]

    def uniform(self) -> float:
        return float(self.rng.random())

    def record(self, event: EventType, mechanism: str, actors: list[int] | tuple[int, ...] = (), outcome: Outcome | int = Outcome.NONE) -> None:
        self.log.append((self.month, int(event), actor_mask(list(actors)), int(outcome), self.codes[mechanism]))

    def army_force(self, faction: int) -> float:
        a = self.actor(faction)
        return self.p.coup.army_force_scale * a.weight * a.organization * self.army_capacity

    def legitimacy(self) -> float:
        total = norm = 0.0
        for a in self.civil:
            w = a.political_weight
            total += w * a.support
            norm += w
        return total / max(norm, 1e-12)

    def threat_from_below(self, actors: list[int]) -> float:
        force = norm = 0.0
        for index in actors:
            a = self.actor(index)
            readiness = 0.5 * a.mobilization + 0.5 * a.arms
            force += a.weight * a.organization * max(a.radicalism, 0.0) * (0.5 + readiness)
            norm += a.weight
        return clip(force / max(norm, 1e-12))

    def backing(self) -> float:
        """The share of the backers' organized weight against the government."""
        backers = [self.actor(b) for b in self.p.coup.backers]
        total = sum(b.weight * b.organization * (1.0 - b.support) for b in backers)
        norm = sum(b.weight * b.organization for b in backers)
        return total / max(norm, 1e-12)

    def install(self, regime: int, mechanism: str, policy: float | None = None) -> None:
        """A new government: its anchor policy (or the founders'), the clock, a new balancing round for a
        nationalist or civilian one, the coalition declared for its type, the loyal faction behind it."""
        exits = self.p.regimes
        key = REGIME_KEYS[regime]
        self.regime = regime
        self.policy = getattr(exits, f"policy_{key}") if policy is None else policy
        self.months_in_power = 0
        if regime in (NATIONALIST, CIVILIAN, ELECTED):
            self.progressive_room = max(self.policy, 0.0)
        if regime == RIGHT:
            self.assembly = False
        members = set(getattr(exits, f"coalition_{key}"))
        for a in self.actors:
            a.in_coalition = a.index in members
        self.actor(self.p.military_institution.loyal_faction).support = 1.0
        self.record(EventType.GOVERNMENT_CHANGE, mechanism, (), NEW_GOVERNMENT[regime])

    def palace_succession(self, mechanism: str, intercept: float, pressure_coef: float, nationalist_policy: float | None = None) -> None:
        """The ruler died: the officer corps picks a nationalist successor if its nationalist current carries it."""
        self.record(EventType.LEADER_DEATH, mechanism)
        nationalist = self.uniform() < logistic(intercept + pressure_coef * self.nationalist_pressure)
        self.record(EventType.SUCCESSION, mechanism, (), Outcome.TO_NATIONALIST if nationalist else Outcome.TO_RIGHT)
        if nationalist:
            self.install(NATIONALIST, mechanism, policy=nationalist_policy)
        else:
            self.install(RIGHT, mechanism)
        self.months_since_ruler_death = 0

    # --- one month ---------------------------------------------------------------------------------

    def step(self) -> None:
        self.scratch = {}
        self.scheduled_events()
        for name in SCHEDULE_NAMES:
            if getattr(self.p, name).enabled:
                getattr(self, f"{name}_step")()
        self.months_in_power += 1
        self.months_since_repression = min(self.months_since_repression + 1, NEVER)
        self.months_since_mobilization = min(self.months_since_mobilization + 1, NEVER)
        self.months_since_ruler_death = min(self.months_since_ruler_death + 1, NEVER)
        self.agents.do("clip_to_bounds")
        for name in SYSTEM_ATTRIBUTES:
            high = math.inf if name == "guerrilla_defeats" else 1.0
            setattr(self, name, clip(getattr(self, name), 0.0, high))
        self.policy = clip(self.policy, -1.0)
        self.progressive_room = clip(self.progressive_room)
        self.regimes.append(self.regime)
        self.month += 1

    def scheduled_events(self) -> None:
        for event in self.scenario.events:
            if event.month != self.month:
                continue
            if isinstance(event, LeaderDeath):
                if self.regime == REGIME_KEYS.index(event.applies_to):
                    self.palace_succession(
                        EVENTS_MECHANISM, event.nationalist_successor_intercept.value, event.nationalist_pressure_coef.value,
                        nationalist_policy=event.successor_policy.value,
                    )
            elif isinstance(event, GuerrillaArrival):
                a = self.actor(self.compiled.index(event.actor))
                a.organization = event.organization.value
                a.arms = event.arms.value
                self.record(EventType.GUERRILLA_FOCO, EVENTS_MECHANISM, (a.index,))
            elif isinstance(event, ActorShock):
                setattr(self.actor(self.compiled.index(event.actor)), event.attribute, event.value.value)

    # M15
    def economic_squeeze_step(self) -> None:
        p = self.p.economic_squeeze
        self.squeeze = relax(self.squeeze, p.base_squeeze + p.left_policy_coef * max(self.policy, 0.0), p.adjustment_speed)
        borrowing = p.foreign_loan_rate * self.squeeze * (1.0 - self.dependence)
        self.dependence += borrowing
        self.squeeze -= p.loan_relief * borrowing
        capital = self.actor(p.national_capital)
        capital.support = clip(capital.support - p.capital_support_loss * self.squeeze * max(self.policy, 0.0))

    # Legitimacy and grievance
    def grievance_legitimacy_step(self) -> None:
        p = self.p.grievance_legitimacy
        self.domestic.do("update_support")
        self.hardship = relax(self.hardship, p.hardship_baseline, p.hardship_recovery)

    # M2
    def patron_leverage_step(self) -> None:
        p = self.p.patron_leverage
        # US holdings a government has taken (among those that have come into being) keep Washington hostile.
        patron_held = [h for h in self.holdings if h.owner == "patron" and (self.private[h.id] or self.taken[h.id])]
        expropriated = sum(self.taken[h.id] for h in patron_held) / max(len(patron_held), 1)
        target = logistic(p.hostility_intercept + p.hostility_policy_coef * self.policy + p.expropriation_coef * expropriated)
        self.patron_hostility = relax(self.patron_hostility, target, p.hostility_speed)
        cooperation = 1.0 - self.patron_hostility
        self.army_capacity += p.army_aid_rate * cooperation * (1.0 - self.army_capacity)
        self.dependence += p.aid_dependence_rate * cooperation * (1.0 - self.dependence)
        self.actor(p.foreign_patron).support = cooperation
        not_workers = self.regime != WORKERS
        log_rate = p.austerity_intercept + p.austerity_dependence_coef * self.dependence + p.austerity_squeeze_coef * self.squeeze
        package = not_workers and self.uniform() < hazard(log_rate)
        if package:
            self.policy -= p.austerity_policy_shift
            self.hardship += p.austerity_hardship
            self.progressive_room -= p.austerity_room_cost
            self.record(EventType.AUSTERITY_PACKAGE, "patron_leverage", (p.foreign_patron,))
        self.scratch["austerity"] = package  # sets off a strike wave this month (M6)
        left_lean = max(self.policy, 0.0) if not_workers else 0.0
        soviet = self.actor(p.rival_patron)
        soviet.support = left_lean
        self.squeeze -= p.rival_aid_relief * soviet.organization * left_lean * self.patron_hostility

    # M14
    def nationalization_step(self) -> None:
        p = self.p.nationalization
        left_mobilization = sum(self.actor(a).mobilization for a in p.beneficiaries) / len(p.beneficiaries)
        base_rate = rate(p.nationalization_intercept + p.policy_coef * self.policy + p.room_coef * self.progressive_room + p.mobilization_coef * left_mobilization)
        # the patron's holdings: deterred by what it still has to lose with the patron, sought by the nationalist current
        patron_rate = base_rate * math.exp(p.anti_imperialism_coef * self.nationalist_pressure - p.patron_deterrence * (1.0 - self.patron_hostility))
        for holding in self.holdings:
            if holding.available_from == self.month:
                self.private[holding.id] = not self.taken[holding.id]
        takes = self.regime in (CIVILIAN, NATIONALIST, WORKERS)
        taken_any = False
        hostility = 0.0
        program = self.uniform()  # one program a month: it takes every holding the government is at least this ready to take
        for index, holding in enumerate(self.holdings):
            if not (takes and self.private[holding.id]):
                continue
            if program < chance(patron_rate if holding.owner == "patron" else base_rate):
                self.private[holding.id] = False
                self.taken[holding.id] = True
                taken_any = True
                hostility += p.foreign_hostility_share if holding.owner == "foreign" else OWNER_HOSTILITY[holding.owner]
                self.record(EventType.NATIONALIZATION, "nationalization", p.beneficiaries, holding_outcome(index))  # one per holding, naming it
        self.patron_hostility += p.hostility_jump * hostility
        if taken_any:
            self.squeeze += p.squeeze_jump
            self.hardship -= p.hardship_relief
            self.progressive_room -= p.room_cost
            for a in p.beneficiaries:
                self.actor(a).support += p.support_gain
        log_rate = p.concession_intercept + p.concession_right_coef * max(-self.policy, 0.0) + p.concession_dependence_coef * self.dependence
        concede = self.regime != WORKERS and self.policy < 0.0 and self.uniform() < hazard(log_rate)
        if concede:
            self.dependence += p.concession_dependence_gain * (1.0 - self.dependence)
            self.patron_hostility -= p.concession_hostility_relief
            for holding in self.holdings:
                if holding.created_by_concessions and not self.taken[holding.id]:  # what the state took stays its own
                    self.private[holding.id] = True
            self.record(EventType.FOREIGN_CONCESSION, "nationalization", (p.foreign_patron,))

    # M1
    def nationalist_drift_step(self) -> None:
        p = self.p.nationalist_drift
        anchors = self.p.regimes
        if self.regime in (CIVILIAN, NATIONALIST):
            left_mobilization = sum(self.actor(a).mobilization for a in p.labor) / len(p.labor)
            rightward = p.drift_rate * (p.dependence_coef * self.dependence + p.squeeze_coef * self.squeeze + p.army_coef * self.army_force(p.right_faction))
            change = p.left_pull * self.progressive_room * left_mobilization - rightward
            self.policy += change
            self.progressive_room -= p.room_use * max(-change, 0.0)
            self.policy = min(self.policy, self.progressive_room)
        else:
            self.policy = min(self.policy, 1.0)
        if self.regime == RIGHT:
            self.policy = relax(self.policy, anchors.policy_right_military, p.anchor_speed)
        elif self.regime == WORKERS:
            self.policy = relax(self.policy, anchors.policy_workers_government, p.anchor_speed)

    # M3
    def new_class_step(self) -> None:
        p = self.p.new_class
        party = self.actor(p.party)
        if self.regime == CIVILIAN:
            self.corruption += p.growth_rate * party.organization * (1.0 - self.corruption)
        else:
            self.corruption -= p.decay_out_of_power * self.corruption
        party.cohesion = relax(party.cohesion, 1.0 - self.corruption, p.cohesion_speed)
        if self.regime == CIVILIAN and self.uniform() < hazard(p.split_intercept + p.split_corruption_coef * self.corruption):
            party.cohesion -= p.split_cohesion_loss
            self.record(EventType.PARTY_SPLIT, "new_class", (p.party,))

    # M4
    def mystification_step(self) -> None:
        p = self.p.mystification
        gap = max(p.promise - self.policy, 0.0) + (p.right_regime_rate if self.regime == RIGHT else 0.0)
        self.mystification_urban *= 1.0 - min(p.urban_rate * gap, 1.0)
        self.mystification_rural *= 1.0 - min(p.rural_rate * gap, 1.0)

    # M9
    def agrarian_structure_step(self) -> None:
        p = self.p.agrarian_structure
        peasants, miners = self.actor(p.peasantry), self.actor(p.vanguard_workers)
        peasants.radicalism = relax(peasants.radicalism, miners.radicalism, p.left_outreach * self.left_unity)
        hold = p.clientelism * (1.0 - p.left_outreach * max(peasants.radicalism, 0.0))
        peasants.support = relax(peasants.support, hold, p.adjustment_speed)
        peasants.organization = min(peasants.organization, p.organization_ceiling)
        rate_ = p.right_differentiation_rate if self.regime == RIGHT else p.differentiation_rate
        self.differentiation += rate_ * (1.0 - self.differentiation)
        bourgeoisie = self.actor(p.agrarian_bourgeoisie)
        target = min(p.bourgeoisie_base_organization + p.middle_peasant_pull * self.differentiation, 1.0)
        bourgeoisie.organization = relax(bourgeoisie.organization, target, p.adjustment_speed)
        for current in p.left_peasant_currents:
            a = self.actor(current)
            a.radicalism = relax(a.radicalism, miners.radicalism, p.vanguard_influence_on_left_peasants)

    # M13
    def radicalization_contact_step(self) -> None:
        p = self.p.radicalization_contact
        before = [a.radicalism for a in self.actors]
        for source, target, weight in self.compiled.influence:
            contact = p.latent_contact + (1.0 - p.latent_contact) * self.actor(source).mobilization
            self.actor(target).radicalism += p.contact_rate * weight * contact * (before[source] - before[target])
        for source, target, weight in self.compiled.alliances:
            t = self.actor(target)
            gift = weight * self.actor(source).organization * max(before[source], 0.0)
            t.organization += p.resource_rate * gift * (1.0 - t.organization)

    # M10
    def guerrilla_foco_step(self) -> None:
        p = self.p.guerrilla_foco
        g, students = self.actor(p.guerrillas), self.actor(p.students)
        active = g.organization > 0.01
        defeat_rate = rate(p.defeat_intercept + p.defeat_army_coef * self.army_capacity) * (1.0 - p.urban_share)
        if active and self.uniform() < chance(defeat_rate):
            g.organization = 0.0
            g.arms = 0.0
            self.guerrilla_defeats += 1.0
            students.radicalism += p.student_radicalization
            self.actor(p.religious_left).radicalism += p.clergy_radicalization
            self.nationalist_pressure += p.nationalist_push
            self.polarization += p.polarization_push
            self.record(EventType.GUERRILLA_DEFEATED, "guerrilla_foco", (p.guerrillas,))
        if not active and self.guerrilla_defeats >= 1.0:
            readiness = max(students.radicalism, 0.0) * students.organization
            log_rate = p.formation_intercept + p.formation_radicalism_coef * readiness - p.formation_defeats_coef * max(self.guerrilla_defeats - 1.0, 0.0)
            if self.uniform() < hazard(log_rate):
                g.organization = p.new_foco_organization
                g.arms = p.new_foco_arms
                g.radicalism = 1.0
                self.record(EventType.GUERRILLA_FOCO, "guerrilla_foco", (p.guerrillas, p.students))

    # M11
    def left_unity_step(self) -> None:
        p = self.p.left_unity
        nationalist_military = self.regime == NATIONALIST
        # An opening: a nationalist military or an elected civilian government gives the Left room.
        opening_regime = self.regime in (NATIONALIST, ELECTED)
        coopted = sum(self.actor(a).support for a in p.coopted_parties) / len(p.coopted_parties)
        pull = (
            p.intercept
            + p.threat_coef * self.coup_memory
            + p.repression_coef * math.exp(-self.months_since_repression / 24.0)
            + (p.opening_coef * max(self.policy, 0.0) if opening_regime else 0.0)
            + p.polarization_coef * self.polarization
        )
        target = logistic(pull - (p.cooptation_coef * coopted if nationalist_military else 0.0))
        self.left_unity = clip(relax(self.left_unity, target, p.adjustment_speed) + p.noise_scale * (self.uniform() - 0.5))
        # The revolutionary Left, which organizes the Assembly, feels the same pull without the co-opted parties' drag.
        self.revolutionary_unity = clip(relax(self.revolutionary_unity, logistic(pull), p.adjustment_speed) + p.noise_scale * (self.uniform() - 0.5))
        # A united front forms at unity_threshold and breaks up only below split_threshold.
        if not self.left_united and self.left_unity >= p.unity_threshold:
            self.left_united = True
            self.record(EventType.LEFT_UNITY, "left_unity", p.left_parties)
        elif self.left_united and self.left_unity < p.split_threshold:
            self.left_united = False
            self.record(EventType.LEFT_SPLIT, "left_unity", p.left_parties)
        # The Popular Assembly needs the revolutionary Left agreed, an opening and power lately shown in the streets (fading).
        self.popular_power *= 1.0 - p.power_decay
        if not opening_regime or self.revolutionary_unity < p.unity_threshold or self.popular_power < p.assembly_power_threshold or self.assembly:
            return
        labor = [self.actor(a) for a in p.labor]
        log_rate = (
            p.assembly_intercept
            + p.assembly_unity_coef * (self.revolutionary_unity - p.unity_threshold)
            + p.assembly_mobilization_coef * sum(a.mobilization for a in labor) / len(labor)
            + p.assembly_radicalism_coef * sum(max(a.radicalism, 0.0) for a in labor) / len(labor)
            - p.assembly_hegemony_coef * self.mystification_urban
            - (self.p.military_institution.assembly_resistance if nationalist_military else 0.0)
            + p.include_party_unionists * p.party_unionist_base_coef * self.actor(p.party_unionists).organization
        )
        if self.uniform() < hazard(log_rate):
            self.assembly = True
            self.polarization += p.assembly_polarization
            for a in labor:
                a.organization += p.assembly_organization_gain * (1.0 - a.organization)
            self.record(EventType.POPULAR_ASSEMBLY, "left_unity", list(p.labor) + list(p.left_parties))

    # M6
    def cascade(self, trigger: dict[int, float], grievance_drive: bool = True) -> dict[int, bool]:
        """Granovetter threshold cascade over the popular actors and their influence ties.

        A protest is driven by each actor's grievance plus the trigger; a defence of the government
        (M5) by its trigger alone (``grievance_drive=False``)."""
        p = self.p.mass_mobilization
        base = {}
        for index in p.popular_actors:
            a = self.actor(index)
            drive = p.drive_coef * self.hardship * (1.0 - a.support) * a.organization if grievance_drive else 0.0
            base[index] = drive + trigger[index] + p.noise_scale * (self.uniform() - 0.5)
        out = {index: base[index] > self.actor(index).threshold for index in base}
        ties = [(s, t, w) for s, t, w in self.compiled.influence if s in base and t in base]
        for _ in range(int(p.rounds)):
            pull = dict.fromkeys(base, 0.0)
            for source, target, weight in ties:
                if out[source]:
                    pull[target] += weight * self.actor(source).organization
            new = {index: base[index] + p.pull_coef * pull[index] > self.actor(index).threshold for index in base}
            if new == out:
                break
            out = new
        return out

    def mobilized_share(self, out: dict[int, bool]) -> float:
        mobilized = total = 0.0
        for index, flag in out.items():
            w = self.actor(index).political_weight
            mobilized += w if flag else 0.0
            total += w
        return mobilized / max(total, 1e-12)

    def record_strikes(self, out: dict[int, bool], share: float | None = None) -> bool:
        """Log a general strike (every strike actor out) and a mass mobilization (enough weight out);
        either restarts the movement's refractory clock."""
        p = self.p.mass_mobilization
        strike = all(out[a] for a in p.strike_actors)
        mass = (self.mobilized_share(out) if share is None else share) >= p.mass_threshold
        if strike:
            self.record(EventType.GENERAL_STRIKE, "mass_mobilization", p.strike_actors)
        if mass:
            self.record(EventType.MASS_MOBILIZATION, "mass_mobilization", p.popular_actors)
        if strike or mass:
            self.months_since_mobilization = 0
        return strike or mass

    def defeat_cost(self, out: dict[int, bool]) -> None:
        """Those who came out in a mobilization that failed lose a share of their organization."""
        cost = self.p.mass_mobilization.failure_cost
        for index, flag in out.items():
            if flag:
                self.actor(index).organization *= 1.0 - cost

    def mass_mobilization_step(self) -> None:
        p = self.p.mass_mobilization
        # A strike wave needs a trigger (austerity this month, a recent repression wave, the ruler's death)
        # and a movement rested since its last one.
        triggered = (
            bool(self.scratch.get("austerity", False))
            or self.months_since_repression <= p.trigger_window
            or self.months_since_ruler_death <= p.trigger_window
        ) and self.months_since_mobilization > p.refractory_months
        if triggered:
            out = self.cascade({index: p.trigger_strength * self.actor(index).organization for index in p.popular_actors})
        else:
            out = dict.fromkeys(p.popular_actors, False)
        for index, flag in out.items():
            a = self.actor(index)
            a.mobilization = a.organization if flag else 0.0
        share = self.mobilized_share(out)
        self.scratch["mobilized"] = out
        self.scratch["mobilized_share"] = share
        happened = self.record_strikes(out, share)
        self.scratch["out_on_streets"] = happened
        if any(out.values()) and not happened:  # it fizzled
            self.defeat_cost(out)

    # M8
    def repression_step(self) -> None:
        p = self.p.repression
        share = self.scratch.get("mobilized_share", 0.0)
        regime_term = {RIGHT: p.right_military_coef, NATIONALIST: p.nationalist_military_coef, CIVILIAN: p.civilian_coef, ELECTED: p.civilian_coef}.get(self.regime, 0.0)
        # A government spares the part of the movement it governs with.
        base_share = sum(self.actor(t).weight for t in p.targets if self.actor(t).in_coalition) / max(sum(self.actor(t).weight for t in p.targets), 1e-12)
        log_rate = (
            p.intercept + p.threat_coef * self.threat_from_below(p.targets) + p.mobilization_coef * share - p.policy_coef * self.policy
            + regime_term - p.coalition_coef * base_share
        )
        wave = self.regime != WORKERS and self.uniform() < hazard(log_rate)
        if wave:
            self.months_since_repression = 0
            for index in p.targets:
                a = self.actor(index)
                if a.in_coalition:
                    continue
                a.organization *= 1.0 - p.organization_loss
                a.arms *= 1.0 - p.arms_loss
                a.radicalism += p.radicalization
                a.mobilization = 0.0
            self.actor(p.party).organization *= 1.0 - p.party_shattering
            self.repression_memory += p.memory_gain * (1.0 - self.repression_memory)
        self.repression_memory *= 1.0 - p.memory_decay
        if wave:
            self.mystification_urban *= 1.0 - p.demystification
            self.record(EventType.REPRESSION_WAVE, "repression", p.targets)
        else:  # organizations recover where the government lets them organize: never under a police state
            openness = clip(0.5 + 0.5 * self.policy) * (self.regime != RIGHT)
            for index in p.targets:
                a = self.actor(index)
                a.organization += p.recovery_rate * openness * max(self.initial_organization[index] - a.organization, 0.0)
        if self.regime != CIVILIAN:
            self.actor(p.party).organization *= 1.0 - p.party_decay_out_of_power

    # M5 and what follows a coup (M7, M16, M17, M11)
    def coup_step(self) -> None:
        p = self.p.coup
        self.coup_memory *= 1.0 - p.trap_decay
        legitimacy = self.legitimacy()
        backed = self.backing()
        right_force = self.army_force(p.right_faction)
        swing_force = self.army_force(p.swing_faction)
        tenure = min(self.months_in_power / 120.0, 1.0) if self.regime in MILITARY else 0.0
        # What moves any plotter against any ruler: the government's weakness, the coup trap, the ruler's years.
        shared = p.plot_intercept + p.weakness_coef * (1.0 - legitimacy) + p.trap_coef * self.coup_memory + p.tenure_coef * tenure
        # The fear of the pressure from below, sharpened by a foco in the jungle.
        fear = (
            p.threat_coef * self.threat_from_below(self.p.mass_mobilization.popular_actors)
            + p.polarization_coef * self.polarization
        )
        if self.p.guerrilla_foco.enabled:  # a foco in the jungle, where the scenario has the guerrilla mechanism
            fear += p.foco_coef * (self.actor(self.p.guerrilla_foco.guerrillas).organization > 0.01) * (1.0 - self.p.guerrilla_foco.urban_share)
        # The right's fear and pretext count only against a government that is not its own police state.
        not_its_own = float(self.regime != RIGHT)
        right_rate = rate(
            shared + not_its_own * (fear + p.pretext_coef * self.corruption) + p.backing_coef * backed + p.army_coef * right_force
            + p.disaffection_coef * (1.0 - self.actor(p.right_faction).support)
        )
        # The nationalist current moves the young officers as far as the government falls short of their program.
        program_span = max(p.installation_policy - self.p.regimes.policy_right_military, 1e-6)
        unmet = min(max((p.installation_policy - self.policy) / program_span, 0.0), 1.0)
        nationalist_rate = rate(
            p.nationalist_offset + shared + fear + p.nationalist_pressure_coef * self.nationalist_pressure * unmet + p.army_coef * swing_force
            + p.disaffection_coef * (1.0 - self.actor(p.swing_faction).support)
        )
        # Each camp weighs its chance against what it can foresee: the loyal officers and the armed supporters.
        floor = self.p.arms.arms_floor
        foreseen = self.army_force(p.loyal_faction) * logistic(p.loyal_intercept + p.loyal_legitimacy_coef * legitimacy)
        for index in self.p.mass_mobilization.popular_actors:
            a = self.actor(index)
            foreseen += a.support * a.weight * a.organization * (floor + (1.0 - floor) * a.arms)
        right_attack = right_force * (1.0 + p.backing_multiplier * backed)
        swing_attack = swing_force * (1.0 + p.backing_multiplier * self.nationalist_pressure)
        # A conspiracy forms from the motives above and strikes with that chance: per camp, P(attempt) = P(forms) x chance.
        right_try = chance(right_rate) * (contest(right_attack, foreseen, p.decisiveness) if right_attack > 0.0 else 0.0)
        nationalist_try = chance(nationalist_rate) * (contest(swing_attack, foreseen, p.decisiveness) if swing_attack > 0.0 else 0.0)
        right_rate = -math.log1p(-min(right_try, 1.0 - 1e-12))
        nationalist_rate = -math.log1p(-min(nationalist_try, 1.0 - 1e-12))
        total = right_rate + nationalist_rate
        if self.uniform() < chance(total):
            camp = RIGHT_CAMP if self.uniform() * total < right_rate else NATIONALIST_CAMP
        else:
            regional = self.actor(p.regional_elite)
            regional_log_rate = p.regional_intercept + p.regional_coef * self.differentiation * regional.organization * max(self.policy, 0.0)
            if not self.uniform() < hazard(regional_log_rate):
                return
            camp = REGIONAL
        self.contest(p, camp, legitimacy, backed, right_force, swing_force)

    def threatened(self, a: Actor, plotters_policy: float, memory_coef: float) -> float:
        """What a popular actor stands to lose if the plotters win."""
        return max(self.policy - plotters_policy, 0.0) * max(a.radicalism, 0.0) * (1.0 + memory_coef * self.repression_memory)

    def contest(self, p, camp: str, legitimacy: float, backed: float, right_force: float, swing_force: float) -> None:
        nationalist_plot = camp == NATIONALIST_CAMP
        if camp == REGIONAL:
            regional, middle = self.actor(p.regional_elite), self.actor(p.rural_followers)
            attack = regional.weight * regional.organization + self.differentiation * middle.weight * middle.organization + p.regional_army_share * right_force
            attack *= 1.0 + p.backing_multiplier * backed
            plotter = p.regional_elite
        elif nationalist_plot:
            attack = swing_force * (1.0 + p.backing_multiplier * self.nationalist_pressure)
            plotter = p.swing_faction
        else:
            attack = right_force * (1.0 + p.backing_multiplier * backed)
            plotter = p.right_faction
        loyal = self.army_force(p.loyal_faction) * logistic(p.loyal_intercept + p.loyal_legitimacy_coef * legitimacy)

        # Who comes out to defend the government: each popular actor's stake, support and place in the coalition.
        plotters_policy = p.installation_policy if nationalist_plot else self.p.regimes.policy_right_military
        trigger = {}
        for index in self.p.mass_mobilization.popular_actors:
            a = self.actor(index)
            trigger[index] = a.organization * (
                p.defence_intercept
                + p.defence_stake_coef * self.threatened(a, plotters_policy, p.defence_memory_coef)
                + p.defence_support_coef * (a.support - 0.5)
                + (p.defence_coalition_coef if a.in_coalition else 0.0)
            )
        out = self.cascade(trigger, grievance_drive=False)
        floor = self.p.arms.arms_floor
        popular = sum(a.weight * a.organization * (floor + (1.0 - floor) * a.arms) for a in (self.actor(i) for i, f in out.items() if f))
        g = self.actor(self.p.guerrilla_foco.guerrillas)
        popular += self.p.guerrilla_foco.urban_share * g.weight * g.organization * g.arms

        # The third faction: the young officers against a right plot, the right faction against theirs.
        third = p.right_faction if nationalist_plot else p.swing_faction
        third_force = right_force if nationalist_plot else swing_force
        balance = (popular + loyal - attack) / max(popular + loyal + attack, 1e-12)
        join = logistic(p.swing_slope * balance + p.swing_support_coef * (self.actor(third).support - 0.5))
        third_defends = self.uniform() < join
        defence = loyal + popular + (third_force if third_defends else 0.0)
        if not third_defends:
            attack += third_force
        success = self.uniform() < contest(attack, defence, p.decisiveness)
        popular_share = popular / max(defence, 1e-12)
        # The masses came out: the strike actors struck together (the COB's strike), or enough of the popular camp.
        came_out = all(out[a] for a in self.p.mass_mobilization.strike_actors) or (
            self.mobilized_share(out) >= self.p.mass_mobilization.mass_threshold
        )
        # The masses were decisive: without their force the plotters would have been favourites.
        by_masses = not success and came_out and popular > 0.0 and contest(attack, defence - popular, p.decisiveness) > 0.5
        if by_masses:  # the power the masses showed, which an Assembly can institutionalize (M11)
            self.popular_power = 1.0

        outcome = Outcome.SUCCESS if success else Outcome.DEFEATED_BY_MOBILIZATION if by_masses else Outcome.FAILURE
        for plotter_index, involved in (
            (p.right_faction, [p.right_faction] + list(p.backers)),
            (p.regional_elite, [p.regional_elite] + list(p.backers)),
            (p.swing_faction, [p.swing_faction]),
        ):
            if plotter == plotter_index:
                self.record(EventType.COUP_ATTEMPT, "coup", involved, outcome)
        if third_defends:
            for third_index in (p.right_faction, p.swing_faction):
                if third == third_index:
                    self.record(EventType.ARMY_SPLIT, "coup", (third_index, p.loyal_faction))
        if not self.scratch.get("out_on_streets", False):
            self.record_strikes(out)
        for index, flag in out.items():
            if flag:
                self.actor(index).mobilization = self.actor(index).organization
        if success:  # those who came out for a government that fell pay for it
            self.defeat_cost(out)
        self.coup_memory += p.trap_jump * (1.0 - self.coup_memory)

        if success:
            if nationalist_plot:
                self.install(NATIONALIST, "coup", policy=p.installation_policy)
            else:
                self.install(RIGHT, "coup")
            return
        self.after_failed_coup(plotter, popular_share, right_camp=not nationalist_plot)
        if not by_masses:
            return
        self.purge_after_clash()
        workers = [self.actor(a) for a in self.p.arms.workers]
        if self.regime != WORKERS:
            takeover_probability = logistic(
                p.takeover_intercept
                + p.takeover_unity_coef * self.revolutionary_unity
                + p.takeover_arms_coef * sum(a.arms for a in workers) / len(workers)
                - p.takeover_support_coef * sum(a.support for a in workers) / len(workers)
            )
            if self.uniform() < takeover_probability and self.workers_take_power(popular):
                return
        if self.regime == NATIONALIST:
            installation_probability = logistic(p.installation_intercept + p.installation_popular_coef * popular_share - p.installation_legitimacy_coef * legitimacy)
            if self.uniform() < installation_probability:
                new_policy = max(self.policy, p.installation_policy)
                self.record(EventType.SUCCESSION, "coup", (p.swing_faction, p.loyal_faction), Outcome.TO_NATIONALIST)
                self.install(NATIONALIST, "coup", policy=new_policy)
                self.offer_cabinet()

    def after_failed_coup(self, plotter: int, popular_share: float, right_camp: bool) -> None:
        p = self.p.failed_coup
        if not p.enabled:
            return
        self.actor(plotter).weight *= 1.0 - p.right_weight_loss
        if right_camp:  # the backers stood behind the right's and the region's plots, not the young officers'
            for b in self.p.coup.backers:
                self.actor(b).organization *= 1.0 - p.backer_organization_loss
        for index in p.workers:
            a = self.actor(index)
            a.radicalism += p.radicalization * popular_share
            a.mobilization += p.mobilization_boost * popular_share * (1.0 - a.mobilization)
        self.polarization += p.polarization_gain

    def purge_after_clash(self) -> None:
        p = self.p.military_institution
        if not p.enabled:
            return
        if self.regime in (NATIONALIST, CIVILIAN, ELECTED) and self.uniform() < p.purge_propensity:
            right, loyal = self.actor(p.right_faction), self.actor(p.loyal_faction)
            moved = p.purge_share * right.weight
            right.weight -= moved
            loyal.weight += moved
            self.record(EventType.PLOTTERS_PURGED, "military_institution", (p.right_faction,))

    def workers_take_power(self, popular_force: float) -> bool:
        p = self.p.polarization
        army = sum(self.army_force(f) for f in p.army_factions)
        success = self.uniform() < contest(popular_force, army, p.decisiveness)
        self.record(EventType.WORKERS_GOVERNMENT, "polarization", p.workers, Outcome.SUCCESS if success else Outcome.FAILURE)
        if success:
            self.install(WORKERS, "polarization")
        return success

    def offer_cabinet(self) -> None:
        p = self.p.left_unity
        accepted = self.uniform() < logistic(p.accept_intercept + p.accept_unity_coef * self.left_unity)
        if accepted:
            self.policy += p.cabinet_share * p.cabinet_policy_shift
            self.progressive_room = max(self.progressive_room, self.policy)
            for party in p.left_parties:
                self.actor(party).support = max(self.actor(party).support, p.accepted_support)
        self.record(EventType.CABINET_OFFER, "left_unity", p.left_parties, Outcome.ACCEPTED if accepted else Outcome.DECLINED)

    def failed_coup_step(self) -> None:
        """M7's aftermath acts through :meth:`after_failed_coup`, when a coup fails; every month the factions regroup."""
        p = self.p.failed_coup
        for index in p.factions:
            a = self.actor(index)
            a.weight += p.regroup_rate * (self.initial_weight[index] - a.weight)

    def military_institution_step(self) -> None:
        """M16 acts through :meth:`purge_after_clash`, after an armed clash."""

    # M18
    def regime_exit_step(self) -> None:
        p = self.p.regime_exit
        if self.regime not in MILITARY or self.months_in_power <= 0:
            return
        if self.uniform() < p.leader_death_rate:  # the ruler dies in office; the officer corps picks his successor
            self.palace_succession("regime_exit", p.succession_intercept, p.succession_pressure_coef)
            return
        log_rate = (
            p.handover_intercept
            + p.handover_pressure_coef * self.threat_from_below(self.p.mass_mobilization.popular_actors)
            + p.handover_legitimacy_coef * (1.0 - self.legitimacy())
            + p.handover_split_coef * self.coup_memory
        )
        if self.uniform() < hazard(log_rate):  # the officers go back to the barracks and civilians are elected
            self.record(EventType.HANDOVER, "regime_exit")
            self.install(ELECTED, "regime_exit")

    # M12
    def arms_step(self) -> None:
        p = self.p.arms
        handout = p.distribution_rate * max(self.policy - 0.5, 0.0)
        decay = p.militia_decay if self.regime != WORKERS else 0.0
        for index in p.workers:
            a = self.actor(index)
            a.arms += (p.seizure_rate * a.mobilization + handout) * (1.0 - a.arms) - decay * a.arms

    # M17
    def polarization_step(self) -> None:
        p = self.p.polarization
        total = norm = 0.0
        for a in self.domestic:
            w = a.political_weight
            total += w * abs(a.radicalism)
            norm += w
        self.polarization = relax(self.polarization, total / max(norm, 1e-12), p.adjustment_speed)
        if self.regime == NATIONALIST:
            self.domestic.do("erode_support", p.middle_erosion * self.polarization)
        if not self.assembly or self.regime == WORKERS:
            return
        workers = [self.actor(a) for a in p.workers]
        floor = self.p.arms.arms_floor
        arms = sum(a.arms for a in workers) / len(workers)
        force = sum(a.weight * a.organization * (floor + (1.0 - floor) * a.arms) for a in workers)
        if self.uniform() < hazard(p.insurrection_intercept + p.insurrection_unity_coef * self.revolutionary_unity + p.insurrection_arms_coef * arms):
            self.workers_take_power(force)
