"""The field-types check's own helpers: the remembered quantities, the order of its findings."""

from __future__ import annotations

import datetime
import math

from sidecarlint.checks import CheckContext
from sidecarlint.checks.field_types import _fits_quantity, _QuantityMemo, field_types
from sidecarlint.load import load_text
from sidecarlint.objects import objects_in
from sidecarlint.pods import pod_views


def test_remembered_quantities_give_the_answers_of_the_grammar():
    memo = _QuantityMemo()
    values = ["100m", " 1Gi ", "1Gi\n", "1e3", "1.5Ki", "64 megabytes", "", "x" * 100, 1, 1.5, 0,
              True, False, math.nan, math.inf]
    for _ in range(2):  # first computed, then (short strings) remembered
        assert [memo[value] for value in values] == [_fits_quantity(value) for value in values]
    assert memo[1] is True and memo[True] is False  # equal keys, different answers: never mixed up


def test_remembered_quantities_stay_bounded():
    memo = _QuantityMemo()
    for number in range(_QuantityMemo.MAX_ENTRIES * 2):
        assert memo[f"{number}Mi"] is True
    memo["9" * (_QuantityMemo.MAX_CHARS + 1)]
    assert 0 < len(memo) <= _QuantityMemo.MAX_ENTRIES
    assert all(isinstance(key, str) and len(key) <= _QuantityMemo.MAX_CHARS for key in memo)


POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {tier: 1}}
spec:
  containers:
    - ports: [{containerPort: "80"}]
      image: 5
      resources: {limits: {memory: lots}}
      name: [web]
      startupProbe: yes
  volumes: [{name: data, emptyDir: {sizeLimit: 2021-01-01}}, disk]
"""


def test_findings_follow_the_tables_order_not_the_manifests(registry):
    (document,) = load_text(POD, "f.yaml").documents
    (obj,) = objects_in(document)
    (pod,) = pod_views(obj, registry.workload_kinds, registry.catalogue)
    found = list(field_types.function(pod, {}, CheckContext((1, 34))))
    assert [(violation.path, violation.container) for violation in found] == [
        (("metadata", "labels", "tier"), None),
        (("spec", "containers", 0, "name"), None),  # not a string: the container has no name
        (("spec", "containers", 0, "image"), None),
        (("spec", "containers", 0, "ports", 0, "containerPort"), None),
        (("spec", "containers", 0, "resources", "limits", "memory"), None),
        (("spec", "containers", 0, "startupProbe"), None),
        (("spec", "volumes", 0, "emptyDir", "sizeLimit"), None),
        (("spec", "volumes", 1), None),
    ]


def test_dates_and_binary_values_are_strings(registry):
    text = POD.replace("image: 5", "image: 2021-01-01").replace("name: [web]", "name: !!binary d2Vi")
    (document,) = load_text(text, "f.yaml").documents
    (obj,) = objects_in(document)
    (pod,) = pod_views(obj, registry.workload_kinds, registry.catalogue)
    paths = [violation.path for violation in field_types.function(pod, {}, CheckContext((1, 34)))]
    assert ("spec", "containers", 0, "image") not in paths
    assert ("spec", "containers", 0, "name") not in paths
    assert isinstance(pod.containers[0].spec["image"], datetime.date)
