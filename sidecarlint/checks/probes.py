"""Probes: long-running containers without any, and probes aimed at another container's port."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sidecarlint.checks import CheckContext, PodsWith, Related, Violation, at_least, check
from sidecarlint.pods import MAPPING_TYPES, Container, PodView, Role

LONG_RUNNING = (Role.APP, Role.HELPER, Role.SIDECAR)
PORT_HANDLERS = ("httpGet", "tcpSocket", "grpc")  # `exec` runs inside the container itself
_ROLE_WORDS = {Role.APP: "app container", Role.HELPER: "helper container", Role.SIDECAR: "native sidecar"}
# Istio's injector rewrites HTTP probes to its agent (`/app-health/<container>/...` on the
# proxy's port 15020), which then probes the app: aimed at the proxy, and meant to be.
ISTIO_PROBE_REWRITE = "/app-health/"


def _is_port_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _declared(container: Container, tcp_only: bool) -> dict[int, int]:
    """containerPort numbers the container declares, with the index of their entry."""
    ports: dict[int, int] = {}
    for index, port in container.list_of("ports"):
        number = port.get("containerPort")
        if not _is_port_number(number):
            continue
        protocol = port.get("protocol")
        if tcp_only and isinstance(protocol, str) and protocol != "TCP":
            continue  # not TCP (without a protocol, a port is TCP, the API's default)
        ports.setdefault(number, index)
    return ports


def _probed_port_numbers(container: Container) -> list[tuple[str, str, Mapping, int]]:
    """Probes of the container that give a port by number: field, handler, action, port."""
    found = []
    for probe_field, probe in container.probes.items():
        for handler in PORT_HANDLERS:
            action = probe.get(handler)
            if isinstance(action, MAPPING_TYPES) and _is_port_number(action.get("port")):
                found.append((probe_field, handler, action, action["port"]))
    return found


@check("probe-port-owner", pods=PodsWith(at_least(2, *LONG_RUNNING)))
def probe_port_owner(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    running = pod.with_role(*LONG_RUNNING)
    if len(running) < 2:
        return  # no other container whose port a probe could be aimed at
    probed = [(container, _probed_port_numbers(container)) for container in running]
    if not any(numbers for _, numbers in probed):
        return  # the usual pod: its probes name their ports, or it has none
    tcp_ports = None  # each container's, read once a probe aims at a port not its own
    for container, numbers in probed:
        if not numbers:
            continue
        own = _declared(container, tcp_only=False)
        for probe_field, handler, action, port in numbers:
            if port in own:
                continue  # a named port resolves in the container's own ports only
            host = action.get("host")
            if isinstance(host, str) and host:
                continue  # aimed at another address, not at this pod
            if tcp_ports is None:
                tcp_ports = {id(c): _declared(c, tcp_only=True) for c in running}
            owners = [
                (other, tcp_ports[id(other)][port])
                for other in running
                if other is not container and port in tcp_ports[id(other)]
            ]
            path = action.get("path")
            if isinstance(path, str) and path.startswith(ISTIO_PROBE_REWRITE):
                owners = [(o, i) for o, i in owners if not (o.sidecar and o.sidecar.kind == "mesh-proxy")]
            if not owners:
                continue
            other, index = owners[0]
            yield Violation(
                container.field_path(probe_field, handler, "port"),
                f"{probe_field} of {container.label!r} checks port {port}, which container "
                f"{other.label!r} declares and {container.label!r} does not: containers share the "
                f"pod's network namespace, so the probe reports on {other.label!r}, not on "
                f"{container.label!r}",
                container.name,
                (
                    Related(
                        other.field_path("ports", index, "containerPort"),
                        f"port {port} declared by {other.label!r}",
                    ),
                ),
            )


@check("probes-present")
def probes_present(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    if pod.runs_to_completion:
        return  # a Job's containers are meant to finish; nothing routes traffic to them
    for container in pod.containers:
        if container.role not in LONG_RUNNING:
            continue
        probes = container.probes
        if "readinessProbe" in probes or "livenessProbe" in probes:
            continue
        when = (
            "once its startupProbe has succeeded, Kubernetes counts it ready"
            if "startupProbe" in probes
            else "Kubernetes counts it ready as soon as its process starts"
        )
        yield Violation(
            container.field_path("name"),
            f"{_ROLE_WORDS[container.role]} {container.label!r} has neither a readinessProbe nor a "
            f"livenessProbe: {when} and never restarts it when it hangs",
            container.name,
        )
