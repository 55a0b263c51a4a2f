"""`--format github`: workflow commands that GitHub Actions turns into annotations."""

from __future__ import annotations

import io
import re

import pytest

from sidecarlint.cli import main
from sidecarlint.findings import Finding, ObjectRef, Severity
from sidecarlint.positions import Span
from sidecarlint.reporters.github import annotation, escape_data, escape_property
from tests.test_cli import BROKEN_MOUNT, CLEAN, UNPINNED, write

_COMMAND = re.compile(r"^::(?P<command>\w+)(?: (?P<properties>[^:]*))?::(?P<message>.*)$")


def unescape(text: str) -> str:
    """What the runner does with a value (the inverse of the toolkit's escaping)."""
    for escaped, character in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, character)
    return text


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """A workflow command as the runner reads it: properties split on ',' and '='."""
    match = _COMMAND.match(line)
    assert match, line
    properties = dict(part.split("=", 1) for part in match["properties"].split(",")) if match["properties"] else {}
    return match["command"], {key: unescape(value) for key, value in properties.items()}, unescape(match["message"])


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_finding_is_an_error_annotation_at_its_field(repo, capsys):
    write(repo / "pod.yaml", BROKEN_MOUNT)
    assert main(["pod.yaml", "--format", "github"]) == 1
    assert capsys.readouterr().out == (
        "::error file=pod.yaml,line=10,col=17,endLine=10,endColumn=21,title=sidecarlint (volume-mount-undefined)"
        "::volume mount 'logs' names a volume that the pod does not define; declare it under the pod's volumes "
        "(Pod/web, container web)\n"
    )


def test_severities_are_error_warning_and_notice(repo, capsys):
    write(repo / "unpinned.yaml", UNPINNED)
    write(repo / "chart" / "templates" / "pod.yaml", "kind: Pod\nspec:\n  {{- toYaml .Values.spec | nindent 2 }}\n")
    write(repo / "broken.yaml", BROKEN_MOUNT)
    assert main([".", "--format", "github"]) == 1
    commands = {parse(line)[1]["file"]: parse(line)[0] for line in capsys.readouterr().out.splitlines()}
    assert commands == {"broken.yaml": "error", "unpinned.yaml": "warning", "chart/templates/pod.yaml": "notice"}


def test_clean_run_prints_nothing(repo, capsys):
    write(repo / "pod.yaml", CLEAN)
    assert main(["pod.yaml", "--format", "github"]) == 0
    assert capsys.readouterr().out == ""


def test_paths_are_from_the_repository_root(repo, monkeypatch, capsys):
    write(repo / "deploy" / "pod.yaml", BROKEN_MOUNT)
    monkeypatch.chdir(repo / "deploy")
    main(["pod.yaml", "--format", "github"])
    _, properties, _ = parse(capsys.readouterr().out.strip())
    assert properties["file"] == "deploy/pod.yaml"


def test_standard_input_has_no_file_but_says_where(repo, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(BROKEN_MOUNT.encode())))
    main(["-", "--format", "github"])
    command, properties, message = parse(capsys.readouterr().out.strip())
    assert command == "error"
    assert properties == {"title": "sidecarlint (volume-mount-undefined)"}
    assert message.startswith("<stdin>:10:17: volume mount 'logs'")


def test_escaping_as_the_actions_toolkit_does():
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext%3A a%2Cb"


def test_escaped_values_round_trip_through_the_runner():
    finding = Finding(
        "port-conflict", Severity.ERROR, "50% of ports: 80,443\nclash", "odd,name:1%.yaml", Span(3, 5, 3, 9),
        ObjectRef("Pod", "web", None), "web",
    )
    line = annotation(finding, "dir/odd,name:1%.yaml")
    assert "\n" not in line and "\r" not in line
    command, properties, message = parse(line)
    assert command == "error"
    assert properties == {
        "file": "dir/odd,name:1%.yaml",
        "line": "3",
        "col": "5",
        "endLine": "3",
        "endColumn": "9",
        "title": "sidecarlint (port-conflict)",
    }
    assert message == "50% of ports: 80,443\nclash (Pod/web, container web)"


def test_columns_only_within_one_line():
    finding = Finding("unbounded-resources", Severity.WARNING, "m", "pod.yaml", Span(12, 7, 15, 1))
    _, properties, _ = parse(annotation(finding, "pod.yaml"))
    assert properties == {"file": "pod.yaml", "line": "12", "endLine": "15", "title": "sidecarlint (unbounded-resources)"}
