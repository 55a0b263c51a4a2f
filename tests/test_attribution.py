"""Findings in rendered Helm and Kustomize output moved back to the files a person edits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sidecarlint.attribution import (
    helm_sources,
    KustomizeAttributor,
    attribute,
    helm_origins,
    helm_position,
    key_chain,
    template_file,
    template_position,
)
from sidecarlint.engine import Linter
from sidecarlint.load import load_text
from sidecarlint.positions import Span
from sidecarlint.rendering import kustomize_renderer, render_kustomization

DATA = Path(__file__).resolve().parent / "data"


def test_template_position_needs_exactly_one_literal_match():
    template = "containers:\n  - name: api\n    image: \"{{ .Values.image }}\"\n  - name: proxy\n    resources:\n"
    assert template_position(template, "name", "proxy") == Span(4, 11, 4, 16)
    assert template_position(template, "resources", {}) == Span(5, 5, 5, 14)
    assert template_position(template, "image", "nginx:1.27") is None  # templated: not literal here
    assert template_position("a: 1\nb:\n  a: 1\n", "a", 1) is None  # ambiguous


def test_helm_stream_findings_point_at_the_template(registry, monkeypatch):
    monkeypatch.chdir(DATA / "helm")
    text = (DATA / "helm" / "rendered.yaml").read_text()
    loaded = load_text(text, "<stdin>")
    origins = helm_origins(text, loaded.documents, Path("."))
    assert {i: o.path for i, o in origins.items()} == {
        0: "shop/templates/service.yaml",
        1: "shop/templates/deployment.yaml",
        2: "shop/templates/worker.yaml",
    }
    findings = Linter(registry, list(registry.rules.values())).lint_file(loaded).findings
    documents = {d.index: d for d in loaded.documents}
    moved = sorted(
        (f.rule, f.path, f.line, f.column, f.rendered.span.line)
        for f in findings
        for f in [attribute(f, documents[f.document].data, origins[f.document])]
    )
    # The proxy sits in containers[] beside an app that reaches it on 127.0.0.1:5432, and
    # has no probes: both at its name, line 27 of the template (line 42 of the stream).
    # The worker's `:latest` image is a literal in its template (line 18, the value from its
    # quote at column 18); its resources come from values, so the `resources:` key (24:11).
    assert moved == [
        ("image-tag-unpinned", "shop/templates/worker.yaml", 18, 18, 67),
        ("probes-missing", "shop/templates/deployment.yaml", 27, 17, 42),
        ("sidecar-startup-order", "shop/templates/deployment.yaml", 27, 17, 42),
        ("unbounded-resources", "shop/templates/worker.yaml", 24, 11, 73),
    ]


@pytest.mark.skipif(kustomize_renderer() is None, reason="neither kubectl nor kustomize is installed")
def test_kustomize_overlay_findings_point_at_base_and_patch(registry, tmp_path):
    overlay = tmp_path / "kustomize"
    shutil.copytree(DATA / "kustomize", overlay)
    text = render_kustomization(kustomize_renderer(), overlay / "overlays" / "prod")
    loaded = load_text(text, str(overlay / "overlays" / "prod"))
    attributor = KustomizeAttributor(overlay / "overlays" / "prod")
    findings = Linter(registry, list(registry.rules.values())).lint_file(loaded, attributor=attributor).findings
    moved = sorted((f.rule, Path(f.path).relative_to(overlay).as_posix(), f.line, f.column) for f in findings)
    assert ("volume-mount-undefined", "base/deployment.yaml", 16, 21) in moved  # the base's own mistake
    assert ("unbounded-resources", "overlays/prod/add-log-shipper.yaml", 9, 17) in moved  # what the patch added
    assert all(path != "overlays/prod" for _, path, _, _ in moved)


WORKER = """\
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: worker
          ports:
            - name: worker
              containerPort: 9090
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
---
apiVersion: v1
kind: Service
spec:
  ports:
    - name: worker
      port: 9090
"""
RENDERED = {
    "kind": "Deployment",
    "spec": {"template": {"spec": {"containers": [
        {"name": "worker", "ports": [{"name": "worker", "containerPort": 9090}], "resources": {"limits": {"cpu": "1"}}}
    ]}}},
}


def test_key_chain_follows_block_indentation_through_list_items():
    lines = WORKER.splitlines()
    assert key_chain(lines, 6) == ("spec", "template", "spec", "containers", "name")
    assert key_chain(lines, 8) == ("spec", "template", "spec", "containers", "ports", "name")
    assert key_chain(lines, 9) == ("spec", "template", "spec", "containers", "ports", "containerPort")
    assert key_chain(lines, 11) is None  # a template action holds no key


def test_helm_position_tells_same_values_apart_by_their_key_path():
    containers = ("spec", "template", "spec", "containers", 0)
    # `name: worker` is on lines 7, 9 and 18; only line 7 is a container's name.
    assert helm_position(WORKER, containers + ("name",), RENDERED, "Deployment") == Span(7, 17, 7, 23)
    assert helm_position(WORKER, containers + ("ports", 0, "name"), RENDERED, "Deployment") == Span(9, 21, 9, 27)
    # Rendered from values: not in the template, so the enclosing `resources:` key.
    assert helm_position(WORKER, containers + ("resources", "limits", "cpu"), RENDERED, "Deployment") == Span(11, 11, 11, 20)


def test_helm_position_searches_the_document_of_the_objects_kind():
    service = {"kind": "Service", "spec": {"ports": [{"name": "worker", "port": 9090}]}}
    assert helm_position(WORKER, ("spec", "ports", 0, "name"), service, "Service") == Span(18, 13, 18, 19)
    assert helm_position(WORKER, ("spec", "ports", 0, "protocol"), service, "Service") == Span(18, 13, 18, 19)
    assert helm_position(WORKER, ("metadata", "labels"), service, "Service") == Span(15, 1, 15, 14)  # its kind: line


def test_a_template_is_found_in_the_chart_or_beside_it(tmp_path, monkeypatch):
    chart = tmp_path / "shop"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("name: shop\n")
    (chart / "templates" / "a.yaml").write_text("kind: Pod\n")
    monkeypatch.chdir(tmp_path)
    for source, bases, found in [
        ("shop/templates/a.yaml", [chart], chart / "templates" / "a.yaml"),  # the base is the chart
        ("shop/templates/a.yaml", [tmp_path], tmp_path / "shop" / "templates" / "a.yaml"),  # it holds the chart
        ("./shop/templates/a.yaml", [tmp_path], tmp_path / "shop" / "templates" / "a.yaml"),
        ("shop//templates/a.yaml", [Path(".")], Path("shop") / "templates" / "a.yaml"),
        ("shop/templates/b.yaml", [chart, tmp_path], None),
        ("other/templates/a.yaml", [chart, tmp_path], None),
    ]:
        assert template_file(source, bases) == found, source


@pytest.mark.parametrize("source", ["/etc/passwd", "../secrets/x.yaml", "shop/../../x.yaml"])
def test_a_source_comment_cannot_lead_outside_the_chart(tmp_path, source):
    (tmp_path / "x.yaml").write_text("kind: Pod\n")
    assert template_file(source, [tmp_path / "chart"]) is None


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["# Source: shop/templates/a.yaml", "# Source: b c.yaml  ", "# Source: ", "kind: Pod",
                                 "  # Source: x.yaml", "---", "", "\r", "\u2028", "# Source: x\r", "a# Source: b.yaml",
                                 "# Source:  two.yaml", "# Source: \xa0c.yaml", "# Source: d.yaml\t\x1f",
                                 "# Source: # Source: e.yaml"]), max_size=30).map("\n".join))
def test_source_comments_are_found_on_the_lines_yaml_counts(text):
    """`helm_sources` searches the whole text at once; it must give the lines and paths
    that reading the text line by line gives, with YAML's line breaks."""
    from sidecarlint.attribution import _SOURCE

    expected = [
        (number, match["path"]) for number, line in enumerate(text.splitlines(), start=1) if (match := _SOURCE.match(line))
    ]
    assert helm_sources(text) == expected


def test_a_rendered_document_without_findings_costs_no_template_lookup(monkeypatch):
    """Committed rendered output is common and most of its documents have no findings:
    where the chart is (and which template a document came from) is only looked for
    when a finding must move."""
    from sidecarlint import attribution

    text = "# Source: shop/templates/a.yaml\nkind: ConfigMap\n---\n# Source: shop/templates/b.yaml\nkind: Service\n"
    looked_up = []
    monkeypatch.setattr(attribution, "template_file", lambda *args: looked_up.append(args))
    helm = attribution.HelmAttributor(helm_sources(text), lambda: pytest.fail("looked for the chart"))
    for document in load_text(text, "rendered.yaml").documents:
        assert helm.attribute(document, []) == []
    assert looked_up == []
    assert helm.seen == {"shop/templates/a.yaml": 1, "shop/templates/b.yaml": 1}
