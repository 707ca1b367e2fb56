"""What a mechanism module must declare for the model description, and checks that it does.

``coyuntura describe`` writes each mechanism's part of the model description
from the module itself: ``SUMMARY``, ``FORMS``, ``EQUATIONS``, ``SOURCE`` and the
docstring's paraphrase of each cited passage, ``READS`` / ``WRITES`` and
``SLOTS``. :func:`check_mechanism` says, one clear line per problem, what a
module lacks; :func:`state_access` reads the module's code (its syntax tree, never
running it) to find the state variables it really reads and writes, so that
:func:`declaration_problems` can tell when ``READS`` / ``WRITES`` drift from the
code.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from dataclasses import dataclass
from types import FunctionType, ModuleType
from typing import Iterable

from pydantic import BaseModel

from ..engine.mechanisms.base import MechanismParams
from ..engine.state import ACTOR_VARIABLES, INTERNAL_VARIABLES, SYSTEM_VARIABLES
from ..scenario.quantities import LOCATOR_PATTERN, Quantity

GOVERNMENT_VARIABLES: tuple[str, ...] = ("regime", "assembly", "policy", "progressive_room", "coalition", "months_in_power")
"""The government's state: regime type, whether a Popular Assembly sits, policy position, progressive room,
the governing coalition and the months the government has been in power."""
STATE_VARIABLES: tuple[str, ...] = (
    GOVERNMENT_VARIABLES
    + ACTOR_VARIABLES
    + tuple(name for name in SYSTEM_VARIABLES if name not in GOVERNMENT_VARIABLES)
    + INTERNAL_VARIABLES
)
"""Every state variable a mechanism may declare (engine/state.py), in the order the description shows them."""


@dataclass(frozen=True)
class Form:
    """An established functional form a mechanism is built from."""

    name: str
    statement: str
    reference: str


FORMS: dict[str, Form] = {
    "hazard": Form(
        "Hazard",
        "A monthly event probability 1 − exp(−rate), the rate log-linear in its drivers: probabilities stay valid "
        "and every coefficient reads as a log rate ratio.",
        "Poisson hazard of event-history analysis",
    ),
    "contest": Form(
        "Contest of force",
        "Success probability C^m / (C^m + D^m): C and D the force the two coalitions commit (arms × organization × "
        "commitment), m the decisiveness.",
        "Tullock (1980); Hirshleifer (1989)",
    ),
    "cascade": Form(
        "Threshold cascade",
        "An actor mobilizes when its own drive plus the pull of already mobilized allies over the influence network "
        "passes its threshold; the first movers lower the others' effective thresholds.",
        "Granovetter (1978); Kuran (1991)",
    ),
    "grievance": Form(
        "Grievance and legitimacy",
        "Grievance = hardship × (1 − legitimacy in the actor's eyes); legitimacy falls with policy distance and "
        "corruption and rises with concessions.",
        "Gurr (1970); Epstein (2002)",
    ),
    "elite_choice": Form(
        "Elites' choice under a threat from below",
        "Capital and the officers back a coup when what they expect to lose to redistribution outweighs its cost "
        "and risk: the threat from below and the government's weakness drive the coup hazard.",
        "Acemoglu & Robinson (2006)",
    ),
    "coup_proofing": Form(
        "Divided militaries and coup-proofing",
        "The army acts as factions; a swing faction picks a side, and plotters may be purged or exiled afterwards.",
        "Powell (2012)",
    ),
    "relaxation": Form(
        "First-order adjustment",
        "A level moves each month a fixed fraction (its speed) of the way toward a target that depends on the state.",
        "partial adjustment",
    ),
    "logistic_choice": Form(
        "Logistic choice",
        "A yes-or-no decision taken with probability logistic(intercept + coefficients × drivers).",
        "binary logit",
    ),
    "coup_trap": Form(
        "The coup trap",
        "A coup attempt, successful or not, raises the hazard of the next for years: a politicized officer corps and "
        "a precedent; coups cluster.",
        "Londregan & Poole (1990)",
    ),
    "military_exit": Form(
        "How military regimes end",
        "Military rulers fall most often to rival officers, or hand power back when the officer corps splits and the "
        "institution's interest in unity outweighs ruling; the winning coalition chooses the successor.",
        "Geddes (1999); Svolik (2012)",
    ),
    "leader_tenure": Form(
        "Leader tenure",
        "The hazard that a ruler is removed changes with time in power and the size of the coalition he must keep.",
        "Bueno de Mesquita et al. (2003)",
    ),
}
"""The catalogue that the mechanisms' ``FORMS`` name (DESIGN: formal building blocks)."""

REQUIRED: tuple[tuple[str, str], ...] = (
    ("NAME", "its key in a scenario's 'mechanisms:' section (a string)"),
    ("TITLE", "a short title (a string)"),
    ("COVERS", "the DESIGN checklist items it encodes, e.g. ('M5',) (a tuple of strings)"),
    ("SOURCE", "the locators of the passages it encodes, 'Section, Lx-y' (a non-empty tuple of strings)"),
    ("READS", "the state variables it reads (a tuple of strings)"),
    ("WRITES", "the state variables it changes (a tuple of strings)"),
    ("SLOTS", "the named random draws it takes each month (a tuple of strings)"),
    ("SUMMARY", "what it does, in plain words (a non-empty string)"),
    ("FORMS", f"the established forms it is built from (a tuple of: {', '.join(FORMS)})"),
    ("EQUATIONS", "its equations, one readable line each (a non-empty tuple of non-empty strings)"),
    ("Params", "the pydantic model of its parameters (a subclass of MechanismParams)"),
    ("apply", "the function apply(state, params, month)"),
)
"""What every mechanism module must provide, and what each item is."""

_STRINGS = ("NAME", "TITLE", "SUMMARY")
_TUPLES = ("COVERS", "SOURCE", "READS", "WRITES", "SLOTS", "FORMS", "EQUATIONS")
_NON_EMPTY = ("NAME", "TITLE", "SUMMARY", "SOURCE", "EQUATIONS")


class MechanismMetadataError(ValueError):
    """Mechanisms lack what the model description needs; ``problems`` lists each, one line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        count = len(problems)
        lines = [f"mechanism metadata incomplete ({count} problem{'s' if count != 1 else ''}):"]
        super().__init__("\n".join(lines + [f"  - {problem}" for problem in problems]))


def _label(module: ModuleType) -> str:
    name = getattr(module, "NAME", None)
    return f"mechanism {name!r} ({module.__name__})" if isinstance(name, str) else f"mechanism module {module.__name__}"


def _normalized(text: str) -> str:
    return " ".join(text.split())


def numeric_parameters(params: type[BaseModel]) -> tuple[str, ...]:
    """The names of a ``Params`` model's numbers (quantities), the mechanism's own fields only."""
    names = []
    for name, field in params.model_fields.items():
        if name in MechanismParams.model_fields:
            continue
        if isinstance(field.annotation, type) and issubclass(field.annotation, Quantity):
            names.append(name)
    return tuple(names)


def check_mechanism(module: ModuleType) -> list[str]:
    """Every problem with a mechanism module's description metadata, one line each (empty if none)."""
    label = _label(module)
    problems = []
    for attribute, what in REQUIRED:
        if not hasattr(module, attribute):
            problems.append(f"{label} lacks {attribute}: {what}")
            continue
        value = getattr(module, attribute)
        if attribute in _STRINGS and not isinstance(value, str):
            problems.append(f"{label}: {attribute} must be {what}, got {type(value).__name__}")
        elif attribute in _TUPLES and not (isinstance(value, tuple) and all(isinstance(item, str) for item in value)):
            problems.append(f"{label}: {attribute} must be {what}, got {value!r}")
        elif attribute in _NON_EMPTY and not (value.strip() if isinstance(value, str) else value and all(item.strip() for item in value)):
            problems.append(f"{label}: {attribute} is empty; it must be {what}")
        elif attribute == "Params" and not (isinstance(value, type) and issubclass(value, MechanismParams)):
            problems.append(f"{label}: Params must be {what}")
        elif attribute == "apply" and not callable(value):
            problems.append(f"{label}: apply must be {what}")
    if problems:
        return problems
    doc = _normalized(module.__doc__ or "")
    if not doc:
        problems.append(f"{label} has no docstring: it must paraphrase each passage of SOURCE next to its locator")
    for locator in module.SOURCE:
        match = LOCATOR_PATTERN.match(locator)
        if match is None:
            problems.append(f"{label}: SOURCE entry {locator!r} is not a locator like 'The Miners, L226-237'")
            continue
        lines = f"L{match.group('start')}" + (f"-{match.group('end')}" if match.group("end") else "")
        if doc and (match.group("section") not in doc or lines not in doc):
            problems.append(f"{label}: the docstring does not paraphrase the passage {locator!r} (cite its section and {lines} there)")
    for attribute in ("READS", "WRITES"):
        own = {*getattr(module, "NEW_STATE", {}), *getattr(module, "NEW_ACTOR_STATE", {})}
        unknown = [name for name in getattr(module, attribute) if name not in STATE_VARIABLES and name not in own]
        if unknown:
            problems.append(f"{label}: {attribute} names unknown state variables {unknown}; known: {', '.join(STATE_VARIABLES)}")
    unknown_forms = [form for form in module.FORMS if form not in FORMS]
    if unknown_forms:
        problems.append(f"{label}: FORMS names unknown forms {unknown_forms}; known: {', '.join(FORMS)}")
    equations = " ".join(module.EQUATIONS)
    missing = [name for name in numeric_parameters(module.Params) if not re.search(rf"\b{re.escape(name)}\b", equations)]
    if missing:
        problems.append(f"{label}: EQUATIONS do not mention the parameters {missing}; every numeric parameter must appear in an equation")
    return problems


def check_mechanisms(modules: Iterable[ModuleType]) -> None:
    """Raise :class:`MechanismMetadataError` listing every problem of every module, if there is any."""
    problems = [problem for module in modules for problem in check_mechanism(module)]
    if problems:
        raise MechanismMetadataError(problems)


def source_paraphrase(module: ModuleType) -> tuple[str, ...]:
    """The docstring's paragraphs that paraphrase the source (between the title and the equations)."""
    paragraphs = [_normalized(part) for part in re.split(r"\n\s*\n", inspect.cleandoc(module.__doc__ or ""))]
    return tuple(p for p in paragraphs[1:] if p and not p.startswith(("Equation", "Form")))


def acts_only_through_others(module: ModuleType) -> bool:
    """True when ``apply`` does nothing itself (its body is only a docstring): other mechanisms call its functions."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(module.apply)))
    except (OSError, TypeError):
        return False
    function = tree.body[0]
    body = getattr(function, "body", [])
    return all(isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body) or all(
        isinstance(node, ast.Pass) for node in body
    )


# --- what the code really reads and writes -------------------------------------------------------


@dataclass(frozen=True)
class StateAccess:
    """State variables a mechanism's code reads and writes: ``direct`` in the functions its module
    defines, the others also through the engine functions those call (transitively)."""

    direct_reads: frozenset[str]
    direct_writes: frozenset[str]
    reads: frozenset[str]
    writes: frozenset[str]


def _state_names(function: ast.FunctionDef) -> set[str]:
    names = {"state"}
    for argument in function.args.args + function.args.kwonlyargs:
        annotation = ast.unparse(argument.annotation) if argument.annotation is not None else ""
        if argument.arg == "state" or annotation.strip("'\"") == "State":
            names.add(argument.arg)
    return names


def _resolve(node: ast.expr, namespace: dict) -> object:
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, namespace)
        if isinstance(base, ModuleType):
            return getattr(base, node.attr, None)
    return None


def _function_access(function: FunctionType) -> tuple[set[str], set[str], list[FunctionType]]:
    """(reads, writes, engine functions it hands the state to) of one function, from its syntax tree."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    definition = tree.body[0]
    states = _state_names(definition)  # type: ignore[arg-type]
    aliases: dict[str, set[str]] = {}  # local name -> state variables it is bound to (``org = state.organization``)

    def variables(node: ast.AST) -> tuple[set[str], ast.AST | None]:
        """The state variables an expression stands for (through subscripts and aliases), with its node."""
        while isinstance(node, ast.Subscript):
            node = node.value
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in states:
            if node.attr in STATE_VARIABLES:
                return {node.attr}, node
        if isinstance(node, ast.Name) and node.id in aliases:
            return aliases[node.id], node
        return set(), None

    not_reads: set[int] = set()  # nodes that only write (``state.x[i] = ...``) or bind an alias
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if isinstance(node.value, (ast.Attribute, ast.Subscript)):
                bound, bound_node = variables(node.value)
                if bound:
                    aliases.setdefault(node.targets[0].id, set()).update(bound)
                    not_reads.add(id(bound_node))
    reads: set[str] = set()
    writes: set[str] = set()
    calls: list[FunctionType] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                if isinstance(target, ast.Name):
                    continue  # binding a local name writes no state
                found, found_node = variables(target)
                writes |= found
                if found_node is not None:
                    not_reads.add(id(found_node))
        elif isinstance(node, ast.AugAssign):
            found, _ = variables(node.target)
            writes |= found
            reads |= found
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg == "out":
                    writes |= variables(keyword.value)[0]
            callee = _resolve(node.func, function.__globals__)
            handed = [*node.args, *(keyword.value for keyword in node.keywords)]
            if (
                isinstance(callee, FunctionType)
                and callee.__module__.startswith("coyuntura.engine")
                and any(isinstance(arg, ast.Name) and arg.id in states for arg in handed)
            ):
                calls.append(callee)
    for node in ast.walk(tree):
        if id(node) in not_reads:
            continue
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in states and node.attr in STATE_VARIABLES:
            reads.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in aliases:
            reads |= aliases[node.id]
    return reads, writes, calls


def _own_functions(module: ModuleType) -> list[FunctionType]:
    own = [value for value in vars(module).values() if isinstance(value, FunctionType) and value.__module__ == module.__name__]
    apply = getattr(module, "apply", None)
    if isinstance(apply, FunctionType) and apply not in own:
        own.append(apply)
    return own


def state_access(module: ModuleType) -> StateAccess:
    """The state variables a mechanism module's code reads and writes (static analysis of its source)."""
    direct_reads: set[str] = set()
    direct_writes: set[str] = set()
    reads: set[str] = set()
    writes: set[str] = set()
    seen: set[FunctionType] = set()
    pending = _own_functions(module)
    own = set(pending)
    while pending:
        function = pending.pop()
        if function in seen:
            continue
        seen.add(function)
        function_reads, function_writes, calls = _function_access(function)
        reads |= function_reads
        writes |= function_writes
        if function in own:
            direct_reads |= function_reads
            direct_writes |= function_writes
        pending.extend(calls)
    return StateAccess(frozenset(direct_reads), frozenset(direct_writes), frozenset(reads), frozenset(writes))


def declaration_problems(module: ModuleType) -> list[str]:
    """Where ``READS`` / ``WRITES`` disagree with the code, one line each (empty if they agree).

    The module's own functions may read only what it declares (a variable it writes may be read for its own
    update) and write only what ``WRITES`` lists; every declared variable must be read (written) by its code
    or by the engine functions that code calls.
    """
    label = _label(module)
    access = state_access(module)
    declared_reads, declared_writes = set(module.READS), set(module.WRITES)
    problems = []
    undeclared_reads = sorted(access.direct_reads - declared_reads - declared_writes)
    if undeclared_reads:
        problems.append(f"{label} reads {undeclared_reads} in its code but declares them in neither READS nor WRITES")
    undeclared_writes = sorted(access.direct_writes - declared_writes)
    if undeclared_writes:
        problems.append(f"{label} writes {undeclared_writes} in its code but WRITES does not declare them")
    never_read = sorted(declared_reads - access.reads)
    if never_read:
        problems.append(f"{label} declares {never_read} in READS but neither its code nor the engine code it calls reads them")
    never_written = sorted(declared_writes - access.writes)
    if never_written:
        problems.append(f"{label} declares {never_written} in WRITES but neither its code nor the engine code it calls writes them")
    return problems
