"""A pyabc proposal kernel that keeps importance weights usable with dozens of free parameters.

pyabc's default kernel perturbs each particle with a Gaussian around it (a kernel
density estimate of the population). With many parameters those kernels barely
overlap, so a proposal's density is essentially that of its one parent kernel, and
the log density of a d-dimensional Gaussian at its own draws spreads with
sqrt(d / 2): with 58 parameters the importance weights (prior / proposal density)
spread over several orders of magnitude and one particle takes all the weight from
the first generation on (measured: effective sample size 1.1 of 500).

:class:`GaussianTransition` proposes instead from one Gaussian fitted to the weighted
population (mean and covariance, slightly widened), as in population Monte Carlo
(Cappé et al. 2004; Beaumont et al. 2009 use the population's covariance too). On
the probit scale the calibration works on, a uniform prior is a standard normal and
the ABC posterior stays close to a Gaussian, so the proposal matches it and the
weights stay even. :class:`SimulatedAlready` hands pyabc statistics simulated in a batch. The module imports
pyabc, so import it only where pyabc is used.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..extras import require

require("calibrate", "pyabc")  # this module is imported only by a calibration

import pandas as pd  # noqa: E402
from pyabc.model import Model  # noqa: E402
from pyabc.parameters import Parameter  # noqa: E402
from pyabc.transition import Transition  # noqa: E402
from pyabc.transition.util import smart_cov  # noqa: E402

WIDENING = 1.05
"""Proposal standard deviations are the population's times this: a little wider, so its tails cover the target's."""


class GaussianTransition(Transition):
    """Propose from one Gaussian fitted to the weighted population (widened by ``widening``)."""

    def __init__(self, widening: float = WIDENING):
        self.widening = widening

    def fit(self, X: pd.DataFrame, w: np.ndarray) -> None:
        values = X.to_numpy(dtype=float)
        weights = np.asarray(w, dtype=float) / np.sum(w)
        self._columns = list(X.columns)
        self._mean = weights @ values
        cov = np.atleast_2d(smart_cov(values, weights)) * self.widening**2
        cov += np.eye(cov.shape[0]) * 1e-9 * max(float(np.trace(cov)) / cov.shape[0], 1e-12)  # a degenerate direction stays proposable
        self._chol = np.linalg.cholesky(cov)
        self._log_norm = -0.5 * cov.shape[0] * math.log(2.0 * math.pi) - float(np.sum(np.log(np.diag(self._chol))))

    def rvs_single(self) -> Parameter:
        draw = self._mean + self._chol @ np.random.standard_normal(len(self._columns))
        return Parameter(dict(zip(self._columns, map(float, draw))))

    def rvs(self, size: int | None = None) -> Parameter | pd.DataFrame:
        if size is None:
            return self.rvs_single()
        draws = self._mean + np.random.standard_normal((size, len(self._columns))) @ self._chol.T
        return pd.DataFrame(draws, columns=self._columns)

    def log_pdf(self, x: np.ndarray) -> np.ndarray:
        """Log density at the rows of ``x`` (in the fitted columns' order)."""
        solve_triangular = require("calibrate", "scipy.linalg").solve_triangular

        z = solve_triangular(self._chol, np.atleast_2d(x - self._mean).T, lower=True)
        return self._log_norm - 0.5 * np.sum(z**2, axis=0)

    def pdf(self, x: Parameter | pd.Series | pd.DataFrame) -> float | np.ndarray:
        if isinstance(x, (Parameter, pd.Series, dict)):
            return float(np.exp(self.log_pdf(np.array([x[key] for key in self._columns], dtype=float))[0]))
        return np.exp(self.log_pdf(x[self._columns].to_numpy(dtype=float)))


class SimulatedAlready(Model):
    """A pyabc model whose summary statistics were simulated already (with the rest of their batch)."""

    def __init__(self, statistics: dict):
        super().__init__(name="timeline")
        self.statistics = statistics

    def sample(self, pars: Any) -> dict:
        return self.statistics
