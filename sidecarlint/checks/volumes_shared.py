"""Pod volumes: emptyDirs that two containers fill without a bound, and volumes nobody mounts."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping

from sidecarlint.checks import CheckContext, Violation, check
from sidecarlint.pods import MAPPING_TYPES, Container, PodView, Role
from sidecarlint.quantities import parse_quantity


# Roles looked up once: reading an Enum member (`Role.APP`) costs more than the tests they serve.
RUNNING = (Role.SIDECAR, Role.APP, Role.HELPER)  # init containers only seed a volume
NOT_EPHEMERAL = (Role.INIT, *RUNNING)


def _mounted_by(pod: PodView, name: str, roles: tuple[Role, ...], writable: bool = False) -> list[Container]:
    found = []
    for container in pod.containers:
        if container.role not in roles:
            continue
        for _, mount in container.list_of("volumeMounts"):
            if mount.get("name") == name and not (writable and mount.get("readOnly") is True):
                found.append(container)
                break
    return found


def _names(containers: list[Container]) -> str:
    labels = [repr(c.label) for c in containers]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _storage_bounded(pod: PodView) -> bool:
    """Every container sets limits.ephemeral-storage, so the kubelet bounds the whole pod.

    "For pod-level isolation the kubelet works out an overall Pod storage limit by summing
    the limits for the containers in that Pod" and counts the pod's emptyDir volumes in it.
    """
    containers = pod.with_role(*NOT_EPHEMERAL)
    for container in containers:
        resources = container.spec.get("resources")
        limits = resources.get("limits") if isinstance(resources, MAPPING_TYPES) else None
        amount = parse_quantity(limits.get("ephemeral-storage")) if isinstance(limits, MAPPING_TYPES) else None
        if amount is None or amount <= 0:
            return False
    return bool(containers)


@check("shared-volume-size")
def shared_volume_size(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    for index, volume in pod.volumes:
        name = volume.get("name")
        if not isinstance(name, str) or "emptyDir" not in volume:
            continue
        source = volume.get("emptyDir")
        source = source if isinstance(source, MAPPING_TYPES) else {}  # `emptyDir:` with no value is {}
        if source.get("sizeLimit") is not None:
            continue
        if source.get("medium") == "Memory":
            users = _mounted_by(pod, name, NOT_EPHEMERAL)
            if users:
                yield Violation(
                    pod.field_path("volumes", index, "name"),
                    f"memory-backed emptyDir {name!r} (mounted by {_names(users)}) sets no sizeLimit: "
                    "the tmpfs may grow to the node's allocatable memory, and every file written to it "
                    "counts against the memory limit of the container that writes it",
                )
            continue
        users = _mounted_by(pod, name, RUNNING)
        if len(users) < 2 or not _mounted_by(pod, name, RUNNING, writable=True) or _storage_bounded(pod):
            continue
        yield Violation(
            pod.field_path("volumes", index, "name"),
            f"emptyDir {name!r} is shared by {_names(users)} and sets no sizeLimit: only the node's "
            "free ephemeral storage bounds what they write there, and when it runs short the "
            "kubelet evicts pods from the node",
        )


@check("volume-mounted")
def volume_mounted(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    if not pod.volumes:
        return  # no volume that nobody could mount
    used: dict[str, Container] = {}  # mounted name -> the first container that mounts it
    for container in pod.containers:
        for key in ("volumeMounts", "volumeDevices"):
            for _, item in container.list_of(key):
                name = item.get("name")
                if isinstance(name, str):
                    used.setdefault(name, container)
    stray: list[str] | None = None  # mounts naming no volume: looked for once a volume is unused
    for index, volume in pod.volumes:
        name = volume.get("name")
        if not isinstance(name, str) or name in used:
            continue
        if stray is None:
            declared = pod.volume_names
            stray = sorted(mounted for mounted in used if mounted not in declared)
        close = difflib.get_close_matches(name, stray, n=1)
        hint = (
            f"; container {used[close[0]].label!r} mounts {close[0]!r} instead, a name no volume has"
            if close
            else ": it is set up for nothing, or a mount was forgotten"
        )
        yield Violation(
            pod.field_path("volumes", index, "name"),
            f"volume {name!r} is mounted by no container (no volumeMounts or volumeDevices entry "
            f"names it){hint}",
        )
