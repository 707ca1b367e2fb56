"""The built-in mechanisms, one module each; each declares its place in the month (``STAGE``).

The order is the model's schedule: the economy and outside pressure first,
then the government's drift and legitimacy, then how the actors move, then the
contests of force, then what follows from them. A scenario runs the mechanisms
it lists, found by name through :mod:`coyuntura.scenario.plugins` (these and
any installed or local plug-in).
"""

from __future__ import annotations

from types import ModuleType

from . import (
    grievance_legitimacy,
    m1_nationalist_drift,
    m2_patron_leverage,
    m3_new_class,
    m4_mystification,
    m5_coup,
    m6_mass_mobilization,
    m7_failed_coup,
    m8_repression,
    m9_agrarian_structure,
    m10_guerrilla_foco,
    m11_left_unity,
    m12_arms,
    m13_radicalization_contact,
    m14_nationalization,
    m15_economic_squeeze,
    m16_military_institution,
    m17_polarization,
    m18_regime_exit,
)

BUILTIN: tuple[ModuleType, ...] = (
    grievance_legitimacy,
    m1_nationalist_drift,
    m2_patron_leverage,
    m3_new_class,
    m4_mystification,
    m5_coup,
    m6_mass_mobilization,
    m7_failed_coup,
    m8_repression,
    m9_agrarian_structure,
    m10_guerrilla_foco,
    m11_left_unity,
    m12_arms,
    m13_radicalization_contact,
    m14_nationalization,
    m15_economic_squeeze,
    m16_military_institution,
    m17_polarization,
    m18_regime_exit,
)
"""The built-in mechanisms (Petras's model). Each is registered under the entry-point group
``coyuntura.mechanisms`` in pyproject.toml, as a third-party mechanism would be."""

SCHEDULE: tuple[ModuleType, ...] = tuple(sorted(BUILTIN, key=lambda module: (module.STAGE, module.NAME)))
"""The built-in mechanisms in the order they run each month (by ``STAGE``)."""

BY_NAME: dict[str, ModuleType] = {module.NAME: module for module in SCHEDULE}
