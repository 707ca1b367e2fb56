"""Render a description as one self-contained HTML page: inline CSS, figures as base64 data URIs."""

from __future__ import annotations

import base64
import html
from typing import Sequence

from .document import Block, Bullets, Description, Equations, Grid, Paragraph, Section
from .style import CSS


def _html_inline(text: str) -> str:
    parts = text.split("`")
    return "".join(f"<code>{html.escape(part)}</code>" if index % 2 else html.escape(part) for index, part in enumerate(parts))


def _html_block(block: Block, description: Description) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{_html_inline(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{_html_inline(item)}</li>" for item in block.items) + "</ul>"
    if isinstance(block, Equations):
        return "<pre>" + html.escape("\n".join(block.lines)) + "</pre>"
    if isinstance(block, Grid):
        head = "".join(f"<th>{_html_inline(h)}</th>" for h in block.headers)
        body = "".join("<tr>" + "".join(f"<td>{_html_inline(cell)}</td>" for cell in row) + "</tr>" for row in block.rows)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    figure = description.figure(block.key)
    data = base64.b64encode(figure.png).decode("ascii")
    return (
        f'<figure id="fig-{figure.key}"><img alt="{html.escape(figure.title)}" src="data:image/png;base64,{data}">'
        f"<figcaption><strong>{_html_inline(figure.title)}.</strong> {_html_inline(figure.caption)}</figcaption></figure>"
    )


def _html_toc(sections: Sequence[Section]) -> str:
    items = []
    for section in sections:
        inner = _html_toc([child for child in section.children if child.number.count(".") < 2]) if section.children else ""
        items.append(f'<li><a href="#{section.anchor}">{html.escape(section.number)} {_html_inline(section.title)}</a>{inner}</li>')
    return "<ul>" + "".join(items) + "</ul>"


def render_html(description: Description) -> str:
    """The description as one self-contained HTML page: inline CSS, figures as data URIs, no external assets."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(description.title)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{_html_inline(description.title)}</h1>",
    ]
    parts += [_html_block(block, description) for block in description.intro]
    parts.append(f'<nav class="toc"><strong>Contents</strong>{_html_toc(description.sections)}</nav>')
    for section in description.all_sections():
        depth = min(2 + section.number.count("."), 6)
        parts.append(f'<h{depth} id="{section.anchor}">{html.escape(section.number)} {_html_inline(section.title)}</h{depth}>')
        parts += [_html_block(block, description) for block in section.blocks]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
