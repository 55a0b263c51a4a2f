"""Coverage-guided fuzzing of sidecarlint's loader and every rule on arbitrary bytes.

Not part of the test suite (tests/test_fuzz.py is the property-based test that is); run it
by hand, for as long as you like, with atheris (libFuzzer for Python, Linux and macOS):

    pip install atheris
    mkdir -p /tmp/sidecarlint-corpus
    python fuzz/fuzz_lint.py /tmp/sidecarlint-corpus fixtures/*/ -max_total_time=600 \\
        -timeout=10 -rss_limit_mb=2048 -max_len=8192

The first directory receives the inputs that reach new code; the fixtures seed it with real
manifests. Each input is read with both PyYAML loaders (libyaml and pure Python) and
linted with every built-in rule. The harness fails, and libFuzzer saves the input as
`crash-*` (or `timeout-*`, `oom-*`), when reading or linting raises, when a rule crashes
(an `internal-error` finding), when a finding points outside the file, or, through
libFuzzer's own limits, when an input takes more than `-timeout` seconds or `-rss_limit_mb`
of memory. Replay one with `python fuzz/fuzz_lint.py crash-...`.
"""

from __future__ import annotations

import os
import sys

import atheris

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))

with atheris.instrument_imports(include=["sidecarlint", "yaml"]):
    import yaml

    from sidecarlint import load
    from sidecarlint.engine import Linter
    from sidecarlint.findings import INTERNAL_ERROR
    from sidecarlint.plugins import default_registry

REGISTRY = default_registry(load_entry_points=False)
LINTER = Linter(REGISTRY, list(REGISTRY.rules.values()))
LOADERS = [loader for loader in (getattr(yaml, "CSafeLoader", None), yaml.SafeLoader) if loader is not None]


def test_one_input(data: bytes) -> None:
    for loader in LOADERS:
        loaded = load.load_bytes(data, "fuzz.yaml", loader)
        text = data.decode(load.encoding_of(data), errors="replace")  # positions count these lines
        lines = len(load._Lines(text)._starts)
        for finding in LINTER.lint_file(loaded).findings:
            if finding.rule == INTERNAL_ERROR:
                raise AssertionError(finding.message)
            span = finding.span
            if not (1 <= span.line <= lines + 1 and span.column >= 1):
                raise AssertionError(f"{finding.rule} at {span} in a file of {lines} lines: {finding.message}")


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
