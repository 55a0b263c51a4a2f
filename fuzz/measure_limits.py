"""Time and peak memory of sidecarlint on the worst inputs docs/security.md names.

    python fuzz/measure_limits.py            # every case, each in a fresh process
    python fuzz/measure_limits.py deep-flow  # one case

Each case writes its input under a temporary directory, then runs the command line on it in
a child process (`python -m sidecarlint ... --format json`), and reports the child's wall
time and its peak resident memory (`ru_maxrss` of the one child each process reaps), with the
rules that fired. Nothing here is part of the test suite; tests/test_hostile_input.py checks
the behaviour, this measures its cost.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: nginx:1.27.2
"""


def documents_100k(directory: Path) -> list[str]:
    (directory / "many.yaml").write_text("---\n".join([POD] * 100_000))
    return ["many.yaml"]


def documents_100k_raised_limit(directory: Path) -> list[str]:
    documents_100k(directory)
    return ["many.yaml", "--max-file-size", "64MiB"]


def configmaps_100k(directory: Path) -> list[str]:
    configmap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: b\n"
    (directory / "many.yaml").write_text("---\n".join([configmap] * 100_000))
    return ["many.yaml"]


def dense_flow(directory: Path) -> list[str]:
    (directory / "dense.yaml").write_text("[" + "a," * 5_000_000 + "a]\n")
    return ["dense.yaml"]


def empty_documents(directory: Path) -> list[str]:
    (directory / "empty.yaml").write_text("---\n" * 2_500_000)
    return ["empty.yaml"]


def deep_flow(directory: Path) -> list[str]:
    (directory / "deep.yaml").write_text("[" * 5_000_000 + "]" * 5_000_000 + "\n")
    return ["deep.yaml"]


def deep_block(directory: Path) -> list[str]:
    (directory / "deep.yaml").write_text("".join(" " * i + "k:\n" for i in range(4_000)))
    return ["deep.yaml"]


def billion_laughs(directory: Path) -> list[str]:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    (directory / "lol.yaml").write_text("\n".join(lines) + "\n")
    return ["lol.yaml"]


def big_scalar(directory: Path) -> list[str]:
    (directory / "big.yaml").write_text(POD.replace("image: nginx:1.27.2", "image: nginx:1.27.2\n    args: ['" + "x" * 9_000_000 + "']"))
    return ["big.yaml"]


def sparse_gigabyte(directory: Path) -> list[str]:
    with open(directory / "huge.yaml", "wb") as handle:
        handle.truncate(1 << 30)
    return ["huge.yaml"]


def files_20000(directory: Path) -> list[str]:
    tree = directory / "tree"
    for index in range(20_000):
        folder = tree / f"d{index // 1000:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"pod-{index:05d}.yaml").write_text(POD.replace("name: p", f"name: p{index}"))
    return ["tree"]


CASES = {
    "100k-documents": documents_100k,
    "100k-docs-64MiB": documents_100k_raised_limit,
    "100k-configmaps": configmaps_100k,
    "dense-flow": dense_flow,
    "empty-documents": empty_documents,
    "deep-flow": deep_flow,
    "deep-block": deep_block,
    "billion-laughs": billion_laughs,
    "big-scalar": big_scalar,
    "sparse-gigabyte": sparse_gigabyte,
    "20000-files": files_20000,
}


def run(name: str) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        paths = CASES[name](directory)
        size = sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())
        command = [sys.executable, "-m", "sidecarlint", *paths, "--format", "json", "--no-config"]
        start = time.perf_counter()
        child = subprocess.Popen(
            command, cwd=directory, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        out, err = child.communicate()
        elapsed = time.perf_counter() - start
        # The only child this process has reaped: the kernel's maximum over children is its own.
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        try:
            report = json.loads(out)
            rules: dict[str, int] = {}
            for finding in report["findings"]:
                rules[finding["rule"]] = rules.get(finding["rule"], 0) + 1
            files = report["summary"]["files"]
        except ValueError:
            rules, files = {"(no report)": 1}, 0
        print(
            f"{name:16} input {size / 2**20:8.1f} MiB  {files:6} files  exit {child.returncode}  "
            f"{elapsed:6.2f} s  peak {peak:7.1f} MiB  {dict(sorted(rules.items()))}"
        )
        if err.strip():
            print("   stderr:", err.decode(errors="replace").strip()[-300:])


if __name__ == "__main__":
    for case in sys.argv[1:] or list(CASES):
        if len(sys.argv) > 1:
            run(case)
        else:  # one process a case, so that RUSAGE_CHILDREN's maximum is this case's
            subprocess.run([sys.executable, __file__, case], check=False)
