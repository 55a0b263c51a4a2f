"""What a run produces: a file's findings (`FileResult`), the whole run collected
(`LintResult`), and the counts kept while results stream past (`Tally`).

Most formats can be written a file at a time (text, GitHub annotations): the run's
findings are then never all in memory at once, and a monorepo of any size is linted in
the memory one file takes. Formats that are one document (JSON, SARIF, JUnit) collect.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from sidecarlint.findings import INTERNAL_ERROR, Finding, Severity
from sidecarlint.rules import Rule
from sidecarlint.suppressions import Suppressed


@dataclass
class FileResult:
    """One file's findings, sorted by place (`Finding.sort_key`)."""

    findings: list[Finding]
    suppressed: list[Suppressed]
    file: str = ""  # the file as reports name it


@dataclass
class LintResult:
    """A whole run, collected: for formats that need every finding at once."""

    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)  # the rules that ran
    suppressed: list[Suppressed] = field(default_factory=list)

    @property
    def has_internal_error(self) -> bool:
        return any(finding.rule == INTERNAL_ERROR for finding in self.findings)

    @classmethod
    def collect(cls, results: Iterable[FileResult], rules: Sequence[Rule]) -> LintResult:
        collected = cls(rules=list(rules))
        for outcome in results:
            collected.files.append(outcome.file)
            collected.findings.extend(outcome.findings)
            collected.suppressed.extend(outcome.suppressed)
        return collected


def once(results: Iterable[FileResult]) -> Iterator[FileResult]:
    """`results`, with a finding that rendering moved into a file reported only the first
    time: two overlays of one base both render the base's mistake, at the same place.
    Only moved findings are remembered, so this costs nothing for plain files."""
    seen: set[tuple] = set()
    for outcome in results:
        if any(finding.rendered is not None for finding in outcome.findings):
            outcome.findings[:] = [finding for finding in outcome.findings if _first_time(finding, seen)]
        yield outcome


def _first_time(finding: Finding, seen: set[tuple]) -> bool:
    if finding.rendered is None:
        return True
    key = (finding.rule, finding.path, finding.span, finding.message)
    if key in seen:
        return False
    seen.add(key)
    return True


@dataclass
class Tally:
    """Counts of a run, kept as its results go by: for the summary line and the exit code.

    Suppressed findings are kept whole (`--show-suppressed` lists them after the others);
    they are few, as each needs a comment or annotation written by hand."""

    files: int = 0  # the files checked: those read, and those rendering moved findings to
    by_severity: Counter = field(default_factory=Counter)
    paths_with_findings: set[str] = field(default_factory=set)
    _read: set[str] = field(default_factory=set, repr=False)
    suppressed: list[Suppressed] = field(default_factory=list)
    internal_error: bool = False

    def add(self, outcome: FileResult) -> None:
        self._count_file(outcome.file)
        self.suppressed.extend(outcome.suppressed)
        for finding in outcome.findings:
            self.by_severity[finding.severity] += 1
            if finding.path not in self.paths_with_findings:
                self.paths_with_findings.add(finding.path)
                if finding.rendered is not None:  # a template or resource: checked too
                    self._count_file(finding.path)
            self.internal_error = self.internal_error or finding.rule == INTERNAL_ERROR

    def _count_file(self, path: str) -> None:
        if path not in self._read:
            self._read.add(path)
            self.files += 1

    def through(self, results: Iterable[FileResult]) -> Iterator[FileResult]:
        """`results`, counted as they pass."""
        for outcome in results:
            self.add(outcome)
            yield outcome

    @classmethod
    def of(cls, result: LintResult) -> Tally:
        tally = cls()
        for path in result.files:
            tally._count_file(path)
        tally.add(FileResult(result.findings, result.suppressed))
        return tally

    @property
    def findings(self) -> int:
        return sum(self.by_severity.values())

    def reaches(self, threshold: Severity) -> bool:
        """Whether any finding is at least as severe as `threshold` (`--fail-on`)."""
        return any(count and severity.rank >= threshold.rank for severity, count in self.by_severity.items())
