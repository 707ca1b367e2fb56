"""Request and response models of the web API, with the caps every request is held to.

Requests are validated by pydantic before anything runs: unknown fields, out-of-range
numbers, values of the wrong type (no coercion: ``"100"`` or ``true`` is not a number of runs)
and malformed months or ids are refused with a 422 that names the field.
What needs the scenario (does the snapshot exist, does a value path exist, is a value
in range) is checked next, also before any work is queued.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StringConstraints
from typing_extensions import Annotated

MAX_RUNS = 50_000
"""Most runs one request may ask for (a what-if simulates twice as many)."""
MAX_MONTHS = 360
"""Longest span a run may cover, in months (the scenario's horizon caps it too)."""
MAX_BODY_BYTES = 64 * 1024
"""Request bodies over this size are refused (413) before they are parsed."""
MAX_CHANGES = 64
"""Most value paths one intervention may set, and most events it may cancel."""
MAX_RUN_INDEX = 2**31 - 1
MAX_SEED = 2**32 - 1
"""Largest seed the API takes: lower than the library's (``coyuntura.limits.MAX_SEED``, 2**63 - 1) on purpose.
The page holds seeds as JavaScript numbers, exact only up to 2**53 - 1: a larger seed would be rounded when
the page reads a job back and re-sends its request (the chronicle of a run would then be told with another
seed). Records made with larger seeds by the CLI are listed but cannot be reopened here."""

Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$", max_length=64)]
MonthText = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")]
StartText = Annotated[str, StringConstraints(pattern=r"^([a-z][a-z0-9_-]*|\d{4}-\d{2})$", max_length=64)]
VALUE_PATH_PATTERN = r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"
"""A value path: dot-separated keys, ids or list indices (``coyuntura sources`` lists them)."""
ValuePath = Annotated[str, StringConstraints(pattern=VALUE_PATH_PATTERN, max_length=200)]
Word = Annotated[str, StringConstraints(max_length=64)]
ChangeValue = Union[StrictBool, StrictInt, StrictFloat, Word, Annotated[list[Word], Field(max_length=32)]]
"""What an intervention may set at a value path: a number, a boolean, a word or a list of words."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Interventions(Strict):
    """The scenario, start, end and changes that define what is simulated."""

    scenario: Identifier = Field(description="A bundled or registered scenario's id (never a path).", examples=["bolivia-1952"])
    start: Optional[StartText] = Field(None, description="Start snapshot: its id or its month YYYY-MM; default the scenario's start.")
    until: Optional[MonthText] = Field(None, description="Last month simulated, YYYY-MM; default two years past a snapshot, else the calendar's end.")
    experiment: Optional[Identifier] = Field(None, description="A named experiment of the scenario, applied before `changes`.")
    changes: dict[ValuePath, ChangeValue] = Field(
        default_factory=dict, max_length=MAX_CHANGES, description="Value path -> new value (e.g. mechanisms.coup.decisiveness: 2.5).",
        # pydantic states the key rule as patternProperties only; say it of every key too, so that the
        # schema refuses what the server refuses (a key that is not a value path).
        json_schema_extra={"propertyNames": {"pattern": VALUE_PATH_PATTERN, "maxLength": 200}, "additionalProperties": False},
    )
    cancel_events: list[Identifier] = Field(default_factory=list, max_length=MAX_CHANGES, description="Ids of scheduled events to cancel.")

    @property
    def has_intervention(self) -> bool:
        return bool(self.experiment or self.changes or self.cancel_events)


class RunRequest(Interventions):
    """Simulate ``runs`` runs; with an intervention, the baseline and the changed scenario on common random numbers."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"scenario": "bolivia-1952", "start": "october_1970", "until": "1971-06", "runs": 20, "seed": 1,
                 "changes": {"mechanisms.coup.decisiveness": 2.5}, "cancel_events": []},
                {"scenario": "bolivia-1952", "experiment": "armed-workers", "until": "1971-03", "runs": 10},
                {"scenario": "bolivia-1952", "start": "march_1971", "until": "1971-12", "runs": 10},
            ]
        },
    )

    runs: StrictInt = Field(2_000, ge=1, le=MAX_RUNS, description=f"Number of runs, 1..{MAX_RUNS:,}.")
    seed: StrictInt = Field(0, ge=0, le=MAX_SEED, description="Seed of the random streams.")


class ChronicleRequest(Interventions):
    """One trajectory as dated sentences: run ``run`` of the baseline or of the intervention."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"scenario": "bolivia-1952", "start": "october_1970", "until": "1971-06", "run": 3, "seed": 1,
                 "changes": {"mechanisms.coup.decisiveness": 2.5}, "arm": "intervention"},
                {"scenario": "bolivia-1952", "start": "march_1971", "until": "1971-12", "run": 0},
            ]
        },
    )

    run: StrictInt = Field(0, ge=0, le=MAX_RUN_INDEX, description="Index of the run (the same index in both arms of a what-if).")
    seed: StrictInt = Field(0, ge=0, le=MAX_SEED)
    arm: Literal["baseline", "intervention"] = "baseline"


class Progress(BaseModel):
    done: int
    total: int


class JobView(BaseModel):
    """A job as the page sees it; ``result`` only once it is done."""

    id: str
    kind: Literal["run", "whatif"]
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    progress: Progress
    request: dict[str, Any]
    error: Optional[str] = None
    elapsed: float = Field(description="Seconds since the job was submitted (or its total time once finished).")
    record_id: Optional[str] = Field(None, description="The run store's record of this job, once recorded.")
    result: Optional[dict[str, Any]] = None


class ErrorView(BaseModel):
    detail: Any
