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


def check_destination(path: str | Path, folder: bool = True, built_beside: bool = False) -> Path:
    """Check, before any work, that ``path`` can be written - a folder (``folder``) or a file - and return it absolute;
    ``built_beside``: also its parent, where a folder written whole is built under a temporary name.

    Raises ``ValueError`` naming the obstacle: a file where a folder is wanted (or the reverse), a file on the way to
    it, or a place this process may not write to.
    """
    target = Path(path).expanduser().absolute()
    if built_beside:
        check_destination(target.parent, folder=True)
    if target.exists() and target.is_dir() != folder:
        raise ValueError(f"{target} is a {'file' if folder else 'folder'}, not a {'folder' if folder else 'file'}")
    here = target if folder else target.parent
    while not here.exists():
        here = here.parent
    if not here.is_dir():
        raise ValueError(f"cannot create {target}: {here} is a file")
    if not os.access(here, os.W_OK | os.X_OK):
        raise ValueError(f"cannot write {target}: no permission to write in {here}")
    return target


def write_via(path: str | Path, fill: Callable[[str], object], suffix: str = ".tmp") -> Path:
    """Have ``fill`` write a temporary file beside ``path``, then rename it into place; return the absolute path.

    For writers that take a file name (Parquet, matplotlib): the folder is created if need be, and the
    temporary file is removed if ``fill`` fails, whose exception then propagates.
    """
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
    return write_via(path, lambda temporary: Path(temporary).write_bytes(data))


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically; return the absolute path."""
    return write_bytes(path, text.encode("utf-8"))


def save_figure(figure: Any, path: str | Path) -> str:
    """Save a matplotlib figure as PNG atomically; return the path."""
    return str(write_via(path, lambda temporary: figure.savefig(temporary, format="png"), suffix=".png"))
