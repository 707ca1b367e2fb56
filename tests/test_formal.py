"""The established functional forms: bounds and the direction of every effect."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from coyuntura.engine.formal import (
    contest_success_probability,
    grievance,
    hazard_probability,
    log_linear_rate,
    logistic,
    relax,
    unit_clip,
)

pytestmark = pytest.mark.unit

FAST = settings(max_examples=30, deadline=None)

force = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)
decisiveness = st.floats(min_value=0.25, max_value=6.0, allow_nan=False)
unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
rate = st.floats(min_value=0.0, max_value=30.0, allow_nan=False)
# Kept small enough that the log-rate stays below log_linear_rate's overflow cap (30).
coefficient = st.floats(min_value=0.01, max_value=2.0, allow_nan=False)
driver = st.floats(min_value=-2.0, max_value=2.0, allow_nan=False)


# --- Tullock / Hirshleifer contest -------------------------------------------------------------


@FAST
@given(attack=force, defence=force, m=decisiveness, factor=st.floats(min_value=1.01, max_value=10.0))
def test_contest_success_rises_with_attack_force(attack, defence, m, factor):
    weak = contest_success_probability(np.array(attack), np.array(defence), m)
    strong = contest_success_probability(np.array(attack * factor), np.array(defence), m)
    assert strong >= weak
    # Strictly, unless the probability is already saturated in floating point.
    if 1e-12 < weak < 1.0 - 1e-12:
        assert strong > weak


@FAST
@given(attack=force, defence=force, m=decisiveness, factor=st.floats(min_value=1.01, max_value=10.0))
def test_contest_success_falls_with_defence_force(attack, defence, m, factor):
    weak_defence = contest_success_probability(np.array(attack), np.array(defence), m)
    strong_defence = contest_success_probability(np.array(attack), np.array(defence * factor), m)
    assert strong_defence <= weak_defence
    if 1e-12 < weak_defence < 1.0 - 1e-12:
        assert strong_defence < weak_defence


@FAST
@given(value=force, m=decisiveness)
def test_contest_equal_forces_give_even_odds(value, m):
    assert contest_success_probability(np.array(value), np.array(value), m) == pytest.approx(0.5)


@FAST
@given(attack=force, defence=force, m=decisiveness)
def test_contest_is_a_probability_and_symmetric(attack, defence, m):
    p = contest_success_probability(np.array(attack), np.array(defence), m)
    q = contest_success_probability(np.array(defence), np.array(attack), m)
    assert 0.0 <= p <= 1.0
    assert p + q == pytest.approx(1.0)


@FAST
@given(attack=force, defence=force, m=decisiveness, extra=st.floats(min_value=0.25, max_value=3.0))
def test_contest_decisiveness_sharpens_the_stronger_sides_advantage(attack, defence, m, extra):
    assume(abs(np.log(attack / defence)) > 1e-3)
    soft = contest_success_probability(np.array(attack), np.array(defence), m)
    sharp = contest_success_probability(np.array(attack), np.array(defence), m + extra)
    if attack > defence:
        assert sharp >= soft
    else:
        assert sharp <= soft
    # Further from even odds either way.
    assert abs(sharp - 0.5) >= abs(soft - 0.5)


def test_contest_zero_forces_give_even_odds_without_warnings():
    with np.errstate(all="raise"):
        p = contest_success_probability(np.zeros(3), np.zeros(3), 2.0)
    np.testing.assert_array_equal(p, [0.5, 0.5, 0.5])


def test_contest_one_sided_force_wins_outright():
    p = contest_success_probability(np.array([1.0, 0.0]), np.array([0.0, 1.0]), 2.0)
    np.testing.assert_array_equal(p, [1.0, 0.0])


def test_contest_negative_forces_count_as_none():
    assert contest_success_probability(np.array(-1.0), np.array(-2.0), 2.0) == 0.5
    assert contest_success_probability(np.array(1.0), np.array(-2.0), 2.0) == 1.0


def test_contest_is_vectorized():
    attack = np.array([1.0, 2.0, 3.0])
    defence = np.array([3.0, 2.0, 1.0])
    np.testing.assert_allclose(contest_success_probability(attack, defence, 1.0), attack / (attack + defence))


# --- hazards ------------------------------------------------------------------------------------


@FAST
@given(r=rate)
def test_hazard_probability_is_in_unit_interval_and_equals_one_minus_exp(r):
    p = hazard_probability(r)
    assert 0.0 <= p < 1.0
    assert p == pytest.approx(1.0 - np.exp(-r), abs=1e-15, rel=1e-12)


@FAST
@given(r=rate, dr=st.floats(min_value=1e-6, max_value=5.0))
def test_hazard_probability_is_monotone_in_rate(r, dr):
    assert hazard_probability(r + dr) >= hazard_probability(r)
    if r + dr < 20.0:
        assert hazard_probability(r + dr) > hazard_probability(r)


def test_hazard_probability_edge_cases():
    assert hazard_probability(0.0) == 0.0
    assert hazard_probability(-3.0) == 0.0  # a negative rate is no hazard, never a negative probability
    p = hazard_probability(np.array([1e-12, 1.0, 50.0]))
    assert p[0] == pytest.approx(1e-12, rel=1e-6)  # accurate for small rates (expm1)
    assert p[1] == pytest.approx(1.0 - np.exp(-1.0))
    assert p[2] <= 1.0


# --- log-linear rates ---------------------------------------------------------------------------


@FAST
@given(
    intercept=st.floats(min_value=-8.0, max_value=2.0),
    coefs=st.lists(coefficient, min_size=1, max_size=4),
    drivers=st.lists(driver, min_size=4, max_size=4),
    which=st.integers(min_value=0, max_value=3),
    step=st.floats(min_value=0.01, max_value=2.0),
)
def test_log_linear_rate_rises_with_each_driver_that_has_a_positive_coefficient(intercept, coefs, drivers, which, step):
    which = which % len(coefs)
    terms = [(c, np.array(d)) for c, d in zip(coefs, drivers)]
    bumped = list(terms)
    bumped[which] = (coefs[which], terms[which][1] + step)
    low = log_linear_rate(intercept, *terms)
    high = log_linear_rate(intercept, *bumped)
    assert low > 0.0
    assert high > low
    # and it is exactly log-linear: the ratio is exp(coef * step)
    assert high / low == pytest.approx(np.exp(coefs[which] * step), rel=1e-9)


@FAST
@given(intercept=st.floats(min_value=-8.0, max_value=2.0), coef=coefficient, d=driver, step=st.floats(min_value=0.01, max_value=2.0))
def test_log_linear_rate_falls_with_a_driver_that_has_a_negative_coefficient(intercept, coef, d, step):
    assert log_linear_rate(intercept, (-coef, np.array(d + step))) < log_linear_rate(intercept, (-coef, np.array(d)))


@FAST
@given(intercept=st.floats(min_value=-10.0, max_value=40.0), coef=st.floats(0.0, 20.0), d=st.floats(-5.0, 5.0), step=st.floats(0.0, 5.0))
def test_log_linear_rate_is_never_decreasing_even_at_its_cap(intercept, coef, d, step):
    assert log_linear_rate(intercept, (coef, np.array(d + step))) >= log_linear_rate(intercept, (coef, np.array(d)))


def test_log_linear_rate_without_drivers_is_exp_intercept_and_never_overflows():
    assert log_linear_rate(-2.0) == pytest.approx(np.exp(-2.0))
    with np.errstate(over="raise"):
        huge = log_linear_rate(0.0, (1e6, np.array([1e6])))
    assert np.isfinite(huge).all()


# --- grievance, logistic, relax, clip -----------------------------------------------------------


@FAST
@given(h=unit, dh=st.floats(min_value=1e-3, max_value=1.0), legitimacy=st.floats(min_value=0.0, max_value=0.99))
def test_grievance_rises_with_hardship(h, dh, legitimacy):
    assert grievance(np.array(h + dh), np.array(legitimacy)) > grievance(np.array(h), np.array(legitimacy))


@FAST
@given(h=st.floats(min_value=0.01, max_value=1.0), legitimacy=unit, dl=st.floats(min_value=1e-3, max_value=1.0))
def test_grievance_falls_with_legitimacy(h, legitimacy, dl):
    assume(legitimacy + dl <= 1.0)
    assert grievance(np.array(h), np.array(legitimacy + dl)) < grievance(np.array(h), np.array(legitimacy))


@FAST
@given(h=unit, legitimacy=unit)
def test_grievance_is_in_unit_interval_for_unit_inputs(h, legitimacy):
    g = grievance(np.array(h), np.array(legitimacy))
    assert 0.0 <= g <= 1.0
    assert grievance(np.array(h), np.array(1.0)) == 0.0
    assert grievance(np.array(0.0), np.array(legitimacy)) == 0.0


@FAST
@given(x=st.floats(min_value=-50.0, max_value=50.0), dx=st.floats(min_value=1e-3, max_value=5.0))
def test_logistic_is_a_monotone_probability(x, dx):
    assert 0.0 <= logistic(x) <= 1.0
    assert logistic(x + dx) >= logistic(x)
    assert logistic(x) + logistic(-x) == pytest.approx(1.0)


def test_logistic_matches_the_textbook_form():
    x = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(logistic(x), 1.0 / (1.0 + np.exp(-x)), rtol=1e-12)
    assert logistic(0.0) == 0.5


@FAST
@given(current=st.floats(-1, 1), target=st.floats(-1, 1), speed=unit)
def test_relax_moves_toward_the_target_without_overshooting(current, target, speed):
    moved = relax(np.array(current), target, speed)
    assert abs(moved - target) <= abs(current - target) + 1e-15
    assert min(current, target) - 1e-15 <= moved <= max(current, target) + 1e-15


def test_unit_clip():
    np.testing.assert_array_equal(unit_clip(np.array([-0.5, 0.3, 1.5])), [0.0, 0.3, 1.0])
