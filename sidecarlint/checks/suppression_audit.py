"""Suppressions that rot: no reason given, no such rule, nothing silenced."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sidecarlint.checks import CheckContext, Violation, check
from sidecarlint.positions import Span


@check("suppression-audit", scope="suppressions")
def suppression_audit(problems: list[tuple[Span, str]], params: Mapping, context: CheckContext) -> Iterator[Violation]:
    """The engine finds the problems while it applies a file's suppressions; this reports them."""
    for span, message in problems:
        yield Violation((), message, span=span)
