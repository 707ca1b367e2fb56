"""Default settings that the command line shows in ``--help``, kept in a module that imports nothing.

The library's modules take their defaults from here, so ``coyuntura --help`` can show them without
importing numpy or the scenario schema (see :mod:`coyuntura.extras` for the optional libraries).
"""

from __future__ import annotations

DEFAULT_RUNS_PER_POINT = 32
"""Runs at each sample point. Sobol and Morris gain more from points than from runs per point: with 32 runs
the noise of a point's probability is at most 0.25 / 32 ~ 0.008 in variance (about 4% of the variance of
P(coup_success) over the priors of bolivia-1952 from March 1971), and Sobol at N = 1,024 over its 58 free
parameters stays within 5 minutes on 2 cores."""

DEFAULT_REPLICATES = 8
"""Replicates for the jackknife estimate of the Monte Carlo error (blocks of runs, or independent filters)."""

DEFAULT_FILTERED_RUNS = 8_000
"""Particles in all (split among the replications) for the filtered score."""

DEFAULT_FORECAST_REPLICATIONS = 8
"""Independent particle filters a forecast's runs are split among; its Monte Carlo errors come from their spread."""

DEFAULT_CHECK_RUNS = 1000
"""Runs for the prior and posterior predictive checks of every calibration cell."""

DEFAULT_ORIGINS = ("1963-06", "1969-06", "1970-09")
"""The backtest's vantage months."""

DEFAULT_HORIZON = 24
"""Months the backtest scores after each origin."""

DISTANCES = ("brier", "log", "evidence")
"""The ABC distances between a particle's histories and the record: the Brier score or the log loss of their
shares, or the particle filter's log likelihood of the record (:func:`coyuntura.history.calibration.abc_distance`)."""

DEFAULT_EPSILON_QUANTILE = 0.75
"""Each ABC-SMC generation's epsilon: this weighted quantile of the last generation's distances.

pyabc's default, the median, halves the acceptance rate roughly every generation; with a distance measured on
one or two simulated histories it soon chases their noise (measured on bolivia-1952 before 1971-03, 2,000
particles: acceptance 0.51, 0.35, 0.24, 0.16, 0.09, 0.06, 0.04 in generations 0-6; generation 6 alone needed
54,000 evaluations). The upper quartile tightens more slowly and keeps eight generations within minutes."""

DEFAULT_BATCH_PARTICLES = 1000
"""Particles proposed and simulated together in one vectorized call (one task for the executor)."""
