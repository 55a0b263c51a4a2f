"""What the API server or the kubelet refuses: names, mount paths, restart policies, probe ports.

Each check here mirrors one piece of Kubernetes' own validation (pkg/apis/core/validation,
pkg/apis/apps/validation, pkg/apis/batch/validation), or the kubelet's run-time
resolution of a named port, so that the failure is found before `kubectl apply`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sidecarlint.checks import CheckContext, PodsWith, Related, Violation, at_least, check
from sidecarlint.pods import MAPPING_TYPES, PROBE_FIELDS, Container, PodView, Role, get_path

# SidecarContainers (KEP-753): alpha, off by default, in 1.28; beta, on by default, from 1.29.
SIDECARS_ALPHA = (1, 28)
SIDECARS_BETA = (1, 29)
# ContainerRestartRules (KEP-5307): alpha, off by default, in 1.34; beta, on by default, from 1.35.
RESTART_RULES_ALPHA = (1, 34)
RESTART_RULES_BETA = (1, 35)

RESTART_POLICIES = ("Always", "OnFailure", "Never")  # for pods, and (from 1.35) for containers
# Controllers whose pod template must keep restartPolicy Always (apps and core validation).
ALWAYS_ONLY_KINDS = frozenset({"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "ReplicationController"})
LIFECYCLE_HOOKS = ("postStart", "preStop")
# What a regular init container may not set (a native sidecar may).
NOT_ON_INIT_CONTAINERS = (*PROBE_FIELDS, "lifecycle")
# Roles looked up once: reading an Enum member (`Role.APP`) costs more than the tests they serve.
REGULAR = (Role.APP, Role.HELPER)  # containers[]
WITHOUT_PROBES = (Role.INIT, Role.EPHEMERAL)  # the API forbids probes and lifecycle hooks on these


def _list_name(container: Container) -> str:
    """`initContainers[0]`, `containers[1]`: where a container is declared in the pod spec."""
    return f"{container.path[-2]}[{container.path[-1]}]"


@check("duplicate-container-name", pods=PodsWith(at_least(2, *Role)))
def duplicate_container_name(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    first: dict[str, Container] = {}
    for container in pod.containers:
        name = container.name
        if not name:  # missing or empty: the API's "Required value", not a duplicate
            continue
        if name not in first:
            first[name] = container
            continue
        other = first[name]
        yield Violation(
            container.field_path("name"),
            f"container name {name!r} is already used by {_list_name(other)}; names must be unique across "
            f"initContainers, containers and ephemeralContainers, so the API server rejects the {pod.workload.kind} "
            f'(Duplicate value: "{name}")',
            container.name,
            (Related(other.field_path("name"), f"container name {name!r} first used here"),),
        )


@check("duplicate-mount-path")
def duplicate_mount_path(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    for container in pod.containers:
        seen: dict[str, tuple[int, Mapping]] = {}
        for index, mount in container.list_of("volumeMounts"):
            mount_path = mount.get("mountPath")
            if not isinstance(mount_path, str) or not mount_path:
                continue
            if mount_path not in seen:
                seen[mount_path] = (index, mount)
                continue
            first_index, first_mount = seen[mount_path]
            first_name = first_mount.get("name")
            first_label = f"volume {first_name!r}" if isinstance(first_name, str) else f"volumeMounts[{first_index}]"
            yield Violation(
                container.field_path("volumeMounts", index, "mountPath"),
                f"container {container.label!r} already mounts {first_label} at {mount_path!r}, so the API server "
                f'rejects the {pod.workload.kind} (mountPath: Invalid value: "{mount_path}": must be unique)',
                container.name,
                (
                    Related(
                        container.field_path("volumeMounts", first_index, "mountPath"),
                        f"{mount_path!r} first mounted here",
                    ),
                ),
            )


@check("init-container-probe", pods=PodsWith(at_least(1, Role.INIT)))
def init_container_probe(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    for container in pod.with_role(Role.INIT):
        for field in NOT_ON_INIT_CONTAINERS:
            if not isinstance(container.spec.get(field), MAPPING_TYPES):
                continue
            yield Violation(
                container.field_path(field),
                f"{field} on init container {container.label!r} makes the API server reject the "
                f"{pod.workload.kind} (may not be set for init containers without restartPolicy=Always): a regular "
                "init container must run to completion "
                "before the app starts, so remove it, or set restartPolicy: Always if the container is meant to be "
                "a sidecar that keeps running",
                container.name,
            )


@check("container-restart-policy", params={"cases": "errors"})
def container_restart_policy(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    """restartPolicy on a regular container (`containers[]`).

    `cases: errors` reports what Kubernetes rejects or ignores, and `Always` in a pod that
    must run to completion; `cases: always-outside-jobs` reports `Always` elsewhere from
    1.35, where it is valid but does not make a sidecar.
    """
    cases = params["cases"]
    if cases not in ("errors", "always-outside-jobs"):
        raise ValueError(f"param 'cases' must be 'errors' or 'always-outside-jobs', not {cases!r}")
    version = context.kubernetes_version
    in_job = pod.workload.runs_to_completion
    sidecar_hint = (
        "; to run it as a sidecar beside the app, move it to initContainers, where restartPolicy: Always "
        "makes a native sidecar"
    )
    for container in pod.containers:
        value = container.spec.get("restartPolicy")
        if not isinstance(value, str) or container.role not in REGULAR:
            continue  # the usual container sets none: its role is read only when it does
        message = None
        if cases == "errors":
            if version < RESTART_RULES_ALPHA:
                message = (
                    f"restartPolicy {value!r} on container {container.label!r} is rejected by the API server before "
                    "Kubernetes 1.34 (Forbidden: may not be set for non-init containers)" + sidecar_hint
                )
            elif version < RESTART_RULES_BETA:
                message = (
                    f"restartPolicy {value!r} on container {container.label!r} is silently dropped by Kubernetes 1.34 "
                    "(the ContainerRestartRules feature gate is off by default), so the container follows the "
                    f"pod's restartPolicy {pod.restart_policy!r} instead" + sidecar_hint
                )
            elif value not in RESTART_POLICIES:
                message = (
                    f"restartPolicy {value!r} on container {container.label!r} is rejected by the API server "
                    '(supported values: "Always", "Never", "OnFailure")'
                )
            elif value == "Always" and in_job:
                message = (
                    f"restartPolicy 'Always' on container {container.label!r} of a {pod.workload.kind} pod restarts "
                    "it every time it exits, even after it succeeds, so the pod never completes and the "
                    f"{pod.workload.kind} never finishes" + sidecar_hint
                )
        elif version >= RESTART_RULES_BETA and value == "Always" and not in_job:
            message = (
                f"restartPolicy 'Always' on app container {container.label!r} only restarts it when it exits; it "
                "does not make a sidecar (no start before the app, not stopped after it)" + sidecar_hint
            )
        if message is not None:
            yield Violation(container.field_path("restartPolicy"), message, container.name)


@check("native-sidecar-unsupported", pods=PodsWith(at_least(1, Role.SIDECAR)))
def native_sidecar_unsupported(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    version = context.kubernetes_version
    if version >= SIDECARS_BETA:
        return
    for container in pod.with_role(Role.SIDECAR):
        if version >= SIDECARS_ALPHA:
            rejected = [f for f in NOT_ON_INIT_CONTAINERS if isinstance(container.spec.get(f), MAPPING_TYPES)]
            verb = "makes" if len(rejected) == 1 else "make"
            then = (
                f", and its {' and '.join(rejected)} then {verb} the API server reject the pod"
                if rejected
                else ", so it must exit before the app starts and the pod stays in Init for as long as it runs"
            )
            message = (
                f"restartPolicy 'Always' on init container {container.label!r} is silently dropped by Kubernetes "
                "1.28 (the SidecarContainers feature gate is off by default): it becomes a regular init container"
                + then
            )
        else:
            message = (
                f"init container {container.label!r} sets restartPolicy, a field Kubernetes "
                f"{version[0]}.{version[1]} does not know: kubectl's strict validation rejects the object "
                f'(unknown field "...{_list_name(container)}.restartPolicy"), and a client that does not validate '
                "has it dropped, so the sidecar never exits and blocks the pod in Init; native sidecars need "
                "Kubernetes 1.29 or later"
            )
        yield Violation(container.field_path("restartPolicy"), message, container.name)


@check("job-restart-policy")
def job_restart_policy(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    kind = pod.workload.kind
    raw = pod.spec.get("restartPolicy")
    value = raw if isinstance(raw, str) else None
    path = pod.field_path("restartPolicy") if value is not None else pod.path
    if value is not None and value not in RESTART_POLICIES:
        yield Violation(
            path,
            f"restartPolicy {value!r} is not a pod restart policy, so the API server rejects the {kind} "
            '(supported values: "Always", "OnFailure", "Never")',
        )
        return
    if pod.workload.runs_to_completion:
        job_spec = pod.workload.pod_spec_path[:-2]  # the Job's spec, above template.spec
        if value in (None, "Always"):
            said = "restartPolicy 'Always'" if value else "no restartPolicy, which defaults to 'Always',"
            yield Violation(
                path,
                f"the {kind}'s pod template has {said} and the API server rejects it "
                '(spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"): '
                "a Job's pods must be allowed to finish",
            )
        elif value == "OnFailure" and isinstance(get_path(pod.object.data, job_spec + ("podFailurePolicy",)), Mapping):
            yield Violation(
                path,
                f"the {kind} sets a podFailurePolicy, which the API server accepts only with restartPolicy "
                "'Never' (only \"Never\" is supported when podFailurePolicy is specified)",
            )
    elif kind in ALWAYS_ONLY_KINDS and value is not None and value != "Always":
        yield Violation(
            path,
            f"restartPolicy {value!r} is rejected in a {kind}'s pod template (Unsupported value: \"{value}\": "
            'supported values: "Always"): its controller keeps the pods running and replaces them, so use a Job '
            "for work that should finish",
        )


@check("probe-port-unknown")
def probe_port_unknown(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    for container in pod.containers:
        if container.role in WITHOUT_PROBES:
            continue
        named = _named_ports(container)
        if not named:
            continue  # the usual case: probes and hooks name no port
        names = {port.get("name") for _, port in container.list_of("ports") if isinstance(port.get("name"), str)}
        for field, handler, port, path in named:
            if port in names:
                continue
            owner = next(
                (
                    (other, other.field_path("ports", index, "name"))
                    for other in pod.containers
                    if other is not container
                    for index, declared in other.list_of("ports")
                    if declared.get("name") == port
                ),
                None,
            )
            if owner is not None:
                where = (
                    f"container {container.label!r} declares no port named {port!r} (container "
                    f"{owner[0].label!r} does, but the kubelet looks only in the probed container's own ports)"
                )
                related = (Related(owner[1], f"port {port!r} declared by container {owner[0].label!r}"),)
            else:
                declared = ", ".join(repr(name) for name in sorted(names)) if names else "no named ports"
                where = f"container {container.label!r} declares no port named {port!r} (it declares {declared})"
                related = ()
            consequence = _consequence(field, port, container.role is Role.SIDECAR)
            yield Violation(path, f"{field} {handler} port {port!r}: {where}; {consequence}", container.name, related)


def _named_ports(container: Container) -> list[tuple[str, str, str, tuple]]:
    """Ports given by name in probes (httpGet, tcpSocket) and lifecycle hooks (httpGet)."""
    found = []
    for field, probe in container.probes.items():
        for handler in ("httpGet", "tcpSocket"):
            action = probe.get(handler)
            if isinstance(action, MAPPING_TYPES) and _is_port_name(action.get("port")):
                found.append((field, handler, action["port"], container.field_path(field, handler, "port")))
    lifecycle = container.spec.get("lifecycle")
    if isinstance(lifecycle, MAPPING_TYPES):
        for hook in LIFECYCLE_HOOKS:
            action = get_path(lifecycle, (hook, "httpGet"))
            if isinstance(action, MAPPING_TYPES) and _is_port_name(action.get("port")):
                path = container.field_path("lifecycle", hook, "httpGet", "port")
                found.append((hook, "httpGet", action["port"], path))
    return found


def _is_port_name(value: Any) -> bool:
    # A string of digits is a number to the kubelet (it tries strconv.Atoi); "" means port 80 in hooks.
    return isinstance(value, str) and value != "" and not value.isdigit()


def _consequence(field: str, port: str, sidecar: bool) -> str:
    failing = f'the kubelet cannot resolve it ("port {port} not found") and counts every probe as failed, so'
    blocked = " and the containers after it never start" if sidecar else ""
    return {
        "livenessProbe": f"{failing} it kills and restarts the container again and again",
        "readinessProbe": f"{failing} the container, and with it the pod, never becomes Ready and gets no "
        "Service traffic",
        "startupProbe": f"{failing} it kills the container after failureThreshold attempts, again and again{blocked}",
        "postStart": "the kubelet cannot resolve it, so the hook fails and the kubelet kills the container and "
        "restarts it by its restart policy",
        "preStop": "the kubelet cannot resolve it, so the hook fails and the container is stopped without its "
        "graceful shutdown",
    }[field]
