"""The GitHub Action (action.yml): consistent inputs, outputs and steps, and scripts that
take every input from their environment; the scripts themselves run here under bash, with
the environment GitHub would give them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.test_cli import BROKEN_MOUNT, CLEAN

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
STEPS = ACTION["runs"]["steps"]
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
# Variables the runner sets for every step.
RUNNER_VARIABLES = {"RUNNER_TEMP", "GITHUB_OUTPUT", "GITHUB_WORKSPACE", "HOME", "PATH"}


def step(name: str) -> dict:
    return next(s for s in STEPS if s["name"] == name)


def expressions(value) -> list[str]:
    """The expressions in `value`: inside `${{ }}`, and a step's `if:` (an expression as written)."""
    if isinstance(value, dict):
        conditions = [value["if"]] if isinstance(value.get("if"), str) and "${{" not in value["if"] else []
        return conditions + [e for item in value.values() for e in expressions(item)]
    if isinstance(value, list):
        return [e for item in value for e in expressions(item)]
    return EXPRESSION.findall(value) if isinstance(value, str) else []


def test_composite_action_with_described_inputs_and_outputs():
    assert ACTION["runs"]["using"] == "composite"
    assert ACTION["name"] and ACTION["description"]
    assert set(ACTION["inputs"]) == {
        "paths", "kubernetes-version", "fail-on", "fail-on-findings", "upload-sarif", "sarif-file", "category",
    }
    for name, spec in ACTION["inputs"].items():
        assert spec["description"], name
        assert "default" in spec and isinstance(spec["default"], str), name  # inputs are strings
    assert ACTION["inputs"]["upload-sarif"]["default"] == "true"
    assert ACTION["inputs"]["fail-on-findings"]["default"] == "true"


def test_every_input_is_used_and_every_used_input_exists():
    used = {m for e in expressions(STEPS) for m in re.findall(r"\binputs\.([\w-]+)", e)}
    assert used == set(ACTION["inputs"])


def test_no_run_script_splices_an_expression():
    for s in STEPS:
        if "run" in s:
            assert "${{" not in s["run"], s["name"]  # inputs, paths and outputs come through env:
            assert s["shell"] == "bash"


def test_scripts_read_only_variables_their_step_defines():
    for s in STEPS:
        if "run" not in s:
            continue
        read = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", s["run"]))
        assert read <= set(s.get("env", {})) | RUNNER_VARIABLES, (s["name"], read - set(s.get("env", {})))


def test_outputs_come_from_a_step_that_writes_them():
    ids = {s["id"]: s for s in STEPS if "id" in s}
    for name, spec in ACTION["outputs"].items():
        assert spec["description"]
        (expression,) = expressions(spec["value"])
        step_id, output = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression).groups()
        assert output == name
        assert f"{output}=" in ids[step_id]["run"]
    for expression in expressions(STEPS):
        for step_id, output in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression):
            assert f"{output}=" in ids[step_id]["run"], expression


def test_install_step_installs_the_actions_own_checkout():
    install = step("Install sidecarlint")
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert 'pip install' in install["run"] and '"$ACTION_PATH"' in install["run"]


def test_upload_is_optional_skipped_for_forks_and_uses_codeql_upload_sarif():
    upload = step("Upload SARIF to code scanning")
    assert upload["uses"] == "github/codeql-action/upload-sarif@v3"
    assert upload["with"]["sarif_file"] == "${{ steps.lint.outputs.sarif-file }}"
    condition = " ".join(upload["if"].split())
    assert "inputs.upload-sarif == 'true'" in condition
    assert "!(github.event_name == 'pull_request' && github.event.pull_request.head.repo.fork)" in condition


# The scripts, run


def run_step(name: str, inputs: dict[str, str], outputs: dict[str, str], cwd: Path, runner_temp: Path):
    """Runs a step's script as the runner would: bash -e, its env: evaluated."""
    s = step(name)
    values = {f"inputs.{key}": spec["default"] for key, spec in ACTION["inputs"].items()}
    values.update({f"inputs.{key}": value for key, value in inputs.items()})
    values.update({f"steps.lint.outputs.{key}": value for key, value in outputs.items()})
    values["github.action_path"] = str(ROOT)
    environment = {key: EXPRESSION.sub(lambda m: values[m[1]], value) for key, value in s.get("env", {}).items()}
    github_output = runner_temp / "output"
    github_output.write_text("")
    completed = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", s["run"]],
        cwd=cwd,
        env={**os.environ, **environment, "RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(github_output),
             "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    written = dict(line.split("=", 1) for line in github_output.read_text().splitlines())
    return completed, written


@pytest.fixture
def runner(tmp_path):
    """A runner's temporary directory where the install step would have put sidecarlint."""
    temp = tmp_path / "runner-temp"
    bin_dir = temp / "sidecarlint-venv" / "bin"
    bin_dir.mkdir(parents=True)
    command = bin_dir / "sidecarlint"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m sidecarlint "$@"\n')
    command.chmod(0o755)
    workspace = tmp_path / "workspace"
    (workspace / ".git").mkdir(parents=True)
    (workspace / "k8s").mkdir()
    (workspace / "k8s" / "web.yaml").write_text(BROKEN_MOUNT)
    (workspace / "clean.yaml").write_text(CLEAN)
    return workspace, temp


@pytest.mark.skipif(shutil.which("bash") is None, reason="the action's scripts are bash")
def test_lint_step_writes_sarif_annotations_and_outputs(runner):
    workspace, temp = runner
    evil = "web $(touch pwned) `touch pwned2`"
    completed, outputs = run_step(
        "Run sidecarlint", {"paths": "k8s\n  ", "category": evil, "kubernetes-version": "1.33"}, {}, workspace, temp
    )
    assert completed.returncode == 0, completed.stderr
    assert outputs == {"sarif-file": "sidecarlint.sarif", "sarif-written": "true", "exit-code": "1"}
    log = json.loads((workspace / "sidecarlint.sarif").read_text())
    (result,) = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "k8s/web.yaml"
    assert log["runs"][0]["automationDetails"] == {"id": evil + "/"}  # data, never run
    assert not (workspace / "pwned").exists() and not (workspace / "pwned2").exists()
    assert completed.stdout.startswith("::error file=k8s/web.yaml,line=10,col=17,")


@pytest.mark.skipif(shutil.which("bash") is None, reason="the action's scripts are bash")
def test_lint_step_reports_a_usage_error_without_failing_itself(runner):
    workspace, temp = runner
    completed, outputs = run_step("Run sidecarlint", {"paths": "missing.yaml"}, {}, workspace, temp)
    assert completed.returncode == 0
    assert outputs["exit-code"] == "2" and outputs["sarif-written"] == "false"


@pytest.mark.skipif(shutil.which("bash") is None, reason="the action's scripts are bash")
@pytest.mark.parametrize(
    "exit_code, fail_on_findings, status",
    [("0", "true", 0), ("1", "true", 1), ("1", "false", 0), ("2", "false", 2), ("2", "true", 2)],
)
def test_fail_step(runner, exit_code, fail_on_findings, status):
    workspace, temp = runner
    completed, _ = run_step("Fail on findings", {"fail-on-findings": fail_on_findings}, {"exit-code": exit_code}, workspace, temp)
    assert completed.returncode == status, completed.stdout
    if status:
        assert completed.stdout.startswith("::error title=sidecarlint::")
