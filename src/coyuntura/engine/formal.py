"""The established functional forms the mechanisms are built from.

Each is a pure function over numpy arrays so mechanisms read as their
equations, and so unit tests can pin the direction of every effect. Inside,
they work in place on the temporary they create (never on an argument): the
same operations in the same order, so the same bits, with less memory traffic.
"""

from __future__ import annotations

import numpy as np

Array = np.ndarray


def hazard_probability(rate: Array | float) -> Array:
    """Monthly event probability ``1 - exp(-rate)`` of a Poisson hazard with the given rate."""
    probability = np.maximum(rate, 0.0)
    if not _scratch(probability):
        return -np.expm1(-probability)
    np.negative(probability, out=probability)
    np.expm1(probability, out=probability)
    return np.negative(probability, out=probability)


def log_linear_rate(intercept: Array | float, *terms: tuple[Array | float, Array]) -> Array:
    """Hazard rate ``exp(intercept + sum(coef * driver))``: log-linear in its drivers."""
    log_rate: Array | float = intercept
    owned = False  # whether log_rate is a temporary made here (never the caller's array)
    for coefficient, driver in terms:
        term = coefficient * driver
        if owned and isinstance(log_rate, np.ndarray) and np.shape(term) == log_rate.shape:
            log_rate += term
        else:
            log_rate = log_rate + term
            owned = _scratch(log_rate)
    if not owned or not isinstance(log_rate, np.ndarray):  # owned implies an array; the check narrows the type
        rate: Array = np.exp(np.minimum(log_rate, 30.0))
        return rate
    np.minimum(log_rate, 30.0, out=log_rate)
    np.exp(log_rate, out=log_rate)
    return log_rate


def contest_success_probability(attack: Array, defence: Array, decisiveness: Array | float) -> Array:
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
    half = 0.5 * np.asarray(x, dtype=float)
    if not _scratch(half):
        return 0.5 * (1.0 + np.tanh(half))
    np.tanh(half, out=half)
    half += 1.0
    half *= 0.5
    return half


def relax(current: Array, target: Array | float, speed: Array | float) -> Array:
    """Move a level a fraction ``speed`` of the way toward its target (first-order adjustment)."""
    step: Array = target - current
    if not _scratch(step) or np.shape(current) != step.shape:
        return current + speed * step
    step *= speed
    step += current
    return step


def grievance(hardship: Array, legitimacy: Array) -> Array:
    """Gurr (1970) / Epstein (2002): grievance = hardship x (1 - legitimacy in the actor's eyes)."""
    result = 1.0 - legitimacy
    if not _scratch(result) or np.shape(hardship) != result.shape:
        return hardship * result
    result *= hardship
    return result


def unit_clip(x: Array) -> Array:
    """Keep a level inside [0, 1]."""
    clipped: Array = np.clip(x, 0.0, 1.0)
    return clipped


def _scratch(value: object) -> bool:
    """Whether ``value`` is a float array of at least one dimension that its caller may overwrite."""
    return isinstance(value, np.ndarray) and value.ndim > 0 and value.dtype == np.float64
