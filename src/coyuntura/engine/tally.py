"""Counts of what happens under each regime type, streamed over batches of runs.

Which regime a coup, an exit, a strike or a repression wave happened under is the regime in power
at the start of that month. The counts are integers, so the tallies of any split
of the runs add up exactly to the tally of all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from .events import EventType, Outcome
from .state import REGIME_KEYS

MAX_COUNT = 20
"""Per-run counts above this are binned together in the histograms."""


@dataclass
class RegimeTally:
    """Exposure and events by regime type (index = ``REGIME_KEYS``), plus per-run coup counts."""

    exposure_months: np.ndarray  # run-months spent under each regime
    coup_success_months: np.ndarray  # run-months with a successful coup against it
    coup_attempt_months: np.ndarray  # run-months with a coup attempt against it
    exit_months: np.ndarray  # run-months in which it was replaced, by any cause
    general_strikes: np.ndarray  # general strikes under it
    repression_waves: np.ndarray  # repression waves under it (M8: the government strikes those outside its coalition)
    runs_in: np.ndarray  # runs that spent at least one month under it
    runs_with_attempt: np.ndarray  # runs with at least one coup attempt against it
    runs_ended: np.ndarray  # runs in which it was replaced at least once
    success_histogram: np.ndarray  # (3, MAX_COUNT + 1): runs by number of successful coups: up to ``split``, after it, in all
    failed_histogram: np.ndarray  # (3, MAX_COUNT + 1): the same for failed coups
    failed_coups: np.ndarray  # (1,) failed coups in all
    defeated_by_masses: np.ndarray  # (1,) of which defeated by mass mobilization

    @classmethod
    def empty(cls) -> "RegimeTally":
        regimes = len(REGIME_KEYS)
        values = {f.name: np.zeros(regimes, dtype=np.int64) for f in fields(cls)}
        values["success_histogram"] = np.zeros((3, MAX_COUNT + 1), dtype=np.int64)
        values["failed_histogram"] = np.zeros((3, MAX_COUNT + 1), dtype=np.int64)
        values["failed_coups"] = np.zeros(1, dtype=np.int64)
        values["defeated_by_masses"] = np.zeros(1, dtype=np.int64)
        return cls(**values)

    def __add__(self, other: "RegimeTally") -> "RegimeTally":
        return RegimeTally(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def add_batch(self, regime_before: np.ndarray, columns: dict[str, np.ndarray], start: int, first_run: int, split: int) -> None:
        """Add one batch: ``regime_before`` is (months, runs), the regime at the start of each month."""
        n_months, n_runs = regime_before.shape
        regimes = len(REGIME_KEYS)
        self.exposure_months += np.bincount(regime_before.ravel(), minlength=regimes)
        present = np.zeros((regimes, n_runs), dtype=bool)
        for r in range(regimes):
            present[r] = np.any(regime_before == r, axis=0)
        self.runs_in += present.sum(axis=1)
        row = columns["month"] - start
        run = columns["run"] - first_run
        under = regime_before[row, run] if row.size else np.empty(0, dtype=np.int8)
        event, outcome = columns["event"], columns["outcome"]
        coup = event == int(EventType.COUP_ATTEMPT)
        success = coup & (outcome == int(Outcome.SUCCESS))
        failed = coup & ~success
        change = event == int(EventType.GOVERNMENT_CHANGE)
        # At most one attempt and one change of government per run and month are counted.
        for mask, total, per_run in (
            (coup, self.coup_attempt_months, self.runs_with_attempt),
            (success, self.coup_success_months, None),
            (change, self.exit_months, self.runs_ended),
        ):
            keys = np.unique(run[mask].astype(np.int64) * (n_months + 1) + row[mask])
            key_runs, key_rows = keys // (n_months + 1), keys % (n_months + 1)
            total += np.bincount(regime_before[key_rows, key_runs], minlength=regimes)
            if per_run is not None:
                seen = np.zeros((regimes, n_runs), dtype=bool)
                seen[regime_before[key_rows, key_runs], key_runs] = True
                per_run += seen.sum(axis=1)
        for kind, total in ((EventType.GENERAL_STRIKE, self.general_strikes), (EventType.REPRESSION_WAVE, self.repression_waves)):
            total += np.bincount(under[event == int(kind)], minlength=regimes)
        self.failed_coups += int(np.count_nonzero(failed))
        self.defeated_by_masses += int(np.count_nonzero(coup & (outcome == int(Outcome.DEFEATED_BY_MOBILIZATION))))
        later = columns["month"] > split
        for histogram, mask in ((self.success_histogram, success), (self.failed_histogram, failed)):
            for part, in_part in enumerate((~later, later, np.ones_like(later))):
                counts = np.bincount(run[mask & in_part], minlength=n_runs)
                histogram[part] += np.bincount(np.minimum(counts, MAX_COUNT), minlength=MAX_COUNT + 1)

    def runs_with_at_least(self, successes: int) -> int:
        """Runs with at least ``successes`` successful coups over the whole span."""
        return int(self.success_histogram[2, successes:].sum())
