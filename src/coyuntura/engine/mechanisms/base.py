"""What every mechanism module provides, and what it is given each month.

A mechanism is a module with:

- ``NAME`` (its key in a scenario's ``mechanisms:``), ``TITLE`` and ``COVERS``
  (the DESIGN checklist items it encodes, e.g. ``("M5",)``);
- ``STAGE``: its place in the month (mechanisms run in order of stage, then name);
  ``REQUIRES`` (optional): the mechanisms it cannot run without; a mechanism it only
  calls into when present is asked for with :meth:`Month.active`;
- ``SOURCE``: the locators of the passages it encodes;
- ``READS`` / ``WRITES``: the state variables it uses and changes (a test checks
  them against the code, :func:`coyuntura.report.mechanism_metadata.state_access`);
- ``SUMMARY`` (what it does, in plain words), ``FORMS`` (the established forms it
  is built from) and ``EQUATIONS`` (one readable line each, naming every numeric
  parameter): what ``coyuntura describe`` prints; the docstring paraphrases each
  passage of ``SOURCE`` next to its locator;
- ``SLOTS``: named random draws it takes each month (``ACTOR_SLOTS`` for one
  draw per actor);
- ``Params``: the pydantic model of its parameters in a scenario; its roles (the actors
  it acts on) are declared with :func:`role` (a list) or :func:`actor_role` (one actor),
  each with the actor kinds it accepts, and ``OPPOSING_ROLES`` names the roles that face
  each other and so need different actors (``coyuntura check`` enforces both);
- ``apply(state, params, month)``: one month of the mechanism, over all runs.

The contract is :class:`coyuntura.scenario.plugins.MechanismContract`, checked when a
mechanism is registered; a plug-in module outside the package (an installed entry
point, or a file a scenario names) keeps the same contract.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, ClassVar, Sequence

import numpy as np
from pydantic import Field, StrictBool, ValidationError, ValidationInfo, ValidatorFunctionWrapHandler, field_validator
from pydantic.fields import FieldInfo

from ...scenario.calendar import format_month
from ...scenario.plugins import LOCAL_MODULE_PREFIX, load_module_file
from ...scenario.quantities import Frozen
from ...scenario.refs import ROLE_KINDS_KEY, ActorKind

if TYPE_CHECKING:
    from ..events import EventLog
    from ..model import Model
    from ..random import Draws


PETRAS_1971 = "Bolivia: Between the Army and the Miners (analysis of the political system, 1952-1971)"
"""The analysis the built-in mechanisms were written from: their ``SOURCE_TITLE`` (their locators cite its lines)."""


class MechanismParams(Frozen):
    """Parameters shared by every mechanism: it can be switched off, with a reason."""

    OPPOSING_ROLES: ClassVar[tuple[tuple[str, ...], ...]] = ()
    """Groups of roles that face each other (plotters and defenders, rival powers): within a group no actor
    plays two roles. ``coyuntura check`` refuses a scenario that breaks it, naming the role."""

    enabled: StrictBool = Field(default=True, description="Switch the mechanism off (say why in 'note').")

    def __reduce__(self) -> Any:
        """Parameters of a mechanism loaded from a scenario's own file pickle by that file (a worker process
        imports it again), since the module exists only where the scenario was loaded; others by reference."""
        module = sys.modules.get(type(self).__module__)
        if type(self).__module__.startswith(LOCAL_MODULE_PREFIX) and module is not None and module.__file__:
            return (_rebuild_local_params, (module.__file__, type(self).__qualname__, self.__getstate__()))
        return super().__reduce__()
    note: str | None = Field(default=None, description="Free text: how this scenario reads the mechanism.")

    @field_validator("*", mode="wrap")
    @classmethod
    def _roles(cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        """A role declared with :func:`role` names at least one actor; no role names an actor twice."""
        try:
            result = handler(value)
        except ValidationError as error:
            if any(item["type"] == "too_short" and not item["loc"] for item in error.errors()):
                assert info.field_name is not None  # a field validator is always given its field's name
                field = cls.model_fields[info.field_name]
                raise ValueError(f"the role {info.field_name!r} needs at least one actor: {field.description}") from None
            raise
        if isinstance(result, tuple) and all(isinstance(item, str) for item in result):
            for position, actor in enumerate(result):
                if actor in result[:position]:
                    raise ValueError(f"actor {actor!r} is listed twice in the role {info.field_name!r}")
        assert info.field_name is not None
        number = getattr(result, "value", None)
        if is_structural(cls.model_fields[info.field_name]) and isinstance(number, float) and not number.is_integer():
            raise ValueError(f"{info.field_name!r} is a count (it sets how often a step repeats): give a whole number, not {number:g}")
        return result


def _rebuild_local_params(path: str, qualname: str, state: Any) -> "MechanismParams":
    cls = getattr(load_module_file(Path(path)), qualname)
    params: MechanismParams = cls.__new__(cls)
    params.__setstate__(state)
    return params


def role(description: str, kinds: Sequence[ActorKind] = (), *, min_actors: int = 1) -> Any:
    """A role played by a list of actors, by default at least one: the mechanism averages over its actors, or
    indexes them (``min_actors=0`` for a role that may be empty). ``description`` says what the mechanism does
    with them (in the format reference and in the error an empty list gets); ``kinds``, the actor kinds it
    accepts (any kind when empty). One declaration serves ``check``, ``whatif --set`` and the web API."""
    return Field(min_length=min_actors or None, description=description, json_schema_extra=_kinds_extra(kinds))


def actor_role(description: str, kinds: Sequence[ActorKind] = ()) -> Any:
    """A role played by one actor (an ``ActorRef`` field): ``description`` says what the mechanism does with it,
    ``kinds`` the actor kinds it accepts (any kind when empty)."""
    return Field(description=description, json_schema_extra=_kinds_extra(kinds))


def _kinds_extra(kinds: Sequence[ActorKind]) -> dict[str, Any] | None:
    return {ROLE_KINDS_KEY: list(kinds)} if kinds else None


def structural(description: str) -> Any:
    """A number that sets the shape of the computation (a loop count): one value for all runs, never per run."""
    return Field(description=description, json_schema_extra={"structural": True})


def is_structural(field: FieldInfo) -> bool:
    """Whether a mechanism's field was declared with :func:`structural`."""
    extra = field.json_schema_extra
    return isinstance(extra, dict) and bool(extra.get("structural"))


class MechanismFailed(ValueError):
    """A plug-in mechanism's month raised an error: the message names the mechanism, where it comes from, the month and
    the error (the original is chained). A ValueError, as a scenario's own mechanism file is input like the rest; the
    built-in mechanisms' errors keep their tracebacks."""


def mechanism_failed(model: "Model", name: str, index: int, error: Exception) -> MechanismFailed:
    """The error to raise for a plug-in's failure in month ``index`` (chain the original with ``from``)."""
    origin = model.scenario.mechanism_registry().origin(name)
    where = f" ({origin})" if origin else ""
    return MechanismFailed(f"mechanism {name!r}{where} failed in {format_month(index)}: {type(error).__name__}: {error}")


@dataclass
class Month:
    """What a mechanism is handed besides the state: the model, this month's draws, the log, and the
    mechanisms' parameters for these runs (the compiled scalars, or arrays over runs where given per run)."""

    index: int
    model: "Model"
    draws: "Draws"
    log: "EventLog"
    scratch: dict[str, Any]  # per-run values mechanisms hand on within the month: arrays over runs (last axis), dicts of them
    parameters: dict[str, SimpleNamespace] | None = None
    positions: np.ndarray | None = None  # the runs of ``parameters`` this month is restricted to (per-run values are cut lazily)

    def params(self, mechanism: str) -> SimpleNamespace:
        values = (self.parameters if self.parameters is not None else self.model.params)[mechanism]
        if self.positions is None or self.parameters is self.model.params:
            return values
        if not any(isinstance(value, np.ndarray) for value in vars(values).values()):
            return values
        return SimpleNamespace(**_restrict(vars(values), self.positions))

    def active(self, mechanism: str) -> bool:
        """Whether the scenario uses ``mechanism`` and has it switched on: a mechanism that calls into another
        one it does not require asks this first, and does without it otherwise."""
        values = (self.parameters if self.parameters is not None else self.model.params).get(mechanism)
        return values is not None and bool(values.enabled)

    def mechanism_code(self, mechanism: str) -> int:
        return self.model.mechanism_codes[mechanism]

    def event_code(self, kind: str) -> int:
        """The log code of a kind of event: the engine's (``EventType``) or one a plug-in declares in ``NEW_EVENTS``."""
        return self.model.event_codes[kind]

    def restricted(self, positions: np.ndarray) -> "Month":
        """This month seen from the runs at ``positions`` of the batch, for a sub-state ``state.select(positions)``.

        Draws, log, scratch and per-run parameters follow those runs, so a rare branch computed on them alone gives each run
        exactly what computing it over the whole batch would.
        """
        per_run = self.parameters is not None and self.parameters is not self.model.params
        # Positions within positions: the per-run values stay those of the batch, cut once at the runs asked for.
        within = positions if self.positions is None else self.positions[positions]
        return Month(
            self.index, self.model, self.draws.restricted(positions), self.log.restricted(positions), _restrict(self.scratch, positions),
            self.parameters, within if per_run else None,
        )


def at_runs(value: Any, runs: np.ndarray) -> Any:
    """A parameter's value at some runs of the batch: a per-run array indexed there, a scalar as it is."""
    return value[runs] if isinstance(value, np.ndarray) else value


def _restrict(value: Any, positions: np.ndarray) -> Any:
    """Per-run scratch values (arrays over runs, last axis; dicts of them) at ``positions``."""
    if isinstance(value, dict):
        return {key: _restrict(item, positions) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        return value[..., positions]
    return value
