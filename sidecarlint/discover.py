"""Paths on the command line to the files to read.

Directories are walked recursively for `*.yaml` and `*.yml`, in a stable (sorted) order,
skipping hidden directories and files. Symbolic links to directories are never followed
in a walk (a directory named on the command line is walked even if it is a link); links
to files are read like the files. Only regular files are read in a walk: a pipe, socket
or device named `*.yaml` is passed over, as a read could block or never end. A file named
on the command line is read whatever its suffix; `-` is standard input, and a named pipe
(such as bash's `<(helm template ...)`) is read without ever blocking on its opening.

No read takes more than the size limit (`--max-file-size`) plus one byte: a larger file is
reported, not read.

A directory holding a kustomization or a Helm chart is rendered, not walked file by file
(`render_roots.py` decides which, and says so when no renderer is installed).
"""

from __future__ import annotations

import errno
import functools
import os
import stat
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from sidecarlint.rendering import RenderSpec

MANIFEST_SUFFIXES = (".yaml", ".yml")
STDIN = "-"
STDIN_DISPLAY = "<stdin>"
DEFAULT_MAX_FILE_SIZE = 10 * 1024 * 1024  # bytes; `--max-file-size`

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # POSIX: opening a pipe without a writer must not wait


class MissingPathError(Exception):
    """A path named on the command line does not exist."""


class FileTooLargeError(OSError):
    """The file holds more than the size limit; it was not read."""


class NotRegularFileError(OSError):
    """A device, socket or (in a walk) pipe: nothing sidecarlint reads."""


@dataclass(frozen=True)
class Source:
    display: str  # how reports name it
    path: str | None  # None for standard input
    max_bytes: int | None = DEFAULT_MAX_FILE_SIZE  # None: no limit
    walked: bool = False  # found in a directory walk: only a regular file is read
    error: str | None = None  # why it cannot be read, when known before reading
    render: RenderSpec | None = None  # a kustomization or chart directory: read by rendering it
    note: tuple[str, str] | None = None  # (kind, message): a load problem known before reading
    stdin_name: str | None = None  # --stdin-filename: the path standard input stands for
    data: bytes | None = None  # already read (standard input, before a process pool starts)

    @property
    def config_path(self) -> str | None:
        """The path that configuration globs (excludes, per-path ignores) are matched against."""
        return self.path if self.path is not None else self.stdin_name

    def read(self) -> bytes:
        """The file's bytes; raises OSError (FileTooLargeError, NotRegularFileError, ...), or
        RenderError for a directory whose renderer failed."""
        if self.error is not None:
            raise OSError(self.error)
        if self.data is not None:
            return self.data
        if self.render is not None:
            return self.render.render().encode("utf-8")
        if self.path is None:
            return _read_at_most(sys.stdin.buffer, self.max_bytes, None)
        return _read_file(self.path, self.max_bytes, walked=self.walked)


def _read_file(path: str, limit: int | None, walked: bool) -> bytes:
    """A path named on the command line is looked at before it is opened: a device must
    not even be opened, a named pipe may be read. A walk has passed over everything but
    regular files and links to them already; what was swapped since is refused below."""
    pipes = not walked
    if not walked:
        _check_kind(os.stat(path).st_mode, pipes)  # follows links; raises for a missing path, a loop, no access
    # Open without blocking (a pipe swapped in after the stat, or one without a writer yet),
    # then look again at what was opened.
    descriptor = os.open(path, os.O_RDONLY | _NONBLOCK | getattr(os, "O_BINARY", 0))
    try:
        status = os.fstat(descriptor)
        _check_kind(status.st_mode, pipes)
        if stat.S_ISREG(status.st_mode):
            if limit is not None and status.st_size > limit:
                raise FileTooLargeError(errno.EFBIG, _too_large(limit, status.st_size))
            return _read_regular(descriptor, limit, status.st_size)
        if _NONBLOCK:
            os.set_blocking(descriptor, True)  # a pipe: read until its writer closes it
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            return _read_at_most(handle, limit, None)
    finally:
        os.close(descriptor)


_READ_CHUNK = 1 << 20


def _read_regular(descriptor: int, limit: int | None, size: int) -> bytes:
    """A regular file's bytes, at most `limit`, straight from its descriptor: for files of
    a few kilobytes, a buffered file object costs as much as the read itself. It asks for
    the size plus one byte first (has the file grown since?), then reads to the end."""
    chunks, total, request = [], 0, size + 1
    while chunk := os.read(descriptor, request):
        chunks.append(chunk)
        total += len(chunk)
        if limit is not None and total > limit:
            raise FileTooLargeError(errno.EFBIG, _too_large(limit, None))
        request = _READ_CHUNK
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _check_kind(mode: int, pipes: bool) -> None:
    if stat.S_ISREG(mode) or (pipes and stat.S_ISFIFO(mode)):
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "it is a directory")
    raise NotRegularFileError(errno.EINVAL, f"it is {_kind_of(mode)}, not a regular file")


def _kind_of(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a named pipe"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "a special file"


def _read_at_most(stream: BinaryIO, limit: int | None, size: int | None) -> bytes:
    """At most `limit` bytes, or FileTooLargeError. `size`, a regular file's size, is what
    to ask for first: asking for `limit` would make room for 10 MiB on every read."""
    if limit is None:
        return stream.read()
    if size is not None and size < limit:
        data = stream.read(size + 1)  # one byte more than its size: did it grow since?
        if len(data) > size:
            data += stream.read(limit - size)
    else:
        data = stream.read(limit + 1)
    if len(data) > limit:
        raise FileTooLargeError(errno.EFBIG, _too_large(limit, size))
    return data


def _too_large(limit: int, size: int | None) -> str:
    has = f"{size:,} bytes, more than" if size is not None else "more than"
    return f"it holds {has} the {format_size(limit)} that --max-file-size allows"


def format_size(size: int) -> str:
    """`10 MiB`, `512 KiB`, `1,000 bytes`: as the limit would be written on the command line."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor:,} {unit}"
    return f"{size:,} bytes"


def parse_size(text: str) -> int:
    """`10MiB`, `10M`, `512k`, `1048576` to bytes; K, M and G are binary (KiB, MiB, GiB)."""
    units = {"": 1, "b": 1, "k": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gib": 1 << 30}
    stripped = text.strip().lower()
    number = stripped.rstrip("bgikm ")
    unit = stripped[len(number):].strip()
    try:
        value = float(number) if "." in number else int(number)
    except ValueError:
        value = None
    if value is None or unit not in units or value != value or value <= 0 or value == float("inf"):
        raise ValueError(f"{text!r} is not a size such as 10MiB, 512KiB or 1048576 (bytes)")
    return max(1, int(value * units[unit]))


def discover(
    paths: Sequence[str],
    max_file_size: int | None = DEFAULT_MAX_FILE_SIZE,
    *,
    stdin_filename: str | None = None,
    helm_values: Sequence[str] = (),
) -> list[Source]:
    """The sources to lint, each once, in the order given (directories sorted within);
    kustomizations and charts rendered, when their renderer is installed."""
    from sidecarlint import render_roots

    missing = [path for path in paths if path != STDIN and not os.path.lexists(path)]
    if missing:
        raise MissingPathError(f"{missing[0]}: no such file or directory")
    _real_directory.cache_clear()  # links may have changed since an earlier run in this process
    _directory_display.cache_clear()  # and so may the working directory
    renderers = render_roots.Renderers.installed()
    entries: list = []
    for path in paths:
        entries.extend(_expand(path, max_file_size, renderers, stdin_filename))

    def make_source(display: str, path: str, **fields) -> Source:
        return Source(display, path, max_file_size, walked=True, **fields)

    seen: set[str] = set()
    sources: list[Source] = []
    for source in render_roots.resolve(entries, renderers, helm_values, make_source):
        key = real_path(source.path) if source.path is not None else STDIN
        if key not in seen:
            seen.add(key)
            sources.append(source)
    return sources


def real_path(path: str) -> str:
    """`os.path.realpath(path)`, with each directory resolved once: realpath looks at every
    component of every path, and a walk meets thousands of files in a few directories."""
    directory, name = os.path.split(path)
    if name in ("", os.curdir, os.pardir) or os.path.islink(path):
        return os.path.realpath(path)
    return os.path.join(_real_directory(directory or os.curdir), name)


@functools.lru_cache(maxsize=4096)
def _real_directory(directory: str) -> str:
    return os.path.realpath(directory)


def _expand(path: str, max_file_size: int | None, renderers, stdin_filename: str | None) -> Iterator:
    if path == STDIN:
        display = display_path(stdin_filename) if stdin_filename else STDIN_DISPLAY
        yield Source(display, None, max_file_size, stdin_name=stdin_filename)
    elif os.path.isdir(path):
        for file, error in _walk(path, renderers):
            if isinstance(file, str):
                yield Source(_display_in_walk(file), file, max_file_size, walked=True, error=error)
            else:
                yield file  # a render root
    else:
        yield Source(display_path(path), path, max_file_size)


def _walk(top: str, renderers) -> Iterator[tuple]:
    """(path, None) for each manifest under `top`, as `os.walk` orders them (a directory's
    files, then its subdirectories, each sorted), (directory, why) for a directory that
    cannot be listed, and (Root, None) for a kustomization or chart directory, before its
    files. A directory that vanishes during the walk is passed over.

    Under a kustomization that can be rendered, files are not listed (the rendering reads
    them) but subdirectories are still searched for other kustomizations. A chart that can
    be rendered is not entered; one that cannot is walked without its `templates/`."""
    from sidecarlint.render_roots import CHART_FILE, root_of

    pending = [(top, False, False)]  # (directory, under a kustomization, inside a chart)
    while pending:
        directory, in_kustomization, in_chart = pending.pop()
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except FileNotFoundError:
            continue
        except OSError as error:
            yield directory, f"it is a directory that cannot be listed ({error.strerror or error})"
            continue
        names = {entry.name for entry in entries}
        root = root_of(directory, names, display_path(directory), in_chart)
        if root is not None:
            yield root, None
            if root.tool == "helm" and renderers.helm is not None:
                continue
            in_kustomization = in_kustomization or root.tool == "kustomize"
        is_chart = in_chart or (root is not None and root.tool == "helm")
        list_files = not (in_kustomization and renderers.kustomize is not None)
        subdirectories = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if _is_directory(entry):
                if not (is_chart and entry.name == "templates" and CHART_FILE in names):
                    subdirectories.append((entry.path, in_kustomization, is_chart))
            elif list_files and entry.name.endswith(MANIFEST_SUFFIXES) and _is_readable_kind(entry):
                yield entry.path, None
        pending.extend(reversed(subdirectories))


def _is_directory(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _is_readable_kind(entry: os.DirEntry) -> bool:
    """A regular file, or a link to one; also a broken link or a link loop, so that the read
    reports it. Directories, pipes, sockets and devices, linked or not, are passed over."""
    try:
        if entry.is_file():
            return True
        if not entry.is_symlink():
            return False
        os.stat(entry.path)
    except OSError:
        return True
    return False


def _display_in_walk(path: str) -> str:
    """`display_path(path)` for a file a walk found (a name without `..`, joined to its
    directory), with the directory's part worked out once for all its files."""
    directory, name = os.path.split(path)
    shown = _directory_display(directory)
    return name if shown == os.curdir else os.path.join(shown, name)


@functools.lru_cache(maxsize=4096)
def _directory_display(directory: str) -> str:
    return display_path(directory)  # relative to the working directory: emptied by each discover()


def display_path(path: str) -> str:
    """Relative to the working directory when under it, as linters conventionally print."""
    normalised = os.path.normpath(path)
    if os.path.isabs(normalised):
        try:
            relative = os.path.relpath(normalised)
        except ValueError:  # another drive on Windows
            return normalised
        return normalised if relative.startswith("..") else relative
    return normalised
