"""``coyuntura.ema.model(scenario, outcomes=...)``: the scenario as an EMA Workbench model (:mod:`coyuntura.experiments.ema`)."""

from .experiments.ema import BASELINE, model

__all__ = ["BASELINE", "model"]
