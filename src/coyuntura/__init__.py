"""coyuntura: turn an analysis of a political conjuncture into an executable, stochastic model."""

__version__ = "0.1.0"
