"""What identifies a piece of work in the store: canonical JSON, the scenario's content hash and the code version."""

from __future__ import annotations

import hashlib
import json
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import numpy as np


@lru_cache(maxsize=1)
def code_version() -> str:
    """The package version, plus the git commit (and ``.dirty`` when the package's own tracked files differ from it) when
    run from a git work tree. Edits elsewhere in the tree (docs, tests) do not mark it, nor do edits to a plug-in kept
    outside the package."""
    from .. import __version__

    here = Path(__file__).resolve().parent
    try:
        commit = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if commit.returncode != 0:
            return __version__
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "."], cwd=here.parent, capture_output=True, text=True, timeout=10
        )
        suffix = ".dirty" if dirty.returncode == 0 and dirty.stdout.strip() else ""
        return f"{__version__}+g{commit.stdout.strip()}{suffix}"
    except (OSError, subprocess.SubprocessError):
        return __version__


def scenario_hash(scenario: Any) -> str:
    """SHA-256 of the validated scenario's content (canonical JSON): equal content, equal hash."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


DOCUMENTATION_FIELDS = frozenset({"says", "source", "assumption", "description", "source_document", "sources", "checklist", "not_represented"})
"""Fields of a scenario that document it - its citations and what they say, its descriptions, its bibliography and
checklist - and that no simulation, score or calibration reads."""


def model_hash(scenario: Any) -> str:
    """SHA-256 of what the scenario's runs and calibration depend on: its content without the fields that only
    document it (:data:`DOCUMENTATION_FIELDS`). A corrected citation keeps it; any changed value, prior, actor,
    mechanism or observation changes it. A calibrated posterior records it, so that mending a scenario's
    citations does not call for a new calibration."""
    data = _undocumented(scenario.model_dump(mode="json", by_alias=True, exclude_none=True))
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def _undocumented(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _undocumented(v) for k, v in value.items() if k not in DOCUMENTATION_FIELDS}
    if isinstance(value, (list, tuple)):
        return [_undocumented(v) for v in value]
    return value


def canonical_json(data: Any) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same text."""
    return json.dumps(_jsonable(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    return value
