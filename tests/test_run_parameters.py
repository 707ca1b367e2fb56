"""Per-run parameters: arrays over runs that equal the scalar change nothing; each run is the scalar run of its values.

On the toy scenario (tests/data/toy.yaml): nothing here depends on what bolivia-1952 says.
"""

from __future__ import annotations

import numpy as np
import pytest

from coyuntura.engine.events import EventType
from coyuntura.engine.model import compile_scenario
from coyuntura.engine.parameters import ParameterError, per_run_bounds
from coyuntura.engine.simulate import simulate
from coyuntura.engine.state import REGIME_KEYS
from coyuntura.history.calibration import free_parameters
from coyuntura.scenario.paths import with_values
from coyuntura.scenario.quantities import Quantity

from helpers import toy_model

pytestmark = pytest.mark.unit


def _every_mechanism_number(model) -> dict[str, float]:
    numbers = {}
    for name in model.scenario.mechanisms.names():
        params = getattr(model.scenario.mechanisms, name)
        for field in type(params).model_fields:
            value = getattr(params, field)
            path = f"mechanisms.{name}.{field}"
            if isinstance(value, Quantity):
                try:
                    per_run_bounds(model, path)
                except ParameterError:
                    continue
                numbers[path] = value.value
    return numbers


def _same_ensemble(a, b) -> None:
    for key in a.events:
        assert np.array_equal(a.events[key], b.events[key]), key
    assert np.array_equal(a.regime_counts, b.regime_counts)
    assert np.array_equal(a.strength_histogram, b.strength_histogram)
    assert np.array_equal(a.outcome_counts, b.outcome_counts)


def test_equal_per_run_values_are_bit_identical_to_the_scalars():
    model = toy_model()
    numbers = _every_mechanism_number(model)
    assert len(numbers) > 150  # every mechanism number except the structural ones
    n = 500
    arrays = {path: np.full(n, value) for path, value in numbers.items()}
    arrays["actors.miners.arms"] = np.full(n, model.scenario.attribute(model.scenario.actor("miners"), "arms").value)
    arrays["system.corruption"] = np.full(n, model.scenario.system.corruption.value)
    for key in REGIME_KEYS:  # what each regime type starts from may vary per run too
        arrays[f"regimes.{key}.policy"] = np.full(n, getattr(model.scenario.regimes, key).policy.value)
    scalar = simulate(model, n, seed=11, keep_events=True, batch_size=200)
    per_run = simulate(model, n, seed=11, keep_events=True, batch_size=200, parameters=arrays)
    assert len(scalar.events["run"]) > 500  # plenty of events to compare
    _same_ensemble(scalar, per_run)


def test_each_run_is_the_scalar_run_of_its_own_values():
    """Different values per run: run k equals a one-run simulation of the scenario with run k's values (common random numbers)."""
    model = toy_model()
    free = free_parameters(model.scenario)
    n = 40
    rng = np.random.default_rng(5)
    arrays = {p.path: rng.uniform(p.prior.low, p.prior.high, n) for p in free}
    until = model.scenario.calendar.horizon
    together = simulate(model, n, seed=4, until=until, keep_events=True, batch_size=16, parameters=arrays)
    columns = together.events
    for run in (3, 17, 38):
        scenario = with_values(model.scenario, {path: float(values[run]) for path, values in arrays.items()}, reason="test")
        alone = simulate(compile_scenario(scenario), 1, seed=4, until=until, keep_events=True, first_run=run)
        rows = columns["run"] == run
        assert rows.any()
        for key in alone.events:
            assert np.array_equal(alone.events[key], columns[key][rows]), (run, key)


def test_per_run_starting_values_apply_at_the_start_but_not_over_a_snapshot():
    model = toy_model()
    values = np.linspace(0.0, 1.0, 10)
    start = simulate(model, 10, seed=0, until=model.scenario.calendar.start, keep_state=True, parameters={"system.corruption": values})
    assert not np.allclose(start.final_state.corruption, start.final_state.corruption[0])  # each run kept its own
    assert start.final_state.corruption[-1] > start.final_state.corruption[0]
    snapshot = next(s for s in model.scenario.snapshots if s.system.corruption is not None)
    late = simulate(model, 10, seed=0, start=snapshot.id, until=snapshot.month, keep_state=True, parameters={"system.corruption": values})
    baseline = simulate(model, 10, seed=0, start=snapshot.id, until=snapshot.month, keep_state=True)
    assert np.array_equal(late.final_state.corruption, baseline.final_state.corruption)


def test_a_higher_coup_intercept_per_run_means_more_coups_in_those_runs():
    model = toy_model()
    n = 4000
    intercept = np.where(np.arange(n) % 2 == 0, -16.0, -10.0)
    ensemble = simulate(model, n, seed=2, keep_events=True, parameters={"mechanisms.coup.plot_intercept": intercept})
    columns = ensemble.events
    coups = columns["run"][columns["event"] == int(EventType.COUP_ATTEMPT)]
    low = np.count_nonzero(coups % 2 == 0)
    high = np.count_nonzero(coups % 2 == 1)
    assert high > 2 * low


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"mechanisms.coup.decisiveness": np.ones(3)}, "expected one value per run, shape (5,)"),
        ({"mechanisms.coup.decisiveness": np.array([1, 2, np.nan, 1, 1.0])}, "run 2 has value nan"),
        ({"mechanisms.coup.trap_decay": np.array([0.1, 0.2, 1.5, 0.1, 0.1])}, "run 2 has value 1.5, outside the allowed range [0, 1]"),
        ({"mechanisms.coup.plot_intercept": np.array(["a"] * 5)}, "must be numbers"),
        ({"mechanisms.coup.right_faction": np.ones(5)}, "has no number 'right_faction'"),
        ({"mechanisms.mass_mobilization.rounds": np.ones(5)}, "is structural"),
        ({"mechanisms.nosuch.x": np.ones(5)}, "unknown mechanism 'nosuch'"),
        ({"actors.nobody.arms": np.ones(5)}, "unknown actor 'nobody'"),
        ({"calendar.end": np.ones(5)}, "cannot vary per run"),
    ],
)
def test_bad_per_run_values_are_refused_naming_the_path(parameters, message):
    with pytest.raises(ParameterError) as error:
        simulate(toy_model(), 5, seed=0, until=toy_model().scenario.calendar.start, parameters=parameters)
    assert message in str(error.value)
    assert next(iter(parameters)) in str(error.value)
