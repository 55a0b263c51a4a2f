"""Rendered manifests back to the files a person edits.

Helm writes `# Source: chart/templates/x.yaml` before each document it renders; Kustomize
writes nothing, but each object it renders comes from a document of one of its
resources, under the same kind and the name less the `namePrefix`/`nameSuffix` that the
kustomizations on the way added. A finding in a rendered document is moved to that file:
to the line of the same field when it can be found without doubt, else to the object's
line. Its position in the rendered stream is kept (`Finding.rendered`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sidecarlint.positions import Span

_SOURCE = re.compile(r"^# Source: (?P<path>\S.*?)\s*$")
_DOCUMENT_START = re.compile(r"^---(\s|$)")
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass(frozen=True)
class Origin:
    """Where a rendered document came from."""

    path: str  # the file a person edits, as it should be reported
    text: str | None = None  # its text, when it could be read
    document: int | None = None  # for Kustomize resources: the document in that file
    how: str = "helm"  # "helm", "resource", "patch" or "kustomization"


# --- Helm ----------------------------------------------------------------------------


def helm_sources(text: str) -> list[tuple[int, str]]:
    """`(line, path)` of every `# Source:` comment, 1-based lines, in order."""
    if "# Source: " not in text:
        return []
    return [
        (number, match["path"])
        for number, line in enumerate(text.splitlines(), start=1)
        if (match := _SOURCE.match(line))
    ]


def source_for_document(sources: list[tuple[int, str]], start_line: int, previous_end_line: int) -> str | None:
    """The `# Source:` that precedes a document (after the document before it ended)."""
    found = None
    for line, path in sources:
        if previous_end_line <= line < start_line:
            found = path
        elif line >= start_line:
            break
    return found


def template_position(template: str, key: Any, value: Any) -> Span | None:
    """The line of `key: value` in a template, if exactly one line has it; else None.

    A template is not YAML until it is rendered, so this is a textual search: the same key
    with the same literal value (quoted or not), or, for a collection, the key alone."""
    if not isinstance(key, str):
        return None
    if isinstance(value, (dict, list)):
        pattern = re.compile(rf"^(?P<indent>\s*(?:-\s+)?){re.escape(key)}:\s*(?:#.*)?$")
        group = "indent"
    else:
        literal = _literal(value)
        if literal is None:
            return None
        pattern = re.compile(
            rf"^\s*(?:-\s+)?{re.escape(key)}:\s+(?P<value>([\"']?){re.escape(literal)}\2)\s*(?:#.*)?$"
        )
        group = "value"
    hits = [(number, match) for number, line in enumerate(template.splitlines(), start=1) if (match := pattern.match(line))]
    if len(hits) != 1:
        return None
    number, match = hits[0]
    if group == "indent":
        column = match.end("indent") + 1
        return Span(number, column, number, column + len(key))
    return Span(number, match.start("value") + 1, number, match.end("value") + 1)


def object_line(template: str, kind: str | None) -> Span:
    """The object's line in a template: its `kind:` line, else the first line."""
    for number, line in enumerate(template.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("kind:") and (kind is None or stripped[5:].strip().strip("\"'") == kind):
            return Span(number, line.index("kind") + 1, number, len(line) + 1)
    return Span.start()


def _literal(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return None


# --- Kustomize ---------------------------------------------------------------------


@dataclass
class KustomizeIndex:
    """The documents of a kustomization's resources, by kind and rendered name."""

    root: Path
    objects: dict[tuple[str, str], Origin] = field(default_factory=dict)
    patches: list[Path] = field(default_factory=list)

    @classmethod
    def build(cls, directory: Path) -> KustomizeIndex:
        index = cls(directory)
        index._add(directory, prefix="", suffix="", seen=set())
        return index

    def _add(self, directory: Path, prefix: str, suffix: str, seen: set[Path]) -> None:
        kustomization = find_kustomization(directory)
        if kustomization is None or kustomization.resolve() in seen:
            return
        seen.add(kustomization.resolve())
        data = _read_yaml(kustomization) or {}
        if not isinstance(data, Mapping):
            return
        prefix = prefix + _text(data.get("namePrefix"))
        suffix = _text(data.get("nameSuffix")) + suffix
        for entry in [*_strings(data.get("resources")), *_strings(data.get("bases"))]:
            path = (directory / entry).resolve()
            if path.is_dir():
                self._add(path, prefix, suffix, seen)
            elif path.is_file():
                self._add_resource(path, prefix, suffix)
        for patch in _patch_files(data):
            path = (directory / patch).resolve()
            if path.is_file():
                self.patches.append(path)

    def _add_resource(self, path: Path, prefix: str, suffix: str) -> None:
        try:
            text = path.read_text(encoding="utf-8")
            documents = list(yaml.safe_load_all(text))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return
        for number, document in enumerate(documents):
            if isinstance(document, Mapping) and isinstance(document.get("metadata"), Mapping):
                name = document["metadata"].get("name")
                if isinstance(document.get("kind"), str) and isinstance(name, str):
                    key = (document["kind"], prefix + name + suffix)
                    self.objects.setdefault(key, Origin(str(path), text, number, "resource"))

    def origin_of(self, kind: str, name: str | None) -> Origin | None:
        return self.objects.get((kind, name)) if name is not None else None

    def patch_mentioning(self, container: str) -> tuple[Path, Span] | None:
        """The patch that declares a container by this name, and the line of its name."""
        pattern = re.compile(rf"^\s*-\s+name:\s+(?P<value>([\"']?){re.escape(container)}\2)\s*(?:#.*)?$")
        for patch in self.patches:
            for number, line in enumerate(patch.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
                if match := pattern.match(line):
                    return patch, Span(number, match.start("value") + 1, number, match.end("value") + 1)
        return None


def find_kustomization(directory: Path) -> Path | None:
    for name in KUSTOMIZATION_FILES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    return None


def _patch_files(data: Mapping) -> list[str]:
    files = _strings(data.get("patchesStrategicMerge"))
    for patch in data.get("patches") or ():
        if isinstance(patch, Mapping) and isinstance(patch.get("path"), str):
            files.append(patch["path"])
    return files


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None


# --- Moving a finding --------------------------------------------------------------


def attribute(finding, data: Any, origin: Origin, index: KustomizeIndex | None = None, display=str):
    """The finding moved to `origin`, remembering where it was in the rendered stream.

    `data` is the rendered document's plain data; `display` turns a path into how reports
    name files (relative to the working directory)."""
    from dataclasses import replace

    from sidecarlint.findings import RenderedLocation

    path, span = _place(finding.field_path, finding.object, data, origin, index)
    return replace(
        finding,
        path=display(path),
        span=span,
        related=(),  # they point into the rendered stream; the rendered position is kept instead
        rendered=RenderedLocation(finding.path, finding.span),
    )


def _place(field_path: tuple, obj, data: Any, origin: Origin, index: KustomizeIndex | None) -> tuple[str, Span]:
    kind = obj.kind if obj is not None else None
    if origin.how == "helm":
        if origin.text is None:
            return origin.path, Span.start()
        key = next((step for step in reversed(field_path) if isinstance(step, str)), None)
        value = _value_at(data, field_path)
        return origin.path, template_position(origin.text, key, value) or object_line(origin.text, kind)
    return _place_in_resource(field_path, data, origin, index)


def _place_in_resource(field_path: tuple, data: Any, origin: Origin, index: KustomizeIndex | None) -> tuple[str, Span]:
    from sidecarlint.load import load_text

    loaded = load_text(origin.text or "", origin.path)
    source = next((d for d in loaded.documents if d.index == origin.document), None)
    if source is None:
        return origin.path, Span.start()
    translated = _translate_containers(field_path, data, source.data)
    if translated is None:  # a container the resource does not have: a patch added it
        container = _container_name(field_path, data)
        found = index.patch_mentioning(container) if index is not None and container else None
        if found is not None:
            return str(found[0]), found[1]
        kustomization = find_kustomization(index.root) if index is not None else None
        if kustomization is not None:
            return str(kustomization), Span.start()
        return origin.path, source.span(())
    return origin.path, source.span(translated)


def _translate_containers(field_path: tuple, rendered: Any, source: Any) -> tuple | None:
    """The same path in the source document: containers found by name, not by position."""
    result: list = []
    rendered_node, source_node = rendered, source
    for position, step in enumerate(field_path):
        if isinstance(step, int) and position > 0 and field_path[position - 1] in _CONTAINER_LISTS:
            name = rendered_node[step].get("name") if _is_list_of_mappings(rendered_node, step) else None
            match = next(
                (i for i, item in enumerate(source_node or ()) if isinstance(item, Mapping) and item.get("name") == name),
                None,
            ) if isinstance(source_node, list) else None
            if match is None:
                return None
            result.append(match)
            rendered_node, source_node = rendered_node[step], source_node[match]
            continue
        result.append(step)
        rendered_node = _child(rendered_node, step)
        source_node = _child(source_node, step)
    return tuple(result)


_CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


def _container_name(field_path: tuple, data: Any) -> str | None:
    node = data
    for position, step in enumerate(field_path):
        node = _child(node, step)
        if position > 0 and field_path[position - 1] in _CONTAINER_LISTS and isinstance(node, Mapping):
            name = node.get("name")
            return name if isinstance(name, str) else None
    return None


def _is_list_of_mappings(node: Any, index: int) -> bool:
    return isinstance(node, list) and 0 <= index < len(node) and isinstance(node[index], Mapping)


def _child(node: Any, step: Any) -> Any:
    if isinstance(node, Mapping):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
        return node[step]
    return None


def _value_at(data: Any, field_path: tuple) -> Any:
    for step in field_path:
        data = _child(data, step)
    return data


def helm_origins(text: str, documents, base: Path) -> dict[int, Origin]:
    """Documents of a rendered Helm stream whose `# Source:` template exists under `base`."""
    sources = helm_sources(text)
    if not sources:
        return {}
    origins: dict[int, Origin] = {}
    previous_end, templates = 0, {}
    for document in documents:
        start = document.root.start_mark.line + 1
        source = source_for_document(sources, start, previous_end)
        previous_end = document.root.end_mark.line + 1
        if source is None:
            continue
        path = base / source
        if source not in templates:
            try:
                templates[source] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                templates[source] = None
        if templates[source] is not None:
            origins[document.index] = Origin(str(path), templates[source], None, "helm")
    return origins


def kustomize_origins(documents, index: KustomizeIndex) -> dict[int, Origin]:
    """Rendered Kustomize documents matched to the resource documents they came from."""
    origins = {}
    for document in documents:
        data = document.data
        if isinstance(data, Mapping) and isinstance(data.get("metadata"), Mapping):
            origin = index.origin_of(str(data.get("kind")), data["metadata"].get("name"))
            if origin is not None:
                origins[document.index] = origin
    return origins
