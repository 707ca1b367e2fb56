"""Chronicles: one run's event log as dated plain-English lines, each tied to its mechanism.

A line reads like::

    1964-11  Coup attempt by the right-wing army faction, backed by the national bourgeoisie and the
             United States: it succeeds.  [coup, M5]

and carries, besides its text, the mechanism that produced it (name, title, the
DESIGN checklist items it covers) and that mechanism's source locators in
structured form (:class:`Locator`), so that a page can link each line to the
passages of the source it encodes. Scheduled exogenous events are logged under
the mechanism ``exogenous_events`` and cite the scenario event's own source.

Because every run's random stream depends only on (seed, start, run index),
the chronicle of run ``K`` is the same whether run ``K`` is simulated alone
(:func:`chronicle`) or inside a batch (:func:`chronicle_from_events`).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Callable, Collection

import numpy as np

from ..engine.events import EventType, Outcome, actors_in_mask, holding_index
from ..engine.government import NEW_GOVERNMENT_OUTCOME
from ..engine.model import EVENTS_MECHANISM, Model
from ..engine.simulate import simulate
from ..engine.state import REGIME_KEYS
from ..scenario.calendar import format_month
from ..scenario.plugins import MechanismRegistry, cited_passages, installed_mechanisms
from ..scenario.quantities import LOCATOR_PATTERN, cited_source
from ..scenario.schema import ActorShock, Election, ForeignIntervention, GovernmentChange, GuerrillaArrival, LeaderDeath, SystemShock
from ..scenario.vocabulary import REGIME_LABELS

EXOGENOUS_TITLE = "Scheduled exogenous events"

# Words that stay capitalized at the start of an actor's name in mid-sentence.
_PROPER_WORDS = frozenset({"Bolivian", "Christian", "Catholic", "Marxist", "Soviet", "Santa", "La", "Independent", "United"})


@dataclass(frozen=True)
class Locator:
    """A passage of the source: section title and inclusive line range, plus the locator text."""

    section: str
    start: int
    end: int
    text: str

    @classmethod
    def parse(cls, text: str, further: Collection[str] = ()) -> "Locator | None":
        """The passage of the analysis ``text`` cites, or None (a malformed locator, or a place in one of the scenario's
        ``further`` sources)."""
        match = LOCATOR_PATTERN.match(text.strip())
        if match is None or cited_source(text, further) is not None:
            return None
        start = int(match.group("start"))
        return cls(match.group("section"), start, int(match.group("end") or start), text.strip())


@dataclass(frozen=True)
class MechanismInfo:
    """What a chronicle line says about the mechanism that produced it."""

    name: str
    title: str
    covers: tuple[str, ...]
    locators: tuple[Locator, ...]


@dataclass(frozen=True)
class ChronicleLine:
    """One event of one run, as a sentence, with the mechanism behind it."""

    run: int
    month: int
    event: str
    outcome: str
    actors: tuple[str, ...]
    text: str
    mechanism: str
    mechanism_title: str
    covers: tuple[str, ...]
    locators: tuple[Locator, ...]

    @property
    def date(self) -> str:
        """The month as ``YYYY-MM``."""
        return format_month(self.month)

    @property
    def tag(self) -> str:
        """``[coup, M5]``: the mechanism's name and the checklist items it covers."""
        return "[" + ", ".join((self.mechanism, *self.covers)) + "]"

    def render(self) -> str:
        """The line as plain text: date, sentence, mechanism tag."""
        return f"{self.date}  {self.text}  {self.tag}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, locators as ``{section, start, end, text}``."""
        data = asdict(self)
        data["date"] = self.date
        data["actors"] = list(self.actors)
        data["covers"] = list(self.covers)
        data["locators"] = [asdict(locator) for locator in self.locators]
        return data


# --- naming actors -------------------------------------------------------------------------------


def short_name(name: str) -> str:
    """An actor's name for prose: explanatory parentheses dropped, acronyms like ``(PCB)`` kept."""
    shorter = re.sub(r"\s*\(([^)]*)\)", lambda m: m.group(0) if m.group(1).isupper() else "", name)
    return shorter.strip() or name


def mid_sentence(text: str) -> str:
    """A name as it reads mid-sentence: a leading article or common word lower-cased (``part of the sugar industry``),
    a proper name kept (``Gulf Oil's holdings``, ``Bolivian Communist Party``)."""
    words = text.split()
    if not words:
        return text
    if words[0] in ("The", "the"):
        return "the " + " ".join(words[1:])
    first = words[0]
    following_capitalized = len(words) > 1 and words[1][:1].isupper()
    if first[:1].isupper() and first[1:] == first[1:].lower() and first not in _PROPER_WORDS and not following_capitalized:
        return first[0].lower() + text[1:]
    return text


def actor_phrase(name: str) -> str:
    """The actor as a noun phrase for mid-sentence: ``the right-wing army faction``, ``the United States``."""
    text = mid_sentence(short_name(name))
    return text if text.startswith("the ") else "the " + text


def join_phrases(phrases: list[str], limit: int = 6) -> str:
    """``a``, ``a and b``, ``a, b and c``; past ``limit`` the rest are counted."""
    if not phrases:
        return ""
    if len(phrases) > limit:
        phrases = phrases[: limit - 1] + [f"{len(phrases) - limit + 1} other actors"]
    if len(phrases) == 1:
        return phrases[0]
    # Names that contain "and" themselves get a serial comma, so the list stays readable.
    last = ", and " if any(" and " in phrase for phrase in phrases) else " and "
    return ", ".join(phrases[:-1]) + last + phrases[-1]


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- sentence templates --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    model: Model
    actors: list[int]
    outcome: Outcome
    mechanism: str
    month: int
    holding: int | None = None  # a nationalization's holding (its index in the scenario's holdings:)

    def names(self, indices: list[int] | None = None) -> str:
        indices = self.actors if indices is None else indices
        return join_phrases([actor_phrase(self.model.actor_names[i]) for i in indices])

    @property
    def who(self) -> str:
        return self.names() or "the popular organizations"


def _holding(model: Model, event: int, outcome: int) -> int | None:
    """The holding a nationalization took (None for another kind of event, or a code that names no holding)."""
    if int(event) != int(EventType.NATIONALIZATION):
        return None
    index = holding_index(int(outcome))
    return index if index is not None and index < len(model.holding_ids) else None


def _holding_name(c: _Context) -> str:
    """The holding as a phrase for mid-sentence: ``part of the sugar industry``, ``Gulf Oil's holdings``."""
    if c.holding is None:
        return "foreign-owned property"
    return mid_sentence(c.model.scenario.holdings[c.holding].name)


def _outcome_word(model: Model, event: int, outcome: int) -> str:
    """A log row's outcome as a word: its :class:`Outcome`'s name, or the id of the holding a nationalization took."""
    holding = _holding(model, event, outcome)
    if holding is not None:
        return model.holding_ids[holding]
    return Outcome(outcome).name.lower() if outcome in Outcome._value2member_map_ else str(outcome)


def _params(model: Model, mechanism: str) -> Any:
    return model.params.get(mechanism)


def _coup(c: _Context) -> str:
    p = _params(c.model, "coup")
    right = getattr(p, "right_faction", None)
    regional = getattr(p, "regional_elite", None)
    order = list(getattr(p, "backers", []) or [])
    if right in c.actors:
        plotter = right
    elif regional in c.actors:
        plotter = regional
    else:
        armies = [i for i in c.actors if c.model.scenario.actors[i].kind == "army"]
        plotter = next(iter(armies or c.actors), None)
    backers = [i for i in order if i in c.actors and i != plotter]
    backers += [i for i in c.actors if i not in backers and i != plotter]
    subject = actor_phrase(c.model.actor_names[plotter]) if plotter is not None else "a military faction"
    if backers:
        subject += f", backed by {c.names(backers)}"
    kind = "Regional coup attempt" if plotter is not None and plotter == regional and plotter != right else "Coup attempt"
    result = {
        Outcome.SUCCESS: "it succeeds",
        Outcome.FAILURE: "it fails",
        Outcome.DEFEATED_BY_MOBILIZATION: "it is defeated by a general strike and the armed mobilization of the masses",
    }.get(c.outcome, "the outcome is unclear")
    return f"{kind} by {subject}: {result}."  # no verb to agree with a plotter named in the singular or the plural


def _succession(c: _Context) -> str:
    if c.mechanism == EVENTS_MECHANISM:
        lead = "The army chooses the successor"
    elif c.actors:
        lead = f"The officers who led the defence ({c.names()}) take the presidency"
    else:
        lead = "The presidency changes hands"
    successor = _new_government(c.model, c.outcome) if c.outcome in _SUCCESSORS else None
    return f"{lead}: {successor}." if successor is not None else f"{lead}."


_SUCCESSORS = (Outcome.TO_NATIONALIST, Outcome.TO_RIGHT, Outcome.TO_CIVILIAN_ELECTED)
"""The governments a succession may install: a nationalist or a right military one, or an elected civilian one."""

_NEW_GOVERNMENT = {
    Outcome.TO_NATIONALIST: "a nationalist military government",
    Outcome.TO_RIGHT: "a right-wing military government",
    Outcome.TO_CIVILIAN_NATIONALIST: "a civilian revolutionary-nationalist government",
    Outcome.TO_WORKERS: "a workers' government",
    Outcome.TO_CIVILIAN_ELECTED: "an elected civilian government",
}
"""The engine's words for the new government each outcome of a change of government installs."""

_NEW_REGIME = {outcome: REGIME_KEYS[int(regime)] for regime, outcome in NEW_GOVERNMENT_OUTCOME.items()}
"""The regime type each outcome of a change of government installs."""


def _new_government(model: Model, outcome: Outcome) -> str | None:
    """The new government an outcome installs, under the scenario's own name for its type where it gives one (its
    ``regimes`` label), else in the engine's words; None for an outcome that installs none."""
    key = _NEW_REGIME.get(outcome)
    if key is None:
        return None
    label = model.scenario.regime_labels()[REGIME_KEYS.index(key)]
    return label if label != REGIME_LABELS[key] else _NEW_GOVERNMENT[outcome]


def _government_change(c: _Context) -> str:
    return f"New government: {_new_government(c.model, c.outcome) or 'a new government'} takes office."


def _handover(c: _Context) -> str:
    return "Under pressure from below and divided within, the officers hand power to civilians and call elections."


def _cabinet(c: _Context) -> str:
    left = c.names() or "the Left parties"
    if c.outcome == Outcome.ACCEPTED:
        return f"The new president offers the Marxist Left half the cabinet; {left} accept and enter the government."
    if c.outcome == Outcome.DECLINED:
        return f"The new president offers the Marxist Left half the cabinet; {left} cannot agree to take it, and decline."
    return f"The new president offers {left} posts in the cabinet."


def _workers_government(c: _Context) -> str:
    if c.outcome == Outcome.SUCCESS:
        return f"{_capitalize(c.who)} take power: a workers' government is established."
    if c.outcome == Outcome.FAILURE:
        return f"{_capitalize(c.who)} try to take power, but the bid for a workers' government fails."
    return f"{_capitalize(c.who)} make a bid for a workers' government."


def _guerrilla_foco(c: _Context) -> str:
    if c.mechanism == EVENTS_MECHANISM:
        return f"A guerrilla foco arrives from outside and opens a front ({c.names() or 'the guerrillas'})."
    fighters = [i for i in c.actors if c.model.scenario.actors[i].kind == "guerrilla"]
    recruits = [i for i in c.actors if i not in fighters]
    text = f"A new guerrilla foco takes the field ({c.names(fighters) if fighters else 'a new band'})"
    return text + (f", recruiting among {c.names(recruits)}." if recruits else ".")


TEMPLATES: dict[EventType, Callable[[_Context], str]] = {
    EventType.COUP_ATTEMPT: _coup,
    EventType.GENERAL_STRIKE: lambda c: f"{_capitalize(c.who)} call a general strike.",
    EventType.MASS_MOBILIZATION: lambda c: f"Mass mobilization: {c.who} take to the streets.",
    EventType.REPRESSION_WAVE: lambda c: (
        f"A wave of repression strikes {c.who}: militants are killed and jailed, union radio and press seized."
    ),
    EventType.NATIONALIZATION: lambda c: (
        f"The government nationalizes {_holding_name(c)}" + (f", to the benefit of {c.names()}." if c.actors else ".")
    ),
    EventType.AUSTERITY_PACKAGE: lambda c: (
        f"Under pressure from {c.names() or 'its creditors'}, the government adopts an austerity package: "
        "devaluation and a wage freeze."
    ),
    EventType.FOREIGN_CONCESSION: lambda c: (
        "The government grants a concession to foreign capital" + (f" ({c.names()})." if c.actors else ".")
    ),
    EventType.LEFT_UNITY: lambda c: f"The Left unites: {c.names() or 'the Left parties'} agree on common action.",
    EventType.LEFT_SPLIT: lambda c: f"The Left splits: {c.names() or 'the Left parties'} go their separate ways.",
    EventType.POPULAR_ASSEMBLY: lambda c: (
        f"A Popular Assembly forms beside the government, bringing together {c.who}: dual power."
    ),
    EventType.WORKERS_GOVERNMENT: _workers_government,
    EventType.GUERRILLA_FOCO: _guerrilla_foco,
    EventType.GUERRILLA_DEFEATED: lambda c: f"The army defeats {c.names() or 'the guerrillas'} in the field.",
    EventType.PLOTTERS_PURGED: lambda c: (
        f"The government purges the plotters: officers of {c.names() or 'the plotting faction'} are retired "
        "or sent abroad as attachés."
    ),
    EventType.LEADER_DEATH: lambda c: "The president dies.",
    EventType.SUCCESSION: _succession,
    EventType.CABINET_OFFER: _cabinet,
    EventType.PARTY_SPLIT: lambda c: f"{_capitalize(c.names() or 'the governing party')} splits into rival factions.",
    EventType.ARMY_SPLIT: lambda c: f"The army splits: {c.names() or 'part of the officer corps'} side against the plotters.",
    EventType.GOVERNMENT_CHANGE: _government_change,
    EventType.HANDOVER: _handover,
    # Told in the scenario's own words (the scheduled event's description) where it has one:
    EventType.SHOCK: lambda c: "A shock from outside the system" + (f" strikes {c.names()}." if c.actors else " changes the conditions of all."),
    EventType.FOREIGN_INTERVENTION: lambda c: "A foreign power commits its forces to one side of any coup.",
}
"""A sentence for each event type; the outcome, actors and mechanism fill it in."""


SCHEDULED_TOLD_BY_DESCRIPTION = (EventType.LEADER_DEATH, EventType.GUERRILLA_FOCO, EventType.SHOCK, EventType.FOREIGN_INTERVENTION)
"""Scheduled events the chronicle tells in the scenario's own words (their ``description``)."""


def sentence(model: Model, event: int, outcome: int, actors: int, mechanism: str, month: int) -> str:
    """The plain-English sentence of one event-log row."""
    try:
        kind = EventType(int(event))
    except ValueError:
        kind = None
    try:
        result = Outcome(int(outcome))
    except ValueError:
        result = Outcome.NONE
    indices = [i for i in actors_in_mask(int(actors)) if i < model.n_actors]
    context = _Context(model, indices, result, mechanism, month, _holding(model, event, outcome))
    template = TEMPLATES.get(kind) if kind is not None else None
    new = {code: label for code, label in model.new_events.values()}
    if template is None:
        label = kind.key.replace("_", " ") if kind is not None else new.get(int(event), model.event_kind(int(event)))
        text = f"{_capitalize(label)}" + (f" involving {context.names()}" if indices else "") + "."
        if result != Outcome.NONE:
            text = text[:-1] + f" ({result.name.lower().replace('_', ' ')})."
        return text
    return template(context)


# --- mechanisms and their sources ----------------------------------------------------------------


def _locators(texts: tuple[str, ...] | list[str], further: Collection[str] = ()) -> tuple[Locator, ...]:
    """The passages of the analysis ``texts`` cite (a mechanism's SOURCE cites only those; a scheduled event may also
    cite a ``further`` source, which is no passage)."""
    return tuple(locator for locator in (Locator.parse(text, further) for text in texts) if locator is not None)


def mechanism_info(name: str, registry: MechanismRegistry | None = None, source_title: str | None = None) -> MechanismInfo:
    """Title, checklist items and source locators of a mechanism, by name (from ``registry``: by default the
    installed mechanisms); with ``source_title`` (the scenario's analysis), locators only into that analysis."""
    if name == EVENTS_MECHANISM:
        return MechanismInfo(name, EXOGENOUS_TITLE, (), ())
    registry = registry if registry is not None else installed_mechanisms()
    module = registry.mechanisms.get(name)
    if module is None:
        return MechanismInfo(name, name.replace("_", " "), (), ())
    return MechanismInfo(
        name,
        getattr(module, "TITLE", name),
        tuple(getattr(module, "COVERS", ())),
        _locators(cited_passages(module, source_title) if source_title is not None else tuple(getattr(module, "SOURCE", ()))),
    )


def _scheduled_event(model: Model, kind: EventType, month: int) -> Any:
    """The scenario's scheduled event behind an ``exogenous_events`` row, if one matches."""
    wanted: dict[EventType, tuple[type, ...]] = {
        EventType.LEADER_DEATH: (LeaderDeath,),
        EventType.SUCCESSION: (LeaderDeath,),
        EventType.GUERRILLA_FOCO: (GuerrillaArrival,),
        EventType.SHOCK: (ActorShock, SystemShock),
        EventType.FOREIGN_INTERVENTION: (ForeignIntervention,),
        EventType.GOVERNMENT_CHANGE: (GovernmentChange, Election, LeaderDeath),
    }
    kinds = wanted.get(kind)
    for event in model.scenario.events:
        if event.month == month and (kinds is None or isinstance(event, kinds)):
            return event
    return None


# --- building a chronicle -----------------------------------------------------------------------


def chronicle_from_events(model: Model, events: dict[str, np.ndarray], run: int) -> list[ChronicleLine]:
    """The chronicle of run ``run`` from an event log (``Ensemble.events``), in log order."""
    if events is None:
        raise ValueError("the ensemble kept no event log: simulate with keep_events=True")
    rows = np.flatnonzero(np.asarray(events["run"]) == run)
    infos: dict[int, MechanismInfo] = {}
    lines = []
    for row in rows:
        code = int(events["mechanism"][row])
        name = model.mechanism_names[code] if 0 <= code < len(model.mechanism_names) else f"mechanism_{code}"
        info = infos.setdefault(code, mechanism_info(name, model.scenario.mechanism_registry(), model.scenario.analysis_title))
        month = int(events["month"][row])
        event, outcome, actors = int(events["event"][row]), int(events["outcome"][row]), int(events["actors"][row])
        text = sentence(model, event, outcome, actors, name, month)
        locators = info.locators
        if name == EVENTS_MECHANISM:
            try:
                kind = EventType(event)
            except ValueError:
                kind = None
            scheduled = _scheduled_event(model, kind, month) if kind is not None else None
            if scheduled is not None:
                if kind in SCHEDULED_TOLD_BY_DESCRIPTION and scheduled.description:
                    text = scheduled.description.strip()
                    if not text.endswith("."):
                        text += "."
                if scheduled.source:
                    locators = _locators([scheduled.source], model.scenario.source_ids)
        lines.append(
            ChronicleLine(
                run=int(run),
                month=month,
                event=model.event_kind(event),
                outcome=_outcome_word(model, event, outcome),
                actors=tuple(model.actor_ids[i] for i in actors_in_mask(actors) if i < model.n_actors),
                text=text,
                mechanism=name,
                mechanism_title=info.title,
                covers=info.covers,
                locators=locators,
            )
        )
    return lines


def chronicle(model: Model, run: int, seed: int = 0, start: str | None = None, until: int | None = None) -> list[ChronicleLine]:
    """Simulate run ``run`` alone (same stream as inside any batch) and return its chronicle.

    ``start`` is a snapshot id or its month ``YYYY-MM``; ``until`` a month index
    (default: the calendar's end). Raises ``ValueError`` for a negative run index
    or a bad span, ``KeyError`` for an unknown snapshot.
    """
    if int(run) < 0:
        raise ValueError(f"the run index must be 0 or more, got {run}")
    ensemble = simulate(model, 1, seed=seed, start=start, until=until, first_run=int(run), keep_events=True)
    assert ensemble.events is not None  # kept: keep_events=True
    return chronicle_from_events(model, ensemble.events, int(run))
