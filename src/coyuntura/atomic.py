"""Write files atomically: a reader sees the old file or the new one, never half of one.

Every output coyuntura writes (reports, descriptions, tables, figures, posteriors)
goes through a temporary file in the same folder and a rename.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Callable


def _readable(temporary: str) -> None:
    """Give a temporary file (created 0600) the usual permissions of a new file under the umask."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(temporary, 0o666 & ~mask)


def _write_via_temporary(path: str | Path, fill: Callable[[str], None], suffix: str = ".tmp") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    try:
        fill(temporary)
        _readable(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return path.absolute()


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return the absolute path."""
    return _write_via_temporary(path, lambda temporary: Path(temporary).write_bytes(data))


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically; return the absolute path."""
    return write_bytes(path, text.encode("utf-8"))


def save_figure(figure: Any, path: str | Path) -> str:
    """Save a matplotlib figure as PNG atomically; return the path."""
    return str(_write_via_temporary(path, lambda temporary: figure.savefig(temporary, format="png"), suffix=".png"))
