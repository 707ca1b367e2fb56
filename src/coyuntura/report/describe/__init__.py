"""The model description (ODD+D), generated from the scenario file and the mechanisms' own code.

The ODD protocol (Overview, Design concepts, Details; Grimm et al. 2006, updated
2020) is how agent-based models are described; ODD+D (Müller et al. 2013) adds
human decision-making. A hand-written description drifts from the code, so
:func:`describe_scenario` writes it from what the code declares: the scenario's
actors, relations, values and their provenance; the schedule of mechanisms
(the mechanisms the scenario uses, by stage); each mechanism's ``SUMMARY``,
``FORMS``, ``EQUATIONS``, ``SOURCE`` and docstring paraphrase, ``READS`` /
``WRITES`` and random ``SLOTS``; the random-number scheme (``engine/random.py``);
the observed outcomes (``engine/outcomes.py``) and the pattern checks
(``history/patterns.py``). A mechanism that lacks its metadata stops the
description with one clear message (:mod:`coyuntura.report.mechanism_metadata`).

The description is a small document tree rendered as Markdown
(:func:`render_markdown`, readable on GitHub, figures as PNG files beside it) or
as one self-contained HTML page (:func:`render_html`: inline CSS, figures as
base64 data URIs, no external assets). :func:`write_description` writes either
atomically.

The package, one job a module:

- :mod:`.document` — the document tree (sections, blocks, figures);
- :mod:`.text` — scenario values, docstrings and mechanism metadata as the tree's text;
- :mod:`.overview`, :mod:`.concepts`, :mod:`.details` — the ODD content: sections 1-3, 4 and 5-9;
- :mod:`.build` — :func:`describe_scenario`, which assembles them with the figures;
- :mod:`.as_markdown`, :mod:`.as_html` (with :mod:`.style`, its CSS) — the two renderers;
- :mod:`.files` — :func:`write_description`.
"""

from __future__ import annotations

from .as_html import render_html
from .as_markdown import render_markdown
from .build import describe_scenario
from .concepts import CONCEPTS, DECISIONS, EMERGENCE
from .document import Block, Bullets, Description, Equations, Figure, FigureRef, Grid, Paragraph, Section
from .files import Format, write_description
from .style import CSS
from .text import code, state_variable_meanings

__all__ = [
    "CONCEPTS", "CSS", "DECISIONS", "EMERGENCE", "Block", "Bullets", "Description", "Equations", "Figure", "FigureRef", "Format",
    "Grid", "Paragraph", "Section", "code", "describe_scenario", "render_html", "render_markdown", "state_variable_meanings",
    "write_description",
]
