"""One clear error for a bad scenario: file, line, field path and what is wrong."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario, located by field path and, where known, line."""

    path: str
    message: str
    line: int | None = None

    def render(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line else file
        field = f" at {self.path}" if self.path else ""
        return f"{where}{field}: {self.message}"


@dataclass(frozen=True)
class ScenarioWarning:
    """Something in a valid scenario that will not do what it seems to (a value the engine caps or overwrites, an
    event that never fires, a change a snapshot overrides): reported, never refused. Not a Python warning category:
    :func:`coyuntura.scenario.checks.scenario_warnings` returns them and the CLI and the web print them."""

    path: str
    message: str
    line: int | None = None

    def render(self, file: str) -> str:
        return Problem(self.path, self.message, self.line).render(file)

    def note(self) -> str:
        """One line for a table's notes (a what-if's): ``warning: PATH: MESSAGE``."""
        return f"warning: {self.path}: {self.message}" if self.path else f"warning: {self.message}"


class ScenarioError(ValueError):
    """A scenario file could not be loaded; ``problems`` says what and where."""

    def __init__(self, file: str, problems: list[Problem]):
        self.file = file
        self.problems = problems
        count = len(problems)
        header = f"scenario {file} is invalid ({count} problem{'s' if count != 1 else ''}):"
        super().__init__("\n".join([header] + ["  " + problem.render(file) for problem in problems]))
