"""From a path such as ("spec", "containers", 1, "image") to a line and column.

Rules speak in paths into the plain data; only when a finding is made is the path walked
through the YAML nodes to the mark a reviewer should see. A path that ends at a field that
does not exist stops at the deepest node that does (a missing `resources` points at its
container).
"""

from __future__ import annotations

from typing import Any

import yaml

from sidecarlint.records import record

Path = tuple  # of str keys and int indexes

_MERGE_TAG = "tag:yaml.org,2002:merge"


@record(order=True)
class Span:
    """A region of a file, 1-based lines and columns (columns count Unicode code points)."""

    line: int
    column: int
    end_line: int
    end_column: int

    @classmethod
    def start(cls) -> Span:
        return cls(1, 1, 1, 1)

    @classmethod
    def at_mark(cls, mark: yaml.Mark) -> Span:
        return cls(mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 1)

    @classmethod
    def between(cls, start: yaml.Mark, end: yaml.Mark) -> Span:
        return cls(start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def span_of(root: yaml.Node, path: Path) -> Span:
    """The span of the node at `path`, or of the deepest node on the way to it.

    A scalar points at its value. A collection reached through a mapping key points at the
    key (the `resources:` line, not the line after it) and ends where the collection ends.
    """
    key_node, node = _walk(root, path)
    if key_node is not None and not isinstance(node, yaml.ScalarNode):
        return Span.between(key_node.start_mark, node.end_mark)
    return Span.between(node.start_mark, node.end_mark)


def _walk(root: yaml.Node, path: Path) -> tuple[yaml.Node | None, yaml.Node]:
    key_node: yaml.Node | None = None
    node = root
    for step in path:
        if isinstance(node, yaml.MappingNode):
            pair = _find_pair(node, step)
            if pair is None:
                break
            key_node, node = pair
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if not 0 <= step < len(node.value):
                break
            key_node, node = None, node.value[step]
        else:
            break
    return key_node, node


def _find_pair(mapping: yaml.MappingNode, key: Any) -> tuple[yaml.Node, yaml.Node] | None:
    """The last pair whose key is `key` (the one the data keeps), then merged mappings."""
    wanted = key if isinstance(key, str) else str(key)  # a key such as `80:` is an int in the data
    pairs = mapping.value
    for key_node, value_node in reversed(pairs):  # from the end: the first match is the last pair
        if key_node.value == wanted and isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE_TAG:
            return key_node, value_node
    for key_node, merge in pairs:
        if key_node.tag != _MERGE_TAG:
            continue
        for source in merge.value if isinstance(merge, yaml.SequenceNode) else [merge]:
            if isinstance(source, yaml.MappingNode):
                pair = _find_pair(source, key)
                if pair is not None:
                    return pair
    return None
