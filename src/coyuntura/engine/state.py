"""The simulation state: arrays over runs, actor attributes stored actor-major.

Actor attributes have shape ``(actors, runs)`` so that one actor's value across
all runs is a contiguous vector; system variables have shape ``(runs,)``.
Every mechanism reads and writes these arrays and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import IntEnum
from typing import Any, Mapping

import numpy as np


class RegimeType(IntEnum):
    """The kinds of government the model knows (DESIGN: regime types to start from)."""

    CIVILIAN_NATIONALIST = 0
    RIGHT_MILITARY = 1
    NATIONALIST_MILITARY = 2
    WORKERS_GOVERNMENT = 3
    CIVILIAN_ELECTED = 4

    @property
    def key(self) -> str:
        return self.name.lower()


REGIME_KEYS: tuple[str, ...] = tuple(regime.key for regime in RegimeType)

MILITARY_REGIMES: tuple[RegimeType, ...] = (RegimeType.RIGHT_MILITARY, RegimeType.NATIONALIST_MILITARY)
CIVILIAN_REGIMES: tuple[RegimeType, ...] = (RegimeType.CIVILIAN_NATIONALIST, RegimeType.CIVILIAN_ELECTED)

NEVER = 10_000
"""Months-since counters start here: "not within memory"."""

ACTOR_VARIABLES: tuple[str, ...] = (
    "weight",  # political weight (share of the relevant population or of the officer corps)
    "organization",  # organizational capacity in [0, 1]
    "arms",  # access to arms in [0, 1]
    "radicalism",  # ideological position, -1 far right .. +1 far left
    "support",  # support for the incumbent government in [0, 1]
    "mobilization",  # share mobilized this month in [0, 1]
    "cohesion",  # internal unity in [0, 1]
)

SYSTEM_VARIABLES: tuple[str, ...] = (
    "policy",  # government policy position, -1 right .. +1 left
    "progressive_room",  # progressive options still open to revolutionary nationalism (M1)
    "corruption",  # spoils and corruption of the party-state "new class" (M3)
    "mystification_urban",  # hold of nationalist rhetoric in the cities (M4)
    "mystification_rural",  # hold of nationalist rhetoric in the countryside (M4)
    "army_capacity",  # the army's rebuilt capacity as an institution (M2)
    "dependence",  # dependence on the foreign patron's aid and foreign loans (M2, M15)
    "squeeze",  # financial distress of national capital (M15)
    "hardship",  # economic hardship of wage earners
    "left_unity",  # unity of the Left parties (M11)
    "revolutionary_unity",  # unity of the revolutionary Left: organizes the Popular Assembly (M11), leads a workers' seizure of power (M5, M17)
    "repression_memory",  # the popular movement's memory of police-state repression (M8)
    "differentiation",  # capitalist differentiation among the peasantry (M9)
    "patron_hostility",  # the foreign patron's hostility toward the government (M2)
    "nationalist_pressure",  # pull of a "nationalist" program inside the army (raised by M10; read by M5, M14, M18)
    "coup_memory",  # politicization of the officer corps after recent coup attempts (the coup trap, M5)
    "polarization",  # polarization of the political field (M17)
    "popular_power",  # the power the masses showed by defeating a coup in the streets, fading (M5, M11)
    "guerrilla_defeats",  # guerrilla focos defeated so far (M10)
)


INTERNAL_VARIABLES: tuple[str, ...] = (
    "holdings",  # (holdings, runs): the named holdings still in private hands (M14)
    "holdings_taken",  # (holdings, runs): the named holdings a government has taken into the state's hands (M14)
    "months_since_repression",  # months since the last repression wave (M6, M8, M11)
    "months_since_mobilization",  # months since the last general strike or mass mobilization (M6)
    "months_since_ruler_death",  # months since a ruler died in office (a trigger of strikes, M6)
    "left_united",  # whether the Left acts as a united front (M11): 1 yes, 0 no, -1 not read (M11 switched off)
)
"""State the engine keeps besides the scenario's variables, set at the start (not by the scenario's values)."""


@dataclass
class State:
    """All state of ``n_runs`` trajectories at one month."""

    month: int
    regime: np.ndarray  # (runs,) int8 RegimeType
    assembly: np.ndarray  # (runs,) bool: a Popular Assembly sits (dual power)
    months_in_power: np.ndarray  # (runs,) int32
    coalition: np.ndarray  # (actors, runs) bool: the actors in the governing coalition
    holdings: np.ndarray  # (holdings, runs) bool: the named holdings still in private hands (M14)
    holdings_taken: np.ndarray  # (holdings, runs) bool: taken into the state's hands (M14); neither this nor private: never came into being
    months_since_repression: np.ndarray  # (runs,) int32: months since the last repression wave
    months_since_mobilization: np.ndarray  # (runs,) int32: months since the last general strike or mass mobilization
    months_since_ruler_death: np.ndarray  # (runs,) int32: months since a ruler died in office
    left_united: np.ndarray  # (runs,) int8: the Left acts as a united front (M11): 1 yes, 0 no, -1 not read (M11 off)
    weight: np.ndarray
    organization: np.ndarray
    arms: np.ndarray
    radicalism: np.ndarray
    support: np.ndarray
    mobilization: np.ndarray
    cohesion: np.ndarray
    policy: np.ndarray
    progressive_room: np.ndarray
    corruption: np.ndarray
    mystification_urban: np.ndarray
    mystification_rural: np.ndarray
    army_capacity: np.ndarray
    dependence: np.ndarray
    squeeze: np.ndarray
    hardship: np.ndarray
    left_unity: np.ndarray
    revolutionary_unity: np.ndarray
    repression_memory: np.ndarray
    differentiation: np.ndarray
    patron_hostility: np.ndarray
    nationalist_pressure: np.ndarray
    coup_memory: np.ndarray
    polarization: np.ndarray
    popular_power: np.ndarray
    guerrilla_defeats: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # what plug-ins declare: (runs,) system variables (NEW_STATE), (actors, runs) actor attributes (NEW_ACTOR_STATE)

    @property
    def n_runs(self) -> int:
        return int(self.regime.shape[0])

    def variable(self, name: str) -> np.ndarray:
        """A system variable or actor attribute by name: the engine's, or one a plug-in mechanism declares
        (``state.extra``: (runs,) for a system variable, (actors, runs) for an actor attribute)."""
        if name in self.extra:
            return self.extra[name]
        value: np.ndarray = getattr(self, name)
        return value

    @property
    def nbytes(self) -> int:
        """Bytes its arrays hold (what keeping this state in memory costs)."""
        arrays = [getattr(self, f.name) for f in fields(self) if f.name not in ("month", "extra")] + list(self.extra.values())
        return int(sum(array.nbytes for array in arrays))

    def copy(self) -> "State":
        values: dict[str, Any] = {f.name: (getattr(self, f.name).copy() if f.name != "month" else self.month) for f in fields(self) if f.name != "extra"}
        return State(**values, extra={name: array.copy() for name, array in self.extra.items()})

    def select(self, runs: np.ndarray) -> "State":
        """The sub-state of some runs (boolean mask or indices)."""
        values = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "month":
                values[f.name] = value
            elif f.name != "extra":
                values[f.name] = value[..., runs]
        return State(**values, extra={name: array[..., runs] for name, array in self.extra.items()})

    def assign(self, runs: np.ndarray, sub: "State") -> None:
        """Write back a sub-state taken with ``select(runs)`` (indices) into those runs."""
        for f in fields(self):
            if f.name in ("month", "extra"):
                continue
            getattr(self, f.name)[..., runs] = getattr(sub, f.name)
        for name, array in self.extra.items():
            array[..., runs] = sub.extra[name]

    def advance_clocks(self) -> None:
        """A month has passed: every month counter moves on (counters saturate at :data:`NEVER`)."""
        self.months_in_power += 1
        for counter in (self.months_since_repression, self.months_since_mobilization, self.months_since_ruler_death):
            np.minimum(counter + 1, NEVER, out=counter)

    def clip_to_bounds(self, extra_bounds: Mapping[str, tuple[float, float]] | None = None) -> None:
        """Keep every level inside its documented range after a month's updates (a plug-in's variables inside the
        ``(low, high)`` it declares)."""
        for name, (low, high) in (extra_bounds or {}).items():
            np.clip(self.extra[name], low, high, out=self.extra[name])
        for name in ACTOR_VARIABLES:
            low = -1.0 if name == "radicalism" else 0.0
            np.clip(getattr(self, name), low, 1.0, out=getattr(self, name))
        for name in SYSTEM_VARIABLES:
            low = -1.0 if name == "policy" else 0.0
            high = np.inf if name == "guerrilla_defeats" else 1.0
            np.clip(getattr(self, name), low, high, out=getattr(self, name))
