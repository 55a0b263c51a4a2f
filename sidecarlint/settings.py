"""What one run uses: the registry's rules, the configuration's changes, the command line's last word.

Built-in and plugin rules, then custom rules from the configuration; then the
configuration's severities and params; then `select`/`ignore`, the Kubernetes version and
the failure threshold, where the command line wins over the file.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from sidecarlint.config import Config, ConfigError, load_config
from sidecarlint.engine import DEFAULT_KUBERNETES_VERSION, Linter
from sidecarlint.findings import Severity
from sidecarlint.plugins import Registry, default_registry
from sidecarlint.rules import Rule, rule_from_mapping

DEFAULT_FAIL_ON = Severity.WARNING


@dataclass(frozen=True)
class Settings:
    rules: dict[str, Rule]  # every rule known to this run, built-in, plugin and custom
    selected: list[Rule]  # the rules that run, with the configuration's severities and params
    kubernetes_version: tuple[int, int]
    fail_on: Severity
    config: Config


def resolve(
    registry: Registry,
    config: Config,
    *,
    select: Sequence[str] | None = None,
    ignore: Sequence[str] | None = None,
    kubernetes_version: tuple[int, int] | None = None,
    fail_on: Severity | None = None,
) -> Settings:
    rules = dict(registry.rules)
    for data in config.rules:
        rules[data["name"]] = _custom_rule(data, registry, config, rules)
    for name, level in config.severity.items():
        rules[name] = dataclasses.replace(rules[name], severity=level)
    for name, params in config.params.items():
        rules[name] = _with_params(rules[name], params, config)
    for option, names in (("--select", select), ("--ignore", ignore)):
        for name in names or ():
            if name not in rules:
                close = difflib.get_close_matches(name, list(rules), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ConfigError(f"{option}: unknown rule {name!r}{hint}")
    chosen_select = select if select is not None else config.select
    chosen_ignore = ignore if ignore is not None else config.ignore
    selected = [
        rules[name]
        for name in sorted(rules)
        if (chosen_select is None or name in chosen_select) and name not in chosen_ignore
    ]
    return Settings(
        rules=rules,
        selected=selected,
        kubernetes_version=kubernetes_version or config.kubernetes_version or DEFAULT_KUBERNETES_VERSION,
        fail_on=fail_on or config.fail_on or DEFAULT_FAIL_ON,
        config=config,
    )


def _custom_rule(data, registry: Registry, config: Config, rules: dict[str, Rule]) -> Rule:
    where = f"{config.path}: rules: {data['name']}"
    if data["name"] in rules:
        raise ConfigError(f"{where}: a rule of that name already exists ({rules[data['name']].source})")
    try:
        return rule_from_mapping(data, registry.checks, source=str(config.path))
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{where}: {error}") from None


def _with_params(rule: Rule, params, config: Config) -> Rule:
    unknown = [key for key in params if key not in rule.check.params]
    if unknown:
        raise ConfigError(f"{config.path}: params.{rule.name}: the rule has no parameter {unknown[0]!r}; "
                          f"it takes {', '.join(sorted(rule.check.params)) or 'none'}")
    merged = {**rule.params, **params}
    if rule.check.validate is not None:
        try:
            rule.check.validate(merged)
        except ValueError as error:
            raise ConfigError(f"{config.path}: params.{rule.name}: {error}") from None
    return dataclasses.replace(rule, params=merged)


@dataclass(frozen=True)
class Recipe:
    """What the command line asked for, in a form a worker process can rebuild a run from."""

    load_entry_points: bool = True
    config_path: str | None = None  # None: no configuration file
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    kubernetes_version: tuple[int, int] | None = None
    fail_on: Severity | None = None


@dataclass(frozen=True)
class Prepared:
    registry: Registry
    settings: Settings
    linter: Linter


def prepare(recipe: Recipe, registry: Registry | None = None) -> Prepared:
    """Registry, configuration, settings and linter for a run, the same in every process."""
    from pathlib import Path

    registry = registry or default_registry(load_entry_points=recipe.load_entry_points)
    config = load_config(Path(recipe.config_path), registry.rules) if recipe.config_path else Config()
    settings = resolve(
        registry,
        config,
        select=recipe.select,
        ignore=recipe.ignore,
        kubernetes_version=recipe.kubernetes_version,
        fail_on=recipe.fail_on,
    )
    linter = Linter(registry, settings.selected, settings.kubernetes_version, config=config, known_rules=settings.rules)
    return Prepared(registry, settings, linter)
