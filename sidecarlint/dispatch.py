"""Which rules the engine calls, and on which pods.

A run calls its rules some hundreds of thousands of times, so each rule's check function
and params are looked up once (`Call`), not on every call. A pod check may declare the
pods it can find something in (`checks.PodsWith`: containers of some roles, workloads
that run to completion); pods that have the same containers by role, in the same kind of
workload, get the same rules, so the engine answers that once for each such shape of pod
(`PodRules`) instead of asking every rule about every pod.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from sidecarlint.checks import PodsWith
from sidecarlint.pods import PodView, Role
from sidecarlint.rules import Rule

ROLES = tuple(Role)


class Call(NamedTuple):
    """A rule ready to run: `function(subject, params, context)` yields its violations."""

    rule: Rule
    function: Callable[..., Iterable[Any]]
    params: Mapping[str, Any]

    @classmethod
    def of(cls, rule: Rule) -> Call:
        return cls(rule, rule.check.function, rule.params)


def calls(rules: Iterable[Rule]) -> tuple[Call, ...]:
    return tuple(Call.of(rule) for rule in rules)


def pod_shape(pod: PodView, most: int) -> tuple:
    """What a pod's rules depend on: whether its workload runs to completion, and how many
    containers of each role it has (`ROLES` order), counted up to `most`, since no
    declaration asks for more."""
    # Counted in a list, not a dict keyed by role: hashing an Enum member is a Python call.
    roles = [container.role for container in pod.containers]
    return (pod.workload.runs_to_completion, *[min(roles.count(role), most) for role in ROLES])


def admits(pods: PodsWith | None, shape: tuple) -> bool:
    """Whether a check that concerns `pods` (None: every pod) runs on pods of this shape."""
    if pods is None:
        return True
    runs_to_completion, *counts = shape
    return pods.admit(dict(zip(ROLES, counts)), runs_to_completion)


class PodRules:
    """The pod rules of a run, and for each pod the ones whose checks concern it."""

    def __init__(self, rules: Iterable[Rule]):
        self.calls = calls(rules)
        declared = [call.rule.check.pods for call in self.calls if call.rule.check.pods is not None]
        self._most = max((pods.largest_count for pods in declared), default=0)
        self._every_pod = not declared
        # By shape: a few dozen in practice, and never more than 2 * (most + 1) ** 5.
        self._by_shape: dict[tuple, tuple[Call, ...]] = {}

    def for_pod(self, pod: PodView) -> tuple[Call, ...]:
        """The calls to make on `pod`, in the rules' order."""
        if self._every_pod:
            return self.calls
        shape = pod_shape(pod, self._most)
        try:
            return self._by_shape[shape]
        except KeyError:
            chosen = self._by_shape[shape] = tuple(call for call in self.calls if admits(call.rule.check.pods, shape))
            return chosen
