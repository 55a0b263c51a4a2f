"""Start-up order between a container and the helper it depends on.

Kubernetes starts init containers one after another, in list order, each after the one
before it has finished; a native sidecar (an init container with `restartPolicy: Always`)
counts as started as soon as its process runs, or, when it has a `startupProbe`, once
that probe succeeds; `containers[]` start only after all of that, with no order among them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from sidecarlint.checks import CheckContext, PodsWith, Related, Violation, at_least, check
from sidecarlint.dependencies import Dependency, dependencies
from sidecarlint.pods import Container, PodView, Role

NATIVE_SIDECARS = (1, 29)  # SidecarContainers: beta and on by default from 1.29
ISTIO_CONFIG_ANNOTATION = "proxy.istio.io/config"


def _first_per_provider(found: list[Dependency]) -> Iterator[Dependency]:
    seen: set[int] = set()
    for dependency in found:
        if id(dependency.provider) not in seen:
            seen.add(id(dependency.provider))
            yield dependency


def _holds_app_until_proxy_starts(pod: PodView) -> bool:
    config = pod.annotations.get(ISTIO_CONFIG_ANNOTATION)
    return isinstance(config, str) and "holdApplicationUntilProxyStarts: true" in config


def _declared_before(first: Container, second: Container, pod: PodView) -> bool:
    return pod.containers.index(first) < pod.containers.index(second)


@check(
    "sidecar-startup-order",
    pods=PodsWith(at_least(2, Role.APP, Role.HELPER), at_least(1, Role.INIT, Role.APP)),
)
def sidecar_startup_order(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    """A container depends on a helper in containers[], which nothing starts first."""
    unordered = [
        d
        for d in dependencies(pod)
        if d.provider.role in (Role.HELPER, Role.APP)
        and d.provider is not pod.primary
        and d.dependent.role in (Role.INIT, Role.APP)
        and not (d.provider.sidecar is not None and d.provider.sidecar.kind == "mesh-proxy" and _holds_app_until_proxy_starts(pod))
    ]
    for dependency in _first_per_provider(unordered):
        dependent, provider = dependency.dependent, dependency.provider
        if dependent.role is Role.INIT:
            problem = (
                f"init container {dependent.label!r} {dependency.reason}, but containers[] start only "
                f"after every init container has finished, so {provider.label!r} is never there for it"
            )
        else:
            problem = (
                f"container {dependent.label!r} {dependency.reason}, but {provider.label!r} sits in "
                "containers[], where Kubernetes gives no start order, so the app may start first"
            )
        if context.kubernetes_version >= NATIVE_SIDECARS:
            fix = "make it a native sidecar (initContainers with restartPolicy: Always) with a startupProbe"
        else:
            fix = (
                "native sidecars need Kubernetes 1.29; until then list it first in containers[] with a "
                "postStart hook that waits until it is ready"
            )
        yield Violation(
            provider.field_path("name"),
            f"{problem}; {fix}",
            provider.name,
            (Related(dependency.path, f"{dependent.label!r} depends on {provider.label!r} here"),),
        )


@check(
    "sidecar-startup-probe",
    pods=PodsWith(at_least(1, Role.SIDECAR), at_least(2, Role.INIT, Role.SIDECAR, Role.APP, Role.HELPER)),
)
def sidecar_startup_probe(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    """A native sidecar that a later container depends on starts the next one before it is ready."""
    waiting = [
        d
        for d in dependencies(pod)
        if d.provider.role is Role.SIDECAR
        and "startupProbe" not in d.provider.probes
        and _declared_before(d.provider, d.dependent, pod)
    ]
    for dependency in _first_per_provider(waiting):
        provider, dependent = dependency.provider, dependency.dependent
        yield Violation(
            provider.field_path("name"),
            f"native sidecar {provider.label!r} has no startupProbe, so the kubelet starts "
            f"{dependent.label!r} as soon as its process runs, not when it is ready; "
            f"{dependent.label!r} {dependency.reason}",
            provider.name,
            (Related(dependency.path, f"{dependent.label!r} depends on {provider.label!r} here"),),
        )


@check("sidecar-declared-after-dependent", pods=PodsWith(at_least(1, Role.INIT), at_least(1, Role.SIDECAR)))
def sidecar_declared_after_dependent(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    """A regular init container that needs a native sidecar is listed before it."""
    for dependency in dependencies(pod):
        dependent, provider = dependency.dependent, dependency.provider
        if dependent.role is Role.INIT and provider.role is Role.SIDECAR and _declared_before(dependent, provider, pod):
            yield Violation(
                dependent.field_path("name"),
                f"init container {dependent.label!r} {dependency.reason}, but it is listed before "
                f"the native sidecar {provider.label!r}, which init containers start in list order, "
                "so it is not running yet; move the sidecar above it",
                dependent.name,
                (Related(provider.field_path("name"), f"native sidecar {provider.label!r} is declared here"),),
            )
