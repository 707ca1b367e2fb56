"""Per-run parameter values: a free parameter given as an array over runs.

Calibration, sensitivity analysis and posterior forecasts evaluate many parameter
vectors. Rather than one ``simulate`` call per vector, each run can carry its own
values: ``simulate(model, n, parameters={"mechanisms.coup.decisiveness": array})``.
Mechanisms read a per-run parameter as a vector over runs (numpy broadcasts it over
actors); a parameter not given stays the scenario's scalar, the fast path.

Run ``k``'s random streams depend only on (seed, start month, k), never on its
parameters, so two ensembles that differ only in parameter values use common
random numbers, and an array whose entries all equal the scalar gives results
bit-identical to the scalar.

What can vary per run:

- a mechanism's number (``mechanisms.<mechanism>.<field>``), unless the mechanism
  declares it structural (:data:`coyuntura.engine.mechanisms.base.STRUCTURAL`, e.g.
  the number of cascade rounds, which sets a loop);
- an actor's starting attribute (``actors.<id>.<attribute>``), a starting system
  variable (``system.<variable>``) or the starting government's ``policy`` and
  ``progressive_room`` (``government.<field>``), when the runs start at the
  scenario's start (a snapshot's own values take precedence, as with a what-if).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Mapping

import numpy as np
from numpy.typing import ArrayLike

from ..scenario.quantities import Quantity, field_bounds
from ..scenario.schema import Actor, Government, Regime, Snapshot, SystemState
from .government import REGIMES
from .mechanisms.base import is_structural
from .state import ACTOR_VARIABLES, REGIME_KEYS, SYSTEM_VARIABLES, State

if TYPE_CHECKING:
    from .model import Model

GOVERNMENT_FIELDS = ("policy", "progressive_room")
STATE_SYSTEM_VARIABLES = tuple(name for name in SYSTEM_VARIABLES if name not in GOVERNMENT_FIELDS)


class ParameterError(ValueError):
    """Per-run parameter values that cannot be used: unknown path, wrong shape, out of range."""


@dataclass(frozen=True)
class RunParameters:
    """Validated per-run values, ``path -> (n_runs,) float64``, for runs ``0 .. n_runs - 1`` of a call."""

    values: Mapping[str, np.ndarray]
    n_runs: int

    def __bool__(self) -> bool:
        return bool(self.values)

    def slice(self, first: int, stop: int) -> "RunParameters":
        """The values of positions ``first .. stop - 1`` (a batch)."""
        return RunParameters({path: array[first:stop] for path, array in self.values.items()}, stop - first)

    def take(self, positions: np.ndarray) -> "RunParameters":
        """The values at ``positions`` (resampled or selected runs), in that order."""
        positions = np.asarray(positions)
        return RunParameters({path: array[positions] for path, array in self.values.items()}, int(positions.size))

    @staticmethod
    def concat(parts: "list[RunParameters]") -> "RunParameters":
        """Runs of ``parts`` side by side (all with the same paths)."""
        if not parts:
            raise ValueError("nothing to join")
        paths = list(parts[0].values)
        return RunParameters({path: np.concatenate([p.values[path] for p in parts]) for path in paths}, sum(p.n_runs for p in parts))


_bounds = field_bounds


def per_run_bounds(model: "Model", path: str) -> tuple[float, float]:
    """The allowed range of a path that may vary per run; :class:`ParameterError` (saying why) if it may not."""
    parts = path.split(".")
    scenario = model.scenario
    if len(parts) == 3 and parts[0] == "mechanisms":
        _, mechanism, field = parts
        if mechanism not in scenario.mechanisms:
            raise ParameterError(f"{path}: unknown mechanism {mechanism!r}; mechanisms: {', '.join(scenario.mechanisms.names())}")
        params_model = scenario.mechanisms.get(mechanism)
        fields = type(params_model).model_fields
        if field not in fields or not isinstance(getattr(params_model, field), Quantity):
            numbers = [name for name in fields if isinstance(getattr(params_model, name), Quantity)]
            raise ParameterError(f"{path}: {mechanism!r} has no number {field!r}; its numbers: {', '.join(numbers)}")
        if is_structural(fields[field]):
            raise ParameterError(f"{path} is structural (it sets the shape of the computation) and cannot vary per run; "
                                 "give it one value for all runs (a scenario per value)")
        return _bounds(type(params_model), field)
    if len(parts) == 3 and parts[0] == "actors":
        _, actor, attribute = parts
        model.index(actor)  # KeyError naming the known actors
        if attribute in model.new_actor_state:  # a plug-in's attribute, in its declared range
            low, high, _ = model.new_actor_state[attribute]
            return low, high
        if attribute not in ACTOR_VARIABLES:
            known = ", ".join([*ACTOR_VARIABLES, *model.new_actor_state])
            raise ParameterError(f"{path}: actors have no starting attribute {attribute!r}; attributes: {known}")
        return _bounds(Actor, attribute)
    if len(parts) == 2 and parts[0] == "system" and parts[1] in STATE_SYSTEM_VARIABLES:
        return _bounds(SystemState, parts[1])
    if len(parts) == 2 and parts[0] == "system" and parts[1] in model.new_state:  # a plug-in's variable, in its declared range
        low, high, _ = model.new_state[parts[1]]
        return low, high
    if len(parts) == 2 and parts[0] == "government" and parts[1] in GOVERNMENT_FIELDS:
        return _bounds(Government, parts[1])
    if len(parts) == 3 and parts[0] == "regimes" and parts[1] in REGIME_KEYS and parts[2] == "policy":
        if scenario.regimes is None:
            raise ParameterError(f"{path}: scenario {scenario.id!r} declares no regimes block (none of its mechanisms changes the government)")
        return _bounds(Regime, "policy")
    raise ParameterError(
        f"{path} cannot vary per run: per-run values are for mechanisms.<mechanism>.<number>, actors.<id>.<attribute>, "
        "system.<variable>, government.policy / government.progressive_room and regimes.<type>.policy; "
        "give other values one per scenario"
    )


def run_parameters(model: "Model", values: Mapping[str, ArrayLike] | RunParameters | None, n_runs: int) -> RunParameters:
    """Check per-run values for ``n_runs`` runs: known paths, one finite number per run, each in its allowed range."""
    if isinstance(values, RunParameters):
        if values.n_runs != n_runs:
            raise ParameterError(f"per-run parameters hold {values.n_runs} runs, not {n_runs}")
        return values
    checked: dict[str, np.ndarray] = {}
    for path, given in (values or {}).items():
        try:
            low, high = per_run_bounds(model, path)
        except KeyError as error:
            raise ParameterError(f"{path}: {error.args[0]}") from None
        array = np.asarray(given)
        if array.dtype == bool or not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
            raise ParameterError(f"{path}: per-run values must be numbers, got an array of {array.dtype}")
        array = np.ascontiguousarray(array, dtype=np.float64)
        if array.shape != (n_runs,):
            raise ParameterError(f"{path}: expected one value per run, shape ({n_runs},), got shape {array.shape}")
        bad = np.flatnonzero(~np.isfinite(array) | (array < low) | (array > high))
        if bad.size:
            raise ParameterError(
                f"{path}: run {int(bad[0])} has value {float(array[bad[0]])!r}, outside the allowed range [{low:g}, {high:g}]"
                + (f" ({bad.size} runs in all)" if bad.size > 1 else "")
            )
        checked[path] = array
    return RunParameters(checked, n_runs)


def batch_params(model: "Model", parameters: RunParameters | None) -> dict[str, SimpleNamespace]:
    """The mechanisms' parameters for one batch: the compiled scalars, with per-run arrays where given."""
    if not parameters:
        return model.params
    by_mechanism: dict[str, dict[str, np.ndarray]] = {}
    for path, array in parameters.values.items():
        parts = path.split(".")
        if parts[0] == "mechanisms":
            by_mechanism.setdefault(parts[1], {})[parts[2]] = array
        elif parts[0] == "regimes":  # regimes.<type>.policy: the compiled block's policy_<type>
            by_mechanism.setdefault(REGIMES, {})[f"policy_{parts[1]}"] = array
    if not by_mechanism:
        return model.params
    result = dict(model.params)
    for mechanism, arrays in by_mechanism.items():
        result[mechanism] = SimpleNamespace(**{**vars(model.params[mechanism]), **arrays})
    return result


def snapshot_overrides(snapshot: Snapshot | None) -> set[str]:
    """The starting values a snapshot sets itself (its government's, and each value it overrides):
    :meth:`~coyuntura.scenario.schema.Snapshot.overridden_paths`, the rule ``check`` and ``whatif`` warn by."""
    return snapshot.overridden_paths() if snapshot is not None else set()


def set_initial_values(state: State, model: "Model", parameters: RunParameters | None, snapshot_overrides: set[str]) -> None:
    """Starting values given per run (actors, system, government), unless the snapshot the runs start from sets them."""
    if not parameters:
        return
    for path, array in parameters.values.items():
        parts = path.split(".")
        if parts[0] in ("mechanisms", "regimes") or path in snapshot_overrides:
            continue
        if parts[0] == "actors":
            state.variable(parts[2])[model.index(parts[1])] = array
        else:
            state.variable(parts[1])[:] = array  # a system variable (the engine's or a plug-in's) or the government's policy or room
