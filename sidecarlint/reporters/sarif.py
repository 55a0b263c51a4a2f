"""SARIF 2.1.0 for GitHub code scanning, built with sarif-om (docs/output.md says what GitHub reads).

The log is made of sarif-om's objects and written with SARIF's own property names, taken
from each attrs field's `schema_property_name`. sarif-om gives every optional property a
placeholder default (`-1` for an index, `"en-US"`, default lists); those are left out, but
a `level` is always written, even where it equals SARIF's default, so that every result
and rule says its level. The output is deterministic: keys sorted, no timestamps, paths
relative to the repository root.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

import attr
import sarif_om as om

from sidecarlint import __version__, ruledocs
from sidecarlint.discover import STDIN_DISPLAY
from sidecarlint.findings import INTERNAL_ERROR, Finding, Severity
from sidecarlint.positions import Span
from sidecarlint.reporters.locations import repository_path, repository_root
from sidecarlint.reporters.text import object_context
from sidecarlint.rules import Rule

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/sidecarlint/"
SOURCE_ROOT = "%SRCROOT%"
FINGERPRINT = "sidecarlint/v1"
# GitHub code scanning rejects a run with more results than this.
MAX_RESULTS = 25_000
# GitHub shows at most this much of a rule's fullDescription.
MAX_DESCRIPTION = 1024

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}
_PROBLEM_SEVERITY = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "recommendation"}
# Errors are what the API server rejects, what Kubernetes silently drops or what fails for
# certain; warnings and notes judge intent (start-up order, a catalogue's guess of a role).
_PRECISION = {Severity.ERROR: "high", Severity.WARNING: "medium", Severity.NOTE: "medium"}
# Load problems that leave a file, or a document of it, unread; reported as notifications too.
_UNREAD_KINDS = frozenset({"syntax", "unreadable", "too-complex", "template"})
_ALWAYS_WRITTEN = frozenset({"level"})


def write(result, stream: TextIO, options) -> None:
    log = build_log(result, category=getattr(options, "sarif_category", None))
    json.dump(to_json(log), stream, indent=2, sort_keys=True, ensure_ascii=False)
    stream.write("\n")


def build_log(result, category: str | None = None, root: Path | None = None) -> om.SarifLog:
    """The SARIF log of one run. `root` is the repository root (found from the current
    directory when not given); artifact URIs are relative to it."""
    root = root if root is not None else repository_root()
    artifacts = {path: _artifact(path, root) for path in {finding.path for finding in result.findings}}
    rules = sorted(result.rules, key=lambda rule: rule.name)
    index = {rule.name: position for position, rule in enumerate(rules)}
    findings = [finding for finding in result.findings if finding.rule != INTERNAL_ERROR]
    fingerprints = _fingerprints(findings, artifacts)
    kept = _most_severe(findings, MAX_RESULTS)

    notifications = [
        _notification(finding, artifacts, om.ReportingDescriptorReference(id=finding.rule, index=index[finding.rule]))
        for finding in findings
        if _leaves_unread(rules[index[finding.rule]])
    ]
    notifications += [_notification(f, artifacts) for f in result.findings if f.rule == INTERNAL_ERROR]
    if len(kept) < len(findings):
        notifications.append(_truncation_notification(len(findings), len(kept)))

    run = om.Run(
        tool=om.Tool(
            driver=om.ToolComponent(
                name="sidecarlint",
                semantic_version=__version__,
                information_uri=INFORMATION_URI,
                rules=[_descriptor(rule) for rule in rules],
            )
        ),
        results=[_result(findings[i], index[findings[i].rule], fingerprints[i], artifacts) for i in kept],
        invocations=[
            om.Invocation(
                # Unreadable files are reported, not failures of sidecarlint; a rule that crashed is.
                execution_successful=not result.has_internal_error,
                tool_execution_notifications=notifications or None,
            )
        ],
        column_kind="unicodeCodePoints",
        automation_details=om.RunAutomationDetails(id=_category_id(category)) if category else None,
    )
    return om.SarifLog(version=SARIF_VERSION, schema_uri=SARIF_SCHEMA, runs=[run])


def to_json(value: Any) -> Any:
    """sarif-om objects to plain JSON data under SARIF's property names, without the
    placeholder defaults that sarif-om fills in."""
    if attr.has(type(value)):
        data = {}
        for field in attr.fields(type(value)):
            item = getattr(value, field.name)
            if item is None or (field.name not in _ALWAYS_WRITTEN and _is_default(field, item)):
                continue
            data[field.metadata["schema_property_name"]] = to_json(item)
        return data
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    return value


def _is_default(field: attr.Attribute, value: Any) -> bool:
    default = field.default
    if default is attr.NOTHING:  # a required property
        return False
    if isinstance(default, attr.Factory):
        default = default.factory()
    return value == default


# Results


def _result(finding: Finding, rule_index: int, fingerprint: str, artifacts: dict) -> om.Result:
    related = [
        _location(artifacts[finding.path], place.span, message=place.message, id=number)
        for number, place in enumerate(finding.related, start=1)
    ]
    return om.Result(
        rule_id=finding.rule,
        rule_index=rule_index,
        level=_LEVEL[finding.severity],
        message=om.Message(text=result_text(finding)),
        locations=[_location(artifacts[finding.path], finding.span)],
        related_locations=related or None,
        partial_fingerprints={FINGERPRINT: fingerprint},
    )


def result_text(finding: Finding) -> str:
    """The finding's message as its own first sentence (GitHub's title for the alert), then
    what it is about, then links to the related locations (`[text](id)`, as SARIF embeds them)."""
    sentences = [_sentence(finding.message)]
    context = object_context(finding)
    if context:
        sentences.append(f"In {context}.")
    if finding.related:
        links = "; ".join(f"[{_link_text(place.message)}]({number})" for number, place in enumerate(finding.related, 1))
        sentences.append(f"See {links}.")
    return " ".join(sentences)


def _sentence(text: str) -> str:
    text = text.strip()
    if re.match(r"[a-z]+(?![\w\-.\[/'(])", text):  # a plain word, not `restartPolicy` or `emptyDir`
        text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _link_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _location(artifact: om.ArtifactLocation, span: Span, message: str | None = None, id: int | None = None) -> om.Location:
    return om.Location(
        id=id,
        physical_location=om.PhysicalLocation(
            artifact_location=artifact,
            region=om.Region(
                start_line=span.line,
                start_column=span.column,
                end_line=span.end_line,
                end_column=span.end_column,
            ),
        ),
        message=om.Message(text=message) if message else None,
    )


def _artifact(path: str, root: Path) -> om.ArtifactLocation:
    """Relative to the repository root, percent-encoded; standard input is `stdin`, a file
    outside the repository an absolute `file:` URI (GitHub cannot place either)."""
    relative = repository_path(path, root)
    if relative is not None:
        return om.ArtifactLocation(uri=quote(relative), uri_base_id=SOURCE_ROOT)
    if path == STDIN_DISPLAY:
        return om.ArtifactLocation(uri="stdin")
    return om.ArtifactLocation(uri=Path(os.path.realpath(path)).as_uri())


def _fingerprints(findings: list[Finding], artifacts: dict) -> list[str]:
    """A hash of what the finding is about, not where it is: rule, file, object, container
    and field path. Blank lines added above move the region but keep the fingerprint. A
    second finding with the same hash in the run gets `:2`, and so on, in file order."""
    seen: Counter[str] = Counter()
    fingerprints = []
    for finding in findings:
        obj = finding.object
        identity = [
            finding.rule,
            artifacts[finding.path].uri,
            [obj.kind, obj.namespace, obj.name] if obj is not None else None,
            finding.container,
            list(finding.field_path),
        ]
        digest = hashlib.sha256(json.dumps(identity, default=str).encode()).hexdigest()[:32]
        seen[digest] += 1
        fingerprints.append(f"{digest}:{seen[digest]}")
    return fingerprints


def _most_severe(findings: list[Finding], limit: int) -> list[int]:
    """Indexes of the findings to report: all of them, or the `limit` most severe (ties in
    their order), back in their order."""
    if len(findings) <= limit:
        return list(range(len(findings)))
    by_severity = sorted(range(len(findings)), key=lambda i: (-findings[i].severity.rank, i))
    return sorted(by_severity[:limit])


# Notifications


def _leaves_unread(rule: Rule) -> bool:
    return rule.check.name == "load-problem" and rule.params.get("kind") in _UNREAD_KINDS


def _notification(finding: Finding, artifacts: dict, associated_rule=None) -> om.Notification:
    return om.Notification(
        message=om.Message(text=f"{finding.path}: {finding.message}"),
        level=_LEVEL[finding.severity],
        locations=[_location(artifacts[finding.path], finding.span)],
        associated_rule=associated_rule,
    )


def _truncation_notification(total: int, kept: int) -> om.Notification:
    return om.Notification(
        message=om.Message(
            text=f"{total - kept:,} of {total:,} results were left out: GitHub code scanning accepts at most "
            f"{MAX_RESULTS:,} results in a run, so only the {kept:,} most severe are reported. "
            "Run sidecarlint with --format json for all of them."
        ),
        level="warning",
    )


def _category_id(category: str) -> str:
    """GitHub reads `automationDetails.id` as `category/run-id`: a trailing slash makes
    the whole of it the category."""
    return category if category.endswith("/") else category + "/"


# Rules


def _descriptor(rule: Rule) -> om.ReportingDescriptor:
    failing, passing = ruledocs.examples(rule)
    return om.ReportingDescriptor(
        id=rule.name,
        name=pascal_case(rule.name),
        short_description=om.MultiformatMessageString(text=rule.summary),
        full_description=om.MultiformatMessageString(text=_shorten(rule.why, MAX_DESCRIPTION)),
        help=om.MultiformatMessageString(
            text=_help_text(rule, failing), markdown=_help_markdown(rule, failing, passing)
        ),
        help_uri=next((ref for ref in rule.references if ref.startswith(("https://", "http://"))), None),
        default_configuration=om.ReportingConfiguration(level=_LEVEL[rule.severity]),
        properties={
            "tags": list(rule.tags),
            "precision": _PRECISION[rule.severity],
            # A flat key, as CodeQL writes it and GitHub reads it.
            "problem.severity": _PROBLEM_SEVERITY[rule.severity],
        },
    )


def pascal_case(name: str) -> str:
    return "".join(word[:1].upper() + word[1:] for word in name.split("-"))


def _shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut after a sentence where one ends in time."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(". ", 0, limit - 1)
    return text[: cut + 1] if cut > 0 else text[: limit - 3] + "..."


def _help_text(rule: Rule, failing: ruledocs.Example | None) -> str:
    parts = [rule.summary, "", "Why it matters:", rule.why, "", "What to do instead:", rule.fix]
    if failing is not None:
        parts += ["", f"Example that triggers it ({failing.path.name}):", "", failing.text.rstrip()]
    if rule.references:
        parts += ["", "References:", *rule.references]
    return "\n".join(parts) + "\n"


def _help_markdown(rule: Rule, failing: ruledocs.Example | None, passing: ruledocs.Example | None) -> str:
    parts = [rule.summary, "", f"**Why it matters.** {rule.why}", "", f"**What to do instead.** {rule.fix}"]
    if failing is not None:
        parts += ["", "Example:", "", "```yaml", failing.text.rstrip(), "```"]
    if passing is not None:
        parts += ["", "Not reported:", "", "```yaml", passing.text.rstrip(), "```"]
    if rule.references:
        parts += ["", "References:", "", *(f"- <{reference}>" for reference in rule.references)]
    return "\n".join(parts) + "\n"
