"""Instructions spent linting, for other revisions and the working tree: a count, not a time.

    python benchmarks/instructions.py main [more revisions] [--files 300]

On a shared machine two timings of the same code differ by a fifth, which hides the
changes of a few percent that the linting is made of now. The number of instructions a
piece of work executes hardly depends on what else the machine does: under valgrind's
callgrind, with string hashing fixed (PYTHONHASHSEED), it is the same to within a few
hundredths of a percent from one run to the next. What it leaves out (cache misses,
memory) is small for sidecarlint's linting, which is Python code over data already in
memory; loading is C code that allocates and frees, and is better compared with
`load_ab.py`.

Each tree (a revision, by `git archive`, as `ab.py` takes it; then the working tree)
loads the first FILES files of the cached 10,000-file benchmark corpus outside the count,
then lints their documents (`Linter.lint_file`, every rule, the collector relaxed as a run
has it) inside `functools.reduce`, the only function callgrind counts in
(`--toggle-collect`). Needs valgrind (`apt install valgrind`); each tree takes about
half a minute for 300 files.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ab  # noqa: E402  (checkout of a revision, the children's environment)
import run  # noqa: E402  (the benchmark's corpus cache)

# Run by the Python under valgrind, in the tree: argv is the corpus and the number of files.
CHILD = """
import functools, os, sys
from sidecarlint.engine import Linter
from sidecarlint.load import load_text
from sidecarlint.parallel import relax_garbage_collection
from sidecarlint.plugins import default_registry

corpus, count = sys.argv[1], int(sys.argv[2])
paths = []
for directory, subdirectories, files in os.walk(corpus):
    subdirectories.sort()
    paths.extend(os.path.join(directory, name) for name in sorted(files) if name.endswith(".yaml"))
loaded = []
for path in paths[:count]:
    with open(path, encoding="utf-8") as handle:
        loaded.append(load_text(handle.read(), path))
registry = default_registry(load_entry_points=False)
linter = Linter(registry, list(registry.rules.values()))
relax_garbage_collection()
functools.reduce(lambda _, file: linter.lint_file(file), loaded, None)  # counted
"""


def instructions(tree: Path, corpus: Path, files: int, env: dict[str, str], valgrind: str) -> int:
    """The instructions executed inside `functools.reduce` by the child, from the tree's sources."""
    completed = subprocess.run(
        [valgrind, "--tool=callgrind", "--toggle-collect=functools_reduce", "--callgrind-out-file=/dev/null",
         sys.executable, "-c", CHILD, str(corpus), str(files)],
        cwd=tree, env=env, capture_output=True, text=True,
    )
    match = re.search(r"Collected : (\d+)", completed.stderr)
    if completed.returncode != 0 or match is None:
        raise SystemExit(f"linting under valgrind failed in {tree}:\n{completed.stderr[-2000:]}")
    return int(match.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revisions", nargs="+", help="git revisions to compare with the working tree")
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--corpus", type=Path, help="default: the cached 10,000-file benchmark corpus")
    options = parser.parse_args(argv)
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("valgrind is not installed")
    corpus = options.corpus or run.ensure_corpus(Path(tempfile.gettempdir()) / "sidecarlint-bench", 10_000, 1).path
    with tempfile.TemporaryDirectory() as scratch:
        trees = {revision: ab.checkout(revision, Path(scratch)) for revision in options.revisions}
        trees["working tree"] = ab.ROOT
        # `-c` puts the working directory first on the path: each child imports its tree.
        env = {**ab.child_env(Path(scratch)), "PYTHONHASHSEED": "0"}
        counts = {}
        for name, tree in trees.items():
            counts[name] = instructions(tree, corpus, options.files, env, valgrind)
            print(f"{name}: {counts[name]:,} instructions", flush=True)
    first = counts[options.revisions[0]]
    print(f"\nLinting the first {options.files} files, instructions (callgrind):")
    for name, count in counts.items():
        print(f"  {name:14s} {count:15,}  {count / first:6.3f} x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
