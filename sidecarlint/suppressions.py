"""Silencing one known exception, with a reason: annotations on the object, comments in the file.

- An annotation `ignore.sidecarlint.io/<rule>: "<reason>"` on the object's metadata or its
  pod template's metadata silences the rule for the object; `"containers=a,b; reason"`
  limits it to those containers. Annotations survive Helm and Kustomize rendering.
- A comment `# sidecarlint: ignore[rule-a,rule-b] reason` silences those rules on its own
  line and the line below it; on a container's first line (or the line above it) it
  covers the whole container. `# sidecarlint: ignore-file[rule] reason` in the comment
  block at the top of the file covers the file.

A suppression without a reason, or one that silences nothing, becomes an
`unused-suppression` note, so that suppressions do not rot.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sidecarlint.findings import Finding
from sidecarlint.positions import Span

ANNOTATION_PREFIX = "ignore.sidecarlint.io/"
# The rule list is bounded so that a line of a million unclosed `ignore[` costs linear time.
_COMMENT = re.compile(r"(?:^|\s)#\s*sidecarlint:\s*(?P<kind>ignore-file|ignore)\[(?P<rules>[^\]]{0,1000})\]\s*(?P<reason>.*)$")
_CONTAINERS = re.compile(r"^\s*containers\s*=\s*(?P<names>[^;]*)(?:;\s*(?P<reason>.*))?$", re.DOTALL)
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")


@dataclass
class Suppression:
    rules: tuple[str, ...]
    reason: str
    span: Span  # where the suppression itself is written
    how: str  # "comment", "file comment" or "annotation"
    containers: tuple[str, ...] = ()  # annotations only: limited to these containers
    used: set[str] = field(default_factory=set)  # the rules it silenced something for

    def covers_container(self, container: str | None) -> bool:
        return not self.containers or container in self.containers


@dataclass(frozen=True)
class Suppressed:
    finding: Finding
    reason: str
    how: str


def comment_directives(text: str) -> list[Suppression]:
    """`# sidecarlint: ignore[...]` comments of a file, with their places."""
    if "sidecarlint:" not in text:  # the common case costs one scan
        return []
    found, at_top = [], True
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and stripped != "---":
            at_top = False
        match = _COMMENT.search(line)
        if match is None:
            continue
        if match["kind"] == "ignore-file":
            how = "file comment" if at_top else "misplaced ignore-file"
        else:
            how = "comment"
        rules = tuple(rule.strip() for rule in match["rules"].split(",") if rule.strip())
        span = Span(number, line.index("#", match.start()) + 1, number, len(line) + 1)
        found.append(Suppression(rules, match["reason"].strip(), span, how))
    return found


def annotation_directives(annotations: Mapping, span_of_key) -> list[Suppression]:
    """`ignore.sidecarlint.io/<rule>` annotations; `span_of_key(key)` places each one."""
    found = []
    for key, value in annotations.items():
        if not (isinstance(key, str) and key.startswith(ANNOTATION_PREFIX)):
            continue
        rule = key[len(ANNOTATION_PREFIX):]
        text = value if isinstance(value, str) else ""
        containers: tuple[str, ...] = ()
        if match := _CONTAINERS.match(text):
            containers = tuple(name.strip() for name in match["names"].split(",") if name.strip())
            text = match["reason"] or ""
        found.append(Suppression((rule,), text.strip(), span_of_key(key), "annotation", containers))
    return found


def container_path(field_path: tuple) -> tuple | None:
    """The path of the container a finding's field belongs to, if any."""
    for index in range(len(field_path) - 1):
        if field_path[index] in CONTAINER_LISTS and isinstance(field_path[index + 1], int):
            return field_path[: index + 2]
    return None


class Comments:
    """A file's suppression comments, found for a finding without looking at each of them:
    a comment covers its own line and the next (where a finding or its container's first
    line may be), an `ignore-file` comment the whole file. When several cover a finding,
    the first in the file counts, as it is the one the audit marks used. A file may hold
    many comments and many findings; this keeps their pairing linear."""

    def __init__(self, directives: Iterable[Suppression]):
        self._whole_file: dict[str, tuple[int, Suppression]] = {}  # rule -> the first
        self._by_line: dict[int, list[tuple[int, Suppression]]] = {}  # at most two a line
        for order, directive in enumerate(directives):
            if directive.how == "file comment":
                for rule in directive.rules:
                    self._whole_file.setdefault(rule, (order, directive))
            elif directive.how == "comment":
                for line in (directive.span.line, directive.span.line + 1):
                    self._by_line.setdefault(line, []).append((order, directive))

    def __bool__(self) -> bool:
        return bool(self._whole_file or self._by_line)

    def covering(self, finding: Finding, container_line: int | None) -> Suppression | None:
        candidates = list(self._by_line.get(finding.line, ()))
        if container_line is not None:
            candidates += self._by_line.get(container_line, ())
        if finding.rule in self._whole_file:
            candidates.append(self._whole_file[finding.rule])
        hits = [(order, directive) for order, directive in candidates if finding.rule in directive.rules]
        return min(hits, key=lambda hit: hit[0])[1] if hits else None


def problems(
    suppressions: Iterable[Suppression], rules_that_ran: set[str], known_rules: Iterable[str]
) -> list[tuple[Span, str]]:
    """What is wrong with the suppressions of a file: no reason, unknown rule, nothing silenced."""
    known = set(known_rules)
    found = []
    for suppression in suppressions:
        label = f"{suppression.how} suppression of {', '.join(suppression.rules) or 'no rule'}"
        for rule in suppression.rules:
            if rule not in known:
                close = difflib.get_close_matches(rule, sorted(known), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                found.append((suppression.span, f"the {label} names no known rule {rule!r}{hint}"))
        if suppression.how == "misplaced ignore-file":
            found.append((suppression.span, "ignore-file must be in the comments at the top of the file; it silences nothing here"))
            continue
        if not suppression.reason:
            found.append((suppression.span, f"the {label} gives no reason; say why the finding does not apply"))
        unused = [r for r in suppression.rules if r in rules_that_ran and r not in suppression.used]
        if unused and not suppression.used:
            found.append((suppression.span, f"the {label} silences nothing: no {', '.join(unused)} finding here"))
        elif unused:
            found.append((suppression.span, f"the {label} silences nothing for {', '.join(unused)}"))
    return found
