"""The event vocabulary and the per-trajectory event log.

An event is one row: run index, month, event type, the actors involved (a
bitmask over actor indices), its outcome and the mechanism that produced it. A
nationalization is logged once per holding taken, its outcome naming the holding
(:func:`holding_outcome`).
The log is columnar (numpy arrays), so it stays compact for many runs.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from ..scenario.vocabulary import EVENT_KINDS, MAX_HOLDINGS


class EventType(IntEnum):
    COUP_ATTEMPT = 0
    GENERAL_STRIKE = 1
    MASS_MOBILIZATION = 2
    REPRESSION_WAVE = 3
    NATIONALIZATION = 4
    AUSTERITY_PACKAGE = 5
    FOREIGN_CONCESSION = 6
    LEFT_UNITY = 7
    LEFT_SPLIT = 8
    POPULAR_ASSEMBLY = 9
    WORKERS_GOVERNMENT = 10
    GUERRILLA_FOCO = 11
    GUERRILLA_DEFEATED = 12
    PLOTTERS_PURGED = 13
    LEADER_DEATH = 14
    SUCCESSION = 15
    CABINET_OFFER = 16
    PARTY_SPLIT = 17
    ARMY_SPLIT = 18
    GOVERNMENT_CHANGE = 19
    HANDOVER = 20
    SHOCK = 21
    FOREIGN_INTERVENTION = 22

    @property
    def key(self) -> str:
        return self.name.lower()


if tuple(kind.key for kind in EventType) != EVENT_KINDS:  # the format's words and the log's codes are one list
    raise ImportError(f"event types {[kind.key for kind in EventType]} differ from the vocabulary's {EVENT_KINDS}")


class Outcome(IntEnum):
    NONE = 0
    SUCCESS = 1
    FAILURE = 2
    ACCEPTED = 3
    DECLINED = 4
    TO_NATIONALIST = 5
    TO_RIGHT = 6
    DEFEATED_BY_MOBILIZATION = 7
    TO_CIVILIAN_NATIONALIST = 8
    TO_WORKERS = 9
    TO_CIVILIAN_ELECTED = 10


EVENT_KEYS: tuple[str, ...] = tuple(event.key for event in EventType)

HOLDING_OUTCOME_OFFSET = 32
"""A nationalization's ``outcome`` is the holding it took: this offset plus the holding's index in the scenario's
``holdings:`` (past every :class:`Outcome`, so no code means two things; the codes of ``MAX_HOLDINGS`` fit the column)."""
if max(Outcome) >= HOLDING_OUTCOME_OFFSET or HOLDING_OUTCOME_OFFSET + MAX_HOLDINGS - 1 > np.iinfo(np.int8).max:
    raise ImportError("the holdings' outcome codes overlap the outcomes or do not fit the log's outcome column")


def holding_outcome(index: int) -> int:
    """The ``outcome`` a nationalization of the holding at ``index`` (in the scenario's ``holdings:``) is logged with."""
    if not 0 <= index < MAX_HOLDINGS:
        raise ValueError(f"holding index {index} is outside 0..{MAX_HOLDINGS - 1}")
    return HOLDING_OUTCOME_OFFSET + index


def holding_index(outcome: int) -> int | None:
    """The index of the holding a nationalization's ``outcome`` names (None for a code that names none)."""
    index = int(outcome) - HOLDING_OUTCOME_OFFSET
    return index if 0 <= index < MAX_HOLDINGS else None

_COLUMNS = ("run", "month", "event", "actors", "outcome", "mechanism")
_DTYPES = {"run": np.int64, "month": np.int32, "event": np.int16, "actors": np.int64, "outcome": np.int8, "mechanism": np.int16}


class EventLog:
    """Append-only columnar log of the events of a batch of runs."""

    def __init__(self, first_run: int = 0):
        self.first_run = first_run
        self._chunks: dict[str, list[np.ndarray]] = {column: [] for column in _COLUMNS}
        self._positions: np.ndarray | None = None

    def restricted(self, positions: np.ndarray) -> "EventLog":
        """This log seen from the runs at ``positions`` of the batch: ``record`` masks over those runs only.

        Lets a mechanism compute a rare branch (a coup's contest) on the few runs where it happens
        and still log into the batch's log, rows and order unchanged.
        """
        view = EventLog.__new__(EventLog)
        view.first_run = self.first_run
        view._chunks = self._chunks
        view._positions = positions if self._positions is None else self._positions[positions]
        return view

    def record(
        self,
        month: int,
        happened: np.ndarray,
        event: EventType | int,
        mechanism: int,
        actors: int | np.ndarray = 0,
        outcome: int | np.ndarray = Outcome.NONE,
    ) -> None:
        """Record ``event`` for every run where ``happened`` is true this month."""
        local = np.flatnonzero(happened)
        if local.size == 0:
            return
        count = local.size
        runs = local if self._positions is None else self._positions[local]
        self._chunks["run"].append(runs.astype(np.int64) + self.first_run)
        self._chunks["month"].append(np.full(count, month, dtype=np.int32))
        self._chunks["event"].append(np.full(count, int(event), dtype=np.int16))
        self._chunks["actors"].append(_per_run(actors, local, np.int64))
        self._chunks["outcome"].append(_per_run(outcome, local, np.int8))
        self._chunks["mechanism"].append(np.full(count, mechanism, dtype=np.int16))

    def columns(self, sort: bool = True) -> dict[str, np.ndarray]:
        """The log as columns sorted by run, then month, then order of recording.

        ``sort=False`` leaves the rows in order of recording (month by month), which is
        enough for counting outcomes and spares a sort of the whole log.
        """
        data = {
            column: (np.concatenate(chunks) if chunks else np.empty(0, dtype=_DTYPES[column]))
            for column, chunks in self._chunks.items()
        }
        if not sort:
            return data
        order = np.lexsort((data["month"], data["run"]))  # stable: ties keep the order of recording
        return {column: values[order] for column, values in data.items()}


def _per_run(value: int | np.ndarray, runs: np.ndarray, dtype: type[np.integer]) -> np.ndarray:
    if np.ndim(value) == 0:
        return np.full(runs.size, int(value), dtype=dtype)
    selected: np.ndarray = np.asarray(value)[runs]
    return selected.astype(dtype)


def actor_mask(indices: list[int] | tuple[int, ...] | np.ndarray) -> int:
    """Bitmask of actor indices, for the ``actors`` column."""
    mask = 0
    if isinstance(indices, np.ndarray):
        indices = indices.ravel().tolist()
    elif not isinstance(indices, (list, tuple)):
        indices = [indices]
    for index in indices:
        mask |= 1 << int(index)
    return mask


def actors_in_mask(mask: int) -> list[int]:
    """Actor indices contained in a bitmask."""
    return [bit for bit in range(63) if (int(mask) >> bit) & 1]
