"""Paths on the command line to the files to read.

Directories are walked recursively for `*.yaml` and `*.yml`, in a stable (sorted) order,
skipping hidden directories and files and not following symbolic links to directories.
A file named on the command line is read whatever its suffix; `-` is standard input.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

MANIFEST_SUFFIXES = (".yaml", ".yml")
STDIN = "-"
STDIN_DISPLAY = "<stdin>"


class MissingPathError(Exception):
    """A path named on the command line does not exist."""


@dataclass(frozen=True)
class Source:
    display: str  # how reports name it
    path: str | None  # None for standard input

    def read(self) -> bytes:
        if self.path is None:
            return sys.stdin.buffer.read()
        with open(self.path, "rb") as handle:
            return handle.read()


def discover(paths: Sequence[str]) -> list[Source]:
    """The sources to lint, each once, in the order given (directories sorted within)."""
    missing = [path for path in paths if path != STDIN and not os.path.lexists(path)]
    if missing:
        raise MissingPathError(f"{missing[0]}: no such file or directory")
    seen: set[str] = set()
    sources: list[Source] = []
    for path in paths:
        for source in _expand(path):
            key = os.path.realpath(source.path) if source.path is not None else STDIN
            if key not in seen:
                seen.add(key)
                sources.append(source)
    return sources


def _expand(path: str) -> Iterator[Source]:
    if path == STDIN:
        yield Source(STDIN_DISPLAY, None)
    elif os.path.isdir(path):
        for file in _walk(path):
            yield Source(_display(file), file)
    else:
        yield Source(_display(path), path)


def _walk(top: str) -> Iterator[str]:
    for directory, subdirectories, files in os.walk(top):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and name.endswith(MANIFEST_SUFFIXES):
                yield os.path.join(directory, name)


def _display(path: str) -> str:
    """Relative to the working directory when under it, as linters conventionally print."""
    normalised = os.path.normpath(path)
    if os.path.isabs(normalised):
        try:
            relative = os.path.relpath(normalised)
        except ValueError:  # another drive on Windows
            return normalised
        return normalised if relative.startswith("..") else relative
    return normalised
