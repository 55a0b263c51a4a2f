"""The plugin manager, and the registry of everything the plugins contribute.

sidecarlint's own modules are registered first, then every module named under the
`sidecarlint` entry-point group, so a third-party plugin is a peer of the built-ins.
"""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from functools import cached_property
import pluggy

from sidecarlint import catalogue, hookspecs, reporters, rules, workloads
from sidecarlint.catalogue import Catalogue
from sidecarlint.checks import Check, builtin
from sidecarlint.rules import Rule, RuleError, load_rule_dirs

ENTRY_POINT_GROUP = "sidecarlint"


class PluginError(Exception):
    """A plugin that cannot be loaded; the message names its entry point."""


def plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    manager = pluggy.PluginManager(ENTRY_POINT_GROUP)
    manager.add_hookspecs(hookspecs)
    for module in (builtin, rules, workloads, catalogue, reporters):
        manager.register(module)
    if load_entry_points:
        _load_entry_points(manager)
    return manager


def _load_entry_points(manager: pluggy.PluginManager) -> None:
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if manager.has_plugin(entry_point.name):
            continue
        try:
            plugin = entry_point.load()
        except Exception as error:  # whatever a third-party import raises, name the plugin
            raise PluginError(
                f"the plugin {entry_point.name!r} ({entry_point.value}) failed to load: "
                f"{type(error).__name__}: {error}"
            ) from None
        manager.register(plugin, name=entry_point.name)


@dataclass
class Registry:
    """What the plugins contribute, joined and checked once."""

    manager: pluggy.PluginManager

    @cached_property
    def checks(self) -> dict[str, Check]:
        found: dict[str, Check] = {}
        for contributed in self.manager.hook.sidecarlint_checks():
            for check in contributed:
                if check.name in found:
                    raise RuleError(f"two plugins define the check {check.name!r}")
                found[check.name] = check
        return found

    @cached_property
    def rules(self) -> dict[str, Rule]:
        directories = [d for dirs in reversed(self.manager.hook.sidecarlint_rule_dirs()) for d in dirs]
        return load_rule_dirs(directories, self.checks)

    @cached_property
    def workload_kinds(self):
        return [kind for kinds in reversed(self.manager.hook.sidecarlint_workload_kinds()) for kind in kinds]

    @cached_property
    def catalogue(self) -> Catalogue:
        return Catalogue(e for entries in reversed(self.manager.hook.sidecarlint_sidecars()) for e in entries)

    @cached_property
    def reporters(self):
        return {r.name: r for rs in reversed(self.manager.hook.sidecarlint_reporters()) for r in rs}


def default_registry(load_entry_points: bool = True) -> Registry:
    return Registry(plugin_manager(load_entry_points))
