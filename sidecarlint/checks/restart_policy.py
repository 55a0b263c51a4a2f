"""`restartPolicy` on init containers: only `Always` (a native sidecar) is accepted before 1.35."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sidecarlint.checks import CheckContext, PodsWith, Violation, at_least, check
from sidecarlint.pods import PodView, Role

# KEP-5307 (container restart rules): the ContainerRestartRules gate is alpha, off by
# default, in 1.34, and beta, on by default, from 1.35.
RESTART_RULES_ALPHA = (1, 34)


@check("init-restart-policy", pods=PodsWith(at_least(1, Role.INIT)))
def init_restart_policy(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    for container in pod.with_role(Role.INIT):
        value = container.spec.get("restartPolicy")
        if value is None:  # absent, or null: the container follows the pod's policy
            continue
        if context.kubernetes_version < RESTART_RULES_ALPHA:
            message = (
                f"init container restartPolicy {value!r} is rejected by the API server before "
                "Kubernetes 1.34: only 'Always' (a native sidecar) is allowed"
            )
        else:
            message = (
                f"init container restartPolicy {value!r} is silently dropped by Kubernetes 1.34 "
                "(the ContainerRestartRules feature gate is off by default), so the container "
                "follows the pod's restartPolicy instead"
            )
        yield Violation(container.field_path("restartPolicy"), message, container.name)
