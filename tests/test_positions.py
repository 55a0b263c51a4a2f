"""Paths to positions: the exact node a reviewer should see."""

from __future__ import annotations

import pytest
import yaml

from sidecarlint.load import load_text
from sidecarlint.positions import Span, span_of

POD = """\
spec:
  containers:
    - name: app
      image: "nginx:1.27"
      resources:
        requests:
          cpu: 100m
    - name: sidecar
      ports: [{containerPort: 80}]
"""


@pytest.fixture(params=[yaml.CSafeLoader, yaml.SafeLoader], ids=["libyaml", "pure-python"])
def document(request):
    return load_text(POD, "pod.yaml", request.param).documents[0]


@pytest.mark.parametrize(
    "path, start",
    [
        (("spec", "containers", 0, "name"), (3, 13)),  # a scalar: its value
        (("spec", "containers", 0, "image"), (4, 14)),  # a quoted scalar: its opening quote
        (("spec", "containers", 0, "resources"), (5, 7)),  # a block mapping: its key
        (("spec", "containers", 0, "resources", "limits"), (5, 7)),  # missing: the deepest that exists
        (("spec", "containers", 1), (8, 7)),  # a sequence item: where its mapping starts
        (("spec", "containers", 1, "resources"), (8, 7)),
        (("spec", "containers", 1, "ports", 0, "containerPort"), (9, 31)),  # inside flow style
        (("spec", "containers", 7, "image"), (2, 3)),  # index out of range: the list's key
        ((), (1, 1)),
    ],
)
def test_span_start(document, path, start):
    span = document.span(path)
    assert (span.line, span.column) == start


def test_span_end_covers_the_node(document):
    assert document.span(("spec", "containers", 0, "image")) == Span(4, 14, 4, 26)
    assert document.span(("spec", "containers", 1, "ports", 0, "containerPort")) == Span(9, 31, 9, 33)


MERGED = """\
base: &base {x: 1, y: 1}
obj:
  <<: *base
  y: 2
  80: http
  x_: 3
  "<<": quoted
  y: 4
"""


@pytest.mark.parametrize(
    "path, start",
    [
        (("obj", "y"), (8, 6)),  # given twice: the last, which the data keeps
        (("obj", "x"), (1, 17)),  # only merged in: where the anchored mapping says it
        (("obj", 80), (5, 7)),  # an int key in the data, text in the file
        (("obj", "<<"), (7, 9)),  # a quoted `<<` is a key like any other, not a merge
        (("obj", "z"), (2, 1)),  # nowhere: the deepest node that exists
    ],
)
def test_repeated_merged_and_numeric_keys(path, start):
    span = span_of(yaml.compose(MERGED, Loader=yaml.CSafeLoader), path)
    assert (span.line, span.column) == start
