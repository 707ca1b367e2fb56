"""The model description's two figures, drawn from declarations, never by hand (matplotlib, Agg).

- :func:`actor_network_png`: the scenario's actors on a circle ordered by their
  starting position (left to right), sized by political weight, joined by the
  scenario's ``influence`` and ``alliance`` relations.
- :func:`mechanism_state_png`: which mechanism reads and which writes each state
  variable, from the modules' ``READS`` and ``WRITES``, in schedule order.

Both return PNG bytes (no timestamp in the file, so the same input gives the same bytes).
"""

from __future__ import annotations

import io
import math
import textwrap
from types import ModuleType
from typing import Sequence

from ..extras import require

matplotlib = require("charts", "matplotlib")  # this module is imported only when a chart is drawn

matplotlib.use("Agg")

import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap, Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import FancyArrowPatch, Patch  # noqa: E402

from ..engine.state import ACTOR_VARIABLES  # noqa: E402
from ..scenario.schema import Scenario  # noqa: E402
from .mechanism_metadata import GOVERNMENT_VARIABLES, STATE_VARIABLES  # noqa: E402

DPI = 100
INFLUENCE_COLOR = "#555555"
ALLIANCE_COLOR = "#1b9e77"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def short_name(name: str, width: int = 22) -> str:
    """An actor's name without its parenthesis, wrapped for a figure label."""
    head = name.split(" (")[0]
    return "\n".join(textwrap.wrap(head, width)[:3])


def actor_network_png(scenario: Scenario) -> bytes:
    """The actor network: influence (grey) and alliance (green, dashed) ties, actors placed by position."""
    actors = list(scenario.actors)
    radicalism = {a.id: scenario.attribute(a, "radicalism").value for a in actors}
    weight = {a.id: scenario.attribute(a, "weight").value for a in actors}
    order = sorted(actors, key=lambda a: (-radicalism[a.id], a.id))
    count = len(order)
    # Most left at the top-left, going down the left side and up the right: left on the left, right on the right.
    angles = {a.id: math.pi / 2 + 2 * math.pi * (index + 0.5) / count for index, a in enumerate(order)}
    position = {key: (math.cos(theta), math.sin(theta)) for key, theta in angles.items()}

    figure = Figure(figsize=(11, 9), dpi=DPI)
    ax = figure.add_axes((0.02, 0.06, 0.96, 0.88))
    ax.set_xlim(-1.7, 1.7)
    ax.set_ylim(-1.3, 1.3)
    ax.set_aspect("equal")
    ax.axis("off")
    colors = matplotlib.colormaps["RdBu"]
    norm = Normalize(-1.0, 1.0)
    size = {key: 250 + 2600 * math.sqrt(max(value, 0.0) / 0.4) for key, value in weight.items()}
    for relation in scenario.relations:
        start, end = position[relation.source], position[relation.target]
        influence = relation.kind == "influence"
        arrow = FancyArrowPatch(
            start,
            end,
            connectionstyle="arc3,rad=0.18" if influence else "arc3,rad=-0.18",
            arrowstyle="-|>",
            mutation_scale=14,
            linewidth=0.6 + 3.0 * relation.weight.value,
            linestyle="-" if influence else "--",
            color=INFLUENCE_COLOR if influence else ALLIANCE_COLOR,
            alpha=0.75,
            shrinkA=math.sqrt(size[relation.source]) / 2 + 2,
            shrinkB=math.sqrt(size[relation.target]) / 2 + 2,
            zorder=1,
        )
        ax.add_patch(arrow)
    xs = [position[a.id][0] for a in order]
    ys = [position[a.id][1] for a in order]
    # Colour by position with the left red: RdBu runs red (low) to blue (high), so plot -radicalism.
    ax.scatter(xs, ys, s=[size[a.id] for a in order], c=[colors(norm(-radicalism[a.id])) for a in order], edgecolors="#222222", linewidths=0.8, zorder=2)
    points_per_unit = 72 * 0.88 * 9 / 2.6  # the y extent fixes the scale (equal aspect)
    for index, actor in enumerate(order):
        x, y = position[actor.id]
        below = y < -0.75
        stagger = 0.09 if below and index % 2 else 0.0  # neighbours at the bottom alternate
        reach = 1.0 + math.sqrt(size[actor.id]) / 2 / points_per_unit + 0.03 + stagger
        ax.text(
            reach * x, reach * y, short_name(actor.name, 20), fontsize=8.5, zorder=3,
            ha="left" if x > 0.3 else "right" if x < -0.3 else "center", va="top" if below else "center",
        )
    handles = [
        Line2D([0], [0], color=INFLUENCE_COLOR, linewidth=2, label="influence (contact, cascade pull)"),
        Line2D([0], [0], color=ALLIANCE_COLOR, linewidth=2, linestyle="--", label="alliance (resources)"),
        Line2D([0], [0], marker="o", color="w", markerfacecolor=colors(norm(-0.8)), markeredgecolor="#222222", markersize=11, label="left position"),
        Line2D([0], [0], marker="o", color="w", markerfacecolor=colors(norm(0.8)), markeredgecolor="#222222", markersize=11, label="right position"),
    ]
    figure.legend(handles=handles, loc="lower center", ncol=4, fontsize=9, frameon=False)
    figure.suptitle(
        f"Actors and relations of {scenario.id}: line width = tie weight, disc area = political weight, "
        "colour = starting position",
        fontsize=11,
    )
    return _png(figure)


def mechanism_state_png(mechanisms: Sequence[ModuleType]) -> bytes:
    """Which mechanism (rows, schedule order) reads and writes which state variable (columns)."""
    variables = [v for v in STATE_VARIABLES if any(v in m.READS or v in m.WRITES for m in mechanisms)]
    grid = np.zeros((len(mechanisms), len(variables)), dtype=int)
    for row, module in enumerate(mechanisms):
        for column, variable in enumerate(variables):
            grid[row, column] = (1 if variable in module.READS else 0) + (2 if variable in module.WRITES else 0)
    width = 3.8 + 0.36 * len(variables)
    height = 2.4 + 0.36 * len(mechanisms)
    figure = Figure(figsize=(width, height), dpi=DPI)
    ax = figure.add_axes((2.3 / width, 0.6 / height, 1 - 3.6 / width, 1 - 2.3 / height))
    cmap = ListedColormap(["#ffffff", "#9ecae1", "#fdae6b", "#c0392b"])
    ax.imshow(grid, cmap=cmap, vmin=0, vmax=3, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(variables)))
    ax.set_xticklabels(variables, rotation=60, ha="left", fontsize=8.5)
    ax.xaxis.tick_top()
    labels = [" ".join([item for item in m.COVERS if item[:1] == "M" and item[1:].isdigit()] + [m.NAME]) for m in mechanisms]
    ax.set_yticks(range(len(mechanisms)))
    ax.set_yticklabels(labels, fontsize=8.5)
    ax.set_xticks(np.arange(-0.5, len(variables)), minor=True)
    ax.set_yticks(np.arange(-0.5, len(mechanisms)), minor=True)
    ax.grid(which="minor", color="#dddddd", linewidth=0.6)
    ax.tick_params(which="minor", length=0)
    government = sum(1 for v in variables if v in GOVERNMENT_VARIABLES)
    actor_count = sum(1 for v in variables if v in ACTOR_VARIABLES)
    for boundary in (government, government + actor_count):
        ax.axvline(boundary - 0.5, color="#333333", linewidth=1.2)
    for (row, column), value in np.ndenumerate(grid):
        if value:
            ax.text(column, row, {1: "R", 2: "W", 3: "RW"}[int(value)], ha="center", va="center", fontsize=6.5, color="white" if value == 3 else "#222222")
    handles = [
        Patch(facecolor="#9ecae1", edgecolor="#999999", label="reads"),
        Patch(facecolor="#fdae6b", edgecolor="#999999", label="writes"),
        Patch(facecolor="#c0392b", edgecolor="#999999", label="reads and writes"),
    ]
    figure.legend(handles=handles, loc="lower center", ncol=3, fontsize=9, frameon=False)
    figure.text(
        0.01, 0.995, "Mechanisms (rows, in the order they run each month) and the state variables they declare\n"
        "(columns: government | actors | system), from each module's READS and WRITES",
        fontsize=10, va="top",
    )
    return _png(figure)
