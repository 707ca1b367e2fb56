"""Caps on what one command may ask for, checked before any work starts.

- Seeds: ``0 <= seed < 2**63`` (:data:`MAX_SEED`), so that a seed always fits the run store's
  signed 64-bit column and every command that records its seed can record it.
- Runs: one command simulates at most :func:`max_runs` runs in all (default
  :data:`DEFAULT_MAX_RUNS`; the environment variable ``COYUNTURA_MAX_RUNS`` sets another cap):
  ``--runs`` of ``run``, ``whatif`` (per arm), ``forecast`` and ``score``; sample points x
  ``--runs`` of ``sensitivity`` and ``discover``; ``--population`` x ``--runs-per-particle`` x
  ``--generations`` of ``calibrate`` (at each origin of ``backtest``).
- Sample points of ``sensitivity`` and ``discover``, ABC particles and posterior draws: at most
  :data:`MAX_POINTS` (each is a parameter vector held in memory).

The web API has its own, lower caps (``coyuntura.web.models``).
"""

from __future__ import annotations

import numbers
import os

MAX_SEED = 2**63 - 1
"""Largest seed: seeds are 0 <= seed < 2**63."""
DEFAULT_MAX_RUNS = 10_000_000
"""Most runs one command simulates in all, unless ``COYUNTURA_MAX_RUNS`` says otherwise."""
MAX_RUNS_ENV = "COYUNTURA_MAX_RUNS"
MAX_POINTS = 100_000
"""Most sample points, ABC particles or posterior draws one command may ask for."""


def max_runs() -> int:
    """The cap on runs: ``$COYUNTURA_MAX_RUNS`` if set (a positive integer), else :data:`DEFAULT_MAX_RUNS`."""
    text = os.environ.get(MAX_RUNS_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_RUNS
    if not text.isdecimal() or len(text) > 18 or int(text) < 1:
        raise ValueError(f"${MAX_RUNS_ENV} must be a positive whole number of runs, got {text[:40]!r}")
    return int(text)


def check_seed(seed: int, option: str = "--seed") -> int:
    """Refuse a seed outside 0 <= seed < 2**63."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed <= MAX_SEED:  # numpy's too
        raise ValueError(f"{option} must be a whole number with 0 <= seed < 2**63, got {seed}")
    return seed


def check_count(value: int, option: str, minimum: int = 1, maximum: int | None = None) -> int:
    """Refuse a count below ``minimum`` or above ``maximum`` (default: the cap on runs)."""
    cap = max_runs() if maximum is None else maximum
    if value < minimum:
        raise ValueError(f"{option} must be at least {minimum:,}, got {value:,}")
    if value > cap:
        raise ValueError(f"{option} must be at most {cap:,}, got {value:,}{_how_to_raise(maximum)}")
    return value


def check_total(runs: int, what: str) -> int:
    """Refuse work of more than :func:`max_runs` runs in all; ``what`` says how the total was made."""
    cap = max_runs()
    if runs > cap:
        raise ValueError(f"{what} is {runs:,} runs, over the cap of {cap:,} runs per command{_how_to_raise(None)}")
    return runs


def _how_to_raise(maximum: int | None) -> str:
    return f" (set ${MAX_RUNS_ENV} to change the cap)" if maximum is None else ""
