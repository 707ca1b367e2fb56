"""Write experiment tables atomically (CSV, Markdown and JSON side by side)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..atomic import save_figure, write_text
from ..engine.tables import Table, to_csv, to_dict, to_markdown

__all__ = ["save_figure", "write_table", "write_text"]


def write_table(folder: str | Path, stem: str, table: Table, extra: dict[str, Any] | None = None) -> list[str]:
    """``<stem>.csv``, ``<stem>.md`` and ``<stem>.json`` (the table plus ``extra``) in ``folder``."""
    folder = Path(folder)
    data = {"table": to_dict(table), **(extra or {})}
    return [
        str(write_text(folder / f"{stem}.csv", to_csv(table))),
        str(write_text(folder / f"{stem}.md", to_markdown(table))),
        str(write_text(folder / f"{stem}.json", json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")),
    ]
