"""The free parameters of a scenario and their priors, as pyabc random variables.

The free parameters are the scenario's numbers with a ``prior:``. ABC-SMC works on the probit scale of each
prior's range (:class:`_Unbounded`): every proposal is valid there and a uniform prior is a standard normal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..scenario.checks import quantities
from ..scenario.quantities import Prior
from ..scenario.schema import Scenario


@dataclass(frozen=True)
class FreeParameter:
    """A scenario number with a prior: its value path, its value in the file and its prior."""

    path: str
    value: float
    prior: Prior


def free_parameters(scenario: Scenario, patterns: Sequence[str] = ()) -> tuple[FreeParameter, ...]:
    """The numbers with a ``prior:`` (only those matching a glob in ``patterns``, chosen as for sensitivity analysis)."""
    from ..experiments.sensitivity import free_parameters as chosen

    priors = {path: q.prior for path, q in quantities(scenario) if q.prior is not None}
    return tuple(FreeParameter(p.path, p.value, priors[p.path]) for p in chosen(scenario, list(patterns) or None))


class _TruncatedLogNormal:
    """A log-normal truncated to [low, high] (median sqrt(low high), sigma ln(high/low)/4), as a pyabc random variable."""

    def __init__(self, low: float, high: float):
        from scipy import stats

        self.low, self.high = low, high
        mu, sigma = 0.5 * (math.log(low) + math.log(high)), math.log(high / low) / 4.0
        self._log = stats.truncnorm(-2.0, 2.0, loc=mu, scale=sigma)

    def rvs(self, *args: Any, **kwargs: Any) -> float:
        return float(math.exp(self._log.rvs()))

    def pdf(self, x: float, *args: Any, **kwargs: Any) -> float:
        return float(self._log.pdf(math.log(x)) / x) if x > 0 else 0.0

    def pmf(self, x: float, *args: Any, **kwargs: Any) -> float:
        return self.pdf(x)

    def cdf(self, x: float, *args: Any, **kwargs: Any) -> float:
        return float(self._log.cdf(math.log(x))) if x > 0 else 0.0

    def copy(self) -> "_TruncatedLogNormal":
        return _TruncatedLogNormal(self.low, self.high)


class _Uniform:
    """A uniform prior over [low, high] as a pyabc random variable, drawn from numpy's global generator.

    scipy's frozen distributions cost tens of microseconds per call; a population of thousands of particles over
    dozens of parameters calls them millions of times."""

    def __init__(self, low: float, high: float):
        self.low, self.high = low, high
        self._density = 1.0 / (high - low)

    def rvs(self, *args: Any, **kwargs: Any) -> float:
        return self.low + (self.high - self.low) * float(np.random.random_sample())

    def pdf(self, x: float, *args: Any, **kwargs: Any) -> float:
        return self._density if self.low <= x <= self.high else 0.0

    def pmf(self, x: float, *args: Any, **kwargs: Any) -> float:
        return self.pdf(x)

    def cdf(self, x: float, *args: Any, **kwargs: Any) -> float:
        return min(max((x - self.low) * self._density, 0.0), 1.0)

    def copy(self) -> "_Uniform":
        return _Uniform(self.low, self.high)


def to_range(z: np.ndarray | float, low: float, high: float) -> np.ndarray | float:
    """A value on the unbounded calibration scale back in its prior's range: ``low + (high - low) Phi(z)``."""
    from scipy.special import ndtr

    return low + (high - low) * ndtr(np.asarray(z, dtype=float))


class _Unbounded:
    """A prior over [low, high] seen on the probit scale ``z = Phi^-1((x - low) / (high - low))``, as a pyabc random variable.

    ABC-SMC perturbs particles with Gaussian kernels. In the prior's own range a proposal for dozens of parameters
    falls outside some bound almost always and is drawn again and again; on the probit scale every proposal is
    valid, and a uniform prior becomes a standard normal, whose tails the Gaussian kernels match (on a logit scale
    its exponential tails would give a few far-out particles enormous importance weights). The density carries
    the Jacobian, so the posterior in the range is the same."""

    def __init__(self, variable: Any, low: float, high: float):
        self.variable, self.low, self.high = variable, low, high

    def rvs(self, *args: Any, **kwargs: Any) -> float:
        from scipy.special import ndtri

        share = (float(self.variable.rvs()) - self.low) / (self.high - self.low)
        return float(ndtri(min(max(share, 1e-15), 1.0 - 1e-15)))

    def pdf(self, z: float, *args: Any, **kwargs: Any) -> float:
        if not -37.0 < z < 37.0:
            return 0.0
        share = 0.5 * math.erfc(-z / math.sqrt(2.0))
        normal = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
        return float(self.variable.pdf(self.low + (self.high - self.low) * share)) * (self.high - self.low) * normal

    def pmf(self, z: float, *args: Any, **kwargs: Any) -> float:
        return self.pdf(z)

    def cdf(self, z: float, *args: Any, **kwargs: Any) -> float:
        return float(self.variable.cdf(float(to_range(z, self.low, self.high))))

    def copy(self) -> "_Unbounded":
        return _Unbounded(self.variable, self.low, self.high)


def unbounded_prior(prior: Prior) -> Any:
    """The prior as a pyabc random variable on the probit scale of its range (see :class:`_Unbounded`)."""
    import pyabc

    pyabc.random_variables.RVBase.register(_Unbounded)
    return _Unbounded(prior_variable(prior), prior.low, prior.high)


def prior_variable(prior: Prior) -> Any:
    """The prior as a pyabc random variable: uniform; normal (mean at the middle, sd a quarter of the range,
    truncated); beta(2, 2) over the range; log-normal truncated to the range."""
    import pyabc

    low, high = prior.low, prior.high
    if prior.dist == "uniform":
        pyabc.random_variables.RVBase.register(_Uniform)
        return _Uniform(low, high)
    if prior.dist == "normal":
        return pyabc.RV("truncnorm", -2.0, 2.0, loc=0.5 * (low + high), scale=(high - low) / 4.0)
    if prior.dist == "beta":
        return pyabc.RV("beta", 2.0, 2.0, loc=low, scale=high - low)
    if low <= 0:
        raise ValueError(f"a lognormal prior needs low > 0, got low={low}")
    variable = _TruncatedLogNormal(low, high)
    pyabc.random_variables.RVBase.register(_TruncatedLogNormal)
    return variable
