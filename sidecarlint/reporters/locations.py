"""Where a finding's file sits in the repository, for the formats that GitHub reads.

GitHub matches a SARIF result or a workflow annotation to a file by its path from the root
of the repository, whatever directory sidecarlint ran in. The root is the nearest
directory, from the current one upwards, that holds `.git` (a directory, or a file in a
worktree or submodule); outside any repository, the current directory. Symbolic links are
resolved, as GitHub cannot show a result on a path that goes through one.
"""

from __future__ import annotations

import os
from pathlib import Path

from sidecarlint.discover import STDIN_DISPLAY


def repository_root(start: str | None = None) -> Path:
    here = Path(os.path.realpath(start or os.getcwd()))
    for directory in (here, *here.parents):
        if (directory / ".git").exists():
            return directory
    return here


def repository_path(path: str, root: Path) -> str | None:
    """`path` (as reported) relative to `root` with forward slashes; None for standard
    input and for files outside the root."""
    if path == STDIN_DISPLAY:
        return None
    resolved = os.path.realpath(path)
    if not os.path.exists(resolved):  # a dangling link: name the link itself
        resolved = os.path.abspath(path)
    try:
        relative = os.path.relpath(resolved, root)
    except ValueError:  # another drive on Windows
        return None
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        return None
    return relative.replace(os.sep, "/")
