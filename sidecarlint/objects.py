"""YAML documents to Kubernetes objects: `kind: List` and `*List` kinds expanded."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sidecarlint.load import Document


@dataclass(frozen=True)
class KubeObject:
    document: Document
    path: tuple  # where the object sits in its document: () or ("items", i)
    data: Mapping[str, Any]
    api_version: str
    kind: str
    name: str | None
    namespace: str | None


def objects_in(document: Document) -> Iterator[KubeObject]:
    """The Kubernetes objects of a document; anything else is not ours and is skipped."""
    yield from _objects(document, document.data, ())


def _objects(document: Document, data: Any, path: tuple) -> Iterator[KubeObject]:
    if not isinstance(data, Mapping):
        return
    api_version, kind = data.get("apiVersion"), data.get("kind")
    if not (isinstance(api_version, str) and isinstance(kind, str) and api_version and kind):
        return
    items = data.get("items")
    if kind.endswith("List") and isinstance(items, list):
        for index, item in enumerate(items):
            yield from _objects(document, item, path + ("items", index))
        return
    metadata = data.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    yield KubeObject(
        document=document,
        path=path,
        data=data,
        api_version=api_version,
        kind=kind,
        name=_text(metadata.get("name")),
        namespace=_text(metadata.get("namespace")),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
