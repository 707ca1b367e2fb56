"""coyuntura: turn an analysis of a political conjuncture into an executable, stochastic model.

The public API (see :mod:`coyuntura.api`)::

    import coyuntura as cy
    model = cy.compile_scenario(cy.load_scenario("bolivia-1952"))
    ensemble = cy.simulate(model, 10_000, seed=0)
    print(cy.to_markdown(cy.regime_table(ensemble)))
"""

__version__ = "0.1.0"

from .api import *  # noqa: E402,F403  (the public API; __version__ first, report.folder reads it)
from .api import __all__ as _public_api  # noqa: E402

__all__ = ["__version__", *_public_api]
