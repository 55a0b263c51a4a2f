"""Bytes to YAML documents: plain Python data, plus the node tree to find positions later.

PyYAML composes nodes (which keep their marks); we build the plain data from the nodes
ourselves, in one pass, so that we can see what a constructor would hide: a mapping key
given twice (PyYAML silently keeps the last one; Kubernetes' strict decoding rejects it),
aliases that expand without bound, tags that must never be constructed. Positions are not
computed here: `sidecarlint.positions` resolves a path against the node tree, and only for
the fields a finding points at.

A Helm chart template is not a manifest until Helm renders it: a file whose Go template
actions (`{{ .Values.image }}`, `{{- include ... }}`) are what keeps it from being read as
YAML is skipped whole, with one `template` problem, instead of an `invalid-yaml` error.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from sidecarlint.positions import Span, span_of
from sidecarlint.suppressions import Suppression, comment_directives

try:  # libyaml is several times faster; the pure-Python loader gives the same results
    from yaml import CSafeLoader as DefaultLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as DefaultLoader

# Nodes that one document may build from re-used anchors before we stop expanding it:
# a handful of anchors can otherwise describe billions of nodes ("billion laughs").
ALIAS_EXPANSION_LIMIT = 100_000
# Nesting deeper than this is not a manifest; stop before Python's own recursion limit.
MAX_DEPTH = 200

_MERGE_TAG = "tag:yaml.org,2002:merge"
# Scalars are built by PyYAML's safe constructors for the YAML 1.1 core tags only, the
# schema that Kubernetes' YAML decoder follows; any other tag is kept as its text.
_SAFE_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_SCALAR_BUILDERS = {
    tag: builder.__get__(_SAFE_CONSTRUCTOR)
    for tag, builder in yaml.constructor.SafeConstructor.yaml_constructors.items()
    if tag is not None and tag.startswith("tag:yaml.org,2002:")
    and tag.rsplit(":", 1)[1] in {"null", "bool", "int", "float", "timestamp", "binary"}
}


@dataclass(frozen=True)
class Document:
    """One YAML document of a file."""

    source: str
    index: int  # 0-based position in the file's stream of documents
    data: Any
    root: yaml.Node

    def span(self, path: tuple) -> Span:
        return span_of(self.root, path)


@dataclass(frozen=True)
class LoadProblem:
    """Something wrong with the file itself, found while reading it."""

    kind: str  # "syntax" | "duplicate-key" | "too-complex" | "unreadable" | "template"
    message: str
    span: Span
    document: int | None = None
    path: tuple = ()


@dataclass
class LoadedFile:
    source: str
    documents: list[Document] = field(default_factory=list)
    problems: list[LoadProblem] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)  # `# sidecarlint: ignore[...]`


class _TooComplex(Exception):
    def __init__(self, message: str, node: yaml.Node):
        super().__init__(message)
        self.node = node


def load_text(text: str, source: str, loader: type = DefaultLoader) -> LoadedFile:
    """Compose every document of `text` and build its data; never raises on bad input."""
    loaded = _load_yaml(text, source, loader)
    if "{{" in text:  # the cheap test first: almost no manifest holds a template action
        template = _template_problem(text, loaded, loader)
        if template is not None:
            return LoadedFile(source, problems=[template])
    loaded.suppressions = comment_directives(text)
    return loaded


def _load_yaml(text: str, source: str, loader: type) -> LoadedFile:
    loaded = LoadedFile(source)
    last = -1  # the last document composed; a syntax error is in the one after it
    try:
        for last, root in enumerate(yaml.compose_all(text, Loader=loader)):
            _add_document(loaded, last, root)
    except yaml.MarkedYAMLError as error:
        loaded.problems.append(_syntax_problem(error, last + 1))
    except yaml.YAMLError as error:  # e.g. a reader error without a mark
        loaded.problems.append(LoadProblem("syntax", f"invalid YAML: {error}", Span.start()))
    except RecursionError:
        loaded.problems.append(
            LoadProblem("too-complex", "the YAML is nested too deeply to read", Span.start())
        )
    return loaded


# A Go template action as Helm writes them; it may span lines (`{{/* a comment */}}`).
_TEMPLATE_ACTION = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_MASK = "\ue000"  # stands in for the characters of an action while the file is re-read


def _template_problem(text: str, loaded: LoadedFile, loader: type) -> LoadProblem | None:
    """A `template` problem when the file's template actions are what make it unreadable.

    Two cases: the file is not YAML, but it is once its actions are taken out (a genuine
    syntax error elsewhere stays an `invalid-yaml` error); or it parses only because YAML
    reads an action in a value's place (`name: {{ .Release.Name }}`) as a mapping inside a
    mapping, which no Kubernetes object can hold. Actions inside strings (a Vault agent
    template in an annotation, an alert's description) are data: such a file is linted.
    """
    actions = list(_TEMPLATE_ACTION.finditer(text))
    if not actions:
        return None
    if any(problem.kind == "syntax" for problem in loaded.problems):
        if not _parses(_without_actions(text), loader):
            return None
    else:
        starts = {_line_column(text, action.start()) for action in actions}
        if not any(_mappings_starting_at(document.root, starts) for document in loaded.documents):
            return None
    first = actions[0]
    line, column = _line_column(text, first.start())
    end_line, end_column = _line_column(text, first.end())
    return LoadProblem(
        "template",
        f"skipped: a Helm chart template, not a manifest; its template actions, such as "
        f"{_shorten(first.group())}, are not YAML until Helm renders the chart",
        Span(line, column, end_line, end_column),
    )


def _without_actions(text: str) -> str:
    """The text with every action blanked: a line holding only actions becomes empty."""
    masked = _TEMPLATE_ACTION.sub(lambda action: re.sub(r"[^\n]", _MASK, action.group()), text)
    lines = []
    for line in masked.split("\n"):
        if _MASK in line and not line.replace(_MASK, "").strip():
            line = ""
        lines.append(line.replace(_MASK, "x"))
    return "\n".join(lines)


def _parses(text: str, loader: type) -> bool:
    try:
        for _ in yaml.compose_all(text, Loader=loader):
            pass
    except (yaml.YAMLError, RecursionError):
        return False
    return True


def _mappings_starting_at(root: yaml.Node, starts: set[tuple[int, int]]) -> bool:
    """Whether a mapping node starts where an action does (each node visited once)."""
    seen: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen or isinstance(node, yaml.ScalarNode):
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            if (node.start_mark.line + 1, node.start_mark.column + 1) in starts:
                return True
            pending.extend(part for pair in node.value for part in pair)
        else:
            pending.extend(node.value)
    return False


def _line_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column (in code points) of a character offset."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _shorten(action: str, limit: int = 40) -> str:
    action = " ".join(action.split())
    return action if len(action) <= limit else action[: limit - 7] + " ... }}"


def load_bytes(raw: bytes, source: str, loader: type = DefaultLoader) -> LoadedFile:
    text, problem = decode(raw)
    if problem is not None:
        loaded = LoadedFile(source)
        loaded.problems.append(problem)
        return loaded
    return load_text(text, source, loader)


def decode(raw: bytes) -> tuple[str, LoadProblem | None]:
    """Decode as YAML allows: UTF-8, or UTF-16/32 when a byte order mark says so."""
    for bom, encoding in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if raw.startswith(bom):
            break
    else:
        encoding = "utf-8"
    try:
        return raw.decode(encoding), None
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        message = f"the file is not {encoding.upper().replace('-SIG', '')} text (byte 0x{raw[error.start]:02x} at offset {error.start})"
        return "", LoadProblem("syntax", message, Span(line, column, line, column + 1))


def _syntax_problem(error: yaml.MarkedYAMLError, document: int) -> LoadProblem:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or "could not parse"
    if error.context:
        problem = f"{problem} ({error.context})"
    span = Span.at_mark(mark) if mark is not None else Span.start()
    return LoadProblem("syntax", f"invalid YAML: {problem}", span, document)


def _add_document(loaded: LoadedFile, index: int, root: yaml.Node) -> None:
    builder = _Builder(index)
    try:
        data = builder.build(root, ())
    except _TooComplex as error:
        loaded.problems.append(
            LoadProblem("too-complex", str(error), span_of(error.node, ()), index)
        )
        return
    loaded.problems.extend(builder.problems)
    loaded.documents.append(Document(loaded.source, index, data, root))


class _Builder:
    """Builds plain data from one document's nodes, noting what a reviewer must hear about."""

    def __init__(self, document: int):
        self.document = document
        self.problems: list[LoadProblem] = []
        self._seen: set[int] = set()  # collection nodes built once already (anchors)
        self._open: set[int] = set()  # collection nodes being built (recursive aliases)
        self._expanded = 0

    def build(self, node: yaml.Node, path: tuple, reused: bool = False) -> Any:
        if isinstance(node, yaml.ScalarNode):
            if reused:
                self._count_expansion(node)
            builder = _SCALAR_BUILDERS.get(node.tag)
            return builder(node) if builder is not None else node.value
        if len(path) > MAX_DEPTH:
            raise _TooComplex(f"the document is nested more than {MAX_DEPTH} levels deep", node)
        key = id(node)
        if key in self._open:
            raise _TooComplex("the document contains a recursive alias", node)
        reused = reused or key in self._seen
        if reused:
            self._count_expansion(node)
        self._seen.add(key)
        self._open.add(key)
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, path + (i,), reused) for i, item in enumerate(node.value)]
            return self._build_mapping(node, path, reused)
        finally:
            self._open.discard(key)

    def _count_expansion(self, node: yaml.Node) -> None:
        self._expanded += 1
        if self._expanded > ALIAS_EXPANSION_LIMIT:
            raise _TooComplex(
                f"the document's aliases expand to more than {ALIAS_EXPANSION_LIMIT:,} nodes",
                node,
            )

    def _build_mapping(self, node: yaml.MappingNode, path: tuple, reused: bool) -> dict:
        result: dict = {}
        merged: list[dict] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(self._merge_sources(value_node, path, reused))
                continue
            key = self._key(key_node, path, reused)
            if key in result and not reused:
                self.problems.append(_duplicate_key(key, key_node, path, self.document))
            result[key] = self.build(value_node, path + (key,), reused)
        # Keys given explicitly win over merged ones; earlier merge sources win over later.
        for source in merged:
            for key, value in source.items():
                result.setdefault(key, value)
        return result

    def _merge_sources(self, node: yaml.Node, path: tuple, reused: bool) -> list[dict]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        built = [self.build(source, path, reused) for source in sources]
        return [source for source in built if isinstance(source, dict)]

    def _key(self, node: yaml.Node, path: tuple, reused: bool) -> Any:
        key = self.build(node, path, reused)
        try:
            hash(key)
        except TypeError:  # a collection used as a key: keep its text
            return repr(key)
        return key


def _duplicate_key(key: Any, key_node: yaml.Node, path: tuple, document: int) -> LoadProblem:
    return LoadProblem(
        "duplicate-key",
        f"the key {key!r} is given twice in this mapping; kubectl and most YAML tools "
        "silently keep only one of the two values",
        span_of(key_node, ()),
        document,
        path + (key,),
    )
