"""Rendered manifests back to the files a person edits.

Helm writes `# Source: chart/templates/x.yaml` before each document it renders; Kustomize
writes nothing, but each object it renders comes from a document of one of its
resources, under the same kind and the name less the `namePrefix`/`nameSuffix` that the
kustomizations on the way added. A finding in a rendered document is moved to that file:
to the line of the same field when it can be found without doubt, else to the object's
line. Its position in the rendered stream is kept (`Finding.rendered`).

The engine asks `attributor_for(source, raw)` once per source (None for an ordinary file)
and calls the attributor's `attribute(document, findings)` once per document, in stream
order, while the document's data and nodes are alive. See docs/rendering.md.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import yaml

from sidecarlint.positions import Span

_RARE_LINE_BREAKS = ("\r", "\x85", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")  # str.splitlines's too
_SOURCE_PREFIX = "# Source: "
_SOURCE = re.compile(r"^# Source: (?P<path>\S.*?)\s*$")
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
    if _SOURCE_PREFIX not in text:
        return []
    if any(mark in text for mark in _RARE_LINE_BREAKS):  # line numbers as YAML counts them
        return [
            (number, match["path"])
            for number, line in enumerate(text.splitlines(), start=1)
            if (match := _SOURCE.match(line))
        ]
    # A plain search, not a regular expression: `^` in MULTILINE mode is tried at every
    # character of the file, and a file of a thousand lines holds a few of these comments.
    found, line, counted, start = [], 1, 0, text.find(_SOURCE_PREFIX)
    while start >= 0:
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        path = text[start + len(_SOURCE_PREFIX) : end]
        if (start == 0 or text[start - 1] == "\n") and path[:1] and not path[0].isspace():
            line += text.count("\n", counted, start)
            counted = start
            found.append((line, path.rstrip()))
        start = text.find(_SOURCE_PREFIX, end)
    return found


def source_for_document(sources: list[tuple[int, str]], start_line: int, previous_end_line: int) -> str | None:
    """The `# Source:` that precedes a document (after the document before it ended)."""
    found = None
    for line, path in sources:
        if previous_end_line <= line < start_line:
            found = path
        elif line >= start_line:
            break
    return found


def template_position(template: str, key: Any, value: Any, keys: tuple | None = None) -> Span | None:
    """The line of `key: value` in a template, if exactly one line has it; else None.

    A template is not YAML until it is rendered, so this is a textual search: the same key
    with the same literal value (quoted or not), or, for a collection, the key alone. With
    `keys` (the mapping keys from the document's root to `key`), only lines whose keys by
    indentation are those count."""
    if not isinstance(key, str):
        return None
    if isinstance(value, (dict, list)):
        tail = r"(?:\s*(?:#.*)?$|\s+[\[{])" if keys is not None else r"\s*(?:#.*)?$"
        pattern = re.compile(rf"^(?P<indent>\s*(?:-\s+)?){re.escape(key)}:{tail}")
        group = "indent"
    else:
        literal = _literal(value)
        if literal is None:
            return None
        pattern = re.compile(
            rf"^\s*(?:-\s+)?{re.escape(key)}:\s+(?P<value>([\"']?){re.escape(literal)}\2)\s*(?:#.*)?$"
        )
        group = "value"
    lines = template.splitlines()
    hits = [(number, match) for number, line in enumerate(lines, start=1) if (match := pattern.match(line))]
    if keys is not None:
        hits = [(number, match) for number, match in hits if key_chain(lines, number - 1) == keys]
    if len(hits) != 1:
        return None
    number, match = hits[0]
    if group == "indent":
        column = match.end("indent") + 1
        return Span(number, column, number, column + len(key))
    return Span(number, match.start("value") + 1, number, match.end("value") + 1)


_KEY_LINE = re.compile(r"^(?P<indent> *)(?P<dash>-\s+)?(?P<quote>[\"']?)(?P<key>[\w./-]+)(?P=quote):(?:\s|$)")


def key_chain(lines: list[str], number: int) -> tuple[str, ...] | None:
    """The mapping keys from the root to the key on line `number` (0-based), read from
    indentation the way YAML block style nests; None when the line holds no key."""
    match = _KEY_LINE.match(lines[number])
    if match is None:
        return None
    chain = [match["key"]]
    # A key's parent sits less indented; a list item's `- ` opens a mapping whose parent is
    # the key above the dash.
    threshold = len(match["indent"]) if match["dash"] else match.start("quote")
    for line in reversed(lines[:number]):
        if threshold == 0:
            break
        above = _KEY_LINE.match(line)
        if above is None:
            continue
        key_column = above.start("quote")
        if key_column < threshold:
            chain.append(above["key"])
            threshold = len(above["indent"]) if above["dash"] else key_column
        elif above["dash"] and len(above["indent"]) < threshold:
            threshold = len(above["indent"])
    return tuple(reversed(chain))


def helm_position(template: str, field_path: tuple, data: Any, kind: str | None, occurrence: int = 0) -> Span:
    """Where a rendered field is in its template: the field itself when one line holds the
    same key path and literal value, else the nearest enclosing field found so (a
    container's `- name:`, a collection's key), else the object's `kind:` line."""
    offset, segment = _template_segment(template, kind, occurrence)
    for path in _enclosing_paths(field_path, data):
        keys = tuple(step for step in path if isinstance(step, str))
        span = template_position(segment, path[-1], _value_at(data, path), keys)
        if span is not None:
            return _shifted(span, offset)
    return _shifted(object_line(segment, kind), offset)


def _enclosing_paths(field_path: tuple, data: Any):
    """`field_path`, then each shorter path that ends at a key, or at a named list item's name."""
    for length in range(len(field_path), 1, -1):
        path = field_path[:length]
        if isinstance(path[-1], str):
            yield path
        elif isinstance(_value_at(data, path), Mapping) and isinstance(_value_at(data, path).get("name"), str):
            yield path + ("name",)


_DOCUMENT_SEPARATOR = re.compile(r"^---(?:\s.*)?$")


def _template_segment(template: str, kind: str | None, occurrence: int) -> tuple[int, str]:
    """The document of a template that rendered the object, as (lines before it, its text):
    the only one of its kind, else the `occurrence`-th when it is of that kind, else all."""
    lines = template.splitlines(keepends=True)
    starts = [0] + [number + 1 for number, line in enumerate(lines) if _DOCUMENT_SEPARATOR.match(line)]
    if len(starts) == 1:
        return 0, template
    segments = [(start, "".join(lines[start:end])) for start, end in zip(starts, [*starts[1:], len(lines)])]
    if kind is None:
        return 0, template
    kind_line = re.compile(rf"^kind:\s*([\"']?){re.escape(kind)}\1\s*(?:#.*)?$", re.MULTILINE)
    of_kind = [segment for segment in segments if kind_line.search(segment[1])]
    if len(of_kind) == 1:
        return of_kind[0]
    if occurrence < len(segments) and segments[occurrence] in of_kind:
        return segments[occurrence]
    return 0, template


def _shifted(span: Span, lines: int) -> Span:
    return Span(span.line + lines, span.column, span.end_line + lines, span.end_column)


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
        data = read_yaml_file(kustomization) or {}
        if not isinstance(data, Mapping):
            return
        prefix = prefix + _text(data.get("namePrefix"))
        suffix = _text(data.get("nameSuffix")) + suffix
        for entry in [*_strings(data.get("resources")), *_strings(data.get("bases")), *_strings(data.get("components"))]:
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
        except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
            return
        for number, document in enumerate(documents):
            if isinstance(document, Mapping) and isinstance(document.get("metadata"), Mapping):
                name = document["metadata"].get("name")
                if isinstance(document.get("kind"), str) and isinstance(name, str):
                    key = (document["kind"], prefix + name + suffix)
                    self.objects.setdefault(key, Origin(str(path), text, number, "resource"))

    def origin_of(self, kind: str, name: str | None) -> Origin | None:
        return self.objects.get((kind, name)) if name is not None else None


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


def read_yaml_file(path: Path, limit: int = 1024 * 1024) -> Any:
    """A small YAML file's data (a kustomization), or None when it cannot be read as one."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
        if len(raw) > limit:
            return None
        return yaml.safe_load(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None


# --- Moving a finding --------------------------------------------------------------


def attribute(finding, data: Any, origin: Origin, display=str, occurrence: int = 0):
    """The finding moved to the Helm template `origin`, remembering where it was in the
    rendered stream. `data` is the rendered document's plain data; `display` turns a path
    into how reports name files (relative to the working directory)."""
    kind = finding.object.kind if finding.object is not None else None
    span = helm_position(origin.text, finding.field_path, data, kind, occurrence) if origin.text else Span.start()
    return moved(finding, display(origin.path), span)


def moved(finding, path: str, span: Span, message: str | None = None):
    from sidecarlint.findings import RenderedLocation

    return replace(
        finding,
        path=path,
        span=span,
        message=finding.message if message is None else message,
        related=(),  # they point into the rendered stream; the rendered position is kept instead
        rendered=RenderedLocation(finding.path, finding.span),
    )


# --- Attributors: what the engine calls, once per document, in stream order --------


class Attributor(Protocol):
    def attribute(self, document, findings: list) -> list:
        """The findings about `document` (after suppressions), moved where they belong."""


def attributor_for(source, raw: bytes) -> Attributor | None:
    """How to attribute the findings of this source, or None for an ordinary file (cheap:
    a file without `# Source: ` comments costs one search of its bytes)."""
    render = getattr(source, "render", None)
    if render is not None and render.tool == "kustomize":
        return KustomizeAttributor(Path(render.directory))
    if b"# Source: " not in raw:
        return None
    sources = helm_sources(raw.decode("utf-8", errors="replace"))
    return HelmAttributor(sources, functools.partial(helm_bases, source)) if sources else None


def helm_bases(source) -> list[Path]:
    """Where the chart of `# Source: chart/templates/x.yaml` may be: the rendered chart;
    else the directory of the file (or of --stdin-filename), then the working directory."""
    render = getattr(source, "render", None)
    if render is not None:
        return [Path(render.directory)]
    named = source.path if source.path is not None else getattr(source, "stdin_name", None)
    return list(_bases_beside((os.path.dirname(named) or ".") if named else None))


@functools.lru_cache(maxsize=256)
def _bases_beside(directory: str | None) -> tuple[Path, ...]:
    """The directory of a rendered file, then the working directory (the same for every
    file of a directory: worked out once)."""
    bases = [Path(directory)] if directory is not None else []
    return (*bases, Path(".")) if Path(".") not in bases else tuple(bases)


def template_file(source_path: str, bases) -> Path | None:
    """The template a `# Source:` names. Helm writes the chart's name, then the path inside
    the chart (`shop/templates/x.yaml`); a base that is that chart (its Chart.yaml has that
    name) holds `templates/x.yaml`, any other base may hold `shop/templates/x.yaml`."""
    return _template_file(source_path, tuple(bases), os.getcwd())


# Files do not change during a run, and rendered streams committed to a repository (whose
# templates are elsewhere, or gone) name the same few templates again and again. The
# working directory is part of each key: a base may be relative (`.`).
@functools.lru_cache(maxsize=1024)
def _template_file(source_path: str, bases: tuple[Path, ...], cwd: str) -> Path | None:
    plain = not source_path.startswith(("/", ".")) and "\\" not in source_path
    if plain and not _may_hold(source_path.split("/", 1)[0], bases, cwd):
        return None  # the usual answer for streams committed without their chart, found without pathlib
    parts = Path(source_path).parts
    if not parts or Path(source_path).is_absolute() or ".." in parts:
        return None  # only paths inside a chart: a stream must not lead the linter elsewhere
    for base in bases:
        chart = _chart_name(base, cwd)
        if chart == parts[0] and len(parts) > 1:
            candidate = base.joinpath(*parts[1:])
            if candidate.is_file():
                return candidate
        if parts[0] in _entries(base, cwd):  # one listing a directory, not a stat a template
            candidate = base / source_path
            if candidate.is_file():
                return candidate
    return None


def _may_hold(first: str, bases: tuple[Path, ...], cwd: str) -> bool:
    """Whether a base is the chart named `first` or holds an entry of that name: what
    `_template_file` needs of a path's first part (which, for a path that starts with
    neither `/` nor `.` and holds no `\\`, is the text before its first `/`)."""
    return any(first == _chart_name(base, cwd) or first in _entries(base, cwd) for base in bases)


@functools.lru_cache(maxsize=256)
def _entries(directory: Path, cwd: str) -> frozenset[str]:
    try:
        return frozenset(os.listdir(directory))
    except OSError:
        return frozenset()


@functools.lru_cache(maxsize=256)
def _chart_name(directory: Path, cwd: str) -> Any:
    chart = read_yaml_file(directory / "Chart.yaml")
    return chart.get("name") if isinstance(chart, Mapping) else None


class HelmAttributor:
    """A Helm stream's documents to the templates their `# Source:` comments name."""

    def __init__(self, sources: list[tuple[int, str]], bases: list[Path] | Callable[[], list[Path]]):
        self.sources = sources
        self._bases = bases  # or what finds them: only a document with findings needs them
        self.previous_end = 0
        self.origins: dict[str, Origin | None] = {}
        self.seen: dict[str, int] = {}  # documents rendered so far from each template

    @functools.cached_property
    def bases(self) -> list[Path]:
        return self._bases() if callable(self._bases) else self._bases

    def attribute(self, document, findings: list) -> list:
        start = document.root.start_mark.line + 1
        source = source_for_document(self.sources, start, self.previous_end)
        self.previous_end = document.root.end_mark.line + 1
        if source is None:
            return findings
        occurrence = self.seen.get(source, 0)
        self.seen[source] = occurrence + 1
        if not findings:  # nothing to move: the template need not be looked for
            return findings
        origin = self._origin(source)
        if origin is None:
            return findings
        return [attribute(f, document.data, origin, display=_display, occurrence=occurrence) for f in findings]

    def _origin(self, source: str) -> Origin | None:
        if source not in self.origins:
            path = template_file(source, self.bases)
            text = _read_text(path) if path is not None else None
            self.origins[source] = Origin(str(path), text, None, "helm") if text is not None else None
        return self.origins[source]


class KustomizeAttributor:
    """A rendered overlay's objects to the resource documents they came from, what its
    patches added to the patches, and anything else to the kustomization."""

    def __init__(self, directory: Path):
        self.index = KustomizeIndex.build(directory)
        self.kustomization = find_kustomization(directory) or directory
        self.loaded: dict[str, Any] = {}  # resource and patch files, read once

    def attribute(self, document, findings: list) -> list:
        if not findings:
            return findings
        kind, name = _kind_and_name(document.data)
        origin = self.index.origin_of(kind, name) if kind is not None else None
        return [self._move(finding, document.data, origin, kind, name) for finding in findings]

    def _move(self, finding, data: Any, origin: Origin | None, kind, name):
        if origin is not None:
            found = self._in_resource(finding.field_path, data, origin)
            if found is not None:
                return moved(finding, _display(found[0]), found[1])
        found = self._in_patches(finding.field_path, data, kind)
        if found is not None:
            return moved(finding, _display(found[0]), found[1])
        rendered = f"{kind}/{name}" if kind is not None else "object"
        return moved(finding, _display(self.kustomization), Span.start(), f"{finding.message} (in the rendered {rendered})")

    def _in_resource(self, field_path: tuple, data: Any, origin: Origin) -> tuple[str, Span] | None:
        """The field in the resource, unless a patch set it to what was rendered."""
        source = self._document(origin.path, origin.document)
        translated = _translate_containers(field_path, data, source.data) if source is not None else None
        if translated is None:
            return None
        value = _value_at(data, field_path)
        if not isinstance(value, (Mapping, list)) and _value_at(source.data, translated) != value:
            return self._in_patches(field_path, data, _kind_and_name(data)[0], exact=True) or (
                origin.path, source.span(translated)
            )
        return origin.path, source.span(translated)

    def _in_patches(self, field_path: tuple, data: Any, kind, exact: bool = False) -> tuple[str, Span] | None:
        """The first strategic-merge patch of this kind that holds the field's container
        (with `exact`: the field itself, with the rendered value)."""
        value = _value_at(data, field_path)
        for patch in self.index.patches:
            loaded = self._file(str(patch))
            for document in loaded.documents if loaded is not None else ():
                if _kind_and_name(document.data)[0] != kind:
                    continue
                translated = _translate_containers(field_path, data, document.data)
                if translated is None or (exact and _value_at(document.data, translated) != value):
                    continue
                return str(patch), document.span(translated)
        return None

    def _document(self, path: str, index: int | None):
        loaded = self._file(path)
        return next((d for d in loaded.documents if d.index == index), None) if loaded is not None else None

    def _file(self, path: str):
        from sidecarlint.load import load_text

        if path not in self.loaded:
            text = _read_text(Path(path))
            self.loaded[path] = load_text(text, path) if text is not None else None
        return self.loaded[path]


def attribute_document(attributor: Attributor, document, findings: list, suppressed: list) -> tuple[list, list]:
    """A document's findings and suppressed findings, moved by the attributor while the
    document's data and nodes are at hand (the engine calls it once a document, in order)."""
    moved_all = _attributed(attributor, document, [*findings, *(item.finding for item in suppressed)])
    kept = moved_all[: len(findings)]
    silenced = [replace(item, finding=finding) for item, finding in zip(suppressed, moved_all[len(findings):])]
    return kept, silenced


def _attributed(attributor: Attributor, document, findings: list) -> list:
    """Moved findings; if attribution itself fails (a bug), the findings where they were."""
    try:
        return attributor.attribute(document, findings)
    except Exception:  # the findings matter more than where they point
        return findings


def unique(findings: list) -> list:
    """Findings without repeats: the same rule, file, place and message only once."""
    seen, kept = set(), []
    for finding in findings:
        key = (finding.rule, finding.path, finding.span, finding.message)
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept


def _kind_and_name(data: Any) -> tuple[str | None, str | None]:
    if not isinstance(data, Mapping):
        return None, None
    kind = data.get("kind") if isinstance(data.get("kind"), str) else None
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, Mapping) else None
    return kind, name if isinstance(name, str) else None


def _read_text(path: Path, limit: int = 10 * 1024 * 1024) -> str | None:
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
        return raw.decode("utf-8") if len(raw) <= limit else None
    except (OSError, UnicodeDecodeError):
        return None


def _display(path) -> str:
    from sidecarlint.discover import display_path

    return display_path(str(path))


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
