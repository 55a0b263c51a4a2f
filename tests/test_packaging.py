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


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh environment that borrows the test environment's dependencies, so no network
    is needed, but holds sidecarlint only as installed from the wheel; its bin directory."""
    env_dir = tmp_path_factory.mktemp("venv") / "env"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    bin_dir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    install = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--no-deps", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    return bin_dir


def run_installed(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([str(bin_dir / "sidecarlint"), *args], cwd=cwd, capture_output=True, text=True, env=environment)


def test_installed_command_lints_the_examples(installed, tmp_path):
    for command in ([str(installed / "sidecarlint")], [str(installed / "python"), "-m", "sidecarlint"]):
        environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        completed = subprocess.run(
            [*command, str(ROOT / "examples")], cwd=tmp_path, capture_output=True, text=True, env=environment
        )
        assert completed.returncode == 1, completed.stderr
        assert "error [volume-mount-undefined]" in completed.stdout
        assert "error [port-conflict]" in completed.stdout
        assert completed.stdout.splitlines()[-1].startswith("Found ")
    explained = run_installed(installed, "--explain", "port-conflict", cwd=tmp_path)
    assert explained.returncode == 0, explained.stderr
    assert "Example that triggers it (fail-" in explained.stdout  # the fixtures travelled too
    located = subprocess.run(
        [str(installed / "python"), "-c", "import sidecarlint.rules as r; print(r.builtin_rules_dir())"],
        cwd=tmp_path, capture_output=True, text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )
    assert "site-packages" in located.stdout, located.stdout  # the rules travelled inside the wheel


def test_example_plugin_installs_and_runs(installed, tmp_path):
    install = subprocess.run(
        [str(installed / "python"), "-m", "pip", "install", "--no-deps", "--quiet", str(ROOT / "examples" / "plugin")],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr
    plugins = run_installed(installed, "--list-plugins", cwd=tmp_path)
    assert "acme  (sidecarlint_acme.plugin)" in plugins.stdout.splitlines()
    listed = run_installed(installed, "--list-rules", cwd=tmp_path)
    assert any(line.startswith("acme-team-label ") for line in listed.stdout.splitlines())
    fixture = ROOT / "examples" / "plugin" / "src" / "sidecarlint_acme" / "fixtures" / "acme-team-label" / "fail-no-team.yaml"
    linted = run_installed(installed, "--select", "acme-team-label", str(fixture), cwd=tmp_path)
    assert linted.returncode == 1, linted.stderr
    assert ":9:5: warning [acme-team-label] the pod has no 'acme.io/team' label" in linted.stdout
    assert "(BatchRun/nightly)" in linted.stdout  # the plugin's custom resource kind
    explained = run_installed(installed, "--explain", "acme-team-label", cwd=tmp_path)
    assert "Example that triggers it (fail-no-team.yaml)" in explained.stdout
    without = run_installed(installed, "--no-plugins", "--list-rules", cwd=tmp_path)
    assert "acme-team-label" not in without.stdout
    run_installed(installed, "--no-plugins", "--list-plugins", cwd=tmp_path)
    subprocess.run([str(installed / "python"), "-m", "pip", "uninstall", "--yes", "--quiet", "sidecarlint-acme"], check=True)
