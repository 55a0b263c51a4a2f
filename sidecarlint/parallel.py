"""Linting many files on all cores: a process pool over chunks of files, merged in order.

A forked worker (Linux) starts with the main process's linter; a spawned one (macOS,
Windows) builds its own registry, configuration and linter from the same `Recipe` the main
process used (checks are plain functions found by import, so nothing needs to be pickled
but the recipe, the sources and the findings). Results come back a file at a time
in the order the files were given, as in a one-process run, so the output is identical
whatever `--jobs` is.
"""

from __future__ import annotations

import contextlib
import gc
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import replace

from sidecarlint.discover import Source
from sidecarlint.engine import Linter
from sidecarlint.results import FileResult, once
from sidecarlint.settings import Recipe, prepare

# Below this many files a pool costs more (starting workers, importing) than it saves.
MIN_FILES_FOR_POOL = 200
CHUNK_FILES = 64


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def lint_in_parallel(linter: Linter, recipe: Recipe, sources: Sequence[Source], jobs: int | None) -> Iterator[FileResult]:
    """Each file's result, in the order of `sources`, linted by `jobs` processes (None:
    every usable core; small runs: one); what rendering moved into one file, once."""
    jobs = usable_cores() if jobs is None else jobs
    if jobs <= 1 or len(sources) < MIN_FILES_FOR_POOL:
        return once(linter.results(sources))
    return once(_pooled(linter, recipe, sources, jobs))


def _pooled(linter: Linter, recipe: Recipe, sources: Sequence[Source], jobs: int) -> Iterator[FileResult]:
    from concurrent.futures import ProcessPoolExecutor  # only when a pool starts: it is slow to import

    global _worker_linter
    _worker_linter = linter  # a forked worker starts with it; a spawned one builds its own
    sources = [_read_here_if_only_here(source) for source in sources]
    chunks = [list(sources[i : i + CHUNK_FILES]) for i in range(0, len(sources), CHUNK_FILES)]
    try:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker, initargs=(recipe,)) as pool:
            for outcomes in pool.map(_lint_chunk, chunks):
                yield from outcomes
    finally:
        _worker_linter = None


def _read_here_if_only_here(source: Source) -> Source:
    """Standard input, and a pipe named on the command line (`<(helm template ...)`), can
    be read only by the process that was given them (a pool worker's standard input is
    /dev/null): they are read before the pool starts, and the worker lints the bytes."""
    if source.render is not None or source.walked or source.data is not None or source.error is not None:
        return source
    if source.path is not None and not _is_pipe(source.path):
        return source
    try:
        return replace(source, data=source.read())
    except OSError as error:  # the worker reports it, as it would have
        return replace(source, error=error.strerror or str(error))


def _is_pipe(path: str) -> bool:
    try:
        return stat.S_ISFIFO(os.stat(path).st_mode)
    except OSError:
        return False


def relax_garbage_collection() -> None:
    """Collect cycles less often while linting. Loading builds millions of small objects
    that live until their file is done and hold no cycles (a test checks that linting
    leaves none), so the default thresholds make the collector walk them again and again
    for nothing: some 5 % of a run. The objects made at start-up (modules, rules, the
    catalogue) are frozen out of its walks."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


@contextlib.contextmanager
def relaxed_garbage_collection() -> Iterator[None]:
    """`relax_garbage_collection` for the time of a run, then the collector as it was (for
    a program that calls `cli.main` and goes on)."""
    thresholds = gc.get_threshold()
    relax_garbage_collection()
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


_worker_linter: Linter | None = None


def _start_worker(recipe: Recipe) -> None:
    global _worker_linter
    if _worker_linter is None:  # spawned, not forked (macOS, Windows): build it from the recipe
        _worker_linter = prepare(recipe).linter
    relax_garbage_collection()


def _lint_chunk(chunk: list[Source]) -> list[FileResult]:
    assert _worker_linter is not None, "the pool's initializer builds the linter"
    return [_worker_linter.lint_source(source) for source in chunk]
