"""An ensemble of Mesa-peer trajectories, with the engine's outcome vocabulary.

Each run is its own :class:`~mesa_peer.model.BoliviaModel` (one Mesa model per trajectory,
as ``mesa.batch_run`` would make them), stepped month by month; its random stream depends
only on (seed, start month, run index), the engine's seed policy. The runs' event logs are
joined into the engine's columnar format so :func:`coyuntura.engine.outcomes.runs_with_outcome`
reads them unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from coyuntura.engine.model import Model
from coyuntura.engine.outcomes import runs_with_outcome
from coyuntura.engine.state import REGIME_KEYS

from .model import BoliviaModel


@dataclass(frozen=True)
class PeerEnsemble:
    """Runs ``0 .. n_runs - 1`` of the peer: the regime at the end of each month, and the event log."""

    n_runs: int
    start: int
    until: int
    regimes: np.ndarray  # (runs, months) int8
    events: dict[str, np.ndarray]

    def regime_share(self, month: int, regime: str) -> float:
        """Share of runs in ``regime`` at the end of ``month``."""
        return float(np.mean(self.regimes[:, month - self.start] == REGIME_KEYS.index(regime)))

    def outcome_share(self, key: str, window: tuple[int, int] | None = None) -> float:
        """Share of runs with outcome ``key`` (within ``window``, inclusive months)."""
        return float(np.mean(runs_with_outcome(self.events, key, self.n_runs, 0, window)))


def simulate_peer(
    compiled: Model,
    n_runs: int,
    seed: int = 0,
    start: str | None = None,
    until: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> PeerEnsemble:
    """Simulate ``n_runs`` Mesa trajectories from the scenario's start (or snapshot ``start``) to ``until``."""
    first = compiled.scenario.snapshot(start).month if start is not None else compiled.scenario.calendar.start
    until = compiled.scenario.calendar.end if until is None else until
    months = until - first + 1
    regimes = np.empty((n_runs, months), dtype=np.int8)
    rows: list[tuple[int, int, int, int, int, int]] = []
    for run in range(n_runs):
        model = BoliviaModel(compiled, seed, run, start)
        for _ in range(months):
            model.step()
        regimes[run] = model.regimes
        rows.extend((run, *row) for row in model.log)
        if progress is not None:
            progress(run + 1)
    table = np.array(rows, dtype=np.int64).reshape(-1, 6)
    events = {
        "run": table[:, 0],
        "month": table[:, 1].astype(np.int32),
        "event": table[:, 2].astype(np.int16),
        "actors": table[:, 3],
        "outcome": table[:, 4].astype(np.int8),
        "mechanism": table[:, 5].astype(np.int16),
    }
    return PeerEnsemble(n_runs=n_runs, start=first, until=until, regimes=regimes, events=events)
