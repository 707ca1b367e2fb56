"""What identifies a piece of work in the store: canonical JSON, the scenario's content hash and the code version."""

from __future__ import annotations

import hashlib
import json
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from pydantic import BaseModel


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


def model_hash(scenario: Any) -> str:
    """SHA-256 of what the scenario's runs and calibration depend on: its content without what only documents it
    (:func:`documents`: citations and what they say, descriptions, titles, names and notes, the bibliography and
    checklist). A mended citation or description keeps it; any changed value, prior, actor, mechanism, observation or
    experiment changes it. It covers the scenario, not the engine's code or the files of its plug-in mechanisms. A
    calibrated posterior records it, so that mending a scenario's citations does not call for a new calibration."""
    data = _undocumented(scenario, scenario.model_dump(mode="json", by_alias=True, exclude_none=True))
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def documents(model: Any, field: str) -> bool:
    """Whether ``field`` of a scenario's ``model`` (a validated object) only documents it: read by people and reports,
    never by a simulation, score or calibration. Decided by the model's class, not the field's name alone, so a
    mechanism's parameter or an actor called ``source`` still counts."""
    from ..engine.mechanisms.base import MechanismParams
    from ..scenario.quantities import Quantity
    from ..scenario.schema import Actor, Experiment, Holding, Provenance, Regime, Scenario

    if isinstance(model, MechanismParams):
        return field == "note"
    if isinstance(model, (Provenance, Quantity)) and field in ("source", "says", "assumption"):
        return True
    if isinstance(model, Scenario):
        return field in ("title", "description", "source_document", "sources", "checklist", "not_represented")
    if isinstance(model, Actor):
        return field in ("name", "description", "checklist")
    if isinstance(model, Holding):
        return field == "name"
    if isinstance(model, Regime):
        return field in ("label", "colour", "note")
    if isinstance(model, Experiment):
        return field in ("title", "description")
    return field == "description"  # of events, observations, snapshots


def _undocumented(model: Any, dumped: Any) -> Any:
    """``dumped`` (the JSON dump of ``model``) less the fields that only document it, walking the validated objects
    beside their dump; where no object stands behind a value (a plain mapping's keys, a plug-in's extra values) all is kept
    but what documents the objects below it."""
    if isinstance(model, BaseModel) and isinstance(dumped, Mapping):
        names = {(field.serialization_alias or field.alias or name): name for name, field in type(model).model_fields.items()}
        extra = model.model_extra or {}
        kept = {}
        for key, value in dumped.items():
            name = names.get(key)
            if name is not None and documents(model, name):
                continue
            kept[key] = _undocumented(getattr(model, name) if name is not None else extra.get(key), value)
        return kept
    if isinstance(model, Mapping) and isinstance(dumped, Mapping):
        return {key: _undocumented(model.get(key), value) for key, value in dumped.items()}
    if isinstance(model, (list, tuple)) and isinstance(dumped, (list, tuple)) and len(model) == len(dumped):
        return [_undocumented(item, value) for item, value in zip(model, dumped)]
    return dumped


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
