"""Write a description to disk atomically: one HTML file, or Markdown with its PNG figures beside it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from ...atomic import write_bytes
from .as_html import render_html
from .as_markdown import render_markdown
from .document import Description

Format = Literal["md", "html"]


def write_description(description: Description, path: str | Path, fmt: Format = "html") -> list[Path]:
    """Write the description to ``path`` (HTML: one file; Markdown: the file plus ``<stem>-<figure>.png`` beside it).

    Every file is written atomically, figures before the Markdown that links them. Returns the paths written.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give a file name for the description")
    if fmt == "html":
        return [write_bytes(path, render_html(description).encode("utf-8"))]
    if fmt != "md":
        raise ValueError(f"unknown format {fmt!r}; use 'md' or 'html'")
    written = []
    links = {}
    for figure in description.figures:
        name = f"{path.stem}-{figure.key}.png"
        written.append(write_bytes(path.with_name(name), figure.png))
        links[figure.key] = name
    written.append(write_bytes(path, render_markdown(description, links).encode("utf-8")))
    return written
