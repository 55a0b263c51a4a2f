"""--list-rules, --explain and docs/rules.md agree with rules/."""

from __future__ import annotations

import json
from pathlib import Path

from sidecarlint import ruledocs
from sidecarlint.cli import main

ROOT = Path(__file__).resolve().parent.parent
RULE_NAMES = sorted(path.stem for path in (ROOT / "rules").glob("*.yaml"))


def test_docs_rules_md_is_up_to_date(registry):
    reports = {name: ruledocs.reported_on_failing_example(rule, registry) for name, rule in registry.rules.items()}
    expected = ruledocs.rules_markdown(registry.rules.values(), reports)
    actual = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/rules.md is stale: run `python -m sidecarlint.ruledocs > docs/rules.md`"


def test_list_rules_text(capsys):
    assert main(["--list-rules"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == RULE_NAMES
    port = next(line for line in lines if line.startswith("port-conflict "))
    assert port.split(None, 2)[1:] == ["error", "Two containers that run at the same time declare the same port."]


def test_list_rules_json(capsys):
    assert main(["--list-rules", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [rule["name"] for rule in listed] == RULE_NAMES
    assert {"name", "severity", "summary", "why", "fix", "tags", "references"} <= set(listed[0])


def test_explain_shows_why_fix_and_both_examples(capsys):
    assert main(["--explain", "volume-mount-undefined"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("volume-mount-undefined (error)\n\nA container mounts a volume that the pod does not define.\n")
    for heading in ("\nWhy\n", "\nFix\n", "\nExample that triggers it (fail-", "\nsidecarlint reports:\n", "\nExample that does not (pass-"):
        assert heading in out
    assert "# expect:" not in out  # the fixtures' own bookkeeping is not shown


def test_explain_reports_lines_of_the_example_as_shown(registry):
    rule = registry.rules["volume-mount-undefined"]
    failing, _ = ruledocs.examples(rule)
    lines = failing.text.splitlines()
    for report in ruledocs.reported_on_failing_example(rule, registry):
        line, column = (int(part) for part in report.split(":")[:2])
        assert lines[line - 1][column - 1 :].startswith(report.split("volume mount '")[1].split("'")[0])


def test_explain_unknown_rule(capsys):
    assert main(["--explain", "port-conflicts"]) == 2
    assert "unknown rule 'port-conflicts' (did you mean 'port-conflict'?)" in capsys.readouterr().err
