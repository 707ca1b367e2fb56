"""The engine as a whole: reproducibility, batch-size invariance, bounds, snapshots, errors.

On the toy scenario (tests/data/toy.yaml): nothing here depends on what bolivia-1952 says.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coyuntura.engine.events import EventType, Outcome
from coyuntura.engine.model import compile_scenario
from coyuntura.engine.outcomes import OUTCOME_KEYS
from coyuntura.engine.random import BLOCK_SIZE
from coyuntura.engine.simulate import STRENGTH_BINS, simulate
from coyuntura.engine.state import ACTOR_VARIABLES, REGIME_KEYS, SYSTEM_VARIABLES, RegimeType
from coyuntura.scenario.calendar import format_month, parse_month
from coyuntura.scenario.errors import ScenarioError
from coyuntura.scenario.loader import parse_scenario

from helpers import TOY, final_state, toy_model

pytestmark = pytest.mark.unit

FAST = settings(max_examples=25, deadline=None)
SNAPSHOTS = ("october_1970", "march_1971")

ARRAY_FIELDS = ("regime_counts", "strength_histogram", "outcome_counts", "outcome_counts_total", "final_regime")


@pytest.fixture(scope="module")
def model():
    return toy_model()


def start_month(model, start):
    return model.scenario.snapshot(start).month if start is not None else model.scenario.calendar.start


def assert_same_ensemble(a, b, events=True):
    for name in ARRAY_FIELDS:
        left, right = getattr(a, name), getattr(b, name)
        assert left.dtype == right.dtype, name
        np.testing.assert_array_equal(left, right, err_msg=name)
    assert (a.n_runs, a.start, a.until, a.periods) == (b.n_runs, b.start, b.until, b.periods)
    assert a.final_standing is not None and b.final_standing is not None and a.final_standing.keys() == b.final_standing.keys()
    for key in a.final_standing:
        np.testing.assert_array_equal(a.final_standing[key], b.final_standing[key], err_msg=f"final_standing[{key}]")
    if events:
        assert a.events.keys() == b.events.keys()
        for column in a.events:
            np.testing.assert_array_equal(a.events[column], b.events[column], err_msg=f"events[{column}]")
    if a.series is not None or b.series is not None:
        assert a.series.keys() == b.series.keys()
        for name in a.series:
            np.testing.assert_array_equal(a.series[name], b.series[name], err_msg=f"series[{name}]")


def rows_of_run(events, run):
    mask = events["run"] == run
    return {column: values[mask] for column, values in events.items()}


# --- (a) exact reproducibility -----------------------------------------------------------------


@pytest.mark.parametrize("start", [None, "october_1970"])
def test_same_seed_gives_bit_identical_ensembles(model, start):
    until = start_month(model, start) + 23
    kwargs = dict(seed=20240601, start=start, until=until, keep_events=True, series_every=4)
    first = simulate(model, 30, **kwargs)
    second = simulate(model, 30, **kwargs)
    assert first.events["run"].size > 0
    assert_same_ensemble(first, second)


def test_different_seeds_give_different_ensembles(model):
    until = parse_month("1971-12")
    a = simulate(model, 30, seed=1, start="october_1970", until=until, keep_events=True)
    b = simulate(model, 30, seed=2, start="october_1970", until=until, keep_events=True)
    same_events = a.events["run"].size == b.events["run"].size and all(np.array_equal(a.events[c], b.events[c]) for c in a.events)
    assert not same_events
    assert not (np.array_equal(a.regime_counts, b.regime_counts) and np.array_equal(a.strength_histogram, b.strength_histogram))


def test_compiling_the_scenario_again_changes_nothing(model):
    recompiled = compile_scenario(model.scenario)
    until = model.scenario.calendar.start + 20
    assert_same_ensemble(
        simulate(model, 12, seed=5, until=until, keep_events=True),
        simulate(recompiled, 12, seed=5, until=until, keep_events=True),
    )


# --- (b) batch-size invariance -----------------------------------------------------------------


@FAST
@given(
    n_runs=st.integers(min_value=1, max_value=40),
    batch_size=st.integers(min_value=1, max_value=40),
    first_run=st.one_of(st.just(0), st.integers(min_value=BLOCK_SIZE - 30, max_value=BLOCK_SIZE - 1), st.integers(min_value=0, max_value=3 * BLOCK_SIZE)),
    start=st.sampled_from([None, "october_1970"]),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_results_do_not_depend_on_batch_size(n_runs, batch_size, first_run, start, seed):
    model = toy_model()
    until = start_month(model, start) + 7
    kwargs = dict(seed=seed, start=start, until=until, keep_events=True, first_run=first_run)
    whole = simulate(model, n_runs, batch_size=n_runs, **kwargs)
    pieces = simulate(model, n_runs, batch_size=batch_size, **kwargs)
    assert_same_ensemble(whole, pieces)
    assert whole.final_regime.shape == (n_runs,)


def test_batches_straddling_the_rng_block_boundary(model):
    first, n = BLOCK_SIZE - 6, 13  # runs 1018 .. 1030 straddle the boundary at 1024
    until = parse_month("1971-09")
    kwargs = dict(seed=99, start="october_1970", until=until, keep_events=True, first_run=first)
    whole = simulate(model, n, batch_size=n, **kwargs)
    for batch_size in (1, 3, 6, 7):
        assert_same_ensemble(whole, simulate(model, n, batch_size=batch_size, **kwargs))
    # The union of two disjoint ensembles is the ensemble of their union (counts add up).
    left = simulate(model, 6, seed=99, start="october_1970", until=until, first_run=first)
    right = simulate(model, n - 6, seed=99, start="october_1970", until=until, first_run=first + 6)
    np.testing.assert_array_equal(left.regime_counts + right.regime_counts, whole.regime_counts)
    np.testing.assert_array_equal(left.strength_histogram + right.strength_histogram, whole.strength_histogram)
    np.testing.assert_array_equal(left.outcome_counts + right.outcome_counts, whole.outcome_counts)
    np.testing.assert_array_equal(np.concatenate([left.final_regime, right.final_regime]), whole.final_regime)


# --- (c) one run alone equals the same run inside a batch --------------------------------------


@pytest.mark.parametrize("run", [1000, 1017, 1023, 1024, 1039])
def test_a_run_simulated_alone_matches_it_inside_a_batch(model, run):
    until = model.scenario.calendar.horizon
    kwargs = dict(seed=7, start="october_1970", until=until, keep_events=True)
    batch = simulate(model, 40, first_run=1000, **kwargs)
    alone = simulate(model, 1, first_run=run, **kwargs)
    assert batch.events["run"].size > 0
    expected = rows_of_run(batch.events, run)
    assert expected["run"].size > 0, "the run should have some events to compare"
    for column in expected:
        np.testing.assert_array_equal(alone.events[column], expected[column], err_msg=column)
    assert alone.final_regime[0] == batch.final_regime[run - 1000]


def test_run_zero_alone_matches_a_batch_from_the_scenario_start(model):
    until = model.scenario.calendar.end
    batch = simulate(model, 10, seed=3, until=until, keep_events=True)
    with_events = [run for run in range(10) if (batch.events["run"] == run).any()]
    # Runs without events would compare empty arrays and pass whatever the engine did: insist on some with events.
    assert len(with_events) >= 3, f"only runs {with_events} recorded events: give the test a longer span or another seed"
    for run in sorted({0, with_events[len(with_events) // 2], with_events[-1]}):  # run 0, and two runs that recorded events
        alone = simulate(model, 1, seed=3, until=until, keep_events=True, first_run=run)
        expected = rows_of_run(batch.events, run)
        assert alone.events.keys() == expected.keys()
        for column in expected:
            np.testing.assert_array_equal(alone.events[column], expected[column], err_msg=column)
        assert alone.final_regime[0] == batch.final_regime[run]


# --- (d) state bounds --------------------------------------------------------------------------


@FAST
@given(
    seed=st.integers(min_value=0, max_value=2**32 - 1),
    start=st.sampled_from([None, *SNAPSHOTS]),
    months=st.integers(min_value=1, max_value=30),
)
def test_state_stays_within_its_documented_bounds(seed, start, months):
    model = toy_model()
    until = start_month(model, start) + months - 1
    state = final_state(model, 16, seed, start, until)
    for name in ACTOR_VARIABLES:
        values = getattr(state, name)
        low = -1.0 if name == "radicalism" else 0.0
        assert values.shape == (model.n_actors, 16)
        assert np.all(np.isfinite(values)), name
        assert values.min() >= low and values.max() <= 1.0, name
    for name in SYSTEM_VARIABLES:
        values = getattr(state, name)
        assert values.shape == (16,)
        assert np.all(np.isfinite(values)), name
        assert values.min() >= (-1.0 if name == "policy" else 0.0), name
        if name != "guerrilla_defeats":
            assert values.max() <= 1.0, name
    # counts stay whole numbers
    np.testing.assert_array_equal(state.guerrilla_defeats, np.round(state.guerrilla_defeats))
    assert state.holdings.shape == (len(model.holding_ids), 16) and state.holdings.dtype == bool
    assert state.coalition.shape == (model.n_actors, 16) and state.coalition.dtype == bool
    assert state.months_since_repression.min() >= 0 and state.months_since_mobilization.min() >= 0
    assert set(np.unique(state.regime)) <= {int(r) for r in RegimeType}
    assert state.assembly.dtype == bool
    assert np.all(state.months_in_power >= 0) and np.all(state.months_in_power <= months)


@FAST
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), start=st.sampled_from([None, *SNAPSHOTS]))
def test_streamed_series_and_summaries_are_consistent(seed, start):
    model = toy_model()
    n = 12
    until = start_month(model, start) + 17
    ensemble = simulate(model, n, seed=seed, start=start, until=until, series_every=1, keep_events=True)
    series = ensemble.series
    assert np.all(np.abs(series["policy"]) <= 1.0)
    for name in ("left_unity", "revolutionary_unity", "polarization", "army_capacity", "strength"):
        assert np.all((series[name] >= 0.0) & (series[name] <= 1.0)), name
    np.testing.assert_array_equal(series["regime"][-1], ensemble.final_regime)
    # counts are counts of runs
    np.testing.assert_array_equal(ensemble.regime_counts.sum(axis=1), n)
    np.testing.assert_array_equal(ensemble.strength_histogram.sum(axis=2), n)
    assert ensemble.strength_histogram.shape[2] == STRENGTH_BINS
    for k in range(len(ensemble.months)):
        np.testing.assert_array_equal(np.bincount(series["regime"][k].astype(int), minlength=len(REGIME_KEYS)), ensemble.regime_counts[k])
    assert ensemble.outcome_counts.max(initial=0) <= n
    assert np.all(ensemble.outcome_counts_total >= ensemble.outcome_counts.max(axis=0))
    index = {key: i for i, key in enumerate(OUTCOME_KEYS)}
    assert np.all(ensemble.outcome_counts[:, index["coup_success"]] <= ensemble.outcome_counts[:, index["coup_attempt"]])
    # the event log is sorted by run, then month, inside the simulated window
    events = ensemble.events
    assert np.all(np.diff(events["run"]) >= 0)
    same_run = np.diff(events["run"]) == 0
    assert np.all(np.diff(events["month"])[same_run] >= 0)
    assert np.all((events["month"] >= ensemble.start) & (events["month"] <= ensemble.until))
    assert np.all((events["run"] >= 0) & (events["run"] < n))


# --- (e) starting from snapshots ---------------------------------------------------------------

REGIME_CHANGES = (
    (EventType.COUP_ATTEMPT, Outcome.SUCCESS),
    (EventType.SUCCESSION, None),
    (EventType.WORKERS_GOVERNMENT, Outcome.SUCCESS),
)


@pytest.mark.parametrize("snapshot_id", SNAPSHOTS)
def test_starting_from_a_snapshot(model, snapshot_id):
    snapshot = model.scenario.snapshot(snapshot_id)
    expected = REGIME_KEYS.index(snapshot.government.type)
    n = 60
    initial = model.initial_state(n, snapshot)
    assert initial.month == snapshot.month
    assert np.all(initial.regime == expected)
    assert np.all(initial.policy == snapshot.government.policy.value)
    assert np.all(initial.assembly == snapshot.assembly)
    for actor_id, override in snapshot.actors.items():
        for name in ACTOR_VARIABLES:
            value = getattr(override, name, None)
            if value is not None:
                assert np.all(getattr(initial, name)[model.index(actor_id)] == value.value), (actor_id, name)
    for name in SYSTEM_VARIABLES:
        value = getattr(snapshot.system, name, None)
        if value is not None:
            assert np.all(getattr(initial, name) == value.value), name

    ensemble = simulate(model, n, seed=4, start=snapshot_id, until=snapshot.month, keep_events=True)
    assert ensemble.start == ensemble.until == snapshot.month
    if hasattr(ensemble, "start_regime"):
        assert ensemble.start_regime == expected
    events = ensemble.events
    changed = np.zeros(n, dtype=bool)
    for event, outcome in REGIME_CHANGES:
        rows = events["event"] == int(event)
        if outcome is not None:
            rows &= events["outcome"] == int(outcome)
        changed[events["run"][rows]] = True
    # Every run without a change of government in the first month is still under the snapshot's regime.
    assert np.all(ensemble.final_regime[~changed] == expected)
    assert ensemble.regime_counts[0, expected] >= n - changed.sum()
    assert ensemble.regime_counts[0].sum() == n


@pytest.mark.parametrize("snapshot_id", SNAPSHOTS)
def test_a_snapshot_can_be_named_by_its_month(model, snapshot_id):
    snapshot = model.scenario.snapshot(snapshot_id)
    until = snapshot.month + 5
    by_id = simulate(model, 8, seed=12, start=snapshot_id, until=until, keep_events=True)
    by_month = simulate(model, 8, seed=12, start=format_month(snapshot.month), until=until, keep_events=True)
    assert_same_ensemble(by_id, by_month)


def test_unknown_snapshot_is_a_clear_error(model):
    with pytest.raises(KeyError, match="october_1970"):
        simulate(model, 1, start="no_such_snapshot")


def test_snapshots_cannot_override_the_fixed_cascade_thresholds():
    """Regression: a snapshot's 'threshold' used to be read and silently discarded (the cascade uses the
    scenario's thresholds); thresholds are now fixed traits and a snapshot that sets one is rejected."""
    text = TOY.read_text(encoding="utf-8")
    anchor = "      miners: {organization: {value: 0.75,"
    assert text.count(anchor) == 1, "the october_1970 snapshot's miners override moved; update this test"
    parse_scenario(text, "ok.yaml")  # the text itself is valid
    bad = text.replace(anchor, '      miners: {threshold: {value: 5.0, assumption: "test"}, organization: {value: 0.75,')
    with pytest.raises(ScenarioError, match="threshold"):
        parse_scenario(bad, "bad.yaml")


# --- (f) argument errors -----------------------------------------------------------------------


def test_until_past_the_horizon_is_rejected(model):
    horizon = model.scenario.calendar.horizon
    with pytest.raises(ValueError, match="horizon") as error:
        simulate(model, 1, until=horizon + 1)
    assert format_month(horizon + 1) in str(error.value)
    assert format_month(horizon) in str(error.value)
    # the horizon itself is allowed (checked cheaply from a late snapshot)
    assert simulate(model, 1, start="march_1971", until=horizon).until == horizon


def test_until_before_the_start_is_rejected(model):
    start = model.scenario.calendar.start
    with pytest.raises(ValueError, match="before the start") as error:
        simulate(model, 1, until=start - 1)
    assert format_month(start) in str(error.value)
    snapshot = model.scenario.snapshot("march_1971")
    with pytest.raises(ValueError, match="before the start"):
        simulate(model, 1, start="march_1971", until=snapshot.month - 1)


@pytest.mark.parametrize("n_runs", [0, -1, -1000])
def test_fewer_than_one_run_is_rejected(model, n_runs):
    with pytest.raises(ValueError, match="at least 1"):
        simulate(model, n_runs, until=model.scenario.calendar.start)


def test_zero_batch_size_is_rejected(model):
    with pytest.raises(ValueError, match="batch size"):
        simulate(model, 2, batch_size=0, until=model.scenario.calendar.start)


def test_negative_seed_is_rejected(model):
    with pytest.raises(ValueError, match="seed"):
        simulate(model, 2, seed=-1, until=model.scenario.calendar.start)


def test_a_single_month_and_the_default_horizon(model):
    start = model.scenario.calendar.start
    one = simulate(model, 3, seed=0, until=start)
    assert one.regime_counts.shape == (1, len(REGIME_KEYS))
    assert list(one.months) == [start]
    default = simulate(model, 2, seed=0)
    assert default.until == model.scenario.calendar.end
    assert default.events is None and default.series is None


def test_negative_first_run_is_rejected_with_a_clear_message(model):
    with pytest.raises(ValueError, match="first"):
        simulate(model, 2, first_run=-5, until=model.scenario.calendar.start)


def test_negative_series_every_is_rejected(model):
    with pytest.raises(ValueError, match="series"):
        simulate(model, 2, series_every=-3, until=model.scenario.calendar.start + 2)
