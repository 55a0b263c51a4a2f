"""SARIF for GitHub code scanning: valid against the official schema, with what GitHub reads."""

from __future__ import annotations

import io
import json
import os
from collections import defaultdict
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, Draft7Validator, FormatChecker
from jsonschema.validators import validator_for

from sidecarlint.cli import main
from sidecarlint.discover import discover
from sidecarlint.engine import DEFAULT_KUBERNETES_VERSION, Linter, LintResult
from sidecarlint.findings import INTERNAL_ERROR, Finding, ObjectRef, Severity
from sidecarlint.positions import Span
from sidecarlint.reporters import sarif
from sidecarlint.rules import parse_version
from tests.fixtures import all_fixtures
from tests.test_cli import BROKEN_MOUNT, CLEAN, write

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))


def sarif_validator() -> Draft4Validator:
    """The schema declares draft-04, whose formats include `uri` but not `uri-reference`
    (draft-06 added it); SARIF uses both, so the draft-07 check for it is added. Without
    rfc3986-validator (or rfc3987) jsonschema would skip both checks silently."""
    assert validator_for(SCHEMA) is Draft4Validator
    Draft4Validator.check_schema(SCHEMA)
    draft4, draft7 = Draft4Validator.FORMAT_CHECKER.checkers, Draft7Validator.FORMAT_CHECKER.checkers
    assert "uri" in draft4 and "uri-reference" in draft7, "install the test extra: jsonschema cannot check URIs"
    checker = FormatChecker(formats=())
    checker.checkers = {**draft4, "uri-reference": draft7["uri-reference"]}
    return Draft4Validator(SCHEMA, format_checker=checker)


VALIDATOR = sarif_validator()


def assert_valid(log: dict) -> None:
    errors = sorted(VALIDATOR.iter_errors(log), key=lambda error: list(error.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def as_json(result: LintResult, **options) -> dict:
    return sarif.to_json(sarif.build_log(result, **options))


def run_sarif(argv: list[str], tmp_path: Path) -> tuple[int, dict]:
    out = tmp_path / "out.sarif"
    status = main([*argv, "--format", "sarif", "--output", str(out)])
    return status, json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository root (it holds `.git`) as the current directory."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def walk(value):
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


# Every rule's fixtures, one run per Kubernetes version they name


@pytest.fixture(scope="module")
def fixture_logs(registry):
    groups: dict[str, list[str]] = defaultdict(list)
    for fixture in all_fixtures():
        groups[fixture.kubernetes_version or ""].append(str(fixture.path.relative_to(ROOT)))
    rules = list(registry.rules.values())
    logs = []
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for version, paths in sorted(groups.items()):
            kubernetes = parse_version(version) if version else DEFAULT_KUBERNETES_VERSION
            result = Linter(registry, rules, kubernetes).lint_sources(discover(paths))
            logs.append((result, as_json(result, root=ROOT)))
    finally:
        os.chdir(cwd)
    return logs


def test_fixtures_of_every_rule_validate_against_the_schema(fixture_logs):
    for _, log in fixture_logs:
        assert_valid(log)


def test_every_rule_with_a_failing_fixture_has_results(fixture_logs, registry):
    reported = {r["ruleId"] for _, log in fixture_logs for r in log["runs"][0]["results"]}
    failing = {fixture.rule for fixture in all_fixtures() if fixture.must_trigger}
    assert failing <= reported, sorted(failing - reported)


def test_results_point_into_rules_and_the_repository(fixture_logs):
    for result, log in fixture_logs:
        run = log["runs"][0]
        rules = run["tool"]["driver"]["rules"]
        assert [rule["id"] for rule in rules] == sorted(rule.name for rule in result.rules)
        assert run["columnKind"] == "unicodeCodePoints"
        assert len(run["results"]) == len(result.findings)
        for item in run["results"]:
            rule = rules[item["ruleIndex"]]
            assert rule["id"] == item["ruleId"]
            assert item["level"] in ("error", "warning", "note")
            assert item["message"]["text"]
            (location,) = item["locations"]
            artifact = location["physicalLocation"]["artifactLocation"]
            assert artifact["uriBaseId"] == "%SRCROOT%"
            assert artifact["uri"].startswith("fixtures/") and "\\" not in artifact["uri"]
            region = location["physicalLocation"]["region"]
            assert set(region) == {"startLine", "startColumn", "endLine", "endColumn"}
            assert (region["endLine"], region["endColumn"]) >= (region["startLine"], region["startColumn"])
            assert list(item["partialFingerprints"]) == [sarif.FINGERPRINT]


def test_fixture_positions_are_the_regions(fixture_logs):
    """The `# expect: LINE:COL` of every failing fixture is where a result of its rule starts."""
    starts = set()
    for _, log in fixture_logs:
        for item in log["runs"][0]["results"]:
            location = item["locations"][0]["physicalLocation"]
            region = location["region"]
            starts.add((location["artifactLocation"]["uri"], item["ruleId"], region["startLine"], region["startColumn"]))
    for fixture in all_fixtures():
        for expected in fixture.expected:
            uri = fixture.path.relative_to(ROOT).as_posix()
            assert (uri, fixture.rule, expected.line, expected.column) in starts, (fixture.id, expected)


def test_rules_carry_what_github_shows(fixture_logs, registry):
    # each run has the rules for its Kubernetes version; together, all of them
    rules = {rule["id"]: rule for _, log in fixture_logs for rule in log["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == set(registry.rules)
    for name, rule in rules.items():
        source = registry.rules[name]
        assert rule["name"] == "".join(word.capitalize() for word in name.split("-"))
        assert rule["shortDescription"]["text"] == source.summary
        assert 0 < len(rule["fullDescription"]["text"]) <= 1024
        assert source.fix in rule["help"]["text"] and source.fix in rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] == str(source.severity)
        properties = rule["properties"]
        assert properties["tags"] == list(source.tags)
        assert properties["precision"] == ("high" if source.severity is Severity.ERROR else "medium")
        assert properties["problem.severity"] == {"error": "error", "warning": "warning", "note": "recommendation"}[
            str(source.severity)
        ]
        if source.references:
            assert rule["helpUri"] == source.references[0]
    port = rules["port-conflict"]
    assert port["help"]["markdown"].count("```yaml") == 2  # the failing and the passing fixture
    assert "Example that triggers it (fail-" in port["help"]["text"]


def test_long_why_is_cut_at_a_sentence_for_the_full_description():
    text = "One sentence here. " * 80
    short = sarif._shorten(text, 1024)
    assert len(short) <= 1024 and short.endswith("here.")


def test_related_locations_carry_messages_and_are_linked_from_the_message(fixture_logs):
    results = [r for _, log in fixture_logs for r in log["runs"][0]["results"] if r["ruleId"] == "port-conflict"]
    with_related = [r for r in results if "relatedLocations" in r]
    assert with_related
    for item in with_related:
        for number, related in enumerate(item["relatedLocations"], start=1):
            assert related["id"] == number
            assert related["message"]["text"]
            assert f"]({number})" in item["message"]["text"]
            assert related["physicalLocation"]["artifactLocation"] == item["locations"][0]["physicalLocation"]["artifactLocation"]


def test_placeholder_defaults_are_dropped_but_levels_kept(fixture_logs):
    for _, log in fixture_logs:
        keys = {key for node in walk(log) if isinstance(node, dict) for key in node}
        assert not keys & {"kind", "rank", "language", "newlineSequences", "contents", "enabled"}
        assert not any("index" in node for node in walk(log) if isinstance(node, dict) and "uri" in node)
        assert -1 not in [node for node in walk(log) if isinstance(node, (int, float)) and not isinstance(node, bool)]
        for item in log["runs"][0]["results"]:
            assert "level" in item  # even "warning", SARIF's default
        assert log["version"] == "2.1.0" and log["$schema"].startswith("https://")


# Runs through the command line


def test_clean_run_has_an_empty_results_array(repo):
    write(repo / "pod.yaml", CLEAN)
    status, log = run_sarif(["pod.yaml"], repo)
    assert status == 0
    assert_valid(log)
    (run,) = log["runs"]
    assert run["results"] == []
    assert run["invocations"] == [{"executionSuccessful": True}]
    assert run["tool"]["driver"]["name"] == "sidecarlint"
    assert run["tool"]["driver"]["semanticVersion"]
    assert run["tool"]["driver"]["informationUri"].startswith("https://")
    assert "automationDetails" not in run


def test_unreadable_and_unparseable_files_become_notifications(repo):
    write(repo / "broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n labels: {}\n")
    write(repo / "chart" / "templates" / "pod.yaml", "kind: Pod\nmetadata:\n  labels:\n    {{- include \"x\" . | nindent 4 }}\n")
    write(repo / "laughs.yaml", "root: &r {child: *r}\n")
    os.symlink(repo / "gone.yaml", repo / "dangling.yaml")
    status, log = run_sarif(["."], repo)
    assert status == 1
    assert_valid(log)
    (run,) = log["runs"]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is True  # sidecarlint did its job: it reported them
    rules = run["tool"]["driver"]["rules"]
    notes = {
        n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: n for n in invocation["toolExecutionNotifications"]
    }
    assert {uri: (n["level"], n["associatedRule"]["id"]) for uri, n in notes.items()} == {
        "broken.yaml": ("error", "invalid-yaml"),
        "chart/templates/pod.yaml": ("note", "helm-template-skipped"),
        "dangling.yaml": ("error", "file-unreadable"),
        "laughs.yaml": ("error", "document-too-complex"),
    }
    for notification in notes.values():
        assert rules[notification["associatedRule"]["index"]]["id"] == notification["associatedRule"]["id"]
    # ... and results as well, where GitHub shows them on the file.
    assert {r["ruleId"] for r in run["results"]} == {
        "invalid-yaml",
        "helm-template-skipped",
        "file-unreadable",
        "document-too-complex",
    }


def test_internal_error_is_a_failed_execution_not_a_result(registry):
    rule = registry.rules["port-conflict"]
    crash = Finding(
        INTERNAL_ERROR, Severity.ERROR, "rule port-conflict failed on this object (KeyError: 'x')", "pod.yaml",
        Span(3, 1, 3, 4), ObjectRef("Pod", "web", None), document=0,
    )
    log = as_json(LintResult([crash], ["pod.yaml"], [rule]), root=ROOT)
    assert_valid(log)
    (run,) = log["runs"]
    assert run["results"] == []
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error" and "port-conflict failed" in notification["message"]["text"]


def test_exact_position_and_a_fingerprint_that_survives_lines_added_above(repo):
    write(repo / "pod.yaml", BROKEN_MOUNT)
    _, before = run_sarif(["pod.yaml"], repo)
    (result,) = before["runs"][0]["results"]
    assert result["ruleId"] == "volume-mount-undefined"
    region = result["locations"][0]["physicalLocation"]["region"]
    # line 10 is `        - name: logs`: the value starts at column 17 and ends before column 21
    assert region == {"startLine": 10, "startColumn": 17, "endLine": 10, "endColumn": 21}
    assert result["message"]["text"].startswith("Volume mount 'logs' names a volume that the pod does not define;")
    assert result["message"]["text"].endswith(". In Pod/web, container web.")

    write(repo / "pod.yaml", BROKEN_MOUNT.replace("  name: web\n", "  name: web\n\n\n  # the web server\n", 1))
    _, after = run_sarif(["pod.yaml"], repo)
    (moved,) = after["runs"][0]["results"]
    assert moved["locations"][0]["physicalLocation"]["region"] == {**region, "startLine": 13, "endLine": 13}
    assert moved["partialFingerprints"] == result["partialFingerprints"]


def test_fingerprint_depends_on_what_not_where(registry):
    rule = registry.rules["volume-mount-undefined"]

    def finding(path="pod.yaml", line=10, container="web", field_path=("spec", "containers", 0)):
        return Finding(rule.name, rule.severity, "m", path, Span(line, 1, line, 2), ObjectRef("Pod", "web", None), container, field_path)

    def fingerprints(*findings):
        log = as_json(LintResult(list(findings), ["pod.yaml"], [rule]), root=ROOT)
        return [r["partialFingerprints"][sarif.FINGERPRINT] for r in log["runs"][0]["results"]]

    (base,) = fingerprints(finding())
    assert fingerprints(finding(line=40)) == [base]
    assert fingerprints(finding(container="shipper")) != [base]
    assert fingerprints(finding(path="other.yaml")) != [base]
    assert fingerprints(finding(field_path=("spec", "containers", 1))) != [base]
    # the same problem twice in one run: told apart by their order
    assert fingerprints(finding(), finding(line=20)) == [base, base.replace(":1", ":2")]


def test_uri_relative_to_the_repository_root_percent_encoded(repo, monkeypatch):
    write(repo / "deploy" / "web app" / "pöd#1.yaml", BROKEN_MOUNT)
    _, from_root = run_sarif(["deploy"], repo)
    monkeypatch.chdir(repo / "deploy")
    _, from_below = run_sarif(["."], repo)
    for log in (from_root, from_below):
        assert_valid(log)
        artifact = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact == {"uri": "deploy/web%20app/p%C3%B6d%231.yaml", "uriBaseId": "%SRCROOT%"}


def test_standard_input_and_files_outside_the_repository(repo, tmp_path_factory, monkeypatch):
    outside = tmp_path_factory.mktemp("elsewhere") / "pod.yaml"
    write(outside, BROKEN_MOUNT)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(BROKEN_MOUNT.encode())))
    _, log = run_sarif(["-", str(outside)], repo)
    assert_valid(log)
    artifacts = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"]]
    assert {"uri": "stdin"} in artifacts
    assert {"uri": outside.resolve().as_uri()} in artifacts


def test_same_input_gives_byte_identical_output(repo):
    write(repo / "a.yaml", BROKEN_MOUNT)
    write(repo / "b.yaml", BROKEN_MOUNT.replace("nginx:1.27.2", "nginx"))
    outputs = []
    for name in ("one.sarif", "two.sarif"):
        assert main([".", "--format", "sarif", "--output", name]) == 1
        outputs.append((repo / name).read_bytes())
    assert outputs[0] == outputs[1]
    assert str(repo).encode() not in outputs[0]  # no absolute paths


def test_sarif_category_sets_the_automation_id(repo, capsys):
    write(repo / "pod.yaml", CLEAN)
    _, log = run_sarif(["pod.yaml", "--sarif-category", "charts/web"], repo)
    assert_valid(log)
    assert log["runs"][0]["automationDetails"] == {"id": "charts/web/"}  # all of it the category
    _, log = run_sarif(["pod.yaml", "--sarif-category", "web/"], repo)
    assert log["runs"][0]["automationDetails"] == {"id": "web/"}
    assert main(["pod.yaml", "--sarif-category", "web"]) == 2
    assert "--sarif-category: only --format sarif" in capsys.readouterr().err


def test_more_results_than_github_accepts_keeps_the_most_severe(registry):
    rules = [registry.rules[name] for name in ("image-tag-unpinned", "port-conflict", "volume-unused")]
    severities = {rule.name: rule.severity for rule in rules}
    assert severities == {"image-tag-unpinned": Severity.WARNING, "port-conflict": Severity.ERROR, "volume-unused": Severity.NOTE}

    def finding(rule: str, line: int) -> Finding:
        return Finding(rule, severities[rule], f"problem on line {line}", "big.yaml", Span(line, 1, line, 2), field_path=(line,))

    notes = [finding("volume-unused", line) for line in range(1, 24_996)]  # 24,995 notes first
    severe = [finding("image-tag-unpinned", 30_000 + i) for i in range(10)] + [finding("port-conflict", 40_000 + i) for i in range(10)]
    log = as_json(LintResult(notes + severe, ["big.yaml"], rules), root=ROOT)
    (run,) = log["runs"]
    results = run["results"]
    assert len(results) == sarif.MAX_RESULTS == 25_000
    assert [r["ruleId"] for r in results].count("volume-unused") == 24_980
    assert results[-20:] == [r for r in results if r["ruleId"] != "volume-unused"]  # all kept, in order
    last_note = [r for r in results if r["ruleId"] == "volume-unused"][-1]
    assert last_note["locations"][0]["physicalLocation"]["region"]["startLine"] == 24_980  # the later notes went
    (notification,) = run["invocations"][0]["toolExecutionNotifications"]
    assert notification["level"] == "warning"
    assert notification["message"]["text"].startswith("15 of 25,015 results were left out")


def test_schema_validation_checks_uri_formats():
    """The format checks are on: an unencoded space is not a URI reference."""
    log = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{
            "message": {"text": "m"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": "web app/pod.yaml"}}}],
        }]}],
    }
    assert any(error.validator == "format" for error in VALIDATOR.iter_errors(log))
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "web%20app/pod.yaml"
    assert_valid(log)


def test_message_title_sentence():
    assert sarif._sentence("port 9090/TCP is taken") == "Port 9090/TCP is taken."
    assert sarif._sentence("restartPolicy 'Never' is dropped") == "restartPolicy 'Never' is dropped."
    assert sarif._sentence("emptyDir 'x' is shared.") == "emptyDir 'x' is shared."
    assert sarif._sentence("containers[] hold it") == "containers[] hold it."
