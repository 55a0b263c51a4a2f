"""sidecarlint against the cost of parsing alone: the benchmark of issue 7.

    python benchmarks/run.py            # the full run, about three minutes on two cores
    python benchmarks/run.py --quick    # a smoke run: small corpora, one repetition

It generates (or reuses) corpora of 1,000 and 10,000 files with `generate.py`, then,
in one run and over several repetitions, each in a fresh process, times:

  (a) the parse floor: `yaml.compose_all(..., Loader=yaml.CSafeLoader)` over every
      file, and nothing else;
  (b) `sidecarlint --jobs 1` with every rule (without `--jobs` if the CLI has none);
  (c) `sidecarlint` with its default parallelism;
  (d) `sidecarlint` on one small file against `python -c "import yaml"`;

with the peak memory of (b), and prints medians and the ratios the issue's targets are
stated in, each marked met or missed.

Why whole processes: a user waits for start-up, imports and exit as much as for the
linting, and the targets are about what a user waits for. Every figure is wall-clock
time from spawn to exit; the peak memory is the child's own `ru_maxrss` from
`os.wait4`, which is exact per child (a `RUSAGE_CHILDREN` delta is not: it keeps the
largest child ever waited for). Measurements are interleaved across repetitions, so
that a machine that slows down during the run slows every case alike.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

import generate

REPO = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024

# The parse floor: what reading and composing costs with nothing else, walked in the same
# order as sidecarlint's discovery (sorted, hidden entries skipped).
FLOOR_SCRIPT = textwrap.dedent(
    """
    import os, sys, yaml
    documents = 0
    for directory, subdirectories, files in os.walk(sys.argv[1]):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        for name in sorted(files):
            if name.startswith(".") or not name.endswith((".yaml", ".yml")):
                continue
            with open(os.path.join(directory, name), "rb") as handle:
                for _ in yaml.compose_all(handle.read(), Loader=yaml.CSafeLoader):
                    documents += 1
    print(documents)
    """
)

# One small file, as a pre-commit hook hands over: a Deployment with an app and a native sidecar.
TINY_MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      initContainers:
      - name: cloud-sql-proxy
        image: gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.4
        restartPolicy: Always
        args: ["--port=5432", "example:europe-west1:db"]
      containers:
      - name: web
        image: registry.example.com/web:1.4.2
        env:
        - name: DATABASE_URL
          value: postgres://web@127.0.0.1:5432/web
        ports:
        - name: http
          containerPort: 8080
"""


# ----------------------------------------------------------------------------------------
# Measuring one process
# ----------------------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float  # wall clock, spawn to exit
    cpu_seconds: float  # user + system, the child and whatever it waited for
    max_rss_mib: float | None  # the largest single process in the child's tree
    returncode: int


# Runs one command and prints its wall time, CPU time, peak RSS (MiB) and exit status.
# Why a launcher: a child's ru_maxrss starts from the RSS of the process that forked it
# (Linux carries the old image's high-water mark across exec, and subprocess forks with
# vfork), so spawned straight from this runner, which holds PyYAML and the generator, every
# child would report at least the runner's size. Forked from a bare `python -S -I` it
# starts from a few MiB, below anything a Python child uses. The clock runs inside the
# launcher, so its own start-up is not counted.
LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
        os.execv(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
print(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / scale, os.waitstatus_to_exitcode(status))
"""


def measure(command: list[str], env: dict[str, str], accept: tuple[int, ...] = (0,)) -> Sample:
    """Run `command` once, its output discarded; fail loudly on an unexpected exit status."""
    with tempfile.TemporaryFile() as errors:
        if hasattr(os, "fork") and hasattr(os, "wait4"):
            launched = subprocess.run(
                [sys.executable, "-S", "-I", "-c", LAUNCHER, *command],
                stdout=subprocess.PIPE, stderr=errors, env=env, cwd=REPO, check=True, text=True,
            )
            seconds, cpu, rss, returncode = launched.stdout.split()
            sample = Sample(float(seconds), float(cpu), float(rss), int(returncode))
        else:  # pragma: no cover - Windows: wall time only
            start = time.perf_counter()
            done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=errors, env=env, cwd=REPO)
            sample = Sample(time.perf_counter() - start, float("nan"), None, done.returncode)
        if sample.returncode not in accept:
            errors.seek(0)
            message = errors.read().decode("utf-8", "replace").strip()[-2000:]
            raise RuntimeError(f"{' '.join(command)} exited {sample.returncode}:\n{message}")
    return sample


def child_env(cache: Path) -> dict[str, str]:
    """The checkout first on the path, so `-m sidecarlint` runs this tree's code.

    Bytecode is written and read under the cache (PYTHONPYCACHEPREFIX), never in the
    checkout: an installed sidecarlint has its .pyc files, and a start-up timed without
    them (PYTHONDONTWRITEBYTECODE is set in some environments) would count compiling
    sidecarlint's sources, about 30 ms, on every run.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["PYTHONPYCACHEPREFIX"] = str(cache / "pycache")
    for variable in ("PYTHONDONTWRITEBYTECODE", "PYTHONPROFILEIMPORTTIME"):
        env.pop(variable, None)
    return env


# ----------------------------------------------------------------------------------------
# Corpora
# ----------------------------------------------------------------------------------------


@dataclass
class Corpus:
    path: Path
    files: int
    documents: int
    bytes: int


def corpus_key(files: int, seed: int) -> str:
    """Regenerate when the generator or PyYAML's emitter changes, not only its parameters."""
    emitter = f"{yaml.__version__} libyaml={getattr(yaml, '__with_libyaml__', False)}".encode()
    digest = hashlib.sha256(Path(generate.__file__).read_bytes() + emitter).hexdigest()[:12]
    return f"corpus-{files}-seed{seed}-{digest}"


def ensure_corpus(cache: Path, files: int, seed: int) -> Corpus:
    """The corpus from the cache, generated first if it is not there (written whole, then renamed)."""
    target = cache / corpus_key(files, seed)
    summary = target / ".corpus.json"  # hidden: neither sidecarlint nor the floor reads it
    if not summary.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        partial = cache / f".partial-{target.name}-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        print(f"generating {files:,} files (seed {seed}) in {target} ...", file=sys.stderr)
        totals = generate.generate(str(partial), files, seed)
        (partial / ".corpus.json").write_text(json.dumps(totals))
        shutil.rmtree(target, ignore_errors=True)
        os.rename(partial, target)
        for stale in cache.glob(f"corpus-{files}-seed{seed}-*"):  # from an older generator
            if stale != target:
                shutil.rmtree(stale, ignore_errors=True)
    totals = json.loads(summary.read_text())
    return Corpus(target, totals["files"], totals["documents"], totals["bytes"])


def tiny_file(cache: Path) -> Path:
    path = cache / "tiny" / "deployment.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text() != TINY_MANIFEST:
        path.write_text(TINY_MANIFEST)
    return path


# ----------------------------------------------------------------------------------------
# The cases
# ----------------------------------------------------------------------------------------


def sidecarlint_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "sidecarlint", "--output", os.devnull, *args]


def supports_jobs(env: dict[str, str]) -> bool:
    """Whether this CLI has `--jobs` yet (issue 7 adds it)."""
    help_text = subprocess.run(
        [sys.executable, "-m", "sidecarlint", "--help"], capture_output=True, text=True, env=env, cwd=REPO
    ).stdout
    return "--jobs" in help_text


@dataclass
class Results:
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def add(self, name: str, sample: Sample) -> None:
        self.samples.setdefault(name, []).append(sample)

    def median(self, name: str) -> float:
        return statistics.median(s.seconds for s in self.samples[name])

    def peak_mib(self, name: str) -> float | None:
        values = [s.max_rss_mib for s in self.samples.get(name, []) if s.max_rss_mib is not None]
        return max(values) if values else None


LINT_OK = (0, 1)  # 1: findings at or above --fail-on, as expected on this corpus


def run_corpus_cases(corpora: dict[str, Corpus], repeat: int, jobs: bool, env: dict, results: Results) -> None:
    """(a), (b) and (c) on every corpus, interleaved, after an untimed pass to warm the caches."""
    for corpus in corpora.values():
        measure([sys.executable, "-c", FLOOR_SCRIPT, str(corpus.path)], env)
    for repetition in range(repeat):
        for size, corpus in corpora.items():
            path = str(corpus.path)
            cases = {
                f"floor/{size}": ([sys.executable, "-c", FLOOR_SCRIPT, path], (0,)),
                f"one-process/{size}": (sidecarlint_command(*(["--jobs", "1"] if jobs else []), path), LINT_OK),
            }
            if jobs:  # without --jobs, (c) is the very command of (b): measured once, reported twice
                cases[f"default-jobs/{size}"] = (sidecarlint_command(path), LINT_OK)
            for name, (command, accept) in cases.items():
                sample = measure(command, env, accept)
                results.add(name, sample)
                print(f"  [{repetition + 1}/{repeat}] {name:<22} {sample.seconds:7.2f} s  "
                      f"{sample.max_rss_mib or 0:6.1f} MiB", file=sys.stderr)
    if not jobs:
        for size in corpora:
            results.samples[f"default-jobs/{size}"] = results.samples[f"one-process/{size}"]


def run_tiny_cases(tiny: Path, repeat: int, env: dict, results: Results) -> None:
    """(d): one small file against `import yaml`, interleaved, after one untimed run of each."""
    cases = {
        "tiny/sidecarlint": (sidecarlint_command(str(tiny)), LINT_OK),
        "tiny/import-yaml": ([sys.executable, "-c", "import yaml"], (0,)),
    }
    for command, accept in cases.values():
        measure(command, env, accept)
    for _ in range(repeat):
        for name, (command, accept) in cases.items():
            results.add(name, measure(command, env, accept))


# ----------------------------------------------------------------------------------------
# Targets and the report
# ----------------------------------------------------------------------------------------


@dataclass
class Target:
    text: str
    value: str
    met: bool


def targets(results: Results, small: str, large: str, noise_mib: float, jobs: bool) -> list[Target]:
    """The issue's targets, each as the ratio or figure it is stated in."""
    floor = results.median(f"floor/{large}")
    one = results.median(f"one-process/{large}")
    default = results.median(f"default-jobs/{large}")
    tiny = results.median("tiny/sidecarlint") / results.median("tiny/import-yaml")
    linear = one / results.median(f"one-process/{small}")
    rss_large = results.peak_mib(f"one-process/{large}") or float("nan")
    rss_small = results.peak_mib(f"one-process/{small}") or float("nan")
    cores = usable_cores()
    small, large = f"{int(small):,}", f"{int(large):,}"
    default_note = "" if jobs else " (no --jobs yet: one process)"
    return [
        Target(f"{large} files, all rules, one process <= 1.5 x compose floor", f"{one / floor:.2f} x", one <= 1.5 * floor),
        Target(
            f"{large} files, default parallelism ({cores} usable cores) <= 0.9 x compose floor{default_note}",
            f"{default / floor:.2f} x",
            default <= 0.9 * floor,
        ),
        Target(f"peak memory, {large} files, one process < 150 MiB", f"{rss_large:.1f} MiB", rss_large < 150),
        Target(
            f"peak memory flat: {large} files <= {small} files + {noise_mib:g} MiB",
            f"{rss_large:.1f} vs {rss_small:.1f} MiB",
            rss_large <= rss_small + noise_mib,
        ),
        Target("one small file <= 4 x python -c 'import yaml'", f"{tiny:.2f} x", tiny <= 4),
        Target(f"linear: {large} files <= 11 x {small} files (one process)", f"{linear:.2f} x", linear <= 11),
    ]


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def machine() -> dict[str, str]:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    libyaml = "with libyaml" if getattr(yaml, "__with_libyaml__", False) else "WITHOUT libyaml"
    return {
        "cpu": f"{usable_cores()} usable cores ({os.cpu_count()} online), {model}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "pyyaml": f"PyYAML {yaml.__version__} {libyaml}",
        "os": platform.platform(),
    }


def spread(samples: list[Sample]) -> str:
    times = sorted(s.seconds for s in samples)
    return f"{statistics.median(times):7.3f} s" + (f"  ({times[0]:.3f}-{times[-1]:.3f})" if len(times) > 1 else "")


def report(results: Results, corpora: dict[str, Corpus], checks: list[Target], jobs: bool, args) -> str:
    lines = [f"{key:<7} {value}" for key, value in machine().items()]
    if args.load_before is not None:
        lines.append(f"load    1-minute load average {args.load_before:.2f} before the run, {os.getloadavg()[0]:.2f} after "
                     "(above about 0.2, other processes share the cores and the figures are noisy)")
    command = " ".join(["python benchmarks/run.py", *sys.argv[1:]])
    lines.append(f"command {command}  (repeat {args.repeat}, tiny repeat {args.tiny_repeat}; "
                 "medians, then min-max over the repetitions)")
    if not jobs:
        lines.append("note    this sidecarlint has no --jobs option: (b) and (c) are both `sidecarlint PATH`, one process")
    lines.append("")
    for size, corpus in corpora.items():
        lines.append(f"corpus  {corpus.files:,} files, {corpus.documents:,} documents, {corpus.bytes / 1e6:.1f} MB  ({corpus.path})")
    lines.append("")
    rows = (("(a) compose floor", "floor"), ("(b) sidecarlint, one process", "one-process"),
            ("(c) sidecarlint, default jobs", "default-jobs"))
    for size in corpora:
        for label, case in rows:
            samples = results.samples[f"{case}/{size}"]
            cpu = statistics.median(s.cpu_seconds for s in samples)
            rss = max((s.max_rss_mib or 0) for s in samples)
            lines.append(f"{size:>6} files  {label:<30} {spread(samples)}   cpu {cpu:6.2f} s   peak {rss:6.1f} MiB")
    lines.append("")
    lines.append(f"tiny    sidecarlint on one small file   {spread(results.samples['tiny/sidecarlint'])}")
    lines.append(f"tiny    python -c 'import yaml'         {spread(results.samples['tiny/import-yaml'])}")
    lines.append("")
    lines.append("targets (issue 7)")
    for target in checks:
        lines.append(f"  [{'met' if target.met else 'MISSED':>6}] {target.text}: {target.value}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Time sidecarlint against the YAML parse floor (issue 7).")
    parser.add_argument("--quick", action="store_true", help="smoke run: 100 and 1,000 files, one repetition")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions of the corpus runs (default: 3)")
    parser.add_argument("--tiny-repeat", type=int, default=None, help="repetitions of the tiny run (default: 20)")
    parser.add_argument("--sizes", default=None, help="small,large corpus sizes in files (default: 1000,10000)")
    parser.add_argument("--seed", type=int, default=1, help="corpus seed (default: 1)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "sidecarlint-bench",
        help="where corpora are generated and kept (default: %(default)s)",
    )
    parser.add_argument("--memory-noise", type=float, default=10.0, metavar="MIB",
                        help="what 'no more memory than for 1,000 files, plus noise' allows (default: 10 MiB)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every sample and target as JSON")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.tiny_repeat = args.tiny_repeat or (5 if args.quick else 20)
    args.sizes = args.sizes or ("100,1000" if args.quick else "1000,10000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    small, large = (int(size) for size in args.sizes.split(","))
    env = child_env(args.cache)
    jobs = supports_jobs(env)
    corpora = {str(size): ensure_corpus(args.cache, size, args.seed) for size in (small, large)}
    results = Results()
    run_tiny_cases(tiny_file(args.cache), args.tiny_repeat, env, results)
    run_corpus_cases(corpora, args.repeat, jobs, env, results)
    checks = targets(results, str(small), str(large), args.memory_noise, jobs)
    print(report(results, corpora, checks, jobs, args))
    if args.json:
        payload = {
            "machine": machine(),
            "jobs_supported": jobs,
            "corpora": {size: {**asdict(c), "path": str(c.path)} for size, c in corpora.items()},
            "samples": {name: [asdict(s) for s in samples] for name, samples in results.samples.items()},
            "targets": [asdict(t) for t in checks],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 1 if args.strict and not all(t.met for t in checks) else 0


if __name__ == "__main__":
    sys.exit(main())
