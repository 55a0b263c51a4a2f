"""The engine: every enabled rule runs its check on every pod view, violations become findings.

A check that raises does not stop the run: it becomes an `internal-error` finding on the
object it was looking at, naming the rule, and the other rules go on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from sidecarlint.checks import CheckContext, Violation
from sidecarlint.discover import Source
from sidecarlint.findings import INTERNAL_ERROR, Finding, ObjectRef, RelatedLocation, Severity
from sidecarlint.load import Document, LoadedFile, LoadProblem, load_bytes
from sidecarlint.objects import KubeObject, objects_in
from sidecarlint.plugins import Registry
from sidecarlint.pods import pod_views
from sidecarlint.positions import Span
from sidecarlint.rules import Rule

DEFAULT_KUBERNETES_VERSION = (1, 34)


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)  # the rules that ran

    @property
    def has_internal_error(self) -> bool:
        return any(finding.rule == INTERNAL_ERROR for finding in self.findings)


class Linter:
    def __init__(self, registry: Registry, rules: Sequence[Rule], kubernetes_version=DEFAULT_KUBERNETES_VERSION):
        self.registry = registry
        self.rules = [rule for rule in rules if rule.applies_to(kubernetes_version)]
        self.context = CheckContext(kubernetes_version)
        self._file_rules = [rule for rule in self.rules if rule.check.scope == "file"]
        self._pod_rules = [rule for rule in self.rules if rule.check.scope == "pod"]

    def lint_sources(self, sources: Iterable[Source]) -> LintResult:
        result = LintResult(rules=list(self.rules))
        for source in sources:
            result.files.append(source.display)
            result.findings.extend(self.lint_file(read_source(source)))
        result.findings.sort(key=Finding.sort_key)
        return result

    def lint_file(self, loaded: LoadedFile) -> list[Finding]:
        findings = [
            finding
            for rule in self._file_rules
            for finding in self._run(rule, loaded, loaded.source, None, None)
        ]
        for document in loaded.documents:
            findings.extend(self.lint_document(document))
        return findings

    def lint_document(self, document: Document) -> Iterator[Finding]:
        for obj in objects_in(document):
            for pod in pod_views(obj, self.registry.workload_kinds, self.registry.catalogue):
                for rule in self._pod_rules:
                    yield from self._run(rule, pod, document.source, document, obj)

    def _run(self, rule: Rule, subject, source: str, document: Document | None, obj: KubeObject | None):
        ref = ObjectRef(obj.kind, obj.name, obj.namespace) if obj is not None else None
        try:
            violations = list(rule.check.run(subject, rule.params, self.context))
        except Exception as error:  # a broken check must not stop the run
            yield _internal_error(rule, error, source, document, obj, ref)
            return
        for violation in violations:
            yield _finding(rule, violation, source, document, ref)


def read_source(source: Source) -> LoadedFile:
    try:
        raw = source.read()
    except OSError as error:
        loaded = LoadedFile(source.display)
        reason = error.strerror or str(error)
        loaded.problems.append(LoadProblem("unreadable", f"cannot read the file: {reason}", Span.start()))
        return loaded
    return load_bytes(raw, source.display)


def _finding(rule: Rule, violation: Violation, source: str, document: Document | None, ref) -> Finding:
    def locate(path: tuple) -> Span:
        return document.span(path) if document is not None else Span.start()

    return Finding(
        rule=rule.name,
        severity=rule.severity,
        message=violation.message,
        path=source,
        span=violation.span or locate(violation.path),
        object=ref,
        container=violation.container,
        field_path=violation.path,
        document=document.index if document is not None else violation.document,
        related=tuple(RelatedLocation(locate(r.path), r.message) for r in violation.related),
    )


def _internal_error(rule: Rule, error: Exception, source, document, obj, ref) -> Finding:
    span = document.span(obj.path) if document is not None and obj is not None else Span.start()
    return Finding(
        rule=INTERNAL_ERROR,
        severity=Severity.ERROR,
        message=f"rule {rule.name} failed on this object ({type(error).__name__}: {error}); "
        "please report this as a bug in sidecarlint",
        path=source,
        span=span,
        object=ref,
        document=document.index if document is not None else None,
    )
