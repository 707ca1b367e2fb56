"""The docs' plug-in example, copied where a test may edit it: countryside-1971.yaml beside its land_seizures.py."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"
COUNTRYSIDE = EXAMPLES / "countryside-1971.yaml"
PLUGIN = EXAMPLES / "land_seizures.py"


def countryside_copy(folder: Path, scenario: Callable[[str], str] = str, plugin: Callable[[str], str] = str) -> Path:
    """Write the example scenario and its mechanism file into ``folder``, each text passed through its edit; the scenario's path."""
    (folder / "land_seizures.py").write_text(plugin(PLUGIN.read_text(encoding="utf-8")), encoding="utf-8")
    path = folder / "countryside.yaml"
    path.write_text(scenario(COUNTRYSIDE.read_text(encoding="utf-8")), encoding="utf-8")
    return path


def misspelt_event(text: str) -> str:
    """The mechanism file with a kind of event the engine does not have: it keeps the contract but fails when it runs."""
    text = text.replace('month.event_code("land_seizure")', "EventType.SOLDIERS_COMMITTEE")
    return text.replace("from coyuntura.engine.events import actor_mask", "from coyuntura.engine.events import EventType, actor_mask")
