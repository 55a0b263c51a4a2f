"""Objects, pod views and container roles."""

from __future__ import annotations

import pytest

from sidecarlint.load import load_text
from sidecarlint.objects import objects_in
from sidecarlint.pods import Role, computed_once, pod_views


def views(registry, text):
    (document,) = load_text(text, "f.yaml").documents
    return [
        view
        for obj in objects_in(document)
        for view in pod_views(obj, registry.workload_kinds, registry.catalogue)
    ]


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    kubectl.kubernetes.io/default-container: {default}
spec:
  initContainers:
    - name: migrate
      image: registry.example.com/shop/migrate:1.0
    - name: cloud-sql-proxy
      image: gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1
      restartPolicy: Always
  containers:
    - name: istio-proxy
      image: docker.io/istio/proxyv2:1.24.0
    - name: web
      image: registry.example.com/shop/web:2.3
    - name: api
      image: registry.example.com/shop/api:2.3
  ephemeralContainers:
    - name: debugger
      image: busybox:1.36
"""


def test_roles(registry):
    (view,) = views(registry, POD.format(default="api"))
    assert [(c.name, c.role) for c in view.containers] == [
        ("migrate", Role.INIT),
        ("cloud-sql-proxy", Role.SIDECAR),
        ("istio-proxy", Role.HELPER),
        ("web", Role.APP),
        ("api", Role.APP),
        ("debugger", Role.EPHEMERAL),
    ]
    assert view.containers[1].sidecar.kind == "db-proxy"
    assert view.containers[2].sidecar.kind == "mesh-proxy"
    assert view.containers[2].path == ("spec", "containers", 0)


def test_primary_container(registry):
    assert views(registry, POD.format(default="api"))[0].primary.name == "api"
    # Without a usable annotation: the first container that is not a known helper.
    assert views(registry, POD.format(default="nope"))[0].primary.name == "web"


@pytest.mark.parametrize(
    "header, pod_spec_path",
    [
        ("apiVersion: apps/v1\nkind: Deployment\nspec:\n  template:\n    spec:\n", ("spec", "template", "spec")),
        ("apiVersion: apps/v1\nkind: StatefulSet\nspec:\n  template:\n    spec:\n", ("spec", "template", "spec")),
        ("apiVersion: apps/v1\nkind: DaemonSet\nspec:\n  template:\n    spec:\n", ("spec", "template", "spec")),
        ("apiVersion: apps/v1\nkind: ReplicaSet\nspec:\n  template:\n    spec:\n", ("spec", "template", "spec")),
        ("apiVersion: extensions/v1beta1\nkind: Deployment\nspec:\n  template:\n    spec:\n", ("spec", "template", "spec")),
        ("apiVersion: v1\nkind: ReplicationController\nspec:\n  template:\n    spec:\n", ("spec", "template", "spec")),
        ("apiVersion: batch/v1\nkind: Job\nspec:\n  template:\n    spec:\n", ("spec", "template", "spec")),
        ("apiVersion: v1\nkind: PodTemplate\ntemplate:\n    spec:\n", ("template", "spec")),
        (
            "apiVersion: batch/v1\nkind: CronJob\nspec:\n  jobTemplate:\n   spec:\n    template:\n     spec:\n",
            ("spec", "jobTemplate", "spec", "template", "spec"),
        ),
        ("apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nspec:\n  template:\n    spec:\n", ("spec", "template", "spec")),
        ("apiVersion: serving.knative.dev/v1\nkind: Service\nspec:\n  template:\n    spec:\n", ("spec", "template", "spec")),
        ("apiVersion: serving.knative.dev/v1\nkind: Configuration\nspec:\n  template:\n    spec:\n", ("spec", "template", "spec")),
        ("apiVersion: serving.knative.dev/v1\nkind: Revision\nspec:\n", ("spec",)),
        (
            "apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nspec:\n  jobTargetRef:\n    template:\n      spec:\n",
            ("spec", "jobTargetRef", "template", "spec"),
        ),
        ("apiVersion: apps.kruise.io/v1alpha1\nkind: CloneSet\nspec:\n  template:\n    spec:\n", ("spec", "template", "spec")),
    ],
)
def test_workload_kinds(registry, header, pod_spec_path):
    indent = " " * (header.splitlines()[-1].index("spec") + 2)
    text = header + f"{indent}containers:\n{indent}  - name: app\n{indent}    image: nginx:1.27\n"
    (view,) = views(registry, text)
    assert view.path == pod_spec_path
    assert [c.name for c in view.containers] == ["app"]


@pytest.mark.parametrize(
    "text",
    [
        "apiVersion: v1\nkind: Service\nspec:\n  ports: [{port: 80}]\n",  # no pod spec
        "apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n",
        "name: my-app\nversion: 1.2\n",  # not Kubernetes at all
        "kind: Pod\nspec: {containers: [{name: a}]}\n",  # no apiVersion
        "apiVersion: example.com/v1\nkind: Deployment\nspec: {template: {spec: {containers: []}}}\n",  # not apps
        "- just\n- a list\n",
        "plain scalar\n",
    ],
)
def test_documents_without_pod_specs_are_skipped(registry, text):
    assert views(registry, text) == []


def test_lists_are_expanded(registry):
    text = """\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: ConfigMap
    metadata: {name: config}
  - apiVersion: v1
    kind: Pod
    metadata: {name: one, namespace: shop}
    spec: {containers: [{name: a, image: nginx:1.27}]}
  - apiVersion: apps/v1
    kind: DeploymentList
    items:
      - apiVersion: apps/v1
        kind: Deployment
        metadata: {name: two}
        spec: {template: {spec: {containers: [{name: b, image: nginx:1.27}]}}}
"""
    found = views(registry, text)
    assert [(v.object.kind, v.object.name, v.object.namespace) for v in found] == [
        ("Pod", "one", "shop"),
        ("Deployment", "two", None),
    ]
    assert found[1].path == ("items", 2, "items", 0, "spec", "template", "spec")


@pytest.mark.parametrize(
    "spec",
    [
        "containers: a string",
        "containers: {name: a}",
        "containers: [null, 3, {name: a, image: nginx:1.27}]",
        "containers: null\ninitContainers: 7",
    ],
)
def test_wrong_shapes_are_left_out_of_the_view(registry, spec):
    text = "apiVersion: v1\nkind: Pod\nspec:\n" + "".join(f"  {line}\n" for line in spec.splitlines())
    (view,) = views(registry, text)
    assert all(isinstance(c.spec, dict) for c in view.containers)


def test_computed_once_computes_on_first_use_and_keeps_the_value():
    calls = []

    class Thing:
        @computed_once
        def answer(self):
            """The answer."""
            calls.append(self)
            return [42]

    thing, other = Thing(), Thing()
    first = thing.answer
    assert first == [42] and thing.answer is first and calls == [thing]
    assert other.answer == [42] and calls == [thing, other]  # each instance its own
    assert thing.__dict__["answer"] is first
    assert isinstance(Thing.answer, computed_once) and Thing.answer.__doc__ == "The answer."


def test_container_properties_are_computed_once(registry):
    (view,) = views(registry, POD.format(default="web"))
    container = view.containers[0]
    assert container.command_line is container.command_line
    assert container.probes is container.probes
    assert view.volumes is view.volumes and view.volume_names is view.volume_names
