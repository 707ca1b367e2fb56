"""Experiments: what-ifs with common random numbers, sensitivity, discovery, sweeps.

- :mod:`.whatif`: :class:`Intervention`, :func:`run_whatif` (baseline and intervention paired run by run),
  :func:`whatif_table`, the scenario's named experiments (:func:`experiment_intervention`).
- :mod:`.sensitivity`: :func:`run_sensitivity` (SALib Sobol or Morris over the free parameters).
- :mod:`.discovery`: :func:`run_discovery` (PRIM boxes where an outcome is likely).
- :mod:`.sweeps`: :class:`Sweep`, :func:`run_sweep` (many parameter points, resumable, on any executor: :mod:`coyuntura.executor`);
  :class:`PointSweep`, :func:`run_point_sweep` (points as per-run parameters, a batch of points per simulation).
- :mod:`.measures`: the outcomes an experiment reports: a scenario's (:func:`scenario_outcomes`, :func:`outcome_names`,
  :func:`outcome_labels`), its plug-ins' own kinds of event among them.
"""

from .discovery import DiscoveryResult, discovery_table, run_discovery, tradeoff_chart, tradeoff_table
from .measures import OUTCOME_LABELS, OUTCOME_NAMES, outcome_counts, outcome_labels, outcome_matrix, outcome_names, scenario_outcomes
from .sensitivity import FreeParameter, SensitivityResult, free_parameters, run_sensitivity, sensitivity_chart, sensitivity_table
from .sweeps import PointSweep, PointSweepResult, Sweep, SweepResult, run_point_sweep, run_sweep
from .whatif import (
    Intervention,
    WhatIfResult,
    apply_intervention,
    experiment_intervention,
    parse_assignment,
    parse_assignments,
    parse_event,
    parse_value,
    record_whatif,
    run_whatif,
    whatif_table,
)

__all__ = [
    "DiscoveryResult",
    "FreeParameter",
    "Intervention",
    "OUTCOME_LABELS",
    "OUTCOME_NAMES",
    "PointSweep",
    "PointSweepResult",
    "SensitivityResult",
    "Sweep",
    "SweepResult",
    "WhatIfResult",
    "apply_intervention",
    "discovery_table",
    "experiment_intervention",
    "free_parameters",
    "outcome_counts",
    "outcome_labels",
    "outcome_matrix",
    "outcome_names",
    "parse_assignment",
    "parse_assignments",
    "parse_event",
    "parse_value",
    "record_whatif",
    "run_discovery",
    "run_point_sweep",
    "run_sensitivity",
    "run_sweep",
    "run_whatif",
    "scenario_outcomes",
    "sensitivity_chart",
    "sensitivity_table",
    "tradeoff_chart",
    "tradeoff_table",
    "whatif_table",
]
