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

PATTERN_SCENARIO = "bolivia-1952"
"""The scenario whose source's account the patterns encode (their dates are that account's)."""

PATTERNS: dict[str, str] = {
    "coup_against_mnr_by_1966": "A right-wing coup overthrows the civilian MNR government by 1966-12",
    "repression_after_coup": "A repression wave against the miners within two years of that coup (runs with the coup)",
    "coups_defeated_by_mobilization_after_1969": (
        "Share of right coup attempts from 1969-04 defeated by mass mobilization (runs through the 1969 shock)"
    ),
    "any_coup_defeated_by_mobilization_after_1969": (
        "At least one coup defeated by mass mobilization from 1969-04 (runs through the 1969 shock)"
    ),
}
"""The patterns :func:`source_patterns` measures, by key, with what each says (the model description lists them)."""


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


def regime_when(ensemble: Ensemble, runs: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Each row's regime at the start of its month (the regime the event happened under)."""
    series = ensemble.series
    if series is None or ensemble.series_months[:2] != (ensemble.start, ensemble.start + 1):
        raise ValueError("pattern checks need an ensemble simulated with series_every=1")
    previous = np.maximum(months - ensemble.start - 1, 0)
    regimes = series["regime"][previous, runs].astype(int)
    regimes[months == ensemble.start] = ensemble.start_regime
    return regimes


def source_patterns(ensemble: Ensemble) -> list[PatternResult]:
    """The source's account as patterns: the coup against the MNR by 1966, the repression that
    followed it, and coups defeated by mass mobilization after the 1969 shock.

    The ensemble must start at the scenario's start (1952-04).
    """
    events = ensemble.events
    if events is None:
        raise ValueError("pattern checks need keep_events=True")
    n = ensemble.n_runs
    runs = events["run"] - ensemble.first_run
    month = events["month"]
    end_1966 = parse_month("1966-12")
    shock = parse_month("1969-04")

    coups = events["event"] == int(EventType.COUP_ATTEMPT)
    succeeded = coups & (events["outcome"] == int(Outcome.SUCCESS))
    regime_then = regime_when(ensemble, runs, month)
    against_mnr = succeeded & (regime_then == int(RegimeType.CIVILIAN_NATIONALIST)) & (month <= end_1966)
    coup_month = np.full(n, np.iinfo(np.int32).max)
    np.minimum.at(coup_month, runs[against_mnr], month[against_mnr])
    had_coup = coup_month <= end_1966
    everyone = np.ones(n, dtype=bool)

    repression = events["event"] == int(EventType.REPRESSION_WAVE)
    repressed_after = np.zeros(n, dtype=bool)
    rows = repression & (month >= coup_month[runs]) & (regime_then == int(RegimeType.RIGHT_MILITARY)) & (month <= coup_month[runs] + 24)
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
        _result("coup_against_mnr_by_1966", PATTERNS["coup_against_mnr_by_1966"], had_coup, everyone),
        _result(
            "repression_after_coup",
            PATTERNS["repression_after_coup"],
            repressed_after,
            had_coup,
        ),
        PatternResult(
            "coups_defeated_by_mobilization_after_1969",
            PATTERNS["coups_defeated_by_mobilization_after_1969"],
            float(share),
            share_se,
            attempts,
        ),
        _result(
            "any_coup_defeated_by_mobilization_after_1969",
            PATTERNS["any_coup_defeated_by_mobilization_after_1969"],
            any_defeat,
            through_shock,
        ),
    ]
