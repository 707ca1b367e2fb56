"""Where a scenario's mechanisms come from: plug-ins, found by name.

A mechanism is a module (or any object) that declares what :class:`MechanismContract`
lists: its name, its place in the month, the state it reads and writes, its
parameters as a pydantic model, its random draws, its equations and the passages
it encodes, and ``apply``, one month of it over all runs. Installed packages
register mechanisms under the entry-point group ``coyuntura.mechanisms``
(coyuntura's own are registered the same way, in its ``pyproject.toml``); a
scenario may also name Python files of its own (``mechanism_modules:``, paths
relative to the scenario file) for local work.

The scenario format sits below the engine: it finds mechanisms through this
registry, by name, and never imports them. Loading a plug-in runs its code, as
installing a package does: only files a scenario names beside itself and installed
packages are ever loaded, never anything sent over the network.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any, Iterable, Mapping, Protocol

from pydantic import BaseModel

from .vocabulary import EVENT_KINDS, OUTCOME_KEYS

ENTRY_POINT_GROUP = "coyuntura.mechanisms"
"""The entry-point group under which packages register mechanisms (name = module)."""

LOCAL_MODULE_PREFIX = "coyuntura_local_mechanisms."
"""Module names given to mechanism files a scenario names (one per file content)."""

BUILTIN_PACKAGE = "coyuntura.engine.mechanisms"
"""Where the built-in mechanisms live, for a source checkout that was never installed (no entry points)."""


class MechanismContract(Protocol):
    """What a mechanism declares (a module satisfies it with module-level names).

    Optional besides: ``NEW_EVENTS`` (kinds of event of its own, name -> label: each is also an outcome of the
    scenarios that use it), ``NEW_STATE`` (system variables of its own, name -> (low, high, meaning): a scenario
    gives their starting values under ``system:``, and runs keep them in ``state.extra``), ``NEW_ACTOR_STATE`` (actor
    attributes of its own, the same way: values under each actor or ``actor_defaults``, arrays (actors, runs)),
    ``incumbent_keeps_office(state, params, month)`` (per run, the probability the incumbent wins a scheduled
    election ``decided_by`` the mechanism), ``begin(state, params)`` (reads state of its own off a run's starting
    values, once, before the first month's scheduled events), ``REQUIRES`` (mechanisms it cannot run without), ``ACTOR_SLOTS`` / ``HOLDING_SLOTS``
    (draws taken once per actor / holding), ``REFERENCES`` (the literature its functional form comes from) and
    ``SOURCE_TITLE`` (the title of the analysis its ``SOURCE`` cites: reports cite those passages only for a
    scenario that encodes that analysis).
    """

    NAME: str  # its key under the scenario's ``mechanisms:``
    TITLE: str
    STAGE: int  # its place in the month: mechanisms run in order of stage, then name
    COVERS: tuple[str, ...]  # the checklist items it encodes, if any
    SOURCE: tuple[str, ...]  # locators of the passages it encodes
    READS: tuple[str, ...]  # state variables it uses
    WRITES: tuple[str, ...]  # state variables it changes
    SLOTS: tuple[str, ...]  # named random draws it takes each month
    EVENTS: tuple[str, ...]  # the kinds of event it records in the log (coyuntura.scenario.vocabulary.EVENT_KINDS)
    SUMMARY: str  # what it does, in plain words
    FORMS: tuple[str, ...]  # the established functional forms it is built from
    EQUATIONS: tuple[str, ...]  # one readable line each, naming every numeric parameter
    Params: type[BaseModel]  # its parameters and roles in a scenario (a MechanismParams)

    def apply(self, state: Any, p: SimpleNamespace, month: Any) -> None:
        """One month of the mechanism, over all runs."""


_DECLARED: dict[str, type | tuple[type, ...]] = {
    "NAME": str, "TITLE": str, "STAGE": int, "COVERS": tuple, "SOURCE": tuple, "READS": tuple, "WRITES": tuple, "SLOTS": tuple,
    "EVENTS": tuple, "SUMMARY": str, "FORMS": tuple, "EQUATIONS": tuple,
}
_OPTIONAL: dict[str, type] = {
    "REQUIRES": tuple, "ACTOR_SLOTS": tuple, "HOLDING_SLOTS": tuple, "REFERENCES": tuple, "SOURCE_TITLE": str, "NEW_EVENTS": dict,
    "NEW_STATE": dict, "NEW_ACTOR_STATE": dict,
}


def declared_events(mechanisms: Iterable[Any], strict: bool = False) -> dict[str, str]:
    """The kinds of event ``mechanisms`` declare of their own (``NEW_EVENTS``): kind -> label, in order; two mechanisms
    declaring one kind are refused (``strict``: the engine, for the mechanisms a scenario uses) or the first kept."""
    declared: dict[str, str] = {}
    owners: dict[str, str] = {}
    for mechanism in mechanisms:
        for kind, label in getattr(mechanism, "NEW_EVENTS", {}).items():
            if kind in declared and strict:
                raise MechanismError(f"the mechanisms {owners[kind]!r} and {mechanism.NAME!r} both declare the kind of event {kind!r}")
            declared.setdefault(kind, label)
            owners.setdefault(kind, mechanism.NAME)
    return declared


def declared_state(mechanisms: Iterable[Any], strict: bool = True, attribute: str = "NEW_STATE") -> dict[str, tuple[float, float, str]]:
    """The system variables ``mechanisms`` declare of their own (``NEW_STATE``; or their actor attributes, with
    ``attribute="NEW_ACTOR_STATE"``): name -> (low, high, meaning), in order; two mechanisms declaring one name are
    refused (``strict``) or the first declaration kept."""
    declared: dict[str, tuple[float, float, str]] = {}
    owners: dict[str, str] = {}
    for mechanism in mechanisms:
        for name, (low, high, meaning) in getattr(mechanism, attribute, {}).items():
            if name in declared and not strict:
                continue
            if name in declared:
                raise MechanismError(f"the mechanisms {owners[name]!r} and {mechanism.NAME!r} both declare the state variable {name!r}")
            declared[name] = (float(low), float(high), meaning)
            owners[name] = mechanism.NAME
    return declared


RESERVED_NAMES: dict[str, str] = {"regimes": "the scenario's regimes block", "exogenous_events": "the scheduled events"}
"""Names no mechanism may take: the engine uses them beside the mechanisms' own."""
RESERVED_EVENT_KINDS: dict[str, str] = {"regime": "the regime cells' row of the scores by kind", "total": "the tables' total row"}
"""Names a plug-in's own kind of event (``NEW_EVENTS``) cannot take: the score tables key rows by kind and keep these."""


class MechanismError(ValueError):
    """A plug-in that does not keep the mechanism contract, or a name that no plug-in provides."""


def check_contract(mechanism: Any, origin: str) -> None:
    """Refuse, naming each fault, a mechanism that does not declare what :class:`MechanismContract` asks."""
    faults = []
    for name, kind in {**_DECLARED, **_OPTIONAL}.items():
        if not hasattr(mechanism, name):
            if name in _DECLARED:
                faults.append(f"{name} is missing")
            continue
        value = getattr(mechanism, name)
        if not isinstance(value, kind) or isinstance(value, bool):
            expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            faults.append(f"{name} should be a {expected}, not {type(value).__name__}")
        elif isinstance(value, tuple) and not all(isinstance(item, str) for item in value):
            faults.append(f"{name} should hold strings only")
    params = getattr(mechanism, "Params", None)
    if not (isinstance(params, type) and issubclass(params, BaseModel) and "enabled" in params.model_fields):
        faults.append("Params should be a pydantic model derived from coyuntura.engine.mechanisms.base.MechanismParams")
    if not callable(getattr(mechanism, "apply", None)):
        faults.append("apply(state, params, month) is missing")
    if hasattr(mechanism, "incumbent_keeps_office") and not callable(mechanism.incumbent_keeps_office):
        faults.append("incumbent_keeps_office should be a function (state, params, month) -> probability per run")
    new_events = getattr(mechanism, "NEW_EVENTS", {})
    if isinstance(new_events, dict):
        for kind, label in new_events.items():
            if not (isinstance(kind, str) and kind.isidentifier() and kind.islower()) or not isinstance(label, str) or not label:
                faults.append(f"NEW_EVENTS should map lower-case identifiers to labels, not {kind!r}: {label!r}")
            elif kind in EVENT_KINDS or kind in OUTCOME_KEYS:
                faults.append(f"NEW_EVENTS declares {kind!r}, which is already a kind of event or an outcome of the engine")
            elif kind in RESERVED_EVENT_KINDS:
                faults.append(f"NEW_EVENTS declares {kind!r}, which is reserved (the tables keep {RESERVED_EVENT_KINDS[kind]} under it)")
    else:
        new_events = {}
    for declared_name in ("NEW_STATE", "NEW_ACTOR_STATE"):
        new_state = getattr(mechanism, declared_name, {})
        for variable, declaration in (new_state.items() if isinstance(new_state, dict) else ()):
            shaped = isinstance(declaration, tuple) and len(declaration) == 3 and isinstance(declaration[2], str) and declaration[2].strip()
            numbers = shaped and all(isinstance(bound, (int, float)) and not isinstance(bound, bool) for bound in declaration[:2])
            if not (isinstance(variable, str) and variable.isidentifier() and variable.islower()) or not numbers or not declaration[0] < declaration[1]:
                faults.append(f"{declared_name} should map lower-case identifiers to (low, high, meaning) with low < high, not {variable!r}: {declaration!r}")
    events = getattr(mechanism, "EVENTS", ())
    unknown = [kind for kind in events if isinstance(kind, str) and kind not in EVENT_KINDS and kind not in new_events] if isinstance(events, tuple) else []
    if unknown:
        faults.append(
            f"EVENTS names unknown event kinds {', '.join(repr(k) for k in unknown)}; known: {', '.join(EVENT_KINDS)} "
            "(declare a kind of its own in NEW_EVENTS)"
        )
    name = getattr(mechanism, "NAME", "")
    if isinstance(name, str) and name in RESERVED_NAMES:
        faults.append(f"NAME {name!r} is reserved (the engine keeps {RESERVED_NAMES[name]} under it)")
    if isinstance(name, str) and name and not (name.isidentifier() and name.islower()):
        faults.append(f"NAME {name!r} should be a lower-case identifier")
    if faults:
        raise MechanismError(f"the mechanism from {origin} does not keep the mechanism contract: " + "; ".join(faults))


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: a registry is built once and reused
class MechanismRegistry:
    """The mechanisms a scenario may use, by name, with where each came from."""

    mechanisms: Mapping[str, Any]
    origins: Mapping[str, str] = field(default_factory=dict)

    def __contains__(self, name: object) -> bool:
        return name in self.mechanisms

    def __len__(self) -> int:
        return len(self.mechanisms)

    def names(self) -> tuple[str, ...]:
        """Every name, in schedule order."""
        return tuple(module.NAME for module in self.schedule(self.mechanisms))

    def get(self, name: str) -> Any:
        """The mechanism registered as ``name``; a clear error naming the known ones otherwise."""
        try:
            return self.mechanisms[name]
        except KeyError:
            raise MechanismError(f"no mechanism is called {name!r}; known: {', '.join(self.names())}") from None

    def schedule(self, names: Iterable[str]) -> tuple[Any, ...]:
        """The mechanisms named, in the order they run each month (by stage, then name)."""
        chosen = [self.get(name) for name in names]
        return tuple(sorted(chosen, key=lambda module: (module.STAGE, module.NAME)))

    def origin(self, name: str) -> str:
        return self.origins.get(name, "")

    def with_files(self, paths: Iterable[Path]) -> "MechanismRegistry":
        """This registry plus the mechanisms defined in these Python files (a file may not reuse a taken name)."""
        mechanisms = dict(self.mechanisms)
        origins = dict(self.origins)
        for path in paths:
            module = load_module_file(path)
            name = module.NAME
            if name in mechanisms and mechanisms[name] is not module:
                raise MechanismError(f"{path} defines the mechanism {name!r}, which {origins.get(name) or 'another module'} already provides")
            mechanisms[name] = module
            origins[name] = str(path)
        return MechanismRegistry(mechanisms, origins)


@lru_cache(maxsize=1)
def installed_mechanisms() -> MechanismRegistry:
    """Every mechanism installed packages register under ``coyuntura.mechanisms``, coyuntura's own included."""
    mechanisms: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        module = entry.load()
        origin = f"entry point {entry.name} = {entry.value}"
        check_contract(module, origin)
        if module.NAME != entry.name:
            raise MechanismError(f"the {origin} declares NAME {module.NAME!r}: the entry point must carry the mechanism's name")
        mechanisms[module.NAME] = module
        origins[module.NAME] = origin
    if not any(getattr(module, "__name__", "").startswith(BUILTIN_PACKAGE + ".") for module in mechanisms.values()):
        # A source checkout run without installing: no entry points, so take the built-in package's own list.
        for module in importlib.import_module(BUILTIN_PACKAGE).BUILTIN:
            check_contract(module, module.__name__)
            mechanisms.setdefault(module.NAME, module)
            origins.setdefault(module.NAME, module.__name__)
    return MechanismRegistry(mechanisms, origins)


def registry_with_files(files: tuple[str, ...]) -> MechanismRegistry:
    """The installed mechanisms plus those defined in these files (absolute paths), built once per set of files as
    they stand (a file edited since is imported again). Cheap to call again: each file is only looked up, not read."""
    if not files:
        return installed_mechanisms()
    return _registry_for(tuple((file, _stamp(Path(file))) for file in files))


@lru_cache(maxsize=32)
def _registry_for(files: tuple[tuple[str, tuple[int, int]], ...]) -> MechanismRegistry:
    return installed_mechanisms().with_files(Path(file) for file, _ in files)


def _stamp(path: Path) -> tuple[int, int]:
    """A file's modification time and size: they change when it is edited."""
    try:
        status = path.stat()
    except OSError:
        return (0, 0)  # load_module_file says the file is missing
    return (status.st_mtime_ns, status.st_size)


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    except OSError:
        return ""  # load_module_file says the file is missing


def load_module_file(path: Path) -> ModuleType:
    """Import a mechanism from a Python file (once per file content) and check it keeps the contract."""
    path = Path(path).resolve()
    if not path.is_file():
        raise MechanismError(f"mechanism module {path} does not exist")
    module_name = f"{LOCAL_MODULE_PREFIX}{path.stem}_{_digest(path)}"
    module = sys.modules.get(module_name)
    if module is None:
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise MechanismError(f"mechanism module {path} cannot be imported (is it a .py file?)")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as error:
            del sys.modules[module_name]
            raise MechanismError(f"mechanism module {path} failed to import: {type(error).__name__}: {error}") from error
    check_contract(module, str(path))
    return module


def cited_passages(mechanism: Any, source_title: str) -> tuple[str, ...]:
    """The passages a mechanism encodes (its ``SOURCE``) when the scenario encodes the analysis they cite
    (``source_title``, the scenario's ``source_document.title``); none for a scenario of another analysis, whose
    reports must not cite another text's line numbers."""
    own = getattr(mechanism, "SOURCE_TITLE", None)
    return tuple(getattr(mechanism, "SOURCE", ())) if own is None or own == source_title else ()
