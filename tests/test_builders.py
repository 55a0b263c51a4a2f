"""The two builders of `load.py` agree: the plain one (`_build_plain`, through
`_build_document`) builds exactly the data the careful `_Builder` builds, with the same
types and key order, and hands over to it whenever there is something to report or a limit
to keep, so that the problems, limits and node counts are the careful builder's."""

from __future__ import annotations

import os
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sidecarlint import load

EXAMPLES = int(os.environ.get("SIDECARLINT_FUZZ_EXAMPLES", "300"))
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
LOADERS = (load.DefaultLoader, yaml.CSafeLoader, yaml.SafeLoader)


def typed(data):
    """Data with every value's type and every mapping's key order spelled out (so that
    `True` is not `1` and `{a, b}` is not `{b, a}`)."""
    if isinstance(data, dict):
        return ("dict", [(typed(key), typed(value)) for key, value in data.items()])
    if isinstance(data, list):
        return ("list", [typed(item) for item in data])
    return (type(data).__name__, repr(data))


def careful(root, index, built=0):
    budget = load._Budget(built=built)
    builder = load._Builder(index, budget)
    try:
        data = builder.build(root, ())
    except load._TooComplex as error:
        return ("too-complex", str(error), id(error.node), error.rest_unread, budget.built)
    return ("built", typed(data), builder.problems, budget.built)


def both(root, index, built=0):
    budget = load._Budget(built=built)
    try:
        data, problems = load._build_document(root, index, budget)
    except load._TooComplex as error:
        return ("too-complex", str(error), id(error.node), error.rest_unread, budget.built)
    return ("built", typed(data), problems, budget.built)


def assert_same_as_careful(text, built=0):
    for loader in LOADERS:
        try:
            roots = list(yaml.compose_all(text, Loader=loader))
        except yaml.YAMLError:
            continue
        for index, root in enumerate(roots):
            assert both(root, index, built) == careful(root, index, built), (loader.__name__, text)


# Random YAML: flow collections of odd scalars, tags, anchors, aliases, merge keys, and keys
# drawn from a few, so that they repeat (`1`, `true` and `1.0` are one key, too).

SCALARS = [
    "a", "b", "x y", "1", "-1", "+1", "0x10", "0o17", "017", "0b11", "1_000", "190:20:30", "1.5", "1.0", "1e3",
    ".nan", ".inf", "-.Inf", "1e400", "9" * 30, "yes", "No", "on", "true", "False", "y", "~", "null", "", "'1'",
    '"yes"', "'true'", '""', "2024-01-02", "2024-13-45", "2001-12-14 21:59:43.10 -5", "2001-12-14t21:59:43.10Z",
    "0x_", "0b_", "<<", "=", "é", '"\\t"', "aGVsbG8=", "!",
]
KEYS = ["a", "b", "1", "1.0", "true", "yes", "~", "''", "<<", "=", "0x1", "2024-01-02"]
TAGS = [
    "!!str ", "!!int ", "!!float ", "!!bool ", "!!null ", "!!timestamp ", "!!binary ", "!custom ",
    "!!python/name:os.system ", "!!map ", "!!seq ", "!!set ", "!!omap ", "!!merge ", "!!value ", "! ",
]


@st.composite
def documents(draw):
    anchors: list[str] = []

    def prefix():
        tag = draw(st.sampled_from(TAGS)) if draw(st.integers(0, 5)) == 0 else ""
        anchor = ""
        if draw(st.integers(0, 3)) == 0:
            anchor = f"&a{len(anchors)} "
            anchors.append(anchor[1:-1])
        return tag + anchor

    def alias():
        if not anchors:
            return None
        return "*" + draw(st.sampled_from(anchors))  # possibly of a collection still open: recursive

    def node(depth):
        choice = draw(st.integers(0, 9))
        if choice == 0:
            reference = alias()
            if reference is not None:
                return reference
        if depth >= 4 or choice <= 4:
            return prefix() + draw(st.sampled_from(SCALARS))
        head = prefix()
        size = draw(st.integers(0, 4))
        if choice <= 6:
            return head + "[" + ", ".join(node(depth + 1) for _ in range(size)) + "]"
        pairs = []
        for _ in range(size):
            if draw(st.integers(0, 9)) == 0:
                key = node(depth + 1)  # any node as a key, collections too
            else:
                key = draw(st.sampled_from(KEYS))
            if key == "<<" and draw(st.booleans()):
                value = alias() or node(depth + 1)
            else:
                value = node(depth + 1)
            pairs.append(f"? {key} : {value}")
        return head + "{" + ", ".join(pairs) + "}"

    return "\n---\n".join(node(0) for _ in range(draw(st.integers(1, 3)))) + "\n"


@PROPERTY
@given(documents())
def test_plain_builder_builds_what_the_careful_builder_builds(text):
    assert_same_as_careful(text)


@PROPERTY
@given(documents(), st.integers(0, 8), st.integers(0, 20), st.integers(0, 4), st.integers(0, 12))
def test_and_keeps_the_careful_builders_limits(text, expansions, nodes, depth, built):
    with mock.patch.multiple(load, ALIAS_EXPANSION_LIMIT=expansions, MAX_NODES=nodes, MAX_DEPTH=depth):
        assert_same_as_careful(text, built)


# What hands over, one case each; and that the plain builder does build plain documents.


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: [x, 2, yes, ~, 1.5, 2024-01-02, !!binary aGVsbG8=]\nc: {d: '1'}\n",
        "a: &x 1\nb: *x\nc: [*x, *x]\n",  # an anchored scalar used again builds the same value
        "a: !!str 1\nb: !!int '2'\nc: !!map {d: e}\nd: !!seq x\ne: <<\nf: [=, <<]\n",
        "- 1\n- 1.0\n- true\n- '1'\n",
        "1: a\nfalse: b\n~: c\n2024-01-02: d\n1.5: e\n",
        "x\n",
        "---\n",
    ],
)
def test_plain_documents_are_built_by_the_plain_builder(text):
    for root in yaml.compose_all(text, Loader=load.DefaultLoader):
        data, built = load._build_plain(root, load.ALIAS_EXPANSION_LIMIT)
        assert careful(root, 0) == ("built", typed(data), [], built)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # a duplicate key
        "1: a\ntrue: b\n",  # the same key: True == 1
        "a: &m {b: 1}\nc:\n  <<: *m\n",  # a merge key, and an anchor used again
        "a: &m [1]\nb: *m\n",
        "a: &r [*r]\n",  # a recursive alias
        "a: !!python/object/apply:os.system [x]\n",
        "a: !custom x\n",
        "a: !!int abc\n",
        "a: !!timestamp 2024-13-45\n",
        "a: 0x_\n",  # a plain value that only looks like an int: text, silently
        "? [a]\n: b\n",  # a collection as a key
        "? {a: b}\n: c\n",
        "!custom x\n",
    ],
)
def test_what_the_plain_builder_hands_over(text):
    root = yaml.compose(text, Loader=load.DefaultLoader)
    with pytest.raises(load._NotPlain):
        load._build_plain(root, load.ALIAS_EXPANSION_LIMIT)
    assert_same_as_careful(text)


def test_the_plain_builder_stops_at_the_depth_and_node_limits():
    deep = "[" * (load.MAX_DEPTH + 1) + "]" * (load.MAX_DEPTH + 1)
    root = yaml.compose(deep, Loader=load.DefaultLoader)
    load._build_plain(root, 1_000)  # MAX_DEPTH collections around the innermost one: read
    deeper = yaml.compose("[" + deep + "]", Loader=load.DefaultLoader)
    with pytest.raises(load._NotPlain):
        load._build_plain(deeper, 1_000)
    assert_same_as_careful("[" + deep + "]")
    wide = yaml.compose("[" + ", ".join(["x"] * 99) + "]", Loader=load.DefaultLoader)
    assert load._build_plain(wide, 100)[1] == 100
    with pytest.raises(load._NotPlain):
        load._build_plain(wide, 99)
    with pytest.raises(load._NotPlain):
        load._build_plain(yaml.compose("x", Loader=load.DefaultLoader), 0)


def test_the_file_node_budget_is_counted_by_the_plain_builder():
    loaded = load.load_text("a: [1, 2]\n---\nb: c\n", "f.yaml")
    assert [document.data for document in loaded.documents] == [{"a": [1, 2]}, {"b": "c"}]
    budget = load._Budget()
    for root in yaml.compose_all("a: [1, 2]\n---\nb: c\n", Loader=load.DefaultLoader):
        load._build_document(root, 0, budget)
    assert budget.built == 5 + 3
