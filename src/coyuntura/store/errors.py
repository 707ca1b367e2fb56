"""What a failing store says: :class:`StoreError`, with the file, the cause and what to do about it."""

from __future__ import annotations

import errno
import shlex
from pathlib import Path

from .schema import is_foreign_file


class StoreError(ValueError):
    """A store that cannot be opened, read or written (the message names the file and what to do), or a record that does not exist."""


def first_line(error: BaseException) -> str:
    """The first line of an error's message (its type's name if it has none), without a final full stop."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0].rstrip(".!")


def advice(path: Path, error: BaseException | str | None = None) -> str:
    """What to do about the store at ``path`` that failed with ``error``: one or two sentences naming the commands."""
    text = str(error or "")
    store = shlex.quote(str(path))
    if (isinstance(error, OSError) and error.errno in (errno.EACCES, errno.EPERM, errno.EROFS)) or any(
        words in text for words in ("Permission denied", "Read-only file system", "Operation not permitted")
    ):
        return f"Make {path} and its folder writable, or give --store a file in a folder you can write."
    if type(error).__name__ in ("ConversionException", "BinderException", "ConstraintException", "InvalidInputException"):
        return "The file is not at fault: a value could not be stored (a number out of range?); nothing was recorded."
    if is_foreign_file(path):
        return f"{path} is not a DuckDB file, so not a run store: give --store a new file name or a run store's file."
    return (
        f"If the file is damaged, `coyuntura runs verify --store {store}` lists what is wrong and "
        f"`coyuntura runs repair --store {store}` moves it aside and keeps what can still be read; or give --store another file."
    )
