"""Fields whose YAML type Kubernetes cannot decode: a `containers` that is a string, a port
given as `"80"`, an annotation given as a number.

The API server decodes a manifest into the Go types of k8s.io/api (core/v1/types.go,
apps/v1, batch/v1) before it validates anything, and a value of the wrong JSON type fails
that decoding as a whole (`json: cannot unmarshal string into Go struct field
ContainerPort.spec.containers.ports.containerPort of type int32`). The tables below hold
the types of the fields that sidecarlint's rules read. `null` is never wrong here: it
decodes to the field's zero value, and whether the field is required is validation's
business, not decoding's. Numbers are right for quantities (resource.Quantity's
UnmarshalJSON reads a bare number: `memory: 512` is 512 bytes), and a YAML date or
`!!binary` value reaches the API server as a string.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sidecarlint import workloads
from sidecarlint.checks import CheckContext, Violation, check
from sidecarlint.load import Document
from sidecarlint.objects import declared_objects
from sidecarlint.pods import PodView, get_path

INT32 = (-(2**31), 2**31 - 1)
# resource.Quantity's grammar (apimachinery pkg/api/resource/quantity.go): a signed decimal
# number, then a binary suffix (Ki ... Ei), a decimal one (n u m k M G T P E) or an integer
# exponent (e3, E-2). UnmarshalJSON trims the spaces around it.
_QUANTITY = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+|[KMGTPE]i|[numkMGTPE])?")


@dataclass(frozen=True)
class Type:
    """A field's type: what it must be (`expected`, as a reader says it) and its Go type."""

    expected: str
    go: str
    kind: str  # "string" | "integer" | "boolean" | "quantity" | "list" | "mapping"
    items: Type | None = None  # list items, or the values of a mapping with free keys
    fields: Mapping[str, Type] = field(default_factory=dict)  # a struct's fields


STRING = Type("a string", "string", "string")
INTEGER = Type("an integer", "int32", "integer")
BOOLEAN = Type("true or false", "bool", "boolean")
QUANTITY = Type("a quantity such as 500m or 1Gi", "resource.Quantity", "quantity")
STRINGS = Type("a list of strings", "[]string", "list", STRING)
STRING_MAP = Type("a mapping of strings", "map[string]string", "mapping", STRING)
RESOURCE_LIST = Type("a mapping of quantities", "ResourceList", "mapping", QUANTITY)
_PLAIN_GO_TYPES = ("string", "bool")  # not worth naming after "a string", "true or false"


def struct(expected: str, go: str, **fields: Type) -> Type:
    return Type(expected, go, "mapping", fields=fields)


def list_of(expected: str, item: Type) -> Type:
    return Type(expected, f"[]{item.go}", "list", item)


PORT = struct(
    "a mapping", "ContainerPort",
    containerPort=INTEGER, hostPort=INTEGER, protocol=STRING, name=STRING, hostIP=STRING,
)
ENV_VAR = struct("a mapping", "EnvVar", name=STRING, value=STRING)
VOLUME_MOUNT = struct("a mapping", "VolumeMount", name=STRING, mountPath=STRING, readOnly=BOOLEAN)
PROBE = struct("a mapping", "Probe")
CONTAINER = struct(
    "a mapping", "Container",
    name=STRING, image=STRING, restartPolicy=STRING, command=STRINGS, args=STRINGS,
    ports=list_of("a list", PORT),
    env=list_of("a list", ENV_VAR),
    volumeMounts=list_of("a list", VOLUME_MOUNT),
    resources=struct("a mapping", "ResourceRequirements", requests=RESOURCE_LIST, limits=RESOURCE_LIST),
    livenessProbe=PROBE, readinessProbe=PROBE, startupProbe=PROBE,
    lifecycle=struct("a mapping", "Lifecycle"),
)
VOLUME = struct(
    "a mapping", "Volume",
    name=STRING,
    emptyDir=struct("a mapping", "EmptyDirVolumeSource", medium=STRING, sizeLimit=QUANTITY),
)
POD_SPEC_FIELDS = {
    "initContainers": list_of("a list", CONTAINER),
    "containers": list_of("a list", CONTAINER),
    "ephemeralContainers": list_of("a list", Type("a mapping", "EphemeralContainer", "mapping", fields=CONTAINER.fields)),
    "volumes": list_of("a list", VOLUME),
    "restartPolicy": STRING,
}
OBJECT_META = struct(
    "a mapping", "ObjectMeta",
    name=STRING, namespace=STRING, generateName=STRING, labels=STRING_MAP, annotations=STRING_MAP,
)


@check("field-types")
def field_types(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    """The pod spec's fields, its containers', and the metadata of the object and its pod template."""
    kind = pod.object.kind
    found: list[Violation] = []
    metadata_paths = [pod.object.path + ("metadata",)]
    if pod.metadata_path != metadata_paths[0]:
        metadata_paths.append(pod.metadata_path)
    for path in metadata_paths:
        value = get_path(pod.object.document.data, path)
        if value is not None:
            _check(value, OBJECT_META, path, _Where(pod.object.path, kind, None), found)
    where = _Where(pod.object.path, kind, {container.path: container.name for container in pod.containers})
    for name, field_type in POD_SPEC_FIELDS.items():
        value = pod.spec.get(name)
        if value is not None:
            _check(value, field_type, pod.path + (name,), where, found)
    return iter(found)


@dataclass(frozen=True)
class _Where:
    """What a misfit's message and container come from: the object's path and kind, and
    the containers' names by path."""

    base: tuple
    kind: str
    names: Mapping[tuple, str] | None


def _check(value: Any, expected: Type, path: tuple, where: _Where, found: list[Violation]) -> None:
    """Adds to `found` the fields of `value` (at `path`, not None) that do not fit `expected`;
    the first misfit of each branch only, as the API server stops at it."""
    if _FITS[expected.kind](value):
        _check_inside(value, expected, path, where, found)
    else:
        found.append(_misfit(value, expected, path, where))


def _check_inside(value: Any, expected: Type, path: tuple, where: _Where, found: list[Violation]) -> None:
    """Adds to `found` the misfits among the items or fields of `value`, which fits `expected`.

    Every field of every pod passes here: each child is tested in this loop (a string, the
    most common, without a call), and only a collection that fits is descended into; the
    path is made only for the few children that need it. Nulls are skipped: they decode to
    zero values."""
    items = expected.items
    if items is not None and expected.kind in _COLLECTIONS:
        children = enumerate(value) if expected.kind == "list" else value.items()
        for key, item in children:
            if item is not None and not (items is STRING and isinstance(item, _STRING_TYPES)):
                _check_child(item, items, path, key, where, found)
    elif expected.kind == "mapping":
        for key, field_type in expected.fields.items():
            item = value.get(key)
            if item is not None and not (field_type is STRING and isinstance(item, _STRING_TYPES)):
                _check_child(item, field_type, path, key, where, found)


def _check_child(item: Any, expected: Type, path: tuple, key: Any, where: _Where, found: list[Violation]) -> None:
    if not _FITS[expected.kind](item):
        found.append(_misfit(item, expected, path + (key,), where))
    elif expected.kind in _COLLECTIONS:
        _check_inside(item, expected, path + (key,), where, found)


def _misfit(value: Any, expected: Type, path: tuple, where: _Where) -> Violation:
    message = _message(value, expected, path[len(where.base):], where.kind)
    return Violation(path, message, _container(path, where.names))


def _fits_integer(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return False
    return INT32[0] <= value <= INT32[1]


def _fits_quantity(value: Any) -> bool:
    if isinstance(value, str):
        return _QUANTITY.fullmatch(value.strip()) is not None
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


_STRING_TYPES = (str, bytes, datetime.date)  # dates and !!binary arrive as strings
# Whether a value (never None) fits a kind of type. The loader builds plain dicts and lists.
_FITS = {
    "string": lambda value: isinstance(value, _STRING_TYPES),
    "integer": _fits_integer,
    "boolean": lambda value: isinstance(value, bool),
    "quantity": _fits_quantity,
    "list": lambda value: isinstance(value, list),
    "mapping": lambda value: isinstance(value, dict),
}
_COLLECTIONS = ("list", "mapping")  # the kinds with items or fields inside


def describe(value: Any) -> str:
    """What a YAML value is, in the words of a reader of the manifest."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, (int, float)):
        return f"{value!r} (a number)" if math.isfinite(value) else f"{value!r} (a number JSON cannot hold)"
    if isinstance(value, str):
        return f"{_short(value)!r} (a string)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, datetime.date):
        return f"{value.isoformat()} (a date)"
    return type(value).__name__


def _message(value: Any, expected: Type, relative: tuple, kind: str) -> str:
    where = field_label(relative)
    hint = ""
    if expected.kind == "string" and isinstance(value, (bool, int, float)):
        hint = "; quote it to make it a string"
    elif expected.kind == "integer" and isinstance(value, str) and value.strip().isdigit():
        hint = "; write it without quotes"
    go = "" if expected.go in _PLAIN_GO_TYPES else f" ({expected.go})"
    return f"{where} must be {expected.expected}{go}, not {describe(value)}: the API server cannot decode the {kind}{hint}"


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def field_label(path: tuple) -> str:
    """`spec.containers[0].ports[1].containerPort`, `metadata.annotations[prometheus.io/port]`,
    as the API server names fields (a key that is not a plain word goes in brackets)."""
    label = ""
    for step in path:
        if isinstance(step, str) and _IDENTIFIER.fullmatch(step):
            label += f".{step}" if label else step
        else:
            label += f"[{step}]"
    return label or "the object"


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _container(path: tuple, names) -> str | None:
    if not names:
        return None
    for length in range(len(path), 1, -1):
        if path[:length] in names:
            return names[path[:length]]
    return None


# The object around the pod spec: what keeps it from being recognised or its pod spec from
# being reached. Only the kinds sidecarlint knows by itself are followed to their pod spec.


@check("object-types", scope="document")
def object_types(document: Document, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    for path, data in declared_objects(document.data):
        yield from _object_problems(document, path, data, _builtin_kinds())


@functools.cache
def _builtin_kinds() -> tuple:
    return tuple(workloads.sidecarlint_workload_kinds())


def _object_problems(document, path: tuple, data: Mapping, kinds) -> Iterator[Violation]:
    api_version, kind = data.get("apiVersion"), data.get("kind")
    for key, value in (("apiVersion", api_version), ("kind", kind)):
        if value is not None and not isinstance(value, str):
            yield _violation(
                document, path + (key,),
                f"{key} must be a string, not {describe(value)}: kubectl and the API server cannot tell "
                "what kind of object this is",
            )
    if not (isinstance(api_version, str) and isinstance(kind, str)):
        return
    items = data.get("items")
    if kind.endswith("List") and items is not None and not isinstance(items, list):
        yield _violation(document, path + ("items",), f"items must be a list of objects, not {describe(items)}")
    for workload in kinds:
        if workload.matches(api_version, kind):
            yield from _pod_spec_path_problems(document, path, data, workload, kind)
            return


def _pod_spec_path_problems(document, path: tuple, data: Mapping, workload, kind: str) -> Iterator[Violation]:
    value: Any = data
    steps = workload.pod_spec_path
    for depth, step in enumerate(steps):
        value = value.get(step)
        if value is None:
            return
        if not isinstance(value, Mapping):
            go = _go_type(kind, steps[: depth + 1], len(steps))
            yield _violation(
                document, path + steps[: depth + 1],
                f"{field_label(steps[: depth + 1])} must be a mapping ({go}), not {describe(value)}: "
                f"the API server cannot decode the {kind}",
            )
            return


def _go_type(kind: str, steps: tuple, total: int) -> str:
    if len(steps) == total:
        return "PodSpec"
    return {"template": "PodTemplateSpec", "jobTemplate": "JobTemplateSpec"}.get(
        steps[-1], "JobSpec" if "jobTemplate" in steps else f"{kind}Spec"
    )


def _violation(document, path: tuple, message: str) -> Violation:
    return Violation(path, message, span=document.span(path), document=document.index)
