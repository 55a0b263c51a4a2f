"""The engine: every enabled rule runs its check on every pod view, violations become findings.

A check that raises does not stop the run: it becomes an `internal-error` finding on the
object it was looking at, naming the rule, and the other rules go on.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from sidecarlint import attribution, suppressions
from sidecarlint.catalogue import Catalogue
from sidecarlint.checks import CheckContext, Violation
from sidecarlint.config import Config
from sidecarlint.discover import Source
from sidecarlint.findings import INTERNAL_ERROR, Finding, ObjectRef, RelatedLocation, Severity
from sidecarlint.load import Document, LoadedFile, LoadProblem, load_bytes
from sidecarlint.objects import KubeObject, objects_in
from sidecarlint.plugins import Registry
from sidecarlint.pods import PodView, pod_views
from sidecarlint.positions import Span
from sidecarlint.rendering import RenderError
from sidecarlint.rules import Rule
from sidecarlint.suppressions import Suppressed, Suppression

DEFAULT_KUBERNETES_VERSION = (1, 34)


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)  # the rules that ran
    suppressed: list[Suppressed] = field(default_factory=list)

    @property
    def has_internal_error(self) -> bool:
        return any(finding.rule == INTERNAL_ERROR for finding in self.findings)


@dataclass
class FileResult:
    findings: list[Finding]
    suppressed: list[Suppressed]


class Linter:
    """Runs rules over files. The configuration adds workload kinds and sidecars, and
    per-path ignores; its severities, params and custom rules are already in `rules`."""

    def __init__(
        self,
        registry: Registry,
        rules: Sequence[Rule],
        kubernetes_version=DEFAULT_KUBERNETES_VERSION,
        *,
        config: Config | None = None,
        known_rules: Iterable[str] | None = None,
    ):
        self.config = config or Config()
        self.rules = [rule for rule in rules if rule.applies_to(kubernetes_version)]
        self.context = CheckContext(kubernetes_version)
        self.known_rules = set(known_rules if known_rules is not None else registry.rules)
        # The configuration's own sidecars and kinds come first, so they win over the built-ins.
        self.workload_kinds = [*self.config.workload_kinds, *registry.workload_kinds]
        self.catalogue = Catalogue((*self.config.sidecars, *registry.catalogue.entries))

    def lint_sources(self, sources: Iterable[Source]) -> LintResult:
        result = LintResult(rules=list(self.rules))
        for source in sources:
            result.files.append(source.display)
            outcome = self.lint_source(source)
            result.findings.extend(outcome.findings)
            result.suppressed.extend(outcome.suppressed)
        result.findings = attribution.unique(result.findings)  # rendering: two overlays of one base
        result.findings.sort(key=Finding.sort_key)
        result.suppressed.sort(key=lambda s: s.finding.sort_key())
        return result

    def lint_source(self, source: Source) -> FileResult:
        """Read and lint one file, without the rules its path is configured to skip."""
        skip = self.config.ignored_for(_relative(source, self.config))
        loaded, attributor = load_source(source)
        outcome = self.lint_file(loaded, skip, attributor)
        if attributor is not None:  # rendering: excludes and per-path ignores match the file a finding was moved to
            outcome.findings[:] = [f for f in outcome.findings if f.rendered is None or not self._ignored_at(f)]
        return outcome

    def _ignored_at(self, finding: Finding) -> bool:
        try:
            relative = os.path.relpath(os.path.abspath(finding.path), self.config.root)
        except ValueError:  # another drive on Windows
            return False
        return self.config.is_excluded(relative) or finding.rule in self.config.ignored_for(relative)

    def lint_file(self, loaded: LoadedFile, skip: set[str] = frozenset(), attributor=None) -> FileResult:
        rules = [rule for rule in self.rules if rule.name not in skip]
        findings = [
            finding
            for rule in rules
            if rule.check.scope == "file"
            for finding in self._run(rule, loaded, loaded.source, None, None)
        ]
        pod_rules = [rule for rule in rules if rule.check.scope == "pod"]
        directives = list(loaded.suppressions)
        suppressed: list[Suppressed] = []
        for document in loaded.documents:
            for obj in objects_in(document):
                directives.extend(self._lint_object(obj, document, pod_rules, findings, suppressed))
        findings = self._apply_comments(loaded, directives, findings, suppressed)
        findings.extend(self._audit(loaded, directives, {rule.name for rule in rules}))
        if attributor is not None:  # rendering: to the templates and resources people edit
            findings, suppressed = attribution.attribute_file(attributor, loaded.documents, findings, suppressed)
        return FileResult(findings, suppressed)

    def _lint_object(self, obj, document, pod_rules, findings, suppressed) -> list[Suppression]:
        """Run the pod rules on an object's pod specs; its annotations may silence findings.

        Returns the object's annotation suppressions, for the audit of unused ones."""
        directives = _annotation_directives(obj, document)
        for pod in pod_views(obj, self.workload_kinds, self.catalogue):
            covering = directives + _pod_annotation_directives(pod, obj, document)
            for rule in pod_rules:
                for finding in self._run(rule, pod, document.source, document, obj):
                    hit = _covering(covering, finding)
                    if hit is None:
                        findings.append(finding)
                    else:
                        suppressed.append(_silence(hit, finding))
            directives = covering
        return directives

    def _apply_comments(self, loaded, directives, findings, suppressed) -> list[Finding]:
        comments = [d for d in directives if d.how in ("comment", "file comment")]
        if not comments:
            return findings
        kept = []
        for finding in findings:
            line = _container_line(loaded, finding)
            hit = next((c for c in comments if suppressions.matches_comment(c, finding, line)), None)
            if hit is None:
                kept.append(finding)
            else:
                suppressed.append(_silence(hit, finding))
        return kept

    def _audit(self, loaded: LoadedFile, directives: list[Suppression], ran: set[str]) -> Iterator[Finding]:
        """Suppressions without a reason, naming no rule, or silencing nothing."""
        audits = [rule for rule in self.rules if rule.check.scope == "suppressions"]
        if not audits or not directives:
            return
        found = suppressions.problems(directives, ran, self.known_rules)
        for rule in audits:
            yield from self._run(rule, found, loaded.source, None, None)

    def _run(self, rule: Rule, subject, source: str, document: Document | None, obj: KubeObject | None):
        ref = ObjectRef(obj.kind, obj.name, obj.namespace) if obj is not None else None
        try:
            violations = list(rule.check.run(subject, rule.params, self.context))
        except Exception as error:  # a broken check must not stop the run
            yield _internal_error(rule, error, source, document, obj, ref)
            return
        for violation in violations:
            yield _finding(rule, violation, source, document, ref)


def _relative(source: Source, config: Config) -> str:
    """The source's path relative to the configuration's directory, for its path globs."""
    if source.config_path is None:
        return source.display
    try:
        return os.path.relpath(os.path.abspath(source.config_path), config.root)
    except ValueError:  # another drive on Windows
        return source.display


def _annotation_directives(obj: KubeObject, document: Document) -> list[Suppression]:
    metadata = obj.data.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(annotations, dict):
        return []
    base = obj.path + ("metadata", "annotations")
    return suppressions.annotation_directives(annotations, lambda key: document.span(base + (key,)))


def _pod_annotation_directives(pod: PodView, obj: KubeObject, document: Document) -> list[Suppression]:
    if pod.metadata_path == obj.path + ("metadata",):  # a bare Pod: the object's own annotations
        return []
    base = pod.metadata_path + ("annotations",)
    return suppressions.annotation_directives(pod.annotations, lambda key: document.span(base + (key,)))


def _covering(directives: list[Suppression], finding: Finding) -> Suppression | None:
    for directive in directives:
        if finding.rule in directive.rules and directive.covers_container(finding.container):
            return directive
    return None


def _silence(directive: Suppression, finding: Finding) -> Suppressed:
    directive.used.add(finding.rule)
    return Suppressed(finding, directive.reason, directive.how)


def _container_line(loaded: LoadedFile, finding: Finding) -> int | None:
    """The first line of the container a finding is about, for comments that cover a container."""
    path = suppressions.container_path(finding.field_path)
    if path is None or finding.document is None:
        return None
    document = next((d for d in loaded.documents if d.index == finding.document), None)
    return document.span(path).line if document is not None else None


def read_source(source: Source) -> LoadedFile:
    return load_source(source)[0]


def load_source(source: Source) -> tuple[LoadedFile, attribution.Attributor | None]:
    """The source loaded, and how its findings are attributed when it is rendered output."""
    try:
        raw = source.read()
    except RenderError as error:  # a kustomization or chart that did not render
        loaded = LoadedFile(source.display)
        loaded.problems.append(LoadProblem("render", str(error), Span.start()))
        return loaded, None
    except OSError as error:
        loaded = LoadedFile(source.display)
        reason = error.strerror or str(error)
        loaded.problems.append(LoadProblem("unreadable", f"cannot read the file: {reason}", Span.start()))
        return loaded, None
    loaded = load_bytes(raw, source.display)
    if source.note is not None:  # e.g. a kustomization that was not rendered
        loaded.problems.append(LoadProblem(source.note[0], source.note[1], Span.start()))
    return loaded, attribution.attributor_for(source, raw)


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
