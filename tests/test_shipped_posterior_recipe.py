"""`make posterior` rebuilds the posterior shipped with bolivia-1952: the Makefile's command carries its settings."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "src" / "coyuntura" / "scenarios" / "bolivia-1952.posterior.json"


def _recipe() -> dict[str, str]:
    """The options of the `calibrate` command in the Makefile's `posterior` target, with $(CALIBRATED) expanded."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    calibrated = re.search(r"^CALIBRATED := (.+)$", makefile, re.MULTILINE)
    target = re.search(r"^posterior:.*?\n((?:\t.*\n?)+)", makefile, re.MULTILINE)
    assert calibrated is not None and target is not None, "the Makefile has no CALIBRATED list or no posterior target"
    command = target.group(1).replace("\\\n", " ").replace("$(CALIBRATED)", calibrated.group(1))
    line = next(part for part in command.splitlines() if " calibrate " in part)
    words = shlex.split(line)
    return {words[k]: words[k + 1] for k in range(len(words) - 1) if words[k].startswith("--") and not words[k + 1].startswith("--")}


def test_the_makefile_recipe_has_the_shipped_posteriors_settings() -> None:
    settings = json.loads(SHIPPED.read_text(encoding="utf-8"))["settings"]
    recipe = _recipe()
    assert recipe["--as-of"] == settings["as_of"]
    assert recipe["--distance"] == settings["distance"]
    assert recipe["--parameters"].split(",") == settings["parameters"]
    for option, key in (("--population", "population"), ("--generations", "generations"), ("--runs-per-particle", "runs_per_particle"),
                        ("--batch-particles", "batch_particles"), ("--seed", "seed")):
        assert int(recipe[option]) == settings[key], option
    assert float(recipe["--min-ess"]) == settings["min_ess"]
