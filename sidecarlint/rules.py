"""Rules: data that names a check, gives it parameters, a severity and the words a user reads.

One rule a file, `<rule-name>.yaml`, in any directory registered through the
`sidecarlint_rule_dirs` hook (sidecarlint's own are in `rules/`). A rule file is checked
when it is loaded: an unknown field, check or parameter is an error naming the file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sidecarlint.checks import Check
from sidecarlint.findings import Severity
from sidecarlint.hookspecs import hookimpl
from sidecarlint.yamlio import read_yaml

REQUIRED_FIELDS = ("name", "severity", "summary", "why", "fix", "check")
OPTIONAL_FIELDS = ("params", "tags", "kubernetes-versions", "references")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_VERSION = re.compile(r"^(\d+)\.(\d+)$")
_CONSTRAINT = re.compile(r"^\s*(<=|>=|<|>|==)\s*(\d+\.\d+)\s*$")


class RuleError(Exception):
    """A rule file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class VersionRange:
    """Kubernetes versions a rule concerns, such as `>=1.29,<1.35`; empty means all."""

    constraints: tuple[tuple[str, tuple[int, int]], ...] = ()

    @classmethod
    def parse(cls, text: str) -> VersionRange:
        constraints = []
        for part in text.split(","):
            match = _CONSTRAINT.match(part)
            if not match:
                raise ValueError(f"{part.strip()!r} is not a version constraint such as '<1.35'")
            constraints.append((match[1], parse_version(match[2])))
        return cls(tuple(constraints))

    def __contains__(self, version: tuple[int, int]) -> bool:
        compare = {
            "<": version.__lt__,
            "<=": version.__le__,
            ">": version.__gt__,
            ">=": version.__ge__,
            "==": version.__eq__,
        }
        return all(compare[op](bound) for op, bound in self.constraints)

    def __str__(self) -> str:
        return ",".join(f"{op}{major}.{minor}" for op, (major, minor) in self.constraints)


def parse_version(text: str) -> tuple[int, int]:
    match = _VERSION.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a Kubernetes version of the form MAJOR.MINOR, such as 1.34")
    return int(match[1]), int(match[2])


@dataclass(frozen=True)
class Rule:
    name: str
    severity: Severity
    summary: str
    why: str
    fix: str
    check: Check
    params: Mapping[str, Any] = field(default_factory=dict)  # the check's defaults, overridden
    tags: tuple[str, ...] = ()
    references: tuple[str, ...] = ()  # the Kubernetes docs or source the rule relies on
    kubernetes_versions: VersionRange = VersionRange()
    source: str = ""  # the file it came from

    def applies_to(self, version: tuple[int, int]) -> bool:
        return version in self.kubernetes_versions


def builtin_rules_dir() -> Path:
    """Installed, the rules travel inside the package; in a source checkout they sit beside it."""
    package = Path(__file__).resolve().parent
    inside = package / "rules"
    return inside if inside.is_dir() else package.parent / "rules"


@hookimpl
def sidecarlint_rule_dirs() -> list[Path]:
    return [builtin_rules_dir()]


def load_rule_dirs(directories: Iterable[Path], checks: Mapping[str, Check]) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for directory in directories:
        for path in sorted(Path(directory).glob("*.yaml")):
            rule = load_rule_file(path, checks)
            if rule.name in rules:
                raise RuleError(f"{path}: rule {rule.name!r} is already defined in {rules[rule.name].source}")
            rules[rule.name] = rule
    return rules


def load_rule_file(path: Path, checks: Mapping[str, Check]) -> Rule:
    try:
        data = read_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise RuleError(f"{path}: cannot read the rule: {error}") from None
    try:
        rule = rule_from_mapping(data, checks, source=str(path))
    except (TypeError, ValueError) as error:
        raise RuleError(f"{path}: {error}") from None
    if rule.name != path.stem:
        raise RuleError(f"{path}: the rule is named {rule.name!r}; its file must be {rule.name}.yaml")
    return rule


def rule_from_mapping(data: Any, checks: Mapping[str, Check], source: str = "") -> Rule:
    if not isinstance(data, Mapping):
        raise TypeError("a rule must be a mapping of fields")
    unknown = [key for key in data if key not in REQUIRED_FIELDS + OPTIONAL_FIELDS]
    if unknown:
        raise ValueError(f"unknown field {unknown[0]!r}{_did_you_mean(unknown[0], REQUIRED_FIELDS + OPTIONAL_FIELDS)}")
    missing = [key for key in REQUIRED_FIELDS if not data.get(key)]
    if missing:
        raise ValueError(f"missing field {missing[0]!r}")
    for key in ("name", "summary", "why", "fix", "check"):
        if not isinstance(data[key], str):
            raise TypeError(f"field {key!r} must be a string")
    if not _NAME.match(data["name"]):
        raise ValueError(f"rule name {data['name']!r} must be lower-case words joined by '-'")
    check = checks.get(data["check"])
    if check is None:
        raise ValueError(f"unknown check {data['check']!r}{_did_you_mean(data['check'], checks)}")
    return Rule(
        name=data["name"],
        severity=_severity(data["severity"]),
        summary=data["summary"].strip(),
        why=data["why"].strip(),
        fix=data["fix"].strip(),
        check=check,
        params=_params(data.get("params"), check),
        tags=_strings(data.get("tags"), "tags"),
        references=_strings(data.get("references"), "references"),
        kubernetes_versions=VersionRange.parse(str(data["kubernetes-versions"]))
        if data.get("kubernetes-versions")
        else VersionRange(),
        source=source,
    )


def _severity(value: Any) -> Severity:
    try:
        return Severity(value)
    except ValueError:
        raise ValueError(f"severity must be one of error, warning, note, not {value!r}") from None


def _params(value: Any, check: Check) -> dict[str, Any]:
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise TypeError("field 'params' must be a mapping")
    for key in value:
        if key not in check.params:
            raise ValueError(
                f"check {check.name!r} has no parameter {key!r}{_did_you_mean(str(key), check.params)}"
            )
    merged = {**check.params, **value}
    if check.validate is not None:
        check.validate(merged)
    return merged


def _strings(value: Any, field_name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError(f"field {field_name!r} must be a list of strings")
    return tuple(value)


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
