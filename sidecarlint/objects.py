"""YAML documents to Kubernetes objects: `kind: List` and `*List` kinds expanded."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sidecarlint.load import Document
from sidecarlint.records import record

# For `isinstance`: a dict, which is what the loader builds, is recognised at once, without
# a call to the abstract class's check (which costs more, and a pod view makes many of them).
MAPPING_TYPES = (dict, Mapping)


@record
class KubeObject:
    document: Document
    path: tuple  # where the object sits in its document: () or ("items", i)
    data: Mapping[str, Any]
    api_version: str
    kind: str
    name: str | None
    namespace: str | None


def objects_in(document: Document) -> list[KubeObject]:
    """The Kubernetes objects of a document; anything else is not ours and is skipped."""
    found: list[KubeObject] = []
    _collect_objects(document, document.data, (), found)
    return found


def _collect_objects(document: Document, data: Any, path: tuple, found: list[KubeObject]) -> None:
    if not isinstance(data, MAPPING_TYPES):
        return
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not (isinstance(api_version, str) and isinstance(kind, str) and api_version and kind):
        return
    items = data.get("items")
    if kind.endswith("List") and isinstance(items, list):
        for index, item in enumerate(items):
            _collect_objects(document, item, path + ("items", index), found)
        return
    metadata = data.get("metadata")
    metadata = metadata if isinstance(metadata, MAPPING_TYPES) else {}
    found.append(
        KubeObject(
            document=document,
            path=path,
            data=data,
            api_version=api_version,
            kind=kind,
            name=_text(metadata.get("name")),
            namespace=_text(metadata.get("namespace")),
        )
    )


def declared_objects(data: Any, path: tuple = ()) -> Iterator[tuple[tuple, Mapping[str, Any]]]:
    """Every mapping that declares an `apiVersion` and a `kind`, whatever their types (so that
    a check can say what is wrong with them), with the items of a `*List` whose kind is text."""
    if not (isinstance(data, MAPPING_TYPES) and "apiVersion" in data and "kind" in data):
        return
    yield path, data
    kind, items = data.get("kind"), data.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        for index, item in enumerate(items):
            yield from declared_objects(item, path + ("items", index))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
