"""Kubernetes objects to pod views: where the pod spec sits, and every container with its role.

The pod view is computed once per pod spec and shared by every rule. Fields of the wrong
shape (a `containers` that is not a list, a container that is not a mapping) are left out
here, so that no check has to defend itself against them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import field
from enum import Enum
from typing import Any, Generic, TypeVar

from sidecarlint.catalogue import Catalogue, CatalogueEntry
from sidecarlint.objects import MAPPING_TYPES, KubeObject  # MAPPING_TYPES: for the checks too
from sidecarlint.records import record
from sidecarlint.workloads import WorkloadKind

DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"
PROBE_FIELDS = ("livenessProbe", "readinessProbe", "startupProbe")
T = TypeVar("T")


class computed_once(Generic[T]):
    """A property computed on first use and then kept in the instance's `__dict__`, as
    `functools.cached_property` does, but without the lock that Python 3.11's takes on
    every first use (each pod view's containers are new, so every use here is a first)."""

    def __init__(self, function: Callable[[Any], T]):
        self.function = function
        self.name = function.__name__
        self.__doc__ = function.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> T:
        if instance is None:
            return self  # type: ignore[return-value]
        # Not a data descriptor: once stored, the instance's own value is found first.
        value = instance.__dict__[self.name] = self.function(instance)
        return value


class Role(str, Enum):
    INIT = "init"  # initContainers[], runs to completion before anything else
    SIDECAR = "sidecar"  # initContainers[] with restartPolicy: Always (native sidecar)
    APP = "app"  # containers[], the application
    HELPER = "helper"  # containers[], recognised by the catalogue (classic sidecar)
    EPHEMERAL = "ephemeral"  # ephemeralContainers[], debugging only

    def __str__(self) -> str:
        return self.value


@record
class Container:
    name: str | None
    role: Role
    path: tuple  # document path of the container's mapping
    spec: Mapping[str, Any]
    sidecar: CatalogueEntry | None = None  # what the catalogue knows it as
    # `list_of`'s answers, by key: many checks read the same lists; not part of its value.
    _lists: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def field_path(self, *keys: Any) -> tuple:
        return self.path + keys

    @property
    def label(self) -> str:
        return self.name or f"#{self.path[-1]}"

    @property
    def runs_alongside_app(self) -> bool:
        """Runs for the life of the pod: app containers, classic and native sidecars."""
        return self.role in (Role.APP, Role.HELPER, Role.SIDECAR)

    def list_of(self, key: str) -> list[tuple[int, Mapping[str, Any]]]:
        """The mapping entries of a list field (ports, volumeMounts, env), with their index.

        Computed once per container and shared, like the properties below: do not change them.
        """
        items = self._lists.get(key)
        if items is None:  # about half the calls are a container's first for its key
            items = self._lists[key] = mapping_items(self.spec.get(key))
        return items

    @computed_once
    def probes(self) -> dict[str, Mapping[str, Any]]:
        """The probes it sets, by field name (`livenessProbe`, `readinessProbe`, `startupProbe`)."""
        spec = self.spec
        return {key: spec[key] for key in PROBE_FIELDS if key in spec and isinstance(spec[key], MAPPING_TYPES)}

    @computed_once
    def command_line(self) -> list[str]:
        """`command` then `args`, the string items only."""
        words: list[str] = []
        for key in ("command", "args"):
            value = self.spec.get(key)
            if isinstance(value, list):
                words.extend(word for word in value if isinstance(word, str))
        return words


@record
class PodView:
    object: KubeObject
    workload: WorkloadKind
    path: tuple  # document path of the pod spec
    spec: Mapping[str, Any]
    containers: tuple[Container, ...]  # init containers, then containers, then ephemeral
    primary: Container | None = field(default=None)
    annotations: Mapping[str, Any] = field(default_factory=dict)  # the pod's (template's) own
    labels: Mapping[str, Any] = field(default_factory=dict)
    # What `derived` has computed from this view, by function; not part of its value.
    _derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def field_path(self, *keys: Any) -> tuple:
        return self.path + keys

    def derived(self, function: Callable[[PodView], T]) -> T:
        """`function(self)`, computed once per pod view and then shared.

        Several checks ask the same costly question of a pod (its dependencies, its log
        shippers); the view never changes, so the first answer serves them all. `function`
        must be pure, and its callers must not change what it returns.
        """
        if function in self._derived:
            return self._derived[function]
        value = self._derived[function] = function(self)
        return value

    @property
    def metadata_path(self) -> tuple:
        """Where the pod's metadata sits: beside the pod spec (the template's, or the Pod's)."""
        return self.path[:-1] + ("metadata",)

    @property
    def restart_policy(self) -> str:
        policy = self.spec.get("restartPolicy")
        return policy if isinstance(policy, str) else "Always"  # the API's default

    @property
    def runs_to_completion(self) -> bool:
        """A Job's pod, or any pod whose containers are not restarted once they succeed."""
        return self.workload.runs_to_completion or self.restart_policy in ("Never", "OnFailure")

    @computed_once
    def volumes(self) -> list[tuple[int, Mapping[str, Any]]]:
        return mapping_items(self.spec.get("volumes"))

    def with_role(self, *roles: Role) -> list[Container]:
        return [container for container in self.containers if container.role in roles]

    @computed_once
    def volume_names(self) -> frozenset[str]:
        """Volumes the pod will have: `volumes[]`, and claims a StatefulSet-like controller adds."""
        names = [item.get("name") for _, item in self.volumes]
        claims_path = self.workload.volume_claim_templates_path
        if claims_path is not None:
            for _, claim in mapping_items(get_path(self.object.data, claims_path)):
                metadata = claim.get("metadata")
                if isinstance(metadata, MAPPING_TYPES):
                    names.append(metadata.get("name"))
        return frozenset(name for name in names if isinstance(name, str))  # a list as a name is not one

    @property
    def init_containers(self) -> list[Container]:
        """Everything declared in initContainers[], regular and native sidecars, in order."""
        return self.with_role(Role.INIT, Role.SIDECAR)


def mapping_items(value: Any) -> list[tuple[int, Mapping[str, Any]]]:
    if not isinstance(value, list):
        return []
    # `dict` first: what the loader builds, and a cheaper test than the abstract Mapping.
    return [(index, item) for index, item in enumerate(value) if isinstance(item, MAPPING_TYPES)]


def pod_views(
    obj: KubeObject, kinds: Iterable[WorkloadKind], catalogue: Catalogue
) -> Iterator[PodView]:
    for kind in kinds:
        if not kind.matches(obj.api_version, obj.kind):  # a plugin's kind may match other names
            continue
        spec = get_path(obj.data, kind.pod_spec_path)
        if isinstance(spec, MAPPING_TYPES):
            yield build_pod_view(obj, kind, spec, catalogue)
        return


def build_pod_view(
    obj: KubeObject, kind: WorkloadKind, spec: Mapping[str, Any], catalogue: Catalogue
) -> PodView:
    path = obj.path + kind.pod_spec_path
    containers = tuple(_containers(spec, path, catalogue))
    metadata = get_path(obj.data, kind.pod_spec_path[:-1] + ("metadata",))
    annotations, labels = _mapping_in(metadata, "annotations"), _mapping_in(metadata, "labels")
    return PodView(obj, kind, path, spec, containers, _primary(containers, annotations), annotations, labels)


def _containers(spec: Mapping, path: tuple, catalogue: Catalogue) -> Iterator[Container]:
    for list_name in ("initContainers", "containers", "ephemeralContainers"):
        for index, item in mapping_items(spec.get(list_name)):
            name = item.get("name")
            name = name if isinstance(name, str) else None
            role = _role(list_name, item)
            sidecar = None
            if role is not Role.EPHEMERAL:
                sidecar = catalogue.identify(item.get("image"), name)
                if role is Role.APP and sidecar is not None:
                    role = Role.HELPER
            yield Container(name, role, path + (list_name, index), item, sidecar)


def _role(list_name: str, container: Mapping) -> Role:
    if list_name == "initContainers":
        return Role.SIDECAR if container.get("restartPolicy") == "Always" else Role.INIT
    if list_name == "ephemeralContainers":
        return Role.EPHEMERAL
    return Role.APP


def _primary(containers: tuple[Container, ...], annotations: Mapping) -> Container | None:
    """The container named by kubectl's default-container annotation, else the first app."""
    regular = [c for c in containers if c.role in (Role.APP, Role.HELPER)]
    wanted = annotations.get(DEFAULT_CONTAINER_ANNOTATION)
    for container in regular:
        if wanted is not None and container.name == wanted:
            return container
    apps = [c for c in regular if c.role is Role.APP]
    return apps[0] if apps else (regular[0] if regular else None)


def _mapping_in(metadata: Any, key: str) -> Mapping:
    """Annotations or labels of the pod, from its metadata (the template's, or a bare Pod's own)."""
    value = metadata.get(key) if isinstance(metadata, MAPPING_TYPES) else None
    return value if isinstance(value, MAPPING_TYPES) else {}


def get_path(data: Any, path: tuple) -> Any:
    """The value at `path` in plain data, or None where the path leaves the mappings."""
    for key in path:
        if not isinstance(data, MAPPING_TYPES):
            return None
        data = data.get(key)
    return data
