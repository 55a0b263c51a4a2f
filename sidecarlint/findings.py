"""What the engine reports: findings with a rule, a severity and an exact place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sidecarlint.positions import Span


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


@dataclass(frozen=True)
class ObjectRef:
    kind: str
    name: str | None
    namespace: str | None

    def describe(self) -> str:
        return f"{self.kind}/{self.name}" if self.name else self.kind


@dataclass(frozen=True)
class RelatedLocation:
    span: Span
    message: str


@dataclass(frozen=True)
class RenderedLocation:
    path: str  # the rendered stream (a file, `<stdin>`, or the rendered directory)
    span: Span


@dataclass(frozen=True)
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
        return (self.path, self.span, self.rule, self.message)


INTERNAL_ERROR = "internal-error"
