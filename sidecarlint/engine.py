"""The engine: every enabled rule runs its check on every pod view it concerns (all of them,
unless the check declares otherwise: `checks.PodsWith`), violations become findings.

A check that raises does not stop the run: it becomes an `internal-error` finding on the
object it was looking at, naming the rule, and the other rules go on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence, Set

from sidecarlint import attribution, suppressions
from sidecarlint.catalogue import Catalogue
from sidecarlint.checks import SCOPES, CheckContext, Violation
from sidecarlint.config import Config
from sidecarlint.discover import Source
from sidecarlint.dispatch import Call, PodRules, calls
from sidecarlint.findings import INTERNAL_ERROR, Finding, ObjectRef, RelatedLocation, Severity
from sidecarlint.results import FileResult, LintResult, once
from sidecarlint.load import Document, LoadedFile, LoadProblem, stream_bytes
from sidecarlint.objects import KubeObject, objects_in
from sidecarlint.plugins import Registry
from sidecarlint.pods import PodView, pod_views
from sidecarlint.positions import Span
from sidecarlint.rendering import RenderError
from sidecarlint.rules import Rule
from sidecarlint.suppressions import Suppressed, Suppression
from sidecarlint.workloads import WorkloadKind

DEFAULT_KUBERNETES_VERSION = (1, 34)


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
        self._kinds_for = _kinds_by_name(self.workload_kinds)
        self._audits = calls(rule for rule in self.rules if rule.check.scope == "suppressions")
        self._plans: dict[frozenset[str], _Plan] = {}  # by the rules a file skips

    def _plan(self, skip: Set[str]) -> _Plan:
        """The rules to run on a file that skips `skip`, made once for every such file."""
        key = frozenset(skip)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _Plan([rule for rule in self.rules if rule.name not in skip])
        return plan

    def lint_sources(self, sources: Iterable[Source]) -> LintResult:
        """Every file's findings, collected (`results` gives them a file at a time)."""
        return LintResult.collect(once(self.results(sources)), self.rules)

    def results(self, sources: Iterable[Source]) -> Iterator[FileResult]:
        """Each file's findings as soon as it is linted, in the order of `sources`."""
        for source in sources:
            yield self.lint_source(source)

    def lint_source(self, source: Source) -> FileResult:
        """Read and lint one file, without the rules its path is configured to skip."""
        skip = self.config.ignored_for(_relative(source, self.config)) if self.config.per_path_ignores else set()
        loaded, documents, attributor = load_source(source)
        outcome = self.lint_documents(loaded, documents, skip, attributor)
        if attributor is not None:  # rendered: excludes and per-path ignores match the file a finding moved to
            outcome.findings[:] = [f for f in outcome.findings if f.rendered is None or not self._ignored_at(f)]
        return outcome

    def _ignored_at(self, finding: Finding) -> bool:
        try:
            relative = os.path.relpath(os.path.abspath(finding.path), self.config.root)
        except ValueError:  # another drive on Windows
            return False
        return self.config.is_excluded(relative) or finding.rule in self.config.ignored_for(relative)

    def lint_file(self, loaded: LoadedFile, skip: Set[str] = frozenset(), attributor=None) -> FileResult:
        """Lint a file whose documents were all read (`load.load_text`)."""
        return self.lint_documents(loaded, iter(loaded.documents), skip, attributor)

    def lint_documents(
        self,
        loaded: LoadedFile,
        documents: Iterator[Document],
        skip: Set[str] = frozenset(),
        attributor: attribution.Attributor | None = None,
    ) -> FileResult:
        """Lint each document as it comes and let it go: only its findings are kept. The
        rules about the file itself run last, when reading it has found all it will. In
        rendered output, the `attributor` moves each document's findings to the file a
        person edits while the document is at hand."""
        plan = self._plan(skip)
        directives = list(loaded.suppressions)
        comments = suppressions.Comments(directives)
        findings: list[Finding] = []
        suppressed: list[Suppressed] = []
        container_lines: dict[tuple, int] = {}  # of the containers load problems are in
        problems_seen = 0  # a document's problems are noted while it is built, before it comes
        for document in documents:
            silenced_before = len(suppressed)
            found = self._run(plan.document_rules, document, document.source, document, None)
            for obj in objects_in(document):
                directives.extend(self._lint_object(obj, document, plan.pod_rules, found, suppressed))
            found = _apply_comments(comments, found, suppressed, lambda f: _container_line(document, f))
            if attributor is not None:
                found, suppressed[silenced_before:] = attribution.attribute_document(
                    attributor, document, found, suppressed[silenced_before:]
                )
            findings.extend(found)
            if len(loaded.problems) > problems_seen:
                container_lines.update(_problem_container_lines(loaded.problems[problems_seen:], document))
                problems_seen = len(loaded.problems)
        found = self._run(plan.file_rules, loaded, loaded.source, None, None)
        findings.extend(
            _apply_comments(comments, found, suppressed, lambda f: container_lines.get((f.document, f.field_path)))
        )
        findings.extend(self._audit(loaded, directives, plan.names))
        if attributor is not None:  # a template rendered twice (a `range`, two releases) says it twice
            findings = attribution.unique(findings)
        findings.sort(key=Finding.sort_key)
        suppressed.sort(key=lambda item: item.finding.sort_key())
        return FileResult(findings, suppressed, loaded.source)

    def _lint_object(self, obj, document, pod_rules: PodRules, findings, suppressed) -> list[Suppression]:
        """Run the pod rules on an object's pod specs; its annotations may silence findings.

        Returns the object's annotation suppressions, for the audit of unused ones."""
        directives = _annotation_directives(obj, document)
        for pod in pod_views(obj, self._kinds_for(obj.kind), self.catalogue):
            covering = directives + _pod_annotation_directives(pod, obj, document)
            found = self._run(pod_rules.for_pod(pod), pod, document.source, document, obj)
            if not covering:
                findings.extend(found)
            else:
                for finding in found:
                    hit = _covering(covering, finding)
                    if hit is None:
                        findings.append(finding)
                    else:
                        suppressed.append(_silence(hit, finding))
            directives = covering
        return directives

    def _audit(self, loaded: LoadedFile, directives: list[Suppression], ran: Set[str]) -> list[Finding]:
        """Suppressions without a reason, naming no rule, or silencing nothing."""
        if not self._audits or not directives:
            return []
        found = suppressions.problems(directives, ran, self.known_rules)
        return self._run(self._audits, found, loaded.source, None, None)

    def _run(
        self, rule_calls: Sequence[Call], subject, source: str, document: Document | None, obj: KubeObject | None
    ) -> list[Finding]:
        """The findings of each rule in turn on `subject` (a pod view, a document, a file...).

        A rule whose check raises gives one `internal-error` finding instead of its own
        (those it yielded before are dropped), and the rules after it still run."""
        found: list[Finding] = []
        context = self.context
        ref = None
        for rule, function, params in rule_calls:
            try:
                violations = list(function(subject, params, context))
            except Exception as error:  # a broken check must not stop the run
                found.append(_internal_error(rule, error, source, document, obj))
                continue
            if violations:
                if ref is None and obj is not None:
                    ref = ObjectRef(obj.kind, obj.name, obj.namespace)
                for violation in violations:
                    found.append(_finding(rule, violation, source, document, ref))
        return found


class _Plan:
    """The rules a file runs, by scope, ready to call."""

    def __init__(self, rules: list[Rule]):
        by_scope: dict[str, list[Rule]] = {scope: [] for scope in SCOPES}
        for rule in rules:
            by_scope[rule.check.scope].append(rule)
        self.names = frozenset(rule.name for rule in rules)
        self.pod_rules = PodRules(by_scope["pod"])
        self.document_rules = calls(by_scope["document"])
        self.file_rules = calls(by_scope["file"])


def _kinds_by_name(kinds: list[WorkloadKind]) -> Callable[[str], Sequence[WorkloadKind]]:
    """`kinds(name)`: the workload kinds, in order, that an object of kind `name` may match.

    `pod_views` asks each kind in turn whether it matches an object's apiVersion and kind;
    the kinds of other names never can, so the engine hands it only the kinds of the
    object's name. A kind whose class defines its own `matches` might match other names,
    and then every kind is handed over, as before."""
    if any(type(kind).matches is not WorkloadKind.matches for kind in kinds):
        return lambda name: kinds
    by_name: dict[str, list[WorkloadKind]] = {}
    for kind in kinds:
        by_name.setdefault(kind.kind, []).append(kind)
    return lambda name: by_name.get(name, ())


def _apply_comments(
    comments: suppressions.Comments, findings: list[Finding], suppressed: list[Suppressed], container_line
) -> list[Finding]:
    """The findings that no `# sidecarlint: ignore` comment silences; the others go to
    `suppressed`. `container_line(finding)` is the first line of the finding's container."""
    if not comments:
        return findings
    kept = []
    for finding in findings:
        hit = comments.covering(finding, container_line(finding))
        if hit is None:
            kept.append(finding)
        else:
            suppressed.append(_silence(hit, finding))
    return kept


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


def _container_line(document: Document, finding: Finding) -> int | None:
    """The first line of the container a finding is about, for comments that cover a container."""
    path = suppressions.container_path(finding.field_path)
    return document.span(path).line if path is not None else None


def _problem_container_lines(problems: list[LoadProblem], document: Document) -> dict[tuple, int]:
    """For the load problems inside a container of `document` (a key given twice in it),
    the container's first line, found while the document's nodes are still at hand."""
    lines = {}
    for problem in problems:
        if problem.document == document.index and problem.path:
            path = suppressions.container_path(problem.path)
            if path is not None:
                lines[(document.index, problem.path)] = document.span(path).line
    return lines


def read_source(source: Source) -> tuple[LoadedFile, Iterator[Document]]:
    loaded, documents, _ = load_source(source)
    return loaded, documents


def load_source(source: Source) -> tuple[LoadedFile, Iterator[Document], attribution.Attributor | None]:
    """The file, its documents as they are read, and, for rendered output, what moves its
    findings to the files a person edits."""
    try:
        raw = source.read()
    except RenderError as error:  # a kustomization or chart that did not render
        return _unread(source, LoadProblem("render", str(error), Span.start()))
    except OSError as error:
        reason = error.strerror or str(error)
        return _unread(source, LoadProblem("unreadable", f"cannot read the file: {reason}", Span.start()))
    loaded, documents = stream_bytes(raw, source.display)
    if source.note is not None:  # e.g. a kustomization that was not rendered
        loaded.problems.append(LoadProblem(source.note[0], source.note[1], Span.start()))
    return loaded, documents, attribution.attributor_for(source, raw)


def _unread(source: Source, problem: LoadProblem) -> tuple[LoadedFile, Iterator[Document], None]:
    return LoadedFile(source.display, problems=[problem]), iter(()), None


def _finding(rule: Rule, violation: Violation, source: str, document: Document | None, ref) -> Finding:
    span = violation.span
    if span is None:
        span = document.span(violation.path) if document is not None else Span.start()
    related: tuple[RelatedLocation, ...] = ()
    if violation.related:
        related = tuple(
            RelatedLocation(document.span(r.path) if document is not None else Span.start(), r.message)
            for r in violation.related
        )
    return Finding(
        rule=rule.name,
        severity=rule.severity,
        message=violation.message,
        path=source,
        span=span,
        object=ref,
        container=violation.container,
        field_path=violation.path,
        document=document.index if document is not None else violation.document,
        related=related,
    )


def _internal_error(rule: Rule, error: Exception, source, document, obj) -> Finding:
    span = document.span(obj.path) if document is not None and obj is not None else Span.start()
    return Finding(
        rule=INTERNAL_ERROR,
        severity=Severity.ERROR,
        message=f"rule {rule.name} failed on this object ({type(error).__name__}: {error}); "
        "please report this as a bug in sidecarlint",
        path=source,
        span=span,
        object=ObjectRef(obj.kind, obj.name, obj.namespace) if obj is not None else None,
        document=document.index if document is not None else None,
    )
