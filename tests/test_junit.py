"""`--format junit`: a well-formed JUnit report, a test case for each file and rule."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest

from sidecarlint.cli import OutputOptions, main
from sidecarlint.engine import DEFAULT_KUBERNETES_VERSION, LintResult
from sidecarlint.findings import INTERNAL_ERROR, Finding, ObjectRef, Severity
from sidecarlint.positions import Span
from sidecarlint.reporters import junit
from tests.test_cli import BROKEN_MOUNT, CLEAN, UNPINNED, write


@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def report(argv: list[str], capsys) -> tuple[int, ET.Element]:
    status = main([*argv, "--format", "junit"])
    out = capsys.readouterr().out
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return status, ET.fromstring(out.encode("utf-8"))


def cases(root: ET.Element) -> dict[tuple[str, str], ET.Element]:
    return {(case.get("classname"), case.get("name")): case for case in root.iter("testcase")}


def test_one_case_per_file_and_rule_with_failures_holding_findings(tree, capsys, registry):
    write(tree / "broken.yaml", BROKEN_MOUNT)
    write(tree / "clean.yaml", CLEAN)
    status, root = report(["broken.yaml", "clean.yaml"], capsys)
    assert status == 1
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    rules = sorted(name for name, rule in registry.rules.items() if rule.applies_to(DEFAULT_KUBERNETES_VERSION))
    found = cases(root)
    assert sorted(found) == sorted((path, rule) for path in ("broken.yaml", "clean.yaml") for rule in rules)
    assert [case.get("name") for case in suite][: len(rules)] == rules  # file by file, rules in order
    failed = {key: case.find("failure") for key, case in found.items() if case.find("failure") is not None}
    assert list(failed) == [("broken.yaml", "volume-mount-undefined")]
    failure = failed["broken.yaml", "volume-mount-undefined"]
    assert failure.get("type") == "error"
    assert failure.get("message").startswith("volume mount 'logs' names a volume")
    assert failure.text == (
        "broken.yaml:10:17: error [volume-mount-undefined] volume mount 'logs' names a volume that the pod does "
        "not define; declare it under the pod's volumes (Pod/web, container web)\n"
    )
    for element in (root, suite):
        assert element.get("tests") == str(2 * len(rules))
        assert element.get("failures") == "1"
        assert element.get("errors") == "0"


def test_findings_below_fail_on_pass_with_their_output(tree, capsys):
    write(tree / "unpinned.yaml", UNPINNED)  # one warning
    status, root = report(["unpinned.yaml", "--fail-on", "error"], capsys)
    assert status == 0
    case = cases(root)["unpinned.yaml", "image-tag-unpinned"]
    assert case.find("failure") is None
    assert "warning [image-tag-unpinned] image 'nginx'" in case.find("system-out").text
    assert root.get("failures") == "0"
    _, root = report(["unpinned.yaml"], capsys)
    assert cases(root)["unpinned.yaml", "image-tag-unpinned"].find("failure").get("type") == "warning"


def test_several_findings_in_one_failure(tree, capsys):
    write(tree / "two.yaml", BROKEN_MOUNT + "---\n" + BROKEN_MOUNT.replace("name: web\nspec", "name: api\nspec"))
    _, root = report(["two.yaml"], capsys)
    failure = cases(root)["two.yaml", "volume-mount-undefined"].find("failure")
    assert failure.get("message").endswith("(and 1 more)")
    assert failure.text.count("\n") == 2


def test_text_that_xml_cannot_hold_stays_well_formed(registry):
    rule = registry.rules["port-conflict"]
    message = 'a <b> & "c" ]]> \x01\x1b end'
    finding = Finding(rule.name, Severity.ERROR, message, "we<ird>&.yaml", Span(1, 1, 1, 2), ObjectRef("Pod", "x", None))
    out = io.StringIO()
    junit.write(LintResult([finding], ["we<ird>&.yaml"], [rule]), out, OutputOptions(colour=False))
    root = ET.fromstring(out.getvalue().encode("utf-8"))
    (case,) = root.iter("testcase")
    assert case.get("classname") == "we<ird>&.yaml"
    failure = case.find("failure")
    assert failure.get("message") == 'a <b> & "c" ]]> \ufffd\ufffd end'
    assert 'a <b> & "c" ]]> \ufffd\ufffd end (Pod/x)' in failure.text


def test_a_crashed_rule_is_an_error(registry):
    rule = registry.rules["port-conflict"]
    crash = Finding(INTERNAL_ERROR, Severity.ERROR, "rule port-conflict failed on this object (KeyError: 'x')", "pod.yaml", Span(1, 1, 1, 1))
    root = junit.to_element(LintResult([crash], ["pod.yaml"], [rule]))
    found = cases(root)
    assert list(found) == [("pod.yaml", "port-conflict"), ("pod.yaml", INTERNAL_ERROR)]
    error = found["pod.yaml", INTERNAL_ERROR].find("error")
    assert "port-conflict failed" in error.get("message")
    assert root.get("errors") == "1" and root.get("failures") == "0" and root.get("tests") == "2"
