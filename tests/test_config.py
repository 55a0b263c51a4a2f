"""Configuration, suppressions and custom rules, as a user meets them through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sidecarlint.cli import main

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: nginx
      readinessProbe:
        httpGet: {path: /, port: 80}
      resources:
        requests: {cpu: 100m, memory: 64Mi}
        limits: {memory: 64Mi}
"""  # one finding: image-tag-unpinned at 8:14


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def rules_reported(capsys, *argv) -> list[str]:
    main(["--format", "json", *argv])
    return [f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]]


def test_config_is_found_upwards_to_the_repository_root(repo, monkeypatch, capsys):
    write(repo / ".sidecarlint.yaml", "ignore: [image-tag-unpinned]\n")
    write(repo / "deploy" / "pod.yaml", POD)
    monkeypatch.chdir(repo / "deploy")
    assert rules_reported(capsys, "pod.yaml") == []
    assert rules_reported(capsys, "pod.yaml", "--no-config") == ["image-tag-unpinned"]


def test_search_stops_at_the_repository_root(tmp_path, monkeypatch, capsys):
    write(tmp_path / ".sidecarlint.yaml", "ignore: [image-tag-unpinned]\n")  # outside the repository
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    write(tmp_path / "repo" / "pod.yaml", POD)
    monkeypatch.chdir(tmp_path / "repo")
    assert rules_reported(capsys, "pod.yaml") == ["image-tag-unpinned"]


def test_pyproject_table_and_config_option(repo, capsys):
    write(repo / "pyproject.toml", '[project]\nname = "x"\n\n[tool.sidecarlint]\nseverity = {image-tag-unpinned = "note"}\n')
    write(repo / "pod.yaml", POD)
    assert main(["pod.yaml"]) == 0  # a note does not fail the run
    assert "pod.yaml:8:14: note [image-tag-unpinned]" in capsys.readouterr().out
    write(repo / "strict.yml", "fail-on: note\n")
    assert main(["pod.yaml", "--config", "strict.yml"]) == 1
    capsys.readouterr()


def test_command_line_wins_over_the_file(repo, capsys):
    write(repo / ".sidecarlint.yaml", "select: [unbounded-resources]\nfail-on: error\nkubernetes-version: '1.33'\n")
    write(repo / "pod.yaml", POD)
    assert main(["pod.yaml"]) == 0
    assert main(["pod.yaml", "--select", "image-tag-unpinned", "--fail-on", "warning"]) == 1
    capsys.readouterr()


def test_params_override_a_builtin_rule(repo, capsys):
    write(repo / ".sidecarlint.yaml", "params:\n  image-tag-unpinned: {unpinned-tags: [latest, stable]}\n")
    write(repo / "pod.yaml", POD.replace("image: nginx", "image: nginx:stable"))
    assert rules_reported(capsys, "pod.yaml") == ["image-tag-unpinned"]


def test_exclude_applies_to_named_files_too(repo, capsys):
    write(repo / ".sidecarlint.yaml", "exclude: [vendor, 'deploy/legacy-*.yaml']\n")
    write(repo / "vendor" / "pod.yaml", POD)
    write(repo / "deploy" / "legacy-web.yaml", POD)
    write(repo / "deploy" / "web.yaml", POD)
    main(["vendor/pod.yaml", "deploy/legacy-web.yaml", "deploy/web.yaml"])  # as pre-commit passes them
    out = capsys.readouterr().out
    assert "deploy/web.yaml:8:14" in out and "legacy" not in out and "vendor" not in out
    assert out.endswith("in 1 of 1 file checked.\n")


@pytest.mark.parametrize(
    "config, message",
    [
        ("ignroe: [port-conflict]\n", "unknown key 'ignroe' (did you mean 'ignore'?)"),
        ("select: [port-conflit]\n", "select: unknown rule 'port-conflit' (did you mean 'port-conflict'?)"),
        ("severity: {port-conflict: fatal}\n", "severity.port-conflict: must be error, warning or note"),
        ("ignore: port-conflict\n", None),  # a single string is accepted as a list of one
        ("exclude: {a: b}\n", "exclude: must be a list of strings"),
        ("kubernetes-version: latest\n", "kubernetes-version: 'latest' is not a Kubernetes version"),
        ("params: {image-tag-unpinned: {unpinned-tag: [x]}}\n", "params.image-tag-unpinned: the rule has no parameter 'unpinned-tag'"),
        ("workload-kinds: [{apiVersion: a/v1, kind: A, podSpecPath: spec}]\n", "unknown key 'podSpecPath' (did you mean 'pod-spec-path'?)"),
        ("sidecars: [{name: x, images: [acme/x]}]\n", "sidecars[0]: needs a kind and images or names"),
        ("sidecars: [{name: x, kind: sidekick, images: [acme/x]}]\n", "unknown kind 'sidekick'"),
        ("rules:\n  - name: bad-path\n    severity: error\n    summary: s.\n    why: w\n    fix: f\n    check: jsonpath\n    params: {select: 'containers[*', require: x}\n",
         "rules: bad-path: 'select' is not a valid JSONPath ('containers[*')"),
        ("rules:\n  - name: both\n    severity: error\n    summary: s.\n    why: w\n    fix: f\n    check: jsonpath\n    params: {require: a, forbid: b}\n",
         "rules: both: the jsonpath check needs exactly one of 'require' and 'forbid'"),
        ("rules:\n  - name: port-conflict\n    severity: error\n    summary: s.\n    why: w\n    fix: f\n    check: jsonpath\n    params: {require: a}\n",
         "rules: port-conflict: a rule of that name already exists"),
        ("rules:\n  - name: x\n    severity: error\n    summary: s.\n    why: w\n    fix: f\n    check: jsonpaht\n", "unknown check 'jsonpaht' (did you mean 'jsonpath'?)"),
        ("max-file-size: lots\n", "max-file-size: 'lots' is not a size such as 10MiB"),
        ("max-file-size: [1]\n", "max-file-size: must be a size such as 10MiB or a number of bytes, not [1]"),
        ("max-file-size: 0\n", "max-file-size: '0' is not a size"),
        ("[1, 2]\n", "the configuration must be a mapping"),
        ("select: [a\n", "not valid YAML"),
    ],
)
def test_bad_configuration_is_a_usage_error_naming_file_and_key(repo, capsys, config, message):
    write(repo / ".sidecarlint.yaml", config)
    write(repo / "pod.yaml", POD)
    status = main(["pod.yaml"])
    err = capsys.readouterr().err
    if message is None:
        assert status == 1 and err == ""  # accepted; the pod's own finding fails the run
        return
    assert status == 2
    assert err.startswith(f"sidecarlint: error: {repo / '.sidecarlint.yaml'}: ") or err.startswith("sidecarlint: error: .sidecarlint.yaml")
    assert message in err
    assert err.count("\n") == 1


def test_max_file_size_from_the_configuration_and_the_command_line(repo, capsys):
    write(repo / "pod.yaml", POD)  # 253 bytes
    write(repo / ".sidecarlint.yaml", "max-file-size: 200\n")
    assert rules_reported(capsys, "pod.yaml") == ["file-unreadable"]
    write(repo / ".sidecarlint.yaml", "max-file-size: 1KiB\n")
    assert rules_reported(capsys, "pod.yaml") == ["image-tag-unpinned"]
    assert rules_reported(capsys, "pod.yaml", "--max-file-size", "100") == ["file-unreadable"]  # the flag wins


def test_missing_config_file_is_a_usage_error(repo, capsys):
    assert main(["--config", "nope.yaml", "."]) == 2
    assert "--config: nope.yaml: no such file" in capsys.readouterr().err


def test_custom_rule_positions_suppression_and_explain(repo, capsys):
    write(repo / ".sidecarlint.yaml", """\
rules:
  - name: run-as-non-root
    severity: error
    summary: A container does not set securityContext.runAsNonRoot to true.
    why: Root in a container is root on the node if it escapes.
    fix: Set securityContext.runAsNonRoot to true.
    check: jsonpath
    params: {select: "containers[*]", require: securityContext.runAsNonRoot, equals: true}
""")
    write(repo / "pod.yaml", POD.replace("      image: nginx\n", "      image: nginx:1.27.2\n      securityContext: {runAsNonRoot: false}\n"))
    main(["pod.yaml"])
    out = capsys.readouterr().out
    # runAsNonRoot exists but is false: the finding is at the value.
    assert out.startswith("pod.yaml:9:39: error [run-as-non-root] container 'web' does not have securityContext.runAsNonRoot set to true")
    assert main(["--explain", "run-as-non-root"]) == 0
    assert "Root in a container is root on the node" in capsys.readouterr().out
    # Above the container's first line: the comment covers the whole container.
    text = POD.replace("image: nginx\n", "image: nginx:1.27.2\n")
    write(repo / "pod.yaml", text.replace("    - name: web\n", "    # sidecarlint: ignore[run-as-non-root] the image needs port 80\n    - name: web\n"))
    assert main(["pod.yaml"]) == 0
    assert capsys.readouterr().out == "No problems found (1 file checked; 1 suppressed).\n"


SIDECAR_POD = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    ignore.sidecarlint.io/image-tag-unpinned: "containers=proxy; mirrored by the platform team"
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx
        - name: proxy
          image: envoyproxy/envoy
"""


def test_annotation_scoped_to_containers(repo, capsys):
    write(repo / "web.yaml", SIDECAR_POD)
    main(["web.yaml", "--select", "image-tag-unpinned", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert [(f["container"], f["line"]) for f in report["findings"]] == [("web", 15)]
    assert [(s["container"], s["reason"], s["suppressed_by"]) for s in report["suppressed"]] == [
        ("proxy", "mirrored by the platform team", "annotation")
    ]
    assert report["summary"]["suppressed"] == 1


def test_suppressed_findings_stay_out_of_sarif(repo, capsys):
    write(repo / "web.yaml", SIDECAR_POD)
    main(["web.yaml", "--select", "image-tag-unpinned", "--format", "sarif"])
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results] == [15]


def test_comment_on_a_containers_first_line_covers_it(repo, capsys):
    text = SIDECAR_POD.replace('  annotations:\n    ignore.sidecarlint.io/image-tag-unpinned: "containers=proxy; mirrored by the platform team"\n', "")
    text = text.replace("        - name: proxy\n", "        # sidecarlint: ignore[image-tag-unpinned] mirrored\n        - name: proxy\n")
    write(repo / "web.yaml", text)
    main(["web.yaml", "--select", "image-tag-unpinned", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert [f["container"] for f in report["findings"]] == ["web"]
    assert [s["container"] for s in report["suppressed"]] == ["proxy"]


def test_ignore_file_only_at_the_top(repo, capsys):
    write(repo / "pod.yaml", POD + "# sidecarlint: ignore-file[image-tag-unpinned] too late\n")
    main(["pod.yaml"])
    out = capsys.readouterr().out
    assert "[image-tag-unpinned]" in out
    assert "note [unused-suppression] ignore-file must be in the comments at the top of the file" in out
    write(repo / "pod.yaml", "# sidecarlint: ignore-file[image-tag-unpinned] pinned at deploy time\n---\n" + POD)
    assert main(["pod.yaml"]) == 0
    capsys.readouterr()


def test_list_plugins_and_no_plugins(capsys):
    assert main(["--list-plugins"]) == 0
    out = capsys.readouterr().out
    assert "sidecarlint.checks.builtin  (built-in)" in out
    assert main(["--no-plugins", "--list-rules"]) == 0
    assert "port-conflict" in capsys.readouterr().out
