"""GitHub Actions workflow commands: one `::error file=…,line=…::message` line a finding.

GitHub turns each line into an annotation on the file and line, in the job's log and on a
pull request's changed files. Values are escaped as the Actions toolkit (@actions/core)
escapes them: `%`, CR and LF in the message; also `:` and `,` in a property. Nothing else
is printed, as any other line would only be noise in the log.
"""

from __future__ import annotations

from typing import TextIO

from sidecarlint.findings import Finding, Severity
from sidecarlint.reporters.locations import repository_path, repository_root
from sidecarlint.reporters.text import object_context

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def write(result, stream: TextIO, options) -> None:
    write_findings(result.findings, stream)


def write_stream(results, tally, stream: TextIO, options) -> None:
    write_findings((finding for outcome in results for finding in outcome.findings), stream)


def write_findings(findings, stream: TextIO) -> None:
    root = repository_root()
    for finding in findings:
        stream.write(annotation(finding, repository_path(finding.path, root)) + "\n")


def annotation(finding: Finding, path: str | None) -> str:
    """The workflow command for one finding; `path` is the file from the repository root,
    or None when it is not in the repository (then the message names the place)."""
    span = finding.span
    message = finding.message
    context = object_context(finding)
    if context:
        message = f"{message} ({context})"
    properties: dict[str, object] = {}
    if path is None:
        message = f"{finding.path}:{span.line}:{span.column}: {message}"
    else:
        properties = {"file": path, "line": span.line}
        if span.line == span.end_line:  # GitHub takes columns only within one line
            properties.update(col=span.column, endLine=span.end_line, endColumn=max(span.end_column, span.column))
        else:
            properties["endLine"] = span.end_line
    properties["title"] = f"sidecarlint ({finding.rule})"
    rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{COMMANDS[finding.severity]} {rendered}::{escape_data(message)}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
