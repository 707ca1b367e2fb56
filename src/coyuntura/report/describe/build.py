"""Build the description of one scenario: its figures, introduction and the nine ODD sections."""

from __future__ import annotations

from types import ModuleType
from typing import Sequence

from ... import __version__
from ...scenario.schema import Scenario
from ..mechanism_metadata import check_mechanisms
from .concepts import design_section
from .details import implementation_section, initialization_section, input_data_section, limits_section, submodels_section
from .document import Description, Figure, Paragraph
from .overview import entities_section, process_section, purpose_section
from .text import code, plain


def describe_scenario(scenario: Scenario, mechanisms: Sequence[ModuleType] | None = None) -> Description:
    """The ODD+D description of ``scenario`` (by default of the mechanisms it uses, in schedule order); raise
    :class:`MechanismMetadataError` if a mechanism lacks its metadata."""
    mechanisms = tuple(scenario.mechanism_schedule()) if mechanisms is None else tuple(mechanisms)
    check_mechanisms(mechanisms)
    from ..diagrams import actor_network_png, mechanism_state_png  # matplotlib only when a description is built

    figures = (
        Figure(
            "actor-network",
            "Figure 1. The actor network",
            f"The {len(scenario.actors)} actors of {scenario.id} on a circle ordered by starting position (most left at the top "
            "left, most right at the top right), disc area by political weight, with the scenario's influence (grey) and "
            "alliance (green, dashed) relations; line width is the tie's weight.",
            actor_network_png(scenario),
        ),
        Figure(
            "mechanism-state",
            "Figure 2. Mechanisms and the state variables they read and write",
            "Rows: the mechanisms in the order they run each month; columns: state variables (government | actors | system). "
            "Drawn from each module's READS and WRITES, which a test checks against the code.",
            mechanism_state_png(mechanisms),
        ),
    )
    intro = (
        Paragraph(
            f"This description of the scenario {code(scenario.id)} follows the ODD protocol (Grimm et al. 2006, 2020) with the "
            "decision-making elements of ODD+D (Müller et al. 2013). It is generated from the scenario file and from the code "
            f"of its {len(mechanisms)} mechanisms by coyuntura {__version__} (`coyuntura describe {scenario.id}`); regenerate it "
            "rather than edit it, so it cannot drift from the model."
        ),
    )
    sections = (
        purpose_section(scenario),
        entities_section(scenario),
        process_section(scenario, mechanisms),
        design_section(scenario, mechanisms),
        initialization_section(scenario),
        input_data_section(scenario),
        submodels_section(scenario, mechanisms),
        limits_section(scenario),
        implementation_section(scenario, mechanisms),
    )
    return Description(scenario.id, f"Model description (ODD+D): {plain(scenario.title)}", intro, sections, figures)
