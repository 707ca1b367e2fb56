"""Render a description as GitHub-readable Markdown, its figures linked as PNG files beside it."""

from __future__ import annotations

import re

from .document import Block, Bullets, Description, Equations, Grid, Paragraph, Section


def _md_inline(text: str, table: bool = False) -> str:
    parts = text.split("`")
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append("`" + (part.replace("|", "\\|") if table else part) + "`")
            continue
        part = re.sub(r"([\\*<])", r"\\\1", part)
        part = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", part)
        if table:
            part = part.replace("|", "\\|")
        out.append(part)
    return "".join(out)


def _md_block(block: Block, figure_files: dict[str, str] | None, description: Description) -> list[str]:
    if isinstance(block, Paragraph):
        text = _md_inline(block.text)
        if re.match(r"^(#|[-+]\s|\d+[.)]\s)", text):
            text = "\\" + text
        return [text, ""]
    if isinstance(block, Bullets):
        return [f"- {_md_inline(item)}" for item in block.items] + [""]
    if isinstance(block, Equations):
        return ["```text", *block.lines, "```", ""]
    if isinstance(block, Grid):
        lines = ["| " + " | ".join(_md_inline(h, True) for h in block.headers) + " |", "|" + "---|" * len(block.headers)]
        lines += ["| " + " | ".join(_md_inline(cell, True) for cell in row) + " |" for row in block.rows]
        return lines + [""]
    figure = description.figure(block.key)
    if figure_files and block.key in figure_files:
        return [f"![{figure.title}]({figure_files[block.key]})", "", f"*{_md_inline(figure.title)}.* {_md_inline(figure.caption)}", ""]
    return [f"*{_md_inline(figure.title)}: written as a PNG file beside the description with `--out FILE`.*", ""]


def render_markdown(description: Description, figure_files: dict[str, str] | None = None) -> str:
    """The description as GitHub-readable Markdown; ``figure_files`` maps figure keys to the PNG paths to link."""
    lines = [f"# {_md_inline(description.title)}", ""]
    for block in description.intro:
        lines += _md_block(block, figure_files, description)
    lines += ["## Contents", ""]
    for top in description.sections:
        lines.append(f"- [{top.number} {_md_inline(top.title)}](#{_md_anchor(top)})")
    lines.append("")
    for section in description.all_sections():
        depth = min(2 + section.number.count("."), 6)
        lines += [f"{'#' * depth} {section.number} {_md_inline(section.title)}", ""]
        for block in section.blocks:
            lines += _md_block(block, figure_files, description)
    return "\n".join(lines).rstrip() + "\n"


def _md_anchor(section: Section) -> str:
    """The anchor GitHub gives the heading ``<number> <title>``."""
    text = f"{section.number} {section.title}".lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
