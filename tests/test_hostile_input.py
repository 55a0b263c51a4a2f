"""Hostile and broken input: every file answered with findings or a clear problem, in bounded
time and memory, and the rest of the run goes on (issue 6; docs/security.md).

Each class of bad input the issue lists has a test here: bytes that are not YAML text, alias
bombs and deep nesting, huge files, tags that must never be constructed, Kubernetes objects of
the wrong shape, hostile paths, and output that must not be corrupted by what a manifest says.
"""

from __future__ import annotations

import codecs
import errno
import io
import json
import os
import stat
import subprocess
import sys
import textwrap
import time
import tracemalloc
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecarlint import discover as discover_module
from sidecarlint import load
from sidecarlint.cli import main
from sidecarlint.discover import FileTooLargeError, Source, discover, format_size, parse_size
from sidecarlint.engine import Linter, read_source
from sidecarlint.findings import INTERNAL_ERROR, Finding, ObjectRef, Severity
from sidecarlint.load import ALIAS_EXPANSION_LIMIT, MAX_DEPTH, load_bytes, load_text
from sidecarlint.positions import Span
from sidecarlint.reporters.text import format_finding
from tests.test_cli import BROKEN_MOUNT, CLEAN, write

ROOT = Path(__file__).resolve().parent.parent
LOADERS = [pytest.param(yaml.CSafeLoader, id="libyaml"), pytest.param(yaml.SafeLoader, id="pure-python")]
POSIX = os.name == "posix"


@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


@pytest.fixture(scope="module")
def linter():
    from sidecarlint.plugins import default_registry

    registry = default_registry(load_entry_points=False)
    return Linter(registry, list(registry.rules.values()))


def yaml_lines(text: str) -> int:
    """Lines as YAML counts them (CR LF, CR, LF, NEL, LS, PS each end one)."""
    return len(load._Lines(text)._starts)


def assert_valid_positions(findings, text: str) -> None:
    lines = yaml_lines(text)
    for finding in findings:
        span = finding.span
        assert 1 <= span.line <= lines + 1 and span.column >= 1, (finding.rule, span, finding.message)
        assert (span.end_line, span.end_column) >= (span.line, span.column), (finding.rule, span)


def lint_text(linter, text: str, loader=yaml.CSafeLoader):
    findings = linter.lint_file(load_text(text, "f.yaml", loader)).findings
    assert not [f for f in findings if f.rule == INTERNAL_ERROR], [f.message for f in findings]
    assert_valid_positions(findings, text)
    return findings


def rules_of(findings) -> list[str]:
    return [finding.rule for finding in findings]


# Bytes that are not YAML text.


@pytest.mark.parametrize("loader", LOADERS)
def test_invalid_yaml_is_a_problem_at_its_place(linter, loader):
    text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [web\n"
    findings = lint_text(linter, text, loader)
    assert rules_of(findings) == ["invalid-yaml"]
    assert findings[0].line == 5  # the end of input, where the flow sequence should have closed


def test_latin1_is_not_utf8_text_and_says_where():
    loaded = load_bytes("kind: Pod\nname: caf\xe9\n".encode("latin-1"), "f.yaml")
    (problem,) = loaded.problems
    assert problem.kind == "syntax" and "not UTF-8 text (byte 0xe9 at offset 19)" in problem.message
    assert (problem.span.line, problem.span.column) == (2, 10)


@pytest.mark.parametrize(
    "encoding, bom",
    [
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
        ("utf-32-be", codecs.BOM_UTF32_BE),
        ("utf-8", codecs.BOM_UTF8),
    ],
)
@pytest.mark.parametrize("with_bom", [True, False], ids=["bom", "no-bom"])
def test_utf16_and_utf32_with_and_without_bom_as_yaml_1_2_deduces(linter, encoding, bom, with_bom):
    """YAML 1.2 section 5.2: a byte order mark names the encoding; without one, the NUL bytes
    around the first (ASCII) character tell UTF-16 and UTF-32 from UTF-8."""
    raw = (bom if with_bom else b"") + BROKEN_MOUNT.encode(encoding)
    loaded = load_bytes(raw, "f.yaml")
    assert loaded.problems == []
    assert loaded.documents[0].data["kind"] == "Pod"
    assert loaded.documents[0].span(("metadata", "name")) == Span(4, 9, 4, 12)  # as in UTF-8
    findings = linter.lint_file(loaded).findings
    assert ("volume-mount-undefined", 10, 17) in [(f.rule, f.line, f.column) for f in findings]


def test_broken_utf16_is_reported_where_it_breaks():
    raw = codecs.BOM_UTF16_LE + "kind: Pod\nname: x\n".encode("utf-16-le") + b"\x00\xd8"  # a lone surrogate
    (problem,) = load_bytes(raw, "f.yaml").problems
    assert problem.kind == "syntax" and problem.message.startswith("the file is not UTF-16 text")
    assert (problem.span.line, problem.span.column) == (3, 1)
    (problem,) = load_bytes("kind: Pod\n".encode("utf-16-le") + b"k", "f.yaml").problems  # odd length
    assert problem.message.startswith("the file is not UTF-16 text")


@pytest.mark.parametrize(
    "raw",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10",
        b"SQLite format 3\x00\x10\x00\x01\x01\x00@  ",
        b"apiVersion: v1\nkind: Pod\x00\x00\x00\x01\x02",
        b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00",
    ],
    ids=["png", "sqlite", "nul-after-text", "elf"],
)
def test_binary_files_are_not_text_and_are_not_parsed(raw, monkeypatch):
    monkeypatch.setattr(yaml, "compose_all", lambda *a, **k: pytest.fail("a binary file reached the parser"))
    loaded = load_bytes(raw, "f.bin")
    assert loaded.documents == []
    (problem,) = loaded.problems
    assert problem.kind == "syntax"
    assert "not text" in problem.message or "not UTF-8 text" in problem.message


def test_nul_is_reported_at_its_place():
    (problem,) = load_bytes(b"apiVersion: v1\nkind: Pod\x00\n", "f.yaml").problems
    assert problem.message == "the file is not text: it holds a NUL byte at line 2, column 10, as binary files do; it was not read"
    assert problem.span == Span(2, 10, 2, 11)


@pytest.mark.parametrize("loader", LOADERS)
def test_control_character_is_reported_the_same_by_both_parsers(loader):
    loaded = load_text('a: 1\nb: "x\x1by"\n', "f.yaml", loader)
    (problem,) = loaded.problems
    assert "control character U+001B" in problem.message
    assert problem.span == Span(2, 6, 2, 7)


@pytest.mark.parametrize(
    "raw",
    [b"", b"\n\n", b"# only a comment\n", b"# one\n# two\n---\n# three\n", codecs.BOM_UTF8, codecs.BOM_UTF8 + b"# c\n"],
    ids=["empty", "blank-lines", "comment", "comments-and-markers", "bom-only", "bom-comment"],
)
def test_empty_and_comment_only_files_have_nothing_to_report(linter, raw):
    loaded = load_bytes(raw, "f.yaml")
    assert loaded.problems == []
    assert all(document.data is None for document in loaded.documents)
    assert linter.lint_file(loaded).findings == []


def test_utf8_bom_is_not_part_of_the_text(linter):
    loaded = load_bytes(codecs.BOM_UTF8 + BROKEN_MOUNT.encode(), "f.yaml")
    assert loaded.problems == [] and loaded.documents[0].span(("kind",)) == Span(2, 7, 2, 10)
    assert [(f.rule, f.line, f.column) for f in linter.lint_file(loaded).findings] == [("volume-mount-undefined", 10, 17)]


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "cr"])
def test_crlf_and_cr_line_endings_keep_positions(linter, loader, newline):
    text = BROKEN_MOUNT.replace("\n", newline)
    findings = lint_text(linter, text, loader)
    assert [(f.rule, f.line, f.column) for f in findings] == [("volume-mount-undefined", 10, 17)]


@pytest.mark.parametrize("loader", LOADERS)
def test_tabs(linter, loader):
    # A tab inside a value or a comment is text; a tab in indentation is a syntax error at the tab.
    text = BROKEN_MOUNT.replace("image: nginx:1.27.2", "image: nginx:1.27.2  #\tpinned\n      args: ['a\tb', \"c\\td\"]")
    assert rules_of(lint_text(linter, text, loader)) == ["volume-mount-undefined"]
    findings = lint_text(linter, BROKEN_MOUNT.replace("      image: nginx", "\t  image: nginx"), loader)
    assert rules_of(findings) == ["invalid-yaml"] and (findings[0].line, findings[0].column) == (8, 1)
    # After a value indicator, libyaml takes a tab as a separator and PyYAML's own scanner refuses
    # it ("found character '\\t' that cannot start any token"): either way, an answer, no crash.
    findings = lint_text(linter, BROKEN_MOUNT.replace("image: nginx", "image:\tnginx"), loader)
    assert rules_of(findings) == (["volume-mount-undefined"] if loader is yaml.CSafeLoader else ["invalid-yaml"])


# Alias bombs, recursive aliases, deep nesting.


def billion_laughs(levels: int = 9) -> str:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("loader", LOADERS)
def test_billion_laughs_is_not_expanded_and_is_quick(linter, loader):
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\n" + billion_laughs()
    start = time.perf_counter()
    findings = lint_text(linter, text, loader)
    assert time.perf_counter() - start < 5
    assert rules_of(findings) == ["document-too-complex"]
    assert f"more than {ALIAS_EXPANSION_LIMIT:,} nodes" in findings[0].message
    assert findings[0].document == 1  # the document before it is still read
    assert 5 <= findings[0].line <= 13


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("text", ["&a [*a]\n", "a: &a\n  b: *a\n", "- &a {x: [*a]}\n"])
def test_recursive_aliases_are_reported(linter, loader, text):
    findings = lint_text(linter, text, loader)
    assert rules_of(findings) == ["document-too-complex"]
    assert "recursive alias" in findings[0].message


@pytest.mark.parametrize("loader", LOADERS)
def test_a_chain_of_merge_keys_is_nesting_too(linter, loader):
    """Each mapping merges the one before: building the last recurses through them all."""
    lines = ["m0: &m0 {x: 1}"] + [f"m{i}: &m{i} {{<<: *m{i - 1}, k{i}: {i}}}" for i in range(1, 1000)]
    findings = lint_text(linter, "\n".join(lines) + "\n", loader)
    assert rules_of(findings) == ["document-too-complex"]


@pytest.mark.parametrize("loader", LOADERS)
def test_deep_nesting_within_the_limit_is_read(loader):
    depth = MAX_DEPTH  # the root plus 199 levels inside it: allowed
    loaded = load_text("[" * depth + "]" * depth + "\n", "f.yaml", loader)
    assert loaded.problems == [] and loaded.documents[0].data is not None


DEEP_INPUTS = {
    "flow-sequences": lambda n: "[" * n + "]" * n + "\n",
    "flow-mappings": lambda n: "{a: " * n + "x" + "}" * n + "\n",
    "one-pair-mappings": lambda n: "[a: " * n + "x" + "]" * n + "\n",
    "block-mappings": lambda n: "".join(" " * i + "k:\n" for i in range(n)),
    "block-mappings-cr": lambda n: "".join(" " * i + "k:\r" for i in range(n)),  # YAML 1.1 breaks lines at CR too
    "block-sequences": lambda n: "- " * n + "x\n",
}


@pytest.mark.parametrize("shape", sorted(DEEP_INPUTS))
@pytest.mark.parametrize("loader", ["CSafeLoader", "SafeLoader"])
def test_100000_levels_of_nesting_in_a_subprocess(shape, loader):
    """libyaml's composer recurses in C: this depth would overflow the stack and kill the
    process (SIGSEGV), and both scanners slow down in the square of the flow depth. The
    loader must refuse it quickly, at the first collection past MAX_DEPTH."""
    depth = 100_000 if not shape.startswith("block-mappings") else 20_000  # 20,000 lines of indentation: 200 MB
    script = textwrap.dedent(
        f"""
        import json, sys, time, yaml
        from sidecarlint.load import load_text
        from tests.test_hostile_input import DEEP_INPUTS
        text = DEEP_INPUTS[{shape!r}]({depth})
        start = time.perf_counter()
        loaded = load_text(text, "deep.yaml", yaml.{loader})
        print(json.dumps({{"seconds": time.perf_counter() - start,
                          "problems": [[p.kind, p.message, p.span.line, p.span.column] for p in loaded.problems]}}))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]  # -11 would be the C stack overflow
    outcome = json.loads(completed.stdout)
    ((kind, message, line, column),) = outcome["problems"]
    assert kind == "too-complex" and f"more than {MAX_DEPTH} levels deep" in message
    assert line >= 1 and column >= 1
    assert outcome["seconds"] < 10


@pytest.mark.parametrize("loader", LOADERS)
def test_many_flow_collections_take_the_guarded_composer_and_read_the_same(linter, loader):
    """Over the cheap depth bound (a few hundred `{...}`), the file is composed from events;
    the findings are the same as with libyaml's composer."""
    pods = "\n---\n".join(BROKEN_MOUNT.replace("name: web\n", f"name: web{i}\n", 1) for i in range(60))
    assert load._may_nest_deeper_than(pods, MAX_DEPTH)
    guarded = [(f.rule, f.span, f.message) for f in lint_text(linter, pods, loader)]
    small = [(f.rule, f.span, f.message) for f in lint_text(linter, BROKEN_MOUNT, yaml.CSafeLoader)]
    assert len(guarded) == 60 and guarded[0] == small[0]


def test_guarded_composer_builds_the_nodes_libyaml_builds():
    from tests.test_fuzz import node_shape as shape

    paths = sorted(ROOT.glob("fixtures/*/*.yaml")) + sorted(ROOT.glob("examples/*.yaml"))
    compared = 0
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if load._may_nest_deeper_than(text, MAX_DEPTH):
            continue
        for loader in (yaml.CSafeLoader, yaml.SafeLoader):  # each against its own composer
            try:
                expected = [shape(root, {}) for root in yaml.compose_all(text, Loader=loader)]
            except yaml.YAMLError:
                continue
            actual = [shape(root, {}) for root in load._compose_guarded(text, loader, load._Budget())]
            assert actual == expected, (path.name, loader.__name__)
            compared += 1
    assert compared > 100


# Huge inputs.


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tree, monkeypatch):
    huge = tree / "huge.yaml"
    with open(huge, "wb") as handle:  # sparse: a gigabyte that costs nothing on disk
        handle.truncate(1 << 30)
    reads = []
    monkeypatch.setattr(discover_module.os, "fdopen", lambda *a, **k: reads.append(a) or pytest.fail("read it"))
    monkeypatch.setattr(discover_module.os, "read", lambda *a, **k: reads.append(a) or pytest.fail("read it"))
    source = Source("huge.yaml", str(huge))
    with pytest.raises(FileTooLargeError) as raised:
        source.read()
    assert raised.value.strerror == "it holds 1,073,741,824 bytes, more than the 10 MiB that --max-file-size allows"
    assert reads == []


def test_a_file_that_grew_since_its_size_was_taken_is_read_whole_up_to_the_limit(tmp_path):
    grown = tmp_path / "grown.yaml"
    grown.write_bytes(b"x" * 3000)
    descriptor = os.open(grown, os.O_RDONLY)
    try:  # as if the file had held 10 bytes when it was looked at
        assert discover_module._read_regular(descriptor, 4000, 10) == b"x" * 3000
        os.lseek(descriptor, 0, os.SEEK_SET)
        with pytest.raises(FileTooLargeError) as raised:
            discover_module._read_regular(descriptor, 2000, 10)
        assert raised.value.strerror == "it holds more than the 2,000 bytes that --max-file-size allows"
    finally:
        os.close(descriptor)


def test_max_file_size_flag_and_the_rest_of_the_run(tree, capsys):
    write(tree / "a-big.yaml", CLEAN + "# padding\n" * 300)  # about 3.5 KB
    write(tree / "b-pod.yaml", BROKEN_MOUNT)
    assert main([".", "--max-file-size", "2KiB"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("a-big.yaml:1:1: error [file-unreadable] cannot read the file: it holds ")
    assert out[0].endswith("bytes, more than the 2 KiB that --max-file-size allows")
    assert out[1].startswith("b-pod.yaml:10:17: error [volume-mount-undefined]")
    assert main([".", "--max-file-size", "1M"]) == 1
    assert "file-unreadable" not in capsys.readouterr().out


def test_standard_input_is_read_up_to_the_limit_only(tree, capsys, monkeypatch):
    class Endless(io.RawIOBase):
        given = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            buffer[:] = b"a" * len(buffer)
            Endless.given += len(buffer)
            return len(buffer)

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(Endless())))
    assert main(["-", "--max-file-size", "64KiB"]) == 1
    assert "more than the 64 KiB that --max-file-size allows" in capsys.readouterr().out
    assert Endless.given < 1 << 20  # what was asked for (limit + 1), and a buffer's worth


@pytest.mark.parametrize(
    "text, size",
    [("10MiB", 10 << 20), ("10M", 10 << 20), ("512k", 512 << 10), ("1048576", 1 << 20), ("1.5 GiB", 3 << 29), ("100b", 100)],
)
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "0", "-1", "ten", "10MB", "1e9", "nan", "inf"])
def test_parse_size_refuses(text, tree, capsys):
    with pytest.raises(ValueError):
        parse_size(text)
    assert main(["--max-file-size", text, "."]) == 2
    assert "--max-file-size:" in capsys.readouterr().err


def test_format_size():
    assert [format_size(n) for n in (10 << 20, 1536, 2048, 100)] == ["10 MiB", "1,536 bytes", "2 KiB", "100 bytes"]


@pytest.mark.parametrize("loader", LOADERS)
def test_a_scalar_of_megabytes(linter, loader):
    big = "x" * 5_000_000
    text = BROKEN_MOUNT.replace("image: nginx:1.27.2", f"image: nginx:1.27.2\n      args: ['{big}']")
    start = time.perf_counter()
    findings = lint_text(linter, text, loader)
    assert time.perf_counter() - start < 20
    assert rules_of(findings) == ["volume-mount-undefined"]


LONG = 200_000
LONG_VALUES = {  # each made a rule's regular expression or parser quadratic once
    "slashes": "/" * LONG,  # the catalogue's image path suffixes: a square of memory
    "digits": "1" * LONG + "x",  # the quantity pattern's backtracking
    "port-flags": "--" + "port" * (LONG // 4) + "!",  # port and address flags
    "letters": "a" * LONG + "localhost",  # the URL scheme before a localhost address
    "quoted": "'" + "x" * LONG,  # shlex builds a word a character at a time
    "tails": "tail -f " * (LONG // 8),  # each tail re-parsed the rest of the command
    "comments": " # sidecarlint: ignore[a" * (LONG // 24),
}
LONG_FIELDS = [
    ("spec", "template", "spec", "initContainers", 0, "image"),
    ("spec", "template", "spec", "initContainers", 0, "args", 0),
    ("spec", "template", "spec", "containers", 0, "command"),
    ("spec", "template", "spec", "containers", 0, "env", 0, "value"),
    ("spec", "template", "spec", "containers", 0, "resources", "limits", "memory"),
    ("spec", "template", "spec", "containers", 0, "volumeMounts", 0, "mountPath"),
    ("spec", "template", "metadata", "annotations", "prometheus.io/port"),
]


@pytest.mark.parametrize("field", LONG_FIELDS, ids=lambda path: ".".join(map(str, path[3:])))
def test_long_values_cost_linear_time(linter, field):
    from tests.test_fuzz import BASE_DEPLOYMENT, replaced

    for name, value in LONG_VALUES.items():
        document = replaced(BASE_DEPLOYMENT, field, [value] if field[-1] == "command" else value)
        text = yaml.safe_dump(document, width=10**9)
        start = time.perf_counter()
        lint_text(linter, text)
        assert time.perf_counter() - start < 3, name


def test_node_limit_stops_the_file_and_keeps_what_came_before(linter, monkeypatch):
    """A file of 100,000 documents: the nodes a file may build are limited (MAX_NODES), so
    that its time is bounded too; made small here, the real figure is in docs/security.md."""
    monkeypatch.setattr(load, "MAX_NODES", 1_000)
    monkeypatch.setattr(load, "_FILE_TOO_BIG", "too many nodes")
    # 13 nodes: the document's mapping, 4 keys and 2 values, {name: c} (3) and {a: b} (3)
    document = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n"
    text = "---\n".join([document] * 100_000)
    for loader in (yaml.CSafeLoader, yaml.SafeLoader):
        loaded = load_text(text, "many.yaml", loader)
        assert len(loaded.documents) == 76  # 76 x 13 = 988 nodes; the 77th document passes 1,000
        (problem,) = loaded.problems
        assert (problem.kind, problem.message, problem.document) == ("too-complex", "too many nodes", 76)
        # the 77th document starts on line 76 x 5 + 1; its 13th node, `b`, is on its 4th line
        assert (problem.span.line, problem.span.column) == (384, 11)
        findings = linter.lint_file(loaded).findings
        assert rules_of(findings) == ["document-too-complex"]


def test_a_file_of_many_documents_is_linted_in_the_memory_of_one(linter, tmp_path):
    """Each document is let go once linted: memory grows with the file's text (its bytes, the
    decoded text, the UTF-8 copy libyaml parses and the ASCII copy the character check
    makes: four bytes a byte), not with its nodes, which took some 70 bytes a byte of YAML
    when a file's documents were all kept until the end."""
    document = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"
    small, large = tmp_path / "small.yaml", tmp_path / "large.yaml"
    small.write_text(document * 1_000)
    large.write_text(document * 10_000)

    def peak(path: Path) -> int:
        tracemalloc.start()
        try:
            result = linter.lint_source(Source(str(path), str(path)))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
            assert result.findings == []

    peak(small)  # imports and first-use caches are not the file's
    growth = peak(large) - peak(small)
    extra_text = large.stat().st_size - small.stat().st_size
    assert growth < 6 * extra_text, f"{growth:,} bytes more for {extra_text:,} bytes more YAML"


def test_node_limit_counts_the_copies_aliases_make(monkeypatch):
    monkeypatch.setattr(load, "MAX_NODES", 500)
    anchors = "base: &b [1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
    # 114 nodes each: the mapping, `base` and its 10, `uses` and its list, and 10 copies of 10
    documents = [anchors + "uses: [" + ", ".join(["*b"] * 10) + "]\n"] * 10
    loaded = load_text("---\n".join(documents), "f.yaml", yaml.CSafeLoader)
    assert [p.kind for p in loaded.problems] == ["too-complex"]
    assert len(loaded.documents) == 4  # 4 x 114 = 456; the fifth passes 500


def test_huge_numbers_and_values_that_do_not_fit_their_type(linter):
    text = textwrap.dedent(
        f"""\
        a: {"9" * 5000}
        b: 0x_
        c: 2024-13-45
        d: 0b_
        e: {"1" * 5000}.5
        f: !!int abc
        g: !!bool maybe
        h: !!timestamp nope
        i: !!float x
        j: !!binary "é"
        k: !!timestamp 2020-01-01 10:00:00 +99:00
        """
    )
    for loader in (yaml.CSafeLoader, yaml.SafeLoader):
        loaded = load_text(text, "f.yaml", loader)
        data = loaded.documents[0].data
        assert data["b"] == "0x_" and data["c"] == "2024-13-45"  # plain values that only look typed stay text
        # `k`'s tag is the one its plain value would get anyway, so it cannot be told from a guess
        assert data["k"] == "2020-01-01 10:00:00 +99:00"
        problems = [(p.kind, p.path) for p in loaded.problems]
        assert problems == [("syntax", (key,)) for key in "fghij"], problems
        lint_text(linter, text, loader)


# Tags that must never be constructed.


@pytest.mark.parametrize("loader", LOADERS)
def test_python_tags_are_never_constructed_and_are_reported(linter, loader, monkeypatch):
    called = []
    monkeypatch.setattr(os, "system", lambda command: called.append(command))
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: called.append(a))
    text = textwrap.dedent(
        """\
        apiVersion: v1
        kind: Pod
        metadata:
          name: !!python/name:os.system
          annotations: !!python/object/new:dict {}
        spec:
          containers:
            - name: app
              image: !!python/object/apply:os.system ["touch /tmp/pwned"]
              command: !!python/object/apply:subprocess.Popen [["touch", "/tmp/pwned"]]
            - !custom {name: x}
        """
    )
    findings = lint_text(linter, text, loader)
    assert called == []
    tags = [(f.line, f.column, f.message.split(" asks")[0].split(" is not")[0]) for f in findings if f.rule == "unknown-tag"]
    assert tags == [
        (4, 9, "the tag !!python/name:os.system"),
        (5, 16, "the tag !!python/object/new:dict"),
        (9, 14, "the tag !!python/object/apply:os.system"),
        (10, 16, "the tag !!python/object/apply:subprocess.Popen"),
        (11, 7, "the tag !custom"),
    ]
    messages = [f.message for f in findings if f.rule == "unknown-tag"]
    assert "asks a Python YAML loader to import os.system" in messages[0]
    assert "to call os.system while it reads the file" in messages[2]
    assert "reads the plain mapping" in messages[4]


def test_kubernetes_decoder_would_read_unknown_tags_as_plain_values():
    loaded = load_text("a: !custom 12\nb: !!python/tuple [1, 2]\nc: !x {k: v}\n", "f.yaml")
    assert loaded.documents[0].data == {"a": "12", "b": [1, 2], "c": {"k": "v"}}


# Wrong shapes in Kubernetes objects.

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations: {a: b}
spec:
  containers:
    - name: web
      image: nginx:1.27.2
      ports:
        - containerPort: 80
      resources:
        requests: {cpu: 100m, memory: 64Mi}
        limits: {memory: 64Mi}
      volumeMounts:
        - {name: data, mountPath: /data}
  volumes:
    - {name: data, emptyDir: {}}
"""

# (what, change to POD, the invalid-field findings expected: (line, column, message part)).
SHAPES = [
    ("containers a string", ("  containers:\n    - name: web", "  containers: web\n  x:\n    - name: web"),
     [(7, 15, "spec.containers must be a list ([]Container), not 'web' (a string)")]),
    ("containers a mapping", ("  containers:\n    - name: web\n", "  containers:\n    web:\n"), None),
    ("ports null", ("      ports:\n        - containerPort: 80\n", "      ports: null\n"), []),
    ("a port a string", ("        - containerPort: 80", "        - \"80\""),
     [(11, 11, "spec.containers[0].ports[0] must be a mapping (ContainerPort), not '80' (a string)")]),
    ("containerPort a string", ("containerPort: 80", "containerPort: '80'"),
     [(11, 26, "containerPort must be an integer (int32), not '80' (a string)")]),
    ("memory a number", ("limits: {memory: 64Mi}", "limits: {memory: 67108864}"), []),
    ("memory not a quantity", ("limits: {memory: 64Mi}", "limits: {memory: 64 megabytes}"),
     [(14, 26, "limits.memory must be a quantity such as 500m or 1Gi")]),
    ("volumes missing", ("  volumes:\n    - {name: data, emptyDir: {}}\n", ""), []),
    ("image null", ("image: nginx:1.27.2", "image: null"), []),
    ("image a list", ("image: nginx:1.27.2", "image: [nginx]"), [(9, 7, "spec.containers[0].image must be a string, not a list")]),
    ("name a number", ("    - name: web", "    - name: 42"), [(8, 13, "spec.containers[0].name must be a string, not 42 (a number)")]),
    ("spec a list", ("spec:\n  containers:", "spec:\n- containers:"), None),
    ("kind not a string", ("kind: Pod", "kind: 7"), None),
    ("annotations a list", ("annotations: {a: b}", "annotations: [a, b]"),
     [(5, 3, "metadata.annotations must be a mapping of strings (map[string]string), not a list")]),
    ("annotation a number", ("annotations: {a: b}", "annotations: {prometheus.io/port: 9090}"),
     [(5, 37, "metadata.annotations[prometheus.io/port] must be a string, not 9090 (a number)")]),
    ("metadata a string", ("metadata:\n  name: web\n  annotations: {a: b}\n", "metadata: web\n"),
     [(3, 11, "metadata must be a mapping (ObjectMeta), not 'web' (a string)")]),
    ("volume mounts a mapping", ("        - {name: data, mountPath: /data}", "          name: data"),
     [(15, 7, "volumeMounts must be a list ([]VolumeMount), not a mapping")]),
    ("readOnly a string", ("mountPath: /data}", "mountPath: /data, readOnly: 'yes'}"),
     [(16, 52, "readOnly must be true or false, not 'yes' (a string)")]),
]


@pytest.mark.parametrize("loader", LOADERS)
@pytest.mark.parametrize("what, change, expected", SHAPES, ids=[shape[0] for shape in SHAPES])
def test_wrong_shapes_never_crash_a_rule_and_are_reported_where_kubernetes_refuses_them(
    linter, loader, what, change, expected
):
    old, new = change
    assert old in POD
    text = POD.replace(old, new)
    findings = lint_text(linter, text, loader)  # no internal-error: every rule ran on it
    invalid = [(f.line, f.column, f.message) for f in findings if f.rule == "invalid-field"]
    if expected is None:  # shapes that keep the pod spec from being reached or recognised
        assert invalid == [] or what == "containers a mapping"
        if what == "containers a mapping":
            assert [(line, column) for line, column, _ in invalid] == [(7, 3)]
        elif what == "spec a list":
            assert [(f.rule, f.line) for f in findings] == [("invalid-object", 6)]
        else:
            assert [(f.rule, f.line, f.column) for f in findings] == [("invalid-object", 2, 7)]
        return
    assert [(line, column) for line, column, _ in invalid] == [(line, column) for line, column, _ in expected]
    for (_, _, message), (_, _, part) in zip(invalid, expected):
        assert part in message, message


def test_every_rule_survives_every_field_of_the_wrong_type(linter):
    """Each field of a full pod, replaced in turn by values of every other type: no rule raises."""
    from tests.test_fuzz import BASE_DEPLOYMENT, WRONG_VALUES, paths_of, replaced

    count = 0
    for path in paths_of(BASE_DEPLOYMENT):
        for value in WRONG_VALUES[::2]:  # one of each kind; the fuzz tests draw the rest
            text = yaml.safe_dump(replaced(BASE_DEPLOYMENT, path, value))
            lint_text(linter, text)
            count += 1
    assert count > 1000


# Paths.


def lint_tree(argv, capsys) -> tuple[int, list[str]]:
    status = main(argv)
    return status, capsys.readouterr().out.splitlines()


@pytest.mark.skipif(not POSIX, reason="symbolic links and FIFOs")
def test_symlink_loops_are_reported_and_directory_loops_not_followed(tree, capsys):
    write(tree / "pod.yaml", BROKEN_MOUNT)
    os.symlink("b.yaml", tree / "a.yaml")
    os.symlink("a.yaml", tree / "b.yaml")
    os.symlink("self.yaml", tree / "self.yaml")
    os.symlink("missing.yaml", tree / "dangling.yaml")
    (tree / "sub").mkdir()
    os.symlink("..", tree / "sub" / "up")  # a directory loop: never followed in a walk
    status, out = lint_tree(["."], capsys)
    assert status == 1
    assert out == [
        "a.yaml:1:1: error [file-unreadable] cannot read the file: Too many levels of symbolic links",
        "b.yaml:1:1: error [file-unreadable] cannot read the file: Too many levels of symbolic links",
        "dangling.yaml:1:1: error [file-unreadable] cannot read the file: No such file or directory",
        out[3],
        "self.yaml:1:1: error [file-unreadable] cannot read the file: Too many levels of symbolic links",
        "Found 5 problems (5 errors) in 5 of 5 files checked.",
    ]
    assert out[3].startswith("pod.yaml:10:17: error [volume-mount-undefined]")


@pytest.mark.skipif(not POSIX, reason="symbolic links")
def test_symlink_to_a_directory_outside_the_tree_is_not_followed(tmp_path, monkeypatch, capsys):
    outside = tmp_path / "outside"
    write(outside / "secret.yaml", BROKEN_MOUNT)
    repo = tmp_path / "repo"
    write(repo / "pod.yaml", CLEAN)
    os.symlink(outside, repo / "linked")
    os.symlink(outside, repo / "linked.yaml")  # a link to a directory, named like a manifest
    monkeypatch.chdir(repo)
    assert [s.display for s in discover(["."])] == ["pod.yaml"]
    assert main(["."]) == 0
    assert capsys.readouterr().out == "No problems found (1 file checked).\n"
    # Named on the command line, the link is the user's choice, and it is walked.
    assert [s.display for s in discover(["linked"])] == [os.path.join("linked", "secret.yaml")]


def test_a_file_that_cannot_be_read_is_reported_and_the_run_goes_on(tree, capsys, monkeypatch):
    """Tests run as root, who reads any file: the refusal is simulated where the file is opened."""
    write(tree / "a-locked.yaml", CLEAN)
    write(tree / "b-pod.yaml", BROKEN_MOUNT)
    real_open = os.open

    def refuse(path, *args, **kwargs):
        if str(path).endswith("a-locked.yaml"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(discover_module.os, "open", refuse)
    status, out = lint_tree(["."], capsys)
    assert status == 1
    assert out[0] == "a-locked.yaml:1:1: error [file-unreadable] cannot read the file: Permission denied"
    assert out[1].startswith("b-pod.yaml:10:17: error [volume-mount-undefined]")


def scandir_fails(monkeypatch, suffix: str, error: OSError) -> None:
    """Listing a directory whose path ends with `suffix` raises `error` (with that path)."""
    real_scandir = os.scandir

    def scandir(path="."):
        if str(path).endswith(suffix):
            raise type(error)(error.errno, error.strerror, str(path))
        return real_scandir(path)

    monkeypatch.setattr(discover_module.os, "scandir", scandir)


def test_a_directory_that_cannot_be_listed_is_reported(tree, capsys, monkeypatch):
    write(tree / "locked" / "pod.yaml", BROKEN_MOUNT)
    write(tree / "open" / "pod.yaml", BROKEN_MOUNT)
    scandir_fails(monkeypatch, "locked", PermissionError(errno.EACCES, "Permission denied"))
    status, out = lint_tree(["."], capsys)
    assert out[0] == "locked:1:1: error [file-unreadable] cannot read the file: it is a directory that cannot be listed (Permission denied)"
    assert out[1].startswith(os.path.join("open", "pod.yaml") + ":10:17: error [volume-mount-undefined]")


def test_paths_that_vanish_during_the_walk(tree, capsys, monkeypatch):
    write(tree / "gone.yaml", BROKEN_MOUNT)
    write(tree / "pod.yaml", BROKEN_MOUNT)
    write(tree / "vanishing" / "pod.yaml", BROKEN_MOUNT)
    scandir_fails(monkeypatch, "vanishing", FileNotFoundError(errno.ENOENT, "No such file or directory"))
    sources = discover(["."])
    assert [s.display for s in sources] == ["gone.yaml", "pod.yaml"]  # the vanished directory is passed over
    (tree / "gone.yaml").unlink()  # after it was found, before it is read
    from sidecarlint.plugins import default_registry

    registry = default_registry(load_entry_points=False)
    result = Linter(registry, list(registry.rules.values())).lint_sources(sources)
    assert [(f.path, f.rule, f.message) for f in result.findings][0] == (
        "gone.yaml", "file-unreadable", "cannot read the file: No such file or directory"
    )
    assert [f.path for f in result.findings][1:] == ["pod.yaml"]


@pytest.mark.parametrize("name", ["my pod.yaml", "pöd-ünïcode.yaml", "名前 付き.yml", "tab\tand'quote.yaml", "new\nline.yaml"])
def test_file_names_with_spaces_and_non_ascii(tree, capsys, name):
    write(tree / "dir with space" / name, BROKEN_MOUNT)
    shown = os.path.join("dir with space", name)
    assert main(["."]) == 1
    out = capsys.readouterr().out  # a line break in a name is shown escaped: one line a finding
    assert out.startswith(f"{shown}:10:17: error [volume-mount-undefined]".replace("\n", "\\n")) and out.count("\n") == 2
    assert main([".", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["findings"][0]["path"] == shown
    assert main([".", "--format", "sarif"]) == 1
    uri = json.loads(capsys.readouterr().out)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    from urllib.parse import unquote

    assert unquote(uri) == shown.replace(os.sep, "/") and " " not in uri


def test_a_directory_of_20000_files_is_walked_quickly(tmp_path):
    many = tmp_path / "many"
    many.mkdir()
    for index in range(20_000):
        (many / f"f{index:05d}.yaml").write_bytes(b"")
    start = time.perf_counter()
    sources = discover([str(many)])
    elapsed = time.perf_counter() - start
    assert len(sources) == 20_000 and sources[0].path.endswith("f00000.yaml")
    assert elapsed < 5, f"discovering 20,000 files took {elapsed:.2f} s"


FIFO_SCRIPT = """
import os, sys
sys.path.insert(0, {root!r})
from sidecarlint.cli import main
sys.exit(main({argv!r}))
"""


def run_cli(argv, cwd, timeout=30):
    """In a subprocess with a timeout: a test that blocked on a pipe would hang the suite."""
    script = FIFO_SCRIPT.format(root=str(ROOT), argv=list(argv))
    return subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.mark.skipif(not POSIX, reason="FIFOs")
def test_pipes_and_devices_in_a_walk_are_passed_over(tmp_path):
    write(tmp_path / "pod.yaml", BROKEN_MOUNT)
    os.mkfifo(tmp_path / "pipe.yaml")  # nobody writes to it: opening it to read would block
    os.symlink("/dev/zero", tmp_path / "zero.yaml")  # reading it would never end
    completed = run_cli(["."], tmp_path)
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout.splitlines()[-1] == "Found 1 problem (1 error) in 1 of 1 file checked."


@pytest.mark.skipif(not POSIX, reason="FIFOs")
def test_a_walked_file_swapped_for_a_pipe_before_it_is_read_is_refused_at_once(tmp_path):
    os.mkfifo(tmp_path / "pod.yaml")  # a regular file when the walk saw it; no writer now
    with pytest.raises(discover_module.NotRegularFileError, match="it is a named pipe, not a regular file"):
        Source("pod.yaml", str(tmp_path / "pod.yaml"), walked=True).read()


@pytest.mark.skipif(not POSIX, reason="FIFOs and devices")
def test_named_pipes_never_block_and_devices_are_reported(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    completed = run_cli(["pipe.yaml", "/dev/zero"], tmp_path, timeout=20)  # no writer: read at once, empty
    assert completed.stdout.splitlines() == [
        "/dev/zero:1:1: error [file-unreadable] cannot read the file: it is a character device, not a regular file",
        "Found 1 problem (1 error) in 1 of 2 files checked.",
    ]
    # A pipe with a writer, as bash's process substitution `sidecarlint <(helm template ...)` makes.
    script = FIFO_SCRIPT.format(root=str(ROOT), argv=["/dev/stdin"])
    completed = subprocess.run(
        [sys.executable, "-c", script], input=BROKEN_MOUNT, cwd=tmp_path, capture_output=True, text=True, timeout=20
    )
    assert completed.stdout.startswith("/dev/stdin:10:17: error [volume-mount-undefined]"), completed.stderr


def test_every_bad_input_in_one_run_and_the_good_file_is_still_linted(tree, capsys):
    files = {
        "a-invalid.yaml": b"kind: Pod\nmetadata: {name: [x\n",
        "b-latin1.yaml": "name: caf\xe9\n".encode("latin-1"),
        "c-binary.yaml": b"\x00\x01\x02\x03",
        "d-bomb.yaml": billion_laughs().encode(),
        "e-deep.yaml": ("[" * 5000 + "]" * 5000).encode(),
        "f-tag.yaml": b"a: !!python/object/apply:os.system [ls]\n",
        "g-shape.yaml": POD.replace("containerPort: 80", "containerPort: '80'").encode(),
        "h-utf16.yaml": CLEAN.encode("utf-16-le"),
        "i-empty.yaml": b"",
        "z-pod.yaml": BROKEN_MOUNT.encode(),
    }
    for name, raw in files.items():
        (tree / name).write_bytes(raw)
    status, out = lint_tree([".", "--format", "json"], capsys)
    report = json.loads("\n".join(out))
    assert status == 1  # findings, not a crash of sidecarlint (that would be 2)
    by_file = {}
    for finding in report["findings"]:
        by_file.setdefault(finding["path"], set()).add(finding["rule"])
    by_file["g-shape.yaml"].discard("probes-missing")  # the pod has no probes, a finding of its own
    assert by_file == {
        "a-invalid.yaml": {"invalid-yaml"},
        "b-latin1.yaml": {"invalid-yaml"},
        "c-binary.yaml": {"invalid-yaml"},
        "d-bomb.yaml": {"document-too-complex"},
        "e-deep.yaml": {"document-too-complex"},
        "f-tag.yaml": {"unknown-tag"},
        "g-shape.yaml": {"invalid-field"},
        "z-pod.yaml": {"volume-mount-undefined"},
    }
    assert report["summary"]["files"] == len(files)


# Output.

HOSTILE_NAME = "web\n::error file=x.yaml::forged\x1b[2J\x1b[31mred\r\u202eevil\x07"


def hostile_finding() -> Finding:
    return Finding(
        rule="port-conflict",
        severity=Severity.ERROR,
        message=f"container {HOSTILE_NAME!s} <b>&amp; \"quoted\" 100% %0A",
        path="dir/pod.yaml",
        span=Span(3, 5, 3, 9),
        object=ObjectRef("Pod", "pod\nname", None),
        container=HOSTILE_NAME,
    )


def test_text_output_cannot_be_driven_by_the_manifest():
    line = format_finding(hostile_finding())
    assert "\n" not in line and "\r" not in line and "\x1b" not in line and "\u202e" not in line and "\x07" not in line
    assert "web\\n::error file=x.yaml::forged\\x1b[2J\\x1b[31mred\\r\\u202eevil\\x07" in line
    coloured = format_finding(hostile_finding(), colour=True)
    assert coloured.count("\x1b") == 6  # only sidecarlint's own colour codes


def test_a_manifest_with_escapes_in_names_end_to_end(tree, capsys):
    manifest = CLEAN.replace("name: web\n", 'name: "web\\n::error::forged \\e[31m"\n')
    write(tree / "pod.yaml", manifest.replace("image: nginx:1.27.2", "image: nginx"))
    assert main(["pod.yaml", "--format", "text"]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert out.count("\n") == 2  # the finding and the summary: nothing forged
    assert "container web\\n::error::forged \\x1b[31m)" in out
    assert main(["pod.yaml", "--format", "github"]) == 1
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("::warning ") and "%0A::error::forged" in line


def test_json_sarif_github_and_junit_escape_by_construction(tree):
    from sidecarlint.cli import OutputOptions
    from sidecarlint.engine import LintResult
    from sidecarlint.plugins import default_registry
    from sidecarlint.reporters import github, json_report, junit, sarif

    registry = default_registry(load_entry_points=False)
    result = LintResult(findings=[hostile_finding()], files=["dir/pod.yaml"], rules=list(registry.rules.values()))
    options = OutputOptions(colour=False)

    stream = io.StringIO()
    json_report.write(result, stream, options)
    assert json.loads(stream.getvalue())["findings"][0]["container"] == HOSTILE_NAME
    assert "\x1b" not in stream.getvalue() and stream.getvalue().count("\n") == len(stream.getvalue().splitlines())

    stream = io.StringIO()
    sarif.write(result, stream, options)
    assert HOSTILE_NAME in json.loads(stream.getvalue())["runs"][0]["results"][0]["message"]["text"]
    assert "\x1b" not in stream.getvalue()

    stream = io.StringIO()
    github.write(result, stream, options)
    (line,) = stream.getvalue().splitlines()
    assert line.startswith("::error ") and "\r" not in line
    assert "100%25 %250A" in line

    stream = io.StringIO()
    junit.write(result, stream, options)
    root = ET.fromstring(stream.getvalue().encode("utf-8"))  # well-formed XML
    failure = root.find(".//failure")
    assert "<b>&amp;" in failure.get("message") and "\ufffd[2J" in failure.get("message")


@pytest.mark.skipif(not POSIX, reason="control characters in file names")
def test_control_characters_in_file_names_in_every_format(tree, capsys):
    write(tree / "esc\x1b[31m.yaml", BROKEN_MOUNT.replace("name: web\n", 'name: "web\\x01"\n', 1))
    assert main(["."]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x01" not in out and out.startswith("esc\\x1b[31m.yaml:10:17:")
    assert main([".", "--format", "junit"]) == 1
    root = ET.fromstring(capsys.readouterr().out.encode("utf-8"))  # XML 1.0 cannot hold U+001B: replaced
    assert root.find(".//testcase").get("file") == "esc\ufffd[31m.yaml"
    for format in ("json", "sarif"):
        assert main([".", "--format", format]) == 1
        json.loads(capsys.readouterr().out)


def test_output_into_a_missing_directory_or_onto_a_directory_is_a_usage_error_before_linting(tree, capsys, monkeypatch):
    write(tree / "pod.yaml", CLEAN)
    monkeypatch.setattr(Linter, "lint_sources", lambda *a: pytest.fail("linted before checking --output"))
    assert main(["pod.yaml", "--output", "no/such/dir/report.txt"]) == 2
    assert "--output: the directory" in capsys.readouterr().err
    (tree / "reports").mkdir()
    assert main(["pod.yaml", "--output", "reports"]) == 2
    assert capsys.readouterr().err == "sidecarlint: error: --output: reports is a directory\n"


def test_a_failure_while_writing_leaves_the_old_report_intact(tree, capsys, monkeypatch):
    from sidecarlint.reporters import json_report

    write(tree / "pod.yaml", BROKEN_MOUNT)
    write(tree / "report.json", '{"old": "report"}\n')

    def disk_full(result, stream, options):
        stream.write('{"findings": [')
        stream.flush()
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(json_report, "write", disk_full)
    assert main(["pod.yaml", "--format", "json", "--output", "report.json"]) == 2
    assert capsys.readouterr().err == "sidecarlint: error: --output: cannot write report.json: No space left on device\n"
    assert (tree / "report.json").read_text() == '{"old": "report"}\n'
    assert sorted(p.name for p in tree.iterdir()) == ["pod.yaml", "report.json"]  # no temporary file left

    def crash(result, stream, options):
        stream.write("half")
        raise RuntimeError("a reporter bug")

    monkeypatch.setattr(json_report, "write", crash)
    with pytest.raises(RuntimeError):
        main(["pod.yaml", "--format", "json", "--output", "report.json"])
    assert (tree / "report.json").read_text() == '{"old": "report"}\n'
    assert sorted(p.name for p in tree.iterdir()) == ["pod.yaml", "report.json"]


@pytest.mark.skipif(not POSIX, reason="permissions and symbolic links")
def test_the_report_keeps_its_permissions_and_a_link_to_it_is_followed(tree, capsys):
    write(tree / "pod.yaml", CLEAN)
    (tree / "shared").mkdir()
    write(tree / "shared" / "report.txt", "old")
    os.chmod(tree / "shared" / "report.txt", 0o640)
    os.symlink(os.path.join("shared", "report.txt"), tree / "report.txt")
    assert main(["pod.yaml", "--output", "report.txt"]) == 0
    assert (tree / "report.txt").is_symlink()
    assert (tree / "shared" / "report.txt").read_text() == "No problems found (1 file checked).\n"
    assert stat.S_IMODE(os.stat(tree / "shared" / "report.txt").st_mode) == 0o640
    umask = os.umask(0o022)
    try:
        assert main(["pod.yaml", "--output", "new.txt"]) == 0
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tree / "new.txt").st_mode) == 0o644  # not mkstemp's 0600


@pytest.mark.skipif(not POSIX, reason="FIFOs")
def test_output_to_a_pipe_is_written_into_not_replaced(tmp_path):
    write(tmp_path / "pod.yaml", BROKEN_MOUNT)
    os.mkfifo(tmp_path / "out.pipe")
    reader = subprocess.Popen(["cat", str(tmp_path / "out.pipe")], stdout=subprocess.PIPE, text=True)
    completed = run_cli(["pod.yaml", "--output", "out.pipe"], tmp_path)
    out, _ = reader.communicate(timeout=20)
    assert completed.returncode == 1, completed.stderr
    assert out.startswith("pod.yaml:10:17: error [volume-mount-undefined]")
    assert stat.S_ISFIFO(os.stat(tmp_path / "out.pipe").st_mode)


def test_read_source_turns_every_os_error_into_a_problem(monkeypatch):
    for error in (PermissionError(errno.EACCES, "Permission denied"), IsADirectoryError(errno.EISDIR, "it is a directory"),
                  OSError("it is a directory that cannot be listed (Permission denied)")):
        class Failing(Source):
            def read(self, error=error):
                raise error

        loaded, documents = read_source(Failing("x.yaml", "x.yaml"))
        assert list(documents) == []
        (problem,) = loaded.problems
        assert problem.kind == "unreadable" and problem.message.startswith("cannot read the file: ")


def test_real_path_agrees_with_realpath(tmp_path, monkeypatch):
    """discover.real_path resolves each directory once; it must name the same file as
    os.path.realpath through links to files and directories, dots, and relative paths."""
    real = tmp_path / "real"
    (real / "sub").mkdir(parents=True)
    (real / "sub" / "a.yaml").write_text("a: 1\n")
    (tmp_path / "linked").symlink_to(real, target_is_directory=True)
    (real / "sub" / "link.yaml").symlink_to(real / "sub" / "a.yaml")
    (real / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    monkeypatch.chdir(tmp_path)
    paths = [
        "real/sub/a.yaml", "linked/sub/a.yaml", "linked/sub/link.yaml", "real/sub/../sub/a.yaml",
        "linked/sub/..", "real/dangling.yaml", "./linked//sub/a.yaml", "a-missing-file.yaml",
        str(tmp_path / "linked" / "sub" / "a.yaml"), "real/sub/", ".",
    ]
    discover_module._real_directory.cache_clear()
    for path in paths:
        assert discover_module.real_path(path) == os.path.realpath(path), path


def test_each_load_problem_is_looked_at_once(linter, monkeypatch):
    """A file of many documents, each with a key given twice: the engine notes the line of
    the container of each problem while its document is at hand, looking at each problem
    once, not at every earlier problem again for every document (which takes time in the
    square of the number of documents)."""
    from sidecarlint import engine

    looked_at = []
    original = engine._problem_container_lines
    monkeypatch.setattr(
        engine, "_problem_container_lines", lambda problems, document: looked_at.append(len(problems)) or original(problems, document)
    )
    text = "---\n".join(["kind: ConfigMap\nkind: ConfigMap\n"] * 2_000)
    loaded, documents = load.stream_text(text, "many.yaml")
    findings = linter.lint_documents(loaded, documents).findings
    assert set(rules_of(findings)) == {"duplicate-key"} and len(findings) == 2_000
    assert sum(looked_at) == 2_000


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["comment", "file comment", "misplaced ignore-file", "annotation"]),
                       st.integers(1, 8), st.lists(st.sampled_from(["a", "b", "c"]), max_size=2)), max_size=12),
    st.sampled_from(["a", "b", "c"]), st.integers(1, 9), st.none() | st.integers(1, 9),
)
def test_the_comment_index_finds_what_a_scan_of_every_comment_finds(written, rule, line, container_line):
    """Which suppression comment silences a finding: its line or the one above, or the
    same for the first line of its container, or an ignore-file comment; the first in the
    file when several do. A file of many comments and findings must not pair each with each."""
    from sidecarlint.suppressions import Comments, Suppression

    directives = [Suppression(tuple(rules), "why", Span(at, 1, at, 2), how) for how, at, rules in written]

    def covers(directive) -> bool:  # the definition, one comment at a time
        if rule not in directive.rules or directive.how not in ("comment", "file comment"):
            return False
        near = (directive.span.line, directive.span.line + 1)
        return directive.how == "file comment" or line in near or container_line in near

    finding = Finding(rule, Severity.WARNING, "m", "f.yaml", Span(line, 1, line, 2))
    expected = next((directive for directive in directives if covers(directive)), None)
    assert Comments(directives).covering(finding, container_line) is expected
