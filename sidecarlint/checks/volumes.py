"""Volume mounts against the volumes the pod defines."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping

from sidecarlint.checks import CheckContext, Violation, check
from sidecarlint.pods import PodView


@check("volume-mount-defined")
def volume_mount_defined(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    defined = pod.volume_names
    for container in pod.containers:
        for index, mount in container.list_of("volumeMounts"):
            name = mount.get("name")
            if not isinstance(name, str) or name in defined:
                continue
            close = difflib.get_close_matches(name, sorted(defined), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "; declare it under the pod's volumes"
            yield Violation(
                container.field_path("volumeMounts", index, "name"),
                f"volume mount {name!r} names a volume that the pod does not define{hint}",
                container.name,
            )
