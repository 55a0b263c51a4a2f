"""The generic check behind declarative custom rules: JSONPath selects, `require` or `forbid` judges.

    check: jsonpath
    params:
      select: containers[*]                  # relative to the pod spec; `$` is the pod spec itself
      require: securityContext.runAsNonRoot  # must exist under each selected node ...
      equals: true                           # ... with this value (or `matches`: a regular expression)

`forbid` instead of `require` reports every match. jsonpath-ng is imported only when a rule
uses this check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from sidecarlint.checks import CheckContext, Violation, check
from sidecarlint.pods import PodView

_UNSET = object()
PARAMS = {"select": "$", "require": None, "forbid": None, "equals": _UNSET, "matches": None, "message": None}


@lru_cache(maxsize=None)
def _compile(expression: str):
    from jsonpath_ng import parse  # the one place that needs it

    return parse(expression)


def validate(params: Mapping[str, Any]) -> None:
    if (params.get("require") is None) == (params.get("forbid") is None):
        raise ValueError("the jsonpath check needs exactly one of 'require' and 'forbid'")
    for key in ("select", "require", "forbid"):
        expression = params.get(key)
        if expression is None:
            continue
        if not isinstance(expression, str):
            raise ValueError(f"'{key}' must be a JSONPath string")
        try:
            _compile(expression)
        except Exception as error:  # jsonpath-ng raises its own parser errors, and others
            raise ValueError(f"'{key}' is not a valid JSONPath ({expression!r}): {error}") from None
    if params.get("matches") is not None:
        try:
            re.compile(str(params["matches"]))
        except re.error as error:
            raise ValueError(f"'matches' is not a valid regular expression: {error}") from None


def _path_of(datum) -> tuple:
    """The path of a jsonpath-ng match as keys and indexes, from the node it was found in."""
    parts: list = []
    while datum is not None:
        step = datum.path
        if hasattr(step, "fields"):
            parts.append(step.fields[0])
        elif hasattr(step, "indices") or hasattr(step, "index"):
            parts.append(step.indices[0] if hasattr(step, "indices") else step.index)
        datum = datum.context
    return tuple(reversed(parts))


def _accepts(value: Any, params: Mapping[str, Any]) -> bool:
    if params.get("equals", _UNSET) is not _UNSET and value != params["equals"]:
        return False
    if params.get("matches") is not None and not (isinstance(value, str) and re.search(params["matches"], value)):
        return False
    return True


@check("jsonpath", params=PARAMS, validate=validate)
def jsonpath(pod: PodView, params: Mapping, context: CheckContext) -> Iterator[Violation]:
    containers = {container.path: container for container in pod.containers}
    for selected in _compile(params["select"]).find(pod.spec):
        node_path = pod.path + _path_of(selected)
        container = containers.get(node_path)
        name = container.name if container is not None else None
        if params.get("require") is not None:
            found = _compile(params["require"]).find(selected.value)
            if not any(_accepts(match.value, params) for match in found):
                yield Violation(node_path + _path_of(found[0]) if found else node_path + _field_path(params["require"]),
                                _message(params, f"{_describe(container, node_path, selected.value)} does not have {_wanted(params)}"), name)
        else:
            for match in _compile(params["forbid"]).find(selected.value):
                if _accepts(match.value, params):
                    yield Violation(node_path + _path_of(match),
                                    _message(params, f"{_describe(container, node_path, selected.value)} has {params['forbid']}"), name)


def _field_path(expression: str) -> tuple:
    """For a missing required field: its dotted path, so the finding lands on the deepest part that exists."""
    return tuple(part for part in re.split(r"\.|\[\*?\]", expression) if part and part != "$")


def _wanted(params: Mapping) -> str:
    if params.get("equals", _UNSET) is not _UNSET:
        return f"{params['require']} set to {json.dumps(params['equals'])}"
    if params.get("matches") is not None:
        return f"{params['require']} matching {params['matches']!r}"
    return str(params["require"])


def _describe(container, node_path: tuple, value: Any) -> str:
    """`container 'web'`, `volume 'logs'`, or the selected node's path."""
    if container is not None:
        return f"container {container.label!r}"
    if isinstance(value, Mapping) and isinstance(value.get("name"), str) and len(node_path) >= 2:
        kind = str(node_path[-2])
        return f"{kind[:-1] if kind.endswith('s') else kind} {value['name']!r}"
    return "the pod spec" if not node_path else ".".join(str(p) for p in node_path)


def _message(params: Mapping, default: str) -> str:
    return str(params["message"]) if params.get("message") else default
