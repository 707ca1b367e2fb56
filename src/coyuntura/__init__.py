"""coyuntura: turn an analysis of a political conjuncture into an executable, stochastic model.

The public API (see :mod:`coyuntura.api`)::

    import coyuntura as cy
    model = cy.compile_scenario(cy.load_scenario("bolivia-1952"))
    ensemble = cy.simulate(model, 10_000, seed=0)
    print(cy.to_markdown(cy.regime_table(ensemble)))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from .api import __all__ as _public_api  # noqa: E402  (cheap: coyuntura.api imports its modules on first use)

__all__ = ["__version__", *_public_api]

if TYPE_CHECKING:
    from .api import *  # noqa: F403


def __getattr__(name: str) -> Any:
    """The public API, imported on first use (PEP 562): ``import coyuntura`` loads neither numpy nor pydantic."""
    if name not in _public_api:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import api

    value = getattr(api, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
