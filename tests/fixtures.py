"""Reading the expectations that fixtures carry in their own comments.

A fixture is `fixtures/<rule>/<name>.yaml`. Files whose name starts with `fail` must
trigger the rule; those starting with `pass` must not. Header comments say what to expect:

    # kubernetes-version: 1.33          (optional; default: sidecarlint's default)
    # expect: 14:19                     (a finding of the rule at line 14, column 19)
    # expect: 22:11 port 8080/TCP       (... whose message contains "port 8080/TCP")
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
RULES = ROOT / "rules"

_EXPECT = re.compile(r"^#\s*expect:\s*(\d+):(\d+)(?:\s+(.*?))?\s*$")
_VERSION = re.compile(r"^#\s*kubernetes-version:\s*(\d+\.\d+)\s*$")


@dataclass(frozen=True)
class Expectation:
    line: int
    column: int
    message_part: str | None


@dataclass(frozen=True)
class Fixture:
    rule: str
    path: Path
    must_trigger: bool
    expected: tuple[Expectation, ...]
    kubernetes_version: str | None

    @property
    def id(self) -> str:
        return f"{self.rule}/{self.path.name}"


def read_fixture(path: Path) -> Fixture:
    expected, version = [], None
    for line in path.read_bytes().decode("utf-8", errors="replace").splitlines():
        if match := _EXPECT.match(line):
            expected.append(Expectation(int(match[1]), int(match[2]), match[3] or None))
        elif match := _VERSION.match(line):
            version = match[1]
    return Fixture(
        rule=path.parent.name,
        path=path,
        must_trigger=path.name.startswith("fail"),
        expected=tuple(expected),
        kubernetes_version=version,
    )


def all_fixtures() -> list[Fixture]:
    return [read_fixture(path) for path in sorted(FIXTURES.glob("*/*")) if path.is_file()]
