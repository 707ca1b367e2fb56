"""The mechanisms, one module each, in the order they run within a month.

The order is the model's schedule: the economy and outside pressure first,
then the government's drift and legitimacy, then how the actors move, then the
contests of force, then what follows from them.
"""

from __future__ import annotations

from types import ModuleType

from . import (
    grievance_legitimacy,
    m1_nationalist_drift,
    m2_us_leverage,
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

SCHEDULE: tuple[ModuleType, ...] = (
    m15_economic_squeeze,
    grievance_legitimacy,
    m2_us_leverage,
    m14_nationalization,
    m1_nationalist_drift,
    m3_new_class,
    m4_mystification,
    m9_agrarian_structure,
    m13_radicalization_contact,
    m10_guerrilla_foco,
    m11_left_unity,
    m6_mass_mobilization,
    m8_repression,
    m5_coup,
    m7_failed_coup,
    m16_military_institution,
    m18_regime_exit,
    m12_arms,
    m17_polarization,
)
"""Every mechanism, in the order it runs each month."""

BY_NAME: dict[str, ModuleType] = {module.NAME: module for module in SCHEDULE}
