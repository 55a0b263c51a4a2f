"""Containers without the requests and memory limit that keep a pod schedulable and bounded."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from sidecarlint.checks import CheckContext, Violation, check
from sidecarlint.pods import MAPPING_TYPES, PodView, Role

# Pod-level resources (KEP-2837) are beta and on by default from Kubernetes 1.34; below it
# the field is dropped, and every container must bound itself.
POD_LEVEL_RESOURCES = (1, 34)
# Roles looked up once: reading an Enum member (`Role.APP`) costs more than the tests they serve.
EPHEMERAL = Role.EPHEMERAL


_NO_AMOUNTS: Mapping = MappingProxyType({})


def _amounts(resources: Any, kind: str) -> Mapping:
    if resources is None:
        return _NO_AMOUNTS  # the usual pod: no pod-level resources
    section = resources.get(kind) if isinstance(resources, MAPPING_TYPES) else None
    return section if isinstance(section, MAPPING_TYPES) else _NO_AMOUNTS


def missing_bounds(resources: Any, pod_requests: Mapping, pod_limits: Mapping) -> list[str]:
    """The bounds a container lacks, beside the pod's own requests and limits; a limit
    counts as the request, as the API defaults it."""
    requests, limits = _amounts(resources, "requests"), _amounts(resources, "limits")
    missing = []
    for resource in ("cpu", "memory"):
        if not (resource in requests or resource in limits or resource in pod_requests or resource in pod_limits):
            missing.append(f"requests.{resource}")
    if "memory" not in limits and "memory" not in pod_limits:
        missing.append("limits.memory")
    return missing


@check("resource-bounds")
def resource_bounds(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    pod_resources = pod.spec.get("resources") if context.kubernetes_version >= POD_LEVEL_RESOURCES else None
    pod_requests, pod_limits = _amounts(pod_resources, "requests"), _amounts(pod_resources, "limits")
    # Ephemeral containers may not set resources at all.
    for container in pod.containers:
        if container.role is EPHEMERAL:
            continue
        resources = container.spec.get("resources")
        missing = missing_bounds(resources, pod_requests, pod_limits)
        if not missing:
            continue
        where = "resources" if isinstance(resources, MAPPING_TYPES) else "name"
        yield Violation(
            container.field_path(where),
            f"{container.role} container {container.label!r} sets no {_join(missing)}",
            container.name,
        )


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
