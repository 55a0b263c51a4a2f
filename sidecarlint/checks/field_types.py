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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sidecarlint import workloads
from sidecarlint.checks import CheckContext, Violation, check
from sidecarlint.load import Document
from sidecarlint.objects import declared_objects
from sidecarlint.pods import MAPPING_TYPES, PodView, get_path

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
    metadata_misfits: list[_Misfit] = []
    data = pod.object.document.data
    object_metadata_path = pod.object.path + ("metadata",)
    _check(get_path(data, object_metadata_path), _OBJECT_META, object_metadata_path, metadata_misfits)
    template_metadata_path = pod.metadata_path
    if template_metadata_path != object_metadata_path:
        _check(get_path(data, template_metadata_path), _OBJECT_META, template_metadata_path, metadata_misfits)
    spec_misfits: list[_Misfit] = []
    _POD_SPEC.inside(pod.spec, pod.path, spec_misfits)
    if not (metadata_misfits or spec_misfits):  # almost every pod: nothing to put in words
        return iter(())
    return iter(_violations(pod, metadata_misfits, spec_misfits))


# A value that its field's type cannot hold: (the value, the type, its path).
_Misfit = tuple[Any, Type, tuple]
# Adds to a list the misfits inside a value (at a path) of the type it was made for.
_Walk = Callable[[Any, tuple, list], None]


class _Plan(NamedTuple):
    """What checking a value against a `Type` needs, worked out once, when the module is
    loaded: every field of every pod is checked, so the walk makes no lookup by kind and no
    call for a value that a class test settles (a string, the most common, above all)."""

    expected: Type
    classes: type | tuple[type, ...]  # a value of none of these never fits
    refine: Callable[[Any], bool] | None  # must also pass this: an integer's range, a quantity's grammar
    inside: _Walk | None  # checks its items or fields; None when none is typed (a probe)


def _plan(expected: Type) -> _Plan:
    return _Plan(expected, _CLASSES[expected.kind], _REFINE.get(expected.kind), _inside_walk(expected))


def _inside_walk(expected: Type) -> _Walk | None:
    if expected.items is not None and expected.kind in _COLLECTIONS:
        item = _plan(expected.items)
        if expected.kind == "list" and _is_struct(expected.items):
            return _structs_walk(item, _field_plans(expected.items))
        return _items_walk(enumerate if expected.kind == "list" else dict.items, item)
    if expected.kind == "mapping" and expected.fields:
        return _fields_walk(_field_plans(expected))
    return None


def _is_struct(expected: Type) -> bool:
    return expected.kind == "mapping" and expected.items is None and bool(expected.fields)


def _field_plans(struct: Type) -> tuple[tuple, ...]:
    """(key, *plan) for each field of `struct`, in the order of the table: that of the findings."""
    return tuple((key, *_plan(field_type)) for key, field_type in struct.fields.items())


def _check(value: Any, plan: _Plan, path: tuple, misfits: list[_Misfit]) -> None:
    """Adds to `misfits` the parts of `value` (at `path`) that do not fit the planned type;
    the first misfit of each branch only, as the API server stops at it. Nulls are skipped,
    here and in the walks: they decode to zero values."""
    expected, classes, refine, inside = plan
    if value is None:
        return
    if isinstance(value, classes) and (refine is None or refine(value)):
        if inside is not None:
            inside(value, path, misfits)
    else:
        misfits.append((value, expected, path))


# The walks below test each child as `_check` does, in their own loop rather than by calling
# it: a pod has some 150 of them. A path is made only for a child that is entered or misfits.
# `struct.get(key)` rather than a `get` bound once: CPython calls a method named at the call
# faster.


def _fields_walk(fields: tuple[tuple, ...]) -> _Walk:
    """The walk over a struct's fields (`_field_plans`)."""

    def walk(value: Any, path: tuple, misfits: list[_Misfit]) -> None:
        for key, expected, classes, refine, inside in fields:
            item = value.get(key)
            if item is None:
                continue
            if isinstance(item, classes) and (refine is None or refine(item)):
                if inside is not None:
                    inside(item, path + (key,), misfits)
            else:
                misfits.append((item, expected, path + (key,)))

    return walk


def _structs_walk(struct: _Plan, fields: tuple[tuple, ...]) -> _Walk:
    """The walk over a list of structs (containers, ports, env, volumeMounts, volumes), each
    struct's fields in the same loop: these lists make up most of a pod."""
    struct_type, struct_classes = struct.expected, struct.classes

    def walk(value: Any, path: tuple, misfits: list[_Misfit]) -> None:
        for index, entry in enumerate(value):
            if entry is None:
                continue
            if not isinstance(entry, struct_classes):
                misfits.append((entry, struct_type, path + (index,)))
                continue
            for key, expected, classes, refine, inside in fields:
                item = entry.get(key)
                if item is None:
                    continue
                if isinstance(item, classes) and (refine is None or refine(item)):
                    if inside is not None:
                        inside(item, path + (index, key), misfits)
                else:
                    misfits.append((item, expected, path + (index, key)))

    return walk


def _items_walk(pairs: Callable[[Any], Iterable[tuple[Any, Any]]], item: _Plan) -> _Walk:
    """The walk over any other list's items (`pairs` is `enumerate`) or a mapping's values
    (`dict.items`)."""
    expected, classes, refine, inside = item

    def walk(value: Any, path: tuple, misfits: list[_Misfit]) -> None:
        for key, entry in pairs(value):
            if entry is None:
                continue
            if isinstance(entry, classes) and (refine is None or refine(entry)):
                if inside is not None:
                    inside(entry, path + (key,), misfits)
            else:
                misfits.append((entry, expected, path + (key,)))

    return walk


def _violations(pod: PodView, metadata_misfits: list[_Misfit], spec_misfits: list[_Misfit]) -> list[Violation]:
    """The misfits in words; one in the pod spec names its container, if it is in one."""
    base, kind = pod.object.path, pod.object.kind
    names = {container.path: container.name for container in pod.containers}
    return [
        Violation(path, _message(value, expected, path[len(base):], kind), _container(path, container_names))
        for misfits, container_names in ((metadata_misfits, None), (spec_misfits, names))
        for value, expected, path in misfits
    ]


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


class _QuantityMemo(dict):
    """`_fits_quantity`, remembered for short strings: a run meets the same few quantities
    (`100m`, `256Mi`) thousands of times, and a lookup costs far less than the regular
    expression. Only strings are kept (so `True` never meets a remembered `1`), only short
    ones, and the memo is emptied when full: memory stays bounded whatever the files hold."""

    MAX_CHARS = 64
    MAX_ENTRIES = 4096

    def __missing__(self, value: Any) -> bool:
        fits = _fits_quantity(value)
        if isinstance(value, str) and len(value) <= self.MAX_CHARS:
            if len(self) >= self.MAX_ENTRIES:
                self.clear()
            self[value] = fits
        return fits


_STRING_TYPES = (str, bytes, datetime.date)  # dates and !!binary arrive as strings
# The classes whose values may fit a kind of type. The loader builds plain dicts and lists.
_CLASSES: dict[str, type | tuple[type, ...]] = {
    "string": _STRING_TYPES,
    "integer": (int, float),
    "boolean": bool,
    "quantity": (str, int, float),
    "list": list,
    "mapping": dict,
}
# The kinds whose values must also pass a test of their own. The memo is a dict, looked up
# without a call into Python for a quantity already met.
_REFINE: dict[str, Callable[[Any], bool]] = {"integer": _fits_integer, "quantity": _QuantityMemo().__getitem__}
_COLLECTIONS = ("list", "mapping")  # the kinds with items or fields inside
_POD_SPEC = _plan(struct("a mapping", "PodSpec", **POD_SPEC_FIELDS))
_OBJECT_META = _plan(OBJECT_META)


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
def _builtin_kinds() -> dict[str, tuple]:
    """sidecarlint's own workload kinds by the name of their kind: the only ones a kind can
    match (`WorkloadKind.matches` compares it first), so each object tries one or two."""
    by_kind: dict[str, tuple] = {}
    for workload in workloads.sidecarlint_workload_kinds():
        by_kind[workload.kind] = by_kind.get(workload.kind, ()) + (workload,)
    return by_kind


def _object_problems(document, path: tuple, data: Mapping, kinds) -> Iterator[Violation]:
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not (isinstance(api_version, str) and isinstance(kind, str)):
        for key, value in (("apiVersion", api_version), ("kind", kind)):
            if value is not None and not isinstance(value, str):
                yield _violation(
                    document, path + (key,),
                    f"{key} must be a string, not {describe(value)}: kubectl and the API server cannot tell "
                    "what kind of object this is",
                )
        return
    items = data.get("items")
    if kind.endswith("List") and items is not None and not isinstance(items, list):
        yield _violation(document, path + ("items",), f"items must be a list of objects, not {describe(items)}")
    for workload in kinds.get(kind, ()):
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
        if not isinstance(value, MAPPING_TYPES):
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
