"""Reading YAML: documents, positions, and every way a file can be wrong."""

from __future__ import annotations

import codecs
import datetime
import re

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sidecarlint import load
from sidecarlint.load import ALIAS_EXPANSION_LIMIT, load_bytes, load_text
from sidecarlint.positions import Span

LOADERS = [pytest.param(yaml.CSafeLoader, id="libyaml"), pytest.param(yaml.SafeLoader, id="pure-python")]


@pytest.mark.parametrize("loader", LOADERS)
def test_documents_and_scalars_follow_yaml_1_1_like_kubernetes(loader):
    loaded = load_text("a: 1\nb: yes\nc: '1'\nd: ~\ne: 0x10\nf: 1.5\n---\n---\n- x\n", "f.yaml", loader)
    assert loaded.problems == []
    assert [d.index for d in loaded.documents] == [0, 1, 2]
    assert loaded.documents[0].data == {"a": 1, "b": True, "c": "1", "d": None, "e": 16, "f": 1.5}
    assert loaded.documents[1].data is None  # an empty document
    assert loaded.documents[2].data == ["x"]


@pytest.mark.parametrize("loader", LOADERS)
def test_empty_file_and_comments_only(loader):
    assert load_text("", "f.yaml", loader).documents == []
    loaded = load_text("# just a comment\n", "f.yaml", loader)
    assert loaded.problems == [] and loaded.documents == []


@pytest.mark.parametrize("loader", LOADERS)
def test_syntax_error_keeps_documents_before_it(loader):
    text = "kind: A\n---\nkind: B\n---\nkey: [unclosed\n"
    loaded = load_text(text, "f.yaml", loader)
    assert [d.data for d in loaded.documents] == [{"kind": "A"}, {"kind": "B"}]
    (problem,) = loaded.problems
    assert problem.kind == "syntax"
    assert problem.message.startswith("invalid YAML: ")
    assert problem.span.line == 6  # the end of input, where the flow sequence should have closed
    assert problem.document == 2


@pytest.mark.parametrize("loader", LOADERS)
def test_duplicate_key_reported_at_second_occurrence(loader):
    text = "spec:\n  image: a\n  name: x\n  image: b\n"
    loaded = load_text(text, "f.yaml", loader)
    assert loaded.documents[0].data == {"spec": {"image": "b", "name": "x"}}  # last wins, as PyYAML
    (problem,) = loaded.problems
    assert problem.kind == "duplicate-key"
    assert (problem.span.line, problem.span.column) == (4, 3)
    assert problem.path == ("spec", "image")
    assert "'image' is given twice" in problem.message


@pytest.mark.parametrize("loader", LOADERS)
def test_merge_keys_are_not_duplicates_and_explicit_keys_win(loader):
    text = "base: &b {cpu: 1, memory: 2}\nres:\n  <<: *b\n  memory: 3\n"
    loaded = load_text(text, "f.yaml", loader)
    assert loaded.problems == []
    assert loaded.documents[0].data["res"] == {"cpu": 1, "memory": 3}
    assert loaded.documents[0].span(("res", "cpu")) == Span(1, 16, 1, 17)  # found through the merge


@pytest.mark.parametrize("loader", LOADERS)
def test_alias_bomb_is_not_expanded(loader):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    loaded = load_text("\n".join(lines) + "\n", "bomb.yaml", loader)
    assert loaded.documents == []
    (problem,) = loaded.problems
    assert problem.kind == "too-complex"
    assert f"{ALIAS_EXPANSION_LIMIT:,}" in problem.message


@pytest.mark.parametrize("loader", LOADERS)
def test_recursive_alias_is_reported(loader):
    loaded = load_text("root: &r\n  child: *r\n", "loop.yaml", loader)
    assert loaded.documents == []
    (problem,) = loaded.problems
    assert problem.kind == "too-complex"
    assert "recursive alias" in problem.message
    assert (problem.span.line, problem.span.column) == (1, 7)  # the anchored mapping, from its `&r`


@pytest.mark.parametrize("loader", LOADERS)
def test_deep_nesting_is_a_finding_not_a_crash(loader):
    depth = 5000
    loaded = load_text("[" * depth + "]" * depth + "\n", "deep.yaml", loader)
    assert loaded.documents == []
    assert [p.kind for p in loaded.problems] == ["too-complex"]


@pytest.mark.parametrize("loader", LOADERS)
def test_python_tags_are_never_constructed(loader):
    text = "a: !!python/object/apply:os.system ['echo pwned']\nb: !custom 12\n"
    loaded = load_text(text, "f.yaml", loader)
    assert loaded.documents[0].data == {"a": ["echo pwned"], "b": "12"}
    # never constructed, but reported, at the tagged node (its tag is where it starts)
    assert [(p.kind, p.path, p.span.line, p.span.column) for p in loaded.problems] == [
        ("tag", ("a",), 1, 4),
        ("tag", ("b",), 2, 4),
    ]
    assert "call os.system" in loaded.problems[0].message


def test_encodings():
    text = "kind: Pod  # é\n"
    for raw in (
        codecs.BOM_UTF8 + text.encode("utf-8"),
        text.encode("utf-16"),  # with a byte order mark
        text.encode("utf-32"),
    ):
        loaded = load_bytes(raw, "f.yaml")
        assert loaded.problems == [], raw[:4]
        assert loaded.documents[0].data == {"kind": "Pod"}


def test_latin1_is_reported_with_its_position():
    loaded = load_bytes("kind: Pod\nname: caf\xe9\n".encode("latin-1"), "f.yaml")
    (problem,) = loaded.problems
    assert problem.kind == "syntax"
    assert "not UTF-8 text" in problem.message
    assert (problem.span.line, problem.span.column) == (2, 10)


def test_crlf_line_endings_keep_positions():
    loaded = load_bytes(b"spec:\r\n  image: nginx\r\n", "f.yaml")
    assert loaded.documents[0].span(("spec", "image")) == Span(2, 10, 2, 15)


# The loader's remembering resolver: the tags of PyYAML's own resolver, with bounded memory.

RESOLVER_VALUES = [
    "", "a", "name", "80", "-1", "+1", "0x1F", "0o17", "017", "0b101", "1_000", "190:20:30", "0x_", "0b_",
    "1.5", "1e3", "1.0e+3", ".5", "-.inf", ".Inf", ".NaN", ".nan", "1:20.5", "yes", "No", "ON", "off", "y",
    "n", "true", "False", "TRUE", "~", "null", "Null", "NULL", "2024-01-02", "2001-12-14t21:59:43.10-05:00",
    "2024-13-45", "=", "<<", "<", "é", "名", "9" * 400, "x" * 65, "1" * 64, "1" * 65,
]


@pytest.mark.parametrize("base", [yaml.CSafeLoader, yaml.SafeLoader])
def test_remembering_resolver_gives_pyyamls_tags(base):
    loader_class = load._remembering_resolver(base)
    assert issubclass(loader_class, base) and not loader_class.yaml_path_resolvers
    ours, theirs = loader_class(""), base("")
    for _ in range(2):  # the second time from memory
        for value in RESOLVER_VALUES:
            for implicit in ((True, False), (False, True), (False, False), (True, True)):
                expected = theirs.resolve(yaml.ScalarNode, value, implicit)
                assert ours.resolve(yaml.ScalarNode, value, implicit) == expected, (value, implicit)
        for kind in (yaml.SequenceNode, yaml.MappingNode):
            assert ours.resolve(kind, None, True) == theirs.resolve(kind, None, True)
            assert ours.resolve(kind, None, False) == theirs.resolve(kind, None, False)
    ours.dispose()
    theirs.dispose()


def test_remembering_resolver_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(load, "_RESOLVED_MAX_ENTRIES", 50)
    loader_class = load._remembering_resolver(yaml.CSafeLoader)
    text = "".join(f"- v{i}\n- {'y' * 100}{i}\n" for i in range(1_000))
    (root,) = yaml.compose_all(text, Loader=loader_class)
    assert [node.value for node in root.value[:2]] == ["v0", "y" * 100 + "0"]
    memo = next(cell.cell_contents for cell in loader_class.resolve.__closure__
                if isinstance(cell.cell_contents, dict))
    assert 0 < len(memo) <= 50 and all(len(value) <= load._RESOLVED_MAX_CHARS for value in memo)


def test_remembered_scalar_values_are_bounded_and_immutable(monkeypatch):
    monkeypatch.setattr(load, "_RESOLVED_MAX_ENTRIES", 50)
    monkeypatch.setattr(load, "_BUILT", {})
    text = "".join(f"- {i}\n- {'9' * 100}\n- 2024-01-{1 + i % 28:02d}\n- {i}.5\n- yes\n" for i in range(1_000))
    data = load.load_text(text, "values.yaml").documents[0].data
    assert data[:5] == [0, int("9" * 100), datetime.date(2024, 1, 1), 0.5, True]
    assert 0 < len(load._BUILT) <= 50
    assert all(len(text) <= load._RESOLVED_MAX_CHARS for _, text in load._BUILT)
    assert {type(value) for value in load._BUILT.values()} <= {int, float, bool}  # never a date


def test_default_loader_composes_what_pyyaml_composes():
    text = "a: 1\nb: [yes, '1', ~, 0x10, 1.5, 2024-01-02]\nc: {d: !!str 1, e: !custom x, <<: {f: g}}\n"

    def shape(node):
        if isinstance(node, yaml.ScalarNode):
            return node.tag, node.value
        if isinstance(node, yaml.SequenceNode):
            return node.tag, [shape(item) for item in node.value]
        return node.tag, [(shape(key), shape(value)) for key, value in node.value]

    ours = shape(yaml.compose(text, Loader=load.DefaultLoader))
    assert ours == shape(yaml.compose(text, Loader=yaml.CSafeLoader))
    assert ours[1][2][1][1][0][1] == ("tag:yaml.org,2002:str", "1")  # `!!str 1`


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")
def test_small_shallow_text_is_composed_by_libyaml(monkeypatch):
    assert load._CParser is not None and issubclass(load.DefaultLoader, load._CParser)

    def guarded(*args):
        raise AssertionError("composed by the guarded composer")

    monkeypatch.setattr(load, "_compose_guarded", guarded)
    assert load_text("a: [1, {b: c}]\n", "f.yaml").documents[0].data == {"a": [1, {"b": "c"}]}


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")
def test_which_composer_reads_a_large_file_depends_on_its_longest_document(monkeypatch):
    """libyaml composes a document whole before its nodes can be counted: it may compose
    a file of any size whose documents are each short enough to hold fewer nodes than the
    limit; a longer document is composed by the guarded composer, which counts."""
    composed = []
    guarded = load._compose_guarded
    monkeypatch.setattr(load, "_compose_guarded", lambda *args: composed.append("guarded") or guarded(*args))
    many_short = "---\n".join(["apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"] * 20_000)  # 1 MB
    assert len(load_text(many_short, "f.yaml").documents) == 20_000
    assert composed == []
    one_long = "items:\n" + "- {name: c}\n" * 50_000  # 600,000 characters in one document
    assert len(load_text(one_long, "f.yaml").documents[0].data["items"]) == 50_000
    assert composed == ["guarded"]


@pytest.mark.parametrize(
    "text, message, line",
    [
        ("a: 1\n---\nb: *x\n", "invalid YAML: found undefined alias 'x'", 3),
        ("a: &x 1\nb: &x 2\n", "invalid YAML: second occurrence (found duplicate anchor 'x'; first occurrence)", 2),
    ],
)
@pytest.mark.parametrize("loader", [pytest.param(load.DefaultLoader, id="default"), *LOADERS])
def test_composer_errors_name_the_anchor(text, message, line, loader):
    loaded = load_text(text, "f.yaml", loader)
    (problem,) = loaded.problems
    expected = ("syntax", message, line, text.count("---"))
    assert (problem.kind, problem.message, problem.span.line, problem.document) == expected


# The two scans before parsing, against their plain definitions.

SCAN_TEXTS = st.lists(
    st.sampled_from(["\n", "\r", "\r\n", " ", "\t", "-", "- ", "? ", ":", "[", "]", "{", "}", "[]", "a", "é", "\x85", "\u2028"])
    | st.characters(max_codepoint=0x110),
    max_size=80,
).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(SCAN_TEXTS, st.integers(0, 12))
def test_the_scans_before_parsing_agree_with_their_definitions(text, depth):
    bad = load._NOT_YAML.search(text)
    problem = load._not_yaml_text(text)
    assert (problem is None) == (bad is None and "\0" not in text)
    flow = text.count("[") + text.count("{") - text.count("[]") - text.count("{}")
    room = depth - 2 * flow - 2
    # at the start of a line, as YAML 1.1 (and libyaml) breaks lines: LF, CR, NEL, LS, PS
    line_start = "(?:\\A|(?<=[\\n\\r\\x85\\u2028\\u2029]))"
    expected = room < 0 or re.search(line_start + "[ \t?:-]{%d}" % (room // 2 + 1), text) is not None
    assert load._may_nest_deeper_than(text, depth) == expected


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(st.sampled_from(["---\n", "--- a\n", "---x\n", "a\n", "\n", "-", "--", " ---\n", "---"]), max_size=60).map("".join),
    st.integers(4, 40),
)
def test_the_document_length_test_never_lets_a_long_document_through(text, limit):
    """libyaml composes a whole document before its nodes can be counted: the quick test
    that every document is short may say no when it is not sure, never yes wrongly."""
    starts = [0, *(match.start() for match in load._DOCUMENT_START.finditer(text)), len(text)]
    longest = max(end - start for start, end in zip(starts, starts[1:]))
    if load._documents_no_longer_than(text, limit):
        assert longest <= limit
