"""Which rules the engine calls on which pods: the checks' `pods=` declarations.

A declaration lets the engine skip a check on pods it cannot find anything in; a wrong
one would lose findings without a sound. So every built-in check that declares its pods
is run here, without skipping, on every pod of the fixtures, the examples, the corpus of
real manifests and a generated corpus, and must find nothing where it declares a skip.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path

import pytest

from sidecarlint.checks import CheckContext, PodsWith, Violation, at_least, check
from sidecarlint.dispatch import PodRules, admits, pod_shape
from sidecarlint.engine import Linter
from sidecarlint.load import load_text
from sidecarlint.objects import objects_in
from sidecarlint.pods import Role, pod_views
from sidecarlint.rules import Rule
from sidecarlint.findings import Severity

ROOT = Path(__file__).resolve().parent.parent
REAL_CORPUS = ROOT.parent / "shared" / "corpus" / "real"
# Versions on either side of every version a built-in check compares with.
VERSIONS = ((1, 27), (1, 28), (1, 29), (1, 33), (1, 34), (1, 35))
GENERATED_FILES = 1000
EVERY_COUNT = 99  # counts containers without a cap: the shape's counts are the pod's


def _manifest_texts():
    for directory in (ROOT / "fixtures", ROOT / "examples", REAL_CORPUS):
        if directory.is_dir():
            for path in sorted(directory.rglob("*")):
                if path.suffix in (".yaml", ".yml") and path.is_file():
                    yield str(path), path.read_bytes().decode("utf-8", errors="replace")


def _generated_texts():
    """The benchmark's generated corpus (seed 1), made in memory."""
    name = "sidecarlint_benchmarks_generate"  # benchmarks/ is not a package
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "generate.py")
    generate = sys.modules[name] = importlib.util.module_from_spec(spec)  # its dataclasses look it up
    spec.loader.exec_module(generate)
    for index in range(GENERATED_FILES):
        app, docs = generate.documents(1, index)
        yield generate.file_name(app, index), generate.render(app, docs, f"sidecarlint-bench-render:1:{index}")


@pytest.fixture(scope="module")
def every_pod(registry):
    linter = Linter(registry, [])
    pods = []
    for name, text in [*_manifest_texts(), *_generated_texts()]:
        for document in load_text(text, name).documents:
            for obj in objects_in(document):
                pods.extend(pod_views(obj, linter.workload_kinds, linter.catalogue))
    return pods


def _declared_rules(registry) -> list[Rule]:
    return [rule for rule in registry.rules.values() if rule.check.pods is not None]


def test_some_builtin_checks_declare_their_pods(registry):
    assert {rule.check.name for rule in _declared_rules(registry)} >= {
        "job-helper-exits", "sidecar-weight", "init-restart-policy", "port-conflict", "sidecar-startup-order"
    }


def test_a_declared_check_finds_nothing_in_the_pods_it_skips(registry, every_pod):
    """Run without skipping, at every version: nothing where the declaration says skip.
    And every declaration is put to the test: it skips some pods, and keeps others."""
    rules = _declared_rules(registry)
    skipped: Counter = Counter()
    kept: Counter = Counter()
    lost = []
    for pod in every_pod:
        shape = pod_shape(pod, EVERY_COUNT)
        for rule in rules:
            if admits(rule.check.pods, shape):
                kept[rule.name] += 1
                continue
            skipped[rule.name] += 1
            for version in VERSIONS:
                found = list(rule.check.function(pod, rule.params, CheckContext(version)))
                if found:
                    lost.append((rule.name, version, pod.object.document.source, found[0].message))
    assert lost == []
    assert [rule.name for rule in rules if not skipped[rule.name] or not kept[rule.name]] == []


def test_the_generated_pods_are_many_and_varied(every_pod):
    shapes = {pod_shape(pod, 2) for pod in every_pod}
    assert len(every_pod) > 1000 and len(shapes) > 20


def test_pods_with_counts_containers_of_the_roles_named():
    helpers_and_app = PodsWith(at_least(1, Role.HELPER, Role.SIDECAR), at_least(1, "app"))
    assert helpers_and_app.admit({Role.APP: 1, Role.SIDECAR: 1}, False)
    assert helpers_and_app.admit({Role.APP: 2, Role.HELPER: 3}, True)
    assert not helpers_and_app.admit({Role.APP: 3}, False)
    assert not helpers_and_app.admit({Role.HELPER: 1, Role.INIT: 1}, False)
    two_running = PodsWith(at_least(2, Role.APP, Role.HELPER))
    assert not two_running.admit({Role.APP: 1, Role.INIT: 4}, False)
    assert two_running.admit({Role.APP: 1, Role.HELPER: 1}, False)
    assert two_running.largest_count == 2
    jobs = PodsWith(workload_runs_to_completion=True)
    assert jobs.admit({}, True) and not jobs.admit({Role.APP: 1}, False)
    assert PodsWith().admit({}, False) and PodsWith().largest_count == 0


@pytest.mark.parametrize("arguments", [(0, Role.APP), (1,), (1, "apps")])
def test_a_requirement_that_means_nothing_is_refused(arguments):
    with pytest.raises(ValueError):
        at_least(*arguments)


def test_only_a_pod_check_declares_pods():
    with pytest.raises(ValueError, match="only a pod check"):
        check("whole-file", scope="file", pods=PodsWith(at_least(1, Role.APP)))(lambda file, params, context: ())


JOB_WITH_INIT = """\
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      initContainers: [{name: wait, image: busybox:1.36}]
      containers: [{name: migrate, image: migrate:1.0}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers: [{name: web, image: web:1.0}, {name: proxy, image: envoy:1.0}]
"""


def _rule(name: str, pods: PodsWith | None, seen: list) -> Rule:
    def function(pod, params, context):
        seen.append((name, pod.object.name))
        yield Violation(pod.path, f"{name} looked at {pod.object.name}")

    return Rule(name, Severity.NOTE, "s", "w", "f", check(name, pods=pods)(function))


def test_the_engine_calls_a_check_only_on_the_pods_it_declares(registry):
    seen: list = []
    rules = [
        _rule("every-pod", None, seen),
        _rule("jobs-only", PodsWith(workload_runs_to_completion=True), seen),
        _rule("init-only", PodsWith(at_least(1, Role.INIT)), seen),
        _rule("two-running", PodsWith(at_least(2, Role.APP, Role.HELPER, Role.SIDECAR)), seen),
    ]
    findings = Linter(registry, rules).lint_file(load_text(JOB_WITH_INIT, "two.yaml")).findings
    assert sorted(seen) == [
        ("every-pod", "migrate"), ("every-pod", "web"), ("init-only", "migrate"), ("jobs-only", "migrate"),
        ("two-running", "web"),
    ]
    assert len(findings) == len(seen)


def test_pod_rules_keep_the_rules_order_for_each_shape_of_pod(registry):
    seen: list = []
    rules = [_rule(f"rule-{i}", PodsWith(at_least(1, Role.INIT)) if i % 2 else None, seen) for i in range(6)]
    linter = Linter(registry, [])
    pod_rules = PodRules(rules)
    job, deployment = [
        pod for document in load_text(JOB_WITH_INIT, "two.yaml").documents for obj in objects_in(document)
        for pod in pod_views(obj, linter.workload_kinds, linter.catalogue)
    ]
    assert [call.rule.name for call in pod_rules.for_pod(job)] == [f"rule-{i}" for i in range(6)]
    assert [call.rule.name for call in pod_rules.for_pod(deployment)] == ["rule-0", "rule-2", "rule-4"]
    assert pod_rules.for_pod(job) is pod_rules.for_pod(job)  # answered once for the shape
