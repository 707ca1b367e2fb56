"""The established functional forms the mechanisms are built from.

Each is a pure function over numpy arrays so mechanisms read as their
equations, and so unit tests can pin the direction of every effect.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def hazard_probability(rate: Array | float) -> Array:
    """Monthly event probability ``1 - exp(-rate)`` of a Poisson hazard with the given rate."""
    return -np.expm1(-np.maximum(rate, 0.0))


def log_linear_rate(intercept: float, *terms: tuple[float, Array]) -> Array:
    """Hazard rate ``exp(intercept + sum(coef * driver))``: log-linear in its drivers."""
    log_rate = intercept
    for coefficient, driver in terms:
        log_rate = log_rate + coefficient * driver
    return np.exp(np.minimum(log_rate, 30.0))


def contest_success_probability(attack: Array, defence: Array, decisiveness: float) -> Array:
    """Tullock (1980) / Hirshleifer (1989) contest: ``C^m / (C^m + D^m)``.

    ``attack`` and ``defence`` are the committed forces of the two coalitions;
    ``decisiveness`` (m) sharpens the advantage of the stronger side. With no
    force on either side the attacker has an even chance.
    """
    attack_power = np.power(np.maximum(attack, 0.0), decisiveness)
    defence_power = np.power(np.maximum(defence, 0.0), decisiveness)
    total = attack_power + defence_power
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0.0, attack_power / np.where(total > 0.0, total, 1.0), 0.5)
    return share


def logistic(x: Array | float) -> Array:
    """The logistic function, for propensities between 0 and 1."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


def relax(current: Array, target: Array | float, speed: float) -> Array:
    """Move a level a fraction ``speed`` of the way toward its target (first-order adjustment)."""
    return current + speed * (target - current)


def grievance(hardship: Array, legitimacy: Array) -> Array:
    """Gurr (1970) / Epstein (2002): grievance = hardship x (1 - legitimacy in the actor's eyes)."""
    return hardship * (1.0 - legitimacy)


def unit_clip(x: Array) -> Array:
    """Keep a level inside [0, 1]."""
    return np.clip(x, 0.0, 1.0)
