"""Registers sidecarlint's own checks through the same hook as any plugin's.

Every module in this package is a group of checks; a new module is found without being
listed here.
"""

from __future__ import annotations

import importlib
import pkgutil

from sidecarlint import checks
from sidecarlint.checks import Check
from sidecarlint.hookspecs import hookimpl


def _check_modules():
    for module in pkgutil.iter_modules(checks.__path__):
        if module.name != "builtin":
            yield importlib.import_module(f"{checks.__name__}.{module.name}")


@hookimpl
def sidecarlint_checks() -> list[Check]:
    return [
        value
        for module in _check_modules()
        for value in vars(module).values()
        # counted where it is defined, not where another module imports it
        if isinstance(value, Check) and value.function.__module__ == module.__name__
    ]
