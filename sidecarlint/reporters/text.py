"""`path:line:col: severity [rule] message (Kind/name, container c)`, then a summary."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TextIO

from sidecarlint.findings import Finding, Severity
from sidecarlint.results import FileResult, Tally

_COLOURS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.NOTE: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def write(result, stream: TextIO, options) -> None:
    write_findings(result.findings, Tally.of(result), stream, options)


def write_stream(results: Iterable[FileResult], tally: Tally, stream: TextIO, options) -> None:
    """A file's findings as soon as it is linted; the summary once all are."""
    write_findings((finding for outcome in results for finding in outcome.findings), tally, stream, options)


def write_findings(findings: Iterable[Finding], tally: Tally, stream: TextIO, options) -> None:
    colour = options.colour
    for finding in findings:
        stream.write(format_finding(finding, colour) + "\n")
    if getattr(options, "show_suppressed", False):
        for item in tally.suppressed:
            reason = printable(item.reason) or "no reason given"
            stream.write(f"{format_finding(item.finding, colour)} [suppressed by {item.how}: {reason}]\n")
    stream.write(summary_line(tally, colour) + "\n")


def format_finding(finding: Finding, colour: bool = False) -> str:
    place = f"{printable(finding.path)}:{finding.line}:{finding.column}:"
    severity = str(finding.severity)
    rule = f"[{finding.rule}]"
    if colour:
        place = f"{_BOLD}{place}{_RESET}"
        severity = f"{_COLOURS[finding.severity]}{severity}{_RESET}"
        rule = f"{_DIM}{rule}{_RESET}"
    line = f"{place} {severity} {rule} {printable(finding.message)}"
    context = printable(object_context(finding))
    return f"{line} ({context})" if context else line


# Control characters (C0, DEL, C1: escape sequences, carriage returns, line breaks), the
# Unicode line separators and the bidirectional overrides ("Trojan Source"). Messages quote
# names and values from the manifest, which must not move the cursor, recolour the
# terminal, or start a line of their own that looks like another finding.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_ESCAPES = {"\n": "\\n", "\r": "\\r"}


def printable(text: str) -> str:
    """`text` with every character that could act on a terminal written as an escape."""
    if text.isprintable():  # holds none of them (each is a control, format or separator character)
        return text
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match) -> str:
    char = match.group()
    return _ESCAPES.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def object_context(finding: Finding) -> str:
    """`Kind/name, container c`: what the finding is about, for formats that show it."""
    parts = []
    if finding.object is not None:
        parts.append(finding.object.describe())
    if finding.container is not None:
        parts.append(f"container {finding.container}")
    return ", ".join(parts)


def summary_line(tally: Tally, colour: bool = False) -> str:
    files = tally.files
    checked = f"{files} file{'s' if files != 1 else ''} checked"
    if not tally.findings:
        suppressed = f"; {len(tally.suppressed)} suppressed" if tally.suppressed else ""
        return f"No problems found ({checked}{suppressed})."
    counts = tally.by_severity
    parts = [
        f"{counts[severity]} {severity}{'s' if counts[severity] != 1 else ''}"
        for severity in (Severity.ERROR, Severity.WARNING, Severity.NOTE)
        if counts[severity]
    ]
    total = tally.findings
    with_problems = len(tally.paths_with_findings)
    text = (
        f"Found {total} problem{'s' if total != 1 else ''} ({', '.join(parts)}) "
        f"in {with_problems} of {checked}."
    )
    if tally.suppressed:
        text = text[:-1] + f"; {len(tally.suppressed)} suppressed."
    return f"{_BOLD}{text}{_RESET}" if colour else text
