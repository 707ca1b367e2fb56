"""The particle filter's offspring: a segment the record finds surprising is simulated again from each run's state,
so that the runs that agree with the record are many instead of a few copies of the same handful."""

from __future__ import annotations

import numpy as np
import pytest

from coyuntura.history.observations import Cell
from coyuntura.history.particles import BRANCH_BELOW, ParticleFilter, offspring_seed, simulate_histories
from coyuntura.scenario.calendar import parse_month

from helpers import toy_scenario

M = parse_month
RARE = Cell("event", "mass_mobilization", M("1970-11"), M("1970-11"), True, ("rare",))  # about 4% of the toy's runs
LATER = Cell("event", "general_strike", M("1970-12"), M("1971-01"), False, ("later",))


def filtered(runs: int = 300, offspring: int = 16, blocks: int = 1, simulator=None, until: str = "1971-01", seed: int = 3):
    """Filtered on the rare cell; segments end in 1970-10 too, so the surprising one starts from the runs' kept states."""
    return simulate_histories(
        toy_scenario(), runs, seed, M(until), condition=[RARE], record=[LATER] if until >= "1971-01" else [], mismatch=0.01,
        offspring=offspring, blocks=blocks, simulator=simulator, extra_ends=[M("1970-10")],
    )


def distinct_agreeing_runs(histories) -> int:
    """How many different histories are among the runs that agree with the rare cell (copies of one run count once)."""
    agree = histories.flags[RARE]
    return np.unique(histories.final_state.polarization[agree]).size


def test_a_surprising_segment_is_simulated_again_and_leaves_more_distinct_runs():
    plain = filtered(offspring=1, until="1970-11")  # stopped where the filter resamples: its copies are still copies
    branched = filtered(offspring=16, until="1970-11")
    month, surprise = plain.ess_trace[0]
    assert month == M("1970-11") and surprise < BRANCH_BELOW * 300  # the record leaves few effective runs
    assert plain.branch_trace == []
    assert len(branched.branch_trace) == 1
    when, offspring, pooled = branched.branch_trace[0]
    assert when == M("1970-11") and 1 < offspring <= 16
    assert pooled > 3 * surprise  # the offspring hold many more effective runs than the run alone did
    assert distinct_agreeing_runs(branched) > 2 * distinct_agreeing_runs(plain)
    # the same conditional distribution, estimated from more runs: most runs now agree with the record either way
    assert branched.cell_probability(RARE)[0] > 0.5 and plain.cell_probability(RARE)[0] > 0.5
    assert abs(branched.log_evidence - plain.log_evidence) < 1.0  # one quantity, two estimates
    assert np.isfinite(branched.log_evidence) and branched.log_evidence < 0


@pytest.mark.integration  # five particle filters, one of them in small chunks
def test_offspring_are_reproducible_and_do_not_depend_on_the_other_filters_or_the_batches():
    from test_filtered_score import ChunkedSimulator

    alone = filtered(runs=100)
    again = filtered(runs=100)
    side_by_side = filtered(runs=300, blocks=3)
    chunked = filtered(runs=300, blocks=3, simulator=ChunkedSimulator(chunk=37, batch=16))
    assert alone.branch_trace and np.array_equal(alone.weights, again.weights)
    assert np.array_equal(alone.final_state.polarization, again.final_state.polarization)
    # filter 0 of three side by side is the filter alone: its offspring's streams depend on the run's position only
    assert np.array_equal(side_by_side.final_state.polarization[:100], alone.final_state.polarization)
    assert np.array_equal(side_by_side.flags[LATER][:100], alone.flags[LATER])
    assert np.array_equal(side_by_side.weights[:100], alone.weights)  # each filter's weights sum to 1
    assert np.array_equal(chunked.final_state.polarization, side_by_side.final_state.polarization)
    assert chunked.branch_trace == side_by_side.branch_trace


def test_offspring_kept_from_weighing_them_or_simulated_again_give_the_same_runs(monkeypatch):
    """The offspring's states are kept between weighing and drawing when they fit; otherwise those drawn are simulated
    again. Either way the filter ends with the same runs, weights and answers."""
    from coyuntura.history import particles

    simulated = []
    original = particles.ParticleFilter._offspring_answers

    def counting(self, offspring, blocks):
        simulated.append(offspring)
        return original(self, offspring, blocks)

    monkeypatch.setattr(particles.ParticleFilter, "_offspring_answers", counting)
    kept = filtered(runs=200, blocks=2)
    kept_calls = len(simulated)
    monkeypatch.setattr(particles, "OFFSPRING_KEPT_BYTES", 0)
    simulated.clear()
    again = filtered(runs=200, blocks=2)
    assert kept.branch_trace and kept.branch_trace == again.branch_trace
    assert len(simulated) > kept_calls  # without room to keep them, the drawn offspring were simulated a second time
    assert np.array_equal(kept.weights, again.weights)
    assert np.array_equal(kept.final_state.polarization, again.final_state.polarization)
    assert np.array_equal(kept.flags[LATER], again.flags[LATER]) and np.array_equal(kept.flags[RARE], again.flags[RARE])


def test_a_filter_where_no_run_agrees_branches_too():
    """Thirty runs and a 4% event: in this filter no run has it, so the weights stay even - and every run contradicts
    the record. The offspring find runs that agree."""
    plain = filtered(runs=30, offspring=1, until="1970-11", seed=2)  # a seed whose 30 runs all miss the event
    branched = filtered(runs=30, offspring=16, until="1970-11", seed=2)
    assert plain.cell_probability(RARE)[0] == 0.0 and plain.ess == pytest.approx(30.0) and plain.branch_trace == []
    assert branched.branch_trace and branched.branch_trace[0][1] == 16
    assert branched.cell_probability(RARE)[0] > 0.5


def test_offspring_streams_are_their_own():
    seeds = {offspring_seed(3, r) for r in range(1, 17)}
    assert len(seeds) == 16 and 3 not in seeds and all(0 <= s < 2**63 for s in seeds)
    assert offspring_seed(3, 1) == offspring_seed(3, 1) != offspring_seed(4, 1)


def test_bad_offspring_counts_are_refused():
    with pytest.raises(ValueError, match="offspring per run must be at least 1"):
        ParticleFilter(toy_scenario(), 10, 0, offspring=0)
