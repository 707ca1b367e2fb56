"""The document tree of a model description: sections of blocks, and the figures they show.

Text in blocks is plain, except `backtick spans`, which are code. Scenario text passes
through :func:`~coyuntura.report.describe.text.plain` first, so a backtick in a
scenario file cannot open a code span. The renderers (:mod:`.as_markdown`,
:mod:`.as_html`) know only this tree, never the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Union


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Equations:
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Grid:
    """A table: header cells and rows of text cells."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class FigureRef:
    key: str


Block = Union[Paragraph, Bullets, Equations, Grid, FigureRef]


@dataclass(frozen=True)
class Section:
    number: str
    title: str
    blocks: tuple[Block, ...] = ()
    children: tuple["Section", ...] = ()

    @property
    def anchor(self) -> str:
        return "s-" + self.number.strip(".").replace(".", "-")

    def walk(self) -> Iterable["Section"]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class Figure:
    """A figure drawn from declarations: ``png`` bytes, written as ``<stem>-<key>.png`` beside Markdown."""

    key: str
    title: str
    caption: str
    png: bytes


@dataclass(frozen=True)
class Description:
    """The model description of one scenario, ready to render."""

    scenario_id: str
    title: str
    intro: tuple[Block, ...]
    sections: tuple[Section, ...]
    figures: tuple[Figure, ...] = field(default_factory=tuple)

    def all_sections(self) -> list[Section]:
        """Every section and subsection, in document order."""
        return [section for top in self.sections for section in top.walk()]

    def figure(self, key: str) -> Figure:
        for figure in self.figures:
            if figure.key == key:
                return figure
        raise KeyError(f"no figure {key!r}; figures: {', '.join(f.key for f in self.figures)}")
