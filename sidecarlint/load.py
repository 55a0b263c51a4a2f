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

Every byte is untrusted. A file that is not text, nests without end, or holds millions of
nodes becomes a problem on that file, in bounded time and memory, never an exception; the
limits are below, and docs/security.md says how each kind of bad input is answered.
"""

from __future__ import annotations

import bisect
import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from sidecarlint.positions import Span, span_of
from sidecarlint.records import record
from sidecarlint.suppressions import Suppression, comment_directives

try:  # libyaml is several times faster; the pure-Python loader gives the same results
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _BaseLoader

try:  # libyaml's parser and composer, when PyYAML has them (`yaml` itself does not export it)
    from yaml.cyaml import CParser as _CParser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _CParser = None

# The tag of a plain scalar is guessed by PyYAML's resolver, in Python, even under libyaml:
# its composer calls back `resolve()` for every node, and `descend_resolver` and
# `ascend_resolver` around every collection (2.6 million calls for 10,000 manifests). With
# no path resolvers registered (PyYAML's safe loaders have none), the tag depends on the
# node's kind and value alone, and the same few thousand values (`name`, `image`, `true`,
# `80`) make up almost every scalar: remembering their tags gives the very same tags and
# saves about a fifth of the cost of composing. Every value of a file is untrusted, so only short values
# are remembered, and the memo is emptied when it is full: memory stays bounded, whatever
# the files hold.
_RESOLVED_MAX_CHARS = 64
_RESOLVED_MAX_ENTRIES = 10_000


def _remembering_resolver(base: type) -> type:
    """A subclass of the PyYAML loader `base` that gives the same tags as `base`, faster."""
    if base.yaml_path_resolvers:  # pragma: no cover - only if something registered one
        return base  # tags would then depend on the node's place: nothing to remember
    scalar_node, str_tag = yaml.ScalarNode, base.DEFAULT_SCALAR_TAG
    sequence_node, sequence_tag = yaml.SequenceNode, base.DEFAULT_SEQUENCE_TAG
    mapping_node, mapping_tag = yaml.MappingNode, base.DEFAULT_MAPPING_TAG
    guess = base.resolve
    tags: dict[str, str] = {}  # plain scalar value -> tag

    class Loader(base):
        yaml_path_resolvers: dict = {}  # our own, empty: none registered later applies here

        def descend_resolver(self, current_node, current_index):
            pass  # only path resolvers need to know where a node is

        def ascend_resolver(self):
            pass

        def resolve(self, kind, value, implicit):
            # What BaseResolver.resolve returns when there are no path resolvers.
            if kind is scalar_node:
                if not implicit[0]:  # quoted, or a block scalar: always a string
                    return str_tag
                tag = tags.get(value)
                if tag is None:
                    tag = guess(self, kind, value, implicit)
                    if len(value) <= _RESOLVED_MAX_CHARS:
                        if len(tags) >= _RESOLVED_MAX_ENTRIES:
                            tags.clear()
                        tags[value] = tag
                return tag
            if kind is sequence_node:
                return sequence_tag
            return mapping_tag if kind is mapping_node else None

    Loader.__name__ = Loader.__qualname__ = "Remembering" + base.__name__
    return Loader


DefaultLoader = _remembering_resolver(_BaseLoader)

# Nodes that one document may build from re-used anchors before we stop expanding it:
# a handful of anchors can otherwise describe billions of nodes ("billion laughs").
ALIAS_EXPANSION_LIMIT = 100_000
# Nodes that one file may hold, counting the copies its aliases make. Each node is kept
# (findings read their positions from the node tree) at a few hundred bytes, so this bounds
# memory: about 400 MB at worst. Real manifests average some 12 bytes a node, so a file of
# the default --max-file-size (10 MiB) stays under it.
MAX_NODES = 1_000_000
# Nesting deeper than this is not a manifest.
MAX_DEPTH = 200
# libyaml's composer recurses in C, some 400 bytes of stack a level: a few tens of thousands
# of levels overflow the stack and kill the process; and it composes a whole document before
# we can count its nodes. It composes only text that cannot nest deeper than MAX_DEPTH and
# whose every document is too short to hold more than MAX_NODES nodes (libyaml makes at most
# one node per character, as in `?\n?\n`, so half a character a node is a safe bound; an
# alias makes no new node until the builder, which counts them).
# Anything else is composed by `_compose_guarded`, from the same parser's events, with its
# own stack and the limits.
_C_COMPOSER_MAX_DOCUMENT_CHARS = MAX_NODES // 2
_DOCUMENT_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)

_MERGE_TAG = "tag:yaml.org,2002:merge"
_CORE_PREFIX = "tag:yaml.org,2002:"
# The YAML 1.1 type repository, which Kubernetes' decoder (go-yaml v2) reads. Any other tag,
# `!!python/object/apply:os.system` above all, is reported and its value kept as plain data.
_CORE_TAGS = frozenset(
    _CORE_PREFIX + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "binary", "map", "seq",
                 "omap", "pairs", "set", "merge", "value", "yaml")
)
# Scalars are built by PyYAML's safe constructors for the YAML 1.1 core tags only, the
# schema that Kubernetes' YAML decoder follows; any other tag is kept as its text.
_SAFE_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_SCALAR_BUILDERS = {
    tag: builder.__get__(_SAFE_CONSTRUCTOR)
    for tag, builder in yaml.constructor.SafeConstructor.yaml_constructors.items()
    if tag is not None and tag.startswith(_CORE_PREFIX)
    and tag.rsplit(":", 1)[1] in {"null", "bool", "int", "float", "timestamp", "binary"}
}
_RESOLVER = yaml.resolver.Resolver()

# What a YAML stream may hold (PyYAML's reader and libyaml's agree): tab, line breaks and
# printable characters. Checked before parsing, so that both parsers report the same place.
_NOT_YAML = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_YAML_ASCII = b"\t\n\r" + bytes(range(0x20, 0x7F))  # the ASCII characters of that class
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # as YAML 1.1 counts lines


@record
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

    kind: str  # "syntax" | "duplicate-key" | "too-complex" | "unreadable" | "template" | "tag"
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
    """A document beyond a limit; `rest_unread` when the file's node budget is spent."""

    def __init__(self, message: str, node: yaml.Node, rest_unread: bool = False):
        super().__init__(message)
        self.node = node
        self.rest_unread = rest_unread


class _StopReading(Exception):
    """Raised by the guarded composer at a limit: the rest of the file is not read."""

    def __init__(self, message: str, span: Span):
        super().__init__(message)
        self.span = span


@dataclass
class _Budget:
    """What one file has used of MAX_NODES."""

    composed: int = 0  # nodes the guarded composer made
    built: int = 0  # nodes the builder made, copies from aliases included
    # Whether a node may be met twice: only an alias makes that, and only an anchor (`&`)
    # makes an alias possible. Most files hold none, and need no note of what was built.
    aliases: bool = True


_FILE_TOO_BIG = (
    f"the file holds more than {MAX_NODES:,} YAML nodes (counting the copies its aliases make); "
    "it is not read from here on"
)
_TOO_DEEP = f"the document is nested more than {MAX_DEPTH} levels deep"
# Both parsers check every open flow collection at every token, so reading on through a
# deeper document would cost time in the square of its depth: reading stops there instead.
_TOO_DEEP_TO_READ = f"{_TOO_DEEP}; it is not read from here on, nor is the rest of the file"


def load_text(text: str, source: str, loader: type = DefaultLoader) -> LoadedFile:
    """Compose every document of `text`, build its data and keep it; never raises on bad input."""
    loaded, documents = stream_text(text, source, loader)
    loaded.documents.extend(documents)
    return loaded


def stream_text(text: str, source: str, loader: type = DefaultLoader) -> tuple[LoadedFile, Iterator[Document]]:
    """The file, and its documents one at a time, each composed and built only when the
    iterator reaches it, so that a caller who lets each go keeps one document's nodes in
    memory, not the file's. `loaded.problems` is complete once the iterator is exhausted;
    `loaded.documents` stays empty."""
    problem = _not_yaml_text(text)
    if problem is not None:
        return LoadedFile(source, problems=[problem]), iter(())
    loaded = LoadedFile(source)
    if "{{" in text:  # the cheap test first: almost no manifest holds a template action
        # Telling a chart template from a manifest takes every document at once.
        documents = list(_read_documents(text, loaded, loader))
        template = _template_problem(text, documents, loaded.problems, loader)
        if template is not None:
            return LoadedFile(source, problems=[template]), iter(())
        loaded.suppressions = comment_directives(text)
        return loaded, iter(documents)
    loaded.suppressions = comment_directives(text)
    return loaded, _read_documents(text, loaded, loader)


def _not_yaml_text(text: str) -> LoadProblem | None:
    """A NUL (a binary file) or another character that YAML does not allow, at its place."""
    nul = text.find("\0")
    if nul >= 0:
        line, column = _Lines(text).position(nul)
        return LoadProblem(
            "syntax",
            f"the file is not text: it holds a NUL byte at line {line}, column {column}, as binary "
            "files do; it was not read",
            Span(line, column, line, column + 1),
        )
    if text.isascii() and not text.encode("ascii").translate(None, _YAML_ASCII):
        return None  # the usual case, found some six times faster than by the search below
    bad = _NOT_YAML.search(text)
    if bad is None:
        return None
    line, column = _Lines(text).position(bad.start())
    return LoadProblem(
        "syntax",
        f"invalid YAML: the control character U+{ord(bad.group()):04X} is not allowed in a YAML file; "
        "in a double-quoted string it can be written as an escape",
        Span(line, column, line, column + 1),
    )


def _read_documents(text: str, loaded: LoadedFile, loader: type) -> Iterator[Document]:
    """Each document as it is built; what is wrong with the file goes to `loaded.problems`."""
    budget = _Budget(aliases="&" in text)
    last = -1  # the last document composed; a syntax error is in the one after it
    try:
        for last, root in enumerate(_compose_all(text, loader, budget)):
            document, read_on = _make_document(loaded, last, root, budget)
            if document is not None:
                yield document
            if not read_on:
                return  # the file's node budget is spent: the rest is not read
    except yaml.MarkedYAMLError as error:
        loaded.problems.append(_syntax_problem(error, last + 1))
    except yaml.YAMLError as error:  # e.g. a reader error without a mark
        loaded.problems.append(LoadProblem("syntax", f"invalid YAML: {error}", Span.start(), last + 1))
    except _StopReading as error:
        loaded.problems.append(LoadProblem("too-complex", str(error), error.span, last + 1))
    except RecursionError:  # pragma: no cover - the limits above are meant to make this unreachable
        loaded.problems.append(
            LoadProblem("too-complex", "the YAML is nested too deeply to read", Span.start(), last + 1)
        )


def _compose_all(text: str, loader: type, budget: _Budget) -> Iterator[yaml.Node]:
    """The root node of each document: libyaml's composer where it is safe, else our own."""
    if _CParser is not None and issubclass(loader, _CParser) and _compose_in_c(text):
        return _compose_in_libyaml(text, loader)
    return _compose_guarded(text, loader, budget)


def _compose_in_libyaml(text: str, loader: type) -> Iterator[yaml.Node]:
    try:
        yield from yaml.compose_all(text, Loader=loader)
    except yaml.composer.ComposerError:
        # libyaml's composer leaves the anchor's name out of its message ("found undefined
        # alias"); the guarded composer says it as PyYAML does and stops at the same place,
        # with the same marks.
        try:
            for _ in _compose_guarded(text, loader, _Budget()):
                pass
        except _StopReading:  # pragma: no cover - not for text libyaml composes
            pass
        raise


def _may_nest_deeper_than(text: str, depth: int) -> bool:
    """Whether `text` might nest more than `depth` collections: a cheap bound, never too low.

    A flow collection nests only inside a `[` or `{` that holds something (so not `[]` or
    `{}`), and at most two levels a `[` (`[a: [b: ...]]` adds a one-pair mapping). A block
    collection nested k levels deep starts at a column of about k/2 or more (only a
    sequence under a mapping key may share the key's column), and it starts within the
    line's leading run of spaces and indicators (`- - - a`, `? - b`).
    """
    # Counting the empty `[]` and `{}` takes two more passes; they are counted only when
    # the bound without them says the text might nest too deep (fewer collections that can
    # nest never make that more likely).
    flow = text.count("[") + text.count("{")
    if not _may_nest_with(text, depth, flow):
        return False
    empty = text.count("[]") + text.count("{}")
    return empty == 0 or _may_nest_with(text, depth, flow - empty)


def _may_nest_with(text: str, depth: int, flow: int) -> bool:
    room = depth - 2 * flow - 2
    if room < 0:
        return True
    # A line's start: the text's, or after a line break. YAML 1.1 also breaks lines at CR
    # alone, NEL and the Unicode separators; the last three are not ASCII, and text that
    # holds them is searched with a pattern that starts with one character (several times
    # faster than `^` in MULTILINE mode).
    length = room // 2 + 1
    if text.isascii():  # the usual case: a plain search in bytes with the run's characters made one
        indents = text.encode("ascii").translate(_INDENT_RUN)
        run = b" " * length
        return indents.startswith(run) or b"\n" + run in indents
    run = "[ \t?:-]{%d}" % length
    return re.match(run, text) is not None or re.search("[\n\r\x85\u2028\u2029]" + run, text) is not None


# For `_may_nest_with`: a line's leading run of spaces and indicators becomes spaces, and a
# lone CR (a line break, as in YAML 1.1) a line feed.
_INDENT_RUN = bytes.maketrans(b"\t?:-\r", b"    \n")


def _compose_in_c(text: str) -> bool:
    """Whether libyaml's composer may read `text`: none of its documents can nest deeper
    than MAX_DEPTH or hold more than MAX_NODES nodes. The whole text is tried first; when
    it might nest too deep, each document (text between `---` lines; a document cannot
    span one, libyaml stops there with an error) is tried alone."""
    limit = _C_COMPOSER_MAX_DOCUMENT_CHARS
    nests = _may_nest_deeper_than(text, MAX_DEPTH)
    if not nests:
        return len(text) <= limit or _documents_no_longer_than(text, limit)
    start = 0
    for match in _DOCUMENT_START.finditer(text):
        if not _shallow_and_short(text, start, match.start(), limit):
            return False
        start = match.start()
    return _shallow_and_short(text, start, len(text), limit)


def _shallow_and_short(text: str, start: int, end: int, limit: int) -> bool:
    return end - start <= limit and not _may_nest_deeper_than(text[start:end], MAX_DEPTH)


def _documents_no_longer_than(text: str, limit: int) -> bool:
    """A cheap test, never wrong when it says yes: every stretch of `limit // 2` characters,
    taken one after the other, holds the start of a document marker. Then no two markers
    are further than `limit` apart (a longer document would hold a whole stretch), whatever
    the number of documents."""
    window = limit // 2
    for start in range(0, len(text) - window + 1, window):
        # Searched a little past the window's end, so that `---` at its very end is a
        # marker only if what follows it makes it one.
        match = _DOCUMENT_START.search(text, start, start + window + 4)
        if match is None or match.start() >= start + window:
            return False
    return True


def _compose_guarded(text: str, loader: type, budget: _Budget) -> Iterator[yaml.Node]:
    """Compose documents from the parser's events as PyYAML's composer does, but without
    recursing; reading stops (`_StopReading`) at a collection nested deeper than MAX_DEPTH
    or at the node that passes MAX_NODES."""
    parser = loader(text)
    try:
        parser.get_event()  # StreamStartEvent
        while not parser.check_event(yaml.StreamEndEvent):
            parser.get_event()  # DocumentStartEvent
            yield _compose_document(parser, budget)
    finally:
        parser.dispose()


_COLLECTION_STARTS = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_COLLECTION_ENDS = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _compose_document(parser, budget: _Budget) -> yaml.Node:
    anchors: dict[str, yaml.Node] = {}
    stack: list[list] = []  # [collection node, key waiting for its value (mappings)]
    root = None
    while True:
        event = parser.get_event()
        kind = type(event)
        if kind is yaml.AliasEvent:
            node = anchors.get(event.anchor)
            if node is None:
                raise yaml.composer.ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                )
        elif kind is yaml.ScalarEvent or kind in _COLLECTION_STARTS:
            budget.composed += 1
            if budget.composed > MAX_NODES:
                raise _StopReading(_FILE_TOO_BIG, Span.at_mark(event.start_mark))
            anchor = event.anchor
            if anchor is not None and anchor in anchors:
                raise yaml.composer.ComposerError(
                    f"found duplicate anchor {anchor!r}; first occurrence",
                    anchors[anchor].start_mark,
                    "second occurrence",
                    event.start_mark,
                )
            if kind is yaml.ScalarEvent:
                tag = event.tag
                if tag is None or tag == "!":
                    tag = parser.resolve(yaml.ScalarNode, event.value, event.implicit)
                node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
            else:
                if len(stack) > MAX_DEPTH:
                    raise _StopReading(_TOO_DEEP_TO_READ, Span.at_mark(event.start_mark))
                node_class = yaml.SequenceNode if kind is yaml.SequenceStartEvent else yaml.MappingNode
                tag = event.tag
                if tag is None or tag == "!":
                    tag = parser.resolve(node_class, None, event.implicit)
                node = node_class(tag, [], event.start_mark, None, flow_style=event.flow_style)
            if anchor is not None:
                anchors[anchor] = node
            if kind is not yaml.ScalarEvent:
                stack.append([node, None])
                continue
        elif kind in _COLLECTION_ENDS:
            node = stack.pop()[0]
            node.end_mark = event.end_mark
        else:  # DocumentEndEvent: the root is complete
            return root
        if not stack:
            root = node
            continue
        top = stack[-1]
        if type(top[0]) is yaml.SequenceNode:
            top[0].value.append(node)
        elif top[1] is None:
            top[1] = node
        else:
            top[0].value.append((top[1], node))
            top[1] = None


# A Helm chart template: a file whose Go template actions keep it from being YAML.


def _template_problem(text: str, documents: list[Document], problems: list[LoadProblem], loader: type) -> LoadProblem | None:
    """A `template` problem when the file's template actions are what make it unreadable.

    Two cases: the file is not YAML, but it is once its actions are taken out (a genuine
    syntax error elsewhere stays an `invalid-yaml` error); or it parses only because YAML
    reads an action in a value's place (`name: {{ .Release.Name }}`) as a mapping inside a
    mapping, which no Kubernetes object can hold. Actions inside strings (a Vault agent
    template in an annotation, an alert's description) are data: such a file is linted.
    """
    actions = _template_actions(text)
    if not actions:
        return None
    lines = _Lines(text)
    if any(problem.kind == "syntax" for problem in problems):
        if not _parses(_without_actions(text, actions), loader):
            return None
    else:
        starts = {lines.position(start) for start, _ in actions}
        if not any(_mappings_starting_at(document.root, starts) for document in documents):
            return None
    start, end = actions[0]
    line, column = lines.position(start)
    end_line, end_column = lines.position(end)
    return LoadProblem(
        "template",
        f"skipped: a Helm chart template, not a manifest; its template actions, such as "
        f"{_shorten(text[start:end])}, are not YAML until Helm renders the chart",
        Span(line, column, end_line, end_column),
    )


def _template_actions(text: str) -> list[tuple[int, int]]:
    """Where each Go template action (`{{ … }}`, which may span lines) starts and ends.

    Each `{{` is closed by the first `}}` after it; found with two scans of the text, so a
    file of a million unclosed `{{` costs what one of a million letters does.
    """
    actions = []
    position = 0
    while True:
        start = text.find("{{", position)
        if start < 0:
            return actions
        end = text.find("}}", start + 2)
        if end < 0:
            return actions
        actions.append((start, end + 2))
        position = end + 2


_MASK = "\ue000"  # stands in for the characters of an action while the file is re-read
_NOT_NEWLINE = re.compile(r"[^\n]")


def _without_actions(text: str, actions: list[tuple[int, int]]) -> str:
    """The text with every action blanked: a line holding only actions becomes empty."""
    pieces, last = [], 0
    for start, end in actions:
        pieces.append(text[last:start])
        pieces.append(_NOT_NEWLINE.sub(_MASK, text[start:end]))
        last = end
    pieces.append(text[last:])
    lines = []
    for line in "".join(pieces).split("\n"):
        if _MASK in line and not line.replace(_MASK, "").strip():
            line = ""
        lines.append(line.replace(_MASK, "x"))
    return "\n".join(lines)


def _parses(text: str, loader: type) -> bool:
    """Whether `text` is YAML that PyYAML's composer accepts, found from the parser's events
    alone (so never recursing, however deep the text nests)."""
    try:
        anchors: set[str] = set()
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.DocumentStartEvent):
                anchors = set()
            elif isinstance(event, yaml.AliasEvent):
                if event.anchor not in anchors:
                    return False
            elif isinstance(event, yaml.NodeEvent) and event.anchor is not None:
                if event.anchor in anchors:
                    return False
                anchors.add(event.anchor)
    except yaml.YAMLError:
        return False
    return True


def _mappings_starting_at(root: yaml.Node, starts: set[tuple[int, int]]) -> bool:
    """Whether a mapping node starts where an action does (each node visited once).

    A collection whose text holds no action start cannot hold such a mapping, so it is
    not entered: the walk follows the few paths that lead to actions (an anchored node met
    through an alias is also inside the collection that defines it, whose text holds it)."""
    ordered = sorted(starts)
    seen: set[int] = set()
    pending = [root]
    while pending:
        node = pending.pop()
        if id(node) in seen or isinstance(node, yaml.ScalarNode):
            continue
        seen.add(id(node))
        start = (node.start_mark.line + 1, node.start_mark.column + 1)
        first = bisect.bisect_left(ordered, start)
        if first == len(ordered) or ordered[first] > (node.end_mark.line + 1, node.end_mark.column + 1):
            continue  # no action starts inside it
        if isinstance(node, yaml.MappingNode):
            if ordered[first] == start:
                return True
            pending.extend(part for pair in node.value for part in pair)
        else:
            pending.extend(node.value)
    return False


class _Lines:
    """1-based line and column (in code points) of character offsets, counting line breaks
    as YAML does, so that they agree with the parser's marks."""

    def __init__(self, text: str):
        self._starts = [0] + [match.end() for match in _LINE_BREAK.finditer(text)]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


def _shorten(action: str, limit: int = 40) -> str:
    action = " ".join(action.split())
    return action if len(action) <= limit else action[: limit - 7] + " ... }}"


# Bytes to text.


def load_bytes(raw: bytes, source: str, loader: type = DefaultLoader) -> LoadedFile:
    loaded, documents = stream_bytes(raw, source, loader)
    loaded.documents.extend(documents)
    return loaded


def stream_bytes(raw: bytes, source: str, loader: type = DefaultLoader) -> tuple[LoadedFile, Iterator[Document]]:
    """As `stream_text`, from the file's bytes."""
    text, problem = decode(raw)
    if problem is not None:
        return LoadedFile(source, problems=[problem]), iter(())
    return stream_text(text, source, loader)


_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16's, which it begins with
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (codecs.BOM_UTF16_LE, "utf-16"),
)
_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-16-be": "UTF-16", "utf-16-le": "UTF-16",
                   "utf-32-be": "UTF-32", "utf-32-le": "UTF-32"}


def decode(raw: bytes) -> tuple[str, LoadProblem | None]:
    """Decode as YAML allows: UTF-8, UTF-16 or UTF-32 (see `encoding_of`)."""
    encoding = encoding_of(raw)
    try:
        return raw.decode(encoding), None
    except UnicodeDecodeError as error:
        before = raw[: error.start].decode(encoding, errors="replace")
        line, column = _Lines(before).position(len(before))
        name = _ENCODING_NAMES.get(encoding, encoding.upper())
        message = f"the file is not {name} text (byte 0x{raw[error.start]:02x} at offset {error.start})"
        return "", LoadProblem("syntax", message, Span(line, column, line, column + 1))


def encoding_of(raw: bytes) -> str:
    """The encoding YAML 1.2 (section 5.2) deduces: a byte order mark names it; without one,
    a stream begins with an ASCII character, so the NUL bytes around the first character
    tell UTF-32 and UTF-16 (big- or little-endian) from UTF-8."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if raw.startswith(mark):
            return encoding
    head = raw[:4]
    if len(head) == 4 and head[:3] == b"\0\0\0" and 0 < head[3] < 0x80:
        return "utf-32-be"
    if len(head) == 4 and 0 < head[0] < 0x80 and head[1:] == b"\0\0\0":
        return "utf-32-le"
    if len(head) >= 2 and head[0] == 0 and 0 < head[1] < 0x80:
        return "utf-16-be"
    if len(head) >= 2 and 0 < head[0] < 0x80 and head[1] == 0:
        return "utf-16-le"
    return "utf-8"


def _syntax_problem(error: yaml.MarkedYAMLError, document: int) -> LoadProblem:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or "could not parse"
    if error.context:
        problem = f"{problem} ({error.context})"
    span = Span.at_mark(mark) if mark is not None else Span.start()
    return LoadProblem("syntax", f"invalid YAML: {problem}", span, document)


# Nodes to data.


def _make_document(loaded: LoadedFile, index: int, root: yaml.Node, budget: _Budget) -> tuple[Document | None, bool]:
    """One document, or None when it cannot be built; and whether to read on (False when
    the file's node budget is spent). Problems go to `loaded.problems`."""
    try:
        data, problems = _build_document(root, index, budget)
    except _TooComplex as error:
        loaded.problems.append(LoadProblem("too-complex", str(error), span_of(error.node, ()), index))
        return None, not error.rest_unread
    except RecursionError:  # MAX_DEPTH keeps the builder far below Python's limit; a last resort
        loaded.problems.append(LoadProblem("too-complex", _TOO_DEEP, Span.at_mark(root.start_mark), index))
        return None, True
    loaded.problems.extend(problems)
    return Document(loaded.source, index, data, root), True


def _build_document(root: yaml.Node, index: int, budget: _Budget) -> tuple[Any, list[LoadProblem]]:
    """One document's data and what is wrong in it; `_TooComplex` past a limit.

    There are two builders. `_Builder` is the careful one: it follows each node's path, so
    that it can say where a duplicate key, an unknown tag or a value its tag cannot hold
    is, and it keeps count of re-used anchors, recursion and depth. Almost no manifest
    needs any of that, and paying for it on every node made building the data cost a
    third of composing it. So `_build_plain` builds the document first, in one lean
    pass, and hands over at the first thing that is not plain (a duplicate key, a merge
    key, an anchor used again, a tag outside the YAML 1.1 core types, a value its tag
    cannot hold, a collection as a key, more nesting or more nodes than the limits): the
    document is then built again, from the start, by `_Builder`, so that every problem
    and every limit is exactly the careful builder's.
    """
    try:
        data, built = _build_plain(root, min(ALIAS_EXPANSION_LIMIT, MAX_NODES - budget.built), budget.aliases)
    except _NotPlain:
        builder = _Builder(index, budget)
        data = builder.build(root, ())
        return data, builder.problems
    budget.built += built
    return data, []


class _NotPlain(Exception):
    """`_build_plain` met something that only `_Builder` handles."""


_STR_TAG = _CORE_PREFIX + "str"


# The values of short plain scalars whose tag is not `!!str` (`8080`, `true`, `null`), by
# tag and text: the same few hundred come back in every manifest, and PyYAML's
# constructors build each in Python. Only numbers, booleans and None are kept (immutable,
# so one object can serve every document), and the memo is emptied when full, as the
# resolver's is.
_BUILT: dict[tuple[str, str], Any] = {}
_BUILT_TYPES = (int, float, bool, type(None))


def _plain_scalar(tag: str, node: yaml.ScalarNode) -> Any:
    """The value of a scalar whose tag is not `!!str`; `_NotPlain` for a tag outside the
    core types or a value its tag cannot hold."""
    value = node.value
    key = (tag, value)
    try:
        return _BUILT[key]
    except KeyError:
        pass
    builder = _SCALAR_BUILDERS.get(tag)
    if builder is None:
        if tag in _CORE_TAGS:  # `!!seq` on a scalar, say: the careful builder keeps the text too
            return value
        raise _NotPlain
    try:
        built = builder(node)
    except Exception:  # a value its tag cannot hold: the careful builder decides what to say
        raise _NotPlain from None
    if type(built) in _BUILT_TYPES and len(value) <= _RESOLVED_MAX_CHARS:
        if len(_BUILT) >= _RESOLVED_MAX_ENTRIES:
            _BUILT.clear()
        _BUILT[key] = built
    return built


def _build_plain(root: yaml.Node, most: int, aliases: bool = True) -> tuple[Any, int]:
    """The data of a document with nothing to report, and the nodes built; `_NotPlain` at
    the first thing the careful builder must see, or past `most` nodes.

    What makes it plain, and the same data as `_Builder` builds:
    - every node is built once: no anchor is used again. An alias is the very node its
      anchor names, so a collection seen twice (kept by `id`, unless `aliases` is false:
      the text holds no anchor) hands over; a scalar seen
      twice builds the same value either way, and since at most `most`, which is no more
      than ALIAS_EXPANSION_LIMIT, nodes are built, aliases to scalars cannot pass that
      limit here;
    - no collection is nested more than MAX_DEPTH deep (a recursive alias nests forever);
    - every tag is a YAML 1.1 core tag, and every scalar whose tag is not `!!str` is built
      by its core constructor (`_SCALAR_BUILDERS`) without an error;
    - every key is a scalar, no key is given twice and none is a merge key (`<<`).
    """
    collections: set[int] = set()  # ids of the collection nodes built
    counts = [1, 0]  # nodes built (the root, then each collection's items); collections
    scalar_node, sequence_node, mapping_node = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode

    def scalar(node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag == _STR_TAG:
            return node.value
        return _plain_scalar(tag, node)

    def collection(node: yaml.Node, depth: int) -> Any:
        node_type = type(node)
        if depth > MAX_DEPTH or node.tag not in _CORE_TAGS:
            raise _NotPlain
        if aliases:
            collections.add(id(node))
            counts[1] += 1
        items = node.value
        if node_type is sequence_node:
            counts[0] += len(items)
            if counts[0] > most:
                raise _NotPlain
            depth += 1
            result: Any = []
            append = result.append
            for item in items:
                if type(item) is scalar_node:
                    append(item.value if item.tag == _STR_TAG else _plain_scalar(item.tag, item))
                else:
                    append(collection(item, depth))
            return result
        if node_type is not mapping_node:
            raise _NotPlain
        counts[0] += 2 * len(items)
        if counts[0] > most:
            raise _NotPlain
        depth += 1
        result = {}
        for key_node, value_node in items:
            if type(key_node) is not scalar_node:
                raise _NotPlain
            tag = key_node.tag
            if tag == _STR_TAG:
                key = key_node.value
            elif tag == _MERGE_TAG:
                raise _NotPlain
            else:
                key = _plain_scalar(tag, key_node)
            if type(value_node) is scalar_node:
                tag = value_node.tag
                result[key] = value_node.value if tag == _STR_TAG else _plain_scalar(tag, value_node)
            else:
                result[key] = collection(value_node, depth)
        if len(result) != len(items):  # a key given twice: one entry fewer than pairs
            raise _NotPlain
        return result

    if most < 1:
        raise _NotPlain
    if type(root) is yaml.ScalarNode:
        return scalar(root), 1
    try:
        data = collection(root, 0)
    finally:
        # `collection` calls itself through its closure: a reference cycle, which only the
        # garbage collector would free, with the set of ids it holds. Linting runs with
        # the collector relaxed, so it is broken here, and freed at once.
        collection = None  # type: ignore[assignment]
    if aliases and len(collections) != counts[1]:  # a collection was built twice: an anchor used again
        raise _NotPlain
    return data, counts[0]


class _Builder:
    """Builds plain data from one document's nodes, noting what a reviewer must hear about."""

    def __init__(self, document: int, budget: _Budget | None = None):
        self.document = document
        self.budget = budget if budget is not None else _Budget()
        self.problems: list[LoadProblem] = []
        self._seen: set[int] = set()  # collection nodes built once already (anchors)
        self._open: set[int] = set()  # collection nodes being built (recursive aliases)
        self._expanded = 0
        self._depth = 0  # collections being built: nesting, merges and aliases included

    def build(self, node: yaml.Node, path: tuple, reused: bool = False) -> Any:
        self.budget.built += 1
        if self.budget.built > MAX_NODES:
            raise _TooComplex(_FILE_TOO_BIG, node, rest_unread=True)
        if isinstance(node, yaml.ScalarNode):
            if reused:
                self._count_expansion(node)
            return self._scalar(node, path, reused)
        if self._depth > MAX_DEPTH:
            raise _TooComplex(_TOO_DEEP, node)
        key = id(node)
        if key in self._open:
            raise _TooComplex("the document contains a recursive alias", node)
        reused = reused or key in self._seen
        if reused:
            self._count_expansion(node)
        elif node.tag not in _CORE_TAGS:
            self.problems.append(_tag_problem(node, path, self.document))
        self._seen.add(key)
        self._open.add(key)
        self._depth += 1
        try:
            if isinstance(node, yaml.SequenceNode):  # a loop, not a comprehension: one frame a level
                items = []
                for index, item in enumerate(node.value):
                    items.append(self.build(item, path + (index,), reused))
                return items
            return self._build_mapping(node, path, reused)
        finally:
            self._depth -= 1
            self._open.discard(key)

    def _scalar(self, node: yaml.ScalarNode, path: tuple, reused: bool) -> Any:
        builder = _SCALAR_BUILDERS.get(node.tag)
        if builder is None:
            if node.tag not in _CORE_TAGS and not reused:
                self.problems.append(_tag_problem(node, path, self.document))
            return node.value
        try:
            return builder(node)
        # PyYAML's constructors raise what Python's int(), float(), datetime() and base64 do
        # on a value that does not fit: `!!int abc`, `2024-13-45`, a 5,000-digit number.
        except Exception:
            if not reused and _explicitly_typed(node):
                self.problems.append(_type_problem(node, path, self.document))
            return node.value  # as Kubernetes' decoder reads a plain scalar it cannot resolve

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
        built = []
        for source in node.value if isinstance(node, yaml.SequenceNode) else [node]:
            value = self.build(source, path, reused)
            if isinstance(value, dict):
                built.append(value)
        return built

    def _key(self, node: yaml.Node, path: tuple, reused: bool) -> Any:
        key = self.build(node, path, reused)
        try:
            hash(key)
        except TypeError:  # a collection used as a key: keep its text
            return repr(key)
        return key


def _explicitly_typed(node: yaml.ScalarNode) -> bool:
    """Whether the scalar's tag was written (`!!int abc`), not guessed from a plain value
    that merely looks like a number or a date (`0x_`), which stays a string."""
    if node.style:  # quoted or a block scalar: only an explicit tag makes it anything but a string
        return True
    return _RESOLVER.resolve(yaml.ScalarNode, node.value, (True, False)) != node.tag


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE_PREFIX):] if tag.startswith(_CORE_PREFIX) else tag


def _shorten_value(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _type_problem(node: yaml.ScalarNode, path: tuple, document: int) -> LoadProblem:
    tag = _short_tag(node.tag)
    return LoadProblem(
        "syntax",
        f"invalid YAML: {_shorten_value(node.value)!r} cannot be read as {tag}, the type its tag "
        f"asks for; Kubernetes' YAML decoder refuses the document (cannot decode !!str as a {tag})",
        span_of(node, ()),
        document,
        path,
    )


_PYTHON_TAG = _CORE_PREFIX + "python/"


def _tag_problem(node: yaml.Node, path: tuple, document: int) -> LoadProblem:
    tag = _short_tag(node.tag)
    plain = {yaml.ScalarNode: "string", yaml.SequenceNode: "list"}.get(type(node), "mapping")
    if node.tag.startswith(_PYTHON_TAG):
        kind, _, name = node.tag[len(_PYTHON_TAG):].partition(":")
        action = {
            "object/apply": f"call {name}",
            "object/new": f"call {name}",
            "name": f"import {name}",
            "module": f"import {name}",
        }.get(kind, "build a Python object")
        message = (
            f"the tag {tag} asks a Python YAML loader to {action} while it reads the file; "
            f"sidecarlint never does, and Kubernetes ignores the tag and reads the plain {plain}, "
            "but a tool that loads the file with PyYAML's unsafe loader would"
        )
    else:
        message = (
            f"the tag {tag} is not a YAML type that Kubernetes knows: it ignores the tag and reads "
            f"the plain {plain}, so whatever the tag was meant to do does not happen"
        )
    return LoadProblem("tag", message, span_of(node, ()), document, path)


def _duplicate_key(key: Any, key_node: yaml.Node, path: tuple, document: int) -> LoadProblem:
    return LoadProblem(
        "duplicate-key",
        f"the key {key!r} is given twice in this mapping; kubectl and most YAML tools "
        "silently keep only one of the two values",
        span_of(key_node, ()),
        document,
        path + (key,),
    )
