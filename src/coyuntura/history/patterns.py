"""Patterns of the source's account that an ensemble should reproduce without scripting them.

Pattern-oriented validation (Grimm et al. 2005): instead of fitting one series,
check that the mechanisms generate the qualitative history the source explains.
Each pattern is measured on an ensemble simulated with ``keep_events=True`` and
``series_every=1`` and returned as a probability with its Monte Carlo error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..engine.events import EventType, Outcome
from ..engine.simulate import Ensemble
from ..engine.state import RegimeType
from ..scenario.calendar import parse_month


@dataclass(frozen=True)
class PatternResult:
    key: str
    description: str
    probability: float
    standard_error: float
    runs: int  # the runs the probability is conditioned on


def _result(key: str, description: str, hits: np.ndarray, among: np.ndarray) -> PatternResult:
    n = int(among.sum())
    p = float(hits[among].mean()) if n else float("nan")
    se = float(np.sqrt(p * (1 - p) / n)) if n else float("nan")
    return PatternResult(key, description, p, se, n)


def regime_before(ensemble: Ensemble, month: int) -> np.ndarray:
    """Each run's regime at the end of the month before ``month`` (the start regime for the first month)."""
    series = ensemble.series
    if series is None or ensemble.series_months[1:2] != (ensemble.start + 1,):
        raise ValueError("pattern checks need series_every=1")
    row = month - ensemble.start - 1
    if row < 0:
        return np.full(ensemble.n_runs, -1)
    return series["regime"][row]


def source_patterns(ensemble: Ensemble) -> list[PatternResult]:
    """The three patterns of issue 'executable model': 1964 coup, 1965-66 repression, coups defeated after 1969."""
    events = ensemble.events
    if events is None:
        raise ValueError("pattern checks need keep_events=True")
    n = ensemble.n_runs
    runs = events["run"] - (events["run"].min() if events["run"].size else 0)
    runs = events["run"] - int(ensemble.extras.get("first_run", 0))
    month = events["month"]
    end_1966 = parse_month("1966-12")
    shock = parse_month("1969-04")

    coups = events["event"] == int(EventType.COUP_ATTEMPT)
    succeeded = coups & (events["outcome"] == int(Outcome.SUCCESS))
    regime_then = np.array([ensemble.series["regime"][m - ensemble.start - 1, r] if m > ensemble.start else ensemble.series["regime"][0, r] for m, r in zip(month, runs)], dtype=int) if month.size else np.empty(0, dtype=int)
    against_mnr = succeeded & (regime_then == int(RegimeType.CIVILIAN_NATIONALIST)) & (month <= end_1966)
    coup_month = np.full(n, np.iinfo(np.int32).max)
    np.minimum.at(coup_month, runs[against_mnr], month[against_mnr])
    had_coup = coup_month <= end_1966
    everyone = np.ones(n, dtype=bool)

    repression = events["event"] == int(EventType.REPRESSION_WAVE)
    repressed_after = np.zeros(n, dtype=bool)
    rows = repression & (month >= coup_month[runs]) & (regime_then == int(RegimeType.RIGHT_MILITARY)) & (month <= end_1966 + 24)
    repressed_after[runs[rows]] = True

    death = (events["event"] == int(EventType.LEADER_DEATH)) & (month == shock)
    through_shock = np.zeros(n, dtype=bool)
    through_shock[runs[death]] = True
    later = coups & (month >= shock) & through_shock[runs]
    defeated = later & (events["outcome"] == int(Outcome.DEFEATED_BY_MOBILIZATION))
    attempts = int(later.sum())
    share = defeated.sum() / attempts if attempts else float("nan")
    share_se = float(np.sqrt(share * (1 - share) / attempts)) if attempts else float("nan")
    any_defeat = np.zeros(n, dtype=bool)
    any_defeat[runs[defeated]] = True

    return [
        _result("coup_against_mnr_by_1966", "A right-wing coup overthrows the civilian MNR government by 1966-12", had_coup, everyone),
        _result(
            "repression_after_coup",
            "A repression wave against the miners within two years of that coup (runs with the coup)",
            repressed_after,
            had_coup,
        ),
        PatternResult(
            "coups_defeated_by_mobilization_after_1969",
            "Share of right coup attempts from 1969-04 defeated by mass mobilization (runs through the 1969 shock)",
            float(share),
            share_se,
            attempts,
        ),
        _result(
            "any_coup_defeated_by_mobilization_after_1969",
            "At least one coup defeated by mass mobilization from 1969-04 (runs through the 1969 shock)",
            any_defeat,
            through_shock,
        ),
    ]
