"""JUnit XML for the CI systems that read test reports (GitLab, Jenkins, Azure Pipelines, ...).

One `<testsuite>` for the run and one `<testcase>` for every file and rule that ran on it
(`classname` the file, `name` the rule). A test case whose rule found something at or above
`--fail-on` holds one `<failure>` listing those findings; findings below it are listed in
its `<system-out>` and it passes. A rule that crashed on a file is an `<error>` of a test
case named `internal-error`. ElementTree escapes the text; characters that XML 1.0 cannot
hold at all become U+FFFD, so the report is always well-formed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import TextIO

from sidecarlint.findings import INTERNAL_ERROR, Finding, Severity
from sidecarlint.reporters.text import object_context

_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def write(result, stream: TextIO, options) -> None:
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(to_element(result, getattr(options, "fail_on", "warning")), encoding="unicode"))
    stream.write("\n")


def to_element(result, fail_on: str = "warning") -> ET.Element:
    threshold = Severity(fail_on).rank
    by_case: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in result.findings:
        by_case[finding.path, finding.rule].append(finding)
    rules = sorted(rule.name for rule in result.rules)
    files = list(dict.fromkeys([*result.files, *(finding.path for finding in result.findings)]))

    suite = ET.Element("testsuite", name="sidecarlint")
    counts = {"tests": 0, "failures": 0, "errors": 0}
    for path in files:
        crashed = [INTERNAL_ERROR] if by_case.get((path, INTERNAL_ERROR)) else []
        for rule in rules + crashed:
            findings = by_case.get((path, rule), [])
            case = ET.SubElement(suite, "testcase", classname=_clean(path), name=rule, file=_clean(path))
            counts["tests"] += 1
            if rule == INTERNAL_ERROR:
                counts["errors"] += 1
                _add(case, "error", findings, type=INTERNAL_ERROR)
                continue
            failing = [finding for finding in findings if finding.severity.rank >= threshold]
            if failing:
                counts["failures"] += 1
                _add(case, "failure", failing, type=str(_worst(failing)))
            below = [finding for finding in findings if finding.severity.rank < threshold]
            if below:
                ET.SubElement(case, "system-out").text = _clean("\n".join(map(_line, below)) + "\n")
    for key, value in counts.items():
        suite.set(key, str(value))
    suite.set("skipped", "0")
    suites = ET.Element("testsuites", name="sidecarlint", **{key: str(value) for key, value in counts.items()})
    suites.append(suite)
    ET.indent(suites)
    return suites


def _worst(findings: list[Finding]) -> Severity:
    return max((finding.severity for finding in findings), key=lambda severity: severity.rank)


def _add(case: ET.Element, tag: str, findings: list[Finding], type: str) -> None:
    first = findings[0].message
    summary = first if len(findings) == 1 else f"{first} (and {len(findings) - 1} more)"
    element = ET.SubElement(case, tag, message=_clean(summary), type=type)
    element.text = _clean("\n".join(map(_line, findings)) + "\n")


def _line(finding: Finding) -> str:
    context = object_context(finding)
    line = f"{finding.path}:{finding.line}:{finding.column}: {finding.severity} [{finding.rule}] {finding.message}"
    return f"{line} ({context})" if context else line


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
