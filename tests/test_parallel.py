"""Output is the same whatever --jobs is."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sidecarlint.cli import main
from sidecarlint.parallel import MIN_FILES_FOR_POOL

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="module")
def many_files(tmp_path_factory) -> Path:
    """Every fixture, copied until there are enough files for a pool, in nested directories."""
    root = tmp_path_factory.mktemp("many")
    sources = sorted(FIXTURES.glob("*/*.yaml"))
    copies = -(-MIN_FILES_FOR_POOL * 2 // len(sources))
    for copy in range(copies):
        for source in sources:
            target = root / f"copy{copy}" / source.parent.name / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    (root / ".git").mkdir()
    return root


@pytest.mark.parametrize("output_format", ["text", "json", "sarif"])
def test_output_is_identical_whatever_jobs_is(many_files, monkeypatch, capsys, output_format):
    monkeypatch.chdir(many_files)
    outputs, statuses = [], []
    for jobs in ("1", "2", "3"):
        statuses.append(main([".", "--format", output_format, "--jobs", jobs]))
        outputs.append(capsys.readouterr().out)
    assert statuses[0] == statuses[1] == statuses[2] == 1
    assert outputs[0] == outputs[1] == outputs[2]
    assert len(outputs[0]) > 10_000


def test_jobs_must_be_positive(capsys):
    assert main(["--jobs", "0", "."]) == 2
    assert "argument --jobs/-j: '0' is not a positive whole number" in capsys.readouterr().err


def test_a_spawned_worker_builds_its_linter_from_the_recipe(monkeypatch):
    """Forked workers (Linux) inherit the main process's linter; a spawned one (macOS,
    Windows) starts with none and must build the same one from the recipe."""
    import gc

    from sidecarlint import parallel
    from sidecarlint.settings import Recipe

    monkeypatch.setattr(parallel, "_worker_linter", None)
    monkeypatch.setattr(gc, "freeze", lambda: None)
    monkeypatch.setattr(gc, "set_threshold", lambda *thresholds: None)
    parallel._start_worker(Recipe(load_entry_points=False, config_path=None, select=["port-conflict"]))
    assert [rule.name for rule in parallel._worker_linter.rules] == ["port-conflict"]


def test_a_run_gives_the_garbage_collector_back_as_it_was(tmp_path, monkeypatch, capsys):
    import gc

    monkeypatch.chdir(tmp_path)
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n")
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()
    main(["pod.yaml", "--jobs", "1"])
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() <= frozen


def test_standard_input_is_linted_when_a_pool_lints_the_rest(many_files, monkeypatch, capsys):
    """A pool worker's standard input is /dev/null: `-` is read before the pool starts."""
    import io
    import sys

    pod = (FIXTURES / "volume-mount-undefined" / "fail-deployment-mount-typo.yaml").read_bytes()
    monkeypatch.chdir(many_files)
    outputs = []
    for jobs in ("1", "2"):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(pod)))
        assert main(["-", ".", "--jobs", jobs]) == 1
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert "<stdin>:" in outputs[1]
