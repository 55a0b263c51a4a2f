"""Job pods that never complete because a helper beside the job never exits.

A Job's pod succeeds when all of its containers[] have exited; a helper in containers[]
that serves forever keeps it Running. Native sidecars do not count: the kubelet stops
them once the regular containers have finished.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from sidecarlint.checks import CheckContext, PodsWith, Violation, check
from sidecarlint.pods import Container, PodView, Role

_ENDLESS_COMMAND = re.compile(r"while\s+(true|:)\b|sleep\s+infinity|tail\s+(-[a-zA-Z]*[fF]|--follow)")
# How a job tells its helpers to stop: Envoy/Istio's and cloud-sql-proxy's quit endpoints,
# linkerd-await's --shutdown, or a one-shot mode of the helper itself.
_EXIT_MECHANISM = re.compile(
    r"/quitquitquit|/shutdown\b|linkerd-await|--quitquitquit|-exit-after-auth|--one-time|GIT_SYNC_ONE_TIME"
)
# A word that every match of _EXIT_MECHANISM holds: a text with none of them needs no search,
# and a substring test costs a fraction of the search.
_EXIT_WORDS = ("quitquitquit", "shutdown", "linkerd-await", "-exit-after-auth", "--one-time", "GIT_SYNC_ONE_TIME")
ISTIO_INJECT = "sidecar.istio.io/inject"
ISTIO_NATIVE = "sidecar.istio.io/nativeSidecar"
LINKERD_INJECT = "linkerd.io/inject"
LINKERD_NATIVE = "config.alpha.linkerd.io/proxy-enable-native-sidecar"
NATIVE_SIDECARS = (1, 29)
# Roles looked up once: reading an Enum member (`Role.APP`) costs more than the tests they serve.
REGULAR = (Role.APP, Role.HELPER)  # containers[]


def _text(container: Container) -> str:
    env = [str(v.get("value")) for _, v in container.list_of("env")] + [
        str(v.get("name")) for _, v in container.list_of("env") if v.get("value") in ("true", "1")
    ]
    return " ".join(container.command_line + env)


def _can_be_stopped(container: Container) -> bool:
    """Whether its command line or environment holds a way to tell it to exit."""
    text = _text(container)
    for word in _EXIT_WORDS:
        if word in text:
            return _EXIT_MECHANISM.search(text) is not None
    return False


def never_exits(container: Container) -> str | None:
    """Why the container serves forever, or None when nothing shows that it does."""
    if _can_be_stopped(container):
        return None
    return _serves_forever(container)


def _serves_forever(container: Container) -> str | None:
    """Why the container serves forever, for one that has no way to be told to stop."""
    if container.sidecar is not None:
        return f"the {container.sidecar.kind} {container.sidecar.name!r} serves until it is stopped"
    if match := _ENDLESS_COMMAND.search(" ".join(container.command_line)):
        return f"its command runs forever ({match.group(0)!r})"
    return None


def _has_exit_mechanism(pod: PodView) -> bool:
    for container in pod.containers:
        if _can_be_stopped(container):
            return True
    return False


@check("job-helper-exits", params={"istio-native-by-default": True}, pods=PodsWith(workload_runs_to_completion=True))
def job_helper_exits(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    if not pod.workload.runs_to_completion or _has_exit_mechanism(pod):
        return
    helpers = [c for c in pod.with_role(*REGULAR) if c is not pod.primary]
    for helper in helpers:
        reason = _serves_forever(helper)  # `never_exits`, as no container of the pod has an exit mechanism
        if reason is not None:
            yield Violation(
                helper.field_path("name"),
                f"helper {helper.label!r} sits in containers[] of a {pod.workload.kind}'s pod and "
                f"{reason}, so the job's pod never completes; make it a native sidecar "
                "(initContainers with restartPolicy: Always), which Kubernetes stops when the job's "
                "containers finish",
                helper.name,
            )
    yield from _mesh_injection(pod, params, context)


def _mesh_injection(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    """A job's pod asks a mesh to inject its proxy as a regular container."""
    native_available = context.kubernetes_version >= NATIVE_SIDECARS
    for source, key in (("labels", ISTIO_INJECT), ("annotations", ISTIO_INJECT)):
        values = pod.labels if source == "labels" else pod.annotations
        if str(values.get(key)).lower() != "true":
            continue
        native = str(pod.annotations.get(ISTIO_NATIVE)).lower()
        # Istio injects native sidecars by default from 1.27 where Kubernetes supports them.
        if native_available and (native == "true" or (native != "false" and params["istio-native-by-default"])):
            return
        yield _injection_violation(pod, source, key, "Istio", f"{ISTIO_NATIVE}: \"true\"")
        return
    if str(pod.annotations.get(LINKERD_INJECT)).lower() == "enabled":
        if native_available and str(pod.annotations.get(LINKERD_NATIVE)).lower() == "true":
            return
        yield _injection_violation(pod, "annotations", LINKERD_INJECT, "Linkerd", f"{LINKERD_NATIVE}: \"true\"")


def _injection_violation(pod: PodView, source: str, key: str, mesh: str, native_setting: str) -> Violation:
    return Violation(
        pod.metadata_path + (source, key),
        f"this {pod.workload.kind}'s pod asks {mesh} to inject its proxy as a regular container, "
        "which keeps running after the job is done, so the pod never completes; use native-sidecar "
        f"injection ({native_setting}) or have the job stop the proxy when it finishes",
    )

