"""Shared helpers: the bundled model, the toy model (tests/data/toy.yaml), parameter overrides, and months with chosen draws.

A test controls randomness by handing a mechanism a :class:`Draws` built from a
blocks array of chosen uniforms. ``NEVER`` (0.999999) keeps every hazard from
firing and answers "no" to every logistic choice; ``ALWAYS`` (0.0) fires every
hazard. Noise slots (the cascade's per-actor slots and the Left's unity noise)
default to 0.5, which is zero noise.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from coyuntura.engine.events import EventLog
from coyuntura.engine.mechanisms.base import Month
from coyuntura.engine.model import Model, compile_scenario
from coyuntura.engine.random import BLOCK_SIZE, Draws
from coyuntura.engine.state import State
from coyuntura.scenario.loader import load_scenario
from coyuntura.scenario.schema import Scenario

NEVER = 0.999999
ALWAYS = 0.0
NOISE_SLOT_PREFIXES = ("mobilization.", "defence.", "unity_noise", "revolutionary_unity_noise")


TOY = Path(__file__).resolve().parent / "data" / "toy.yaml"
"""A small scenario for unit tests: 15 of bolivia-1952's actors (same ids), 1970-09 .. 1971-03 (horizon 1973-12),
every mechanism, the snapshots ``october_1970`` and ``march_1971``, two events, two experiments, 18 observations."""


@lru_cache(maxsize=1)
def bundled_model() -> Model:
    """The bundled scenario, compiled once per test session (never mutate it)."""
    return compile_scenario(load_scenario("bolivia-1952"))


@lru_cache(maxsize=1)
def toy_scenario() -> Scenario:
    """The toy scenario (``tests/data/toy.yaml``), loaded once per test process (scenarios are immutable)."""
    return load_scenario(TOY)


@lru_cache(maxsize=1)
def toy_model() -> Model:
    """The toy scenario, compiled once per test process (never mutate it)."""
    return compile_scenario(toy_scenario())


def with_params(model: Model, mechanism: str, **overrides: object) -> Model:
    """A copy of ``model`` whose ``mechanism`` parameters have ``overrides`` (the original is untouched)."""
    params = dict(model.params)
    current = vars(params[mechanism])
    unknown = set(overrides) - set(current)
    if unknown:
        raise KeyError(f"{mechanism} has no parameters {sorted(unknown)}")
    params[mechanism] = SimpleNamespace(**{**current, **overrides})
    return dataclasses.replace(model, params=params)


def make_draws(model: Model, n_runs: int, values: dict[str, float | np.ndarray] | None = None, default: float = NEVER) -> Draws:
    """One month's draws for ``n_runs`` runs: ``values[slot]`` (scalar or one per run), else the default."""
    layout = model.layout
    n_blocks = max(1, -(-n_runs // BLOCK_SIZE))
    blocks = np.full((n_blocks, layout.size, BLOCK_SIZE), default, dtype=float)
    for row, name in enumerate(layout.names):
        if name.startswith(NOISE_SLOT_PREFIXES):
            blocks[:, row, :] = 0.5
    for name, value in (values or {}).items():
        row = layout.index(name)
        flat = np.full(n_blocks * BLOCK_SIZE, default, dtype=float)
        flat[:n_runs] = np.broadcast_to(np.asarray(value, dtype=float), (n_runs,))
        blocks[:, row, :] = flat.reshape(n_blocks, BLOCK_SIZE)
    return Draws(layout, blocks, 0, n_runs)


def make_month(model: Model, n_runs: int, values: dict[str, float | np.ndarray] | None = None, index: int | None = None, default: float = NEVER) -> Month:
    """A :class:`Month` with chosen draws and a fresh event log."""
    month_index = model.scenario.calendar.start if index is None else index
    return Month(index=month_index, model=model, draws=make_draws(model, n_runs, values, default), log=EventLog(), scratch={})


def fresh_state(model: Model, n_runs: int, snapshot: str | None = None) -> State:
    """The initial state of ``n_runs`` runs, at the start or at a snapshot."""
    snap = model.scenario.snapshot(snapshot) if snapshot is not None else None
    return model.initial_state(n_runs, snap)


def events_of(month: Month, event: int) -> dict[str, np.ndarray]:
    """The rows of the month's log of one event type."""
    columns = month.log.columns()
    rows = columns["event"] == int(event)
    return {name: values[rows] for name, values in columns.items()}


def grid(n: int) -> np.ndarray:
    """``n`` uniforms evenly spread over (0, 1): counting ``u < p`` over them estimates ``p``."""
    return (np.arange(n) + 0.5) / n


def final_state(model: Model, n_runs: int, seed: int, start: str | None, until: int, first_run: int = 0) -> State:
    """The full state at the end of ``until`` of one batch, as ``simulate`` computes it.

    ``simulate`` keeps only summaries, so this reaches for its batch runner: the one
    place to update if that private function changes.
    """
    from coyuntura.engine.simulate import STRENGTH_BINS, _run_batch
    from coyuntura.engine.state import REGIME_KEYS

    snapshot = model.scenario.snapshot(start) if start is not None else None
    start_month = snapshot.month if snapshot is not None else model.scenario.calendar.start
    n_months = until - start_month + 1
    regime_counts = np.zeros((n_months, len(REGIME_KEYS)), dtype=np.int64)
    histogram = np.zeros((n_months, model.n_actors, STRENGTH_BINS), dtype=np.int64)
    state, *_ = _run_batch(model, seed, snapshot, start_month, until, first_run, n_runs, regime_counts, histogram, ())
    return state
