"""References between parts of a scenario, checked after parsing."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import StringConstraints
from pydantic.fields import FieldInfo

ID_PATTERN = r"^[a-z][a-z0-9_]*$"

Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=64)]
"""A lower-case identifier: letters, digits and underscores, starting with a letter."""


class ActorReference:
    """Marker: the annotated string must name an actor the scenario defines."""

    def __repr__(self) -> str:
        return "ActorReference()"


ActorRef = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=64), ActorReference()]
"""The id of an actor defined in the scenario's ``actors:`` list."""


def is_actor_reference(metadata: list[object]) -> bool:
    return any(isinstance(item, ActorReference) for item in metadata)


ActorKind = Literal["labor", "peasantry", "capital", "army", "church", "party", "students", "foreign", "guerrilla"]
"""What kind of collective force an actor is (``actors[].kind``); a mechanism's role may accept only some kinds."""

ACTOR_KINDS: tuple[str, ...] = get_args(ActorKind)

ROLE_KINDS_KEY = "actor_kinds"
"""The key, in a role field's ``json_schema_extra``, of the actor kinds the role accepts (``role(..., kinds=...)``)."""


def role_kinds(field: FieldInfo) -> tuple[str, ...]:
    """The actor kinds a mechanism's role accepts; empty when it takes an actor of any kind."""
    extra: Any = field.json_schema_extra
    if isinstance(extra, dict):
        kinds = extra.get(ROLE_KINDS_KEY)
        if isinstance(kinds, (list, tuple)):
            return tuple(str(kind) for kind in kinds)
    return ()


def list_index(part: str, length: int) -> int | None:
    """The list position a value path's part names (``actors.0``), if it is one: decimal digits (not ``isdigit()``,
    which takes ``²``), at most 9 of them, below ``length``; else ``None``."""
    return int(part) if part.isdecimal() and len(part) <= 9 and int(part) < length else None
