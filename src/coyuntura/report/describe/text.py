"""Small formatting helpers: scenario values, docstrings and mechanism metadata as the document's text."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from types import ModuleType
from typing import Iterable

from ...engine import state as engine_state
from ...engine.events import EventType
from ...engine.mechanisms.base import MechanismParams
from ...scenario.plugins import BUILTIN_PACKAGE, LOCAL_MODULE_PREFIX
from ...scenario.quantities import Quantity
from ...scenario.refs import is_actor_reference
from ...scenario.schema import Scenario
from ..mechanism_metadata import source_paraphrase


def plain(text: object) -> str:
    """Scenario or docstring text as plain text: one line, no backticks of its own."""
    return " ".join(str(text).replace("`", "'").split())


def from_rst(text: str) -> str:
    """A docstring's reStructuredText markup as this document's: ``x`` and :role:`x` become `x`."""
    text = re.sub(r":\w+:`~?([^`]+)`", r"\1", text)
    text = " ".join(text.split()).replace("``", "\x00")
    parts = text.split("\x00")
    return "".join(f"`{part}`" if index % 2 else part.replace("`", "'").replace("*", "") for index, part in enumerate(parts))


def code(text: object) -> str:
    return f"`{str(text).replace('`', '')}`"


def number_text(value: float) -> str:
    return f"{value:g}"


def provenance_text(item: object) -> str:
    source = getattr(item, "source", None)
    if source:
        return plain(f"{source}: {getattr(item, 'says', '')}")
    return plain(f"assumption: {getattr(item, 'assumption', '')}")


def prior_text(quantity: Quantity) -> str:
    prior = quantity.prior
    return f"{prior.dist} [{number_text(prior.low)}, {number_text(prior.high)}]" if prior is not None else ""


def mechanism_label(module: ModuleType) -> str:
    items = [item for item in module.COVERS if re.fullmatch(r"M\d+", item)]
    return f"{' '.join(items)} {module.TITLE}".strip()


def mechanism_short(module: ModuleType) -> str:
    items = [item for item in module.COVERS if re.fullmatch(r"M\d+", item)]
    return " ".join(items + [code(module.NAME)])


def own_mechanism_file(scenario: Scenario, module: ModuleType) -> str | None:
    """The file a mechanism of the scenario's own was loaded from, as the scenario's ``mechanism_modules`` lists it
    (relative to the scenario file); None for a mechanism of an installed package (coyuntura's own included)."""
    files = dict(zip(scenario._mechanism_files, scenario.mechanism_modules or ()))  # absolute path -> the scenario's entry
    registry = scenario.mechanism_registry()
    name = getattr(module, "NAME", None)
    # Where the registry loaded it from (a file's module is shared by every file of the same content, so its own
    # __file__ may name another copy), else where the module says it is.
    origin = registry.origin(name) if isinstance(name, str) and name in registry and registry.get(name) is module else ""
    location = getattr(module, "__file__", None)
    for path in (origin, str(Path(location).resolve()) if location else ""):
        if path in files:
            return files[path]
    if location and getattr(module, "__name__", "").startswith(LOCAL_MODULE_PREFIX):
        return Path(location).name
    return None


def mechanism_module_text(scenario: Scenario, module: ModuleType) -> str:
    """Where a mechanism's code is: the scenario's own file, by the name the scenario gives it, or the installed module."""
    own = own_mechanism_file(scenario, module)
    return f"the scenario's own file {code(own)}" if own is not None else f"module {code(module.__name__)}"


def implementation_modules_text(scenario: Scenario, mechanisms: Iterable[ModuleType]) -> str:
    """The mechanisms' code, as one clause: the built-in modules (by short name) of the built-in package, the
    scenario's own files (as it lists them) and any other installed plug-in's modules (by full name)."""
    builtin, own, installed = [], [], []
    for module in mechanisms:
        file = own_mechanism_file(scenario, module)
        if file is not None:
            own.append(code(file))
        elif module.__name__.startswith(BUILTIN_PACKAGE + "."):
            builtin.append(code(module.__name__.rsplit(".", 1)[-1]))
        else:
            installed.append(code(module.__name__))
    parts = []
    if builtin:
        parts.append(f"the module{'s' if len(builtin) > 1 else ''} {', '.join(builtin)} of {code(BUILTIN_PACKAGE)}")
    if own:
        many = len(own) > 1
        parts.append(f"the scenario's own file{'s' if many else ''} {', '.join(own)} (as the scenario lists {'them' if many else 'it'}, relative to its file)")
    if installed:
        parts.append(f"the installed plug-in module{'s' if len(installed) > 1 else ''} {', '.join(installed)}")
    if not parts:
        return "none"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def paraphrase_items(module: ModuleType) -> tuple[str, ...]:
    """The docstring's paraphrase, split into one item per cited passage (at each ``Section, Lx`` it names)."""
    titles = {locator.rsplit(", L", 1)[0] for locator in module.SOURCE}
    pattern = "|".join(re.escape(title) for title in sorted(titles, key=len, reverse=True))
    items = []
    for paragraph in source_paraphrase(module):
        pieces = re.split(rf"(?<=[.;])\s+(?=(?:{pattern}), L\d)", paragraph) if pattern else [paragraph]
        items += [from_rst(piece) for piece in pieces if piece.strip()]
    return tuple(items)


def regime_text(scenario: Scenario, key: str) -> str:
    """A regime type under the scenario's name for it (its ``regimes`` label, else the engine's), with its key."""
    return f"{plain(scenario.regime_labels()[engine_state.REGIME_KEYS.index(key)])} ({code(key)})"


def actor_list(scenario: Scenario, ids: Iterable[str]) -> str:
    return ", ".join(code(actor_id) for actor_id in ids) or "none"


def state_variable_meanings() -> dict[str, str]:
    """The one-line meaning engine/state.py gives each state variable (its inline comments)."""
    comments = {}
    for line in inspect.getsource(engine_state).splitlines():
        match = re.match(r'\s*"(\w+)",\s*#\s*(.+)$', line)
        if match:
            comments[match.group(1)] = match.group(2).strip()
    return comments


def events_recorded(module: ModuleType) -> list[str]:
    keys = []
    for name in re.findall(r"EventType\.([A-Z_]+)", inspect.getsource(module)):
        key = EventType[name].key
        if key not in keys:
            keys.append(key)
    return keys


def roles_and_numbers(params: MechanismParams) -> tuple[list[tuple[str, str]], list[tuple[str, Quantity]]]:
    """A mechanism's actor roles (name, actors) and numeric parameters (name, quantity), in field order."""
    roles, numbers = [], []
    for name, info in type(params).model_fields.items():
        if name in MechanismParams.model_fields:
            continue
        value = getattr(params, name)
        if isinstance(value, Quantity):
            numbers.append((name, value))
        elif isinstance(value, str) and is_actor_reference(info.metadata):
            roles.append((name, code(value)))
        elif isinstance(value, tuple):
            roles.append((name, ", ".join(code(item) for item in value) or "none"))
    return roles, numbers
