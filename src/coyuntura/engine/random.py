"""Random numbers that do not depend on batch size or worker count.

Runs are grouped into fixed blocks of :data:`BLOCK_SIZE` consecutive run
indices. Block ``b`` draws from ``Generator(PCG64(SeedSequence(seed,
spawn_key=(start_month, b))))``, and each month it draws one fixed-shape matrix
of uniforms, one row per named *slot* and one column per run of the block.
A run's stream is therefore a function of (seed, start month, run index) only:
simulating runs 0..N in one batch or in many, on one worker or several, gives
the same numbers. Every random decision reads its own named slot, so a
what-if that changes a decision's probability still uses the same uniform
for it in each paired run (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

BLOCK_SIZE = 1024


@dataclass(frozen=True)
class SlotLayout:
    """Which row of the monthly uniform matrix each named decision reads."""

    names: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(set(self.names)) != len(self.names):
            raise ValueError("random slot names must be unique")

    @property
    def size(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        try:
            return self._rows[name]
        except KeyError:
            raise ValueError(f"unknown random slot {name!r}") from None

    @cached_property
    def _rows(self) -> dict[str, int]:
        return {name: row for row, name in enumerate(self.names)}


class RunStreams:
    """Monthly uniforms for runs ``first_run .. first_run + n_runs - 1``."""

    def __init__(self, seed: int, start_month: int, first_run: int, n_runs: int, layout: SlotLayout):
        if not 0 <= seed < 2**63:  # the run store keeps seeds as signed 64-bit integers (coyuntura.limits)
            raise ValueError(f"seed must be a whole number with 0 <= seed < 2**63, got {seed}")
        self.layout = layout
        self.first_run = first_run
        self.n_runs = n_runs
        first_block = first_run // BLOCK_SIZE
        last_block = (first_run + n_runs - 1) // BLOCK_SIZE
        self._generators = [
            np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(start_month, block))))
            for block in range(first_block, last_block + 1)
        ]
        self._offset = first_run - first_block * BLOCK_SIZE
        self._buffer = np.empty((len(self._generators), layout.size, BLOCK_SIZE))

    def next_month(self) -> "Draws":
        """The uniforms of the next month; every block advances by one month."""
        for position, generator in enumerate(self._generators):
            generator.random(out=self._buffer[position])
        return Draws(self.layout, self._buffer, self._offset, self.n_runs)


class Draws:
    """Named access to one month's uniforms: ``uniform(slot)`` gives one per run."""

    def __init__(self, layout: SlotLayout, blocks: np.ndarray, offset: int, n_runs: int, positions: np.ndarray | None = None):
        self._layout = layout
        self._blocks = blocks
        self._offset = offset
        self._n_runs = n_runs
        self._positions = positions

    def restricted(self, positions: np.ndarray) -> "Draws":
        """The same draws seen from the runs at ``positions`` of the batch (each run keeps its own uniforms)."""
        if self._positions is not None:
            positions = self._positions[positions]
        return Draws(self._layout, self._blocks, self._offset, self._n_runs, positions)

    def uniform(self, slot: str) -> np.ndarray:
        """The uniforms in [0, 1) of a named slot, one per run."""
        row = self._layout.index(slot)
        if self._positions is not None:
            flat = self._offset + self._positions
            picked: np.ndarray = self._blocks[flat // BLOCK_SIZE, row, flat % BLOCK_SIZE]
            return picked
        if self._blocks.shape[0] == 1:
            return self._blocks[0, row, self._offset : self._offset + self._n_runs]
        return self._blocks[:, row, :].reshape(-1)[self._offset : self._offset + self._n_runs]
