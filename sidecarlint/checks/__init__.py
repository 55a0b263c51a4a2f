"""Checks: the logic that rules name.

A check is a small pure function. It takes what it inspects (a pod view, or a loaded file
for problems found while reading it), the rule's parameters and the run's context, and
yields `Violation`s that say *where* (a path into the document) and *what* (a message).
It never reads files, prints, or decides severity: rules (data, in `rules/`) do that.

    @check("image-tag", params={"allow-latest": False})
    def image_tag(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
        ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sidecarlint.positions import Span

SCOPES = ("pod", "document", "file", "suppressions")


@dataclass(frozen=True)
class Related:
    """The other side of a pair: the first declaration of a clashing port, say."""

    path: tuple
    message: str


@dataclass(frozen=True)
class Violation:
    path: tuple  # into the document; positions are resolved from it only for findings
    message: str
    container: str | None = None
    related: tuple[Related, ...] = ()
    span: Span | None = None  # given directly by file-scope checks, which have no path
    document: int | None = None  # file-scope checks: the document concerned, if any


@dataclass(frozen=True)
class CheckContext:
    kubernetes_version: tuple[int, int]


@dataclass(frozen=True)
class Check:
    name: str
    function: Callable[..., Iterable[Violation]]
    # "pod": called with a PodView; "document": with a load.Document (its data and nodes),
    # for what is wrong around the pod specs; "file": with a LoadedFile once it has been
    # read to the end (its problems); "suppressions": with the (span, message) problems the
    # engine found among a file's suppressions.
    scope: str = "pod"
    params: Mapping[str, Any] = field(default_factory=dict)  # names and default values
    # Checks a rule's params when the rule is loaded; raises ValueError naming the problem.
    validate: Callable[[Mapping[str, Any]], None] | None = None

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"check {self.name!r}: scope must be one of {SCOPES}")

    def run(self, subject: Any, params: Mapping[str, Any], context: CheckContext):
        return self.function(subject, params, context)


def check(
    name: str,
    *,
    scope: str = "pod",
    params: Mapping[str, Any] | None = None,
    validate: Callable[[Mapping[str, Any]], None] | None = None,
):
    """Declare a function as a check, found by `sidecarlint.checks.builtin` in its module."""

    def register(function: Callable[..., Iterable[Violation]]) -> Check:
        return Check(name, function, scope, dict(params or {}), validate)

    return register
