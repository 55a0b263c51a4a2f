"""Output formats. Each is registered through the `sidecarlint_reporters` hook.

A reporter's module is imported only when its format is asked for, so a run pays only for
the output it writes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TextIO

from sidecarlint.hookspecs import hookimpl


@dataclass(frozen=True)
class Reporter:
    name: str
    description: str
    target: str  # "module:function"; the function takes (result, stream, options)

    def write(self, result, stream: TextIO, options) -> None:
        module, _, function = self.target.partition(":")
        getattr(importlib.import_module(module), function)(result, stream, options)


@hookimpl
def sidecarlint_reporters() -> list[Reporter]:
    return [
        Reporter("text", "one line a finding, grouped by file, for people", "sidecarlint.reporters.text:write"),
        Reporter("json", "one JSON object, for scripts (see docs/output.md)", "sidecarlint.reporters.json_report:write"),
        Reporter("sarif", "SARIF 2.1.0, for GitHub code scanning", "sidecarlint.reporters.sarif:write"),
        Reporter("github", "GitHub Actions workflow commands: one annotation a finding", "sidecarlint.reporters.github:write"),
        Reporter("junit", "JUnit XML: a test case for each file and rule, for CI systems", "sidecarlint.reporters.junit:write"),
    ]
