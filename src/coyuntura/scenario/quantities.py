"""Numbers with provenance.

Every number in a scenario is a :class:`Quantity`: a value plus either a
``source`` (a locator into the source text and a paraphrase of what it says) or
an ``assumption`` (one line saying why the modeller chose it). A quantity may
also carry a ``prior`` for calibration. Bounded variants (:data:`Unit`,
:data:`Signed`, :data:`NonNegative`) reject values outside their range.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Collection, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

LOCATOR_PATTERN = re.compile(r"^(?P<section>.+?),\s*L(?P<start>\d+)(?:-(?P<end>\d+))?$")
"""A passage of the analysis (``source_document``): ``'Section title, Lstart-end'``."""
CITATION_PATTERN = re.compile(r"^(?P<source>[a-z][a-z0-9_]*)(?::\s*(?P<where>\S.*))?$")
"""A place in a further source (``sources``): ``'<id>'`` or ``'<id>: <where>'``, e.g. ``'drake: pp. 12-14'``."""
LOCATOR_FORMS = "a locator like 'The Miners, L226-237' (the analysis) or '<source id>: <where>' (a further source)"


def cited_source(text: str, source_ids: Collection[str]) -> str | None:
    """The further source ``text`` cites (``'<id>'`` or ``'<id>: <where>'`` with ``id`` among ``source_ids``), or None:
    the one rule telling a further source's place from a passage of the analysis."""
    match = CITATION_PATTERN.match(text.strip())
    return match.group("source") if match is not None and match.group("source") in source_ids else None


def is_locator(text: str) -> bool:
    """Whether ``text`` has the form of a locator (the scenario's checks resolve it against its sources)."""
    return bool(LOCATOR_PATTERN.match(text) or CITATION_PATTERN.match(text))


class Frozen(BaseModel):
    """Base for every scenario model: immutable, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def strict_number(value: object) -> object:
    """A number as written: an integer or a decimal, never ``true``/``false`` or quoted text (no coercion)."""
    if isinstance(value, bool):
        raise ValueError(f"Input should be a valid number, not the boolean {str(value).lower()}")
    if isinstance(value, str):
        raise ValueError(f"Input should be a valid number, not text ({value!r}); write numbers without quotes")
    return value


class Prior(Frozen):
    """Prior distribution of a free parameter, used by calibration."""

    dist: Literal["uniform", "normal", "lognormal", "beta"] = "uniform"
    low: float
    high: float

    _strict_bounds = field_validator("low", "high", mode="before")(strict_number)

    @model_validator(mode="after")
    def _ordered(self) -> "Prior":
        if not self.low < self.high:
            raise ValueError(f"prior range needs low < high, got low={self.low}, high={self.high}")
        return self


class Quantity(Frozen):
    """A number with its provenance: ``source`` + ``says``, or ``assumption``."""

    value: float
    source: str | None = Field(default=None, description="Locator: 'Section title, Lstart-end', or '<source id>: <where>'.")
    says: str | None = Field(default=None, description="What the source says there, in our own words.")
    assumption: str | None = Field(default=None, description="Why this value, when the source gives none.")
    prior: Prior | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_numbers_need_provenance(cls, data: object) -> object:
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            raise ValueError(
                f"the number {data} needs provenance: write {{value: {data}, source: 'Section, Lx-y', says: ...}} "
                f"or {{value: {data}, assumption: '...'}}"
            )
        return data

    _strict_value = field_validator("value", mode="before")(strict_number)

    @model_validator(mode="after")
    def _provenance(self) -> "Quantity":
        if not math.isfinite(self.value):
            raise ValueError(f"value must be a finite number, got {self.value}")
        if (self.source is None) == (self.assumption is None):
            raise ValueError("give exactly one of 'source' (with 'says') or 'assumption'")
        if self.source is not None:
            if not is_locator(self.source):
                raise ValueError(f"source {self.source!r} is not {LOCATOR_FORMS}")
            if not self.says or not self.says.strip():
                raise ValueError("a 'source' needs 'says': what the source states there, in your own words")
        if self.assumption is not None and not self.assumption.strip():
            raise ValueError("'assumption' needs a one-line justification")
        if self.prior is not None and not self.prior.low <= self.value <= self.prior.high:
            raise ValueError(f"value {self.value} lies outside its prior range [{self.prior.low}, {self.prior.high}]")
        return self

    @property
    def reach(self) -> tuple[float, float]:
        """The lowest and highest value it may take: its prior's range (which holds the value), else the value itself."""
        return (self.prior.low, self.prior.high) if self.prior is not None else (self.value, self.value)

    @property
    def provenance(self) -> str:
        """One line: the locator and paraphrase, or the assumption."""
        if self.source is not None:
            return f"{self.source}: {self.says}"
        return f"assumption: {self.assumption}"


def _bounded(low: float, high: float) -> AfterValidator:
    def check(quantity: Quantity) -> Quantity:
        if not low <= quantity.value <= high:
            raise ValueError(f"value {quantity.value} is outside the allowed range [{low:g}, {high:g}]")
        if quantity.prior is not None and (quantity.prior.low < low or quantity.prior.high > high):
            raise ValueError(
                f"prior range [{quantity.prior.low:g}, {quantity.prior.high:g}] leaves the allowed range [{low:g}, {high:g}]"
            )
        return quantity

    check.bounds = (low, high)  # type: ignore[attr-defined]
    return AfterValidator(check)


Unit = Annotated[Quantity, _bounded(0.0, 1.0)]
"""A share, probability-like level or index in [0, 1]."""
Signed = Annotated[Quantity, _bounded(-1.0, 1.0)]
"""A position on the left-right axis: -1 far right, +1 far left."""
NonNegative = Annotated[Quantity, _bounded(0.0, 1e6)]
"""A rate, weight or coefficient that cannot be negative."""
Coefficient = Annotated[Quantity, _bounded(-1e6, 1e6)]
"""A log-linear coefficient or intercept, of either sign."""


def field_bounds(model_class: type[BaseModel], field: str) -> tuple[float, float]:
    """The allowed range of a model's number field (infinite when it has no bounds)."""
    import typing
    from types import SimpleNamespace

    info = model_class.model_fields[field]
    # pydantic keeps a bounded quantity's validator in the field's metadata (``Unit``), or inside ``Unit | None``.
    for candidate in (SimpleNamespace(__metadata__=tuple(info.metadata)), *typing.get_args(info.annotation)):
        bounds = quantity_bounds(candidate)
        if bounds is not None:
            return bounds
    return (-math.inf, math.inf)


def quantity_bounds(annotation: object) -> tuple[float, float] | None:
    """The allowed range of a bounded quantity annotation, if it has one."""
    for meta in getattr(annotation, "__metadata__", ()):
        func = getattr(meta, "func", None)
        bounds: tuple[float, float] | None = getattr(func, "bounds", None)
        if bounds is not None:
            return bounds
    return None
