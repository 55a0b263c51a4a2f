"""Configuration: `.sidecarlint.yaml`, `.sidecarlint.yml` or `[tool.sidecarlint]` in `pyproject.toml`.

Found by searching from the current directory upwards to the repository root (the first
directory holding `.git`), or named with `--config`. Every key is checked when the file is
loaded; a mistake is a `ConfigError` naming the file, the key and the nearest valid name.
Command-line options win over the file.
"""

from __future__ import annotations

import difflib
import fnmatch
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sidecarlint.catalogue import CatalogueEntry
from sidecarlint.findings import Severity
from sidecarlint.rules import parse_version
from sidecarlint.workloads import WorkloadKind
from sidecarlint.yamlio import read_yaml

CONFIG_FILES = (".sidecarlint.yaml", ".sidecarlint.yml", "pyproject.toml")
KEYS = (
    "kubernetes-version",
    "select",
    "ignore",
    "severity",
    "fail-on",
    "max-file-size",
    "exclude",
    "per-path-ignores",
    "sidecars",
    "workload-kinds",
    "rules",
    "params",
)


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    path: Path | None = None  # where it came from; None for no file
    kubernetes_version: tuple[int, int] | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    fail_on: Severity | None = None
    max_file_size: int | None = None  # bytes
    exclude: tuple[str, ...] = ()
    per_path_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sidecars: tuple[CatalogueEntry, ...] = ()
    workload_kinds: tuple[WorkloadKind, ...] = ()
    rules: tuple[Mapping[str, Any], ...] = ()  # custom rules, checked once the checks are known
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def root(self) -> Path:
        """The directory the config's path globs are relative to."""
        return self.path.parent if self.path is not None else Path.cwd()

    def is_excluded(self, relative_path: str) -> bool:
        return any(_glob_match(relative_path, pattern) for pattern in self.exclude)

    def ignored_for(self, relative_path: str) -> set[str]:
        return {
            rule
            for pattern, rules in self.per_path_ignores.items()
            if _glob_match(relative_path, pattern)
            for rule in rules
        }


def _glob_match(path: str, pattern: str) -> bool:
    """Glob over `/`-separated paths; a pattern without `/` also matches any file or directory name."""
    path = path.replace("\\", "/")
    path = path[2:] if path.startswith("./") else path
    pattern = pattern.rstrip("/")
    if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern + "/*"):
        return True
    if "/" not in pattern:
        return any(fnmatch.fnmatch(part, pattern) for part in path.split("/"))
    return False


def find_config(start: Path) -> Path | None:
    """The nearest config file from `start` up to the repository root."""
    for directory in (start, *start.parents):
        for name in CONFIG_FILES:
            candidate = directory / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_tool_table(candidate)):
                return candidate
        if (directory / ".git").exists():
            return None
    return None


def load_config(path: Path, rule_names: Iterable[str]) -> Config:
    """Read and check a config file; `rule_names` are the rules that exist before custom ones."""
    data = _read(path)
    return parse_config(data, path, set(rule_names))


def _read(path: Path) -> Mapping[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read the configuration: {error}") from None
    if path.name == "pyproject.toml":
        try:
            data = _toml().loads(text)
        except Exception as error:  # tomllib.TOMLDecodeError, or tomli's
            raise ConfigError(f"{path}: not valid TOML: {error}") from None
        data = data.get("tool", {}).get("sidecarlint", {})
    else:
        try:
            data = read_yaml(text)
        except yaml.YAMLError as error:
            raise ConfigError(f"{path}: not valid YAML: {_one_line(error)}") from None
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path}: the configuration must be a mapping of keys")
    return data


def _one_line(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    return f"{problem} (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else problem


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli  # the backport of tomllib for Python 3.10

    return tomli


def _has_tool_table(path: Path) -> bool:
    try:
        return "sidecarlint" in _toml().loads(path.read_text(encoding="utf-8")).get("tool", {})
    except Exception:  # an unreadable pyproject.toml is not ours to judge
        return False


def parse_config(data: Mapping[str, Any], path: Path | None, rule_names: set[str]) -> Config:
    where = str(path) if path is not None else "configuration"
    check = _Checker(where)
    for key in data:
        if key not in KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}{_nearest(str(key), KEYS)}")
    custom = tuple(check.rule_list(data.get("rules")))
    known = rule_names | {rule["name"] for rule in custom}
    return Config(
        path=path,
        kubernetes_version=check.version(data.get("kubernetes-version")),
        select=check.rule_names("select", data.get("select"), known, allow_none=True),
        ignore=check.rule_names("ignore", data.get("ignore"), known) or (),
        severity=check.severities(data.get("severity"), known),
        fail_on=check.severity("fail-on", data.get("fail-on")),
        max_file_size=check.size("max-file-size", data.get("max-file-size")),
        exclude=check.strings("exclude", data.get("exclude")),
        per_path_ignores=check.per_path_ignores(data.get("per-path-ignores"), known),
        sidecars=check.sidecars(data.get("sidecars")),
        workload_kinds=check.workload_kinds(data.get("workload-kinds")),
        rules=custom,
        params=check.params(data.get("params"), known),
    )


def _nearest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


class _Checker:
    """Type checks with messages that name the file and the key."""

    def __init__(self, where: str):
        self.where = where

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.where}: {key}: {problem}")

    def version(self, value: Any) -> tuple[int, int] | None:
        if value is None:
            return None
        try:
            return parse_version(str(value))
        except ValueError as error:
            raise self.fail("kubernetes-version", str(error)) from None

    def strings(self, key: str, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(key, "must be a list of strings")
        return tuple(value)

    def rule_names(self, key: str, value: Any, known: set[str], allow_none: bool = False) -> tuple[str, ...] | None:
        if value is None and allow_none:
            return None
        names = self.strings(key, value)
        for name in names:
            if name not in known:
                raise self.fail(key, f"unknown rule {name!r}{_nearest(name, known)}")
        return names

    def size(self, key: str, value: Any) -> int | None:
        from sidecarlint.discover import parse_size

        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise self.fail(key, f"must be a size such as 10MiB or a number of bytes, not {value!r}")
        try:
            return parse_size(str(value))
        except ValueError as error:
            raise self.fail(key, str(error)) from None

    def severity(self, key: str, value: Any) -> Severity | None:
        if value is None:
            return None
        try:
            return Severity(value)
        except ValueError:
            raise self.fail(key, f"must be error, warning or note, not {value!r}") from None

    def severities(self, value: Any, known: set[str]) -> dict[str, Severity]:
        mapping = self.mapping("severity", value)
        for name in mapping:
            if name not in known:
                raise self.fail("severity", f"unknown rule {name!r}{_nearest(str(name), known)}")
        return {name: self.severity(f"severity.{name}", level) for name, level in mapping.items()}

    def mapping(self, key: str, value: Any) -> Mapping:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(key, "must be a mapping")
        return value

    def per_path_ignores(self, value: Any, known: set[str]) -> dict[str, tuple[str, ...]]:
        return {
            str(pattern): self.rule_names(f"per-path-ignores.{pattern}", rules, known) or ()
            for pattern, rules in self.mapping("per-path-ignores", value).items()
        }

    def params(self, value: Any, known: set[str]) -> dict[str, Mapping]:
        result = {}
        for name, params in self.mapping("params", value).items():
            if name not in known:
                raise self.fail("params", f"unknown rule {name!r}{_nearest(str(name), known)}")
            result[name] = self.mapping(f"params.{name}", params)
        return result

    def sidecars(self, value: Any) -> tuple[CatalogueEntry, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail("sidecars", "must be a list of {name, kind, images, names}")
        entries = []
        for index, item in enumerate(value):
            if not isinstance(item, Mapping) or "kind" not in item or not (item.get("images") or item.get("names")):
                raise self.fail(f"sidecars[{index}]", "needs a kind and images or names")
            item = {"name": item.get("name") or (item.get("images") or item.get("names"))[0], **item}
            try:
                entries.append(CatalogueEntry.from_mapping(item))
            except (KeyError, TypeError, ValueError) as error:
                raise self.fail(f"sidecars[{index}]", str(error)) from None
        return tuple(entries)

    def workload_kinds(self, value: Any) -> tuple[WorkloadKind, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail("workload-kinds", "must be a list of {apiVersion, kind, pod-spec-path}")
        kinds = []
        for index, item in enumerate(value):
            key = f"workload-kinds[{index}]"
            if not isinstance(item, Mapping):
                raise self.fail(key, "must be a mapping with apiVersion, kind and pod-spec-path")
            unknown = set(item) - {"apiVersion", "kind", "pod-spec-path", "runs-to-completion"}
            if unknown:
                name = sorted(unknown)[0]
                raise self.fail(key, f"unknown key {name!r}{_nearest(name, ['apiVersion', 'kind', 'pod-spec-path', 'runs-to-completion'])}")
            api_version, kind, spec_path = item.get("apiVersion"), item.get("kind"), item.get("pod-spec-path")
            if not all(isinstance(v, str) and v for v in (api_version, kind, spec_path)):
                raise self.fail(key, "apiVersion, kind and pod-spec-path must be strings")
            group = api_version.rpartition("/")[0] if "/" in api_version else ("" if api_version.startswith("v") else api_version)
            kinds.append(
                WorkloadKind(kind, (group,), tuple(spec_path.split(".")), bool(item.get("runs-to-completion", False)))
            )
        return tuple(kinds)

    def rule_list(self, value: Any) -> list[Mapping]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
            raise self.fail("rules", "must be a list of rules (name, severity, summary, why, fix, check, ...)")
        for index, rule in enumerate(value):
            if not isinstance(rule.get("name"), str):
                raise self.fail(f"rules[{index}]", "needs a name")
        return list(value)
