"""The typed, immutable scenario: what a scenario file may contain.

A scenario declares the source it encodes, the calendar, the actors and their
attributes, the incumbent government, the system-level state, the relations
between actors, the mechanisms and their parameters, scheduled exogenous
events and snapshots of the described state at later months. Every number is a
:class:`~coyuntura.scenario.quantities.Quantity` with its provenance.
"""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, NoReturn, Optional, Union, get_args

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    StrictBool,
    StrictFloat,
    StrictInt,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from .calendar import format_month, parse_month
from .plugins import MechanismRegistry, declared_events, declared_state, installed_mechanisms, registry_with_files
from .quantities import Coefficient, Frozen, NonNegative, Quantity, Signed, Unit
from .refs import ActorKind, ActorRef, Identifier
from .vocabulary import EVENT_KINDS, OUTCOME_KEYS, REGIME_LABELS, unknown_outcome

MonthField = Annotated[int, BeforeValidator(parse_month), PlainSerializer(format_month, return_type=str)]
"""A calendar month written ``YYYY-MM``."""

RegimeKey = Literal["civilian_nationalist", "right_military", "nationalist_military", "workers_government", "civilian_elected"]


DEFAULT_HORIZON_MONTHS = 24
"""Months the commands, what-ifs and sweeps simulate past a start snapshot when no last month is given."""


class Provenance(Frozen):
    """Where a non-numeric statement (an event, an actor) comes from."""

    source: str | None = None
    says: str | None = None
    assumption: str | None = None

    @model_validator(mode="after")
    def _one_provenance(self) -> "Provenance":
        if (self.source is None) == (self.assumption is None):
            raise ValueError("give exactly one of 'source' (with 'says') or 'assumption'")
        if self.source is not None and not (self.says and self.says.strip()):
            raise ValueError("a 'source' needs 'says': what the source states there, in your own words")
        return self


class SourceSection(Frozen):
    title: str
    lines: tuple[StrictInt, StrictInt]

    @model_validator(mode="after")
    def _ordered(self) -> "SourceSection":
        if not 1 <= self.lines[0] <= self.lines[1]:
            raise ValueError(f"section lines must be 1 <= first <= last, got {list(self.lines)}")
        return self


class SourceDocument(Frozen):
    """The analysis the scenario encodes, and its sections for locators."""

    title: str
    author: str
    year: StrictInt
    sections: tuple[SourceSection, ...] = Field(min_length=1)


SourceKind = Literal["text", "book", "url", "dataset"]


class Source(Frozen):
    """A further source the scenario cites as ``'<id>: <where>'``: a line-numbered text (cited by section and
    lines, like the analysis), a book (by page), a web page or a data set (by any words that find the place)."""

    id: Identifier
    kind: SourceKind = Field(description="text (sections with line ranges), book (pages), url, or dataset.")
    title: str
    author: Optional[str] = None
    year: Optional[StrictInt] = None
    sections: Optional[tuple[SourceSection, ...]] = Field(default=None, description="text: its sections and their line ranges.")
    pages: Optional[tuple[StrictInt, StrictInt]] = Field(default=None, description="book: its first and last page, to check page numbers.")
    url: Optional[str] = Field(default=None, description="url: the address (required); dataset: where to get it.")
    version: Optional[str] = Field(default=None, description="dataset: the version or release cited.")

    @model_validator(mode="after")
    def _fits_its_kind(self) -> "Source":
        given = {name for name in ("sections", "pages", "url", "version") if getattr(self, name) is not None}
        allowed = {"text": {"sections"}, "book": {"pages"}, "url": {"url"}, "dataset": {"url", "version"}}[self.kind]
        if given - allowed:
            raise ValueError(f"a {self.kind} source takes no {', '.join(sorted(given - allowed))}")
        if self.kind == "text" and not self.sections:
            raise ValueError("a text source needs 'sections' (title and [first, last] line of each), to check its locators")
        if self.kind == "url" and not (self.url and self.url.strip()):
            raise ValueError("a url source needs 'url'")
        if self.pages is not None and not 1 <= self.pages[0] <= self.pages[1]:
            raise ValueError(f"pages must be [first, last] with 1 <= first <= last, got {list(self.pages)}")
        return self

    def describe(self) -> str:
        """One line naming the source: author (year), title, and where to find it."""
        who = f"{self.author} ({self.year}), " if self.author and self.year else f"{self.author}, " if self.author else ""
        where = f" <{self.url}>" if self.url else ""
        version = f", version {self.version}" if self.version else ""
        return f"{who}{self.title}{version}{where}"


class ChecklistItem(Frozen):
    """An item of the scenario's own checklist: something its analysis says the model must contain. Actors cover
    items by listing them (``checklist:``), mechanisms by name here or in their ``COVERS``; ``not_represented``
    says why an item is left out."""

    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", max_length=32)]
    label: str
    mechanisms: tuple[str, ...] = Field(default_factory=tuple, description="Mechanisms of the scenario that cover the item.")


class Calendar(Frozen):
    """One step is one month. ``start``..``end`` is the period the source describes;
    runs may continue up to ``horizon``."""

    start: MonthField
    end: MonthField
    horizon: MonthField

    @model_validator(mode="after")
    def _ordered(self) -> "Calendar":
        if not self.start <= self.end <= self.horizon:
            raise ValueError(
                f"calendar needs start <= end <= horizon, got {format_month(self.start)}, "
                f"{format_month(self.end)}, {format_month(self.horizon)}"
            )
        return self


class PluginValues(Frozen):
    """A block of numbers that also takes those plug-in mechanisms declare of their own (``NEW_STATE`` for the system,
    ``NEW_ACTOR_STATE`` for actors), each a quantity within the range its mechanism gives."""

    model_config = ConfigDict(extra="allow", frozen=True)
    PLUGIN_DECLARATION: ClassVar[str] = "NEW_STATE"
    PLUGIN_WHAT: ClassVar[str] = "system variable"
    PLUGIN_ARTICLE: ClassVar[str] = "a"

    @model_validator(mode="wrap")
    @classmethod
    def _plugin_variables(cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        if not isinstance(value, dict):
            return handler(value)
        registry = _registry(info)
        # Any available mechanism's variables (the first declaration of a name; two plug-ins declaring one name are
        # refused only where a scenario uses both, by the scenario's checks).
        declared = declared_state((registry.get(name) for name in registry.names()), strict=False, attribute=cls.PLUGIN_DECLARATION)
        typed = dict(value)
        for name, raw in value.items():
            if name in cls.model_fields:
                continue
            if name not in declared:
                known = [*cls.model_fields, *declared]
                close = difflib.get_close_matches(str(name), known, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                _refuse(name, raw, "unknown_variable", f"unknown key {name!r}{hint} (not part of the scenario format, nor {cls.PLUGIN_ARTICLE} "
                        f"{cls.PLUGIN_WHAT} a mechanism declares); keys: {', '.join(known)}")
            low, high, _ = declared[name]
            try:
                quantity = Quantity.model_validate(raw)
            except ValidationError as error:
                _refuse(name, raw, "bad_quantity", str(error.errors()[0]["msg"]))
            if not low <= quantity.value <= high:
                _refuse(name, raw, "out_of_range", f"{quantity.value:g} lies outside [{low:g}, {high:g}], the range its mechanism declares")
            typed[name] = quantity
        return handler(typed)

    def given(self, name: str) -> Optional[Quantity]:
        """The quantity given for a variable (the engine's or a plug-in's), or None."""
        if name in type(self).model_fields:
            quantity: Optional[Quantity] = getattr(self, name)
            return quantity
        return (self.__pydantic_extra__ or {}).get(name)

    def plugin_variables(self) -> dict[str, Quantity]:
        """The plug-ins' variables given here, by name."""
        return dict(self.__pydantic_extra__ or {})


class ActorState(PluginValues):
    """An actor's state variables: at the start, or as a snapshot describes them (and those plug-ins declare of their
    own, ``NEW_ACTOR_STATE``)."""

    PLUGIN_DECLARATION: ClassVar[str] = "NEW_ACTOR_STATE"
    PLUGIN_WHAT: ClassVar[str] = "actor attribute"
    PLUGIN_ARTICLE: ClassVar[str] = "an"

    weight: Unit | None = Field(default=None, description="Political weight in national politics, 0..1.")
    organization: Unit | None = Field(default=None, description="Organizational capacity, 0..1.")
    arms: Unit | None = Field(default=None, description="Access to arms, 0..1.")
    radicalism: Signed | None = Field(default=None, description="Position: -1 far right .. +1 far left.")
    support: Unit | None = Field(default=None, description="Support for the incumbent government, 0..1.")
    mobilization: Unit | None = Field(default=None, description="Share mobilized, 0..1.")
    cohesion: Unit | None = Field(default=None, description="Internal unity, 0..1.")


class ActorAttributes(ActorState):
    """An actor's state at the start plus its fixed traits (and the attributes the scenario's plug-ins declare,
    ``NEW_ACTOR_STATE``). Omitted ones come from ``actor_defaults``."""

    threshold: NonNegative | None = Field(default=None, description="Mobilization threshold of the cascade (M6); fixed for a scenario.")


ATTRIBUTE_NAMES: tuple[str, ...] = tuple(ActorAttributes.model_fields)


class Actor(ActorAttributes):
    """A collective actor of the political system."""

    id: Identifier
    name: str
    kind: ActorKind
    checklist: tuple[str, ...] = Field(default_factory=tuple, description="DESIGN checklist items this actor covers, e.g. 'A1'.")
    description: str
    size: Unit | None = Field(default=None, description="Demographic share (of the labour force, the officer corps...), if known.")
    provenance: Provenance


class Government(Frozen):
    """The incumbent government."""

    type: RegimeKey
    leader: str
    coalition: tuple[ActorRef, ...] = Field(default_factory=tuple)
    policy: Signed
    progressive_room: Unit
    provenance: Provenance


class SystemState(PluginValues):
    """System-level state variables (see ``coyuntura.engine.state``). A variable that no mechanism of the scenario reads
    may be left out (it starts at 0); the scenario's checks require every one a mechanism reads. Besides the engine's,
    it takes the variables plug-in mechanisms declare (``NEW_STATE``), each within the bounds its mechanism gives."""

    corruption: Optional[Unit] = None
    mystification_urban: Optional[Unit] = None
    mystification_rural: Optional[Unit] = None
    army_capacity: Optional[Unit] = None
    dependence: Optional[Unit] = None
    squeeze: Optional[Unit] = None
    hardship: Optional[Unit] = None
    left_unity: Optional[Unit] = None
    revolutionary_unity: Optional[Unit] = Field(
        default=None, description="Unity of the revolutionary Left, the factions no government co-opts: it would organize a Popular Assembly and lead the workers to power, 0..1."
    )
    repression_memory: Optional[Unit] = None
    differentiation: Optional[Unit] = None
    patron_hostility: Optional[Unit] = None
    nationalist_pressure: Optional[Unit] = None
    coup_memory: Optional[Unit] = Field(default=None, description="Politicization of the officer corps after recent coup attempts (the coup trap), 0..1.")
    polarization: Optional[Unit] = None
    popular_power: Optional[Unit] = Field(default=None, description="The power the masses have shown by defeating a coup in the streets, fading with time, 0..1.")
    guerrilla_defeats: Optional[NonNegative] = None

    def value(self, name: str) -> float:
        """The starting value of a system variable: as given, else 0 (the scenario's checks ensure nothing reads it)."""
        quantity = self.given(name)
        return quantity.value if quantity is not None else 0.0


class Regime(Frozen):
    """What a government of one regime type stands for in this scenario: whom it governs with, and the policy it
    starts from. Every change of government (a coup, a ruler's death, a handover, an insurrection) installs them."""

    label: Optional[Annotated[str, StringConstraints(min_length=1, max_length=80)]] = Field(
        default=None, description="How reports name this type in the scenario (default: the engine's name, e.g. 'Right military government / police state')."
    )
    colour: Optional[Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]] = Field(
        default=None, description="Its colour in charts, as #rrggbb (default: the engine's)."
    )
    coalition: tuple[ActorRef, ...] = Field(description="The actors a new government of this type governs with, whatever brought it in.")
    policy: Signed = Field(description="The policy a new government of this type starts from, unless its founders bring their own.")
    note: Optional[str] = Field(default=None, description="How the scenario reads this type (who would govern, and why).")


class Regimes(Frozen):
    """One entry per regime type of the engine: a run may reach any of them, even those the period never saw."""

    civilian_nationalist: Regime
    right_military: Regime
    nationalist_military: Regime
    workers_government: Regime
    civilian_elected: Regime


if tuple(Regimes.model_fields) != get_args(RegimeKey):  # one list of regime types
    raise ImportError(f"Regimes declares {tuple(Regimes.model_fields)}, not the regime types {get_args(RegimeKey)}")


class SystemOverride(SystemState):
    """The system variables a snapshot describes differently from the start (every one optional, a plug-in's too)."""


class Holding(Frozen):
    """A named property a government may nationalize (M14): who owns it and where the source names it."""

    id: Identifier
    name: str
    owner: Literal["patron", "foreign", "domestic"] = Field(description="Whose capital: the foreign patron's, another foreign power's, or national private capital.")
    nationalized: StrictBool = Field(default=False, description="Already in state hands at the scenario's start.")
    created_by_concessions: StrictBool = Field(
        default=False,
        description="Only exists once a government grants concessions to foreign capital (M14); once a government has taken it, a later concession does not bring it back.",
    )
    available_from: Optional[MonthField] = Field(default=None, description="The month the holding comes into being, if after the start.")
    provenance: Provenance


class Relation(Frozen):
    """A directed tie: ``influence`` (contact, radicalization, cascade pull) or ``alliance`` (resources)."""

    source: ActorRef = Field(alias="from")
    target: ActorRef = Field(alias="to")
    kind: Literal["influence", "alliance"]
    weight: Unit


class EventBase(Provenance):
    id: Identifier
    month: MonthField
    description: str


class LeaderDeath(EventBase):
    """The incumbent leader dies (an exogenous shock); the army picks a successor."""

    kind: Literal["leader_death"]
    applies_to: RegimeKey
    nationalist_successor_intercept: Coefficient
    nationalist_pressure_coef: NonNegative
    successor_policy: Signed


class GuerrillaArrival(EventBase):
    """A guerrilla foco arrives from outside the system."""

    kind: Literal["guerrilla_arrival"]
    actor: ActorRef
    organization: Unit
    arms: Unit


class ActorShock(EventBase):
    """Set one attribute of one actor (for interventions and what-ifs)."""

    kind: Literal["actor_shock"]
    actor: ActorRef
    attribute: Identifier = Field(description="weight, organization, arms, radicalism, support, mobilization, cohesion, or an actor attribute a mechanism of the scenario declares (NEW_ACTOR_STATE).")
    value: Quantity


class SystemShock(EventBase):
    """Set one system variable in every run (a collapse of export prices, a cut-off of foreign credit, a war's hardship)."""

    kind: Literal["system_shock"]
    variable: Identifier = Field(description="A system variable of the engine (but guerrilla_defeats), or one a mechanism of the scenario declares (NEW_STATE).")
    value: Unit


class GovernmentChange(EventBase):
    """A change of government the model's mechanisms do not make (an election's result, a government imposed from
    abroad): in every run a government of type ``regime`` takes office with the coalition the scenario declares for that
    type (``regimes``), from its declared policy or the ``policy`` given here."""

    kind: Literal["government_change"]
    regime: RegimeKey
    policy: Optional[Signed] = None


class ForeignIntervention(EventBase):
    """A foreign power commits force to one side of any coup fought from ``month`` to ``until`` (troops, air cover, an
    invasion force, or a blockade of the plotters): the force is added to that side in the contest (M5), in units of
    the popular camp's political weight, as the army factions' forces are."""

    kind: Literal["foreign_intervention"]
    until: MonthField
    side: Literal["government", "plotters"]
    force: NonNegative

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> "ForeignIntervention":
        if self.until < self.month:
            raise ValueError(f"until ({format_month(self.until)}) is before the intervention's month ({format_month(self.month)})")
        return self


class Election(EventBase):
    """A scheduled election, held where the government in office is of a type in ``applies_to``. The incumbent keeps
    office with the probability the mechanism ``decided_by`` gives (its ``incumbent_keeps_office``), or else with
    probability logistic(incumbent_intercept + legitimacy_coef x (legitimacy - 0.5)), legitimacy being the government's
    support across civil society (weighted by organized weight); otherwise a government of type ``challenger`` takes
    office, with the coalition and policy the scenario declares for it."""

    kind: Literal["election"]
    applies_to: tuple[RegimeKey, ...] = Field(default=("civilian_nationalist", "civilian_elected"), min_length=1)
    challenger: RegimeKey
    decided_by: Optional[Identifier] = Field(
        default=None, description="A mechanism of the scenario whose incumbent_keeps_office(state, params, month) decides the vote."
    )
    incumbent_intercept: Optional[Coefficient] = Field(default=None, description="Without decided_by: the rule's intercept.")
    legitimacy_coef: Optional[NonNegative] = Field(default=None, description="Without decided_by: how much legitimacy counts.")
    incumbent_policy: Optional[Signed] = Field(
        default=None, description="Where the incumbent's side wins: the policy its new term starts from (a successor's programme); default: unchanged."
    )

    @model_validator(mode="after")
    def _one_rule(self) -> "Election":
        rule = (self.incumbent_intercept is not None, self.legitimacy_coef is not None)
        if self.decided_by is not None and any(rule):
            raise ValueError("give either 'decided_by' (a mechanism decides the vote) or 'incumbent_intercept' and 'legitimacy_coef', not both")
        if self.decided_by is None and not all(rule):
            raise ValueError("give 'incumbent_intercept' and 'legitimacy_coef' (the rule on legitimacy), or 'decided_by' (a mechanism)")
        return self


Event = Annotated[
    Union[LeaderDeath, GuerrillaArrival, ActorShock, SystemShock, GovernmentChange, ForeignIntervention, Election],
    Field(discriminator="kind"),
]


def recorded_kinds(event: Any) -> tuple[str, ...]:
    """The kinds of event a scheduled event records in the log (coyuntura.engine.exogenous applies it)."""
    if isinstance(event, LeaderDeath):
        return ("leader_death", "succession", "government_change")
    if isinstance(event, GuerrillaArrival):
        return ("guerrilla_foco",)
    if isinstance(event, (GovernmentChange, Election)):
        return ("government_change",)
    if isinstance(event, (ActorShock, SystemShock)):
        return ("shock",)
    if isinstance(event, ForeignIntervention):
        return ("foreign_intervention",)
    return ()


class ActorOverride(ActorState):
    """An actor's state as described at a snapshot's month, the plug-ins' attributes among it (fixed traits such as the
    threshold stay; a snapshot cannot restate them)."""


class Snapshot(Frozen):
    """The state the source describes at a later month, from which a run may start."""

    id: Identifier
    month: MonthField
    description: str
    government: Government
    actors: dict[ActorRef, ActorOverride] = Field(default_factory=dict)
    system: SystemOverride = Field(default_factory=SystemOverride)
    assembly: StrictBool = False
    nationalized: tuple[Identifier, ...] = Field(default_factory=tuple, description="Holdings in state hands by this month.")

    def overridden_paths(self) -> set[str]:
        """The value paths of the scenario's start (``government.policy``, ``actors.ID.ATTRIBUTE``,
        ``system.VARIABLE``) whose values a run from this snapshot does not start from: the snapshot gives
        its own government whole, and its own value for each actor attribute and system variable it lists."""
        paths = {f"government.{name}" for name in Government.model_fields}
        for actor, override in self.actors.items():
            paths |= {f"actors.{actor}.{name}" for name in [*ActorOverride.model_fields, *override.plugin_variables()] if override.given(name) is not None}
        paths |= {f"system.{name}" for name in type(self.system).model_fields if getattr(self.system, name) is not None}
        paths |= {f"system.{name}" for name in self.system.plugin_variables()}
        return paths


ExperimentId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]

SetValue = Union[StrictBool, StrictInt, StrictFloat, str, tuple[str, ...]]
"""What ``set:`` may give a value path: a number, a boolean, a word, or a list of words (actor ids)."""


class Experiment(Frozen):
    """A named what-if: start from a snapshot (or the start), change values and events, compare with the baseline."""

    id: ExperimentId
    title: str
    description: str
    start: Optional[str] = Field(default=None, alias="from", description="Snapshot id or its month YYYY-MM; default: the scenario's start.")
    until: Optional[MonthField] = Field(default=None, description="Last month simulated; default: two years after a snapshot start, else the calendar's end.")
    changes: dict[str, SetValue] = Field(default_factory=dict, alias="set", description="Value path -> new value (see coyuntura.scenario.paths).")
    add_events: tuple[Event, ...] = Field(default_factory=tuple)
    cancel_events: tuple[Identifier, ...] = Field(default_factory=tuple)
    provenance: Provenance


OutcomeKey = Identifier
"""An outcome: one of ``coyuntura.engine.outcomes.OUTCOMES`` (e.g. ``coup_success``), or a kind of event a mechanism of
the scenario declares of its own (``NEW_EVENTS``); the scenario's checks refuse any other."""


class Observation(Provenance):
    """One dated fact of the observed timeline (for calibration, scores and forecasts).

    It says whether an ``outcome`` happened at least once in a month or window (a
    nationalization may name the ``holding`` taken over;
    ``observed: false`` records a quiet period: none of that kind happened; for a
    standing condition, ``left_front``, whether it held at any time in it, as it opened included), or
    whether a ``regime`` type governed at the end of every month of it (``false``:
    at none). Dates are as the record gives them: a year is a 12-month window.
    Like every statement it cites the analysis (``source``) or says where else it
    comes from (``assumption``: another history, a data set), so a record may hold
    facts the analysis does not state.
    """

    id: Identifier
    outcome: Optional[OutcomeKey] = Field(
        default=None, description="The event kind observed: an outcome of the engine, or a kind of event a mechanism of the scenario declares."
    )
    holding: Optional[Identifier] = Field(
        default=None,
        description="With outcome nationalization only: the named holding (an id of holdings:) taken over; without it, any.",
    )
    regime: Optional[RegimeKey] = Field(default=None, description="Or: the regime type observed in power.")
    month: Optional[MonthField] = Field(default=None, description="The month it happened (or held).")
    window: Optional[tuple[MonthField, MonthField]] = Field(default=None, description="Or: [first, last] month, as the record dates it.")
    observed: StrictBool = Field(description="true: it happened (or held); false: a quiet period, none happened (or it never held).")
    description: str

    @field_validator("outcome")
    @classmethod
    def _known_outcome(cls, value: Optional[str], info: ValidationInfo) -> Optional[str]:
        """An outcome of the engine or a kind of event some available mechanism declares (the scenario's checks then
        require a mechanism the scenario uses to declare it)."""
        registry = _registry(info)
        known = OUTCOME_KEYS + tuple(declared_events(registry.get(name) for name in registry.names()))
        if value is not None and value not in known:
            raise ValueError(unknown_outcome(value, known))
        return value

    @model_validator(mode="after")
    def _well_formed(self) -> "Observation":
        if (self.outcome is None) == (self.regime is None):
            raise ValueError("give exactly one of 'outcome' (an event kind) or 'regime' (a regime type)")
        if self.holding is not None and self.outcome != "nationalization":
            raise ValueError(f"'holding' names what a nationalization took: it goes with outcome nationalization, not {self.outcome or 'a regime'}")
        if (self.month is None) == (self.window is None):
            raise ValueError("give exactly one of 'month' (YYYY-MM) or 'window' ([first, last])")
        if self.window is not None and self.window[0] > self.window[1]:
            raise ValueError(f"window must run forward, got {format_month(self.window[0])}..{format_month(self.window[1])}")
        return self

    @property
    def first(self) -> int:
        return self.month if self.month is not None else self.window[0]  # type: ignore[index]

    @property
    def last(self) -> int:
        return self.month if self.month is not None else self.window[1]  # type: ignore[index]

    @property
    def key(self) -> str:
        """The outcome key, or the regime key."""
        return self.outcome if self.outcome is not None else self.regime  # type: ignore[return-value]


class NotRepresented(Frozen):
    """A checklist item the scenario cannot represent, and why."""

    item: str
    reason: str


REGISTRY_CONTEXT = "mechanism_registry"
"""Validation context key: the :class:`~coyuntura.scenario.plugins.MechanismRegistry` a scenario's mechanisms come from
(default: the installed mechanisms)."""


class Mechanisms(BaseModel):
    """The parameters of each mechanism the scenario uses, by name (each its mechanism's ``Params``).

    A scenario lists only the mechanisms it uses; ``scenario.mechanisms.coup`` is the coup's parameters, and
    :meth:`get` answers ``None`` for a mechanism the scenario does not use."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @model_validator(mode="wrap")
    @classmethod
    def _by_registry(cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        if isinstance(value, Mechanisms):
            return value
        registry = _registry(info)
        if not isinstance(value, dict):
            raise ValueError(f"mechanisms must be a mapping of mechanism names to their parameters, not {type(value).__name__}")
        for name in value:
            if name not in registry:
                _refuse(name, value[name], "unknown_mechanism", f"no mechanism is called {name!r}; known: {', '.join(registry.names())}")
        typed = _typed_model(registry).model_validate(value, context=info.context)
        used = {name: getattr(typed, name) for name in value}
        for name in used:
            for needed in getattr(registry.get(name), "REQUIRES", ()):
                if needed not in used:
                    _refuse(name, value[name], "missing_mechanism", f"the mechanism {name!r} needs the mechanism {needed!r}: add mechanisms.{needed}")
        return handler(used)

    def names(self) -> tuple[str, ...]:
        """The mechanisms the scenario uses, in the order it lists them."""
        return tuple(self.__pydantic_extra__ or {})

    def get(self, name: str) -> Any:
        """A mechanism's parameters, or ``None`` where the scenario does not use it."""
        return (self.__pydantic_extra__ or {}).get(name)

    def __contains__(self, name: object) -> bool:
        return name in (self.__pydantic_extra__ or {})

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            """``scenario.mechanisms.coup``: pydantic keeps the values as extras and answers attribute access."""


def _refuse(name: str, value: Any, kind: str, message: str) -> NoReturn:
    """Fail validation at the key ``name`` of the block being validated (``mechanisms.<name>``, ``system.<name>``), so
    the error names that key's line."""
    error = PydanticCustomError(kind, message)
    raise ValidationError.from_exception_data("Scenario", [InitErrorDetails(type=error, loc=(name,), input=value)])


def _registry(info: ValidationInfo) -> MechanismRegistry:
    context = info.context if isinstance(info.context, dict) else {}
    registry = context.get(REGISTRY_CONTEXT)
    return registry if isinstance(registry, MechanismRegistry) else installed_mechanisms()


@lru_cache(maxsize=8)
def _typed_model(registry: MechanismRegistry) -> type[BaseModel]:
    """A model with one optional field per mechanism of the registry, to validate blocks with located errors."""
    fields: dict[str, Any] = {name: (Optional[registry.get(name).Params], None) for name in registry.names()}
    return create_model("Mechanisms", __base__=Frozen, **fields)


ScenarioId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]


class Scenario(Frozen):
    """A whole scenario: validated, immutable, never evaluated as code."""

    id: ScenarioId
    title: str
    description: str
    source_document: Optional[SourceDocument] = Field(
        default=None, description="The analysis encoded (a line-numbered text); a scenario needs it, or `sources`, or both."
    )
    sources: Optional[tuple[Source, ...]] = Field(
        default=None, description="Further sources, cited as '<id>: <where>' (e.g. 'drake: pp. 12-14'); a scenario may also cite only these."
    )
    checklist: Optional[tuple[ChecklistItem, ...]] = Field(
        default=None, description="The scenario's own checklist: what its analysis says the model must contain (`sources` reports its coverage)."
    )
    calendar: Calendar
    actor_defaults: ActorAttributes
    actors: tuple[Actor, ...] = Field(min_length=1)
    government: Government
    system: SystemState
    holdings: tuple[Holding, ...] = Field(default_factory=tuple, description="Named holdings a government may nationalize (M14).")
    regimes: Optional[Regimes] = Field(
        default=None,
        description="Whom each regime type governs with and the policy it starts from: needed when a mechanism or event changes governments.",
    )
    relations: tuple[Relation, ...] = Field(default_factory=tuple)
    mechanism_modules: Optional[tuple[str, ...]] = Field(
        default=None,
        description="Python files defining mechanisms of the scenario's own, relative to the scenario file (see coyuntura.scenario.plugins).",
    )
    mechanisms: Mechanisms
    events: tuple[Event, ...] = Field(default_factory=tuple)
    snapshots: tuple[Snapshot, ...] = Field(default_factory=tuple)
    not_represented: tuple[NotRepresented, ...] = Field(default_factory=tuple)
    experiments: tuple[Experiment, ...] = Field(default_factory=tuple)
    observations: tuple[Observation, ...] = Field(default_factory=tuple)

    _mechanism_files: tuple[str, ...] = PrivateAttr(default=())
    """Absolute paths of the files named in ``mechanism_modules`` (set by the loader, which knows where the file is)."""

    @model_validator(mode="after")
    def _cites_something(self) -> "Scenario":
        if self.source_document is None and not self.sources:
            raise ValueError("give the analysis the scenario encodes ('source_document'), further 'sources', or both")
        return self

    @property
    def analysis_title(self) -> str:
        """The title of the analysis the scenario encodes (``source_document``), or "" when it cites only ``sources``."""
        return self.source_document.title if self.source_document is not None else ""

    @property
    def source_ids(self) -> tuple[str, ...]:
        """The ids of the further sources, by which a ``source:`` cites one (``'<id>: <where>'``)."""
        return tuple(source.id for source in self.sources or ())

    def cited_sources(self) -> tuple[str, ...]:
        """One line per source the scenario cites: the analysis first, then its further sources."""
        lines = []
        if self.source_document is not None:
            document = self.source_document
            lines.append(f"{document.author} ({document.year}), {document.title}")
        lines += [f"[{source.id}] {source.describe()}" for source in self.sources or ()]
        return tuple(lines)

    def mechanism_registry(self) -> MechanismRegistry:
        """Where this scenario's mechanisms come from: the installed ones, plus its own files."""
        return registry_with_files(self._mechanism_files)

    def regime_labels(self) -> tuple[str, ...]:
        """The name of each regime type (in ``REGIME_KEYS`` order) in this scenario: its own label, else the engine's."""
        keys = get_args(RegimeKey)
        declared = [getattr(self.regimes, key).label if self.regimes is not None else None for key in keys]
        return tuple(label or REGIME_LABELS[key] for key, label in zip(keys, declared))

    def regime_colours(self) -> tuple[Optional[str], ...]:
        """The chart colour each regime type (in ``REGIME_KEYS`` order) is given by this scenario, or None for the engine's."""
        return tuple(getattr(self.regimes, key).colour if self.regimes is not None else None for key in get_args(RegimeKey))

    def scheduled_event_kinds(self) -> tuple[str, ...]:
        """The kinds of event the scheduled events record: a ruler's death brings a palace succession and a new
        government (regime_exit's succession rule), a guerrilla's arrival a foco, a government change or a lost election
        a new government, a shock a shock, a foreign intervention its start (``recorded_kinds``)."""
        kinds = {kind for event in self.events for kind in recorded_kinds(event)}
        return tuple(kind for kind in EVENT_KINDS if kind in kinds)

    def mechanism_schedule(self) -> tuple[Any, ...]:
        """The mechanisms this scenario uses, in the order they run each month."""
        return self.mechanism_registry().schedule(self.mechanisms.names())

    def actor(self, actor_id: str) -> Actor:
        for actor in self.actors:
            if actor.id == actor_id:
                return actor
        raise KeyError(actor_id)

    def snapshot(self, snapshot_id: str) -> Snapshot:
        for snapshot in self.snapshots:
            if snapshot.id == snapshot_id or format_month(snapshot.month) == snapshot_id:
                return snapshot
        known = ", ".join(f"{s.id} ({format_month(s.month)})" for s in self.snapshots) or "none"
        raise KeyError(f"no snapshot {snapshot_id!r} in scenario {self.id!r}; snapshots: {known}")

    def default_until(self, start: str | None) -> int:
        """The last month runs from ``start`` (a snapshot's id or month; ``None``: the scenario's start) simulate when
        not told: :data:`DEFAULT_HORIZON_MONTHS` past a snapshot (within the horizon), else the calendar's end. (The
        engine's own ``simulate`` keeps the calendar's end unless given ``until``: it is told its span.)"""
        if start is None:
            return self.calendar.end
        return min(self.snapshot(start).month + DEFAULT_HORIZON_MONTHS, self.calendar.horizon)

    def span(self, start: str | None = None, until: int | None = None) -> tuple[int, int]:
        """The first and last months of runs from ``start`` (a snapshot's id or month; ``None``: the scenario's start)
        to ``until`` (``None``: :meth:`default_until`), checked by :meth:`check_until`."""
        first = self.snapshot(start).month if start is not None else self.calendar.start
        return first, self.check_until(first, self.default_until(start) if until is None else until)

    def check_until(self, first: int, until: int, option: str = "until") -> int:
        """``until``, the last month of runs that start in ``first``, if it lies from ``first`` to the horizon; else a
        ``ValueError`` naming ``option`` (``--until`` on the command line)."""
        if isinstance(until, bool) or not isinstance(until, (int, np.integer)):
            raise ValueError(f"{option} must be a month index (an int; coyuntura.scenario.calendar.parse_month reads 'YYYY-MM'), got {until!r}")
        until = int(until)
        if until < first:
            shown = format_month(until) if until >= 0 else f"month index {until}"
            raise ValueError(f"{option} {shown} is before the start {format_month(first)}")
        if until > self.calendar.horizon:
            raise ValueError(f"{option} {format_month(until)} is past the scenario's horizon {format_month(self.calendar.horizon)}")
        return until

    def experiment(self, experiment_id: str) -> Experiment:
        for experiment in self.experiments:
            if experiment.id == experiment_id:
                return experiment
        known = ", ".join(e.id for e in self.experiments) or "none"
        raise KeyError(f"no experiment {experiment_id!r} in scenario {self.id!r}; experiments: {known}")

    def starting_value(self, actor: Actor, name: str) -> float:
        """An actor's attribute at the start: its own, else ``actor_defaults``', else 0 (a plug-in's attribute no
        mechanism reads, which the scenario's checks let it leave out)."""
        quantity = actor.given(name) or self.actor_defaults.given(name)
        return quantity.value if quantity is not None else 0.0

    def attribute(self, actor: Actor | ActorOverride, name: str) -> Quantity:
        """An actor's attribute (the engine's or a plug-in's), falling back on ``actor_defaults``."""
        value = actor.given(name)
        if value is None:
            value = self.actor_defaults.given(name)
        if value is None:
            raise KeyError(name)
        return value
