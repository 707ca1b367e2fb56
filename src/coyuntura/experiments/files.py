"""Write experiment outputs atomically: a reader sees the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ..report.tables import Table, to_csv, to_dict, to_markdown


def _readable(temporary: str) -> None:
    """Give a temporary file (created 0600) the usual permissions of a new file under the umask."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(temporary, 0o666 & ~mask)


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        _readable(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path.absolute()


def save_figure(figure: Any, path: str | Path) -> str:
    """Save a matplotlib figure as PNG atomically; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".png")
    os.close(handle)
    try:
        figure.savefig(temporary, format="png")
        _readable(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return str(path.absolute())


def write_table(folder: str | Path, stem: str, table: Table, extra: dict[str, Any] | None = None) -> list[str]:
    """``<stem>.csv``, ``<stem>.md`` and ``<stem>.json`` (the table plus ``extra``) in ``folder``."""
    folder = Path(folder)
    data = {"table": to_dict(table), **(extra or {})}
    return [
        str(write_text(folder / f"{stem}.csv", to_csv(table))),
        str(write_text(folder / f"{stem}.md", to_markdown(table))),
        str(write_text(folder / f"{stem}.json", json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")),
    ]
