"""What happens under each regime type: events are counted under the regime in power at the start of their month."""

from __future__ import annotations

import numpy as np
import pytest

from coyuntura.engine.events import EventType, Outcome
from coyuntura.engine.simulate import simulate
from coyuntura.engine.state import REGIME_KEYS, RegimeType
from coyuntura.engine.tables import regime_dynamics_table
from coyuntura.engine.tally import RegimeTally

from helpers import bundled_model

pytestmark = pytest.mark.unit

START = 100
RIGHT, NATIONALIST = int(RegimeType.RIGHT_MILITARY), int(RegimeType.NATIONALIST_MILITARY)


def _batch() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Two runs over three months: run 0 under a right military government, run 1 under a nationalist one that a
    coup overthrows in its second month (so its third month is under the right)."""
    regime_before = np.array([[RIGHT, NATIONALIST], [RIGHT, NATIONALIST], [RIGHT, RIGHT]], dtype=np.int8)
    events = [  # (run, month, event, outcome)
        (0, START, EventType.REPRESSION_WAVE, Outcome.NONE),
        (0, START + 2, EventType.REPRESSION_WAVE, Outcome.NONE),
        (1, START, EventType.GENERAL_STRIKE, Outcome.NONE),
        (1, START + 1, EventType.COUP_ATTEMPT, Outcome.SUCCESS),
        (1, START + 1, EventType.GOVERNMENT_CHANGE, Outcome.NONE),
        (1, START + 2, EventType.REPRESSION_WAVE, Outcome.NONE),
    ]
    columns = {
        "run": np.array([e[0] for e in events], dtype=np.int64),
        "month": np.array([e[1] for e in events], dtype=np.int64),
        "event": np.array([int(e[2]) for e in events], dtype=np.int64),
        "outcome": np.array([int(e[3]) for e in events], dtype=np.int64),
    }
    return regime_before, columns


def test_events_are_counted_under_the_regime_at_the_start_of_their_month() -> None:
    tally = RegimeTally.empty()
    regime_before, columns = _batch()
    tally.add_batch(regime_before, columns, START, 0, START + 10)
    assert tally.exposure_months[RIGHT] == 4 and tally.exposure_months[NATIONALIST] == 2
    assert tally.repression_waves[RIGHT] == 3 and tally.repression_waves[NATIONALIST] == 0
    assert tally.general_strikes[NATIONALIST] == 1 and tally.general_strikes[RIGHT] == 0
    assert tally.coup_success_months[NATIONALIST] == 1 and tally.exit_months[NATIONALIST] == 1
    assert tally.runs_ended[NATIONALIST] == 1 and tally.runs_ended[RIGHT] == 0


def test_the_table_gives_repression_per_run_year_under_each_regime() -> None:
    ensemble = simulate(bundled_model(), 120, seed=3, until=bundled_model().scenario.calendar.horizon)
    table = regime_dynamics_table(ensemble)
    column = [c.key for c in table.columns].index("repression_per_year")
    tally = ensemble.regime_tally
    assert tally is not None
    for r, row in enumerate(table.rows):
        exposure = tally.exposure_months[r]
        if exposure:
            assert row[column] == pytest.approx(12.0 * tally.repression_waves[r] / exposure, abs=1e-3)
    assert len(table.rows) == len(REGIME_KEYS)


def test_split_batches_add_up_to_the_whole() -> None:
    model = bundled_model()
    until = model.scenario.calendar.end
    whole = simulate(model, 96, seed=5, until=until).regime_tally
    parts = simulate(model, 96, seed=5, until=until, batch_size=40).regime_tally
    assert whole is not None and parts is not None
    assert int(whole.repression_waves.sum()) > 0
    np.testing.assert_array_equal(whole.repression_waves, parts.repression_waves)
    np.testing.assert_array_equal(whole.general_strikes, parts.general_strikes)
