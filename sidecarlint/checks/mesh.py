"""Ports that a service mesh's injected proxy binds in the pod, declared by the pod's own containers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sidecarlint.checks import CheckContext, Violation, check
from sidecarlint.pods import Container, PodView, Role

# istio.io, docs/ops/deployment/application-requirements, "Ports used by Istio": "To avoid
# port conflicts with sidecars, applications should not use any of the ports used by Envoy."
ISTIO_PORTS = {
    15000: "Envoy's admin port",
    15001: "Envoy's outbound listener",
    15002: "the listener for failure detection",
    15004: "the debug port",
    15006: "Envoy's inbound listener",
    15008: "the HBONE mTLS tunnel port",
    15020: "the merged Prometheus telemetry port",
    15021: "the health check port",
    15053: "the DNS proxy port",
    15090: "Envoy's Prometheus telemetry port",
}
# linkerd2 charts: proxy.ports (values.yaml) and the LINKERD2_PROXY_*_LISTEN_ADDR the proxy
# template sets (partials/templates/_proxy.tpl).
LINKERD_PORTS = {
    4140: "its outbound listener",
    4143: "its inbound listener",
    4190: "its control listener",
    4191: "its admin listener for metrics and health",
}
ISTIO_INJECT = "sidecar.istio.io/inject"
ISTIO_REVISION = "istio.io/rev"
LINKERD_INJECT = "linkerd.io/inject"
# Roles looked up once: reading an Enum member (`Role.APP`) costs more than the tests they serve.
RUNNING = (Role.APP, Role.HELPER, Role.SIDECAR)


def _truth(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value.strip().lower() if isinstance(value, str) else None


def _proxy(pod: PodView, name: str) -> Container | None:
    """The mesh's proxy already in the pod (manual injection), before its init container."""
    first = None
    for container in pod.containers:
        if container.sidecar is not None and container.sidecar.name == name:
            if container.runs_alongside_app:
                return container
            if first is None:
                first = container
    return first


def istio_evidence(pod: PodView) -> str | None:
    """Why the pod will run Istio's sidecar, from the pod itself; None if it does not say."""
    proxy = _proxy(pod, "istio-proxy")
    if proxy is not None:
        return f"it is in the pod as container {proxy.label!r}"
    labels, annotations = pod.labels, pod.annotations
    # The label takes precedence over the annotation, and "false" turns injection off.
    if ISTIO_INJECT in labels:
        source, value = "label", labels[ISTIO_INJECT]
    else:
        source, value = "annotation", annotations.get(ISTIO_INJECT)
    said = _truth(value)
    if said == "false":
        return None
    if said == "true":
        return f'the pod asks for it with the {source} {ISTIO_INJECT}: "true"'
    revision = labels.get(ISTIO_REVISION)
    if isinstance(revision, str) and revision:
        return f"the pod asks for it with the label {ISTIO_REVISION}: {revision}"
    return None


def linkerd_evidence(pod: PodView) -> str | None:
    proxy = _proxy(pod, "linkerd-proxy")
    if proxy is not None:
        return f"it is in the pod as container {proxy.label!r}"
    value = _truth(pod.annotations.get(LINKERD_INJECT))
    if value in ("enabled", "ingress"):
        return f"the pod asks for it with the annotation {LINKERD_INJECT}: {value}"
    return None


@check("mesh-reserved-port")
def mesh_reserved_port(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    meshes = []
    if (evidence := istio_evidence(pod)) is not None:
        meshes.append(("Istio", ISTIO_PORTS, evidence))
    if (evidence := linkerd_evidence(pod)) is not None:
        meshes.append(("Linkerd", LINKERD_PORTS, evidence))
    if not meshes:
        return
    for container in pod.with_role(*RUNNING):
        if container.sidecar is not None and container.sidecar.kind == "mesh-proxy":
            continue  # the proxy's own ports
        for index, port in container.list_of("ports"):
            number = port.get("containerPort")
            if not isinstance(number, int) or isinstance(number, bool):
                continue
            for mesh, reserved, evidence in meshes:
                if number not in reserved:
                    continue
                protocol = port.get("protocol") if isinstance(port.get("protocol"), str) else "TCP"
                if protocol == "UDP" and number != 15053:
                    continue  # the proxy's listeners are TCP; only its DNS proxy also takes UDP
                yield Violation(
                    container.field_path("ports", index, "containerPort"),
                    f"container {container.label!r} declares port {number}, which the {mesh} proxy "
                    f"binds as {reserved[number]} ({evidence}): in the pod's one network namespace, "
                    "whichever of the two binds it second fails",
                    container.name,
                )
