"""Time whole sidecarlint runs of other revisions against the working tree's, taking turns.

    python benchmarks/ab.py 9dabf30 [more revisions] [--rounds 5] [--corpus DIR] [-- ARGS]

Each revision is taken with `git archive` into a temporary directory; then, each round,
`python -m sidecarlint --jobs 1 --output /dev/null CORPUS` (or the ARGS after `--`) runs
once from each revision and once from the working tree, in turn. A run's cost is its CPU
time (user + system, from `os.wait4`), which a shared machine disturbs less than wall
time; the medians and their ratios to the first revision are printed. By default the
corpus is the cached 10,000-file benchmark corpus (`benchmarks/run.py` makes it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # noqa: E402  (the benchmark's corpus cache)


def checkout(revision: str, directory: Path) -> Path:
    """The revision's files, unpacked under `directory`."""
    archive = subprocess.run(["git", "archive", revision], cwd=ROOT, check=True, capture_output=True).stdout
    target = directory / revision
    target.mkdir()
    with tempfile.TemporaryFile() as handle:
        handle.write(archive)
        handle.seek(0)
        with tarfile.open(fileobj=handle) as tar:
            tar.extractall(target)
    return target


def child_env(scratch: Path) -> dict[str, str]:
    """Bytecode cached (outside the trees) as an installed sidecarlint has it, and nothing
    on PYTHONPATH that could shadow a tree's own sources."""
    env = {name: value for name, value in os.environ.items() if name not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    env["PYTHONPYCACHEPREFIX"] = str(scratch / "pycache")
    return env


def cpu_seconds(tree: Path, args: list[str], env: dict[str, str]) -> float:
    """One run's CPU time, from the tree's own sources (`-m` puts the working directory first)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sidecarlint", *args], cwd=tree, env=env, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"sidecarlint failed in {tree} (exit status {status})")
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1 :] if "--" in argv else None
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("revisions", nargs="+", help="git revisions to compare with the working tree")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--corpus", type=Path, help="default: the cached 10,000-file benchmark corpus")
    options = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    corpus = options.corpus or run.ensure_corpus(Path(tempfile.gettempdir()) / "sidecarlint-bench", 10_000, 1).path
    args = extra if extra is not None else ["--jobs", "1", "--output", "/dev/null", str(corpus)]
    with tempfile.TemporaryDirectory() as scratch:
        trees = {revision: checkout(revision, Path(scratch)) for revision in options.revisions}
        trees["working tree"] = ROOT
        env = child_env(Path(scratch))
        for tree in trees.values():  # untimed: writes each tree's bytecode, warms the page cache
            cpu_seconds(tree, args, env)
        samples: dict[str, list[float]] = {name: [] for name in trees}
        for number in range(options.rounds):
            for name, tree in trees.items():
                samples[name].append(cpu_seconds(tree, args, env))
            print(f"round {number + 1}/{options.rounds}: " + ", ".join(f"{n} {s[-1]:.2f} s" for n, s in samples.items()))
    first = statistics.median(samples[options.revisions[0]])
    print(f"\nCPU seconds, median of {options.rounds} (1-minute load average now {os.getloadavg()[0]:.2f})")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"  {name:14s} {median:7.3f} s  {median / first:6.3f} x  ({min(values):.2f}-{max(values):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
