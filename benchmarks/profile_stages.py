"""Where sidecarlint's time goes on the benchmark corpus, stage by stage.

    python benchmarks/profile_stages.py           # 10,000 files, one process; py-spy if installed
    python benchmarks/profile_stages.py --files 1000

Two profilers, because each lies differently. cProfile counts every call exactly but
charges each Python call an overhead (the run takes about 2.3 x as long under it), so
code made of many small calls, such as the node-to-data builder, looks dearer than it is
next to C code such as libyaml. py-spy samples the running process from outside at a
fixed rate and barely slows it, so its shares are the ones to plan with; it does not see
inside C, so the parser's own time shows under the Python frame that called it
(`compose_all`). py-spy is optional (`pip install py-spy`); without it only cProfile runs.

The stage table attributes each py-spy sample to the innermost stage on its stack
(`STAGES` below), so the stages add up to 100 %; the checks table counts a sample for
every check on its stack (inclusive), so a check is charged for the helpers it calls,
such as `dependencies()`.
"""

from __future__ import annotations

import argparse
import collections
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import run

# (stage, function name, file fragment): a frame is the stage when its function and file
# match; the innermost matching frame on a stack wins. Order does not matter.
STAGES = (
    ("start-up: imports", "_find_and_load", "<frozen importlib._bootstrap>"),
    ("start-up: plugins, rules, catalogue", "default_registry", "sidecarlint/plugins.py"),
    ("start-up: plugins, rules, catalogue", "Linter.__init__", "sidecarlint/engine.py"),
    ("discover files", "discover", "sidecarlint/discover.py"),
    ("read files", "Source.read", "sidecarlint/discover.py"),
    ("decode bytes", "decode", "sidecarlint/load.py"),
    ("compose YAML (libyaml + PyYAML resolver)", "compose_all", "yaml/__init__.py"),
    ("build data from nodes (load._Builder)", "_make_document", "sidecarlint/load.py"),
    ("Helm template test (load._template_problem)", "_template_problem", "sidecarlint/load.py"),
    ("objects (objects.py)", "objects_in", "sidecarlint/objects.py"),
    ("pod views (pods.py, catalogue)", "pod_views", "sidecarlint/pods.py"),
    ("dependencies() (dependencies.py)", "dependencies", "sidecarlint/dependencies.py"),
    ("rule dispatch: which rules concern a pod (dispatch.py)", "PodRules.for_pod", "sidecarlint/dispatch.py"),
    ("findings: Finding objects", "_finding", "sidecarlint/engine.py"),
    ("findings: positions (positions.span_of)", "span_of", "sidecarlint/positions.py"),
    ("findings: sort", "Finding.sort_key", "sidecarlint/findings.py"),
    ("report (reporters/)", "Reporter.write", "sidecarlint/reporters/__init__.py"),
    ("report (reporters/)", "format_finding", "sidecarlint/reporters/text.py"),
    # Text output streams: the reporter's loop drives the linting, so the engine loop is the
    # frame inside it, and only the formatting of a line counts as reporting.
    ("engine loop (engine.py)", "Linter.lint_sources", "sidecarlint/engine.py"),
    ("engine loop (engine.py)", "Linter.results", "sidecarlint/engine.py"),
    ("scans before parsing (characters, nesting, document length)", "_not_yaml_text", "sidecarlint/load.py"),
    ("scans before parsing (characters, nesting, document length)", "_compose_in_c", "sidecarlint/load.py"),
    ("suppression comments", "comment_directives", "sidecarlint/suppressions.py"),
    ("rendered output: attribution", "attributor_for", "sidecarlint/attribution.py"),
    ("rendered output: attribution", "HelmAttributor.attribute", "sidecarlint/attribution.py"),
    ("rendered output: attribution", "KustomizeAttributor.attribute", "sidecarlint/attribution.py"),
)
CHECKS_DIR = "sidecarlint/checks/"
# A check's generator runs under `Check.run` when first called, under the engine when resumed.
CHECK_CALLERS = ("Linter._run", "Check.run")


def parse_frame(frame: str) -> tuple[str, str]:
    """`name (path/file.py:12)` -> (`name`, `path/file.py`)."""
    name, _, rest = frame.partition(" (")
    return name, rest.rsplit(":", 1)[0]


def stage_of(frames: list[tuple[str, str]]) -> str:
    """The innermost stage on the stack; a check's own code is the stage `check: <function>`."""
    stage = "other (interpreter start, exit)"
    for position, (name, path) in enumerate(frames):
        for label, function, fragment in STAGES:
            if name == function and fragment in path:
                stage = label
        caller = frames[position - 1][0] if position else ""
        if _is_check(caller, name, path):
            stage = f"check: {name}"
    return stage


def _is_check(caller: str, name: str, path: str) -> bool:
    """A check function: called by the engine (directly, or through `Check.run`)."""
    return caller in CHECK_CALLERS and name != "Check.run" and CHECKS_DIR in path


def checks_on(frames: list[tuple[str, str]]) -> set[str]:
    return {name for (caller, _), (name, path) in zip(frames, frames[1:]) if _is_check(caller, name, path)}


def read_stacks(path: Path) -> list[tuple[list[tuple[str, str]], int]]:
    """py-spy's raw format: `frame;frame;...;frame COUNT`, outermost frame first."""
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            stacks.append(([parse_frame(frame) for frame in stack.split(";")], int(count)))
    return stacks


def table(counts: collections.Counter, total: int, seconds: float, title: str) -> str:
    lines = [title, f"  {'share':>6}  {'~s':>6}  stage"]
    for label, count in counts.most_common():
        lines.append(f"  {100 * count / total:5.1f}%  {seconds * count / total:6.2f}  {label}")
    return "\n".join(lines)


def py_spy_report(stacks_file: Path, seconds: float) -> str:
    stacks = read_stacks(stacks_file)
    total = sum(count for _, count in stacks)
    stages: collections.Counter = collections.Counter()
    checks: collections.Counter = collections.Counter()
    for frames, count in stacks:
        stages[stage_of(frames)] += count
        for check in checks_on(frames):
            checks[check] += count
    return "\n\n".join([
        f"py-spy: {total} samples over a {seconds:.2f} s run (seconds below are shares of that run)",
        table(stages, total, seconds, "stages, exclusive (innermost stage wins; adds up to 100 %)"),
        table(checks, total, seconds, "checks, inclusive (with the helpers they call)"),
    ])


def cprofile_report(stats_file: Path, top: int) -> str:
    stats = pstats.Stats(str(stats_file))
    rows = stats.stats  # (file, line, name) -> (primitive calls, calls, tottime, cumtime, callers)
    total = max(cumulative for _, _, _, cumulative, _ in rows.values())

    def listing(key: int, title: str) -> list[str]:
        ranked = sorted(rows.items(), key=lambda item: item[1][key], reverse=True)[:top]
        lines = [title, f"  {'calls':>10} {'self s':>7} {'cum s':>7} {'cum %':>6}  function"]
        for (file, line, name), (primitive, calls, self_time, cumulative, _) in ranked:
            where = _short(file)
            shown = f"{calls}" if calls == primitive else f"{calls}/{primitive}"
            lines.append(f"  {shown:>10} {self_time:7.2f} {cumulative:7.2f} {100 * cumulative / total:5.1f}%  "
                         f"{name} ({where}:{line})")
        return lines

    lines = [f"cProfile: {total:.2f} s under the profiler"]
    lines += listing(3, f"top {top} by cumulative time")
    lines += [""] + listing(2, f"top {top} by self time")
    return "\n".join(lines)


def _short(file: str) -> str:
    for marker in ("sidecarlint/", "yaml/", "lib/python"):
        if marker in file:
            return file[file.index(marker):]
    return file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Profile sidecarlint on the benchmark corpus, by stage.")
    parser.add_argument("--files", type=int, default=10_000, help="corpus size (default: 10000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "sidecarlint-bench")
    parser.add_argument("--out", type=Path, default=None, help="where to keep the profiles (default: CACHE/profile)")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples a second (default: 250)")
    parser.add_argument("--top", type=int, default=30, help="functions in each cProfile listing (default: 30)")
    args = parser.parse_args(argv)
    out = args.out or args.cache / "profile"
    out.mkdir(parents=True, exist_ok=True)
    corpus = run.ensure_corpus(args.cache, args.files, args.seed)
    env = run.child_env(args.cache)
    # One process: a pool's workers would leave the profiled process waiting.
    jobs = ["--jobs", "1"] if run.supports_jobs(env) else []
    lint = ["-m", "sidecarlint", "--output", os.devnull, *jobs, str(corpus.path)]
    print(f"corpus: {corpus.files:,} files, {corpus.documents:,} documents, {corpus.bytes / 1e6:.1f} MB\n")

    plain = run.measure([sys.executable, *lint], env, run.LINT_OK)
    py_spy = shutil.which("py-spy")
    if py_spy:
        stacks = out / "py-spy.txt"
        subprocess.run([py_spy, "record", "--format", "raw", "--rate", str(args.rate), "--output", str(stacks),
                        "--", sys.executable, *lint], env=env, cwd=run.REPO, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(py_spy_report(stacks, plain.seconds), end="\n\n")
    else:
        print("py-spy is not installed (pip install py-spy): stage shares skipped\n")
    stats = out / "cprofile.out"
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats), *lint], env=env, cwd=run.REPO,
                   stdout=subprocess.DEVNULL, check=False)
    print(cprofile_report(stats, args.top))
    print(f"\nprofiles kept in {out} (cProfile: python -m pstats {stats})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
