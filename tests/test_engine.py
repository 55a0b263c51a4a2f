"""The engine and the plugin hooks: what a plugin adds runs like a built-in; a crash stays local."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sidecarlint import cli
from sidecarlint.catalogue import CatalogueEntry
from sidecarlint.checks import Violation, check
from sidecarlint.discover import Source
from sidecarlint.engine import Linter
from sidecarlint.hookspecs import hookimpl
from sidecarlint.load import load_text
from sidecarlint.plugins import Registry, plugin_manager
from sidecarlint.rules import RuleError, load_rule_file
from sidecarlint.workloads import WorkloadKind

ROLLOUT = """\
apiVersion: apps.acme.io/v1
kind: Canary
metadata:
  name: shop
spec:
  template:
    spec:
      containers:
        - name: shop
          image: registry.example.com/shop:1.0
          volumeMounts:
            - name: cache
              mountPath: /cache
        - name: shipper
          image: registry.example.com/acme/log-forwarder:4.2
"""


@check("always-fails")
def always_fails(pod, params, context):
    raise KeyError("boom")


@check("one-per-container")
def one_per_container(pod, params, context):
    for container in pod.containers:
        yield Violation(container.field_path("name"), f"{container.role} {container.name}", container.name)


def write_rule(directory: Path, name: str, check_name: str, severity: str = "warning") -> None:
    directory.mkdir(exist_ok=True)
    (directory / f"{name}.yaml").write_text(
        textwrap.dedent(
            f"""\
            name: {name}
            severity: {severity}
            summary: A test rule.
            why: Because the test says so.
            fix: Nothing.
            check: {check_name}
            """
        )
    )


class Plugin:
    """A third-party plugin: a custom resource, a sidecar it knows, a rule and its check."""

    def __init__(self, rules_dir: Path):
        self.rules_dir = rules_dir

    @hookimpl
    def sidecarlint_workload_kinds(self):
        return [WorkloadKind("Canary", ("apps.acme.io",), ("spec", "template", "spec"))]

    @hookimpl
    def sidecarlint_sidecars(self):
        return [CatalogueEntry("acme-forwarder", "log-shipper", images=("acme/log-forwarder",))]

    @hookimpl
    def sidecarlint_checks(self):
        return [always_fails, one_per_container]

    @hookimpl
    def sidecarlint_rule_dirs(self):
        return [self.rules_dir]


@pytest.fixture
def plugin_registry(tmp_path) -> Registry:
    write_rule(tmp_path / "rules", "roles", "one-per-container")
    write_rule(tmp_path / "rules", "crashes", "always-fails")
    manager = plugin_manager(load_entry_points=False)
    manager.register(Plugin(tmp_path / "rules"))
    return Registry(manager)


def lint(registry, rules, text):
    linter = Linter(registry, [registry.rules[name] for name in rules])
    return linter.lint_file(load_text(text, "rollout.yaml")).findings


def test_plugin_workload_kind_sidecar_and_rule_run_like_builtins(plugin_registry):
    findings = lint(plugin_registry, ["roles", "volume-mount-undefined"], ROLLOUT)
    assert [(f.rule, f.line, f.column, f.message) for f in findings] == [  # a file's findings come in order of place
        ("roles", 9, 17, "app shop"),
        ("volume-mount-undefined", 12, 21, findings[1].message),
        ("roles", 14, 17, "helper shipper"),  # known through the plugin's catalogue entry
    ]
    assert findings[0].object.describe() == "Canary/shop"


def test_a_crashing_check_becomes_internal_error_and_others_still_run(plugin_registry):
    findings = lint(plugin_registry, ["crashes", "volume-mount-undefined"], ROLLOUT)
    assert [(f.rule, f.line, f.column) for f in findings] == [
        ("internal-error", 1, 1),
        ("volume-mount-undefined", 12, 21),
    ]
    assert "rule crashes failed on this object (KeyError: 'boom')" in findings[0].message


@check("yields-then-fails")
def yields_then_fails(pod, params, context):
    yield Violation(pod.path, "found before the crash")
    raise ValueError("half way")


def test_a_check_that_fails_half_way_gives_only_internal_error(registry, tmp_path):
    write_rule(tmp_path / "rules", "half-way", "yields-then-fails")
    write_rule(tmp_path / "rules", "roles", "one-per-container")
    checks = {check.name: check for check in (yields_then_fails, one_per_container)}
    rules = [load_rule_file(tmp_path / "rules" / f"{name}.yaml", checks) for name in ("half-way", "roles")]
    deployment = ROLLOUT.replace("apiVersion: apps.acme.io/v1\nkind: Canary", "apiVersion: apps/v1\nkind: Deployment")
    findings = Linter(registry, rules).lint_file(load_text(deployment + "---\n" + deployment, "two.yaml")).findings
    assert [(f.rule, f.document, f.line, f.message.split(" (")[0]) for f in findings] == [
        ("internal-error", 0, 1, "rule half-way failed on this object"),
        ("roles", 0, 9, "app shop"),
        ("roles", 0, 14, "app shipper"),  # the plugin's catalogue is not in this registry
        ("internal-error", 1, 17, "rule half-way failed on this object"),
        ("roles", 1, 25, "app shop"),
        ("roles", 1, 30, "app shipper"),
    ]
    assert "(ValueError: half way)" in findings[0].message


class AnyCanary(WorkloadKind):
    """A kind whose own `matches` takes every kind name ending in Canary."""

    def matches(self, api_version, kind):
        return kind.endswith("Canary") and api_version.startswith("apps.acme.io/")


class CanaryPlugin:
    @hookimpl
    def sidecarlint_workload_kinds(self):
        return [AnyCanary("Canary", ("apps.acme.io",), ("spec", "template", "spec"))]

    @hookimpl
    def sidecarlint_checks(self):
        return [one_per_container]

    @hookimpl
    def sidecarlint_rule_dirs(self):
        return [self.rules_dir]


def test_a_workload_kind_with_its_own_matching_still_matches(tmp_path):
    write_rule(tmp_path / "rules", "roles", "one-per-container")
    plugin = CanaryPlugin()
    plugin.rules_dir = tmp_path / "rules"
    manager = plugin_manager(load_entry_points=False)
    manager.register(plugin)
    registry = Registry(manager)
    text = ROLLOUT.replace("kind: Canary", "kind: BlueCanary")
    assert [(f.rule, f.line) for f in lint(registry, ["roles"], text)] == [("roles", 9), ("roles", 14)]


def test_internal_error_exits_2(plugin_registry, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sidecarlint.plugins.default_registry", lambda load_entry_points=True: plugin_registry)
    (tmp_path / "rollout.yaml").write_text(ROLLOUT)
    assert cli.main([str(tmp_path / "rollout.yaml"), "--select", "crashes"]) == 2
    assert "error [internal-error] rule crashes failed" in capsys.readouterr().out


def test_a_file_that_vanishes_is_reported(registry, tmp_path):
    linter = Linter(registry, registry.rules.values())
    result = linter.lint_sources([Source("gone.yaml", str(tmp_path / "gone.yaml"))])
    (finding,) = result.findings
    assert (finding.rule, finding.path, finding.line, finding.column) == ("file-unreadable", "gone.yaml", 1, 1)
    assert finding.message == "cannot read the file: No such file or directory"


@pytest.mark.parametrize(
    "body, error",
    [
        ("name: x\nseverity: warning\nsummary: s\nwhy: w\nfix: f\ncheck: image-pinned\nsevrity: x\n", "unknown field 'sevrity'"),
        ("name: x\nseverity: fatal\nsummary: s\nwhy: w\nfix: f\ncheck: image-pinned\n", "severity must be one of"),
        ("name: x\nseverity: note\nsummary: s\nwhy: w\nfix: f\ncheck: image-pined\n", "unknown check 'image-pined' (did you mean 'image-pinned'?)"),
        ("name: x\nseverity: note\nsummary: s\nwhy: w\nfix: f\ncheck: image-pinned\nparams: {unpinned-tag: [a]}\n", "has no parameter 'unpinned-tag'"),
        ("name: x\nseverity: note\nsummary: s\nwhy: w\ncheck: image-pinned\n", "missing field 'fix'"),
        ("name: y\nseverity: note\nsummary: s\nwhy: w\nfix: f\ncheck: image-pinned\n", "its file must be y.yaml"),
        ("name: x\nseverity: note\nsummary: s\nwhy: w\nfix: f\ncheck: image-pinned\nkubernetes-versions: '<=one'\n", "not a version constraint"),
        ("[not, a, mapping]\n", "a rule must be a mapping"),
    ],
)
def test_rule_files_are_validated(registry, tmp_path, body, error):
    path = tmp_path / "x.yaml"
    path.write_text(body)
    with pytest.raises(RuleError) as raised:
        load_rule_file(path, registry.checks)
    assert str(raised.value).startswith(str(path))
    assert error in str(raised.value)


def test_builtin_rules_say_why_and_cite_kubernetes(registry):
    for rule in registry.rules.values():
        assert rule.summary and rule.why and rule.fix, rule.name
        assert rule.summary.endswith("."), rule.name
    for name in ("volume-mount-undefined", "port-conflict", "init-restart-policy-invalid", "unbounded-resources", "image-tag-unpinned"):
        assert any("kubernetes" in ref for ref in registry.rules[name].references), name


def entry_points_returning(*entry_points):
    def entry_points_for(group):
        assert group == "sidecarlint"
        return list(entry_points)

    return entry_points_for


def test_plugins_are_found_through_the_entry_point_group(monkeypatch, tmp_path, capsys):
    from importlib.metadata import EntryPoint

    monkeypatch.setattr(
        "sidecarlint.plugins.importlib.metadata.entry_points",
        entry_points_returning(EntryPoint("rollouts", "tests.example_plugin", "sidecarlint")),
    )
    (tmp_path / "rollout.yaml").write_text(ROLLOUT)
    assert cli.main([str(tmp_path / "rollout.yaml"), "--select", "volume-mount-undefined"]) == 1
    assert "rollout.yaml:12:21: error [volume-mount-undefined]" in capsys.readouterr().out


def test_a_plugin_that_fails_to_load_is_named(monkeypatch, tmp_path, capsys):
    from importlib.metadata import EntryPoint

    monkeypatch.setattr(
        "sidecarlint.plugins.importlib.metadata.entry_points",
        entry_points_returning(EntryPoint("broken", "no_such_module_for_sidecarlint", "sidecarlint")),
    )
    (tmp_path / "rollout.yaml").write_text(ROLLOUT)
    assert cli.main([str(tmp_path / "rollout.yaml")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sidecarlint: error: the plugin 'broken' (no_such_module_for_sidecarlint) failed to load: ")
    assert err.count("\n") == 1


def test_linting_leaves_no_reference_cycles(registry):
    """A run relaxes the garbage collector (parallel.relax_garbage_collection), which is
    only sound while linting a file leaves no cycles behind: each would keep what it holds
    alive until a rare full collection, and memory would grow with the number of files.
    (A recursive alias, `&a [*a]`, is a cycle in the node tree itself: those files aside.)"""
    import gc

    linter = Linter(registry, list(registry.rules.values()))
    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    files = [path for path in sorted(fixtures.glob("*/*.yaml")) if "recursive-alias" not in path.name]
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for path in files:
            linter.lint_source(Source(str(path), str(path)))
        gc.collect()
        cycles = [type(item).__name__ for item in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert len(files) > 100
    assert cycles == []
