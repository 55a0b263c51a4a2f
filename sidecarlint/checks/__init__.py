"""Checks: the logic that rules name.

A check is a small pure function. It takes what it inspects (a pod view, or a loaded file
for problems found while reading it), the rule's parameters and the run's context, and
yields `Violation`s that say *where* (a path into the document) and *what* (a message).
It never reads files, prints, or decides severity: rules (data, in `rules/`) do that.

    @check("image-tag", params={"allow-latest": False})
    def image_tag(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
        ...

A pod check may also say which pods it can find anything in (kube-linter's "scope"), so
that the engine does not call it on the others:

    @check("sidecar-weight", pods=PodsWith(at_least(1, Role.HELPER, Role.SIDECAR), at_least(1, Role.APP)))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sidecarlint.pods import Role
from sidecarlint.positions import Span
from sidecarlint.records import record

SCOPES = ("pod", "document", "file", "suppressions")


@record
class Related:
    """The other side of a pair: the first declaration of a clashing port, say."""

    path: tuple
    message: str


@record
class Violation:
    path: tuple  # into the document; positions are resolved from it only for findings
    message: str
    container: str | None = None
    related: tuple[Related, ...] = ()
    span: Span | None = None  # given directly by file-scope checks, which have no path
    document: int | None = None  # file-scope checks: the document concerned, if any


@dataclass(frozen=True)
class CheckContext:
    kubernetes_version: tuple[int, int]


@dataclass(frozen=True)
class Containers:
    """At least `count` containers whose role is one of `roles`."""

    count: int
    roles: frozenset[Role]

    def __post_init__(self) -> None:
        if self.count < 1 or not self.roles:
            raise ValueError("at_least needs a count of 1 or more and at least one role")

    def met_by(self, role_counts: Mapping[Role, int]) -> bool:
        return sum(role_counts.get(role, 0) for role in self.roles) >= self.count


def at_least(count: int, *roles: Role | str) -> Containers:
    """`at_least(2, Role.APP, Role.HELPER)`: two or more containers that are apps or helpers.
    Roles may be given by name (`"app"`); an unknown name is an error here, not a silent skip."""
    return Containers(count, frozenset(Role(role) for role in roles))


@dataclass(frozen=True, init=False)
class PodsWith:
    """The pods a pod check can find something in; the engine does not call it on others.

    A pod qualifies when it has every one of `containers` (`at_least(...)`) and, with
    `workload_runs_to_completion`, when its workload kind runs to completion (Job, CronJob,
    and any kind declared with `runs_to_completion=True`). Declare only what makes the
    check return nothing at once: a pod wrongly left out loses its findings silently.
    """

    containers: tuple[Containers, ...]
    workload_runs_to_completion: bool

    def __init__(self, *containers: Containers, workload_runs_to_completion: bool = False):
        # A frozen dataclass takes its fields through object.__setattr__; this __init__ is
        # only there to let the requirements be listed as arguments.
        object.__setattr__(self, "containers", containers)
        object.__setattr__(self, "workload_runs_to_completion", workload_runs_to_completion)

    def admit(self, role_counts: Mapping[Role, int], workload_runs_to_completion: bool) -> bool:
        """Whether a pod with these containers (by role) and this kind of workload qualifies."""
        if self.workload_runs_to_completion and not workload_runs_to_completion:
            return False
        return all(requirement.met_by(role_counts) for requirement in self.containers)

    @property
    def largest_count(self) -> int:
        """The most containers any requirement asks for: counting further tells nothing."""
        return max((requirement.count for requirement in self.containers), default=0)


@dataclass(frozen=True)
class Check:
    name: str
    function: Callable[..., Iterable[Violation]]
    # "pod": called with a PodView; "document": with a load.Document (its data and nodes),
    # for what is wrong around the pod specs; "file": with a LoadedFile once it has been
    # read to the end (its problems); "suppressions": with the (span, message) problems the
    # engine found among a file's suppressions.
    scope: str = "pod"
    params: Mapping[str, Any] = field(default_factory=dict)  # names and default values
    # Checks a rule's params when the rule is loaded; raises ValueError naming the problem.
    validate: Callable[[Mapping[str, Any]], None] | None = None
    # Pod checks: the pods it can find something in (None: every pod).
    pods: PodsWith | None = None

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"check {self.name!r}: scope must be one of {SCOPES}")
        if self.pods is not None and self.scope != "pod":
            raise ValueError(f"check {self.name!r}: only a pod check can say which pods it concerns")

    def run(self, subject: Any, params: Mapping[str, Any], context: CheckContext):
        return self.function(subject, params, context)


def check(
    name: str,
    *,
    scope: str = "pod",
    params: Mapping[str, Any] | None = None,
    validate: Callable[[Mapping[str, Any]], None] | None = None,
    pods: PodsWith | None = None,
):
    """Declare a function as a check, found by `sidecarlint.checks.builtin` in its module."""

    def register(function: Callable[..., Iterable[Violation]]) -> Check:
        return Check(name, function, scope, dict(params or {}), validate, pods)

    return register
