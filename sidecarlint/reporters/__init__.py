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
    """An output format. `target` ("module:function") takes `(result, stream, options)`, the
    whole run collected in a `LintResult`. A format that can be written a file at a time
    also names a `stream_target`, which takes `(results, tally, stream, options)`: an
    iterator of `FileResult`s, in order, and the run's `Tally`, complete once the iterator
    is exhausted. Then the run's findings are never all in memory at once."""

    name: str
    description: str
    target: str
    stream_target: str | None = None

    @property
    def streams(self) -> bool:
        return self.stream_target is not None

    def write(self, result, stream: TextIO, options) -> None:
        _function(self.target)(result, stream, options)

    def write_stream(self, results, tally, stream: TextIO, options) -> None:
        _function(self.stream_target)(results, tally, stream, options)


def _function(target: str):
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


@hookimpl
def sidecarlint_reporters() -> list[Reporter]:
    return [
        Reporter(
            "text",
            "one line a finding, grouped by file, for people",
            "sidecarlint.reporters.text:write",
            "sidecarlint.reporters.text:write_stream",
        ),
        Reporter("json", "one JSON object, for scripts (see docs/output.md)", "sidecarlint.reporters.json_report:write"),
        Reporter("sarif", "SARIF 2.1.0, for GitHub code scanning", "sidecarlint.reporters.sarif:write"),
        Reporter(
            "github",
            "GitHub Actions workflow commands: one annotation a finding",
            "sidecarlint.reporters.github:write",
            "sidecarlint.reporters.github:write_stream",
        ),
        Reporter("junit", "JUnit XML: a test case for each file and rule, for CI systems", "sidecarlint.reporters.junit:write"),
    ]
