"""Ports declared twice by containers that run at the same time in one network namespace."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sidecarlint.checks import CheckContext, PodsWith, Related, Violation, at_least, check
from sidecarlint.pods import Container, PodView, Role


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


def declared_ports(container: Container) -> Iterator[tuple[int, Mapping]]:
    """Port entries whose numbers are integers; other shapes are not this check's concern."""
    for index, port in container.list_of("ports"):
        if is_port_number(port.get("containerPort")) or is_port_number(port.get("hostPort")):
            yield index, port


def is_port_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _protocol(port: Mapping) -> str:
    protocol = port.get("protocol")
    return protocol if isinstance(protocol, str) else "TCP"  # the API's default


@check("port-conflict", pods=PodsWith(at_least(2, Role.INIT, Role.SIDECAR, Role.APP, Role.HELPER)))
def port_conflict(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    if sum(c.role is not Role.EPHEMERAL for c in pod.containers) < 2:
        return  # a clash takes two containers
    seen: list[tuple[Container, tuple, str, tuple]] = []  # container, key, field, path
    for container in pod.containers:
        if container.role is Role.EPHEMERAL:  # the API forbids ports on ephemeral containers
            continue
        for index, port in declared_ports(container):
            for key, field, label in _keys(port):
                path = container.field_path("ports", index, field)
                clash = next(
                    (
                        (other, other_path)
                        for other, other_key, other_field, other_path in seen
                        if other_key == key and other_field == field and other is not container
                        and run_together(other, container, pod)
                    ),
                    None,
                )
                if clash is None:
                    seen.append((container, key, field, path))
                    continue
                other, other_path = clash
                yield Violation(
                    path,
                    f"{label} is already declared by container {other.label!r}, which runs at the "
                    "same time in the pod's shared network namespace; the second process to bind "
                    "it fails",
                    container.name,
                    (Related(other_path, f"{label} first declared by container {other.label!r}"),),
                )


def _keys(port: Mapping) -> Iterator[tuple[tuple, str, str]]:
    protocol = _protocol(port)
    container_port = port.get("containerPort")
    if is_port_number(container_port):
        yield (container_port, protocol), "containerPort", f"port {container_port}/{protocol}"
    host_port = port.get("hostPort")
    if is_port_number(host_port) and host_port != 0:
        host_ip = port.get("hostIP") if isinstance(port.get("hostIP"), str) else ""
        where = f" on {host_ip}" if host_ip else ""
        yield (host_port, protocol, host_ip), "hostPort", f"host port {host_port}/{protocol}{where}"
