"""What the engine reports: findings with a rule, a severity and an exact place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sidecarlint.positions import Span
from sidecarlint.records import record


class Severity(str, Enum):
    NOTE = "note"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def __str__(self) -> str:
        return self.value


_RANKS = {Severity.NOTE: 0, Severity.WARNING: 1, Severity.ERROR: 2}


@record
class ObjectRef:
    kind: str
    name: str | None
    namespace: str | None

    def describe(self) -> str:
        return f"{self.kind}/{self.name}" if self.name else self.kind


@record
class RelatedLocation:
    span: Span
    message: str


@dataclass(frozen=True)
class RenderedLocation:
    path: str  # the rendered stream (a file, `<stdin>`, or the rendered directory)
    span: Span


@record
class Finding:
    rule: str
    severity: Severity
    message: str
    path: str  # the file, as the user named it
    span: Span
    object: ObjectRef | None = None
    container: str | None = None
    field_path: tuple = ()  # into the document: stable across unrelated edits
    document: int | None = None
    related: tuple[RelatedLocation, ...] = ()
    # For a finding moved from a rendered stream to the file a person edits: where it was.
    rendered: RenderedLocation | None = None

    @property
    def line(self) -> int:
        return self.span.line

    @property
    def column(self) -> int:
        return self.span.column

    def sort_key(self) -> tuple:
        # The span's fields rather than the span: the same order (a Span orders as the
        # tuple of its fields), compared without a call to its `__lt__`.
        span = self.span
        return (self.path, span.line, span.column, span.end_line, span.end_column, self.rule, self.message)


INTERNAL_ERROR = "internal-error"
