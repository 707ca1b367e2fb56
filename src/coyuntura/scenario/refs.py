"""References between parts of a scenario, checked after parsing."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

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
