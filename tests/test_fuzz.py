"""Property-based tests: whatever the YAML, and whatever shape its pod specs take, reading and
linting never raise, no rule crashes (`internal-error`), and every finding points inside the
file.

The suite runs a modest number of examples; for a long run:

    SIDECARLINT_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz.py -q

fuzz/ holds a coverage-guided harness (atheris) for arbitrary bytes.
"""

from __future__ import annotations

import copy
import os

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sidecarlint import load
from sidecarlint.findings import INTERNAL_ERROR
from sidecarlint.load import load_bytes, load_text

EXAMPLES = int(os.environ.get("SIDECARLINT_FUZZ_EXAMPLES", "200"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
LOADERS = (yaml.CSafeLoader, yaml.SafeLoader)


@pytest.fixture(scope="module")
def linter():
    from sidecarlint.engine import Linter
    from sidecarlint.plugins import default_registry

    registry = default_registry(load_entry_points=False)
    return Linter(registry, list(registry.rules.values()))


def check_findings(findings, text: str) -> None:
    """No rule crashed, and every finding is inside the file: 1 <= line <= lines + 1."""
    crashed = [f.message for f in findings if f.rule == INTERNAL_ERROR]
    assert not crashed, crashed
    lines = len(load._Lines(text)._starts)
    for finding in findings:
        for span in (finding.span, *(related.span for related in finding.related)):
            assert 1 <= span.line <= lines + 1 and span.column >= 1, (finding.rule, span, finding.message)


# Random YAML text: pieces of YAML syntax, Kubernetes words and troublemakers, in any order.

PIECES = [
    "[", "]", "{", "}", ",", ":", ": ", "- ", "? ", "\n", "\n", "\n  ", "\n    ", "  ", " ", "\t", "\r\n", "\r",
    "&a ", "*a", "&b ", "*b", "<<: ", "<<: *a", "---\n", "...\n", "# c", "'", '"', "|\n", ">-\n", "\\",
    "%YAML 1.1\n", "%TAG !e! tag:example.com,2000:\n", "!e!x ", "!", "!!str ", "!!int ", "!!float ", "!!bool ",
    "!!binary ", "!!timestamp ", "!!null ", "!!map ", "!!seq ", "!!set ", "!!omap ", "!custom ",
    "!!python/object/apply:os.system ", "!!python/name:os.system ",
    "apiVersion: v1\n", "apiVersion: apps/v1\n", "apiVersion: batch/v1\n", "kind: Pod\n", "kind: Deployment\n",
    "kind: Job\n", "kind: List\n", "items:\n", "metadata:\n", "name: x\n", "annotations:\n", "labels:\n",
    "spec:\n", "template:\n", "containers:\n", "initContainers:\n", "- name: a\n", "image: nginx\n",
    "restartPolicy: Always\n", "ports:\n", "- containerPort: 80\n", "volumeMounts:\n", "volumes:\n",
    "resources:\n", "limits: {memory: 1Gi}\n", "env:\n", "- {name: A, value: 'http://localhost:8080'}\n",
    "{{ .Values.x }}", "{{", "}}", "# sidecarlint: ignore[port-conflict] why\n",
    "0x_", "0b_", "2024-13-45", "2020-01-01 10:00:00 +99:00", "yes", "~", "null", ".nan", "1e400", "9" * 400,
    "é", "名", "\U0001f600", "\x85", "\u2028", "\ufeff", "\x00", "\x1b", "\x7f",
]

texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=60).map("".join)


@FUZZ
@given(texts)
def test_random_yaml_text_never_crashes(linter, text):
    for loader in LOADERS:
        loaded = load_text(text, "fuzz.yaml", loader)
        for problem in loaded.problems:
            assert problem.span.line >= 1 and problem.span.column >= 1
        check_findings(linter.lint_file(loaded).findings, text)


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(linter, raw):
    loaded = load_bytes(raw, "fuzz.yaml")
    check_findings(linter.lint_file(loaded).findings, raw.decode("latin-1"))


def node_shape(node, seen):
    """A node tree as comparable data: tags, marks, values, styles; aliases by order."""
    if id(node) in seen:
        return ("alias", seen[id(node)])
    seen[id(node)] = len(seen)
    marks = (node.tag, node.start_mark.line, node.start_mark.column, node.end_mark.line, node.end_mark.column)
    if isinstance(node, yaml.ScalarNode):
        return (*marks, node.value, node.style)
    if isinstance(node, yaml.SequenceNode):
        return (*marks, node.flow_style, [node_shape(item, seen) for item in node.value])
    return (*marks, node.flow_style, [(node_shape(k, seen), node_shape(v, seen)) for k, v in node.value])


def _compose(function):
    try:
        return [node_shape(root, {}) for root in function()]
    except yaml.YAMLError as error:
        return type(error).__name__


@FUZZ
@given(texts)
def test_the_guarded_composer_agrees_with_libyaml(text):
    """Where libyaml's own composer is safe (the text cannot nest past MAX_DEPTH), the
    composer that reads the events itself must build the very same nodes."""
    if "\x00" in text or load._NOT_YAML.search(text) or load._may_nest_deeper_than(text, load.MAX_DEPTH):
        return
    expected = _compose(lambda: yaml.compose_all(text, Loader=yaml.CSafeLoader))
    actual = _compose(lambda: load._compose_guarded(text, yaml.CSafeLoader, load._Budget()))
    assert actual == expected


# Random pod specs: a full workload whose fields are replaced by values of any shape.

BASE_DEPLOYMENT = yaml.safe_load(
    """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {ignore.sidecarlint.io/probes-missing: "batch", kubectl.kubernetes.io/default-container: app}
  labels: {app: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      annotations: {sidecar.istio.io/inject: "true", prometheus.io/port: "9090"}
      labels: {app: web}
    spec:
      restartPolicy: Always
      initContainers:
        - name: proxy
          image: istio/proxyv2:1.22.0
          restartPolicy: Always
          args: ["proxy", "sidecar", "--port=15001"]
          ports: [{containerPort: 15001, name: envoy, protocol: TCP}]
          startupProbe: {httpGet: {path: /healthz/ready, port: 15021}}
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 256Mi}}
        - name: migrate
          image: ghcr.io/example/migrate:1.0
          command: ["sh", "-c", "migrate up"]
      containers:
        - name: app
          image: ghcr.io/example/app:2.3.1
          ports: [{containerPort: 8080, name: http, hostPort: 8080, hostIP: 0.0.0.0}]
          env:
            - {name: DB_URL, value: "postgres://localhost:5432/app"}
            - {name: PROXY, value: "http://127.0.0.1:15001"}
          readinessProbe: {httpGet: {path: /ready, port: http}}
          livenessProbe: {tcpSocket: {port: 8080}}
          lifecycle: {preStop: {httpGet: {path: /quitquitquit, port: 15020}}}
          resources: {requests: {cpu: 500m, memory: 512Mi}, limits: {memory: 1Gi}}
          volumeMounts: [{name: logs, mountPath: /var/log/app}, {name: data, mountPath: /data, readOnly: true}]
        - name: fluent-bit
          image: fluent/fluent-bit:3.0.4
          volumeMounts: [{name: logs, mountPath: /var/log/app, readOnly: true}]
          resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 64Mi}}
      ephemeralContainers:
        - name: debug
          image: busybox:1.36
      volumes:
        - {name: logs, emptyDir: {sizeLimit: 1Gi, medium: Memory}}
        - {name: data, persistentVolumeClaim: {claimName: data}}
"""
)

WRONG_VALUES = [None, "", "text", "localhost:8080", "100m", 0, -1, 80, 2**40, 1.5, float("nan"), True, [], ["x"], [1],
                [None], [[]], [{}], {}, {"name": "x"}, {"a": [1]}]


def paths_of(data, path=()):
    """Every path into the data, the root excepted."""
    if path:
        yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from paths_of(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from paths_of(value, path + (index,))


def replaced(data, path, value):
    result = copy.deepcopy(data)
    target = result
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return result


KINDS = [("apps/v1", "Deployment"), ("v1", "Pod"), ("batch/v1", "Job"), ("batch/v1", "CronJob"),
         ("apps/v1", "StatefulSet"), ("apps/v1", "DaemonSet"), ("v1", "PodTemplate"), ("v1", "List")]
FIELD_NAMES = sorted({str(step) for path in paths_of(BASE_DEPLOYMENT) for step in path if isinstance(step, str)}
                     | {"items", "jobTemplate", "volumeClaimTemplates", "podFailurePolicy", "valueFrom", "exec"})
scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats()
    | st.sampled_from(["Always", "Never", "OnFailure", "TCP", "UDP", "100m", "1Gi", "1e3", "512", "http", "Memory",
                       "localhost:15001", "127.0.0.1:8080", "--port=8080", "--listen=:9090", "/quitquitquit",
                       "istio/proxyv2:1.22.0", "fluent/fluent-bit:3", "app", "proxy", "logs", "data"])
    | st.text(max_size=20)
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), children, max_size=5),
    max_leaves=25,
)


def _rebuild(data, kind):
    api_version, kind_name = kind
    document = copy.deepcopy(data)
    if kind_name == "Pod":
        document = {**document, "spec": document["spec"]["template"]["spec"]}
    elif kind_name == "PodTemplate":
        document = {**document, "template": document["spec"]["template"]}
        document.pop("spec")
    elif kind_name == "CronJob":
        document["spec"] = {"jobTemplate": {"spec": document["spec"]}}
    elif kind_name == "List":
        document = {"apiVersion": "v1", "kind": "List", "items": [document]}
        return document
    document["apiVersion"], document["kind"] = api_version, kind_name
    return document


@st.composite
def workloads(draw):
    document = _rebuild(BASE_DEPLOYMENT, draw(st.sampled_from(KINDS)))
    paths = list(paths_of(document))
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        path = draw(st.sampled_from(paths))
        try:
            document = replaced(document, path, draw(values))
        except (KeyError, IndexError, TypeError):  # an earlier change removed the way there
            continue
    if draw(st.booleans()):  # share one subtree between two places: the dump writes an anchor
        shared = draw(values)
        for path in draw(st.lists(st.sampled_from(paths), min_size=2, max_size=3)):
            try:
                target = document
                for step in path[:-1]:
                    target = target[step]
                target[path[-1]] = shared
            except (KeyError, IndexError, TypeError):
                continue
    return document


@FUZZ
@given(workloads(), st.booleans(), st.sampled_from(LOADERS))
def test_random_pod_specs_never_crash_a_rule(linter, document, flow, loader):
    try:
        text = yaml.safe_dump(document, default_flow_style=flow, allow_unicode=True)
    except (yaml.YAMLError, RecursionError, ValueError):
        return
    loaded = load_text(text, "fuzz.yaml", loader)
    check_findings(linter.lint_file(loaded).findings, text)
