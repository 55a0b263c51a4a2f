"""Registers sidecarlint's own checks through the same hook as any plugin's."""

from __future__ import annotations

from sidecarlint.checks import Check, images, loader, ports, resources, restart_policy, volumes
from sidecarlint.hookspecs import hookimpl

_MODULES = (loader, volumes, ports, restart_policy, resources, images)


@hookimpl
def sidecarlint_checks() -> list[Check]:
    return [value for module in _MODULES for value in vars(module).values() if isinstance(value, Check)]
