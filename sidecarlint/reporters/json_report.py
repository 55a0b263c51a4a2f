"""One JSON object for scripts; the schema is documented in docs/output.md and kept stable."""

from __future__ import annotations

import json
from collections import Counter
from typing import TextIO

from sidecarlint import __version__
from sidecarlint.findings import Finding, Severity

SCHEMA_VERSION = 1


def write(result, stream: TextIO, options) -> None:
    json.dump(to_document(result), stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def to_document(result) -> dict:
    counts = Counter(str(finding.severity) for finding in result.findings)
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "sidecarlint", "version": __version__},
        "findings": [finding_to_dict(finding) for finding in result.findings],
        "suppressed": [
            {**finding_to_dict(item.finding), "suppressed_by": item.how, "reason": item.reason}
            for item in result.suppressed
        ],
        "summary": {
            "files": len(result.files),
            "findings": len(result.findings),
            "suppressed": len(result.suppressed),
            **{str(severity): counts.get(str(severity), 0) for severity in Severity},
        },
    }


def finding_to_dict(finding: Finding) -> dict:
    span = finding.span
    return {
        "rule": finding.rule,
        "severity": str(finding.severity),
        "message": finding.message,
        "path": finding.path,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
        "object": None
        if finding.object is None
        else {"kind": finding.object.kind, "name": finding.object.name, "namespace": finding.object.namespace},
        "container": finding.container,
        "document": finding.document,
        "field_path": list(finding.field_path),
        "related": [
            {"message": r.message, "line": r.span.line, "column": r.span.column} for r in finding.related
        ],
        "rendered": None
        if finding.rendered is None
        else {"path": finding.rendered.path, "line": finding.rendered.span.line, "column": finding.rendered.span.column},
    }
