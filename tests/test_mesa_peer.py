"""The engine and its Mesa peer (benchmarks/mesa_peer) agree on outcome frequencies.

Two independent implementations of the same rules, with independent random numbers: their
shares of runs with each key outcome must agree within Monte Carlo error. A small version of
``benchmarks/mesa_peer/agreement.py``: a short window (October 1970 to March 1973), a few
hundred peer runs, and a loose bound; a peer with one rule changed must fail the same check.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from mesa_peer import BoliviaModel, simulate_peer  # noqa: E402
from mesa_peer.agreement import SNAPSHOT_MEASURES, agreement_table, two_sample_z  # noqa: E402

from coyuntura.engine.simulate import simulate  # noqa: E402
from coyuntura.scenario.calendar import parse_month  # noqa: E402

from helpers import bundled_model, with_params  # noqa: E402

START, UNTIL = "october_1970", parse_month("1973-03")
ENGINE_RUNS, PEER_RUNS = 4000, 500
BOUND = 4.0
"""Largest |z| allowed over the ten measures (a false alarm at this bound is about 1 in 1,600)."""


@pytest.fixture(scope="module")
def engine_ensemble():
    return simulate(bundled_model(), ENGINE_RUNS, seed=3, start=START, until=UNTIL, keep_events=True)


def test_two_sample_z_is_signed_and_scaled():
    assert two_sample_z(0.5, 100, 0.5, 100) == 0.0
    assert two_sample_z(0.6, 1000, 0.5, 1000) == pytest.approx(0.1 / np.sqrt(0.55 * 0.45 * 0.002))
    assert two_sample_z(0.4, 1000, 0.5, 1000) < 0.0
    assert two_sample_z(1.0, 10, 1.0, 10) == 0.0  # no variance, no evidence of a difference


def test_the_peer_is_one_mesa_agent_per_actor_reading_the_compiled_parameters():
    model = bundled_model()
    peer = BoliviaModel(model, seed=0, run=0, start=START)
    assert len(peer.agents) == model.n_actors
    assert [a.actor_id for a in peer.actors] == list(model.actor_ids)
    assert peer.p.coup is model.params["coup"]
    peer.step()
    assert peer.month == parse_month("1970-11") and len(peer.regimes) == 1


def test_the_peer_is_reproducible_and_its_runs_differ():
    model = bundled_model()
    a = simulate_peer(model, 20, seed=5, start=START, until=UNTIL)
    b = simulate_peer(model, 20, seed=5, start=START, until=UNTIL)
    assert np.array_equal(a.regimes, b.regimes)
    assert all(np.array_equal(a.events[k], b.events[k]) for k in a.events)
    assert len({tuple(row) for row in a.regimes}) > 1


@pytest.mark.integration  # end to end: two whole implementations over 4,500 runs
def test_engine_and_mesa_peer_agree_within_monte_carlo_error(engine_ensemble):
    peer = simulate_peer(bundled_model(), PEER_RUNS, seed=3, start=START, until=UNTIL)
    table = agreement_table(engine_ensemble, peer, SNAPSHOT_MEASURES, "agreement")
    shares = table.column("engine")
    assert all(0.05 < p < 0.95 for p in shares), "each measure must be uncertain enough to test"
    worst = max(table.rows, key=lambda row: abs(row[-1]))
    assert abs(worst[-1]) < BOUND, f"engine and peer disagree on {worst[0]}: {worst[2]:.3f} vs {worst[4]:.3f} (z={worst[-1]:.2f})"


@pytest.mark.integration
def test_the_check_catches_a_peer_with_a_changed_rule(engine_ensemble):
    # The peer's coups plotted twice as readily (log-rate + ln 2): the check must see it.
    model = bundled_model()
    changed = with_params(model, "coup", plot_intercept=model.params["coup"].plot_intercept + np.log(2.0))
    peer = simulate_peer(changed, PEER_RUNS, seed=3, start=START, until=UNTIL)
    table = agreement_table(engine_ensemble, peer, SNAPSHOT_MEASURES, "disagreement")
    assert max(abs(z) for z in table.column("z")) > BOUND
