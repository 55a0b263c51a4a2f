"""Time `load.load_text` of other revisions against the working tree's, and the compose floor.

    python benchmarks/load_ab.py 34a68b6 [more revisions] [--rounds 5] [--corpus DIR]

Every `*.yaml` under the corpus (by default the cached 10,000-file benchmark corpus) is
read into memory once; then, each round, the floor (`yaml.compose_all(text,
Loader=yaml.CSafeLoader)`), each revision's `sidecarlint/load.py` (taken with `git show`
and imported under another name, beside the working tree's other modules) and the
working tree's loader are timed in turn over all the texts. Prints medians and ratios.
Only the ratios within one run mean anything on a shared machine.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sidecarlint import load  # noqa: E402


def module_at(revision: str, directory: Path):
    source = subprocess.run(
        ["git", "show", f"{revision}:sidecarlint/load.py"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    path = directory / f"load_{''.join(c if c.isalnum() else '_' for c in revision)}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("revisions", nargs="+")
    parser.add_argument("--rounds", type=int, default=5)
    default = sorted(Path(tempfile.gettempdir(), "sidecarlint-bench").glob("corpus-10000-*"))
    parser.add_argument("--corpus", type=Path, default=default[-1] if default else None)
    options = parser.parse_args()
    texts = [path.read_bytes().decode("utf-8") for path in sorted(options.corpus.rglob("*.yaml"))]
    print(f"{len(texts)} files from {options.corpus}")

    def floor() -> None:
        for text in texts:
            for _ in yaml.compose_all(text, Loader=yaml.CSafeLoader):
                pass

    def loading(module):
        def run() -> None:
            for text in texts:
                module.load_text(text, "f.yaml")

        return run

    with tempfile.TemporaryDirectory() as directory:
        runs = {"floor": floor}
        runs.update({revision: loading(module_at(revision, Path(directory))) for revision in options.revisions})
        runs["working tree"] = loading(load)
        times: dict[str, list[float]] = {name: [] for name in runs}
        for round_ in range(options.rounds):
            for name, run in runs.items():
                gc.collect()
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
            print(round_, {name: round(values[-1], 3) for name, values in times.items()}, flush=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(f"{name:14s} median {median:.3f} s  {median / medians['floor']:.3f} x floor")


if __name__ == "__main__":
    main()
