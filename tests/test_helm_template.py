"""Helm chart templates are recognised and skipped with a note, never reported as invalid YAML."""

from __future__ import annotations

import pytest
import yaml

from sidecarlint.cli import main
from sidecarlint.load import load_text
from sidecarlint.positions import Span

LOADERS = [pytest.param(yaml.CSafeLoader, id="libyaml"), pytest.param(yaml.SafeLoader, id="pure-python")]

DEPLOYMENT_TEMPLATE = """\
{{- /*
A chart's deployment, as helm create writes it.
*/ -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "web.fullname" . }}
  labels:
    {{- include "web.labels" . | nindent 4 }}
spec:
  {{- if not .Values.autoscaling.enabled }}
  replicas: {{ .Values.replicaCount }}
  {{- end }}
  template:
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
          {{- with .Values.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
"""

VAULT_ANNOTATION = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    vault.hashicorp.com/agent-inject-template-db: |
      {{- with secret "database/creds/web" -}}
      postgres://{{ .Data.username }}:{{ .Data.password }}@db:5432/web
      {{- end }}
    description: "{{ $labels.instance }} is down"
spec:
  containers:
    - name: web
      image: nginx:1.27.2
      args:
        - --greeting
        - hello {{ name }}
"""


@pytest.mark.parametrize("loader", LOADERS)
def test_a_chart_template_is_one_template_problem_and_no_documents(loader):
    loaded = load_text(DEPLOYMENT_TEMPLATE, "deployment.yaml", loader)
    assert loaded.documents == []
    (problem,) = loaded.problems
    assert problem.kind == "template"
    assert problem.span == Span(1, 1, 3, 7)  # the first action, a comment over three lines (end exclusive)
    assert problem.message.startswith("skipped: a Helm chart template, not a manifest; its template actions, such as {{- /*")


@pytest.mark.parametrize("loader", LOADERS)
def test_an_action_that_parses_as_a_mapping_is_still_a_template(loader):
    (problem,) = load_text("kind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n", "pod.yaml", loader).problems
    assert problem.kind == "template"
    assert problem.span == Span(3, 9, 3, 28)  # `{{ .Release.Name }}`, 19 characters from column 9


@pytest.mark.parametrize(
    "text",
    [
        "a: &a\n  b: {{ .x }}\nc: *a\n",  # inside an anchored mapping, met again through its alias
        "a: [x, {{ .y }}]\nb: 'plain {{ data }}'\n",  # in a flow sequence, and in a string after it
        "- one\n- two: {{ .z }}\n- {{ .w }}\n",  # in block sequence items
        "a:\n  b:\n    c: {{ .deep }}\n",
    ],
)
def test_an_action_read_as_a_mapping_is_found_wherever_it_is_nested(text):
    (problem,) = load_text(text, "template.yaml").problems
    assert problem.kind == "template"


@pytest.mark.parametrize("loader", LOADERS)
def test_actions_inside_strings_are_data(loader):
    loaded = load_text(VAULT_ANNOTATION, "pod.yaml", loader)
    assert loaded.problems == []
    (document,) = loaded.documents
    assert document.data["spec"]["containers"][0]["args"] == ["--greeting", "hello {{ name }}"]


@pytest.mark.parametrize("loader", LOADERS)
def test_a_syntax_error_that_is_not_the_templates_stays_a_syntax_error(loader):
    text = VAULT_ANNOTATION.replace("    - name: web\n", "    - name: web\n     bad: indent\n")
    (problem,) = load_text(text, "pod.yaml", loader).problems
    assert problem.kind == "syntax"


@pytest.mark.parametrize("text", ["a: {b: c}}\n", "a: '{{'\nb: [\n"])
def test_braces_without_an_action_are_plain_yaml_errors(text):
    (problem,) = load_text(text, "f.yaml").problems
    assert problem.kind == "syntax"


def test_the_command_line_notes_and_passes_a_chart(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "deployment.yaml").write_text(DEPLOYMENT_TEMPLATE, encoding="utf-8")
    assert main(["templates"]) == 0  # a note does not fail the run at the default --fail-on
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("templates/deployment.yaml:1:1: note [helm-template-skipped] skipped: a Helm chart template")
    assert out[-1] == "Found 1 problem (1 note) in 1 of 1 file checked."
    assert main(["templates", "--ignore", "helm-template-skipped"]) == 0
    assert capsys.readouterr().out == "No problems found (1 file checked).\n"
