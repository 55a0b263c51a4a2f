"""The wheel carries the rules and the catalogue, and the installed command works."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stderr
    (built,) = out.glob("sidecarlint-*.whl")
    return built


def test_wheel_carries_rules_and_catalogue(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for rule in (ROOT / "rules").glob("*.yaml"):
        assert f"sidecarlint/rules/{rule.name}" in names
    for fixture in (ROOT / "fixtures").glob("*/*.yaml"):
        assert f"sidecarlint/fixtures/{fixture.parent.name}/{fixture.name}" in names
    assert "sidecarlint/data/sidecars.yaml" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "sidecarlint = sidecarlint.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_command_lints_the_examples(wheel, tmp_path):
    # A fresh environment that borrows the test environment's dependencies, so no network
    # is needed, but holds sidecarlint only as installed from the wheel.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for command in ([str(bin_dir / "sidecarlint")], [str(bin_dir / "python"), "-m", "sidecarlint"]):
        completed = subprocess.run(
            [*command, str(ROOT / "examples")], cwd=tmp_path, capture_output=True, text=True, env=environment
        )
        assert completed.returncode == 1, completed.stderr
        assert "error [volume-mount-undefined]" in completed.stdout
        assert "error [port-conflict]" in completed.stdout
        assert completed.stdout.splitlines()[-1].startswith("Found ")
    explained = subprocess.run(
        [str(bin_dir / "sidecarlint"), "--explain", "port-conflict"], cwd=tmp_path, capture_output=True, text=True, env=environment
    )
    assert explained.returncode == 0, explained.stderr
    assert "Example that triggers it (fail-" in explained.stdout  # the fixtures travelled too
    located = subprocess.run(
        [str(bin_dir / "python"), "-c", "import sidecarlint.rules as r; print(r.builtin_rules_dir())"],
        cwd=tmp_path, capture_output=True, text=True, env=environment,
    )
    assert "site-packages" in located.stdout, located.stdout  # the rules travelled inside the wheel
