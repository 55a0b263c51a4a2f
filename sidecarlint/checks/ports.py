"""Ports declared twice by containers that run at the same time in one network namespace."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sidecarlint.checks import CheckContext, PodsWith, Related, Violation, at_least, check
from sidecarlint.pods import Container, PodView, Role

# Roles looked up once: reading an Enum member (`Role.APP`) costs more than the tests they serve.
EPHEMERAL = Role.EPHEMERAL


def run_together(first: Container, second: Container, pod: PodView) -> bool:
    """Whether two containers of a pod can be running at the same moment.

    App containers, classic helpers and native sidecars all run for the pod's life. A
    regular init container runs alone, to completion, except beside the native sidecars
    declared before it, which have started and keep running.
    """
    if first.runs_alongside_app and second.runs_alongside_app:
        return True
    if Role.INIT in (first.role, second.role):
        init, other = (first, second) if first.role is Role.INIT else (second, first)
        return other.role is Role.SIDECAR and _declared_before(other, init, pod)
    return False


def _declared_before(sidecar: Container, init: Container, pod: PodView) -> bool:
    order = pod.init_containers
    return order.index(sidecar) < order.index(init)


def is_port_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _protocol(port: Mapping) -> str:
    protocol = port.get("protocol")
    return protocol if isinstance(protocol, str) else "TCP"  # the API's default


@check("port-conflict", pods=PodsWith(at_least(2, Role.INIT, Role.SIDECAR, Role.APP, Role.HELPER)))
def port_conflict(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    # What each port entry binds, by field and key, with the containers (and entries) that
    # declared it first: a new entry is looked up, not compared with every one before it.
    seen: dict[tuple[str, tuple], list[tuple[Container, int]]] = {}
    for container in pod.containers:
        if container.role is EPHEMERAL:  # the API forbids ports on ephemeral containers
            continue
        for index, port in container.list_of("ports"):
            for field, key in _keys(port):
                declared = seen.setdefault((field, key), [])
                clash = None
                for other, other_index in declared:
                    if other is not container and run_together(other, container, pod):
                        clash = other, other_index
                        break
                if clash is None:
                    declared.append((container, index))
                    continue
                other, other_index = clash
                label = _label(field, key)
                yield Violation(
                    container.field_path("ports", index, field),
                    f"{label} is already declared by container {other.label!r}, which runs at the "
                    "same time in the pod's shared network namespace; the second process to bind "
                    "it fails",
                    container.name,
                    (
                        Related(
                            other.field_path("ports", other_index, field),
                            f"{label} first declared by container {other.label!r}",
                        ),
                    ),
                )


def _keys(port: Mapping) -> list[tuple[str, tuple]]:
    """What a port entry binds, by field: its number and protocol (and host IP for a host
    port). Nothing for a number that is not an integer: other shapes are not this check's concern."""
    keys = []
    container_port = port.get("containerPort")
    if is_port_number(container_port):
        keys.append(("containerPort", (container_port, _protocol(port))))
    host_port = port.get("hostPort")
    if is_port_number(host_port) and host_port != 0:
        host_ip = port.get("hostIP") if isinstance(port.get("hostIP"), str) else ""
        keys.append(("hostPort", (host_port, _protocol(port), host_ip)))
    return keys


def _label(field: str, key: tuple) -> str:
    """What a clash is about, for its message: `port 8080/TCP`, `host port 80/TCP on 10.0.0.1`."""
    if field == "containerPort":
        number, protocol = key
        return f"port {number}/{protocol}"
    number, protocol, host_ip = key
    where = f" on {host_ip}" if host_ip else ""
    return f"host port {number}/{protocol}{where}"
