"""The pre-commit hook, run by the real pre-commit (`pre-commit try-repo`) on a repository.

try-repo installs the hook from a commit, so the test commits a copy of the project's
files as they are in the working tree (uncommitted work included) to a temporary
repository, and points try-repo at it. Building the hook's environment installs
sidecarlint's dependencies from the package index, as pre-commit does for its users.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.test_cli import BROKEN_MOUNT

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml", "sidecarlint", "rules", "fixtures")

# The git identity for the temporary commits, and no user or system git configuration
# (a global `commit.gpgsign` or hooks path would change what git does here).
GIT_ENV = {
    **{key: value for key, value in os.environ.items() if not key.startswith("GIT_")},
    "GIT_AUTHOR_NAME": "sidecarlint tests",
    "GIT_AUTHOR_EMAIL": "tests@sidecarlint.invalid",
    "GIT_COMMITTER_NAME": "sidecarlint tests",
    "GIT_COMMITTER_EMAIL": "tests@sidecarlint.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}

PASSING = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/example/api:2.4.1
          ports:
            - containerPort: 8080
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
          livenessProbe:
            httpGet: {path: /healthz, port: 8080}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {memory: 128Mi}
"""

HELM_TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "web.fullname" . }}
  labels:
    {{- include "web.labels" . | nindent 4 }}
spec:
  template:
    spec:
      containers:
        - name: web
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
"""


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=GIT_ENV, check=True, capture_output=True)


def commit_all(directory: Path) -> None:
    git("init", "--quiet", cwd=directory)
    git("add", "--all", cwd=directory)
    git("commit", "--quiet", "--message", "snapshot", cwd=directory)


def try_repo(project: Path, target: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(project), "sidecarlint", "--color", "never", *args],
        cwd=target,
        env=GIT_ENV,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_hook_manifest_is_what_pre_commit_expects():
    from pre_commit.clientlib import load_manifest  # validates it as pre-commit does

    (hook,) = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    assert hook["id"] == "sidecarlint"
    assert hook["entry"] == "sidecarlint"
    assert hook["language"] == "python"
    assert hook["types"] == ["yaml"]
    assert hook["require_serial"] is True
    assert hook["pass_filenames"] is True
    (raw,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert raw["minimum_pre_commit_version"] == "3.0.0"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The project as it is in the working tree, committed to a repository of its own."""
    copy = tmp_path_factory.mktemp("project")
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, copy / name)
    commit_all(copy)
    return copy


@pytest.fixture(scope="module")
def target(tmp_path_factory) -> Path:
    """A repository with a failing manifest, a passing one, a chart template and a text file."""
    target = tmp_path_factory.mktemp("target")
    files = {
        "k8s/web.yaml": BROKEN_MOUNT,
        "k8s/api.yaml": PASSING,
        "chart/templates/deployment.yaml": HELM_TEMPLATE,
        "notes.txt": BROKEN_MOUNT,  # not YAML to pre-commit's file types: never passed to the hook
    }
    for name, text in files.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(text, encoding="utf-8")
    commit_all(target)
    return target


def test_try_repo_fails_on_the_failing_manifest(project, target):
    completed = try_repo(project, target, "--all-files")
    out = completed.stdout
    assert completed.returncode == 1, out + completed.stderr
    assert "sidecarlint" in out and "Failed" in out
    assert "k8s/web.yaml:10:17: error [volume-mount-undefined] volume mount 'logs'" in out
    assert "chart/templates/deployment.yaml:4:9: note [helm-template-skipped] skipped: a Helm chart template" in out
    assert "invalid-yaml" not in out
    assert "k8s/api.yaml:" not in out and "notes.txt" not in out
    assert "Found 2 problems (1 error, 1 note) in 2 of 3 files checked." in out


def test_try_repo_passes_the_passing_manifest_and_the_chart(project, target):
    completed = try_repo(project, target, "--files", "k8s/api.yaml", "chart/templates/deployment.yaml")
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "Passed" in completed.stdout
