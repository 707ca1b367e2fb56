"""The bundled model can produce the kinds of history its source describes (its support).

A model that cannot produce what happened is wrong however well it is calibrated. From 1952 to the horizon, with the
shipped posterior (one draw per run, as the calibrated forecasts use it): every regime type is reached, suffers coup
attempts and ends somewhere; some runs have three or more successful coups; the masses defeat some coups but not most;
every kind of event the scenario records happens in some run; the Popular Assembly stays rare before October 1970.
The printed version with more figures is ``benchmarks/model_support.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from coyuntura.engine.events import EventType
from coyuntura.engine.model import compile_scenario
from coyuntura.engine.outcomes import new_outcome, runs_with_outcome
from coyuntura.engine.simulate import Ensemble, simulate
from coyuntura.engine.state import REGIME_KEYS
from coyuntura.history.posterior import bundled_posterior
from coyuntura.scenario.calendar import parse_month
from coyuntura.scenario.loader import load_scenario

RUNS = 4000


@pytest.fixture(scope="module")
def whole() -> tuple[Ensemble, dict[str, int], tuple[str, ...]]:
    scenario = load_scenario("bolivia-1952")
    posterior = bundled_posterior(scenario)
    assert posterior is not None, "the shipped posterior does not fit bolivia-1952 (make posterior)"
    model = compile_scenario(scenario)
    values = posterior.run_values(scenario, RUNS, 0)
    ensemble = simulate(model, RUNS, seed=0, until=scenario.calendar.horizon, keep_events=True, parameters=values)
    return ensemble, dict(model.event_codes), model.event_kinds


def runs_with(ensemble: Ensemble, code: int, until: int | None = None) -> float:
    """Share of runs with at least one event logged with ``code`` (up to ``until``)."""
    assert ensemble.events is not None
    window = None if until is None else (ensemble.start, until)
    return float(np.mean(runs_with_outcome(ensemble.events, new_outcome(str(code), "", code), ensemble.n_runs, 0, window)))


@pytest.mark.integration  # 4,000 runs over 1952-1980 with per-run parameters
def test_every_regime_type_is_reached_plotted_against_and_ended(whole):
    ensemble, _, _ = whole
    tally = ensemble.regime_tally
    assert tally is not None
    for index, regime in enumerate(REGIME_KEYS):
        assert tally.runs_in[index] > 0, f"no run reaches a {regime} government"
        assert tally.runs_with_attempt[index] > 0, f"no coup is ever attempted against a {regime} government"
        assert tally.runs_ended[index] > 0, f"a {regime} government never ends"
    assert tally.success_histogram[2][3:].sum() > 0, "no run has three or more successful coups"


@pytest.mark.integration
def test_the_masses_defeat_some_coups_but_not_every_one(whole):
    ensemble, _, _ = whole
    tally = ensemble.regime_tally
    assert tally is not None
    share = tally.defeated_by_masses[0] / tally.failed_coups[0]
    assert 0.0 < share < 0.5, f"{share:.1%} of failed coups counted as defeated by the masses"


@pytest.mark.integration
def test_every_kind_of_event_happens_somewhere_and_the_left_can_split(whole):
    ensemble, codes, kinds = whole
    never = [kind for kind in kinds if runs_with(ensemble, codes[kind]) == 0.0]
    assert not never, f"never happens in {RUNS:,} runs: {never}"
    assert runs_with(ensemble, int(EventType.LEFT_SPLIT)) > 0.01  # a united front can break up (it once never did)


@pytest.mark.integration
def test_the_popular_assembly_is_rare_before_october_1970(whole):
    ensemble, _, _ = whole
    share = runs_with(ensemble, int(EventType.POPULAR_ASSEMBLY), until=parse_month("1970-09"))
    assert share < 0.05, f"a Popular Assembly before 1970-10 in {share:.1%} of runs (the source presents it as new in 1971)"


@pytest.mark.integration
def test_the_left_can_unite_after_march_1971_and_threat_is_what_unites_it():
    """The source leaves the Left's unity open in 1971 (The Miners, L253-259): from its March 1971 state a united front
    forms in some runs, more often where a repression wave or a coup attempt came first than where none did."""
    scenario = load_scenario("bolivia-1952")
    posterior = bundled_posterior(scenario)
    assert posterior is not None
    runs = 2000
    later = simulate(
        compile_scenario(scenario), runs, seed=0, start="march_1971", until=parse_month("1973-02"), keep_events=True,
        parameters=posterior.run_values(scenario, runs, 0),
    )
    assert later.events is not None

    events = later.events
    union = events["event"] == int(EventType.LEFT_UNITY)
    first_union = np.full(runs, np.iinfo(np.int64).max)
    np.minimum.at(first_union, events["run"][union], events["month"][union].astype(np.int64))
    formed = first_union < np.iinfo(np.int64).max
    threat = np.isin(events["event"], [int(EventType.REPRESSION_WAVE), int(EventType.COUP_ATTEMPT)])
    threat &= events["month"] < first_union[events["run"]]  # before the front formed, if it did: cause, not consequence
    threatened = np.zeros(runs, dtype=bool)
    threatened[events["run"][threat]] = True
    assert 0.01 < formed.mean() < 0.99, f"a front forms within two years of March 1971 in {formed.mean():.1%} of runs"
    assert formed[threatened].mean() > formed[~threatened].mean()
