"""Time `load.load_text` of other revisions against the working tree's, and the compose floor.

    python benchmarks/load_ab.py 34a68b6 [more revisions] [--rounds 5] [--corpus DIR]

Every `*.yaml` under the corpus (by default the cached 10,000-file benchmark corpus) is
read into memory once; then, each round, the floor (`yaml.compose_all(text,
Loader=yaml.CSafeLoader)`), each revision's `sidecarlint/load.py` (taken with `git show`
and imported under another name, beside the working tree's other modules) and the
working tree's loader are timed in turn over all the texts. Prints medians and ratios.
Only the ratios within one run mean anything on a shared machine.

The contenders take turns slice by slice (`--slice` files at a time, the order rotating
from one slice to the next), and each is timed in CPU seconds of this process, so that
other work on the machine, which comes and goes over seconds, weighs on all of them alike.
A round's time is the sum over its slices.
"""

from __future__ import annotations

import argparse
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
from sidecarlint.parallel import relax_garbage_collection  # noqa: E402


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
    parser.add_argument("--slice", type=int, default=200, help="files each contender reads in its turn")
    default = sorted(Path(tempfile.gettempdir(), "sidecarlint-bench").glob("corpus-10000-*"))
    parser.add_argument("--corpus", type=Path, default=default[-1] if default else None)
    options = parser.parse_args()
    texts = [path.read_bytes().decode("utf-8") for path in sorted(options.corpus.rglob("*.yaml"))]
    print(f"{len(texts)} files from {options.corpus}")

    def floor(texts: list[str]) -> None:
        for text in texts:
            for _ in yaml.compose_all(text, Loader=yaml.CSafeLoader):
                pass

    def loading(module):
        def run(texts: list[str]) -> None:
            for text in texts:
                module.load_text(text, "f.yaml")

        return run

    slices = [texts[start:start + options.slice] for start in range(0, len(texts), options.slice)]
    with tempfile.TemporaryDirectory() as directory:
        runs = {"floor": floor}
        runs.update({revision: loading(module_at(revision, Path(directory))) for revision in options.revisions})
        runs["working tree"] = loading(load)
        names = list(runs)
        relax_garbage_collection()  # as a run has the collector
        times: dict[str, list[float]] = {name: [] for name in runs}
        for round_ in range(options.rounds):
            spent = dict.fromkeys(names, 0.0)
            for number, slice_ in enumerate(slices):
                turn = number % len(names)
                for name in names[turn:] + names[:turn]:
                    start = time.process_time()
                    runs[name](slice_)
                    spent[name] += time.process_time() - start
            for name in names:
                times[name].append(spent[name])
            print(round_, {name: round(spent[name], 3) for name in names}, flush=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        print(f"{name:14s} median {median:.3f} s CPU  {median / medians['floor']:.3f} x floor")


if __name__ == "__main__":
    main()
