"""Optional dependencies: which extra brings which library, and one way to import them.

The core install (``pip install coyuntura``) runs, chronicles, checks and records scenarios.
Everything else comes with an extra (see ``pyproject.toml``). Code that needs an optional
library imports it with :func:`require` where it is used, so ``import coyuntura`` stays fast
and a missing library is reported as the extra to install, not as a bare ``ModuleNotFoundError``.
"""

from __future__ import annotations

import importlib
import warnings
from types import ModuleType
from typing import Optional

EXTRAS: dict[str, str] = {
    "charts": "PNG charts in reports, the model description and the analyses",
    "data": "labelled results as pandas and xarray objects, and netCDF export",
    "calibrate": "calibration with pyabc, and forecasts and scores from a posterior",
    "explore": "sensitivity analysis, scenario discovery and the EMA Workbench model",
    "web": "the web explorer, coyuntura serve",
    "dask": "simulating on a Dask cluster with --workers or --scheduler",
}
"""Each extra and what it adds, as ``pip install 'coyuntura[EXTRA]'`` names it."""

MODULE_EXTRAS: dict[str, str] = {
    "matplotlib": "charts",
    "pandas": "data",
    "xarray": "data",
    "scipy": "calibrate",
    "pyabc": "calibrate",
    "SALib": "explore",
    "ema_workbench": "explore",
    "fastapi": "web",
    "starlette": "web",
    "uvicorn": "web",
    "dask": "dask",
    "distributed": "dask",
}
"""The extra that brings each optional top-level module (for an import that did not go through :func:`require`)."""


class MissingExtra(ImportError):
    """An optional library is not installed; the message names the extra that brings it."""

    def __init__(self, extra: str, module: str):
        self.extra = extra
        super().__init__(
            f"{module} is not installed; it comes with the '{extra}' extra ({EXTRAS.get(extra, extra)}): "
            f"pip install 'coyuntura[{extra}]'",
            name=module,
        )


def require(extra: str, module: str) -> ModuleType:
    """Import ``module`` (which ``extra`` installs) and return it; raise :class:`MissingExtra` if it is missing.

    A library that is present but lacks one of its own dependencies counts as missing too: installing the
    extra again is the fix in both cases."""
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; known: {', '.join(EXTRAS)}")
    try:
        with warnings.catch_warnings():
            # The EMA Workbench announces on import that ipyparallel, which coyuntura does not use, is missing.
            warnings.filterwarnings("ignore", message="ipyparallel not installed", category=UserWarning)
            return importlib.import_module(module)
    except ModuleNotFoundError as error:
        raise MissingExtra(extra, error.name or module) from None


def missing_extra(error: ImportError) -> Optional[MissingExtra]:
    """``error`` as a :class:`MissingExtra` when it is one, or when it is a missing optional module; else None."""
    if isinstance(error, MissingExtra):
        return error
    top = (error.name or "").split(".")[0]
    if isinstance(error, ModuleNotFoundError) and top in MODULE_EXTRAS:
        return MissingExtra(MODULE_EXTRAS[top], top)
    return None
