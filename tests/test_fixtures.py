"""Every rule fires exactly where its fixtures say, and is silent on its passing fixtures."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from sidecarlint.engine import DEFAULT_KUBERNETES_VERSION, Linter
from sidecarlint.load import load_bytes
from sidecarlint.rules import parse_version
from tests.fixtures import RULES, all_fixtures

FIXTURES = all_fixtures()
RENDERING_RULES = ("render-failed", "kustomize-not-rendered", "helm-chart-not-rendered")


def lint_fixture(registry, fixture, loader=yaml.CSafeLoader):
    """Every rule runs, as in real use (a suppression is only unused if its rule ran)."""
    version = parse_version(fixture.kubernetes_version) if fixture.kubernetes_version else DEFAULT_KUBERNETES_VERSION
    linter = Linter(registry, list(registry.rules.values()), version)
    return linter.lint_file(load_bytes(fixture.path.read_bytes(), str(fixture.path), loader)).findings


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.id)
def test_fixture(registry, fixture):
    assert fixture.rule in registry.rules, f"fixtures/{fixture.rule}/ names no rule"
    findings = [f for f in lint_fixture(registry, fixture) if f.rule == fixture.rule]
    if not fixture.must_trigger:
        assert not fixture.expected, "a passing fixture must not carry expectations"
        assert findings == []
        return
    assert fixture.expected, "a failing fixture must say where it fails (# expect: LINE:COL)"
    actual = Counter((f.line, f.column) for f in findings)
    wanted = Counter((e.line, e.column) for e in fixture.expected)
    assert actual == wanted, [f"{f.line}:{f.column} {f.message}" for f in findings]
    for expectation in fixture.expected:
        if expectation.message_part:
            messages = [f.message for f in findings if (f.line, f.column) == (expectation.line, expectation.column)]
            assert any(expectation.message_part in m for m in messages), messages


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.id)
def test_pure_python_loader_agrees(registry, fixture):
    """PyYAML's pure-Python loader and libyaml give the same findings, to the column."""
    def positions(loader):
        return sorted((f.rule, f.span, f.message) for f in lint_fixture(registry, fixture, loader))

    fast, pure = positions(yaml.CSafeLoader), positions(yaml.SafeLoader)
    if fixture.rule == "invalid-yaml":  # the two parsers word (and may place) errors differently
        fast = [(rule, span.line) for rule, span, _ in fast]
        pure = [(rule, span.line) for rule, span, _ in pure]
    assert fast == pure


@pytest.mark.parametrize("rule", sorted(path.stem for path in RULES.glob("*.yaml")))
def test_every_rule_has_failing_and_passing_fixtures(rule):
    kinds = {fixture.must_trigger for fixture in FIXTURES if fixture.rule == rule}
    if rule == "file-unreadable":
        pytest.skip("an unreadable file cannot be a fixture; tests/test_cli.py covers it")
    if rule in RENDERING_RULES:
        pytest.skip("a directory that is (not) rendered cannot be a one-file fixture; tests/test_rendering_cli.py covers it")
    assert kinds == {True, False}, f"rule {rule} needs fail-*.yaml and pass-*.yaml fixtures"
