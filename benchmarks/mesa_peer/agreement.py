"""Do the engine and the Mesa peer agree? Outcome frequencies side by side, with a two-sample z.

Not a test (``tests/test_mesa_peer.py`` is its small version). Usage::

    .venv/bin/python benchmarks/mesa_peer/agreement.py [--engine-runs 20000] [--peer-runs 2000] [--seed 0]

Both simulate the bundled scenario from 1952-04 to 1971-03 (and, with ``--snapshot``, from
October 1970 to March 1973) with independent random numbers; for each key outcome the table
gives each side's share of runs with its Monte Carlo standard error and the two-sample z of
the difference. With k outcomes, |z| above about 3 is a disagreement worth a look.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if __package__ in (None, ""):  # run as a script: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    __package__ = "mesa_peer"

from coyuntura.engine.model import Model, compile_scenario
from coyuntura.engine.outcomes import outcome, runs_with_outcome
from coyuntura.engine.simulate import Ensemble, simulate
from coyuntura.engine.state import REGIME_KEYS
from coyuntura.engine.tables import REGIME_LABELS, Column, Table, standard_error, to_markdown
from coyuntura.scenario.calendar import parse_month
from coyuntura.scenario.loader import load_scenario

from .ensemble import PeerEnsemble, simulate_peer


@dataclass(frozen=True)
class Measure:
    """A share of runs: in ``regime`` at the end of ``month``, or with ``outcome`` within ``window``."""

    key: str
    regime: str | None = None
    month: str | None = None
    outcome: str | None = None
    window: tuple[str, str] | None = None

    @property
    def label(self) -> str:
        if self.regime is not None:
            return f"{REGIME_LABELS[self.regime]} at {self.month}"
        window = f", {self.window[0]}..{self.window[1]}" if self.window else ""
        return f"{outcome(self.outcome).label}{window}"

    def _window(self) -> tuple[int, int] | None:
        return (parse_month(self.window[0]), parse_month(self.window[1])) if self.window else None

    def of_engine(self, ensemble: Ensemble) -> float:
        if self.regime is not None:
            return float(ensemble.regime_probability(parse_month(self.month))[REGIME_KEYS.index(self.regime)])
        return float(np.mean(runs_with_outcome(ensemble.events, self.outcome, ensemble.n_runs, 0, self._window())))

    def of_peer(self, peer: PeerEnsemble) -> float:
        if self.regime is not None:
            return peer.regime_share(parse_month(self.month), self.regime)
        return peer.outcome_share(self.outcome, self._window())


KEY_MEASURES: tuple[Measure, ...] = (
    Measure("regime_1964", regime="civilian_nationalist", month="1964-12"),
    Measure("regime_1966", regime="right_military", month="1966-12"),
    Measure("regime_1971_nationalist", regime="nationalist_military", month="1971-03"),
    Measure("regime_1971_right", regime="right_military", month="1971-03"),
    Measure("regime_1971_elected", regime="civilian_elected", month="1971-03"),
    Measure("coup_success_by_1966", outcome="coup_success", window=("1952-04", "1966-12")),
    Measure("coup_success_1965_71", outcome="coup_success", window=("1965-01", "1971-03")),
    Measure("repression_1952_56", outcome="repression_wave", window=("1952-04", "1956-12")),
    Measure("repression_1969_71", outcome="repression_wave", window=("1969-01", "1971-03")),
    Measure("defeated_by_masses_by_1966", outcome="coup_defeated_by_mobilization", window=("1952-04", "1966-12")),
    Measure("defeated_by_masses_1969_71", outcome="coup_defeated_by_mobilization", window=("1969-01", "1971-03")),
    Measure("general_strike_1952_56", outcome="general_strike", window=("1952-04", "1956-12")),
    Measure("general_strike_1969_71", outcome="general_strike", window=("1969-01", "1971-03")),
    Measure("nationalization_1952_56", outcome="nationalization", window=("1952-04", "1956-12")),
    Measure("nationalization_1969_71", outcome="nationalization", window=("1969-01", "1971-03")),
    Measure("party_split_1952_56", outcome="party_split", window=("1952-04", "1956-12")),
    Measure("guerrilla_defeated_by_1966", outcome="guerrilla_defeated", window=("1952-04", "1966-12")),
    Measure("left_unity", outcome="left_unity"),
    Measure("left_split", outcome="left_split"),
    Measure("handover", outcome="handover"),
    Measure("popular_assembly", outcome="popular_assembly"),
    Measure("plotters_purged", outcome="plotters_purged"),
)
"""Key outcomes of a run from 1952-04 to 1971-03 (windows chosen where shares are neither 0 nor 1)."""

SNAPSHOT_MEASURES: tuple[Measure, ...] = (
    Measure("regime_1972", regime="nationalist_military", month="1972-03"),
    Measure("regime_1973", regime="right_military", month="1973-03"),
    Measure("coup_success", outcome="coup_success"),
    Measure("coup_defeated_by_mobilization", outcome="coup_defeated_by_mobilization"),
    Measure("army_split", outcome="army_split"),
    Measure("general_strike", outcome="general_strike"),
    Measure("repression_wave", outcome="repression_wave"),
    Measure("coup_failed", outcome="coup_failed"),
    Measure("handover", outcome="handover"),
    Measure("nationalization", outcome="nationalization"),
)
"""Key outcomes of a run from the October 1970 snapshot to 1973-03."""


def two_sample_z(p1: float, n1: int, p2: float, n2: int) -> float:
    """z of the difference of two independent shares, with the pooled binomial variance (0 if both are 0 or 1)."""
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    variance = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
    return 0.0 if variance <= 0.0 else (p1 - p2) / math.sqrt(variance)


def agreement_table(engine: Ensemble, peer: PeerEnsemble, measures: tuple[Measure, ...], title: str) -> Table:
    """Each measure's share in the engine's runs and the peer's, their standard errors, and the z of the difference."""
    rows = []
    for measure in measures:
        p_engine, p_peer = measure.of_engine(engine), measure.of_peer(peer)
        rows.append((
            measure.key,
            measure.label,
            p_engine,
            float(standard_error(p_engine, engine.n_runs)),
            p_peer,
            float(standard_error(p_peer, peer.n_runs)),
            two_sample_z(p_engine, engine.n_runs, p_peer, peer.n_runs),
        ))
    columns = (
        Column("key", "Measure", "key"),
        Column("label", "Outcome", "label"),
        Column("engine", f"Engine (N={engine.n_runs:,})", "probability", "engine"),
        Column("engine_se", "s.e.", "se", "engine"),
        Column("peer", f"Mesa peer (N={peer.n_runs:,})", "probability", "peer"),
        Column("peer_se", "s.e.", "se", "peer"),
        Column("z", "z", "number"),
    )
    notes = (f"Two-sample z with pooled variance; {len(measures)} measures, so |z| > 3 flags a disagreement.",)
    return Table(title=title, columns=columns, rows=tuple(rows), notes=notes)


def compare(compiled: Model, engine_runs: int, peer_runs: int, seed: int, start: str | None, until: str | None, measures: tuple[Measure, ...]) -> Table:
    """Simulate both sides on the same window and tabulate ``measures``."""
    until_month = parse_month(until) if until is not None else None
    engine = simulate(compiled, engine_runs, seed=seed, start=start, until=until_month, keep_events=True)
    peer = simulate_peer(compiled, peer_runs, seed=seed, start=start, until=until_month)
    window = f"from {start or 'the start'} to {until or 'the calendar end'}"
    return agreement_table(engine, peer, measures, f"Engine vs Mesa peer, {window}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine-runs", type=int, default=20_000)
    parser.add_argument("--peer-runs", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--snapshot", action="store_true", help="also compare from the October 1970 snapshot to 1973-03")
    args = parser.parse_args()
    compiled = compile_scenario(load_scenario("bolivia-1952"))
    started = time.perf_counter()
    tables = [compare(compiled, args.engine_runs, args.peer_runs, args.seed, None, None, KEY_MEASURES)]
    if args.snapshot:
        tables.append(compare(compiled, args.engine_runs, args.peer_runs, args.seed, "october_1970", "1973-03", SNAPSHOT_MEASURES))
    for table in tables:
        print(to_markdown(table))
        worst = max(abs(z) for z in table.column("z"))
        print(f"\nlargest |z| = {worst:.2f}: {'AGREE' if worst <= 3.0 else 'DISAGREE'} within Monte Carlo error\n")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
